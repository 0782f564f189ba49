"""Cut long recordings into fixed-length pieces on disk (a dataset of 30-s clips from songs).

:func:`segment_audio` cuts one file; :func:`sk_genre.datasets.segment_audio_folder`
cuts a genre-per-folder tree with ``_write_segments``, which also returns
each piece's start and end. Files are read through :func:`sk_genre.io.open_audio`
(header checks, libsndfile streaming, the audioread fallback), so decoding stays
in :mod:`sk_genre.io`.
"""

import contextlib
import errno
import glob
import itertools
import numbers
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from .._atomic import atomic_path
from ..exceptions import AudioDecodeError
from ..io import open_audio

__all__ = ["segment_audio"]

# What soundfile raises when libsndfile refuses to write a file.
_SF_ERRORS = (sf.LibsndfileError, RuntimeError, TypeError, ValueError)


# Integer PCM subtypes: read in this dtype and written back, a piece is bit-exact.
_PCM_DTYPES = {
    "PCM_S8": "int16",
    "PCM_U8": "int16",
    "PCM_16": "int16",
    "PCM_24": "int32",
    "PCM_32": "int32",
}
#: Source subtypes that pieces keep when ``subtype=None``: linear PCM and float, which
#: libsndfile writes back exactly. A compressed or companded source (MPEG_LAYER_III,
#: VORBIS, OPUS, ULAW, ADPCM ...) is written in the output format's default subtype instead:
#: libsndfile cannot write some of them at all (``check_format("WAV", "MPEG_LAYER_III")``
#: is True, yet writing one fails), and re-encoding the others would add a second loss.
_KEPT_SUBTYPES = frozenset(_PCM_DTYPES) | {"FLOAT", "DOUBLE"}


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

    The pieces appear all at once or not at all: each is written to a
    temporary file beside it (``.<name>.<random>.tmp.<format>``, hidden) and
    the temporary files are renamed to the pieces only when the whole file
    has been cut. A decoding error, a full disk or Ctrl-C part-way leaves no
    new piece and no partial file, and existing pieces of the same names as
    they were.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (anything libsndfile reads; other formats, e.g. ``.m4a``,
        through audioread (ffmpeg), which decodes the whole file
        into memory).
    out_dir : str or os.PathLike
        Folder the pieces are written to; created if missing. Existing files
        of the same names as the pieces are replaced; no other file is
        touched.
    segment_duration : float, default=30.0
        Length of each piece in seconds (rounded to whole samples).
    sr : int or None, default=None
        Sampling rate of the pieces in Hz. ``None`` keeps the file's rate;
        otherwise each piece is resampled on its own with
        :func:`librosa.resample` (soxr_hq), as :func:`sk_genre.io.load_audio` with that
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
        the source's subtype when it is linear PCM or float (``PCM_S8``,
        ``PCM_U8``, ``PCM_16``, ``PCM_24``, ``PCM_32``, ``FLOAT``, ``DOUBLE``)
        and ``format`` can hold it; any other source (MP3, Ogg Vorbis, Opus,
        µ-law ...) is written in :func:`soundfile.default_subtype`
        (``"PCM_16"`` for WAV and FLAC). Decoded float audio written as
        integer PCM is clipped to [-1, 1].

    Returns
    -------
    pieces : list of pathlib.Path
        The files written, in time order; empty when ``drop_last=True`` and
        the file is shorter than ``segment_duration``.

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, is empty, cannot be decoded,
        holds no samples or holds NaN/inf samples. The message names the
        file; no piece is left by this call.
    ValueError
        ``segment_duration``, ``sr``, ``format`` or ``subtype`` is invalid, or
        libsndfile cannot write the file's channels and rate in ``format``
        and ``subtype`` (e.g. MP3 output at 4000 Hz); the message names the
        file.
    OSError
        A piece cannot be written (full disk, file size limit, permission
        denied); the message names the piece. No piece is left by this call.

    See Also
    --------
    sk_genre.datasets.segment_audio_folder : Segment a whole genre-per-folder
        tree and write a manifest that keeps each song one CV group.
    sk_genre.io.load_audio : Decode one file (or one piece of it) to mono float32.

    References
    ----------
    .. [1] G. Tzanetakis and P. Cook, "Musical genre classification of audio
       signals," IEEE Trans. Speech and Audio Processing, 10(5), 2002 (the
       30-s excerpts of GTZAN).

    Examples
    --------
    >>> from sk_genre.datasets import segment_audio
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


def _check_segment_args(segment_duration, sr, format, subtype):
    """Validate :func:`segment_audio`'s parameters; return ``format`` as libsndfile names it."""
    if not (
        isinstance(segment_duration, numbers.Real)
        and not isinstance(segment_duration, bool)
        and np.isfinite(segment_duration)
        and segment_duration > 0
    ):
        raise ValueError(
            f"segment_duration must be a positive number of seconds; got {segment_duration!r}"
        )
    if sr is not None and (
        isinstance(sr, bool) or not (isinstance(sr, (int, np.integer)) and sr > 0)
    ):
        raise ValueError(f"sr must be a positive integer (Hz) or None; got {sr!r}")
    fmt = str(format).upper()
    if fmt not in sf.available_formats():
        raise ValueError(
            f"format must be one of {', '.join(sorted(f.lower() for f in sf.available_formats()))}"
            f"; got {format!r}"
        )
    if subtype is not None and not (isinstance(subtype, str) and sf.check_format(fmt, subtype)):
        raise ValueError(
            f"subtype must be one that {fmt} supports ({', '.join(sf.available_subtypes(fmt))})"
            f"; got {subtype!r}"
        )
    # listed by libsndfile, yet it cannot write it at any common rate (MP3 in WAV); a rate
    # only some formats hold (Opus: not 44100 Hz) is checked per file, in _write_segments
    refusals = [] if subtype is None else [_write_refusal(fmt, subtype, r, 1) for r in _RATES]
    refusal = refusals[0] if refusals and all(refusals) else None
    if refusal is not None:
        raise ValueError(
            f"subtype must be one that libsndfile can write in {fmt}; got {subtype!r} ({refusal})"
        )
    return fmt


