"""Display objects of an evaluation: confusion matrix, accuracy per genre, training curves.

They follow scikit-learn's visualization API (:class:`sklearn.metrics.ConfusionMatrixDisplay`):
a ``from_estimator`` / ``from_predictions`` class method computes and draws,
``plot(ax=...)`` draws again on other Axes, and the drawn artists are kept as
attributes ending in ``_`` (``ax_``, ``figure_``, ...). ``from_evaluation``
draws what a :class:`~sk_genre.evaluation.GenreEvaluation` already measured.
With ``ax=None`` a new pyplot figure is created, sized for the plot, as
scikit-learn's Displays do, so notebooks show it and ``plt.show()`` sees it.

matplotlib is an optional dependency (``pip install "sk_genre[plot]"``): it is
imported when a plot is drawn, never by ``import sk_genre.evaluation``. The
audio views (waveform, spectrogram, chunks) are in :mod:`sk_genre.display`.
"""

import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, confusion_matrix
from sklearn.utils.multiclass import unique_labels

from .._docstring import fill_doc
from .._plotting import headless_axes, import_pyplot, new_axes, save_figure
from ._report import GenreEvaluation, _history, evaluate, evaluate_predictions

__all__ = [
    "GenreAccuracyDisplay",
    "GenreConfusionMatrixDisplay",
    "TrainingCurveDisplay",
    "save_evaluation_plots",
]

# Keras/scikeras names of the accuracy metric, most common first
_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
)
# figure sizes in inches, for a new pyplot figure and for the PNG files alike
_CONFUSION_SIZE = (8, 6.5)
_HISTORY_SIZE = (11, 4)


def _accuracy_size(n_genres):
    return (7, 1.2 + 0.42 * n_genres)


_NORMALIZE_WHAT = {
    None: "track counts",
    "true": "fraction of each true genre",
    "pred": "fraction of each predicted genre",
    "all": "fraction of all tracks",
}


def _check_result(result):
    if not isinstance(result, GenreEvaluation):
        raise TypeError(
            "result must be a GenreEvaluation (from sk_genre.evaluation.evaluate or "
            f"evaluate_predictions); got {type(result).__name__}"
        )


def _estimator_labels(estimator, y):
    """The genres :func:`evaluate` reports: the estimator's classes and those of ``y``."""
    if not hasattr(estimator, "classes_"):
        return None
    return np.unique(np.concatenate([np.asarray(estimator.classes_), np.asarray(y)]))


