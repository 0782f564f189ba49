"""Plots of an evaluation: confusion matrix, per-genre accuracy, training curves, audio.

matplotlib is an optional dependency (``pip install "sk_genre[plot]"``): it is
imported inside the functions, never when :mod:`sk_genre` or
:mod:`sk_genre.evaluation` is imported. Every function draws on the Axes it is
given, or on a new :class:`matplotlib.figure.Figure` (no pyplot figure
manager, so no GUI backend is needed: headless servers and CI work, and
nothing has to be closed). Reach the figure through ``ax.figure``.
"""

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .._atomic import atomic_path
from ..io import load_clip
from ._report import GenreEvaluation, _history

__all__ = [
    "plot_confusion_matrix",
    "plot_genre_accuracy",
    "plot_history",
    "plot_mel_spectrogram",
    "plot_waveform",
    "save_evaluation_plots",
]

_INSTALL_HINT = 'pip install "sk_genre[plot]"'

# Keras/scikeras names of the accuracy metric, most common first
_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "sparse_categorical_accuracy",
    "categorical_accuracy",
    "binary_accuracy",
)


def _import_matplotlib():
    """Import matplotlib or raise an ImportError that says how to install it."""
    try:
        import matplotlib  # noqa: F401
        import matplotlib.figure
    except ImportError as exc:
        raise ImportError(
            f"plotting needs matplotlib, an optional dependency of sk_genre: {_INSTALL_HINT}"
        ) from exc
    return matplotlib


def _import_librosa_display():
    _import_matplotlib()
    import librosa.display

    return librosa.display


def _new_axes(figsize):
    """One Axes on a new pyplot-free Figure with constrained layout."""
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained").add_subplot()


def _check_result(result):
    if not isinstance(result, GenreEvaluation):
        raise TypeError(
            "result must be a GenreEvaluation (from sk_genre.evaluation.evaluate or "
            f"evaluate_predictions); got {type(result).__name__}"
        )


def plot_confusion_matrix(result, *, normalize="true", ax=None, cmap="Blues"):
    """Draw the track-level confusion matrix of an evaluation.

    Rows are true genres, columns predicted genres, in the order of
    ``result.labels``. The title gives the accuracy and the number of tracks.
    Cells that are exactly zero are left blank (their colour already says 0),
    so the errors stand out among 10 genres.

    Parameters
    ----------
    result : GenreEvaluation
        From :func:`~sk_genre.evaluation.evaluate` or
        :func:`~sk_genre.evaluation.evaluate_predictions`.
    normalize : {"true", "pred", "all"} or None, default="true"
        As in :func:`sklearn.metrics.confusion_matrix`: divide each row by the
        genre's track count (``"true"``: the diagonal is each genre's
        accuracy), each column by the predictions of that genre (``"pred"``),
        or everything by the number of tracks (``"all"``); ``None`` shows
        track counts. Rows or columns with no track show 0. Normalized cells
        share the colour scale 0 to 1, so two matrices can be compared.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new Figure (8 x 6.5 inches).
    cmap : str or matplotlib.colors.Colormap, default="Blues"
        Colormap of the cells.

    Returns
    -------
    display : sklearn.metrics.ConfusionMatrixDisplay
        ``display.ax_`` is the Axes, ``display.figure_`` its Figure,
        ``display.im_`` the image of the matrix of shape (n_genres, n_genres)
        (the normalized one when ``normalize`` is set).

    Raises
    ------
    TypeError
        ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
    ValueError
        ``normalize`` is not one of the accepted values.
    ImportError
        matplotlib is not installed.

    See Also
    --------
    plot_genre_accuracy : The diagonal of the row-normalized matrix as bars.

    References
    ----------
    .. [1] :class:`sklearn.metrics.ConfusionMatrixDisplay`, which draws the
       matrix.

    Examples
    --------
    >>> from sk_genre.evaluation import evaluate_predictions
    >>> from sk_genre.evaluation._plots import plot_confusion_matrix
    >>> result = evaluate_predictions(["jazz", "jazz", "rock"], ["jazz", "rock", "rock"])
    >>> display = plot_confusion_matrix(result)
    >>> display.im_.get_array().tolist()
    [[0.5, 0.5], [0.0, 1.0]]
    >>> display.figure_.savefig("confusion_matrix.png")  # doctest: +SKIP
    """
    _check_result(result)
    if normalize not in ("true", "pred", "all", None):
        raise ValueError(f'normalize must be "true", "pred", "all" or None; got {normalize!r}')
    _import_matplotlib()
    from sklearn.metrics import ConfusionMatrixDisplay

    counts = np.asarray(result.confusion_matrix)
    matrix = _normalize(counts, normalize)
    if ax is None:
        ax = _new_axes((8, 6.5))
    display = ConfusionMatrixDisplay(confusion_matrix=matrix, display_labels=result.labels)
    display.plot(
        ax=ax,
        cmap=cmap,
        values_format="d" if normalize is None else ".2f",
        colorbar=True,
        im_kw={} if normalize is None else {"vmin": 0.0, "vmax": 1.0},
    )
    for text, value in zip(display.text_.ravel(), matrix.ravel(), strict=True):
        if value == 0:
            text.set_text("")
    ax.set_xlabel("Predicted genre")
    ax.set_ylabel("True genre")
    for label in ax.get_xticklabels():
        label.set(rotation=45, ha="right", rotation_mode="anchor")
    what = {
        None: "track counts",
        "true": "fraction of each true genre",
        "pred": "fraction of each predicted genre",
        "all": "fraction of all tracks",
    }[normalize]
    ax.set_title(
        f"Confusion matrix ({what})\naccuracy {result.accuracy:.1%} on {len(result.y_true)} tracks"
    )
    return display


