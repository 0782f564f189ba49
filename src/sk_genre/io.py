"""Audio input: decode files and validate waveforms into mono float32 clips.

Everything downstream of this module sees 1-D ``float32`` arrays sampled at
``sr`` Hz. Files are decoded with :mod:`soundfile` (wav, flac, ogg, mp3, au,
aiff: no ffmpeg needed) and, when libsndfile cannot read a file, with
:func:`librosa.load` (audioread) as a fallback. Resampling uses
:func:`librosa.resample` (soxr, high quality).
"""

import os
import warnings

import numpy as np
import soundfile as sf

from .exceptions import AudioDecodeError

__all__ = ["AUDIO_EXTENSIONS", "load_audio", "check_clips", "load_clip"]

#: File name suffixes treated as audio by :func:`sk_genre.datasets.load_audio_folder`.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".au", ".snd", ".aif", ".aiff", ".aifc"}
)


def load_audio(path, *, sr=22050, offset=0.0, duration=None):
    """Decode an audio file to a mono float32 waveform at ``sr`` Hz.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (wav, flac, ogg, mp3, au, aiff; anything libsndfile reads,
        and what audioread reads as a fallback).
    sr : int or None, default=22050
        Target sampling rate in Hz; the file is resampled when its rate
        differs (:func:`librosa.resample`, soxr_hq). ``None`` keeps the
        file's own rate.
    offset : float, default=0.0
        Start reading this many seconds into the file.
    duration : float or None, default=None
        Read at most this many seconds; ``None`` reads to the end.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32
        Mono waveform; multi-channel audio is mixed down by averaging the
        channels (as :func:`librosa.to_mono`).

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, is empty, cannot be decoded,
        holds no samples in the requested range, or holds NaN/inf samples.
        The message names the file and the cause.
    ValueError
        ``sr``, ``offset`` or ``duration`` is out of range.

    Examples
    --------
    >>> from sk_genre.io import load_audio
    >>> y = load_audio("blues.00000.ogg", sr=22050)  # doctest: +SKIP
    >>> y.shape, y.dtype  # doctest: +SKIP
    ((661794,), dtype('float32'))
    """
    if sr is not None and not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz) or None; got {sr!r}")
    if not offset >= 0:
        raise ValueError(f"offset must be >= 0 seconds; got {offset!r}")
    if duration is not None and not duration > 0:
        raise ValueError(f"duration must be > 0 seconds or None; got {duration!r}")

    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioDecodeError(path, "file does not exist")
    if os.path.isdir(path):
        raise AudioDecodeError(path, "is a directory, not an audio file")
    if os.path.getsize(path) == 0:
        raise AudioDecodeError(path, "file is empty (0 bytes)")

    try:
        y, native_sr = _read_soundfile(path, offset, duration)
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as sf_error:
        y, native_sr = _read_fallback(path, offset, duration, sf_error)

    if y.size == 0:
        where = f" after offset={offset} s" if offset else ""
        raise AudioDecodeError(path, f"contains no audio samples{where}")
    if not np.isfinite(y).all():
        raise AudioDecodeError(path, "contains NaN or infinite samples")
    if sr is not None and native_sr != sr:
        import librosa

        y = librosa.resample(y, orig_sr=native_sr, target_sr=sr)
    return np.ascontiguousarray(y, dtype=np.float32)


def _read_soundfile(path, offset, duration):
    with sf.SoundFile(path) as f:
        native_sr = f.samplerate
        start = int(round(offset * native_sr))
        if start:
            if start >= f.frames:
                return np.zeros(0, dtype=np.float32), native_sr
            f.seek(start)
        frames = -1 if duration is None else int(round(duration * native_sr))
        data = f.read(frames, dtype="float32", always_2d=True)
    return data.mean(axis=1), native_sr


def _read_fallback(path, offset, duration, sf_error):
    import librosa

    try:
        with warnings.catch_warnings():
            # librosa warns "PySoundFile failed. Trying audioread instead."
            warnings.simplefilter("ignore")
            y, native_sr = librosa.load(
                path, sr=None, mono=True, offset=offset, duration=duration, dtype=np.float32
            )
    except Exception as exc:  # audioread raises many unrelated types
        reason = str(sf_error).strip() or type(sf_error).__name__
        raise AudioDecodeError(path, f"not a decodable audio file ({reason})") from exc
    return y, native_sr


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
    ValueError
        ``X`` is a single path, a 1-D numeric array (ambiguous: one clip or
        many samples?), has more than 2 dimensions, or is empty.
    """
    if isinstance(X, (str, bytes, os.PathLike)):
        raise ValueError(
            f"X must be a sequence of clips (paths or waveforms); got the single path {X!r}. "
            "Wrap it in a list: [path]."
        )
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas objects
        X = X.to_numpy()
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "X must be file paths or dense waveforms; got a sparse matrix, which cannot hold audio"
        )
    if isinstance(X, np.ndarray) or hasattr(X, "__array__"):
        arr = np.asarray(X)
        if arr.dtype.kind in "biuf":
            if arr.ndim == 2:
                clips = list(arr)
            elif arr.ndim == 1:
                raise ValueError(
                    "X must be 2-D (n_clips, n_samples) or a sequence of clips; got a 1-D numeric "
                    f"array of {arr.shape[0]} values. Use X[np.newaxis, :] (or [y]) for one clip."
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


def load_clip(clip, *, sr=22050, index=None):
    """Turn one clip (a path or a waveform) into a mono float32 waveform.

    Parameters
    ----------
    clip : str, os.PathLike or array-like of shape (n_samples,)
        A file path (decoded with :func:`load_audio` at ``sr`` Hz) or a
        waveform already sampled at ``sr`` Hz. Integer waveforms (PCM) are
        scaled to [-1, 1) by their type's range.
    sr : int, default=22050
        Sampling rate in Hz.
    index : int or None, default=None
        Position of the clip in its batch, used in error messages.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32

    Raises
    ------
    AudioDecodeError
        The path cannot be decoded (see :func:`load_audio`).
    ValueError
        The waveform is empty, not 1-D, not numeric, or holds NaN/inf.
    """
    if isinstance(clip, (str, os.PathLike)):
        return load_audio(clip, sr=sr)
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
    return np.ascontiguousarray(y, dtype=np.float32)
