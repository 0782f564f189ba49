"""Pure Keras model builders and the seed networks' presets.

Builders take plain values and return an uncompiled :class:`keras.Model`; they
know nothing of scikit-learn. The classifiers in ``_classifiers`` call them.
"""

import keras

__all__ = ["DENSE_PRESETS", "build_dense_network"]

#: Hyper-parameters of the seed networks, by name (arguments of DenseClassifier).
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
