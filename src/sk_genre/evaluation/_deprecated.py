"""The 0.1.0 plotting functions, kept for one release (FutureWarning on access).

``plot_confusion_matrix``, ``plot_genre_accuracy`` and ``plot_history`` draw
through the Display objects and return what they returned in 0.1.0 (a
``ConfusionMatrixDisplay``, an Axes, an ndarray of 2 Axes);
``plot_waveform`` and ``plot_mel_spectrogram`` moved to :mod:`sk_genre.display`.
Delete this module, and the names in ``sk_genre.evaluation.__getattr__``, in
the release after 0.2.0.
"""

from ._plots import GenreAccuracyDisplay, GenreConfusionMatrixDisplay, TrainingCurveDisplay

#: old name -> (module of the object returned, its name, the replacement to name in the warning)
MOVED = {
    "plot_confusion_matrix": (
        __name__,
        "plot_confusion_matrix",
        "sk_genre.evaluation.GenreConfusionMatrixDisplay.from_evaluation(result)",
    ),
    "plot_genre_accuracy": (
        __name__,
        "plot_genre_accuracy",
        "sk_genre.evaluation.GenreAccuracyDisplay.from_evaluation(result)",
    ),
    "plot_history": (
        __name__,
        "plot_history",
        "sk_genre.evaluation.TrainingCurveDisplay.from_history(history)",
    ),
    "plot_waveform": ("sk_genre.display", "plot_waveform", "sk_genre.display.plot_waveform"),
    "plot_mel_spectrogram": (
        "sk_genre.display",
        "plot_mel_spectrogram",
        "sk_genre.display.plot_mel_spectrogram",
    ),
}


def plot_confusion_matrix(result, *, normalize="true", ax=None, cmap="Blues"):
    """Deprecated: :meth:`GenreConfusionMatrixDisplay.from_evaluation`."""
    return GenreConfusionMatrixDisplay.from_evaluation(
        result, normalize=normalize, ax=ax, cmap=cmap
    )


def plot_genre_accuracy(result, *, ax=None):
    """Deprecated: ``GenreAccuracyDisplay.from_evaluation(result).ax_``."""
    return GenreAccuracyDisplay.from_evaluation(result, ax=ax).ax_


def plot_history(history, *, axes=None):
    """Deprecated: ``TrainingCurveDisplay.from_history(history).ax_``."""
    return TrainingCurveDisplay.from_history(history, ax=axes).ax_