def _normalize(counts, normalize):
    """Confusion counts normalized as :func:`sklearn.metrics.confusion_matrix` does."""
    if normalize is None:
        return counts
    counts = counts.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            matrix = counts / counts.sum(axis=1, keepdims=True)
        elif normalize == "pred":
            matrix = counts / counts.sum(axis=0, keepdims=True)
        else:
            matrix = counts / counts.sum()
    return np.nan_to_num(matrix)


def plot_genre_accuracy(result, *, ax=None):
    """Draw each genre's accuracy (recall) as a horizontal bar.

    One bar per genre, in the order of ``result.labels`` from top to bottom,
    labelled with the accuracy and ``correct/tracks``. A solid line marks the
    overall accuracy and a dashed line chance level, ``1 / n_genres`` (a
    classifier that guesses uniformly). A genre with no true track has no bar
    and is labelled "no tracks".

    Parameters
    ----------
    result : GenreEvaluation
        From :func:`~sk_genre.evaluation.evaluate` or
        :func:`~sk_genre.evaluation.evaluate_predictions`.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new Figure.

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.patches`` holds the n_genres bars, whose widths are
        ``result.genre_accuracy`` (fractions in [0, 1]).

    Raises
    ------
    TypeError
        ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> from sk_genre.evaluation import evaluate_predictions
    >>> from sk_genre.evaluation._plots import plot_genre_accuracy
    >>> result = evaluate_predictions(["jazz", "jazz", "rock"], ["jazz", "rock", "rock"])
    >>> ax = plot_genre_accuracy(result)
    >>> [float(bar.get_width()) for bar in ax.patches]
    [0.5, 1.0]
    """
    _check_result(result)
    _import_matplotlib()
    from matplotlib.ticker import PercentFormatter

    labels = [str(g) for g in result.labels]
    accuracy = np.asarray(result.genre_accuracy, dtype=float)
    support = np.asarray(result.confusion_matrix).sum(axis=1)
    correct = np.diag(np.asarray(result.confusion_matrix))
    n_genres = len(labels)
    if ax is None:
        ax = _new_axes((7, 1.2 + 0.42 * n_genres))

    positions = np.arange(n_genres)
    bars = ax.barh(positions, accuracy, height=0.7, color="tab:blue", alpha=0.85)
    ax.bar_label(
        bars,
        labels=[
            "" if n == 0 else f"{a:.0%} ({c}/{n})"
            for a, c, n in zip(accuracy, correct, support, strict=True)
        ],
        padding=3,
        fontsize="small",
    )
    for position in positions[support == 0]:  # NaN bars get no bar label
        ax.annotate(
            "no tracks",
            (0, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize="small",
            color="0.4",
        )
    ax.axvline(result.accuracy, color="tab:orange", lw=2, label=f"overall {result.accuracy:.1%}")
    if n_genres:
        ax.axvline(1 / n_genres, color="0.3", lw=1.5, ls="--", label=f"chance {1 / n_genres:.1%}")
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
    ax.set_title(f"Accuracy per genre ({len(result.y_true)} tracks)", pad=24)
    return ax


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


def plot_history(history, *, axes=None):
    """Draw loss and accuracy per epoch, training and hold-out, side by side.

    The ``val_*`` curves of sk_genre's networks come from the early-stopping
    hold-out, a part of the *training* tracks (same artists unless ``groups``
    was given to ``fit``): they are labelled "hold-out", not to be confused
    with an artist-aware validation split.

    Parameters
    ----------
    history : dict of str to list of float, estimator, Pipeline or GenreEvaluation
        Per-epoch values keyed as Keras logs them: ``loss``, ``accuracy``
        (also ``acc``, ``sparse_categorical_accuracy``, ...) and, with a
        validation split, ``val_loss``, ``val_accuracy``. Accepted: such a
        dict (``keras.callbacks.History.history``, scikeras ``history_``), a
        :class:`keras.callbacks.History`, a fitted network or Pipeline whose
        last step has ``history_``, or a
        :class:`~sk_genre.evaluation.GenreEvaluation` with ``history``.
        Other keys (e.g. ``learning_rate``) are ignored.
    axes : sequence of 2 matplotlib.axes.Axes or None, default=None
        Axes for the loss and the accuracy; ``None`` creates a new Figure with
        two side by side.

    Returns
    -------
    axes : ndarray of shape (2,) of matplotlib.axes.Axes
        The loss Axes, then the accuracy Axes. Each has one line per curve
        (training first, then hold-out when present); x is the epoch,
        counted from 1.

    Raises
    ------
    ValueError
        ``history`` holds no curve (no ``loss`` and no accuracy key), or
        ``axes`` is not two Axes.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> from sk_genre.evaluation._plots import plot_history
    >>> history = {"loss": [1.2, 0.8, 0.6], "accuracy": [0.5, 0.7, 0.8],
    ...            "val_loss": [1.3, 1.0, 0.9], "val_accuracy": [0.4, 0.6, 0.65]}
    >>> ax_loss, ax_acc = plot_history(history)
    >>> [line.get_label() for line in ax_acc.get_lines()]
    ['training', 'hold-out']
    """
    curves = _find_history(history)
    acc_key = next((k for k in _ACCURACY_KEYS if k in curves), None)
    panels = [("loss", "Loss"), (acc_key, "Accuracy")]
    if "loss" not in curves and acc_key is None:
        raise ValueError(
            "history must hold a 'loss' or an accuracy curve "
            f"({', '.join(_ACCURACY_KEYS)}); got keys {sorted(curves)}"
        )
    _import_matplotlib()
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    if axes is None:
        from matplotlib.figure import Figure

        axes = Figure(figsize=(11, 4), layout="constrained").subplots(1, 2)
    axes = np.asarray(axes, dtype=object).ravel()
    if axes.shape != (2,):
        raise ValueError(f"axes must be 2 Axes (loss, accuracy); got {axes.shape[0]}")

    for ax, (key, name) in zip(axes, panels, strict=True):
        drawn = False
        for prefix, label, style in (("", "training", "-"), ("val_", "hold-out", "--")):
            values = curves.get(prefix + key) if key is not None else None
            if values is None or values.size == 0:
                continue
            epochs = np.arange(1, values.size + 1)
            ax.plot(
                epochs,
                values,
                style,
                marker="o" if values.size <= 30 else None,
                markersize=3,
                lw=1.8,
                label=label,
            )
            drawn = True
        ax.set_title(name)
        if not drawn:
            ax.text(
                0.5,
                0.5,
                f"no {name.lower()} recorded",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="0.4",
            )
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        ax.set_xlabel("Epoch")
        ax.set_ylabel(name if key in ("loss", "accuracy") else f"{name} ({key})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if key != "loss":
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=1))
        ax.grid(alpha=0.3)
        ax.legend()
    return axes


