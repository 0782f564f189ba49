"""Audio input: decode files and validate waveforms into mono float32 clips.

Everything downstream of this module sees 1-D ``float32`` arrays sampled at
``sr`` Hz. Files are decoded with :mod:`soundfile` (wav, flac, ogg, mp3, au,
aiff: no ffmpeg needed) and, when libsndfile cannot read a file, with
audioread (ffmpeg) as a fallback. Headers are checked, and decoded lengths
compared with declared ones, from the container's bytes
(:mod:`sk_genre._headers`). libsndfile's output is mixed
down and resampled (soxr, high quality: bit-identical to :func:`librosa.resample`)
block by block, so a long multi-channel file never exists whole in memory at its
own rate and channel count. :func:`segment_audio` cuts long
recordings into fixed-length pieces on disk (a dataset of 30-s clips from
whole songs).
"""

import contextlib
import errno
import itertools
import numbers
import os
import shutil
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from . import _headers
from ._atomic import atomic_path
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

#: Suffixes of the formats libsndfile decodes itself (no ffmpeg needed).
_LIBSNDFILE_EXTENSIONS = frozenset(
    {".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".au", ".snd", ".aif", ".aiff", ".aifc"}
)
#: Suffixes of common formats only ffmpeg decodes (through audioread): AAC/ALAC in MP4,
#: raw ADTS AAC, Windows Media, WebM and Matroska audio.
_FFMPEG_EXTENSIONS = frozenset({".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka"})
#: File name suffixes treated as audio by :func:`sk_genre.datasets.load_audio_folder` (and
#: so by ``sk-genre train`` / ``evaluate``): the formats libsndfile reads, and those ffmpeg
#: reads when it is installed.
AUDIO_EXTENSIONS = _LIBSNDFILE_EXTENSIONS | _FFMPEG_EXTENSIONS


def load_audio(path, *, sr=22050, offset=0.0, duration=None, res_type="soxr_hq"):
    """Decode an audio file to a mono float32 waveform at ``sr`` Hz.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (wav, flac, ogg, opus, mp3, au, aiff: anything libsndfile
        reads; m4a, mp4, aac, wma, webm, mka and whatever else ffmpeg reads,
        through audioread, when ffmpeg is installed).
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
        (``"kaiser_best"`` needs the ``resampy`` package). The soxr filters
        (``"soxr_hq"``, ``"soxr_vhq"``, ...) resample block by block as the
        file is decoded; the others resample the whole mono signal at once.

    Returns
    -------
    y : ndarray of shape (n_samples,), dtype float32
        Mono waveform; multi-channel audio is mixed down by averaging the
        channels (as :func:`librosa.to_mono`).

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, a pipe or a device, is
        empty, is not readable (permission denied), cannot be decoded (with
        libsndfile's reason, and a hint when ffmpeg is needed but missing),
        holds no samples in the requested range, or holds NaN/inf samples; its
        header is implausible: a native sample rate outside 1000..768000 Hz,
        more than 64 channels, a WAV data size or frame size that cannot be
        true, no header at all (``.au``/``.snd`` bytes libsndfile would guess
        to be raw µ-law); or, read whole, it decoded to less audio than its
        container declares (corrupt data: Ogg granules and page checksums,
        FLAC STREAMINFO, MP3 Xing/VBRI header or frame count, MP4 duration).
        Any other exception a decoder raises (``MemoryError`` ...) comes out
        as this error too, so ``on_error="skip"`` skips the file. The message
        names the file and the cause.
    ValueError
        ``sr``, ``offset`` or ``duration`` is out of range.

    Notes
    -----
    Files libsndfile reads are decoded block by block (``2**17`` frames at a
    time): each block is mixed down to mono and, with a soxr ``res_type``, fed
    through :class:`soxr.ResampleStream`. The result is bit-identical to
    reading the whole file, averaging its channels and calling
    :func:`librosa.resample` on the mono signal, while memory beyond the
    returned waveform stays a few blocks: an hour of 44.1 kHz stereo needs
    the 318 MB of the 22050 Hz result, not the 1.3 GB of its channels.
    Files decoded by the audioread fallback are read whole.

    The fallback decoders get the absolute path, so ffmpeg reads
    ``concat:a.wav`` or ``http:/host/x.wav`` as files, never as protocols. A
    file cut short (truncated) decodes to the audio that is there.
    docs/input.md lists every bad file with its message.

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
    with _named_decode_errors(path):
        try:
            _check_header(path)  # before anything is decoded or resampled
            # y is at y_sr Hz: sr when the decoder resampled block by block, else native_sr
            y, y_sr, native_sr, n_native = _read_soundfile(
                path, offset, duration, sr=sr, res_type=res_type
            )
        except _Unreadable as unreadable:
            y, native_sr = _read_fallback(path, offset, duration, unreadable.error)
            y_sr, n_native = native_sr, y.size

        if n_native == 0:
            where = f" after offset={offset} s" if offset else ""
            raise AudioDecodeError(path, f"contains no audio samples{where}")
        if offset == 0 and duration is None:
            _check_not_cut_short(path, n_native, native_sr)
        # a NaN or inf sample spreads through resampling; max and min need no temporary
        if y.size and not (np.isfinite(np.max(y)) and np.isfinite(np.min(y))):
            raise AudioDecodeError(path, "contains NaN or infinite samples")
        if sr is not None and y_sr != sr:  # res_type not soxr_*: the whole mono signal at once
            import librosa

            y = librosa.resample(y, orig_sr=y_sr, target_sr=sr, res_type=res_type)
    return np.ascontiguousarray(y, dtype=np.float32)


@contextlib.contextmanager
def _named_decode_errors(path):
    """Turn any exception a decoder raises (not an interrupt) into an AudioDecodeError.

    libsndfile, audioread, ffmpeg, soxr and numpy raise many unrelated types
    (``MemoryError``, ``OSError``, ``EOFError``, ``ZeroDivisionError`` ...):
    as :class:`AudioDecodeError` naming the file they are one clip's failure,
    which ``on_error="skip"`` skips. ``KeyboardInterrupt`` and ``SystemExit``
    pass through.
    """
    try:
        yield
    except AudioDecodeError:
        raise
    except Exception as exc:
        detail = str(exc).strip()
        reason = type(exc).__name__ + (f": {detail}" if detail else "")
        raise AudioDecodeError(path, f"decoding failed ({reason})") from exc


# What soundfile raises for a file libsndfile cannot open or decode.
_SF_ERRORS = (sf.LibsndfileError, RuntimeError, TypeError, ValueError)


#: Beyond this many bytes per second of decoded audio (2 Mbit/s, six times the highest MP3
#: bitrate, 320 kbit/s) plus 64 KiB of headers, a lossy stream did not decode to its end.
_MAX_BYTES_PER_SECOND = 250_000
_HEADER_BYTES = 65_536


def _check_not_cut_short(path, n_samples, native_sr):
    """Raise if a file decoded to less audio than it holds (corrupt data).

    Vorbis, Opus, FLAC, MP3 and AAC decoders skip damaged data or stop at it
    without an error. Where the container declares the length of the audio
    present (Ogg granule positions, FLAC STREAMINFO and frame headers, the
    MP3 Xing/Info or VBRI header or its frame count, the MP4 ``mdhd``
    duration; see :func:`sk_genre._headers.declared_length`), the decoded
    length must reach it. Every page of an Ogg file must pass its checksum
    (:func:`sk_genre._headers.ogg_damage`): read block by block, libsndfile's
    Opus decoder makes up the declared length past a damaged page. A lossy
    stream (MP3, Vorbis, Opus) that declares nothing must not hold more than
    2 Mbit of data (tags and embedded pictures left out) per second of
    decoded audio. A file cut short (truncated) declares, and decodes, what is
    left, and passes.

    Parameters
    ----------
    path : str
        Audio file, decoded from its start to its end.
    n_samples : int
        Frames decoded, at ``native_sr``.
    native_sr : int
        The file's sampling rate in Hz.
    """
    seconds = n_samples / native_sr
    declared = _headers.declared_length(path)
    if declared is not None and declared.seconds - seconds > declared.slack:
        raise AudioDecodeError(
            path,
            f"corrupt data: decoding gave {seconds:.2f} s of audio but {declared.source} "
            f"{declared.seconds:.2f} s",
        )
    damage = _headers.ogg_damage(path)
    if damage is not None:
        raise AudioDecodeError(path, f"corrupt data: {damage}")
    if declared is not None:
        return
    n_bytes = _headers.lossy_stream_bytes(path)
    if n_bytes is not None and n_bytes > _HEADER_BYTES + _MAX_BYTES_PER_SECOND * seconds:
        raise AudioDecodeError(
            path,
            f"corrupt data: decoding stopped after {seconds:.2f} s of audio although the "
            f"file holds {n_bytes} bytes of compressed audio",
        )


#: Native sampling rates accepted in files, in Hz. Real recordings run from 8 kHz telephony
#: (4-6 kHz in old VOC and AU files) to 768 kHz (4 x 192 kHz), the highest rate converters
#: offer; outside that a header is damaged or crafted. The bound also bounds resampling: at
#: most 22x more samples out than in at sr=22050.
_MIN_NATIVE_SR, _MAX_NATIVE_SR = 1_000, 768_000
#: Channels accepted in files: 64 covers 7.1.4 (12), third-order Ambisonics (16) and a
#: 64-channel MADI recording; more is a damaged header.
_MAX_FILE_CHANNELS = 64
#: Bytes after a WAV data chunk that may be neither chunks nor tags (junk some writers leave).
_WAV_TRAILING_SLACK = 65_536


def _check_native_sr(path, native_sr):
    """Raise AudioDecodeError unless a file's own rate is in 1000..768000 Hz.

    Call it wherever a file's native rate is read, before any decoding or
    resampling: a rate of 0 divides by zero, 1 Hz resampled to 22050 Hz needs
    22050 times the memory, and 4e9 Hz gives no audio at all.
    """
    if not _MIN_NATIVE_SR <= native_sr <= _MAX_NATIVE_SR:
        raise AudioDecodeError(
            path,
            f"sample rate must be in {_MIN_NATIVE_SR}..{_MAX_NATIVE_SR} Hz; got {native_sr} Hz "
            "(a damaged or crafted header)",
        )


def _check_channels(path, channels):
    if not 1 <= channels <= _MAX_FILE_CHANNELS:
        raise AudioDecodeError(
            path,
            f"channel count must be in 1..{_MAX_FILE_CHANNELS}; got {channels} "
            "(a damaged or crafted header)",
        )


def _check_header(path):
    """Refuse a header that cannot describe real audio, before anything is decoded.

    A WAV file's ``fmt`` and ``data`` chunks are parsed here (libsndfile
    trusts them; see :func:`_check_wav`); every file libsndfile opens must
    have a header (no guessed headerless data), a rate in 1000..768000 Hz
    and 1..64 channels. An MP3 whose frames hold more audio than libsndfile
    would read (a VBR stream without Xing header) is left to the fallback.

    Parameters
    ----------
    path : str
        An existing, non-empty file (see :func:`_check_file`).

    Returns
    -------
    info : soundfile._SoundFileInfo
        What libsndfile reads from the header.

    Raises
    ------
    AudioDecodeError
        The header is implausible or inconsistent.
    _Unreadable
        libsndfile cannot open the file: the fallback decoders may (and
        :func:`_read_fallback` checks their rate).
    """
    wav = _headers.wav_header(path)
    if wav is not None:
        _check_wav(path, wav)
    info = _sf_call(sf.info, path)
    if info.format == "RAW":
        raise AudioDecodeError(
            path,
            "not a decodable audio file (it has no audio header: libsndfile would guess "
            f"headerless {info.subtype} samples from the name; an .au/.snd file starts with "
            "'.snd')",
        )
    _check_native_sr(path, info.samplerate)
    _check_channels(path, info.channels)
    if info.format == "MP3":
        declared = _headers.declared_length(path)
        if (
            declared is not None
            and info.frames < (declared.seconds - declared.slack) * info.samplerate
        ):
            # libsndfile estimates a VBR stream's length without Xing header from its first
            # frame's bitrate, and reads no further: the fallback decoder reads every frame
            raise _Unreadable(
                RuntimeError(
                    f"it would read {info.frames / info.samplerate:.2f} s of audio, and "
                    f"{declared.source} {declared.seconds:.2f} s (a VBR MP3 without Xing header)"
                )
            )
    return info


def _check_wav(path, wav):
    """Refuse a WAV header whose rate, channels, frame size or data size cannot be true.

    - rate and channel count as :func:`_check_header`;
    - PCM, float, A-law and µ-law: the frame size (block align) must be the
      channel count times the sample width, unless the byte rate agrees with
      those (then only the block align is wrong, and libsndfile ignores it):
      a channel count or sample width edited alone is caught here;
    - a data chunk that declares 0 bytes with audio after it (a file written
      to a pipe whose sizes were never filled in) is refused: libsndfile
      reads none of it; 0xFFFFFFFF (the streaming convention ffmpeg and
      others use) reads to the end of the file;
    - a data chunk that ends more than 64 KiB before the end of the file,
      with bytes after it that are neither RIFF chunks nor tags, declares too
      little: libsndfile would read only the declared part. A declared size
      past the end of the file is a truncated file: what is there is read.
    """
    _check_native_sr(path, wav.samplerate)
    _check_channels(path, wav.channels)
    if wav.format_tag in (1, 3, 6, 7) and wav.bits_per_sample > 0:
        frame = wav.channels * ((wav.bits_per_sample + 7) // 8)  # bytes libsndfile reads a frame
        # a wrong block align alone (the byte rate agrees with channels x width) is harmless:
        # libsndfile ignores it. Otherwise the channel count or sample width was changed.
        if wav.block_align != frame and wav.byte_rate != wav.samplerate * frame:
            raise AudioDecodeError(
                path,
                f"WAV frame size must hold {wav.channels} channel(s) of {wav.bits_per_sample}-bit "
                f"samples; got {wav.block_align} bytes per frame (a damaged or crafted header)",
            )
    if wav.data_size is None:
        return
    after = wav.file_size - wav.data_offset
    if wav.data_size == 0 and after > 0:
        raise AudioDecodeError(
            path,
            f"WAV data size must be filled in; got 0 bytes declared with {after} bytes after "
            "the header (a file written to a pipe, or a damaged header): rewrite it, e.g. "
            "ffmpeg -i in.wav out.wav",
        )
    if wav.unexplained_bytes > _WAV_TRAILING_SLACK:
        seconds = wav.data_size / max(wav.block_align, 1) / wav.samplerate
        raise AudioDecodeError(
            path,
            f"WAV data size must cover the audio in the file; got {wav.data_size} bytes "
            f"({seconds:.2f} s) declared, followed by {wav.unexplained_bytes} bytes that are "
            "not WAV chunks (a damaged header)",
        )


def _check_sr(sr):
    if sr is not None and (
        isinstance(sr, bool) or not (isinstance(sr, (int, np.integer)) and sr > 0)
    ):
        raise ValueError(f"sr must be a positive integer (Hz) or None; got {sr!r}")


def _check_file(path):
    """Return ``path`` as a str; raise AudioDecodeError unless it is a readable, non-empty file."""
    path = os.fspath(path)
    try:
        status = os.stat(path)
    except PermissionError:
        reason = "permission denied (a folder on its path is not searchable)"
        raise AudioDecodeError(path, reason) from None
    except (FileNotFoundError, NotADirectoryError):
        raise AudioDecodeError(path, "file does not exist") from None
    except ValueError:  # a NUL byte in the path
        raise AudioDecodeError(path, "file does not exist (the path holds a NUL byte)") from None
    except OSError as exc:  # a symlink loop, a name too long ...
        raise AudioDecodeError(path, f"file cannot be opened ({exc.strerror})") from None
    if stat.S_ISDIR(status.st_mode):
        raise AudioDecodeError(path, "is a directory, not an audio file")
    if not stat.S_ISREG(status.st_mode):
        raise AudioDecodeError(path, "is not a regular file (a device, pipe or socket)")
    if status.st_size == 0:
        raise AudioDecodeError(path, "file is empty (0 bytes)")
    if not os.access(path, os.R_OK, effective_ids=os.access in os.supports_effective_ids):
        raise AudioDecodeError(path, "permission denied (the file is not readable)")
    return path


def probe_audio(path):
    """Check that a file opens as audio with at least one sample, without decoding it all.

    Reads the header with :func:`soundfile.info` and checks it as
    :func:`load_audio` does (sample rate, channels, WAV sizes, a real header);
    formats libsndfile cannot open are decoded by the fallback (audioread,
    ffmpeg) for their first 0.1 s. Cheap: use it to screen a folder before a
    long run. A file whose header is intact but whose data is cut short or
    corrupt passes, and fails (or decodes short) when it is read.

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
        The file does not exist, is a directory, is empty, is not readable,
        is not audio, has an implausible header (see :func:`load_audio`), or
        holds no samples. The message names the file and the cause.
    """
    path = _check_file(path)
    with _named_decode_errors(path):
        try:
            frames = _check_header(path).frames
        except _Unreadable as unreadable:
            frames = _read_fallback(path, 0.0, 0.1, unreadable.error)[0].size
    if frames == 0:
        raise AudioDecodeError(path, "contains no audio samples")
    return path


#: Frames decoded at a time when a file is mixed down or resampled (3 s at 44.1 kHz; 3 MB
#: of float32 for 6 channels): memory beyond the output waveform stays a few blocks.
_BLOCK_FRAMES = 1 << 17


class _Unreadable(Exception):
    """libsndfile could not open or decode a file; ``error`` is what it raised."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def _sf_call(func, *args, **kwargs):
    """Call a soundfile function; what libsndfile raises becomes :class:`_Unreadable`."""
    try:
        return func(*args, **kwargs)
    except _SF_ERRORS as exc:
        raise _Unreadable(exc) from exc


