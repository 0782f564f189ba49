"""What an audio file's container declares, read from its bytes without decoding.

Decoders meeting damaged data often skip it or stop early without an error
(Vorbis, Opus, FLAC, MP3 and AAC decoders all do), and libsndfile trusts a
WAV header's sizes and channel count. :mod:`sk_genre.io` compares what was
decoded with what the container says here: the length of the audio present
in the file (:func:`declared_length`), the bytes of a lossy stream without
its tags and pictures (:func:`lossy_stream_bytes`) and a WAV file's format
and data chunk (:func:`wav_header`).

Formats, as far as they are parsed:

- Ogg (RFC 3533) holding Vorbis, Opus (RFC 7845) or FLAC: the granule
  position of the last complete page of the first logical stream.
- FLAC: STREAMINFO's total samples and the frame headers at the file's end.
- MPEG audio (MP3): the Xing/Info or VBRI header of the first frame, after
  any ID3v2 tags; without one, the frames themselves are counted.
- MP4/M4A (ISO/IEC 14496-12): the ``mdhd`` duration of the sound track.
- WAV (RIFF, RIFX, RF64): the ``fmt`` and ``data`` chunks and what follows.

Every function reads a few kilobytes from the start and the end of the file
(FLAC: up to 4 MiB of its end; MP4: the ``moov`` atom; an MP3 without Xing
header and :func:`ogg_damage`: the whole file) and returns None for a file it
does not recognise, or whose length cannot be known from its bytes.
"""

import functools
import mmap
import os
import struct
import zlib
from typing import NamedTuple

__all__ = [
    "Declared",
    "WavHeader",
    "declared_length",
    "lossy_stream_bytes",
    "ogg_damage",
    "wav_header",
]


class Declared(NamedTuple):
    """Length of the audio a container declares for the bytes present in the file."""

    seconds: float
    #: Completes "decoding gave 24.40 s of audio but ...", e.g. "the file's Ogg pages declare".
    source: str
    #: Seconds the decoded audio may fall short (encoder delay and padding, a last partial frame).
    slack: float


class WavHeader(NamedTuple):
    """The facts of a WAV file's ``fmt`` and ``data`` chunks (sizes in bytes)."""

    format_tag: int  # 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law (the subformat of EXTENSIBLE)
    channels: int
    samplerate: int
    byte_rate: int
    block_align: int
    bits_per_sample: int
    data_offset: int  # first byte of the audio samples; None without a data chunk
    data_size: int  # as declared (RF64: from the ds64 chunk); None without a data chunk
    #: Bytes after the data chunk that are neither RIFF chunks nor tags.
    unexplained_bytes: int
    file_size: int


#: Seconds decoded audio may fall short of an exact declaration (Ogg granules, FLAC).
EXACT_SLACK = 0.05
#: ... of an approximate one (MP3 and AAC encoder delay, padding and priming).
CODEC_DELAY_SLACK = 0.25


def _unknown_when_malformed(parse):
    """A parser that meets bytes it cannot follow answers None ("not known"), never raises.

    Only :class:`OSError` (the file cannot be read) passes: a header this
    module misreads must never make a valid file fail.
    """

    @functools.wraps(parse)
    def tolerant(path):
        try:
            return parse(path)
        except (struct.error, IndexError, ValueError, KeyError, OverflowError):
            return None

    return tolerant


@_unknown_when_malformed
def declared_length(path):
    """Seconds of audio the container declares for what is present in the file.

    Parameters
    ----------
    path : str or os.PathLike
        Audio file.

    Returns
    -------
    declared : Declared or None
        None when the format declares no length (WAV, AIFF, raw ADTS AAC, an
        MP3 without Xing/VBRI header), when the file is cut short in a way
        that leaves the length of what is left unknown, or when the file is
        not recognised.
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        start = _id3v2_end(f, size)
        f.seek(start)
        head = f.read(12)
        if head[:4] == b"OggS":
            return _ogg_declared(f, start, size)
        if head[:4] == b"fLaC":
            return _flac_declared(f, start, size)
        if head[4:8] in _MP4_TOP_ATOMS:
            return _mp4_declared(f, start, size)
        frame = _find_mpeg_frame(f, start)
        if frame is not None:
            return _mpeg_declared(f, frame, size)
    return None


@_unknown_when_malformed
def lossy_stream_bytes(path):
    """Bytes of a lossy audio stream (MP3, Ogg Vorbis, Ogg Opus) without tags and pictures.

    ID3v2 tags (at the start, cover images included), ID3v1, APEv2 and
    appended ID3v2 tags (at the end) are left out of an MPEG audio file, and
    the header pages (Vorbis comments with embedded pictures) out of an Ogg
    file.

    Returns
    -------
    n_bytes : int or None
        None if the file is not one of these formats.
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        start = _id3v2_end(f, size)
        f.seek(start)
        head = f.read(64)
        if head[:4] == b"OggS":
            stream = _ogg_stream(f, start)
            if stream is None or stream.codec == "flac":
                return None
            return size - _ogg_audio_start(f, start, stream.serial, size)
        frame = _find_mpeg_frame(f, start)
        if frame is None:
            return None
        return max(_trailing_tags_start(f, size) - frame.offset, 0)