class GenreConfusionMatrixDisplay(ConfusionMatrixDisplay):
    """Track-level confusion matrix, styled for genres.

    :class:`sklearn.metrics.ConfusionMatrixDisplay` with what ten genres
    need: rows normalised per true genre by default (the diagonal is each
    genre's accuracy) with a fixed 0 to 1 colour scale, so two matrices can be
    compared; cells that are exactly zero left blank, so the errors stand out;
    rotated genre names; a title with the accuracy and the number of tracks.
    The matrix itself is computed by :func:`sklearn.metrics.confusion_matrix`
    (``normalize=`` included). Create it with :meth:`from_estimator`,
    :meth:`from_predictions` or :meth:`from_evaluation`.

    Parameters
    ----------
    confusion_matrix : ndarray of shape (n_genres, n_genres)
        Rows are true genres, columns predicted ones.
    display_labels : array-like of shape (n_genres,) or None, default=None
        Genre names; ``None``: 0 to n_genres - 1.
    normalize : {"true", "pred", "all"} or None, default=None
        How ``confusion_matrix`` was normalised (for the colour scale and the
        title); ``None``: it holds track counts.
    accuracy : float or None, default=None
        Fraction of tracks predicted right, for the title.
    n_tracks : int or None, default=None
        Number of tracks, for the title.

    Attributes
    ----------
    im_ : matplotlib.image.AxesImage
        The matrix image.
    text_ : ndarray of shape (n_genres, n_genres) of matplotlib.text.Text or None
        The cell values; ``None`` when ``include_values=False``.
    ax_ : matplotlib.axes.Axes
        The Axes drawn on.
    figure_ : matplotlib.figure.Figure
        Its Figure.

    See Also
    --------
    GenreAccuracyDisplay : The diagonal of the row-normalised matrix as bars.

    References
    ----------
    .. [1] :class:`sklearn.metrics.ConfusionMatrixDisplay`, which draws the
       matrix, and :func:`sklearn.metrics.confusion_matrix`.

    Examples
    --------
    >>> from sk_genre.evaluation import GenreConfusionMatrixDisplay
    >>> display = GenreConfusionMatrixDisplay.from_predictions(
    ...     ["jazz", "jazz", "rock"], ["jazz", "rock", "rock"])
    >>> display.im_.get_array().tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    >>> display.figure_.savefig("confusion_matrix.png")  # doctest: +SKIP
    """

    def __init__(
        self, confusion_matrix, *, display_labels=None, normalize=None, accuracy=None, n_tracks=None
    ):
        super().__init__(confusion_matrix, display_labels=display_labels)
        self.normalize = normalize
        self.accuracy = accuracy
        self.n_tracks = n_tracks

    def plot(
        self,
        *,
        include_values=True,
        cmap="Blues",
        xticks_rotation=45,
        values_format=None,
        ax=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
    ):
        """Draw the matrix.

        Parameters
        ----------
        include_values : bool, default=True
            Write the value in each non-zero cell.
        cmap : str or matplotlib.colors.Colormap, default="Blues"
            Colormap of the cells.
        xticks_rotation : {"vertical", "horizontal"} or float, default=45
            Rotation of the predicted-genre names in degrees.
        values_format : str or None, default=None
            Format of the cell values; ``None``: ``"d"`` for counts,
            ``".2f"`` for fractions.
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; ``None``: a new pyplot figure of 8 x 6.5 inches.
        colorbar : bool, default=True
            Add a colorbar.
        im_kw, text_kw : dict or None, default=None
            Passed to :meth:`matplotlib.axes.Axes.imshow` and
            :meth:`matplotlib.axes.Axes.text`, as in
            :meth:`sklearn.metrics.ConfusionMatrixDisplay.plot`.

        Returns
        -------
        display : GenreConfusionMatrixDisplay
            ``self``.

        Raises
        ------
        ImportError
            matplotlib is not installed.
        """
        matrix = np.asarray(self.confusion_matrix)
        ax = new_axes(ax, _CONFUSION_SIZE)
        if values_format is None:
            values_format = "d" if matrix.dtype.kind in "iu" else ".2f"
        if self.normalize is not None:
            im_kw = {"vmin": 0.0, "vmax": 1.0, **(im_kw or {})}
        super().plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )
        if self.text_ is not None:
            for text, value in zip(self.text_.ravel(), matrix.ravel(), strict=True):
                if value == 0:
                    text.set_text("")
        ax.set_xlabel("Predicted genre")
        ax.set_ylabel("True genre")
        if xticks_rotation not in ("horizontal", 0):
            for label in ax.get_xticklabels():
                label.set(ha="right", rotation_mode="anchor")
        title = f"Confusion matrix ({_NORMALIZE_WHAT.get(self.normalize, self.normalize)})"
        if self.accuracy is not None and self.n_tracks is not None:
            title += f"\naccuracy {self.accuracy:.1%} on {self.n_tracks} tracks"
        ax.set_title(title)
        return self

    @classmethod
    @fill_doc
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        labels=None,
        sample_weight=None,
        normalize="true",
        display_labels=None,
        include_values=True,
        cmap="Blues",
        ax=None,
        xticks_rotation=45,
        values_format=None,
        colorbar=True,
        im_kw=None,
        text_kw=None,
    ):
        """Compute the confusion matrix of predicted genres and draw it.

        Parameters
        ----------
        %(y_true_y_pred)s
        labels : array-like of shape (n_genres,) or None, default=None
            Genres, in the order of rows and columns; ``None``: every genre
            of ``y_true`` or ``y_pred``, sorted.
        sample_weight : array-like of shape (n_tracks,) or None, default=None
            Weight of each track.
        normalize : {"true", "pred", "all"} or None, default="true"
            As in :func:`sklearn.metrics.confusion_matrix`, which computes it:
            divide each row by the genre's track count (``"true"``), each
            column by the predictions of that genre (``"pred"``), or
            everything by the number of tracks (``"all"``); ``None``: track
            counts. Rows or columns with no track show 0.
        display_labels : array-like of shape (n_genres,) or None, default=None
            Names shown; ``None``: ``labels``.
        include_values, cmap, ax, xticks_rotation, values_format, colorbar, im_kw, text_kw
            See :meth:`plot`.

        Returns
        -------
        display : GenreConfusionMatrixDisplay

        Raises
        ------
        ValueError
            ``normalize`` is not one of the accepted values.
        ImportError
            matplotlib is not installed.
        """
        if normalize not in _NORMALIZE_WHAT:
            raise ValueError(f'normalize must be "true", "pred", "all" or None; got {normalize!r}')
        import_pyplot()
        if labels is None:
            labels = unique_labels(y_true, y_pred)
        matrix = confusion_matrix(
            y_true, y_pred, labels=labels, sample_weight=sample_weight, normalize=normalize
        )
        display = cls(
            matrix,
            display_labels=labels if display_labels is None else display_labels,
            normalize=normalize,
            accuracy=float(accuracy_score(y_true, y_pred, sample_weight=sample_weight)),
            n_tracks=len(y_true),
        )
        return display.plot(
            include_values=include_values,
            cmap=cmap,
            xticks_rotation=xticks_rotation,
            values_format=values_format,
            ax=ax,
            colorbar=colorbar,
            im_kw=im_kw,
            text_kw=text_kw,
        )

    @classmethod
    @fill_doc
    def from_estimator(cls, estimator, X, y, *, labels=None, **kwargs):
        """Predict the genre of each track with ``estimator`` and draw the matrix.

        Parameters
        ----------
        %(estimator_predict)s
        %(X_predict)s
        %(y_true_tracks)s
        %(labels_estimator)s
        **kwargs
            The other keywords of :meth:`from_predictions`.

        Returns
        -------
        display : GenreConfusionMatrixDisplay
        """
        y_pred = estimator.predict(X)
        if labels is None:
            labels = _estimator_labels(estimator, y)
        return cls.from_predictions(y, y_pred, labels=labels, **kwargs)

    @classmethod
    @fill_doc
    def from_evaluation(cls, result, **kwargs):
        """Draw the confusion matrix of an evaluation.

        Parameters
        ----------
        %(result)s
            Its genres (``result.labels``) in order.
        **kwargs
            The keywords of :meth:`from_predictions` other than ``labels``.

        Returns
        -------
        display : GenreConfusionMatrixDisplay

        Raises
        ------
        TypeError
            ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
        """
        _check_result(result)
        return cls.from_predictions(result.y_true, result.y_pred, labels=result.labels, **kwargs)