def _read_soundfile(path, offset, duration, *, sr=None, res_type="soxr_hq"):
    """Decode with libsndfile to mono float32, block by block; resample on the way if soxr.

    Multi-channel audio is read ``_BLOCK_FRAMES`` frames at a time and each
    block mixed down (the mean of its channels, as :func:`librosa.to_mono`), so
    the whole multi-channel array never exists. When ``sr`` differs from the
    file's rate and ``res_type`` is a soxr filter (``"soxr_hq"``, ...), each
    mono block also goes through :class:`soxr.ResampleStream`, whose output
    is bit-identical to :func:`librosa.resample` of the whole mono signal
    (tests/test_bad_input.py checks it), padded or trimmed like it to
    ``ceil(n_native * sr / native_sr)`` samples. Memory is then the output
    waveform plus a few blocks, however long the file. Mono files that need no
    resampling are read in one call, straight into the output.

    Parameters
    ----------
    path : str
        Audio file.
    offset, duration : float, float or None
        As :func:`load_audio`, in seconds.
    sr : int or None, default=None
        Output rate in Hz; ``None`` keeps the file's.
    res_type : str, default="soxr_hq"
        Resampling filter; other than ``soxr_*``, the native-rate waveform is
        returned for the caller to resample whole.

    Returns
    -------
    y : ndarray of shape (n_samples,), float32
        Mono waveform at ``y_sr`` Hz.
    y_sr : int
        ``sr`` when resampled here, else ``native_sr``.
    native_sr : int
        The file's rate in Hz.
    n_native : int
        Frames decoded, at ``native_sr`` (0: none in the requested range).

    Raises
    ------
    _Unreadable
        libsndfile cannot open the file or failed while decoding it.
    """
    f = _sf_call(sf.SoundFile, path)
    with f:
        native_sr, channels = f.samplerate, f.channels
        start = int(round(offset * native_sr))
        n_native = max(f.frames - start, 0)  # soundfile reads at most f.frames
        if duration is not None:
            n_native = min(n_native, int(round(duration * native_sr)))
        if n_native == 0:
            return np.zeros(0, dtype=np.float32), native_sr, native_sr, 0
        if start:
            _sf_call(f.seek, start)
        stream = sr is not None and sr != native_sr and res_type.lower().startswith("soxr")
        if channels == 1 and not stream:  # read once, straight into the output
            y = _sf_call(f.read, n_native, dtype="float32")
            return y, native_sr, native_sr, y.shape[0]
        if stream:
            import soxr

            resampler = soxr.ResampleStream(native_sr, sr, 1, dtype="float32", quality=res_type)
            out_sr = sr
        else:
            resampler, out_sr = None, native_sr
        # np.zeros: pages are mapped as they are written; the tail stays librosa's zero padding
        y = np.zeros(_resampled_length(n_native, native_sr, out_sr), dtype=np.float32)
        n_in = n_out = 0
        while n_in < n_native:
            want = min(_BLOCK_FRAMES, n_native - n_in)
            block = _sf_call(f.read, want, dtype="float32", always_2d=channels > 1)
            n_in += block.shape[0]
            last = block.shape[0] < want or n_in == n_native
            mono = block if channels == 1 else block.mean(axis=1)
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            take = min(mono.shape[0], y.shape[0] - n_out)
            y[n_out : n_out + take] = mono[:take]
            n_out += take
            if last:
                break
    size = _resampled_length(n_in, native_sr, out_sr)
    if size < y.shape[0]:  # decoding stopped early (a truncated file): free the rest
        y.resize(size, refcheck=False)
    return y, out_sr, native_sr, n_in


