"""Pretrained music models: musicnn (Pons & Serra 2019) ported to Keras 3.

Importing this package does not import keras: the network is built (and keras
loaded) when a transformer or classifier first needs it. The weights of the
MSD_musicnn and MTT_musicnn models ship with sk_genre (converted once from the
ISC-licensed ``musicnn`` 0.1.0 wheel by ``tools/convert_musicnn.py``; licence
notice in ``sk_genre/pretrained/data/LICENSE-musicnn.md``).
"""

from typing import TYPE_CHECKING

from ._embedding import LAYER_WIDTHS, MusicnnEmbedding, MusicnnPatches
from ._input import log_mel, patches
from ._tags import GENRE_TAGS, TagGenreClassifier, rank_tags, top_tags
from ._weights import MODELS, TAGS, load_weights

__all__ = [
    "GENRE_TAGS",
    "LAYER_WIDTHS",
    "MODELS",
    "MusicnnClassifier",
    "MusicnnEmbedding",
    "MusicnnPatches",
    "TAGS",
    "TagGenreClassifier",
    "build_musicnn",
    "load_weights",
    "log_mel",
    "patches",
    "rank_tags",
    "top_tags",
]


if TYPE_CHECKING:  # for type checkers and the API docs; at run time they load lazily
    from ._finetune import MusicnnClassifier
    from ._network import build_musicnn

_LAZY = {"build_musicnn": "._network", "MusicnnClassifier": "._finetune"}  # import keras


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sk_genre.pretrained' has no attribute {name!r}")