class GenreAccuracyDisplay:
    """Each genre's accuracy (its recall) as a horizontal bar.

    One bar per genre, top to bottom in the order of ``display_labels``,
    labelled with the accuracy and ``correct/tracks``. A solid line marks the
    overall accuracy and a dashed line chance level, ``1 / n_genres`` (a
    classifier that guesses uniformly). A genre with no true track has no bar
    and is labelled "no tracks". Create it with :meth:`from_estimator`,
    :meth:`from_predictions` or :meth:`from_evaluation`.

    Parameters
    ----------
    genre_accuracy : array-like of shape (n_genres,)
        Per genre, the fraction of its tracks predicted right; NaN for a
        genre without tracks.
    support : array-like of shape (n_genres,) or None, default=None
        Tracks per genre, for the bar labels; ``None``: the labels give the
        accuracy only.
    display_labels : array-like of shape (n_genres,) or None, default=None
        Genre names; ``None``: 0 to n_genres - 1.
    accuracy : float or None, default=None
        Overall accuracy, drawn as a line; ``None``: no line.

    Attributes
    ----------
    bars_ : matplotlib.container.BarContainer
        The n_genres bars; their widths are ``genre_accuracy``.
    ax_ : matplotlib.axes.Axes
        The Axes drawn on.
    figure_ : matplotlib.figure.Figure
        Its Figure.

    See Also
    --------
    GenreConfusionMatrixDisplay : The full confusion matrix.

    Examples
    --------
    >>> from sk_genre.evaluation import GenreAccuracyDisplay
    >>> display = GenreAccuracyDisplay.from_predictions(
    ...     ["jazz", "jazz", "rock"], ["jazz", "rock", "rock"])
    >>> [float(bar.get_width()) for bar in display.bars_]
    [0.5, 1.0]
    """

    def __init__(self, genre_accuracy, *, support=None, display_labels=None, accuracy=None):
        self.genre_accuracy = genre_accuracy
        self.support = support
        self.display_labels = display_labels
        self.accuracy = accuracy

    def plot(self, *, ax=None, color="tab:blue"):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib.axes.Axes or None, default=None
            Axes to draw on; ``None``: a new pyplot figure, 7 inches wide and
            tall enough for the genres.
        color : str, default="tab:blue"
            Colour of the bars.

        Returns
        -------
        display : GenreAccuracyDisplay
            ``self``.

        Raises
        ------
        ImportError
            matplotlib is not installed.
        """
        import_pyplot()
        from matplotlib.ticker import PercentFormatter

        accuracy = np.asarray(self.genre_accuracy, dtype=float)
        n_genres = accuracy.shape[0]
        labels = (
            [str(g) for g in self.display_labels]
            if self.display_labels is not None
            else [str(k) for k in range(n_genres)]
        )
        ax = new_axes(ax, _accuracy_size(n_genres))
        positions = np.arange(n_genres)
        self.bars_ = ax.barh(positions, accuracy, height=0.7, color=color, alpha=0.85)
        if self.support is None:
            texts = ["" if np.isnan(a) else f"{a:.0%}" for a in accuracy]
            empty = np.isnan(accuracy)
        else:
            support = np.asarray(self.support)
            texts = [
                "" if n == 0 else f"{a:.0%} ({round(a * n)}/{n})"
                for a, n in zip(accuracy, support, strict=True)
            ]
            empty = support == 0
        ax.bar_label(self.bars_, labels=texts, padding=3, fontsize="small")
        for position in positions[empty]:  # NaN bars get no bar label
            ax.annotate(
                "no tracks",
                (0, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
                color="0.4",
            )
        if self.accuracy is not None:
            ax.axvline(
                self.accuracy, color="tab:orange", lw=2, label=f"overall {self.accuracy:.1%}"
            )
        if n_genres:
            ax.axvline(
                1 / n_genres, color="0.3", lw=1.5, ls="--", label=f"chance {1 / n_genres:.1%}"
            )
        ax.set_yticks(positions, labels)
        ax.set_ylim(n_genres - 0.5, -0.5)  # first genre on top
        ax.set_xlim(0, 1.22)  # room for the labels of full bars
        ax.set_xticks(np.linspace(0, 1, 6))
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1, decimals=0))
        ax.set_xlabel("Tracks of the genre predicted right (recall)")
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        # legend between the title and the axes: never over a bar or its label
        ax.legend(
            loc="lower center",
            bbox_to_anchor=(0.5, 1.0),
            ncols=2,
            frameon=False,
            fontsize="small",
            borderaxespad=0.2,
        )
        n_tracks = "" if self.support is None else f" ({int(np.sum(self.support))} tracks)"
        ax.set_title(f"Accuracy per genre{n_tracks}", pad=24)
        self.ax_, self.figure_ = ax, ax.figure
        return self

    @classmethod
    @fill_doc
    def from_evaluation(cls, result, *, ax=None, color="tab:blue"):
        """Draw the per-genre accuracy of an evaluation.

        Parameters
        ----------
        %(result)s
        ax, color
            See :meth:`plot`.

        Returns
        -------
        display : GenreAccuracyDisplay

        Raises
        ------
        TypeError
            ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
        ImportError
            matplotlib is not installed.
        """
        _check_result(result)
        display = cls(
            result.genre_accuracy,
            support=np.asarray(result.confusion_matrix).sum(axis=1),
            display_labels=result.labels,
            accuracy=result.accuracy,
        )
        return display.plot(ax=ax, color=color)

    @classmethod
    @fill_doc
    def from_predictions(cls, y_true, y_pred, *, labels=None, ax=None, color="tab:blue"):
        """Compute each genre's accuracy from predicted genres and draw it.

        Parameters
        ----------
        %(y_true_y_pred)s
        labels : array-like of shape (n_genres,) or None, default=None
            Genres, top to bottom; ``None``: every genre of ``y_true`` or
            ``y_pred``, sorted.
        ax, color
            See :meth:`plot`.

        Returns
        -------
        display : GenreAccuracyDisplay

        Raises
        ------
        ValueError
            ``y_true`` and ``y_pred`` differ in length or are empty.
        ImportError
            matplotlib is not installed.
        """
        import_pyplot()
        result = evaluate_predictions(y_true, y_pred, labels=labels)
        return cls.from_evaluation(result, ax=ax, color=color)

    @classmethod
    @fill_doc
    def from_estimator(cls, estimator, X, y, *, labels=None, ax=None, color="tab:blue"):
        """Predict the genre of each track with ``estimator`` and draw each genre's accuracy.

        Parameters
        ----------
        %(estimator_predict)s
        %(X_predict)s
        %(y_true_tracks)s
        %(labels_estimator)s
        ax, color
            See :meth:`plot`.

        Returns
        -------
        display : GenreAccuracyDisplay
        """
        import_pyplot()
        return cls.from_evaluation(evaluate(estimator, X, y, labels=labels), ax=ax, color=color)


def _find_history(source):
    """The per-epoch history dict of ``source``; ValueError when there is none."""
    if isinstance(source, Mapping):
        history = source
    elif isinstance(source, GenreEvaluation):
        history = source.history
    elif isinstance(getattr(source, "history", None), Mapping):  # keras.callbacks.History
        history = source.history
    elif source is not None and (hasattr(source, "steps") or hasattr(source, "history_")):
        history = _history(source)
    else:
        history = None
    if not history:
        raise ValueError(
            "history must be a dict of per-epoch curves (keras History.history, a scikeras "
            "history_), an estimator or Pipeline whose last step has history_, or a "
            "GenreEvaluation of a network; got "
            + (
                "an empty history"
                if history is not None
                else f"{type(source).__name__} without a training history"
            )
        )
    return {str(k): np.asarray(v, dtype=float).ravel() for k, v in dict(history).items()}


def _history_or_none(result, estimator):
    """History of the evaluation, else of the estimator, else None."""
    for source in (result, estimator):
        if source is None:
            continue
        try:
            return _find_history(source)
        except ValueError:
            continue
    return None


class TrainingCurveDisplay:
    """Loss and accuracy per epoch, training and hold-out, side by side.

    The ``val_*`` curves of sk_genre's networks come from the early-stopping
    hold-out, a part of the *training* tracks (same artists unless ``groups``
    was given to ``fit``): they are labelled "hold-out", not to be confused
    with an artist-aware validation split. Create it with
    :meth:`from_estimator`, :meth:`from_history` or :meth:`from_evaluation`.

    Parameters
    ----------
    history : dict of str to array-like of float
        Per-epoch values keyed as Keras logs them: ``loss``, ``accuracy``
        (also ``acc``, ``sparse_categorical_accuracy``, ...) and, with a
        validation split, ``val_loss``, ``val_accuracy``. Other keys (e.g.
        ``learning_rate``) are ignored.

    Attributes
    ----------
    lines_ : dict of str to dict of str to matplotlib.lines.Line2D
        ``lines_["loss"]`` and ``lines_["accuracy"]``, each mapping
        ``"training"`` and (when recorded) ``"hold-out"`` to its curve; x is
        the epoch, counted from 1.
    ax_ : ndarray of shape (2,) of matplotlib.axes.Axes
        The loss Axes, then the accuracy Axes.
    figure_ : matplotlib.figure.Figure
        Their Figure.

    Examples
    --------
    >>> from sk_genre.evaluation import TrainingCurveDisplay
    >>> history = {"loss": [1.2, 0.8, 0.6], "accuracy": [0.5, 0.7, 0.8],
    ...            "val_loss": [1.3, 1.0, 0.9], "val_accuracy": [0.4, 0.6, 0.65]}
    >>> display = TrainingCurveDisplay.from_history(history)
    >>> list(display.lines_["accuracy"])
    ['training', 'hold-out']
    """

    def __init__(self, history):
        self.history = history

    @fill_doc
    def plot(self, *, ax=None):
        """Draw the loss and the accuracy curves.

        Parameters
        ----------
        %(ax_two)s

        Returns
        -------
        display : TrainingCurveDisplay
            ``self``.

        Raises
        ------
        ValueError
            ``history`` holds no curve (no ``loss`` and no accuracy key), or
            ``ax`` is not two Axes.
        ImportError
            matplotlib is not installed.
        """
        curves = _find_history(self.history)
        acc_key = next((k for k in _ACCURACY_KEYS if k in curves), None)
        if "loss" not in curves and acc_key is None:
            raise ValueError(
                "history must hold a 'loss' or an accuracy curve "
                f"({', '.join(_ACCURACY_KEYS)}); got keys {sorted(curves)}"
            )
        import_pyplot()
        from matplotlib.ticker import MaxNLocator, PercentFormatter

        axes = np.asarray(new_axes(ax, _HISTORY_SIZE, ncols=2), dtype=object).ravel()
        if axes.shape != (2,):
            raise ValueError(f"ax must be 2 Axes (loss, accuracy); got {axes.shape[0]}")
        self.lines_ = {}
        for ax_, (panel, key, name) in zip(
            axes, [("loss", "loss", "Loss"), ("accuracy", acc_key, "Accuracy")], strict=True
        ):
            lines = self.lines_[panel] = {}
            for prefix, label, style in (("", "training", "-"), ("val_", "hold-out", "--")):
                values = curves.get(prefix + key) if key is not None else None
                if values is None or values.size == 0:
                    continue
                (lines[label],) = ax_.plot(
                    np.arange(1, values.size + 1),
                    values,
                    style,
                    marker="o" if values.size <= 30 else None,
                    markersize=3,
                    lw=1.8,
                    label=label,
                )
            ax_.set_title(name)
            if not lines:
                ax_.text(
                    0.5,
                    0.5,
                    f"no {name.lower()} recorded",
                    ha="center",
                    va="center",
                    transform=ax_.transAxes,
                    color="0.4",
                )
                ax_.set_xticks([])
                ax_.set_yticks([])
                continue
            ax_.set_xlabel("Epoch")
            ax_.set_ylabel(name if key in ("loss", "accuracy") else f"{name} ({key})")
            ax_.xaxis.set_major_locator(MaxNLocator(integer=True))
            if key != "loss":
                ax_.yaxis.set_major_formatter(PercentFormatter(xmax=1))
            ax_.grid(alpha=0.3)
            ax_.legend()
        self.ax_, self.figure_ = axes, axes[0].figure
        return self

    @classmethod
    @fill_doc
    def from_history(cls, history, *, ax=None):
        """Draw training curves given as Keras records them.

        Parameters
        ----------
        history : dict of str to list of float, keras.callbacks.History, estimator, \
