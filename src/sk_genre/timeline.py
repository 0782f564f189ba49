"""Genre over time: per-window genre probabilities of a track of any length.

:func:`predict_timeline` cuts a track into windows (``window`` seconds every
``hop`` seconds), asks a fitted pipeline for the genre probabilities of each
window, and returns them as a :class:`GenreTimeline`, with the track-level
answer derived from them. The file is streamed (:func:`sk_genre.io.stream_audio`)
and the windows are classified a batch at a time, so memory stays a few
batches of windows however long the recording (a 60-min DJ mix).
"""

import copy
import os
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np

from .features import MelChunker
from .features._base import ClipFeatureTransformer
from .io import stream_audio
from .pretrained import MusicnnEmbedding, MusicnnPatches

__all__ = ["GenreTimeline", "default_grid", "predict_timeline"]

#: Default (window, hop) in seconds of the summary-feature models: the 30-s GTZAN clips
#: they are trained on, half overlapping.
SUMMARY_GRID = (30.0, 15.0)
#: Default (window, hop) of the musicnn steps: its 3-s patches, back to back.
MUSICNN_GRID = (3.0, 3.0)


@dataclass(frozen=True, eq=False)
class GenreTimeline:
    """Genre probabilities of the windows of one track, and the track's answer.

    Made by :func:`predict_timeline`.

    Attributes
    ----------
    start, end : ndarray of shape (n_windows,)
        Start and end of each window in seconds from the start of the track.
    proba : ndarray of shape (n_windows, n_classes)
        Genre probabilities of each window, columns in the order of
        ``classes`` (smoothed over time when ``predict_timeline`` was asked to).
    classes : ndarray of shape (n_classes,)
        The pipeline's ``classes_``.
    track_proba : ndarray of shape (n_classes,)
        The track's genre probabilities: the mean of the (unsmoothed) window
        probabilities, soft voting as :class:`~sk_genre.models.CNNClassifier`
        votes over chunks.
    window, hop : float
        Window length and hop in seconds.
    """

    start: np.ndarray
    end: np.ndarray
    proba: np.ndarray
    classes: np.ndarray
    track_proba: np.ndarray
    window: float
    hop: float

    @property
    def genre(self):
        """ndarray of shape (n_windows,): the genre of highest probability in each window."""
        return self.classes[np.argmax(self.proba, axis=1)]

    @property
    def track_genre(self):
        """The genre of highest ``track_proba``."""
        return self.classes[int(np.argmax(self.track_proba))]

    def __len__(self):
        return len(self.start)


def _feature_step(pipeline):
    steps = getattr(pipeline, "steps", None)
    step = steps[0][1] if steps else None
    if not isinstance(step, ClipFeatureTransformer):
        raise ValueError(
            "predict_timeline needs a fitted pipeline whose first step takes audio (an sk_genre "
            "feature step such as MFCCTransformer, MelChunker or MusicnnEmbedding); got "
            f"{type(step).__name__ if steps else type(pipeline).__name__}"
        )
    return step


def default_grid(pipeline):
    """The ``(window, hop)`` in seconds that suits the model of ``pipeline``.

    :class:`~sk_genre.MelChunker` (the CNN's input): its chunk grid
    ``(chunk_duration, chunk_hop)``; musicnn steps: its 3-s patches back to
    back; other feature steps (summaries of a clip, trained on 30-s clips):
    30-s windows every 15 s.
    """
    step = _feature_step(pipeline)
    if isinstance(step, MelChunker):
        return float(step.chunk_duration), float(step.chunk_hop)
    if isinstance(step, (MusicnnEmbedding, MusicnnPatches)):
        return MUSICNN_GRID
    return SUMMARY_GRID


