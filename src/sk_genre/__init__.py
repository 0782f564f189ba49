"""sk_genre: scikit-learn compatible music genre classification.

``import sk_genre`` stays light: the public names are imported from their
modules on first use (librosa and scikit-learn with the first transformer or
``make_pipeline``), and keras (and its backend) is imported only when
a network class is first used (``sk_genre.DenseClassifier``,
``sk_genre.CNNClassifier``, ``make_pipeline()`` with a network,
``sk_genre.models``). It does choose the Keras backend for the process (JAX
unless ``KERAS_BACKEND`` or keras.json names an installed one, see
``sk_genre._backend``), so a later ``import keras`` works without TensorFlow.
"""

from typing import TYPE_CHECKING

from ._backend import ensure_keras_backend
from ._version import __version__
from .exceptions import AudioDecodeError, InconsistentVersionWarning

if TYPE_CHECKING:  # what static tools see (griffe for the docs site, IDEs); lazy at runtime
    from .features import MelChunker, MFCCTransformer, SpectralFeatureUnion
    from .models import CNNClassifier, DenseClassifier
    from .pipeline import make_pipeline
    from .pretrained import MusicnnEmbedding
    from .timeline import GenreTimeline, predict_timeline

ensure_keras_backend()  # sets KERAS_BACKEND only; nothing here imports keras

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

#: public names, imported from their module on first use (``sk-genre --help`` imports none)
_LAZY = {
    "CNNClassifier": "sk_genre.models",
    "DenseClassifier": "sk_genre.models",
    "GenreTimeline": "sk_genre.timeline",
    "MFCCTransformer": "sk_genre.features",
    "MelChunker": "sk_genre.features",
    "MusicnnEmbedding": "sk_genre.pretrained",
    "SpectralFeatureUnion": "sk_genre.features",
    "make_pipeline": "sk_genre.pipeline",
    "predict_timeline": "sk_genre.timeline",
}
#: subpackages reachable as attributes (``sk_genre.features.MFCCTransformer``) after
#: ``import sk_genre`` alone
_SUBMODULES = {
    "datasets",
    "display",
    "evaluation",
    "features",
    "io",
    "models",
    "pipeline",
    "pretrained",
    "timeline",
}


def __getattr__(name):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"sk_genre.{name}")
    raise AttributeError(f"module 'sk_genre' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)