Pipeline or GenreEvaluation
            Per-epoch curves (``History.history``, scikeras ``history_``), or
            anything that carries them: a :class:`keras.callbacks.History`, a
            fitted network or Pipeline whose last step has ``history_``, a
            :class:`~sk_genre.evaluation.GenreEvaluation` with ``history``.
        %(ax_two)s

        Returns
        -------
        display : TrainingCurveDisplay

        Raises
        ------
        ValueError
            ``history`` carries no training curve.
        ImportError
            matplotlib is not installed.
        """
        return cls(_find_history(history)).plot(ax=ax)

    @classmethod
    @fill_doc
    def from_estimator(cls, estimator, *, ax=None):
        """Draw the training curves of a fitted network (or a Pipeline ending in one).

        Parameters
        ----------
        estimator : fitted estimator or Pipeline
            It, or a pipeline's last step, has ``history_`` (sk_genre's and
            scikeras' networks).
        %(ax_two)s

        Returns
        -------
        display : TrainingCurveDisplay

        Raises
        ------
        ValueError
            ``estimator`` has no training history.
        """
        return cls.from_history(estimator, ax=ax)

    @classmethod
    @fill_doc
    def from_evaluation(cls, result, *, ax=None):
        """Draw the training curves kept with an evaluation (``result.history``).

        Parameters
        ----------
        %(result)s
            Of a network: it keeps the training history.
        %(ax_two)s

        Returns
        -------
        display : TrainingCurveDisplay

        Raises
        ------
        TypeError
            ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
        ValueError
            ``result`` has no training history.
        """
        _check_result(result)
        return cls.from_history(result, ax=ax)


@fill_doc
def save_evaluation_plots(result, directory, *, estimator=None, track=None, sr=22050, dpi=100):
    """Write the plots of an evaluation as PNG files.

    Files written to ``directory`` (created if missing; existing files of
    these names are replaced, atomically):

    * ``confusion_matrix.png``: :class:`GenreConfusionMatrixDisplay` (row-normalised);
    * ``genre_accuracy.png``: :class:`GenreAccuracyDisplay`;
    * ``history.png``: :class:`TrainingCurveDisplay`, only when
      ``result.history`` or ``estimator`` (or a pipeline's last step) has
      training curves.

    The figures are not pyplot figures: files are written on headless
    machines without a GUI backend, and nothing is left open in pyplot's
    figure registry, however many evaluations a loop writes.

    Parameters
    ----------
    %(result)s
    directory : str or os.PathLike
        Output folder.
    estimator : estimator, Pipeline or None, default=None
        The evaluated model; its ``history_`` is used when ``result`` has no
        history.
    track : str, os.PathLike, array-like of shape (n_samples,) or None, default=None
        Deprecated: use :func:`sk_genre.display.save_audio_plots`, which
        writes ``waveform.png`` and ``mel_spectrogram.png`` of a clip. Given,
        they are still written here (with a FutureWarning) until the next
        release.
    sr : int, default=22050
        Sampling rate of ``track`` in Hz.
    %(dpi)s

    Returns
    -------
    paths : dict of str to pathlib.Path
        Plot name (``"confusion_matrix"``, ``"genre_accuracy"``,
        ``"history"``) to the file written; plots skipped are absent.

    Raises
    ------
    TypeError
        ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
    ImportError
        matplotlib is not installed.

    See Also
    --------
    sk_genre.display.save_audio_plots : Waveform and spectrogram of a clip as PNG files.

    Examples
    --------
    >>> from sk_genre.evaluation import evaluate, save_evaluation_plots
    >>> result = evaluate(pipe, X_valid, y_valid)  # doctest: +SKIP
    >>> save_evaluation_plots(result, "plots/", estimator=pipe)  # doctest: +SKIP
    {'confusion_matrix': PosixPath('plots/confusion_matrix.png'), ...}
    """
    _check_result(result)
    import_pyplot()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}

    def save(name, figure):
        paths[name] = save_figure(figure, directory / f"{name}.png", dpi=dpi)

    display = GenreConfusionMatrixDisplay.from_evaluation(result, ax=headless_axes(_CONFUSION_SIZE))
    save("confusion_matrix", display.figure_)
    display = GenreAccuracyDisplay.from_evaluation(
        result, ax=headless_axes(_accuracy_size(len(result.labels)))
    )
    save("genre_accuracy", display.figure_)
    history = _history_or_none(result, estimator)
    if history is not None:
        display = TrainingCurveDisplay(history).plot(ax=headless_axes(_HISTORY_SIZE, ncols=2))
        save("history", display.figure_)
    if track is not None:
        warnings.warn(
            "save_evaluation_plots(track=...) is deprecated and will be removed in the next "
            "release: use sk_genre.display.save_audio_plots(track, directory) for the "
            "waveform and mel spectrogram",
            FutureWarning,
            stacklevel=2,
        )
        from ..display import save_audio_plots  # the only path from evaluation to audio

        paths.update(save_audio_plots(track, directory, sr=sr, dpi=dpi))
    return paths
