"""Keras networks wrapped as scikit-learn classifiers (importing this imports keras)."""

# the Keras backend was chosen by ``import sk_genre`` (sk_genre/_backend.py), before keras loads
from ._builders import CNN_PRESETS, DENSE_PRESETS, build_cnn, build_dense_network
from ._callbacks import StopAtAccuracy
from ._classifiers import CNNClassifier, DenseClassifier, GenreKerasClassifier

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
