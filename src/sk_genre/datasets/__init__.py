"""Datasets: the bundled GTZAN feature table, GTZAN-style audio folders (and segmenting them).

:func:`get_data_home` finds the real GTZAN audio kept outside the repository.
"""

from ._folder import load_audio_folder, segment_audio_folder
from ._gtzan import fault_filtered_split, gtzan_track_id, load_gtzan_features
from ._home import get_data_home
from ._segment import segment_audio

__all__ = [
    "fault_filtered_split",
    "get_data_home",
    "gtzan_track_id",
    "load_audio_folder",
    "load_gtzan_features",
    "segment_audio",
    "segment_audio_folder",
]