def _title_of(audio, title, what):
    if title is not None:
        return title
    if isinstance(audio, (str, os.PathLike)):
        return f"{what}: {Path(audio).name}"
    return what


def plot_waveform(audio, *, sr=22050, ax=None, title=None):
    """Draw the waveform of a clip against time in seconds.

    Parameters
    ----------
    audio : str, os.PathLike or array-like of shape (n_samples,)
        An audio file (decoded and resampled to ``sr`` Hz with
        :func:`sk_genre.io.load_audio`) or a mono waveform sampled at ``sr``
        Hz.
    sr : int, default=22050
        Sampling rate in Hz.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new Figure (10 x 3 inches).
    title : str or None, default=None
        Axes title; ``None``: "Waveform" and the file's name.

    Returns
    -------
    ax : matplotlib.axes.Axes
        x runs from 0 to the duration, ``n_samples / sr`` seconds.

    Raises
    ------
    AudioDecodeError
        ``audio`` is a path that cannot be decoded.
    ValueError
        ``audio`` is an empty, non-1-D or non-finite waveform.
    ImportError
        matplotlib is not installed.

    References
    ----------
    .. [1] :func:`librosa.display.waveshow` (librosa 0.11), which draws it.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.evaluation._plots import plot_waveform
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> ax = plot_waveform(y, sr=22050)
    >>> [float(x) for x in ax.get_xlim()]  # seconds
    [0.0, 1.0]
    """
    display = _import_librosa_display()
    y = load_clip(audio, sr=sr)
    if ax is None:
        ax = _new_axes((10, 3))
    display.waveshow(y, sr=sr, ax=ax, axis="s", color="tab:blue")
    ax.set_xlim(0.0, y.shape[0] / sr)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Amplitude")
    ax.set_title(_title_of(audio, title, "Waveform"))
    return ax