#: Rates at which an explicit ``subtype`` is tried before any work (one must be writable).
_RATES = (48000, 44100, 22050, 16000, 8000)


def _write_refusal(fmt, subtype, samplerate, channels):
    """Why libsndfile refuses to write this format and subtype at this rate; None if it can.

    :func:`soundfile.check_format` only says the pair exists (it is True for
    WAV with MPEG_LAYER_III, which libsndfile cannot write); opening a writer
    on the null device asks libsndfile itself, rate and channel count included
    (a memory buffer would answer the same, through Python callbacks that
    swallow a Ctrl-C).
    """
    try:
        with sf.SoundFile(os.devnull, "w", samplerate, channels, subtype, format=fmt):
            pass
    except _SF_ERRORS as exc:
        return str(exc).split(": ", 1)[-1].strip() or type(exc).__name__
    return None


def _write_segments(path, out_dir, *, segment_duration, sr, drop_last, format, subtype, stem=None):
    """Do :func:`segment_audio`; return ``(piece, start, end)`` per piece, times in seconds.

    ``stem`` names the pieces (``<stem>.<k:03d>.<format>``); ``None`` uses the
    file's own stem. Every piece is first written to a temporary file; they
    are all renamed to their final names once the whole file is cut, so an
    exception part-way (KeyboardInterrupt included) leaves no piece behind.
    """
    fmt = _check_segment_args(segment_duration, sr, format, subtype)
    source = open_audio(path)  # a crafted rate or channel count: refused before decoding
    path = source.path
    out_dir = Path(out_dir)
    stem = Path(path).stem if stem is None else stem

    written = []
    try:
        with source, contextlib.ExitStack() as staged:  # staged: rename all pieces at the end
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
                keep = source.subtype in _KEPT_SUBTYPES and sf.check_format(fmt, source.subtype)
                subtype = source.subtype if keep else sf.default_subtype(fmt)
            refusal = _write_refusal(fmt, subtype, out_sr, source.channels)
            if refusal is not None:
                raise ValueError(
                    f"format must be able to hold {source.channels} channel(s) at {out_sr} Hz as "
                    f"{subtype}; got {fmt}, which libsndfile refuses ({refusal}): choose another "
                    f"format, subtype or sr ({path})"
                )
            if not resample and subtype == source.subtype and subtype in _PCM_DTYPES:
                dtype = _PCM_DTYPES[subtype]  # bit-exact copy
            else:
                dtype = "float64" if subtype == "DOUBLE" else "float32"
            for k in itertools.count():
                block = source.read(n_in, dtype=dtype)  # AudioDecodeError naming the time reached
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
                _write_piece(
                    staged.enter_context(atomic_path(piece)), piece, block, out_sr, fmt, subtype
                )
                written.append((piece, k * n_in / native_sr, (k * n_in + n) / native_sr))
                if n < n_in:
                    break
            if written:  # read to the end: damaged data the decoder skipped quietly fails here
                source.check_complete()
    except BaseException:
        # a Ctrl-C between a temporary piece's creation and its registration in ``staged``
        # (a few bytecodes) would leave it: remove what this call's pieces may have left
        for tmp in out_dir.glob(f".{glob.escape(stem)}.[0-9]*.tmp.*"):
            tmp.unlink(missing_ok=True)
        raise
    return written


def _write_piece(tmp, piece, block, samplerate, fmt, subtype):
    """Write ``block`` to ``tmp``; a failed write raises an OSError naming ``piece``.

    libsndfile writes straight to the file (no Python callback, where Ctrl-C
    would be swallowed) and reports every failed write as "System error"; a
    second, plain write to the same file then gives the real cause (no space
    left on device, file too large ...).
    """
    try:
        sf.write(tmp, block, samplerate, subtype=subtype, format=fmt)
    except _SF_ERRORS as exc:
        reason = str(exc).split(": ", 1)[-1].strip() or type(exc).__name__
        try:
            with open(tmp, "ab") as f:
                f.write(bytes(1 << 16))
                f.flush()
                os.fsync(f.fileno())
        except OSError as cause:
            reason, code = cause.strerror, cause.errno
        else:
            code = errno.EIO
        raise OSError(code, f"cannot write the piece: {reason}", os.fspath(piece)) from exc


def _resample_block(block, orig_sr, target_sr, size):
    """Resample ``block`` (n_frames, n_channels) and fix its length to ``size`` frames."""
    import librosa

    y = librosa.resample(block, orig_sr=orig_sr, target_sr=target_sr, axis=0)
    return np.ascontiguousarray(librosa.util.fix_length(y, size=size, axis=0))
