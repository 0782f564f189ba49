"""Audio input: decode files and validate waveforms into mono float32 clips.

Everything downstream of this module sees 1-D ``float32`` arrays sampled at
``sr`` Hz. Files are decoded with :mod:`soundfile` (wav, flac, ogg, mp3, au,
aiff: no ffmpeg needed) and, when libsndfile cannot read a file, with
:func:`librosa.load` (audioread) as a fallback. Resampling uses
:func:`librosa.resample` (soxr, high quality). :func:`segment_audio` cuts long
recordings into fixed-length pieces on disk (a dataset of 30-s clips from
whole songs).
"""

import itertools
import numbers
import os
import warnings
from pathlib import Path

import numpy as np
import soundfile as sf

from .exceptions import AudioDecodeError

__all__ = [
    "AUDIO_EXTENSIONS",
    "load_audio",
    "probe_audio",
    "check_clips",
    "clip_name",
    "load_clip",
    "segment_audio",
]

#: File name suffixes treated as audio by :func:`sk_genre.datasets.load_audio_folder`.
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".au", ".snd", ".aif", ".aiff", ".aifc"}
)


def load_audio(path, *, sr=22050, offset=0.0, duration=None, res_type="soxr_hq"):
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
    res_type : str, default="soxr_hq"
        Resampling filter, any ``res_type`` of :func:`librosa.resample`
        (``"kaiser_best"`` needs the ``resampy`` package).

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
    _check_sr(sr)
    if not offset >= 0:
        raise ValueError(f"offset must be >= 0 seconds; got {offset!r}")
    if duration is not None and not duration > 0:
        raise ValueError(f"duration must be > 0 seconds or None; got {duration!r}")

    path = _check_file(path)
    try:
        y, native_sr = _read_soundfile(path, offset, duration)
    except _SF_ERRORS as sf_error:
        y, native_sr = _read_fallback(path, offset, duration, sf_error)

    if y.size == 0:
        where = f" after offset={offset} s" if offset else ""
        raise AudioDecodeError(path, f"contains no audio samples{where}")
    if offset == 0 and duration is None:
        _check_not_cut_short(path, y.size, native_sr)
    if not np.isfinite(y).all():
        raise AudioDecodeError(path, "contains NaN or infinite samples")
    if sr is not None and native_sr != sr:
        import librosa

        y = librosa.resample(y, orig_sr=native_sr, target_sr=sr, res_type=res_type)
    return np.ascontiguousarray(y, dtype=np.float32)


# What soundfile raises for a file libsndfile cannot open or decode.
_SF_ERRORS = (sf.LibsndfileError, RuntimeError, TypeError, ValueError)


#: Compressed formats whose decoders skip or stop quietly at corrupt pages or frames.
_COMPRESSED = frozenset({".ogg", ".oga", ".opus", ".mp3"})
#: Beyond this many bytes per second of decoded audio (2 Mbit/s, four times the highest
#: Vorbis/MP3 bitrates) plus 64 KiB of headers, a compressed file did not decode to its end.
_MAX_BYTES_PER_SECOND = 250_000
_HEADER_BYTES = 65_536
#: Decoded audio may fall short of an Ogg Vorbis file's declared length by this much (s).
_OGG_SLACK_SECONDS = 0.05


def _check_not_cut_short(path, n_samples, native_sr):
    """Raise if a compressed file decoded to less audio than it holds (corrupt data).

    Vorbis and MP3 decoders skip corrupt pages or stop at them without an
    error. An Ogg Vorbis file declares its length in the granule position of
    its last page, which the decoded length must reach; for any compressed
    file, more than 2 Mbit/s of file per second of decoded audio means the
    decoder stopped early. A file cut short (truncated) declares and decodes
    what is left, and passes.
    """
    if os.path.splitext(path)[1].lower() not in _COMPRESSED:
        return
    seconds = n_samples / native_sr
    declared = _ogg_vorbis_samples(path)
    if declared is not None and declared - n_samples > _OGG_SLACK_SECONDS * native_sr:
        raise AudioDecodeError(
            path,
            f"corrupt data: decoding gave {seconds:.2f} s of audio but the file's Ogg pages "
            f"declare {declared / native_sr:.2f} s",
        )
    size = os.path.getsize(path)
    if size > _HEADER_BYTES + _MAX_BYTES_PER_SECOND * seconds:
        raise AudioDecodeError(
            path,
            f"corrupt data: decoding stopped after {seconds:.2f} s of audio although the "
            f"file holds {size} bytes",
        )


