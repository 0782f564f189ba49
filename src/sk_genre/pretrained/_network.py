"""musicnn (Pons & Serra 2019) as a Keras 3 model, loaded with the shipped weights.

A layer-for-layer port of ``build_musicnn`` in musicnn's ``models.py`` (musicnn 0.1.0, ISC),
the TF1 graph of the MSD_musicnn and MTT_musicnn checkpoints. Input: patches of 187 log-mel
frames x 96 bands, musicnn's ``(time, mel)`` layout. Each stage, with the checkpoint variables
it loads:

* front-end: batch norm of the input (``batch_normalization``); timbral filters, 204 x (7, 38)
  and 204 x (7, 67) over (time, mel) after zero-padding 3 frames each side (``conv2d``,
  ``conv2d_1``); temporal filters, 51 x (128, 1), (64, 1), (32, 1) with TensorFlow's 'same'
  padding (``conv2d_2`` .. ``conv2d_4``: for an even kernel one frame more after than
  before, written out here so every backend pads alike); each ReLU -> batch norm -> max over
  the mel axis, concatenated: 561 channels per frame;
* mid-end: three 64-channel convolutions of 7 frames over all channels (``conv2d_5`` ..
  ``conv2d_7``, run as 1-D convolutions: the same kernels), ReLU and batch norm, the second
  and third with residual sums; the front-end and the three outputs concatenated: 753;
* back-end: max and mean over time, interleaved (max0, mean0, max1, ...) as TF flattens the
  stacked pools: 1506; batch norm, dense 200 + ReLU, batch norm (``penultimate``), dense 50
  (logits; the taggram is their sigmoid).

Every batch norm has epsilon 1e-3 (TF1's ``tf.compat.v1.layers`` default) and runs in
inference mode unless the model is trained. Dropout (0.5) sits where musicnn has it.
"""

import keras
from keras import layers, ops

from ._weights import load_weights

__all__ = ["LAYERS", "N_FRAMES", "N_MELS", "build_musicnn"]

#: Frames per patch (3 s at 16 kHz with hop 256) and mel bands of musicnn's input.
N_FRAMES = 187
N_MELS = 96
#: Outputs of the network by name -> width.
LAYERS = {"taggram": 50, "penultimate": 200, "mean_pool": 753, "max_pool": 753}

_EPS = 1e-3


def _bn(name):
    return layers.BatchNormalization(epsilon=_EPS, momentum=0.99, name=name)


def _timbral(x, kernel, conv, bn):
    h = layers.Conv2D(204, kernel, padding="valid", activation="relu", name=conv)(x)
    return ops.max(_bn(bn)(h), axis=2)  # (batch, time, 204): max over the mel axis


def _temporal(x, length, conv, bn):
    before = (length - 1) // 2  # TensorFlow 'same': the odd frame goes after
    h = layers.ZeroPadding2D(((before, length - 1 - before), (0, 0)))(x)
    h = layers.Conv2D(51, (length, 1), padding="valid", activation="relu", name=conv)(h)
    return ops.max(_bn(bn)(h), axis=2)


def _midend(x, conv, bn):
    h = layers.ZeroPadding1D(3)(x)
    return _bn(bn)(layers.Conv1D(64, 7, padding="valid", activation="relu", name=conv)(h))