def _window_predictor(pipeline, window):
    """``pipeline`` with its feature step set to read one window as one whole track.

    MelChunker spreads ``1 + (track_duration - chunk_duration) // chunk_hop``
    chunks over each clip; with ``track_duration=window`` a window gets the
    chunks of its own span, not 14 copies of one chunk. MusicnnPatches
    likewise gets one patch per 3 s. The fitted steps are shared.
    """
    step = _feature_step(pipeline)
    if isinstance(step, MelChunker):
        changed = {"track_duration": max(window, step.chunk_duration)}
    elif isinstance(step, MusicnnPatches):
        changed = {"n_patches": max(1, int(window // MUSICNN_GRID[0]))}
    else:
        return pipeline
    step = copy.copy(step).set_params(**changed)
    predictor = copy.copy(pipeline)
    predictor.steps = [(pipeline.steps[0][0], step), *pipeline.steps[1:]]
    return predictor


def _check_seconds(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a number of seconds > 0; got {value!r}")
    return float(value)


def _smooth(proba, smoothing, width):
    """``proba`` filtered over windows (scipy.ndimage, edges repeated), rows summing to 1."""
    from scipy import ndimage

    if smoothing == "median":
        out = ndimage.median_filter(proba, size=(width, 1), mode="nearest")
    else:
        out = ndimage.uniform_filter1d(proba, width, axis=0, mode="nearest")
    total = out.sum(axis=1, keepdims=True)
    return np.divide(out, total, out=np.full_like(out, 1 / out.shape[1]), where=total > 0)


def _blocks(clip, sr, res_type):
    """The track as mono float32 blocks at ``sr`` Hz: streamed from a file, or the waveform."""
    if isinstance(clip, (str, os.PathLike)):
        yield from stream_audio(clip, sr=sr, res_type=res_type)
        return
    y = np.asarray(clip, dtype=np.float32)
    if y.ndim != 1 or y.size == 0 or not np.isfinite(y).all():
        raise ValueError(
            "clip must be a path or a non-empty, finite 1-D waveform at the feature step's "
            f"rate ({sr} Hz); got an array of shape {y.shape}"
        )
    yield y


def _windows(blocks, win, hop):
    """``(start, samples)`` of each window, start in samples, from a stream of blocks.

    Windows of ``win`` samples start every ``hop`` samples while they fit; when
    the last one ends half a hop or more before the track does, one more
    window ends at the track's end (a shorter tail is left to the last
    window's neighbourhood: a 30.01-s clip gets no near-copy of its last
    window). A track shorter than ``win`` is one window, the whole track.
    The buffer holds at most a block and a window.
    """
    buffer = np.zeros(0, dtype=np.float32)
    offset = 0  # track position of buffer[0], in samples
    next_start = 0
    last_end = 0
    for block in blocks:
        buffer = np.concatenate([buffer, block]) if buffer.size else block
        while next_start + win <= offset + buffer.size:
            i = next_start - offset
            yield next_start, buffer[i : i + win].copy()
            last_end = next_start + win
            next_start += hop
        # keep what the next window, or a final window ending at the track's end, needs
        keep = max(min(next_start, offset + buffer.size - win), offset)
        buffer = buffer[keep - offset :]
        offset = keep
    n = offset + buffer.size
    if last_end == 0:  # shorter than a window: the whole track
        yield 0, buffer[-n:].copy()
    elif n - last_end >= hop / 2:
        yield n - win, buffer[buffer.size - win :].copy()


def predict_timeline(
    pipeline,
    clip,
    *,
    window=None,
    hop=None,
    smoothing=None,
    smoothing_width=5,
    batch_size=16,
    res_type="soxr_hq",
):
    """Genre probabilities of each window of a track, and the track's genre from them.

    The track is read at the rate of the pipeline's feature step (22050 Hz,
    or 16000 Hz for musicnn; resampled and mixed down as
    :func:`sk_genre.io.load_audio` does, block by block) and cut into windows
    of ``window`` seconds every ``hop`` seconds. Each window is one clip for
    the pipeline (``predict_proba`` on ``batch_size`` windows at a time).

    A function, not a method of the pipeline, so that it works on any fitted
    estimator whose first step takes audio: a :class:`~sk_genre.pipeline.GenrePipeline`,
    a :class:`~sklearn.pipeline.Pipeline` built by hand, a grid search's
    ``best_estimator_``, or one loaded from disk (as
    :func:`sklearn.model_selection.cross_val_predict` is a function).

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline whose first step is an sk_genre feature step
        (:class:`~sk_genre.MFCCTransformer`, :class:`~sk_genre.SpectralFeatureUnion`,
        :class:`~sk_genre.MelChunker`, :class:`~sk_genre.pretrained.MusicnnEmbedding`,
        :class:`~sk_genre.pretrained.MusicnnPatches`) and whose last step has
        ``predict_proba``.
    clip : str, os.PathLike or array-like of shape (n_samples,)
        The track: an audio file (streamed), or a mono waveform at the
        feature step's rate (``pipeline.steps[0][1].sr``).
    window, hop : float or None, default=None
        Window length and hop in seconds. ``None`` takes the model's grid
        (:func:`default_grid`): the CNN's chunk grid (4 s every 2 s for the
        defaults), musicnn's 3-s patches back to back, and 30-s windows
        every 15 s for the summary features (the length of the clips they
        are trained on). ``hop=None`` with a given ``window``: ``window / 2``
        for the summary features, else the grid's hop.
    smoothing : {"median", "mean"} or None, default=None
        Filter of the window probabilities over time, each genre's column on
        its own: a running median (:func:`scipy.ndimage.median_filter`) or
        mean (:func:`scipy.ndimage.uniform_filter1d`) over
        ``smoothing_width`` windows, edges repeated, rows renormalised to
        sum to 1. A median keeps sharp genre changes and removes single
        outlying windows; a mean blurs both.
    smoothing_width : int, default=5
        Windows in the filter (odd).
    batch_size : int, default=16
        Windows per ``predict_proba`` call: memory is about ``batch_size``
        windows of samples and their features.
    res_type : str, default="soxr_hq"
        Resampling filter of the file (a soxr filter, see
        :func:`sk_genre.io.stream_audio`).

    Returns
    -------
    timeline : GenreTimeline
        ``start``/``end`` (seconds) and ``proba`` ``(n_windows, n_classes)``
        of each window, ``classes``, and ``track_proba`` (the mean of the
        unsmoothed window probabilities) with ``track_genre``. Windows start
        every ``hop`` seconds while they fit in the track; when the last one
        ends half a hop or more before the track, one more window ends at the
        track's end. A
        track shorter than ``window`` is one window.

    Raises
    ------
    AudioDecodeError
        The file cannot be read (the message names it and the cause).
    ValueError
        ``window``, ``hop``, ``smoothing``, ``smoothing_width`` or
        ``batch_size`` is out of range, ``clip`` is not a 1-D finite
        waveform, or the pipeline's first step does not take audio.

    See Also
    --------
    sk_genre.display.plot_timeline : Draw a timeline.

    Examples
    --------
    >>> from sk_genre import make_pipeline, predict_timeline
    >>> pipe = make_pipeline(features="musicnn").fit(paths, genres)  # doctest: +SKIP
    >>> tl = predict_timeline(pipe, "mix.mp3", smoothing="median")  # doctest: +SKIP
    >>> tl.start[:3], tl.genre[:3], tl.track_genre  # doctest: +SKIP
    (array([0., 3., 6.]), array(['disco', 'disco', 'pop'], dtype=object), 'disco')
    """
    step = _feature_step(pipeline)
    grid_window, grid_hop = default_grid(pipeline)
    window = grid_window if window is None else _check_seconds("window", window)
    if hop is None:
        hop = window / 2 if (grid_window, grid_hop) == SUMMARY_GRID else grid_hop
    hop = _check_seconds("hop", hop)
    if smoothing not in (None, "median", "mean"):
        raise ValueError(f"smoothing must be 'median', 'mean' or None; got {smoothing!r}")
    if (
        isinstance(smoothing_width, bool)
        or not isinstance(smoothing_width, Integral)
        or smoothing_width < 1
        or smoothing_width % 2 == 0
    ):
        raise ValueError(f"smoothing_width must be an odd int >= 1; got {smoothing_width!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, Integral) or batch_size < 1:
        raise ValueError(f"batch_size must be an int >= 1; got {batch_size!r}")

    sr = step.sr
    win, hop_samples = max(1, round(window * sr)), max(1, round(hop * sr))
    predictor = _window_predictor(pipeline, window)
    starts, ends, parts, batch = [], [], [], []

    def run(batch):
        parts.append(np.asarray(predictor.predict_proba(batch), dtype=np.float64))

    for start, samples in _windows(_blocks(clip, sr, res_type), win, hop_samples):
        starts.append(start / sr)
        ends.append((start + samples.size) / sr)
        batch.append(samples)
        if len(batch) == batch_size:
            run(batch)
            batch = []
    if batch:
        run(batch)
    proba = np.concatenate(parts)
    track_proba = proba.mean(axis=0)
    if smoothing is not None:
        proba = _smooth(proba, smoothing, smoothing_width)
    return GenreTimeline(
        start=np.asarray(starts),
        end=np.asarray(ends),
        proba=proba,
        classes=np.asarray(pipeline.classes_),
        track_proba=track_proba,
        window=window,
        hop=hop,
    )