def _ogg_vorbis_samples(path):
    """Samples declared by the last complete page of an Ogg Vorbis file; None if not one.

    Ogg page header (RFC 3533): ``"OggS"``, version 0, header type, granule
    position (int64, little-endian: for Vorbis the sample count at the page's
    end), serial, sequence, CRC, segment count, segment table. The last
    ``"OggS"`` whose page fits in the file is taken (a truncated file's cut
    last page is passed over).
    """
    with open(path, "rb") as f:
        head = f.read(35)
        if head[:4] != b"OggS" or head[28:35] != b"\x01vorbis":
            return None
        size = f.seek(0, os.SEEK_END)
        tail_start = max(0, size - 262_144)  # pages are at most 65_307 bytes
        f.seek(tail_start)
        tail = f.read()
    end = len(tail)
    while (start := tail.rfind(b"OggS", 0, end)) >= 0:
        end = start
        if start + 27 > len(tail) or tail[start + 4] != 0:
            continue
        n_segments = tail[start + 26]
        table_end = start + 27 + n_segments
        if table_end > len(tail) or table_end + sum(tail[start + 27 : table_end]) > len(tail):
            continue  # incomplete: cut off by a truncation
        granule = int.from_bytes(tail[start + 6 : start + 14], "little", signed=True)
        if granule >= 0:
            return granule
    return None


def _check_sr(sr):
    if sr is not None and not (isinstance(sr, (int, np.integer)) and sr > 0):
        raise ValueError(f"sr must be a positive integer (Hz) or None; got {sr!r}")


