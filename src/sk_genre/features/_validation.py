"""Estimator input: validate the clips a transformer is given, and turn each into a waveform.

What every audio transformer calls on ``X``: :func:`check_clips` checks the
batch without decoding it (paths, 1-D waveforms or a 2-D ``(n_clips,
n_samples)`` array; no iterator, sparse matrix or multi-channel waveform),
:func:`load_clip` turns one clip into a mono float32 waveform (decoding paths
with :func:`sk_genre.io.load_audio`, checking waveforms: finite, at most
:data:`MAX_AMPLITUDE` in magnitude) and :func:`clip_name` names a clip in
messages. Decoding itself stays in :mod:`sk_genre.io`.
"""

import os
import warnings
from collections.abc import Iterator

import numpy as np

from ..exceptions import AudioDecodeError
from ..io import load_audio

__all__ = ["MAX_AMPLITUDE", "check_clips", "clip_name", "load_clip"]


def check_clips(X):
    """Validate a batch of clips without decoding it.

    Parameters
    ----------
    X : sequence of (str, os.PathLike or array-like of shape (n_samples,)) \
            or array-like of shape (n_clips, n_samples)
        File paths, 1-D waveforms (any length, each sampled at the
        transformer's ``sr``), or a 2-D numeric array with one clip per row.
        A 2-D array of strings with one column (a one-column DataFrame of
        paths) is read as a list of paths.

    Returns
    -------
    clips : list
        One entry per clip: a ``str`` path or a 1-D array (not yet converted).

    Raises
    ------
    TypeError
        ``X`` is an iterator or generator (it could be read only once) or a
        sparse matrix.
    ValueError
        ``X`` is a single path, a 1-D numeric array (ambiguous: one clip or
        many samples?), has more than 2 dimensions, is complex, is empty, is
        a 2-D array of empty clips, or is a 2-D array of at least 1000 rows
        and at most 8 columns: one ``(n_samples, n_channels)`` waveform, not
        a batch of clips.

    Warns
    -----
    UserWarning
        A 2-D array of fewer rows with at most 8 columns (and more rows than
        columns): clips of a few samples look like channels.
    """
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(
            f"X must be a sequence of clips (paths or waveforms); got the single path {X!r}. "
            "Wrap it in a list: [path]."
        )
    if isinstance(X, Iterator):
        raise TypeError(
            f"X must be a sequence of clips (list, tuple or array); got a {type(X).__name__}, "
            "which can be read only once (fit_transform reads X twice): pass list(X)"
        )
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas objects
        X = X.to_numpy()
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "X must be file paths or dense waveforms; got a sparse matrix, which cannot hold audio"
        )
    if isinstance(X, np.ndarray) or hasattr(X, "__array__"):
        arr = np.asarray(X)
        if arr.dtype.kind == "c":
            # the wording of scikit-learn's check_array, which tools and tests look for
            raise ValueError(
                f"X must hold real-valued waveforms; got dtype {arr.dtype}. "
                "Complex data not supported."
            )
        if arr.dtype.kind in "biuf":
            if arr.ndim == 2 and arr.shape[1] == 0 and arr.shape[0] > 0:
                raise ValueError(
                    f"X must hold at least 1 sample per clip; got 0 feature(s) "
                    f"(shape={arr.shape}) while a minimum of 1 is required."
                )
            if arr.ndim == 2:
                _check_not_channels(arr.shape)
                clips = list(arr)
            elif arr.ndim == 1:
                raise ValueError(
                    "X must be 2-D (n_clips, n_samples) or a sequence of clips; got a 1-D numeric "
                    f"array of {arr.shape[0]} values. Reshape your data: X[np.newaxis, :] (or "
                    "[y]) for one clip."
                )
            else:
                raise ValueError(
                    f"X must be 2-D (n_clips, n_samples) or a sequence of clips; got {arr.ndim}-D "
                    f"array of shape {arr.shape}"
                )
        else:
            if arr.ndim == 2 and arr.shape[1] == 1:
                arr = arr[:, 0]
            if arr.ndim != 1:
                raise ValueError(
                    "X must be a 1-D sequence of file paths or waveforms; got an array of shape "
                    f"{arr.shape} and dtype {arr.dtype}"
                )
            clips = list(arr)
    else:
        clips = list(X)
    if len(clips) == 0:
        raise ValueError("X must hold at least one clip; got 0 clips")
    return [os.fspath(c) if isinstance(c, (str, os.PathLike)) else c for c in clips]


#: A 2-D array with at most this many columns looks like (n_samples, n_channels) audio.
_MAX_CHANNELS = 8
#: ... and with at least this many rows (about 45 ms at 22050 Hz) it is refused, not warned.
_MIN_WAVEFORM_ROWS = 1000


