"""Feature extractors: scikit-learn transformers from audio clips to features."""

from ._mel import MelChunker
from ._mfcc import MFCCTransformer
from ._spectral import GTZAN_COLUMNS, SpectralFeatureUnion

__all__ = ["GTZAN_COLUMNS", "MFCCTransformer", "MelChunker", "SpectralFeatureUnion"]