def plot_mel_spectrogram(
    audio, *, sr=22050, n_mels=128, n_fft=2048, hop_length=512, ax=None, title=None
):
    """Draw the log-mel spectrogram of a clip in dB, with a colorbar.

    Values are ``librosa.power_to_db(S, ref=np.max)`` of the mel power
    spectrogram ``S``: 0 dB is the loudest cell of the clip, floored at
    -80 dB. (:class:`~sk_genre.MelChunker` feeds the network absolute dB,
    without the per-clip reference; the picture is the same up to a shift.)

    Parameters
    ----------
    audio : str, os.PathLike or array-like of shape (n_samples,)
        An audio file (decoded and resampled to ``sr`` Hz with
        :func:`sk_genre.io.load_audio`) or a mono waveform sampled at ``sr``
        Hz.
    sr : int, default=22050
        Sampling rate in Hz.
    n_mels : int, default=128
        Mel bands.
    n_fft : int, default=2048
        FFT window in samples.
    hop_length : int, default=512
        Hop between frames in samples.
    ax : matplotlib.axes.Axes or None, default=None
        Axes to draw on; ``None`` creates a new Figure (10 x 4 inches).
    title : str or None, default=None
        Axes title; ``None``: "Log-mel spectrogram" and the file's name.

    Returns
    -------
    ax : matplotlib.axes.Axes
        ``ax.collections[0]`` is the image; its array has shape
        (n_mels, n_frames) with ``n_frames = 1 + n_samples // hop_length``.
        x is time in seconds, y frequency in Hz on the mel scale.

    Raises
    ------
    AudioDecodeError
        ``audio`` is a path that cannot be decoded.
    ValueError
        ``audio`` is an empty, non-1-D or non-finite waveform.
    ImportError
        matplotlib is not installed.

    References
    ----------
    .. [1] :func:`librosa.feature.melspectrogram`, :func:`librosa.power_to_db`
       and :func:`librosa.display.specshow` (librosa 0.11).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.evaluation._plots import plot_mel_spectrogram
    >>> y = np.sin(2 * np.pi * 440 * np.arange(22050) / 22050)
    >>> ax = plot_mel_spectrogram(y, sr=22050)
    >>> ax.collections[0].get_array().shape
    (128, 44)
    """
    display = _import_librosa_display()
    import librosa

    y = load_clip(audio, sr=sr)
    mel = librosa.feature.melspectrogram(
        y=y, sr=sr, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels
    )
    mel_db = librosa.power_to_db(mel, ref=np.max)
    if ax is None:
        ax = _new_axes((10, 4))
    image = display.specshow(
        mel_db,
        sr=sr,
        hop_length=hop_length,
        n_fft=n_fft,
        x_axis="s",
        y_axis="mel",
        ax=ax,
        cmap="magma",
    )
    ax.figure.colorbar(image, ax=ax, format="%+2.0f dB", label="Level (dB re max)")
    ax.set_xlabel("Time (s)")
    ax.set_ylabel("Frequency (Hz, mel scale)")
    ax.set_title(_title_of(audio, title, "Log-mel spectrogram"))
    return ax


