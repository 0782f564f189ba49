"""Track-level evaluation: classification report, confusion matrix, per-genre accuracy."""

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix

__all__ = ["GenreEvaluation", "evaluate", "evaluate_predictions"]


@dataclass(frozen=True)
class GenreEvaluation:
    """What :func:`evaluate` measured on a set of tracks.

    Attributes
    ----------
    labels : ndarray of shape (n_genres,)
        Genres, in the order of the rows and columns of ``confusion_matrix``.
    y_true, y_pred : ndarray of shape (n_tracks,)
        True and predicted genre of each track.
    accuracy : float
        Fraction of tracks whose genre is predicted right.
    genre_accuracy : ndarray of shape (n_genres,)
        Per genre, the fraction of its tracks predicted right (its recall);
        NaN for a genre with no true track.
    confusion_matrix : ndarray of shape (n_genres, n_genres)
        Track counts; rows are true genres, columns predicted ones
        (:func:`sklearn.metrics.confusion_matrix`).
    report : str
        :func:`sklearn.metrics.classification_report` (precision, recall, F1,
        support per genre).
    report_dict : dict
        The same report as a dict (``output_dict=True``).
    history : dict of str to list of float or None
        The network's per-epoch training curves (``history_``) when the
        evaluated estimator (or a pipeline's last step) has one.
    """

    labels: np.ndarray
    y_true: np.ndarray
    y_pred: np.ndarray
    accuracy: float
    genre_accuracy: np.ndarray
    confusion_matrix: np.ndarray
    report: str
    report_dict: dict
    history: dict | None = None

    def __str__(self):
        """Accuracy, classification report and confusion matrix, as text.

        The matrix's columns are as wide as their genre's full name (or the
        largest count), so no name is cut.
        """
        names = [str(g) for g in self.labels]
        counts = [[str(int(n)) for n in row] for row in self.confusion_matrix]
        widths = [max(len(name), *(len(row[j]) for row in counts)) for j, name in enumerate(names)]
        label = max(len(name) for name in names)
        lines = [
            " " * label + "  " + " ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))
        ]
        lines.extend(
            name.ljust(label)
            + "  "
            + " ".join(c.rjust(w) for c, w in zip(row, widths, strict=True))
            for name, row in zip(names, counts, strict=True)
        )
        return (
            f"accuracy {self.accuracy:.3f} on {len(self.y_true)} tracks\n\n{self.report}\n"
            "confusion matrix (rows: true genre, columns: predicted genre)\n" + "\n".join(lines)
        )


def evaluate_predictions(y_true, y_pred, *, labels=None, history=None):
    """Evaluate predicted genres against true ones, one entry per track.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_tracks,)
        True and predicted genres.
    labels : array-like of shape (n_genres,), default=None
        Genres to report, in order; default: every genre in ``y_true`` or
        ``y_pred``, sorted.
    history : dict or None, default=None
        Training curves to keep with the result (see :class:`GenreEvaluation`).

    Returns
    -------
    result : GenreEvaluation

    Raises
    ------
    ValueError
        ``y_true`` and ``y_pred`` differ in length or are empty.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(
            "y_true and y_pred must be 1-D with one genre per track and the same length; "
            f"got shapes {y_true.shape} and {y_pred.shape}"
        )
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    labels = np.asarray(labels)
    matrix = confusion_matrix(y_true, y_pred, labels=labels)
    support = matrix.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        genre_accuracy = np.where(support > 0, np.diag(matrix) / support, np.nan)
    kwargs = dict(labels=labels, zero_division=0)
    return GenreEvaluation(
        labels=labels,
        y_true=y_true,
        y_pred=y_pred,
        accuracy=float(accuracy_score(y_true, y_pred)),
        genre_accuracy=genre_accuracy,
        confusion_matrix=matrix,
        report=classification_report(y_true, y_pred, digits=3, **kwargs),
        report_dict=classification_report(y_true, y_pred, output_dict=True, **kwargs),
        history=history,
    )


def _history(estimator):
    """``history_`` of the estimator or of a pipeline's last step, else None."""
    final = estimator.steps[-1][1] if hasattr(estimator, "steps") else estimator
    history = getattr(final, "history_", None)
    return dict(history) if history else None


def evaluate(estimator, X, y, *, labels=None):
    """Predict the genre of each track and evaluate it.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline
        E.g. from :func:`sk_genre.make_pipeline`; its ``predict`` gives one
        genre per row of ``X``.
    X : array-like or sequence of paths
        Input of ``estimator.predict``; one row per track.
    y : array-like of shape (n_tracks,)
        True genres.
    labels : array-like of shape (n_genres,), default=None
        Genres to report, in order; default: the estimator's ``classes_``
        together with any other genre of ``y``, sorted.

    Returns
    -------
    result : GenreEvaluation
        Accuracy, classification report, confusion matrix, per-genre accuracy
        and the network's training curves.

    Raises
    ------
    ValueError
        ``y`` does not have one genre per row of ``X``.
    sklearn.exceptions.NotFittedError
        ``estimator`` is not fitted.

    Examples
    --------
    >>> from sk_genre import make_pipeline
    >>> from sk_genre.datasets import load_gtzan_features
    >>> from sk_genre.evaluation import evaluate
    >>> gtzan = load_gtzan_features()
    >>> train, valid = gtzan.split == "train", gtzan.split == "valid"
    >>> pipe = make_pipeline(features=None, random_state=0)  # doctest: +SKIP
    >>> pipe.fit(gtzan.data[train], gtzan.target[train])  # doctest: +SKIP
    >>> print(evaluate(pipe, gtzan.data[valid], gtzan.target[valid]))  # doctest: +SKIP
    """
    y = np.asarray(y)
    y_pred = np.asarray(estimator.predict(X))
    if labels is None and hasattr(estimator, "classes_"):
        labels = np.unique(np.concatenate([np.asarray(estimator.classes_), y]))
    return evaluate_predictions(y, y_pred, labels=labels, history=_history(estimator))
