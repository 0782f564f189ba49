"""sk_genre: scikit-learn compatible music genre classification.

``import sk_genre`` stays light: keras (and its backend) is imported only when
a network class is first used (``sk_genre.DenseClassifier``,
``sk_genre.CNNClassifier``, ``make_pipeline()`` with a network,
``sk_genre.models``). It does choose the Keras backend for the process (JAX
unless ``KERAS_BACKEND`` or keras.json names an installed one, see
``sk_genre._backend``), so a later ``import keras`` works without TensorFlow.
"""

from ._backend import ensure_keras_backend
from ._version import __version__
from .exceptions import AudioDecodeError, InconsistentVersionWarning
from .features import MelChunker, MFCCTransformer, SpectralFeatureUnion
from .pipeline import make_pipeline
from .pretrained import MusicnnEmbedding
from .timeline import GenreTimeline, predict_timeline

ensure_keras_backend()  # sets KERAS_BACKEND only; none of the above imports keras

__all__ = [
    "AudioDecodeError",
    "CNNClassifier",
    "DenseClassifier",
    "GenreTimeline",
    "InconsistentVersionWarning",
    "MFCCTransformer",
    "MelChunker",
    "MusicnnEmbedding",
    "SpectralFeatureUnion",
    "__version__",
    "make_pipeline",
    "predict_timeline",
]

_LAZY = {"CNNClassifier": "sk_genre.models", "DenseClassifier": "sk_genre.models"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'sk_genre' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