def build_musicnn(
    model="MSD_musicnn", *, outputs=("taggram",), n_frames=N_FRAMES, weights=True, name=None
):
    """Build musicnn as a Keras model with the shipped pretrained weights.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Which checkpoint's weights to load: trained on the Million Song Dataset's last.fm
        tags or on MagnaTagATune (50 tags each).
    outputs : sequence of str, default=("taggram",)
        Outputs of the model, in this order, from ``LAYERS``: ``"taggram"`` (50 tag
        probabilities, sigmoid), ``"penultimate"`` (200), ``"mean_pool"`` and ``"max_pool"``
        (753 each: the mid-end features pooled over the patch's frames).
    n_frames : int or None, default=187
        Frames per patch; musicnn was trained on 187 (3 s). ``None`` accepts any length
        (the back-end pools over time).
    weights : bool, default=True
        Load the pretrained weights (checksum-verified, see ``load_weights``); False leaves
        Keras' random initialisation.
    name : str or None, default=None
        Model name; ``model`` when None.

    Returns
    -------
    network : keras.Model
        Input float32 ``(batch, n_frames, 96)``, musicnn's log-mel patches
        (``log10(10000 * mel + 1)``, see :class:`MusicnnEmbedding`); one output of shape
        ``(batch, LAYERS[o])`` per name in ``outputs`` (a single tensor when one is asked).

    Raises
    ------
    ValueError
        ``model`` or an output name is unknown.

    References
    ----------
    .. [1] J. Pons and X. Serra, "musicnn: pre-trained convolutional neural networks for music
       audio tagging", ISMIR late-breaking demo, 2019. https://github.com/jordipons/musicnn
    """
    outputs = tuple(outputs)
    unknown = [o for o in outputs if o not in LAYERS]
    if unknown or not outputs:
        raise ValueError(f"outputs must be names from {sorted(LAYERS)}; got {outputs!r}")
    weights_by_name = load_weights(model) if weights else None  # validates the model name

    x = keras.Input((n_frames, N_MELS), name="log_mel")
    h = _bn("batch_normalization")(layers.Reshape((-1, N_MELS, 1))(x))
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)))(h)
    front = layers.Concatenate(axis=-1)(
        [
            _timbral(padded, (7, 38), "conv2d", "batch_normalization_1"),
            _timbral(padded, (7, 67), "conv2d_1", "batch_normalization_2"),
            _temporal(h, 128, "conv2d_2", "batch_normalization_3"),
            _temporal(h, 64, "conv2d_3", "batch_normalization_4"),
            _temporal(h, 32, "conv2d_4", "batch_normalization_5"),
        ]
    )  # (batch, time, 561)
    cnn1 = _midend(front, "conv2d_5", "batch_normalization_6")
    cnn2 = layers.Add()([_midend(cnn1, "conv2d_6", "batch_normalization_7"), cnn1])
    cnn3 = layers.Add()([_midend(cnn2, "conv2d_7", "batch_normalization_8"), cnn2])
    mid = layers.Concatenate(axis=-1)([front, cnn1, cnn2, cnn3])  # (batch, time, 753)

    max_pool = ops.max(mid, axis=1)
    mean_pool = ops.mean(mid, axis=1)
    pooled = layers.Reshape((2 * mid.shape[-1],))(ops.stack([max_pool, mean_pool], axis=-1))
    pooled = layers.Dropout(0.5)(_bn("batch_normalization_9")(pooled))
    dense = layers.Dense(200, activation="relu", name="dense")(pooled)
    penultimate = _bn("batch_normalization_10")(dense)
    logits = layers.Dense(50, name="dense_1")(layers.Dropout(0.5)(penultimate))
    tensors = {
        "taggram": ops.sigmoid(logits),
        "penultimate": penultimate,
        "mean_pool": mean_pool,
        "max_pool": max_pool,
    }
    chosen = [tensors[o] for o in outputs]
    network = keras.Model(x, chosen[0] if len(chosen) == 1 else chosen, name=name or model)
    if weights_by_name is not None:
        _set_weights(network, weights_by_name)
    return network


def _set_weights(network, weights):
    """Copy checkpoint variables into the layers of the same name."""
    for layer in network.layers:
        if isinstance(layer, layers.BatchNormalization):
            names = ("gamma", "beta", "moving_mean", "moving_variance")
        elif isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Dense)):
            names = ("kernel", "bias")
        else:
            continue
        values = [weights[f"{layer.name}/{n}"] for n in names]
        if isinstance(layer, layers.Conv1D):  # (7, channels, 1, 64) as a 1-D kernel
            values[0] = values[0].reshape(values[0].shape[0], values[0].shape[1], -1)
        layer.set_weights(values)
