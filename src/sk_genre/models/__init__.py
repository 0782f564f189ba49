"""Keras networks wrapped as scikit-learn classifiers (importing this imports keras)."""

from ._backend import ensure_keras_backend

ensure_keras_backend()  # before anything below imports keras

from ._builders import CNN_PRESETS, DENSE_PRESETS, build_cnn, build_dense_network  # noqa: E402
from ._callbacks import StopAtAccuracy  # noqa: E402
from ._classifiers import CNNClassifier, DenseClassifier, GenreKerasClassifier  # noqa: E402

__all__ = [
    "CNN_PRESETS",
    "CNNClassifier",
    "DENSE_PRESETS",
    "DenseClassifier",
    "GenreKerasClassifier",
    "StopAtAccuracy",
    "build_cnn",
    "build_dense_network",
]
