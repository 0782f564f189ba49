"""Audio decoding: files to mono float32 waveforms, or to blocks at their own rate.

Everything downstream of this module sees 1-D ``float32`` arrays sampled at
``sr`` Hz. Files are decoded with :mod:`soundfile` (wav, flac, ogg, mp3, au,
aiff: no ffmpeg needed) and, when libsndfile cannot read a file, with
audioread (ffmpeg) as a fallback. Headers are checked, and decoded lengths
compared with declared ones, from the container's bytes
(:mod:`sk_genre._headers`). libsndfile's output is mixed
down and resampled (soxr, high quality: bit-identical to :func:`librosa.resample`)
block by block, so a long multi-channel file never exists whole in memory at its
own rate and channel count. :func:`open_audio` hands a file out block by
block as it is (its rate, its channels), after the same checks.

This module decodes only, and imports neither :mod:`sk_genre.features` nor
:mod:`sk_genre.datasets`: what estimators check on ``X`` is in
:mod:`sk_genre.features` (:func:`~sk_genre.features.check_clips`,
:func:`~sk_genre.features.load_clip`); cutting files into pieces is
:func:`sk_genre.datasets.segment_audio`.
"""

import contextlib
import os
import shutil
import stat
import warnings

import numpy as np
import soundfile as sf

from . import _headers
from .exceptions import AudioDecodeError