def _resampled_length(n_frames, orig_sr, target_sr):
    """Samples :func:`librosa.resample` gives for ``n_frames``: ``ceil(n_frames * ratio)``."""
    if orig_sr == target_sr:
        return n_frames
    return int(np.ceil(n_frames * (float(target_sr) / orig_sr)))


def _read_fallback(path, offset, duration, sf_error, mono=True):
    """Decode with audioread (the stdlib readers, then ffmpeg) when libsndfile cannot.

    The decoders get the absolute path: ffmpeg reads ``concat:a.wav`` or
    ``http:/host/x.wav`` as protocols (another file's audio, a network
    request), ``/cwd/concat:a.wav`` as a file. Their rate is checked as
    libsndfile's (:func:`_check_native_sr`). ``mono=False`` gives shape
    (n_channels, n_samples).

    Raises
    ------
    AudioDecodeError
        No decoder reads the file (with libsndfile's reason, and a hint when
        ffmpeg is missing), it holds no audio, or its rate is out of range.
    """
    import librosa

    reason = _libsndfile_reason(sf_error)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # deprecations: librosa's of audioread, audioread's
            import audioread

            # an audioread object, so that librosa does not try libsndfile a second time
            with audioread.audio_open(os.path.abspath(path)) as source:
                y, native_sr = librosa.load(
                    source, sr=None, mono=mono, offset=offset, duration=duration, dtype=np.float32
                )
    except Exception as exc:  # audioread raises many unrelated types
        raise AudioDecodeError(path, _undecodable_reason(path, reason)) from exc
    if native_sr <= 0:  # ffmpeg read something without a rate: not audio
        raise AudioDecodeError(
            path, f"not a decodable audio file ({reason}; the fallback decoder found no rate)"
        )
    _check_native_sr(path, native_sr)
    if y.size == 0 and offset == 0:
        raise AudioDecodeError(
            path, f"not a decodable audio file ({reason}; the fallback decoder found no audio)"
        )
    return y, native_sr