def _check_not_channels(shape):
    """Refuse (or warn about) a 2-D array that looks like one multi-channel waveform."""
    n_rows, n_columns = shape
    if n_columns > _MAX_CHANNELS or n_rows <= n_columns:
        return
    message = (
        f"X of shape {shape} is read as {n_rows} clips of {n_columns} sample(s) each "
        "(X is (n_clips, n_samples)); it looks like one waveform of shape (n_samples, "
        "n_channels): pass [y.mean(axis=1)] for one clip, mixed down to mono"
    )
    if n_rows >= _MIN_WAVEFORM_ROWS:
        raise ValueError(f"X must not be a multi-channel waveform: {message}")
    warnings.warn(message, UserWarning, stacklevel=4)


def clip_name(clip, index=None):
    """How messages name a clip: its path (quoted) or ``"clip <index>"`` for a waveform.

    Parameters
    ----------
    clip : str, os.PathLike or array-like
        A file path or a waveform.
    index : int or None, default=None
        The clip's position in its batch, for a waveform.

    Returns
    -------
    name : str
        ``"'path/to/file.wav'"``, ``"clip 3"``, or ``"clip"`` without ``index``.
    """
    if isinstance(clip, (str, os.PathLike)):
        return repr(os.fspath(clip))
    return "clip" if index is None else f"clip {index}"


def load_clip(clip, *, sr=22050, index=None, res_type="soxr_hq"):
    """Turn one clip (a path or a waveform) into a mono float32 waveform.

    Parameters
    ----------
    clip : str, os.PathLike or array-like of shape (n_samples,)
        A file path (decoded with :func:`sk_genre.io.load_audio` at ``sr`` Hz) or a
        waveform already sampled at ``sr`` Hz. Integer waveforms (PCM) are
        scaled to [-1, 1) by their type's range.
    sr : int, default=22050
        Sampling rate in Hz.
    index : int or None, default=None
        Position of the clip in its batch, used in error messages.
    res_type : str, default="soxr_hq"
        Resampling filter for files (see :func:`sk_genre.io.load_audio`).

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioDecodeError
        The path cannot be decoded (see :func:`sk_genre.io.load_audio`), or its samples
        exceed :data:`MAX_AMPLITUDE` in magnitude.
    ValueError
        The waveform is empty, not 1-D, not numeric, holds NaN/inf, or has a
        sample beyond :data:`MAX_AMPLITUDE` (1e10; float audio is nominally in
        [-1, 1]) or beyond float32's range: the float32 power spectra of the
        feature steps would overflow and give NaN features.
    """
    if isinstance(clip, (str, os.PathLike)):
        y = load_audio(clip, sr=sr, res_type=res_type)
        peak = _peak(y)
        if not peak <= MAX_AMPLITUDE:
            raise AudioDecodeError(clip, _amplitude_reason(peak))
        return y
    name = "clip" if index is None else f"clip {index}"
    if isinstance(clip, bytes) or not hasattr(clip, "__len__"):
        raise ValueError(f"{name} must be a file path or a 1-D waveform; got {type(clip).__name__}")
    y = np.asarray(clip)
    if y.dtype.kind not in "biuf":
        raise ValueError(
            f"{name} must be a file path or a numeric waveform; got an array of dtype {y.dtype}"
        )
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D waveform; got an array of shape {y.shape}")
    if y.size == 0:
        raise ValueError(f"{name} must contain at least one sample; got an empty array")
    if y.dtype.kind in "iu":
        info = np.iinfo(y.dtype)
        y = (y.astype(np.float64) - (info.min + info.max + 1) / 2) / ((info.max - info.min + 1) / 2)
    elif y.dtype.kind == "b":
        y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError(f"{name} must contain only finite samples; got NaN or inf")
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf: checked below
        y = np.ascontiguousarray(y, dtype=np.float32)
    peak = _peak(y)
    if not peak <= MAX_AMPLITUDE:
        raise ValueError(f"{name} {_amplitude_reason(peak)}")
    return y


#: Largest sample magnitude accepted in a waveform. Float audio is nominally in [-1, 1];
#: integer-scaled floats (up to 2**31 for 32-bit PCM) pass, while beyond about 1e17 the
#: float32 power spectra of the feature steps overflow to inf and the features to NaN.
MAX_AMPLITUDE = 1e10


def _peak(y):
    """Largest sample magnitude of a float waveform (inf if a sample overflowed)."""
    # max and -min, not max(abs(y)): no temporary as large as the waveform (318 MB an hour)
    return float(np.maximum(np.max(y), -np.min(y))) if y.size else 0.0


def _amplitude_reason(peak):
    if not np.isfinite(peak):
        return "samples must be within float32's range (about 3.4e38); got values beyond it"
    return (
        f"samples must be at most {MAX_AMPLITUDE:g} in magnitude (float audio is nominally "
        f"in [-1, 1]); got a peak of {peak:.3g}: scale the waveform"
    )