def _check_file(path):
    """Return ``path`` as a str; raise AudioDecodeError unless it is a non-empty file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise AudioDecodeError(path, "file does not exist")
    if os.path.isdir(path):
        raise AudioDecodeError(path, "is a directory, not an audio file")
    if os.path.getsize(path) == 0:
        raise AudioDecodeError(path, "file is empty (0 bytes)")
    return path


def probe_audio(path):
    """Check that a file opens as audio with at least one sample, without decoding it all.

    Reads the header with :func:`soundfile.info`; formats libsndfile cannot
    open are tried with :func:`librosa.load` on their first 0.1 s. Cheap: use
    it to screen a folder before a long run. A file whose header is intact but
    whose data is cut short or corrupt passes, and fails (or decodes short)
    when it is read.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file.

    Returns
    -------
    path : str
        The path, as a str.

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, is empty, is not audio, or
        holds no samples. The message names the file and the cause.
    """
    path = _check_file(path)
    try:
        frames = sf.info(path).frames
    except _SF_ERRORS as sf_error:
        y, _ = _read_fallback(path, 0.0, 0.1, sf_error)
        frames = y.size
    if frames == 0:
        raise AudioDecodeError(path, "contains no audio samples")
    return path


def _read_soundfile(path, offset, duration):
    with sf.SoundFile(path) as f:
        native_sr = f.samplerate
        start = int(round(offset * native_sr))
        if start:
            if start >= f.frames:
                return np.zeros(0, dtype=np.float32), native_sr
            f.seek(start)
        frames = -1 if duration is None else int(round(duration * native_sr))
        if f.channels == 1:  # no 2-D copy to average: an hour of mono audio is read once
            return f.read(frames, dtype="float32"), native_sr
        data = f.read(frames, dtype="float32", always_2d=True)
    return data.mean(axis=1), native_sr


def _read_fallback(path, offset, duration, sf_error, mono=True):
    """Decode with librosa (audioread); ``mono=False`` gives shape (n_channels, n_samples)."""
    import librosa

    try:
        with warnings.catch_warnings():
            # librosa warns "PySoundFile failed. Trying audioread instead."
            warnings.simplefilter("ignore")
            y, native_sr = librosa.load(
                path, sr=None, mono=mono, offset=offset, duration=duration, dtype=np.float32
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
        many samples?), has more than 2 dimensions, is complex, is empty or
        is a 2-D array of empty clips.
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


def clip_name(clip, index=None):
    """How messages name a clip: its path (quoted) or ``"clip <index>"`` for a waveform."""
    if isinstance(clip, (str, os.PathLike)):
        return repr(os.fspath(clip))
    return "clip" if index is None else f"clip {index}"


def load_clip(clip, *, sr=22050, index=None, res_type="soxr_hq"):
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
    res_type : str, default="soxr_hq"
        Resampling filter for files (see :func:`load_audio`).

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
        return load_audio(clip, sr=sr, res_type=res_type)
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


# Integer PCM subtypes: read in this dtype and written back, a piece is bit-exact.
_PCM_DTYPES = {
    "PCM_S8": "int16",
    "PCM_U8": "int16",
    "PCM_16": "int16",
    "PCM_24": "int32",
    "PCM_32": "int32",
}


def segment_audio(
    path,
    out_dir,
    *,
    segment_duration=30.0,
    sr=None,
    drop_last=True,
    format="wav",
    subtype=None,
):
    """Cut an audio file into consecutive fixed-length pieces, written to ``out_dir``.

    Piece ``k`` covers ``[k * segment_duration, (k + 1) * segment_duration)``
    seconds of the file and is written as ``out_dir/<stem>.<k:03d>.<format>``
    (``song.mp3`` gives ``song.000.wav``, ``song.001.wav``, ...; past 999
    pieces the number simply grows to four digits). A 180-s file gives six
    30-s pieces.

    Pieces keep the file's channels and, with ``sr=None``, its sampling rate;
    nothing is mixed down. The file is streamed one piece at a time, so memory
    stays bounded by one piece however long the recording. When the source is
    integer PCM (e.g. 16-bit WAV or FLAC), ``sr`` is ``None`` and the output
    keeps that subtype, the pieces are bit-exact copies: concatenated, they
    are the source's samples.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (anything libsndfile reads; other formats, e.g. ``.m4a``,
        through :func:`librosa.load` / audioread, which decodes the whole file
        into memory).
    out_dir : str or os.PathLike
        Folder the pieces are written to; created if missing. Existing pieces
        of the same names are overwritten.
    segment_duration : float, default=30.0
        Length of each piece in seconds (rounded to whole samples).
    sr : int or None, default=None
        Sampling rate of the pieces in Hz. ``None`` keeps the file's rate;
        otherwise each piece is resampled on its own with
        :func:`librosa.resample` (soxr_hq), as :func:`load_audio` with that
        ``offset`` and ``duration`` would, and padded or trimmed to
        ``round(segment_duration * sr)`` samples.
    drop_last : bool, default=True
        Drop the trailing remainder shorter than ``segment_duration`` (so all
        pieces have the same length). ``False`` writes it as a shorter last
        piece. With ``True`` a file shorter than one piece writes nothing.
    format : str, default="wav"
        Output container, a :func:`soundfile.available_formats` key (``"wav"``,
        ``"flac"``, ``"ogg"``, ...); also the pieces' file extension.
    subtype : str or None, default=None
        Output sample format (``"PCM_16"``, ``"FLOAT"``, ...). ``None`` keeps
        the source's subtype when ``format`` supports it, else uses
        :func:`soundfile.default_subtype` (``"PCM_16"`` for WAV and FLAC).
        Decoded float audio written as integer PCM is clipped to [-1, 1].

    Returns
    -------
    pieces : list of pathlib.Path
        The files written, in time order; empty when ``drop_last=True`` and
        the file is shorter than ``segment_duration``.

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, is empty, cannot be decoded,
        holds no samples or holds NaN/inf samples. The message names the file;
        pieces already written by this call are removed.
    ValueError
        ``segment_duration``, ``sr``, ``format`` or ``subtype`` is invalid.

    See Also
    --------
    sk_genre.datasets.segment_audio_folder : Segment a whole genre-per-folder
        tree and write a manifest that keeps each song one CV group.
    load_audio : Decode one file (or one piece of it) to mono float32.

    References
    ----------
    .. [1] G. Tzanetakis and P. Cook, "Musical genre classification of audio
       signals," IEEE Trans. Speech and Audio Processing, 10(5), 2002 (the
       30-s excerpts of GTZAN).

    Examples
    --------
    >>> from sk_genre.io import segment_audio
    >>> pieces = segment_audio("song.flac", "pieces/")  # doctest: +SKIP
    >>> [p.name for p in pieces]  # a 3-minute song  # doctest: +SKIP
    ['song.000.wav', 'song.001.wav', 'song.002.wav', 'song.003.wav', 'song.004.wav', 'song.005.wav']
    """
    pieces = _write_segments(
        path,
        out_dir,
        segment_duration=segment_duration,
        sr=sr,
        drop_last=drop_last,
        format=format,
        subtype=subtype,
    )
    return [piece for piece, _, _ in pieces]


def _write_segments(path, out_dir, *, segment_duration, sr, drop_last, format, subtype):
    """Do :func:`segment_audio`; return ``(piece, start, end)`` per piece, times in seconds."""
    if not (
        isinstance(segment_duration, numbers.Real)
        and np.isfinite(segment_duration)
        and segment_duration > 0
    ):
        raise ValueError(
            f"segment_duration must be a positive number of seconds; got {segment_duration!r}"
        )
    _check_sr(sr)
    fmt = str(format).upper()
    if fmt not in sf.available_formats():
        raise ValueError(
            f"format must be one of {', '.join(sorted(f.lower() for f in sf.available_formats()))}"
            f"; got {format!r}"
        )
    if subtype is not None and not sf.check_format(fmt, subtype):
        raise ValueError(
            f"subtype must be one that {fmt} supports ({', '.join(sf.available_subtypes(fmt))})"
            f"; got {subtype!r}"
        )
    path = _check_file(path)
    out_dir = Path(out_dir)
    stem = Path(path).stem
    try:
        source = sf.SoundFile(path)
    except _SF_ERRORS as sf_error:
        source = _InMemorySource(*_read_fallback(path, 0.0, None, sf_error, mono=False))

    written = []
    with source:
        native_sr = source.samplerate
        n_in = round(segment_duration * native_sr)
        if n_in < 1:
            raise ValueError(
                f"segment_duration must be at least one sample (1/{native_sr} s); "
                f"got {segment_duration!r} ({path})"
            )
        out_sr = native_sr if sr is None else int(sr)
        resample = out_sr != native_sr
        if subtype is None:
            same = source.subtype is not None and sf.check_format(fmt, source.subtype)
            subtype = source.subtype if same else sf.default_subtype(fmt)
        if not resample and subtype == source.subtype and subtype in _PCM_DTYPES:
            dtype = _PCM_DTYPES[subtype]  # bit-exact copy
        else:
            dtype = "float64" if subtype == "DOUBLE" else "float32"
        try:
            for k in itertools.count():
                try:
                    block = source.read(n_in, dtype=dtype, always_2d=True)
                except _SF_ERRORS as exc:
                    reason = str(exc).strip() or type(exc).__name__
                    raise AudioDecodeError(
                        path, f"decoding failed after {k * n_in / native_sr:g} s ({reason})"
                    ) from exc
                n = block.shape[0]
                if n == 0 and k == 0:
                    raise AudioDecodeError(path, "contains no audio samples")
                if n == 0 or (n < n_in and drop_last):
                    break
                if dtype.startswith("float") and not np.isfinite(block).all():
                    raise AudioDecodeError(path, "contains NaN or infinite samples")
                if resample:
                    full = round(segment_duration * out_sr)
                    size = full if n == n_in else max(round(n * out_sr / native_sr), 1)
                    block = _resample_block(block, native_sr, out_sr, size)
                if dtype.startswith("float") and subtype in _PCM_DTYPES:
                    np.clip(block, -1.0, 1.0, out=block)
                if not written:
                    out_dir.mkdir(parents=True, exist_ok=True)
                piece = out_dir / f"{stem}.{k:03d}.{fmt.lower()}"
                sf.write(piece, block, out_sr, subtype=subtype, format=fmt)
                written.append((piece, k * n_in / native_sr, (k * n_in + n) / native_sr))
                if n < n_in:
                    break
        except BaseException:
            for piece, _, _ in written:
                piece.unlink(missing_ok=True)
            raise
    return written


def _resample_block(block, orig_sr, target_sr, size):
    """Resample ``block`` (n_frames, n_channels) and fix its length to ``size`` frames."""
    import librosa

    y = librosa.resample(block, orig_sr=orig_sr, target_sr=target_sr, axis=0)
    return np.ascontiguousarray(librosa.util.fix_length(y, size=size, axis=0))


class _InMemorySource:
    """A decoded waveform read like a :class:`soundfile.SoundFile` (fallback decoders)."""

    subtype = None

    def __init__(self, y, samplerate):
        self._frames = np.atleast_2d(y).T  # (n_frames, n_channels)
        self.samplerate = samplerate
        self._pos = 0

    def read(self, frames, dtype="float32", always_2d=True):
        block = self._frames[self._pos : self._pos + frames]
        self._pos += block.shape[0]
        return block.astype(dtype)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
