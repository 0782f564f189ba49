"""Keras networks wrapped as scikit-learn classifiers (importing this imports keras)."""

from ._backend import ensure_keras_backend

ensure_keras_backend()  # before anything below imports keras

from ._builders import DENSE_PRESETS, build_dense_network  # noqa: E402
from ._classifiers import DenseClassifier, GenreKerasClassifier  # noqa: E402

__all__ = ["DENSE_PRESETS", "DenseClassifier", "GenreKerasClassifier", "build_dense_network"]
