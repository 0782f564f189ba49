"""Honest evaluation: leak-free splitters, track-level reports and metric Displays.

Published GTZAN accuracies are inflated when chunks or segments of one track,
or tracks of one artist, land on both sides of a split. The splitters here
keep tracks (:class:`TrackGroupKFold`) and artists
(:class:`FaultFilteredSplit`; :class:`BlockedGenreKFold`, an artist proxy)
together; :func:`compare_splits` scores one model under a random and an
artist-aware split side by side; :func:`evaluate` reports per track;
the Display objects (:class:`GenreConfusionMatrixDisplay`,
:class:`GenreAccuracyDisplay`, :class:`TrainingCurveDisplay`) draw the
results the way scikit-learn's do (matplotlib, the ``plot`` extra, imported
only when a plot is drawn). Views of audio are in :mod:`sk_genre.display`;
this package does not decode audio.
"""

import importlib
import warnings

from ._compare import SplitComparison, compare_splits
from ._plots import (
    GenreAccuracyDisplay,
    GenreConfusionMatrixDisplay,
    TrainingCurveDisplay,
    save_evaluation_plots,
)
from ._report import GenreEvaluation, evaluate, evaluate_predictions
from ._splits import BlockedGenreKFold, FaultFilteredSplit, TrackGroupKFold

__all__ = [
    "BlockedGenreKFold",
    "FaultFilteredSplit",
    "GenreAccuracyDisplay",
    "GenreConfusionMatrixDisplay",
    "GenreEvaluation",
    "SplitComparison",
    "TrackGroupKFold",
    "TrainingCurveDisplay",
    "compare_splits",
    "evaluate",
    "evaluate_predictions",
    "save_evaluation_plots",
]


def __getattr__(name):
    from ._deprecated import MOVED

    if name not in MOVED:
        raise AttributeError(f"module 'sk_genre.evaluation' has no attribute {name!r}")
    module, attr, replacement = MOVED[name]
    warnings.warn(
        f"sk_genre.evaluation.{name} is deprecated since 0.2.0 and will be removed in the "
        f"next release; use {replacement}",
        FutureWarning,
        stacklevel=2,
    )
    return getattr(importlib.import_module(module), attr)
