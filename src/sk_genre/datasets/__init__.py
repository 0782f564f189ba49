"""Datasets: the bundled GTZAN feature table and GTZAN-style audio folders (and segmenting them)."""

from ._folder import load_audio_folder, segment_audio_folder
from ._gtzan import fault_filtered_split, gtzan_track_id, load_gtzan_features

__all__ = [
    "fault_filtered_split",
    "gtzan_track_id",
    "load_audio_folder",
    "load_gtzan_features",
    "segment_audio_folder",
]
