"""Parameter paragraphs shared by several public docstrings, written once.

A docstring names a shared paragraph by a line holding only ``%(name)s``
(indented like a parameter line of its section); :func:`fill_doc` replaces
that line, when the module is imported, by the paragraph of :data:`PARAMETERS`
at the same indentation, as imbalanced-learn's ``Substitution`` does. Lines
indented deeper right after a placeholder continue its description::

    Parameters
    ----------
    %(sr)s
    %(n_fft)s
        Also the frame length of ZCR and RMS.

In a paragraph, ``$default`` is the default of the parameter in the signature
of the decorated object (``"raise"``, ``(64,)``, ``None`` as numpydoc writes
them), so the documented default cannot drift from the code; other
``$fields`` are given to the decorator: ``@fill_doc(rows="chunks")``.

The API site reads docstrings by static analysis; ``docs/_hooks/griffe_fill_doc.py``
(a griffe extension) gives it the filled text. Not public.
"""

import inspect
import re
import string

__all__ = ["GROUPS", "PARAMETERS", "fill_doc"]

_PLACEHOLDER = re.compile(r"^(?P<indent>[ \t]*)%\((?P<name>\w+)\)s[ \t]*$", re.MULTILINE)

# fmt: off
#: Shared numpydoc parameter entries, dedented: ``name : type`` then a 4-space description.
PARAMETERS = {
    # ------------------------------------------------ audio and spectrogram parameters
    "sr": """\
sr : int, default=$default
    Sampling rate in Hz. Files are resampled to it; waveforms given as
    arrays must already be sampled at it.""",
    "n_fft": """\
n_fft : int, default=$default
    FFT window length in samples.""",
    "hop_length": """\
hop_length : int, default=$default
    Hop between STFT frames in samples.""",
    "n_mels": """\
n_mels : int, default=$default
    Number of mel bands.""",
    "fmin": """\
fmin : float, default=$default
    Lowest mel band edge in Hz.""",
    "fmax": """\
fmax : float or None, default=$default
    Highest mel band edge in Hz; ``None`` means ``sr / 2``.""",
    "stats": """\
stats : tuple of str, default=$default
    Statistics over frames, from ``"mean", "std", "var", "min", "max",
    "median"``.""",
    "chunk_duration": """\
chunk_duration : float, default=$default
    Chunk length in seconds.""",
    "chunk_hop": """\
chunk_hop : float, default=$default
    Seconds between chunk starts.""",
    # ------------------------------------------------ clip-wise transformers
    "n_jobs": """\
n_jobs : int or None, default=$default
    Clips processed in parallel by joblib (``None``: 1 unless inside a
    :func:`joblib.parallel_config` context; ``-1``: all cores).""",
    "memory": """\
memory : str, os.PathLike, joblib.Memory or None, default=$default
    Cache of per-clip results (a folder or a :class:`joblib.Memory`),
    keyed by the file's bytes (or the waveform's samples), the parameters
    and the sk_genre version: a rerun on the same files only reads the
    cache. ``None``: no caching. The folder is kept as given: a relative
    one is resolved against the working directory of each call, also in a
    pipeline saved and loaded elsewhere (give an absolute path to keep one
    cache; ``sk-genre train --memory`` stores it absolute).""",
    "verbose_clips": """\
verbose : int, default=$default
    ``1``: show a progress bar for batches that take longer than a few
    seconds; ``0`` (scikit-learn's default) is silent.""",
    "on_error": """\
on_error : {"raise", "skip", "warn"}, default=$default
    What ``transform`` does with a clip that cannot be read (missing,
    empty or corrupt file, a waveform with NaN ...): ``"raise"`` its
    error, naming the file; ``"skip"`` give it a row of NaN
    (scikit-learn's missing-value marker) and record the error in
    ``errors_``; ``"warn"`` the same and warn once per call, naming each
    clip. ``kept_indices_`` then says which rows hold features.""",
    # ---------------------------------------------- attributes of the clip transformers
    "kept_indices_": """\
kept_indices_ : ndarray of shape (n_kept,), dtype int
    With ``on_error="skip"`` or ``"warn"``: positions in ``X`` of the
    clips the last ``transform`` read (the other rows are NaN).""",
    "errors_": """\
errors_ : dict of int to Exception
    With ``on_error="skip"`` or ``"warn"``: position in ``X`` -> the
    error of each clip the last ``transform`` could not read (its message
    names the file).""",
    "res_type": """\
res_type : str, default=$default
    Resampler used to bring files to 16 kHz (a ``res_type`` of
    :func:`librosa.resample`). musicnn was trained on audio resampled with
    resampy's ``"kaiser_best"`` (needs the ``resampy`` package, about 15x
    slower); docs/pretrained.md compares both on accuracy and speed.""",
    # ------------------------------------------------ Keras networks (scikeras classifiers)
    "optimizer": """\
optimizer : str, default=$default
    Keras optimizer name (or a Keras optimizer object, whose own learning
    rate is then used).""",
    "learning_rate": """\
learning_rate : float, default=$default
    Learning rate of the optimizer named by ``optimizer``.""",
    "loss": """\
loss : str, default=$default
    Keras loss.""",
    "epochs": """\
epochs : int, default=$default
    Maximum number of passes over the training $rows.""",
    "batch_size": """\
batch_size : int, default=$default
    Number of $rows per gradient step (and per prediction batch).""",
    "shuffle": """\
shuffle : bool, default=$default
    Shuffle the training $rows before each epoch.""",
    "class_weight": """\
class_weight : dict, "balanced" or None, default=$default
    Weight of each genre in the loss (``{genre: weight}``), or
    ``"balanced"``: inversely proportional to the genre's frequency in
    ``y``, as in scikit-learn. Multiplies ``sample_weight`` (whose array
    is left unchanged).""",
    "early_stopping": """\
early_stopping : bool, default=$default
    Hold out ``validation_fraction`` of the training $holdout (stratified
    by genre; whole groups with ``fit(..., groups=...)``) and stop when
    their loss has not improved for ``patience`` epochs. The held-out
    $holdout are never trained on.""",
    "patience": """\
patience : int, default=$default
    Epochs without improvement of the validation loss before stopping.""",
    "restore_best_weights": """\
restore_best_weights : bool, default=$default
    With early stopping, end with the weights of the best validation epoch.""",
    "validation_fraction": """\
validation_fraction : float, default=$default
    Fraction of the training $holdout held out for early stopping, in
    (0, 1). Used only when ``early_stopping=True``.""",
    "stop_accuracy": """\
stop_accuracy : float or None, default=$default
    Stop at the end of the first epoch whose training accuracy reaches
    this value (the seed DNN's callback used 0.94; see
    :class:`~sk_genre.models.StopAtAccuracy`). None: off.""",
    "reduce_lr_on_plateau": """\
reduce_lr_on_plateau : bool, default=$default
    Multiply the learning rate by ``reduce_lr_factor`` when the loss
    (the hold-out loss with early stopping) has not improved for
    ``reduce_lr_patience`` epochs (:class:`keras.callbacks.ReduceLROnPlateau`).""",
    "reduce_lr_factor": """\
reduce_lr_factor : float, default=$default
    Learning-rate factor on a plateau, in (0, 1).""",
    "reduce_lr_patience": """\
reduce_lr_patience : int, default=$default
    Epochs without improvement before the learning rate is reduced.""",
    "callbacks": """\
callbacks : list of keras.callbacks.Callback or None, default=$default
    Further Keras callbacks for training and prediction.""",
    "warm_start": """\
warm_start : bool, default=$default
    When True, ``fit`` continues training the fitted network (same
    ``classes_``, ``history_`` started again) instead of building a new one.""",
    "random_state": """\
random_state : int, RandomState or None, default=$default
    Seeds weight initialisation, dropout, shuffling and the hold-out split
    (Python, NumPy and the Keras backend, for the duration of ``fit``).
    The same int gives the same predictions on the same machine.""",
    "verbose_keras": """\
verbose : int, default=$default
    Training progress on stderr. 0: silent. 1: one tqdm bar over the epochs
    with the latest ``loss`` and ``accuracy`` (and ``val_loss``,
    ``val_accuracy`` with early stopping); ``predict`` stays silent. 2:
    Keras' own log (:meth:`keras.Model.fit` ``verbose=2``: one line per
    epoch), also for ``predict``.""",
    # ------------------------------------------------ Displays and plots
    "estimator_predict": """\
estimator : fitted classifier or Pipeline
    Its ``predict`` gives one genre per row of ``X``.""",
    "X_predict": """\
X : array-like or sequence of paths
    Input of ``estimator.predict``; one row per track.""",
    "y_true_tracks": """\
y : array-like of shape (n_tracks,)
    True genres.""",
    "labels_estimator": """\
labels : array-like of shape (n_genres,) or None, default=$default
    Genres to show; ``None``: the estimator's ``classes_`` with any
    other genre of ``y``, sorted (as :func:`~sk_genre.evaluation.evaluate`).""",
    "y_true_y_pred": """\
y_true, y_pred : array-like of shape (n_tracks,)
    True and predicted genres, one per track.""",
    "result": """\
result : GenreEvaluation
    From :func:`~sk_genre.evaluation.evaluate` or
    :func:`~sk_genre.evaluation.evaluate_predictions`.""",
    "ax_two": """\
ax : sequence of 2 matplotlib.axes.Axes or None, default=$default
    Axes for the loss and the accuracy; ``None``: a new pyplot figure
    (11 x 4 inches) with two side by side.""",
    "audio": """\
audio : str, os.PathLike or array-like of shape (n_samples,)
    An audio file (decoded and resampled to ``sr`` Hz with
    :func:`sk_genre.io.load_audio`) or a mono waveform sampled at ``sr``
    Hz.""",
    "ax_current": """\
ax : matplotlib.axes.Axes or None, default=$default
    Axes to draw on; ``None``: the current pyplot Axes
    (:func:`matplotlib.pyplot.gca`).""",
    "title": """\
title : str or None, default=$default
    Axes title; ``None``: $title.""",
    "dpi": """\
dpi : int, default=$default
    Resolution of the PNG files in dots per inch.""",
}
# fmt: on

