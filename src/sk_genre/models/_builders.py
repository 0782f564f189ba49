"""Pure Keras model builders and the seed networks' presets.

Builders take plain values and return an uncompiled :class:`keras.Model`; they
know nothing of scikit-learn. The classifiers in ``_classifiers`` call them.
"""

import keras

__all__ = ["CNN_PRESETS", "DENSE_PRESETS", "build_cnn", "build_dense_network"]

#: Hyper-parameters of the seed dense networks, by name (arguments of DenseClassifier).
DENSE_PRESETS = {
    # seed baseline: Dense 128 -> Dense 64, dropout 0.5 after each, Adam
    "baseline": dict(
        hidden_layer_sizes=(128, 64), dropout=0.5, l2=0.0, batch_norm=False, epochs=100
    ),
    # seed regularised net: 128-64-32, batch norm, L2 0.01, dropout 0.5/0.3/0.3
    "regularized": dict(
        hidden_layer_sizes=(128, 64, 32),
        dropout=(0.5, 0.3, 0.3),
        l2=0.01,
        batch_norm=True,
        epochs=100,
    ),
    # seed DNN: 128-256-128, batch norm, dropout 0.5, Adam, early stopping on
    # validation loss (patience 10, best weights restored)
    "dnn": dict(
        hidden_layer_sizes=(128, 256, 128),
        dropout=0.5,
        l2=0.0,
        batch_norm=True,
        epochs=200,
        early_stopping=True,
        patience=10,
    ),
    # the seed DNN with its stop-at-accuracy callback: training also ends at the first
    # epoch whose training accuracy reaches 0.94
    "dnn_threshold": dict(
        hidden_layer_sizes=(128, 256, 128),
        dropout=0.5,
        l2=0.0,
        batch_norm=True,
        epochs=200,
        early_stopping=True,
        patience=10,
        stop_accuracy=0.94,
    ),
}

#: Hyper-parameters of the seed mel CNN (arguments of CNNClassifier).
CNN_PRESETS = {
    # seed CNN: Conv2D + BatchNorm + MaxPool blocks, dropout, a dense layer, softmax, Adam
    "cnn": dict(
        filters=(16, 32, 64, 128),
        kernel_size=3,
        pool_size=2,
        dropout=0.3,
        dense_units=(64,),
        batch_norm=True,
        epochs=30,
        batch_size=32,
    ),
}


def _per_layer(value, n_layers, name):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n_layers
    if len(values) != n_layers:
        raise ValueError(
            f"{name} must be a float or one value per hidden layer ({n_layers}); got {value!r}"
        )
    return values


def build_dense_network(
    *,
    n_features,
    n_classes,
    hidden_layer_sizes=(128, 64),
    dropout=0.5,
    l2=0.0,
    batch_norm=False,
    activation="relu",
):
    """Fully connected softmax classifier on a feature vector.

    Each hidden layer is ``Dense(units, activation, L2) -> [BatchNormalization]
    -> Dropout`` (the order of the seed scripts); the output is
    ``Dense(n_classes, softmax)``.

    Parameters
    ----------
    n_features : int
        Length of the input vector.
    n_classes : int
        Number of output classes (genres).
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units per hidden layer.
    dropout : float or tuple of float, default=0.5
        Dropout rate after each hidden layer (one value, or one per layer).
    l2 : float, default=0.0
        L2 penalty on the hidden layers' kernels.
    batch_norm : bool, default=False
        Batch normalisation after each hidden layer's activation.
    activation : str, default="relu"
        Hidden layers' activation.

    Returns
    -------
    model : keras.Model
        Uncompiled; input shape ``(n_features,)``, output ``(n_classes,)``
        probabilities.

    Raises
    ------
    ValueError
        ``dropout`` gives a number of rates other than one per layer.
    """
    sizes = tuple(hidden_layer_sizes)
    rates = _per_layer(dropout, len(sizes), "dropout")
    regularizer = keras.regularizers.L2(l2) if l2 else None
    inputs = keras.Input(shape=(n_features,), name="features")
    x = inputs
    for units, rate in zip(sizes, rates, strict=True):
        x = keras.layers.Dense(units, activation=activation, kernel_regularizer=regularizer)(x)
        if batch_norm:
            x = keras.layers.BatchNormalization()(x)
        if rate:
            x = keras.layers.Dropout(rate)(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="dense_genre_classifier")