@_unknown_when_malformed
def ogg_damage(path):
    """Where an Ogg file's pages are damaged; None if every page is intact or it is not Ogg.

    Every page's CRC-32 is checked and each page must start where the one
    before it ends. Decoders drop a damaged page and go on (libsndfile's Opus
    reader, read block by block, then repeats earlier audio to make up the
    declared length), so the length decoded does not always show the damage.
    A last page cut off by the end of the file (a truncated file) and bytes
    after the last page that hold no further page (a stray tag) are not damage.

    Returns
    -------
    damage : str or None
        E.g. ``"Ogg page 13 (at byte 93184) fails its checksum"``.
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        pos = _id3v2_end(f, size)
        f.seek(pos)
        if f.read(4) != b"OggS":
            return None
        index = 0
        while pos < size:
            f.seek(pos)
            header = f.read(27)
            if len(header) < 27 or header[:4] != b"OggS" or header[4] != 0:
                following = _next_ogg_page(f, pos + 1, size)
                if following is None:
                    return None
                return f"bytes {pos}..{following - 1} are not Ogg pages (damaged data)"
            table = f.read(header[26])
            end = pos + 27 + len(table) + sum(table)
            if len(table) < header[26] or end > size:
                return None  # the last page, cut short
            body = f.read(end - pos - 27 - len(table))
            if _ogg_crc(header[:22] + b"\0\0\0\0" + header[26:] + table + body) != int.from_bytes(
                header[22:26], "little"
            ):
                return f"Ogg page {index} (at byte {pos}) fails its checksum (damaged data)"
            pos, index = end, index + 1
    return None


@_unknown_when_malformed
def wav_header(path):
    """Parse a WAV file's ``fmt`` and ``data`` chunks; None if it is not RIFF/RIFX/RF64 WAVE.

    Returns
    -------
    header : WavHeader or None
        None for a file that is not WAV, or whose ``fmt`` chunk is missing
        or shorter than 16 bytes (libsndfile refuses those itself).
    """
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(0)
        riff = f.read(12)
        if len(riff) < 12 or riff[8:12] != b"WAVE" or riff[:4] not in (b"RIFF", b"RIFX", b"RF64"):
            return None
        endian = ">" if riff[:4] == b"RIFX" else "<"
        fmt = data_offset = data_size = ds64_data_size = None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk_id, chunk_size = struct.unpack(endian + "4sI", f.read(8))
            if chunk_id == b"ds64":
                ds64_data_size = struct.unpack("<Q", f.read(16)[8:16])[0]
            elif chunk_id == b"fmt ":
                fmt = f.read(min(chunk_size, 40))
            elif chunk_id == b"data":
                data_offset, data_size = pos + 8, chunk_size
                if riff[:4] == b"RF64" and chunk_size == 0xFFFFFFFF and ds64_data_size is not None:
                    data_size = ds64_data_size
                break
            pos += 8 + chunk_size + (chunk_size & 1)
        if fmt is None or len(fmt) < 16:
            return None
        format_tag, channels, samplerate, byte_rate, block_align, bits = struct.unpack(
            endian + "HHIIHH", fmt[:16]
        )
        if format_tag == 0xFFFE and len(fmt) >= 26:  # WAVE_FORMAT_EXTENSIBLE: the subformat
            format_tag = struct.unpack(endian + "H", fmt[24:26])[0]
        unexplained = 0
        if data_size is not None and data_size not in (0, 0xFFFFFFFF):
            data_end = data_offset + data_size
            if data_end < size:  # the pad byte after odd-sized data is often left out
                unexplained = min(
                    _unexplained_after_chunks(f, data_end + (data_size & 1), size, endian),
                    _unexplained_after_chunks(f, data_end, size, endian),
                )
    return WavHeader(
        format_tag, channels, samplerate, byte_rate, block_align, bits, data_offset, data_size,
        unexplained, size,
    )  # fmt: skip


# ------------------------------------------------------------------------ tags


def _id3v2_end(f, size):
    """Offset just past the ID3v2 tags at the start of the file (0 if none).

    ID3v2 header: ``"ID3"``, version (2 bytes), flags, size (4 bytes,
    synchsafe: 7 bits each) of what follows the 10-byte header; flag 0x10
    adds a 10-byte footer. Several tags may be stacked.
    """
    pos = 0
    while pos + 10 <= size:
        f.seek(pos)
        header = f.read(10)
        if header[:3] != b"ID3" or any(b & 0x80 for b in header[6:10]):
            break
        tag_size = (header[6] << 21) | (header[7] << 14) | (header[8] << 7) | header[9]
        pos += 10 + tag_size + (10 if header[5] & 0x10 else 0)
    return min(pos, size)


def _trailing_tags_start(f, size):
    """Offset where the tags at the end of an MPEG audio file begin (``size`` if none).

    ID3v1 (``"TAG"``, 128 bytes), APEv2 (``"APETAGEX"`` footer; its size
    counts items and footer, plus a 32-byte header when flagged) and an
    appended ID3v2 tag (``"3DI"`` footer), in any order.
    """
    end = size
    while True:
        if end >= 128:
            f.seek(end - 128)
            if f.read(3) == b"TAG":
                end -= 128
                continue
        if end >= 32:
            f.seek(end - 32)
            footer = f.read(32)
            if footer[:8] == b"APETAGEX":
                tag_size, _, flags = struct.unpack("<III", footer[12:24])
                if tag_size < 32:  # it counts its own footer: a smaller size is not a tag
                    return end
                end -= tag_size + (32 if flags & 0x80000000 else 0)
                continue
        if end >= 10:
            f.seek(end - 10)
            footer = f.read(10)
            if footer[:3] == b"3DI" and not any(b & 0x80 for b in footer[6:10]):
                n = (footer[6] << 21) | (footer[7] << 14) | (footer[8] << 7) | footer[9]
                end -= 20 + n
                continue
        return max(end, 0)


def _unexplained_after_chunks(f, pos, size, endian):
    """Bytes from ``pos`` to the end that are not RIFF chunks, ID3 tags or zero padding."""
    while pos + 8 <= size:
        f.seek(pos)
        head = f.read(10)
        chunk_id = head[:4]
        if chunk_id[:3] == b"ID3" and len(head) == 10:  # a raw ID3v2 tag appended
            pos += 10 + _synchsafe(head[6:10])
            continue
        if chunk_id[:3] == b"TAG" and size - pos == 128:  # a raw ID3v1 tag
            return 0
        if not all(0x20 <= b <= 0x7E for b in chunk_id):
            break
        (chunk_size,) = struct.unpack(endian + "I", head[4:8])
        pos += 8 + chunk_size + (chunk_size & 1)
    if pos >= size:
        return 0
    f.seek(pos)
    rest = f.read(min(size - pos, 1 << 20))
    return 0 if not rest.strip(b"\x00") and size - pos <= 1 << 20 else size - pos


def _synchsafe(four):
    return (four[0] << 21) | (four[1] << 14) | (four[2] << 7) | four[3]


# ------------------------------------------------------------------------ Ogg


class _OggStream(NamedTuple):
    serial: int
    codec: str  # "vorbis", "opus" or "flac"
    samplerate: int  # granule positions count samples at this rate
    pre_skip: int  # Opus: granule samples that are not audio


def _ogg_stream(f, start):
    """The codec of the first logical stream, from its first page; None if not audio we know."""
    f.seek(start)
    page = f.read(27 + 255 + 64)
    if len(page) < 28 or page[:4] != b"OggS":
        return None
    serial = int.from_bytes(page[14:18], "little")
    packet = page[27 + page[26] :]
    if packet[:7] == b"\x01vorbis" and len(packet) >= 16:
        return _OggStream(serial, "vorbis", int.from_bytes(packet[12:16], "little"), 0)
    if packet[:8] == b"OpusHead" and len(packet) >= 12:
        return _OggStream(serial, "opus", 48000, int.from_bytes(packet[10:12], "little"))
    if packet[:5] == b"\x7fFLAC" and packet[9:13] == b"fLaC" and len(packet) >= 30:
        # mapping header (9 bytes), "fLaC", block header (4 bytes), STREAMINFO: rate in bits 80-99
        rate = int.from_bytes(packet[27:30], "big") >> 4
        return _OggStream(serial, "flac", rate, 0)
    return None


def _ogg_declared(f, start, size):
    """Seconds up to the last complete page of the first stream (RFC 3533 page headers).

    Page header: ``"OggS"``, version 0, header type, granule position
    (int64, little-endian: the sample count at the page's end), serial,
    sequence, CRC, segment count, segment table. The last page of the first
    stream's serial that fits in the file is taken: a truncated file's cut
    last page is passed over, so a file cut short declares what is left.
    """
    stream = _ogg_stream(f, start)
    if stream is None or stream.samplerate <= 0:
        return None
    tail_start = max(start, size - 262_144)  # pages are at most 65_307 bytes
    f.seek(tail_start)
    tail = f.read()
    end = len(tail)
    while (pos := tail.rfind(b"OggS", 0, end)) >= 0:
        end = pos
        if pos + 27 > len(tail) or tail[pos + 4] != 0:
            continue
        if int.from_bytes(tail[pos + 14 : pos + 18], "little") != stream.serial:
            continue
        table_end = pos + 27 + tail[pos + 26]
        if table_end > len(tail) or table_end + sum(tail[pos + 27 : table_end]) > len(tail):
            continue  # incomplete: cut off by a truncation
        granule = int.from_bytes(tail[pos + 6 : pos + 14], "little", signed=True)
        if granule >= 0:
            seconds = max(granule - stream.pre_skip, 0) / stream.samplerate
            return Declared(seconds, "the file's Ogg pages declare", EXACT_SLACK)
    return None


_REVERSED_BITS = bytes(int(f"{b:08b}"[::-1], 2) for b in range(256))


def _ogg_crc(page):
    """Ogg's CRC-32 (polynomial 0x04C11DB7, not reflected, initial 0) of a page, CRC field zeroed.

    zlib's CRC-32 is the reflected form of the same polynomial: fed the bytes
    bit-reversed, with its initial and final inversion undone, it gives the
    register bit-reversed.
    """
    register = zlib.crc32(page.translate(_REVERSED_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{register:032b}"[::-1], 2)


def _next_ogg_page(f, pos, size):
    """Offset of the next ``"OggS"`` page header at or after ``pos``; None if there is none."""
    while pos < size:
        f.seek(pos)
        buf = f.read(1 << 20)
        found = buf.find(b"OggS\x00")
        if found >= 0:
            return pos + found
        pos += max(len(buf) - 4, 1)
    return None


def _ogg_audio_start(f, start, serial, size):
    """Offset of the first page of ``serial`` past the header packets (granule > 0)."""
    pos = start
    while pos + 27 <= size:
        f.seek(pos)
        header = f.read(27)
        if header[:4] != b"OggS":
            return pos
        segments = f.read(header[26])
        granule = int.from_bytes(header[6:14], "little", signed=True)
        if int.from_bytes(header[14:18], "little") == serial and granule > 0:
            return pos
        pos += 27 + header[26] + sum(segments)
    return min(pos, size)


# ----------------------------------------------------------------------- FLAC

_FLAC_BLOCK_SIZES = {1: 192, **{n: 576 << (n - 2) for n in range(2, 6)}}
_FLAC_BLOCK_SIZES.update({n: 256 << (n - 8) for n in range(8, 16)})


def _crc8(data):
    """CRC-8 of a FLAC frame header (polynomial x^8 + x^2 + x + 1, initial 0)."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _flac_frame_header(buf, pos, fixed_block_size):
    """``(first_sample, block_size)`` of a valid FLAC frame header at ``buf[pos]``, else None."""
    if len(buf) < pos + 6 or buf[pos] != 0xFF or buf[pos + 1] & 0xFE != 0xF8:
        return None
    variable = buf[pos + 1] & 1
    size_code, rate_code = buf[pos + 2] >> 4, buf[pos + 2] & 0x0F
    channels, depth, reserved = buf[pos + 3] >> 4, (buf[pos + 3] >> 1) & 7, buf[pos + 3] & 1
    if size_code == 0 or rate_code == 15 or channels > 10 or depth == 3 or reserved:
        return None
    # the frame (fixed) or sample (variable) number, UTF-8 coded: 1 to 7 bytes
    lead = buf[pos + 4]
    tops = (0x80, 0xE0, 0xF0, 0xF8, 0xFC, 0xFE, 0xFF)
    n_extra = next((n for n, top in enumerate(tops) if lead < top), 7)
    if n_extra == 7 or 0x80 <= lead < 0xC0:
        return None
    number = lead & (0x3F >> n_extra if n_extra else 0x7F)
    q = pos + 5
    for _ in range(n_extra):
        if q >= len(buf) or buf[q] & 0xC0 != 0x80:
            return None
        number = (number << 6) | (buf[q] & 0x3F)
        q += 1
    if size_code in (6, 7):
        n = 1 if size_code == 6 else 2
        block_size = int.from_bytes(buf[q : q + n], "big") + 1
        q += n
    else:
        block_size = _FLAC_BLOCK_SIZES[size_code]
    q += {12: 1, 13: 2, 14: 2}.get(rate_code, 0)
    if q >= len(buf) or _crc8(buf[pos:q]) != buf[q]:
        return None
    return (number if variable else number * fixed_block_size), block_size


def _flac_declared(f, start, size):
    """Seconds of a FLAC file, checked against the frames at its end.

    STREAMINFO (the first metadata block, 34 bytes after ``"fLaC"`` and a
    4-byte block header): min/max block size (16 bits each), min/max frame
    size (24 bits each), sample rate (20 bits), channels - 1 (3),
    bits per sample - 1 (5), total samples (36; 0 if unknown). The last frame
    header at the file's end (sync code ``0xFFF8``, CRC-8 checked, confirmed
    by the frame before it) gives the sample where that frame starts: a
    complete file's last frame ends at the total, a truncated file's does not,
    and then the audio present is declared to reach that frame's start. Frames
    that run past the total mean the total is wrong (libsndfile would stop at
    it): they are declared.
    """
    f.seek(start + 8)
    info = f.read(34)
    if len(info) < 34:
        return None
    min_block, max_block = struct.unpack(">HH", info[:4])
    max_frame = int.from_bytes(info[7:10], "big")
    packed = int.from_bytes(info[10:18], "big")
    rate, total = packed >> 44, packed & ((1 << 36) - 1)
    if rate == 0:
        return None
    tail_bytes = min(max(4 * max_frame, 65_536) if max_frame else 1 << 20, 4 << 20)
    tail_start = max(start + 42, size - tail_bytes)
    f.seek(tail_start)
    tail = f.read()
    fixed = max_block if min_block == max_block else 0
    frames = []  # (first_sample, block_size) of valid headers, from the end backwards
    pos = len(tail)
    while (pos := tail.rfind(b"\xff", 0, pos)) >= 0:
        header = _flac_frame_header(tail, pos, fixed)
        if header is None:
            continue
        # confirmed when an earlier valid header ends where this one starts
        for later_first, later_size in frames:
            if later_first == header[0] + header[1]:
                slack = later_size / rate + EXACT_SLACK
                if later_first + later_size > total > 0:  # frames past the declared total
                    end = (later_first + later_size) / rate
                    return Declared(end, "the file's FLAC frames run to", slack)
                if later_first + later_size == total:
                    return Declared(total / rate, "the file's FLAC header declares", slack)
                return Declared(
                    later_first / rate, "the file's last FLAC frame starts at", EXACT_SLACK
                )
        frames.append(header)
        if len(frames) > 64:
            break
    return None


# ----------------------------------------------------------------- MPEG audio


class _MpegFrame(NamedTuple):
    offset: int
    version: int  # 1, 2 or 25 (MPEG-2.5)
    layer: int
    samplerate: int
    mono: bool
    length: int  # bytes, with padding


_MPEG_RATES = {1: (44100, 48000, 32000), 2: (22050, 24000, 16000), 25: (11025, 12000, 8000)}
_MPEG_BITRATES = {  # kbit/s by (MPEG-1?, layer)
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_MPEG_BITRATES[(False, 3)] = _MPEG_BITRATES[(False, 2)]


def _mpeg_frame(header, offset):
    """Parse a 4-byte MPEG audio frame header; None unless valid (free format refused)."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return None
    version = {0: 25, 2: 2, 3: 1}.get((header[1] >> 3) & 3)
    layer = 4 - ((header[1] >> 1) & 3)
    bitrate_index, rate_index = header[2] >> 4, (header[2] >> 2) & 3
    if version is None or layer == 4 or bitrate_index in (0, 15) or rate_index == 3:
        return None  # layer "4" is ADTS AAC's 00
    samplerate = _MPEG_RATES[version][rate_index]
    bitrate = _MPEG_BITRATES[(version == 1, layer)][bitrate_index] * 1000
    padding = (header[2] >> 1) & 1
    if layer == 1:
        length = (12 * bitrate // samplerate + padding) * 4
    else:
        length = (144 if version == 1 or layer == 2 else 72) * bitrate // samplerate + padding
    return _MpegFrame(offset, version, layer, samplerate, header[3] >> 6 == 3, length)


def _find_mpeg_frame(f, start):
    """The first MPEG audio frame from ``start``, confirmed by a second one after it, or None.

    The first 64 KiB are searched, as decoders resynchronise past junk or a
    damaged first frame, unless the file starts with four ASCII characters:
    the magic of another container (``RIFF``, ``FORM``, ``.snd``, ``caff``
    ...), whose samples may hold a sync pattern by chance.
    """
    f.seek(start)
    buf = f.read(65_536)
    if all(0x20 <= b <= 0x7E for b in buf[:4]):
        return None
    pos = 0
    while (pos := buf.find(b"\xff", pos)) >= 0:
        frame = _mpeg_frame(buf[pos : pos + 4], start + pos)
        if frame is not None:
            after = _mpeg_frame(buf[pos + frame.length : pos + frame.length + 4], 0)
            if after is not None and after[1:4] == frame[1:4]:
                return frame
            if pos + frame.length >= len(buf) and f.seek(0, os.SEEK_END) <= start + frame.length:
                return frame  # a one-frame file
        pos += 1
    return None


def _mpeg_declared(f, frame, size):
    """Seconds from the first frame's Xing/Info or VBRI header (frame count x samples per frame).

    Xing/Info (LAME): after the side information (MPEG-1: 32 bytes stereo,
    17 mono; MPEG-2/2.5: 17, 9), ``"Xing"`` or ``"Info"``, flags (frames 1,
    bytes 2), frame count, stream bytes. VBRI (Fraunhofer): 32 bytes after
    the header, ``"VBRI"``, version, delay, quality, bytes, frames. A stream
    shorter than its header's byte count is cut short: None. Without either
    header the frames are counted (:func:`_count_mpeg_frames`): they are the
    length, whatever a decoder estimates from the first frame's bitrate.
    """
    f.seek(frame.offset)
    first = f.read(max(frame.length, 64))
    side = (32 if not frame.mono else 17) if frame.version == 1 else (17 if not frame.mono else 9)
    n_frames = n_bytes = None
    if frame.layer == 3 and first[4 + side : 8 + side] in (b"Xing", b"Info"):
        q = 8 + side
        flags = int.from_bytes(first[q : q + 4], "big")
        q += 4
        if flags & 1:
            n_frames = int.from_bytes(first[q : q + 4], "big")
            q += 4
        if flags & 2:
            n_bytes = int.from_bytes(first[q : q + 4], "big")
        source = "the file's MP3 Xing header declares"
    elif first[36:40] == b"VBRI":
        n_bytes, n_frames = struct.unpack(">II", first[46:54])
        source = "the file's MP3 VBRI header declares"
    end = _trailing_tags_start(f, size)
    if n_frames is None and n_bytes is None:
        n_frames = _count_mpeg_frames(f, frame, end)
        source = "the file's MP3 frames hold"
    elif not n_frames or not n_bytes:
        return None
    elif end - frame.offset + 4096 < n_bytes:
        return None  # cut short: the frame count is that of the whole stream
    samples_per_frame = (
        384 if frame.layer == 1 else (576 if frame.layer == 3 and frame.version != 1 else 1152)
    )
    seconds = n_frames * samples_per_frame / frame.samplerate
    return Declared(seconds, source, CODEC_DELAY_SLACK)


def _count_mpeg_frames(f, frame, end):
    """Frames from ``frame`` to ``end``, each found where the one before it ends.

    Past bytes that are not a frame (damage, junk), counting resumes at the
    next header that a second valid header follows.
    """
    key = frame[1:4]  # version, layer, rate
    with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        pos, count = frame.offset, 0
        while pos + 4 <= end:
            current = _mpeg_frame(data[pos : pos + 4], pos)
            if current is not None and current[1:4] == key:
                count += 1
                pos += current.length
                continue
            while (pos := data.find(b"\xff", pos + 1, end)) >= 0:  # resynchronise
                current = _mpeg_frame(data[pos : pos + 4], pos)
                if current is not None and current[1:4] == key:
                    after = _mpeg_frame(data[pos + current.length : pos + current.length + 4], 0)
                    if after is not None and after[1:4] == key:
                        break
            if pos < 0:
                break
    return count


# ------------------------------------------------------------------------ MP4

_MP4_TOP_ATOMS = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot"})


def _mp4_atoms(buf, pos, end):
    """``(type, body_start, atom_end)`` of each atom in ``buf[pos:end]``."""
    while pos + 8 <= end:
        atom_size, atom_type = struct.unpack(">I4s", buf[pos : pos + 8])
        body = pos + 8
        if atom_size == 1:
            atom_size = struct.unpack(">Q", buf[pos + 8 : pos + 16])[0]
            body += 8
        elif atom_size == 0:
            atom_size = end - pos
        if atom_size < body - pos:
            return
        yield atom_type, body, pos + atom_size
        pos += atom_size


def _mp4_declared(f, start, size):
    """Seconds of the sound track from its ``mdhd`` atom (moov/trak/mdia: timescale, duration).

    The track's presented duration after its edit list (``tkhd``, in the
    ``mvhd`` timescale) is taken when it is up to 1 s shorter than the media
    duration (``mdhd``: encoder priming and padding trimmed), else ``mdhd``.
    Top-level atoms are walked by their sizes; an atom that runs past the end
    of the file means the file is cut short (None).
    """
    moov = None
    pos = start
    while pos + 8 <= size:
        f.seek(pos)
        header = f.read(16)
        atom_size, atom_type = struct.unpack(">I4s", header[:8])
        if atom_size == 1:
            atom_size = struct.unpack(">Q", header[8:16])[0]
        elif atom_size == 0:
            atom_size = size - pos
        if atom_size < 8 or pos + atom_size > size:
            return None  # cut short (or not MP4)
        if atom_type == b"moov":
            if atom_size > 64 << 20:
                return None
            f.seek(pos)
            moov = f.read(atom_size)
        pos += atom_size
    if moov is None:
        return None
    atoms = list(_mp4_atoms(moov, 8, len(moov)))
    mvhd = next((a for a in atoms if a[0] == b"mvhd"), None)
    movie_timescale = 0
    if mvhd is not None:
        q = mvhd[1]
        movie_timescale = int.from_bytes(
            moov[q + 20 : q + 24] if moov[q] == 1 else moov[q + 12 : q + 16], "big"
        )
    for atom_type, body, end in atoms:
        if atom_type != b"trak":
            continue
        track = {a[0]: a for a in _mp4_atoms(moov, body, end)}
        if b"mdia" not in track:
            continue
        children = {a[0]: a for a in _mp4_atoms(moov, track[b"mdia"][1], track[b"mdia"][2])}
        hdlr, mdhd = children.get(b"hdlr"), children.get(b"mdhd")
        if hdlr is None or mdhd is None or moov[hdlr[1] + 8 : hdlr[1] + 12] != b"soun":
            continue
        q = mdhd[1]
        if moov[q] == 1:  # version 1: 64-bit times and duration
            timescale, duration = struct.unpack(">IQ", moov[q + 20 : q + 32])
        else:
            timescale, duration = struct.unpack(">II", moov[q + 12 : q + 20])
        if timescale == 0 or duration in (0, 0xFFFFFFFF, (1 << 64) - 1):
            return None  # a fragmented file (durations in its fragments) or unknown
        seconds = duration / timescale
        tkhd = track.get(b"tkhd")
        if tkhd is not None and movie_timescale:
            # the track's presented duration (after its edit list), in the movie's timescale
            q = tkhd[1]
            edited = int.from_bytes(
                moov[q + 28 : q + 36] if moov[q] == 1 else moov[q + 20 : q + 24], "big"
            )
            if seconds - 1.0 <= edited / movie_timescale <= seconds:  # gapless trimming
                seconds = edited / movie_timescale
        return Declared(seconds, "the file's MP4 header declares", CODEC_DELAY_SLACK)
    return None
