"""Feature extractors: scikit-learn transformers from audio clips to features."""

from ._mfcc import MFCCTransformer

__all__ = ["MFCCTransformer"]
