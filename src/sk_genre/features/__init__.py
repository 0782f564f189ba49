"""Feature extractors: scikit-learn transformers from audio clips to features.

Also the checks every one of them makes on its input: :func:`check_clips`
(the batch) and :func:`load_clip` (one clip to a mono float32 waveform).
"""

from ._mel import MelChunker
from ._mfcc import MFCCTransformer
from ._spectral import GTZAN_COLUMNS, SpectralFeatureUnion
from ._validation import MAX_AMPLITUDE, check_clips, clip_name, load_clip

__all__ = [
    "GTZAN_COLUMNS",
    "MAX_AMPLITUDE",
    "MFCCTransformer",
    "MelChunker",
    "SpectralFeatureUnion",
    "check_clips",
    "clip_name",
    "load_clip",
]
