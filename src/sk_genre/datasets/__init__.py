"""Datasets: the bundled GTZAN feature table and GTZAN-style audio folders."""

from ._folder import load_audio_folder
from ._gtzan import load_gtzan_features

__all__ = ["load_audio_folder", "load_gtzan_features"]