def save_evaluation_plots(result, directory, *, estimator=None, track=None, sr=22050, dpi=100):
    """Write the plots of an evaluation as PNG files.

    Files written to ``directory`` (created if missing; existing files of
    these names are overwritten):

    * ``confusion_matrix.png``: :func:`plot_confusion_matrix` (row-normalized);
    * ``genre_accuracy.png``: :func:`plot_genre_accuracy`;
    * ``history.png``: :func:`plot_history`, only when ``result.history`` or
      ``estimator`` (or a pipeline's last step) has training curves;
    * ``waveform.png`` and ``mel_spectrogram.png``: :func:`plot_waveform` and
      :func:`plot_mel_spectrogram` of ``track``, only when it is given.

    Parameters
    ----------
    result : GenreEvaluation
        From :func:`~sk_genre.evaluation.evaluate` or
        :func:`~sk_genre.evaluation.evaluate_predictions`.
    directory : str or os.PathLike
        Output folder.
    estimator : estimator, Pipeline or None, default=None
        The evaluated model; its ``history_`` is used when ``result`` has no
        history.
    track : str, os.PathLike, array-like of shape (n_samples,) or None, default=None
        An example clip (a path or a waveform at ``sr`` Hz) to draw.
    sr : int, default=22050
        Sampling rate of ``track`` in Hz.
    dpi : int, default=100
        Resolution of the PNG files in dots per inch.

    Returns
    -------
    paths : dict of str to pathlib.Path
        Plot name (``"confusion_matrix"``, ``"genre_accuracy"``,
        ``"history"``, ``"waveform"``, ``"mel_spectrogram"``) to the file
        written; plots skipped are absent.

    Raises
    ------
    TypeError
        ``result`` is not a :class:`~sk_genre.evaluation.GenreEvaluation`.
    AudioDecodeError
        ``track`` is a path that cannot be decoded.
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> from sk_genre.evaluation import evaluate
    >>> from sk_genre.evaluation._plots import save_evaluation_plots
    >>> result = evaluate(pipe, X_valid, y_valid)  # doctest: +SKIP
    >>> save_evaluation_plots(result, "plots/", estimator=pipe,
    ...                       track="blues.00000.ogg")  # doctest: +SKIP
    {'confusion_matrix': PosixPath('plots/confusion_matrix.png'), ...}
    """
    _check_result(result)
    _import_matplotlib()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}

    def save(name, figure):
        path = directory / f"{name}.png"
        with atomic_path(path) as tmp:  # a full disk leaves the old PNG, no partial one
            figure.savefig(tmp, dpi=dpi, format="png")
        figure.clear()  # pyplot-free figures are freed with their last reference
        paths[name] = path

    save("confusion_matrix", plot_confusion_matrix(result).figure_)
    save("genre_accuracy", plot_genre_accuracy(result).figure)
    history = _history_or_none(result, estimator)
    if history is not None:
        save("history", plot_history(history)[0].figure)
    if track is not None:
        save("waveform", plot_waveform(track, sr=sr).figure)
        save("mel_spectrogram", plot_mel_spectrogram(track, sr=sr).figure)
    return paths