#: Placeholders that stand for several paragraphs in a row (the networks' training parameters,
#: the same in every scikeras classifier and in the order of their signatures).
GROUPS = {
    "keras_training": (
        "optimizer", "learning_rate", "loss", "epochs", "batch_size", "shuffle", "class_weight",
        "early_stopping", "patience", "restore_best_weights", "validation_fraction",
        "stop_accuracy", "reduce_lr_on_plateau", "reduce_lr_factor", "reduce_lr_patience",
        "callbacks", "warm_start", "random_state", "verbose_keras",
    ),
}  # fmt: skip

#: The parameter a paragraph documents: the name before " : " on its first line.
_DOCUMENTS = {key: text.split(" : ", 1)[0] for key, text in PARAMETERS.items()}


def format_default(value):
    """A default as numpydoc writes it: ``"raise"``, ``(64,)``, ``None``, ``0.001``.

    Parameters
    ----------
    value : object
        The default of a parameter.

    Returns
    -------
    text : str
        Strings in double quotes, tuples and lists element by element.
    """
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, tuple):
        inner = ", ".join(format_default(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return f"[{', '.join(format_default(v) for v in value)}]"
    return repr(value)


def _defaults(obj):
    try:
        parameters = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return {}
    return {
        name: format_default(p.default)
        for name, p in parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def fill(doc, defaults=None, **fields):
    """``doc`` with each ``%(name)s`` line replaced by its paragraph, re-indented.

    Parameters
    ----------
    doc : str
        A docstring.
    defaults : dict of str to str or None, default=None
        Formatted default of each parameter (for ``$default``).
    **fields
        Values of the paragraphs' other ``$fields``.

    Returns
    -------
    doc : str

    Raises
    ------
    KeyError
        A placeholder names no paragraph, or a paragraph needs a field (or a
        default) that is not given: the import of the module fails.
    """
    defaults = defaults or {}

    def one(name):
        if name not in PARAMETERS:
            raise KeyError(f"%({name})s names no paragraph of sk_genre._docstring.PARAMETERS")
        values = dict(fields)
        if _DOCUMENTS[name] in defaults:
            values["default"] = defaults[_DOCUMENTS[name]]
        try:
            return string.Template(PARAMETERS[name]).substitute(values)
        except KeyError as exc:
            raise KeyError(f"%({name})s needs ${exc.args[0]}: give it to fill_doc") from None

    def paragraph(match):
        text = "\n".join(one(name) for name in GROUPS.get(match["name"], (match["name"],)))
        return "\n".join(match["indent"] + line if line else line for line in text.splitlines())

    return _PLACEHOLDER.sub(paragraph, doc)


def fill_doc(obj=None, **fields):
    """Decorator: fill the ``%(name)s`` placeholders of a class's or function's docstring.

    Use it bare (``@fill_doc``) or with the paragraphs' fields
    (``@fill_doc(rows="chunks")``). ``$default`` is taken from the object's
    signature (a class's ``__init__``).

    Parameters
    ----------
    obj : class or function or None, default=None
        What is decorated (bare use).
    **fields
        Values of the paragraphs' ``$fields`` other than ``$default``.

    Returns
    -------
    obj or decorator
        The object, its ``__doc__`` filled.
    """

    def decorate(target):
        func = target.__func__ if isinstance(target, (classmethod, staticmethod)) else target
        if func.__doc__:
            func.__doc__ = fill(func.__doc__, _defaults(func), **fields)
        return target

    return decorate if obj is None else decorate(obj)