def _libsndfile_reason(error):
    """libsndfile's reason for refusing a file, without the path (the message has it)."""
    reason = str(error).strip() or type(error).__name__
    prefix = reason.find("': ")
    if reason.startswith("Error opening ") and prefix >= 0:
        reason = reason[prefix + 3 :]
    if "does not exist or is not a regular file" in reason:
        # its MP3 probe's words for data it cannot parse: the file does exist (checked)
        reason = "Format not recognised."
    return f"libsndfile: {reason.rstrip('.')}"


def _undecodable_reason(path, reason):
    """Why no decoder read ``path``; say so when ffmpeg, the fallback's decoder, is missing."""
    if shutil.which("ffmpeg") or shutil.which("avconv"):
        return f"not a decodable audio file ({reason})"
    suffix = os.path.splitext(path)[1].lower()
    if suffix in _FFMPEG_EXTENSIONS:
        return f"{suffix} files need ffmpeg, which was not found on PATH: install ffmpeg ({reason})"
    missing = "ffmpeg, the fallback decoder, was not found on PATH"
    return f"not a decodable audio file ({reason}; {missing})"


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
        The path cannot be decoded (see :func:`load_audio`), or its samples
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
        through :func:`librosa.load` / audioread, which decodes the whole file
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
    _check_sr(sr)
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
    path = _check_file(path)
    out_dir = Path(out_dir)
    stem = Path(path).stem if stem is None else stem
    with _named_decode_errors(path):
        try:
            _check_header(path)  # a crafted rate or channel count: refused before decoding
            source = _sf_call(sf.SoundFile, path)
        except _Unreadable as unreadable:
            y, native_sr = _read_fallback(path, 0.0, None, unreadable.error, mono=False)
            source = _InMemorySource(y, native_sr)

    written, n_total = [], 0
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
            try:
                block = source.read(n_in, dtype=dtype, always_2d=True)
            except _SF_ERRORS as exc:
                reason = str(exc).strip() or type(exc).__name__
                raise AudioDecodeError(
                    path, f"decoding failed after {k * n_in / native_sr:g} s ({reason})"
                ) from exc
            n = block.shape[0]
            n_total += n
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
            _check_not_cut_short(path, n_total, native_sr)
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


class _InMemorySource:
    """A decoded waveform read like a :class:`soundfile.SoundFile` (fallback decoders)."""

    subtype = None

    def __init__(self, y, samplerate):
        self._frames = np.atleast_2d(y).T  # (n_frames, n_channels)
        self.samplerate = samplerate
        self.channels = self._frames.shape[1]
        self._pos = 0

    def read(self, frames, dtype="float32", always_2d=True):
        block = self._frames[self._pos : self._pos + frames]
        self._pos += block.shape[0]
        return block.astype(dtype)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
