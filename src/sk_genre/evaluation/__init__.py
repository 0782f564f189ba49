"""Honest evaluation: leak-free splitters, track-level reports and plots.

Published GTZAN accuracies are inflated when chunks or segments of one track,
or tracks of one artist, land on both sides of a split. The splitters here
keep tracks (:class:`TrackGroupKFold`) and artists
(:class:`FaultFilteredSplit`) together; :func:`evaluate` reports per track;
the ``plot_*`` functions draw the results (matplotlib, the ``plot`` extra,
imported only when a plot is drawn).
"""

from ._plots import (
    plot_confusion_matrix,
    plot_genre_accuracy,
    plot_history,
    plot_mel_spectrogram,
    plot_waveform,
    save_evaluation_plots,
)
from ._report import GenreEvaluation, evaluate, evaluate_predictions
from ._splits import FaultFilteredSplit, TrackGroupKFold

__all__ = [
    "FaultFilteredSplit",
    "GenreEvaluation",
    "TrackGroupKFold",
    "evaluate",
    "evaluate_predictions",
    "plot_confusion_matrix",
    "plot_genre_accuracy",
    "plot_history",
    "plot_mel_spectrogram",
    "plot_waveform",
    "save_evaluation_plots",
]