__all__ = [
    "AUDIO_EXTENSIONS",
    "AudioReader",
    "load_audio",
    "stream_audio",
    "open_audio",
    "probe_audio",
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

    Notes
    -----
    audioread is a dependency of sk_genre itself: librosa 1.0 no longer
    decodes through it (its :func:`librosa.load` reads only what libsndfile
    reads). The 16-bit blocks audioread gives are read here as librosa 0.11's
    ``load`` read them, so both librosa lines decode the same samples.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Python 3.11/3.12 deprecate aifc and sunau, audioread's
        import audioread

    reason = _libsndfile_reason(sf_error)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backends = audioread.available_backends()  # found once, then cached
            if audioread.ffdec.FFmpegAudioFile not in backends:
                # asked again (0.3-0.4 s) while ffmpeg is missing: installed after the error
                # that says to install it, it is used without restarting the process
                backends = audioread.available_backends(flush_cache=True)
            with audioread.audio_open(os.path.abspath(path), backends=backends) as source:
                y, native_sr = _read_audioread(source, offset, duration)
    except Exception as exc:  # audioread raises many unrelated types
        raise AudioDecodeError(path, _undecodable_reason(path, reason)) from exc
    if mono and y.ndim > 1:
        y = np.mean(y, axis=0)  # as librosa.to_mono
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


def _read_audioread(source, offset, duration):
    """Read an open audioread file from ``offset`` for ``duration`` seconds.

    Parameters
    ----------
    source : audioread.AudioFile
        An open file; its blocks are interleaved 16-bit little-endian PCM.
    offset : float
        Start, in seconds (``int(offset * samplerate)`` frames are skipped).
    duration : float or None
        Length in seconds (``int(duration * samplerate)`` frames); ``None``
        reads to the end.

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_channels, n_samples), dtype float32
        The samples scaled to [-1, 1) (``int16 / 32768``, as
        :func:`librosa.util.buf_to_float`); 1-D for a mono file.
    native_sr : int
        The file's sampling rate in Hz.

    Raises
    ------
    ValueError
        The decoder gave a number of samples that is not a whole number of
        frames.
    """
    native_sr, channels = source.samplerate, source.channels
    start = int(native_sr * offset) * channels  # in interleaved samples
    stop = None if duration is None else start + int(native_sr * duration) * channels
    blocks, n = [], 0
    for buf in source:
        block = np.frombuffer(buf, "<i2").astype(np.float32) * np.float32(1 / 32768)
        lo, n = n, n + block.size
        if n <= start:
            continue
        if stop is not None and lo >= stop:
            break  # closing the file stops ffmpeg
        blocks.append(block[max(start - lo, 0) : None if stop is None else stop - lo])
    y = np.concatenate(blocks) if blocks else np.empty(0, dtype=np.float32)
    if channels > 1:
        y = y.reshape(-1, channels).T
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


def open_audio(path):
    """Open an audio file to read it block by block, at its own rate and channel count.

    The file is checked as :func:`load_audio` checks it (a readable,
    non-empty file with a plausible header) before anything is decoded.
    Formats libsndfile reads are streamed: memory stays one block however
    long the recording. Other formats (``.m4a`` ...) are decoded whole by the
    audioread fallback (ffmpeg), then handed out block by block. Nothing is
    mixed down or resampled.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file.

    Returns
    -------
    reader : AudioReader
        The open file; use it in a ``with`` block so that it is closed.

    Raises
    ------
    AudioDecodeError
        The file does not exist, is a directory, is empty, is not readable,
        is not audio or has an implausible header (see :func:`load_audio`).
        The message names the file and the cause.

    See Also
    --------
    load_audio : Decode a file to one mono waveform at a chosen rate.
    sk_genre.datasets.segment_audio : Cut a file into pieces on disk (reads it
        through this function).

    Examples
    --------
    >>> from sk_genre.io import open_audio
    >>> with open_audio("song.flac") as f:  # doctest: +SKIP
    ...     while (block := f.read(f.samplerate * 30)).shape[0]:
    ...         print(block.shape)  # (n_frames, n_channels), 30 s at a time
    ...     f.check_complete()
    """
    path = _check_file(path)
    with _named_decode_errors(path):
        try:
            _check_header(path)  # a crafted rate or channel count: refused before decoding
            source = _sf_call(sf.SoundFile, path)
        except _Unreadable as unreadable:
            y, native_sr = _read_fallback(path, 0.0, None, unreadable.error, mono=False)
            source = _InMemorySource(y, native_sr)
    return AudioReader(path, source)


class AudioReader:
    """An audio file opened by :func:`open_audio`, read in blocks of frames.

    Made by :func:`open_audio`, not directly (its ``source`` is a
    :class:`soundfile.SoundFile` or the fallback decoder's samples).

    Attributes
    ----------
    path : str
        The file.
    samplerate : int
        The file's sampling rate in Hz.
    channels : int
        The file's number of channels.
    subtype : str or None
        libsndfile's name of the file's sample format (``"PCM_16"``,
        ``"FLOAT"``, ``"VORBIS"``, ``"MPEG_LAYER_III"`` ...); ``None`` when
        the fallback decoder read the file.
    frames_read : int
        Frames read so far.
    """

    def __init__(self, path, source):
        self.path = path
        self._source = source
        self.samplerate = source.samplerate
        self.channels = source.channels
        self.subtype = source.subtype
        self.frames_read = 0

    def read(self, frames, dtype="float32"):
        """Read the next ``frames`` frames.

        Parameters
        ----------
        frames : int
            Frames to read; fewer come back at the end of the file, none past it.
        dtype : {"float32", "float64", "int32", "int16"}, default="float32"
            Sample type, as :meth:`soundfile.SoundFile.read`: floats in
            [-1, 1], integers at their type's full scale. Use an integer type
            only when :attr:`subtype` is integer PCM.

        Returns
        -------
        block : ndarray of shape (n_frames, channels)

        Raises
        ------
        AudioDecodeError
            Decoding failed part-way; the message names the file and the time
            reached.
        """
        try:
            block = self._source.read(frames, dtype=dtype, always_2d=True)
        except _SF_ERRORS as exc:
            reason = str(exc).strip() or type(exc).__name__
            reached = self.frames_read / self.samplerate
            raise AudioDecodeError(
                self.path, f"decoding failed after {reached:g} s ({reason})"
            ) from exc
        self.frames_read += block.shape[0]
        return block

    def check_complete(self):
        """Raise AudioDecodeError if the file holds more audio than was read (corrupt data).

        Call it once :meth:`read` has come to the end of the file. Decoders
        skip damaged data, or stop at it, without an error; this compares the
        frames read with what the container declares, as :func:`load_audio`
        does (Ogg granules and page checksums, FLAC STREAMINFO, MP3 Xing/VBRI
        header or frame count, MP4 duration).

        Raises
        ------
        AudioDecodeError
            The file decoded to less audio than it holds.
        """
        _check_not_cut_short(self.path, self.frames_read, self.samplerate)

    def close(self):
        """Close the file."""
        self._source.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def stream_audio(path, *, sr=22050, res_type="soxr_hq"):
    """Decode an audio file block by block to mono float32 at ``sr`` Hz (a generator).

    The streaming twin of :func:`load_audio`, for recordings too long to hold
    (an hour of 44.1 kHz stereo; :func:`sk_genre.predict_timeline` reads
    files through it): the file is read through :func:`open_audio`
    ``2**17`` frames at a time, each block mixed down to mono (the mean of its
    channels, as :func:`librosa.to_mono`) and resampled by one
    :class:`soxr.ResampleStream` over the whole file. Memory is a few blocks
    however long the file. Concatenated, the blocks equal
    ``load_audio(path, sr=sr)`` up to its last few samples (``load_audio``
    pads or trims the end to ``ceil(n_frames * sr / native_sr)`` samples, as
    :func:`librosa.resample`; the stream ends where the resampler does).

    Parameters
    ----------
    path : str or os.PathLike
        Audio file (what :func:`open_audio` reads).
    sr : int or None, default=22050
        Output rate in Hz; ``None`` keeps the file's own rate.
    res_type : {"soxr_hq", "soxr_vhq", "soxr_mq", "soxr_lq", "soxr_qq"}, default="soxr_hq"
        The soxr filter (only soxr resamples a stream).

    Yields
    ------
    block : ndarray of shape (n_samples,), dtype float32
        The next samples of the mono waveform at ``sr`` Hz; the last block
        may be shorter, or empty.

    Raises
    ------
    AudioDecodeError
        As :func:`open_audio`; or, while streaming, decoding fails, a block
        holds NaN or infinite samples, the file holds no samples, or it
        decoded to less audio than its container declares (checked at the
        end, as :func:`load_audio` does). The message names the file.
    ValueError
        ``sr`` is out of range or ``res_type`` is not a soxr filter.

    Examples
    --------
    >>> from sk_genre.io import stream_audio
    >>> n = sum(b.size for b in stream_audio("mix.flac", sr=16000))  # doctest: +SKIP
    """
    _check_sr(sr)
    if not (isinstance(res_type, str) and res_type.lower().startswith("soxr")):
        raise ValueError(f"res_type must be a soxr filter ('soxr_hq' ...); got {res_type!r}")
    with open_audio(path) as reader, _named_decode_errors(reader.path):
        resampler = None
        if sr is not None and sr != reader.samplerate:
            import soxr

            resampler = soxr.ResampleStream(
                reader.samplerate, sr, 1, dtype="float32", quality=res_type
            )
        while True:
            block = reader.read(_BLOCK_FRAMES)
            if reader.frames_read == 0:
                raise AudioDecodeError(reader.path, "contains no audio samples")
            last = block.shape[0] < _BLOCK_FRAMES
            mono = block[:, 0] if reader.channels == 1 else block.mean(axis=1)
            if mono.size and not (np.isfinite(np.max(mono)) and np.isfinite(np.min(mono))):
                raise AudioDecodeError(reader.path, "contains NaN or infinite samples")
            if resampler is not None:
                mono = resampler.resample_chunk(mono, last=last)
            yield np.ascontiguousarray(mono, dtype=np.float32)
            if last:
                break
        reader.check_complete()  # corrupt data the decoder skipped, as load_audio checks


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

    def close(self):
        self._frames = self._frames[:0]


#: Names that moved out of this module in 0.2.0 -> (their module, the name to use instead).
#: Delete them, and ``__getattr__``, in the release after 0.2.0.
_MOVED = {
    "check_clips": ("sk_genre.features", "sk_genre.features.check_clips"),
    "clip_name": ("sk_genre.features", "sk_genre.features.clip_name"),
    "load_clip": ("sk_genre.features", "sk_genre.features.load_clip"),
    "MAX_AMPLITUDE": ("sk_genre.features", "sk_genre.features.MAX_AMPLITUDE"),
    "segment_audio": ("sk_genre.datasets", "sk_genre.datasets.segment_audio"),
}


def __getattr__(name):
    if name not in _MOVED:
        raise AttributeError(f"module 'sk_genre.io' has no attribute {name!r}")
    module, replacement = _MOVED[name]
    warnings.warn(
        f"sk_genre.io.{name} is deprecated since 0.2.0 and will be removed in the next "
        f"release; use {replacement}",
        FutureWarning,
        stacklevel=2,
    )
    # imported on access only: io itself depends on neither features nor datasets
    import importlib

    return getattr(importlib.import_module(module), name)