def build_cnn(
    *,
    input_shape,
    n_classes,
    filters=(16, 32, 64, 128),
    kernel_size=3,
    pool_size=2,
    dropout=0.3,
    dense_units=(64,),
    batch_norm=True,
    activation="relu",
    input_mean=0.0,
    input_std=1.0,
):
    """Convolutional softmax classifier on one log-mel chunk.

    ``(x - input_mean) / input_std``, then per entry of ``filters`` a block
    ``Conv2D(filters, kernel_size, "same", activation) -> [BatchNormalization]
    -> MaxPooling2D(pool_size, "same")``, then ``Flatten -> Dropout``, per entry
    of ``dense_units`` ``Dense(units, activation) -> Dropout``, and
    ``Dense(n_classes, softmax)``. "Same" pooling rounds up, so chunks of any
    size keep at least one cell after every block.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_mels, n_frames)`` of one chunk.
    n_classes : int
        Number of output classes (genres).
    filters : tuple of int, default=(16, 32, 64, 128)
        Convolution filters per block.
    kernel_size : int or tuple of int, default=3
        Convolution kernel, in (mel bands, frames).
    pool_size : int or tuple of int, default=2
        Max-pooling window (and stride) after each convolution.
    dropout : float, default=0.3
        Dropout rate after the flattened convolution output and after each
        dense layer.
    dense_units : tuple of int, default=(64,)
        Units per dense layer before the output.
    batch_norm : bool, default=True
        Batch normalisation after each convolution (momentum 0.9, so its
        moving statistics settle within a few dozen steps).
    activation : str, default="relu"
        Activation of convolutions and dense layers.
    input_mean, input_std : float, default=0.0, 1.0
        Standardisation of the input values (dB), learned from the training
        chunks by :class:`~sk_genre.models.CNNClassifier`.

    Returns
    -------
    model : keras.Model
        Uncompiled; input ``input_shape``, output ``(n_classes,)`` probabilities.

    Raises
    ------
    ValueError
        ``input_shape`` is not two positive sizes.

    References
    ----------
    .. [1] K. Choi, G. Fazekas and M. Sandler, "Automatic tagging using deep
       convolutional neural networks", ISMIR 2016 (2-D convolutions on
       log-mel spectrograms).
    """
    input_shape = tuple(int(n) for n in input_shape)
    if len(input_shape) != 2 or min(input_shape) < 1:
        raise ValueError(f"input_shape must be (n_mels, n_frames); got {input_shape!r}")
    inputs = keras.Input(shape=input_shape, name="mel_chunk")
    x = keras.layers.Rescaling(1.0 / input_std, offset=-input_mean / input_std)(inputs)
    x = keras.layers.Reshape((*input_shape, 1))(x)
    for n_filters in filters:
        x = keras.layers.Conv2D(n_filters, kernel_size, padding="same", activation=activation)(x)
        if batch_norm:
            # momentum 0.9 (Keras: 0.99): the moving statistics used at prediction time
            # settle within tens of steps, not hundreds, which matters on small datasets
            x = keras.layers.BatchNormalization(momentum=0.9)(x)
        x = keras.layers.MaxPooling2D(pool_size, padding="same")(x)
    x = keras.layers.Flatten()(x)
    if dropout:
        x = keras.layers.Dropout(dropout)(x)
    for units in dense_units:
        x = keras.layers.Dense(units, activation=activation)(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)
    return keras.Model(inputs, outputs, name="mel_cnn_genre_classifier")
