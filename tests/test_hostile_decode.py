"""Decoding under hostile input (issue 13, items 2, 6, 8, 9, 11 and 13).

Every file is built here, at test time, from a real gtzan-mini track (or from
random bytes): crafted header fields, damaged or truncated data, tags with big
cover images, paths that ffmpeg would read as protocols. Each gets a clear
:class:`~sk_genre.AudioDecodeError` naming the file and the cause, or the
correct audio. Cases that need ffmpeg (to build the file, or as the decoder)
skip without it, and fail instead when ``SK_GENRE_REQUIRE_FFMPEG=1``.
"""

import http.server
import os
import shutil
import struct
import subprocess
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sk_genre import AudioDecodeError, MFCCTransformer
from sk_genre.datasets import load_audio_folder
from sk_genre.io import AUDIO_EXTENSIONS, load_audio, probe_audio

pytestmark = pytest.mark.real_data


def _ffmpeg():
    """Path of ffmpeg; skip (or fail, with SK_GENRE_REQUIRE_FFMPEG=1) without it."""
    path = shutil.which("ffmpeg")
    if path is None:
        if os.environ.get("SK_GENRE_REQUIRE_FFMPEG") == "1":
            pytest.fail("ffmpeg is required (SK_GENRE_REQUIRE_FFMPEG=1) but not on PATH")
        pytest.skip("ffmpeg not on PATH")
    return path


def _has_ffmpeg():
    return shutil.which("ffmpeg") is not None or os.environ.get("SK_GENRE_REQUIRE_FFMPEG") == "1"


def _ffmpeg_encode(src, dst, *args):
    subprocess.run(
        [_ffmpeg(), "-nostdin", "-loglevel", "error", "-y", "-i", str(src), *args, str(dst)],
        check=True,
    )
    return dst


@pytest.fixture(scope="module")
def track(gtzan_mini):
    """A real 30-s GTZAN track: (float32 samples, 22050)."""
    y, sr = sf.read(gtzan_mini.paths[0], dtype="float32")
    assert sr == 22050 and len(y) > 29 * sr
    return y, sr


def _wav(path, track, seconds=None):
    y, sr = track
    sf.write(path, y if seconds is None else y[: int(seconds * sr)], sr, subtype="PCM_16")
    return path


def _patched(path, src, offset, packed):
    data = bytearray(src.read_bytes())
    data[offset : offset + len(packed)] = packed
    path.write_bytes(bytes(data))
    return path


def _zero_middle(path, fraction=0.2):
    """Overwrite ``fraction`` of the file's bytes with zeros, from 40 % of its length on."""
    data = bytearray(path.read_bytes())
    start, n = int(0.4 * len(data)), int(fraction * len(data))
    data[start : start + n] = bytes(n)
    path.write_bytes(bytes(data))
    return path


def _cut_in_half(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# ----------------------------------------------------------- item 2: sample rates


@pytest.mark.parametrize("rate", [0, 1, 20, 999, 768_001, 4_000_000_000, 0xFFFFFFFF])
def test_crafted_sample_rate_is_refused_before_decoding(tmp_path, track, rate):
    good = _wav(tmp_path / "good.wav", track, seconds=2)
    bad = _patched(tmp_path / "bad.wav", good, 24, struct.pack("<I", rate))
    match = rf"sample rate must be in 1000\.\.768000 Hz; got {rate} Hz"
    for read in (load_audio, probe_audio):
        with pytest.raises(AudioDecodeError, match=match) as caught:
            read(bad)
        assert caught.value.path == str(bad)
    # one clip's failure: skipped, the good file is still transformed
    mfcc = MFCCTransformer(on_error="skip", verbose=0)
    X = mfcc.fit_transform([bad, good])
    assert X.shape == (2, 40) and np.isnan(X[0]).all() and np.isfinite(X[1]).all()
    assert list(mfcc.kept_indices_) == [1] and "sample rate" in str(mfcc.errors_[0])


@pytest.mark.parametrize("rate", [1000, 768_000])
def test_sample_rate_bounds_are_accepted(tmp_path, track, rate):
    y = track[0][:4000]
    path = tmp_path / f"r{rate}.wav"
    sf.write(path, y, rate, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(path, sr=None), y)


# ------------------------------------------------------ item 6: ffmpeg protocols


def test_concat_path_is_a_file_not_an_ffmpeg_protocol(tmp_path, track, monkeypatch):
    _ffmpeg()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rock").mkdir()
    _wav(tmp_path / "rock" / "a.wav", track, seconds=2)
    (tmp_path / "concat:rock").mkdir()
    (tmp_path / "concat:rock" / "a.wav").write_bytes(np.random.default_rng(0).bytes(5000))
    # ffmpeg given "concat:rock/a.wav" decodes rock/a.wav: another file's audio
    with pytest.raises(AudioDecodeError, match="not a decodable audio file"):
        load_audio("concat:rock/a.wav")


def test_http_like_path_sends_no_request(tmp_path, monkeypatch):
    _ffmpeg()
    requests = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            requests.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.chdir(tmp_path)
        path = f"http:/127.0.0.1:{server.server_address[1]}/x.wav"  # a folder tree
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            f.write(np.random.default_rng(0).bytes(5000))
        with pytest.raises(AudioDecodeError, match="not a decodable audio file"):
            load_audio(path)
    finally:
        server.shutdown()
        server.server_close()
    assert requests == []


# ------------------------------------------- item 8: valid files, once refused


def _id3v2_with_cover(n_bytes):
    """An ID3v2.3 tag holding one APIC frame: a front cover of ``n_bytes`` (PNG signature)."""
    picture = b"\x89PNG\r\n\x1a\n" + np.random.default_rng(0).bytes(n_bytes)
    body = b"\x00image/png\x00\x03\x00" + picture  # encoding, MIME, front cover, no description
    frame = b"APIC" + struct.pack(">I", len(body)) + b"\x00\x00" + body
    n = len(frame)  # the tag size is synchsafe: 7 bits per byte
    size = bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])
    return b"ID3\x03\x00\x00" + size + frame


def _without_first_frame(mp3):
    """The MP3 stream without its first frame: libsndfile's Xing/Info frame."""
    data = mp3.read_bytes()
    assert data[13:17] in (b"Xing", b"Info")  # MPEG-2 mono: 4-byte header + 9 of side info
    bitrate = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)[data[2] >> 4]
    length = 72 * bitrate * 1000 // 22050 + ((data[2] >> 1) & 1)
    return data[length:]


@pytest.mark.parametrize(
    "seconds, cover_mb, xing", [(5, 2, True), (30, 15, True), (5, 2, False)],
    ids=["5 s, 2 MB cover", "30 s, 15 MB cover", "no Xing header, 2 MB cover"],
)  # fmt: skip
def test_mp3_with_a_big_cover_image_is_read(tmp_path, track, seconds, cover_mb, xing):
    y, sr = track
    plain = tmp_path / "plain.mp3"
    sf.write(plain, y[: seconds * sr], sr, format="MP3")
    if not xing:
        _ffmpeg()  # libsndfile reads such a VBR stream short (see below): ffmpeg decodes it
    stream = plain.read_bytes() if xing else _without_first_frame(plain)
    plain.write_bytes(stream)
    tagged = tmp_path / "tagged.mp3"
    tagged.write_bytes(_id3v2_with_cover(cover_mb * 1_000_000) + stream)
    assert tagged.stat().st_size > 65_536 + 250_000 * seconds  # what the old check refused
    expected = load_audio(plain, sr=None)
    assert abs(len(expected) - seconds * sr) < 0.1 * sr
    if xing:
        np.testing.assert_array_equal(load_audio(tagged, sr=None), expected)
    else:  # libsndfile reads the tagged file (its estimate counts the tag), ffmpeg the plain
        np.testing.assert_allclose(load_audio(tagged, sr=None), expected, atol=1e-3)


def test_vbr_mp3_without_xing_header_is_read_whole(tmp_path, track, monkeypatch):
    """libsndfile estimates its length from the first frame's bitrate and stops there."""
    y, sr = track
    path = tmp_path / "vbr.mp3"
    sf.write(path, y[: 5 * sr], sr, format="MP3")  # libsndfile writes VBR
    path.write_bytes(_without_first_frame(path))
    assert sf.info(path).duration < 4.0  # libsndfile's estimate: about 2.8 s of 5
    if _has_ffmpeg():
        _ffmpeg()
        assert abs(len(load_audio(path)) - 5 * sr) < 0.1 * sr  # every frame, through ffmpeg
    monkeypatch.setenv("PATH", str(tmp_path))  # without ffmpeg: a clear error, not 2.8 s
    match = r"it would read \d\.\d\d s of audio, and the file's MP3 frames hold 5\.0\d s.*ffmpeg"
    with pytest.raises(AudioDecodeError, match=match):
        load_audio(path)


def test_high_resolution_ogg_flac_is_read(tmp_path, track):
    """96 kHz, 24-bit stereo FLAC in Ogg: over 2 Mbit/s, and lossless, so no bitrate check."""
    import librosa

    y, sr = track
    y96 = librosa.resample(y[: 5 * sr], orig_sr=sr, target_sr=96_000)
    noise = 0.05 * np.random.default_rng(0).standard_normal((len(y96), 2))
    stereo = (np.stack([y96, np.roll(y96, 999)], axis=1) + noise).clip(-1, 1)
    source = tmp_path / "hi.wav"
    sf.write(source, stereo, 96_000, subtype="PCM_24")
    oga = _ffmpeg_encode(source, tmp_path / "hi.oga", "-c:a", "flac")
    assert oga.stat().st_size > 65_536 + 250_000 * 5
    decoded = load_audio(oga, sr=None)
    reference = sf.read(source, dtype="float32")[0].mean(axis=1)
    assert len(decoded) == len(reference)
    np.testing.assert_allclose(decoded, reference, atol=1e-4)  # audioread gives 16-bit


# ---------------------------------------------- item 9: damaged and truncated


def _make(kind, tmp_path, track):
    """A 30-s file of ``kind`` made from the real track."""
    y, sr = track
    if kind == "flac":
        return _written(tmp_path / "a.flac", y, sr)
    if kind == "vorbis":
        return _written(tmp_path / "a.ogg", y, sr, format="OGG", subtype="VORBIS")
    if kind == "opus":
        import librosa

        y48 = librosa.resample(y, orig_sr=sr, target_sr=48_000)
        return _written(tmp_path / "a.opus", y48, 48_000, format="OGG", subtype="OPUS")
    if kind == "mp3":
        return _written(tmp_path / "a.mp3", y, sr, format="MP3")
    wav = _wav(tmp_path / "source.wav", track)
    if kind == "wav":
        return wav
    if kind == "ogg flac":
        return _ffmpeg_encode(wav, tmp_path / "a.oga", "-c:a", "flac")
    if kind == "m4a":  # moov first, so a truncated file still decodes
        return _ffmpeg_encode(wav, tmp_path / "a.m4a", "-c:a", "aac", "-movflags", "+faststart")
    raise ValueError(kind)


def _written(path, y, sr, **kwargs):
    sf.write(path, y, sr, **kwargs)
    return path


_OGG_DAMAGE = r"|Ogg page \d+ \(at byte \d+\) fails its checksum \(damaged data\)"
DAMAGED = {  # kind -> what declares the length
    "flac": "the file's FLAC header declares",
    "ogg flac": "the file's Ogg pages declare",
    "vorbis": "the file's Ogg pages declare",
    "opus": "the file's Ogg pages declare",
    "mp3": "the file's MP3 Xing header declares",
    "m4a": "the file's MP4 header declares",
}


@pytest.mark.parametrize("kind", DAMAGED)
def test_damaged_file_is_refused(tmp_path, track, kind):
    """20 % of the bytes zeroed mid-file: the decoders skip it without an error.

    libsndfile's Opus reader, read block by block, makes up the declared
    length with earlier audio: the Ogg page checksums find the damage then.
    """
    path = _zero_middle(_make(kind, tmp_path, track))
    short = rf"decoding gave \d+\.\d\d s of audio but {DAMAGED[kind]} 30\.0\d s"
    match = f"corrupt data: ({short}{_OGG_DAMAGE if 'Ogg' in DAMAGED[kind] else ''})"
    if kind in ("flac", "mp3") and not _has_ffmpeg():
        # libsndfile stops with an error there; the fallback that decodes the rest is ffmpeg
        match = r"not a decodable audio file \(libsndfile: .*ffmpeg, the fallback decoder, was not"
    with pytest.raises(AudioDecodeError, match=match) as caught:
        load_audio(path)
    assert caught.value.path == str(path)


@pytest.mark.parametrize("kind", [*DAMAGED, "wav"])
def test_truncated_file_decodes_what_is_there(tmp_path, track, kind):
    if kind == "flac":
        _ffmpeg()  # libsndfile stops at the cut with "flac decoder lost sync": ffmpeg decodes it
    path = _make(kind, tmp_path, track)
    full = load_audio(path, sr=None)
    cut = load_audio(_cut_in_half(path), sr=None)
    assert 0.4 * len(full) < len(cut) < 0.6 * len(full)
    if kind in ("flac", "wav"):  # lossless and decoded by libsndfile: the same samples
        np.testing.assert_array_equal(cut, full[: len(cut)])


# --------------------------------------------------------- item 11: lying headers


def _data_size_offset(wav):
    return wav.read_bytes().index(b"data") + 4


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("data size", 1000, r"WAV data size must cover the audio in the file; got 1000 bytes"),
        ("data size", 0, r"WAV data size must be filled in; got 0 bytes declared"),
        ("channels", 200, r"channel count must be in 1\.\.64; got 200"),
        ("channels", 0, r"channel count must be in 1\.\.64; got 0"),
        ("channels", 48, r"WAV frame size must hold 48 channel\(s\) of 16-bit samples; got 2"),
        ("bits", 3, r"WAV frame size must hold 1 channel\(s\) of 3-bit samples; got 2"),
    ],
)
def test_lying_wav_header_is_refused(tmp_path, track, field, value, match):
    good = _wav(tmp_path / "good.wav", track, seconds=10)
    if field == "data size":
        bad = _patched(
            tmp_path / "bad.wav", good, _data_size_offset(good), struct.pack("<I", value)
        )
    else:  # channels at bytes 22-23, bits per sample at 34-35
        offset = 22 if field == "channels" else 34
        bad = _patched(tmp_path / "bad.wav", good, offset, struct.pack("<H", value))
    with pytest.raises(AudioDecodeError, match=match):
        load_audio(bad)
    with pytest.raises(AudioDecodeError, match=match):
        probe_audio(bad)  # so load_audio_folder screens it


def test_wav_with_a_wrong_block_align_alone_is_read(tmp_path, track):
    """Block align 0, the byte rate right: libsndfile ignores the field and reads the audio."""
    good = _wav(tmp_path / "good.wav", track, seconds=2)
    odd = _patched(tmp_path / "odd.wav", good, 32, struct.pack("<H", 0))
    np.testing.assert_array_equal(load_audio(odd), load_audio(good))


def test_flac_declaring_fewer_samples_than_its_frames_is_refused(tmp_path, track):
    """STREAMINFO's total says 1000 samples: libsndfile would stop there, at 0.05 s of 30."""
    good = _written(tmp_path / "good.flac", track[0], track[1])
    data = bytearray(good.read_bytes())
    packed = int.from_bytes(data[18:26], "big") & ~((1 << 36) - 1) | 1000
    data[18:26] = packed.to_bytes(8, "big")
    bad = tmp_path / "bad.flac"
    bad.write_bytes(bytes(data))
    match = (
        r"corrupt data: decoding gave 0\.05 s of audio but the file's FLAC frames run to 30\.01 s"
    )
    with pytest.raises(AudioDecodeError, match=match):
        load_audio(bad)


def test_streaming_wav_sizes_read_to_the_end(tmp_path, track):
    """0xFFFFFFFF for the RIFF and data sizes (a WAV written to a pipe by ffmpeg): all is read."""
    good = _wav(tmp_path / "good.wav", track, seconds=3)
    streamed = _patched(tmp_path / "streamed.wav", good, 4, b"\xff" * 4)
    streamed = _patched(streamed, streamed, _data_size_offset(good), b"\xff" * 4)
    np.testing.assert_array_equal(load_audio(streamed), load_audio(good))


def test_wav_with_chunks_and_tags_after_its_data_is_read(tmp_path, track):
    good = _wav(tmp_path / "good.wav", track, seconds=3)
    info = b"INFOINAM\x06\x00\x00\x00blues\x00"
    tail = b"LIST" + struct.pack("<I", len(info)) + info
    id3 = _id3v2_with_cover(200_000)  # an "id3 " chunk, as taggers write it
    tail += b"id3 " + struct.pack("<I", len(id3)) + id3 + b"\x00" * 1000  # and some zeros
    tagged = tmp_path / "tagged.wav"
    data = bytearray(good.read_bytes() + tail)
    data[4:8] = struct.pack("<I", len(data) - 8)
    tagged.write_bytes(bytes(data))
    np.testing.assert_array_equal(load_audio(tagged), load_audio(good))


@pytest.mark.parametrize("suffix", [".au", ".snd"])
def test_headerless_au_is_refused_and_a_real_one_read(tmp_path, track, suffix):
    noise = tmp_path / f"noise{suffix}"
    noise.write_bytes(np.random.default_rng(0).bytes(100_000))
    with pytest.raises(AudioDecodeError, match="it has no audio header"):
        load_audio(noise)
    real = tmp_path / f"real{suffix}"
    y = track[0][: 2 * track[1]]
    sf.write(real, y, track[1], format="AU", subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(real), y)


# ---------------------------------------------------- item 13: clear messages


@pytest.mark.parametrize(
    "name, n_bytes", [("one.wav", 1), ("noise.wav", 5000), ("noise.mp3", 5000), ("x.ogg", 3)]
)
def test_random_bytes_say_not_decodable_not_missing(tmp_path, name, n_bytes):
    path = tmp_path / name
    path.write_bytes(np.random.default_rng(1).bytes(n_bytes))
    with pytest.raises(AudioDecodeError) as caught:
        load_audio(path)
    message = str(caught.value)
    assert "not a decodable audio file (libsndfile: Format not recognised" in message
    assert "does not exist" not in message and str(path) in message


def _denied(path):
    """``load_audio(path)``'s error as a user without access (root drops its rights in a fork)."""
    if os.geteuid() != 0:
        with pytest.raises(AudioDecodeError) as caught:
            load_audio(path)
        return str(caught.value)
    if not hasattr(os, "fork"):
        pytest.skip("needs os.fork to drop root's rights")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: as 'nobody', report the error and leave
        try:
            os.close(read_end)
            os.setegid(65534)
            os.seteuid(65534)
            try:
                load_audio(path)
                message = "no error"
            except AudioDecodeError as exc:
                message = str(exc)
            os.write(write_end, message.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        message = f.read().decode()
    os.waitpid(pid, 0)
    return message


def test_unreadable_file_says_permission_denied(tmp_path, track):
    # as root, a folder 'nobody' can reach (pytest's own temporary folders are 0700)
    base = tempfile.mkdtemp() if os.geteuid() == 0 else tmp_path
    os.chmod(base, 0o711)
    folder = Path(base) / "locked"
    folder.mkdir()
    path = _wav(folder / "locked.wav", track, seconds=1)
    try:
        path.chmod(0)
        message = _denied(path)
        assert message.endswith("permission denied (the file is not readable)"), message
        folder.chmod(0o600)  # not searchable, even by its owner
        message = _denied(path)
        assert "permission denied (a folder on its path is not searchable)" in message, message
    finally:
        folder.chmod(0o755)
        path.chmod(0o644)
        if base != tmp_path:
            shutil.rmtree(base)


def test_fifo_is_not_a_regular_file(tmp_path):
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    with pytest.raises(AudioDecodeError, match=r"is not a regular file"):
        load_audio(fifo)  # and does not block reading it


def test_ffmpeg_only_format_without_ffmpeg_says_so(tmp_path, monkeypatch):
    path = tmp_path / "song.m4a"
    path.write_bytes(np.random.default_rng(2).bytes(5000))
    other = tmp_path / "noise.wav"
    other.write_bytes(np.random.default_rng(3).bytes(5000))
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # a machine without ffmpeg
    with pytest.raises(AudioDecodeError, match=r"\.m4a files need ffmpeg, which was not found"):
        load_audio(path)
    with pytest.raises(AudioDecodeError, match=r"ffmpeg, the fallback decoder, was not found"):
        load_audio(other)


def test_ffmpeg_installed_after_the_error_is_used(tmp_path, track, monkeypatch):
    """The error says to install ffmpeg: once it is on PATH, the same process decodes the file.

    audioread caches the backends it found first; sk_genre asks afresh each time.
    """
    import audioread

    _ffmpeg()
    wav = _wav(tmp_path / "a.wav", track, seconds=2)
    path = _ffmpeg_encode(wav, tmp_path / "a.m4a", "-c:a", "aac")
    empty = tmp_path / "bin"
    empty.mkdir()
    with monkeypatch.context() as machine:
        machine.setenv("PATH", str(empty))  # before ffmpeg is installed
        audioread.available_backends(flush_cache=True)  # audioread's cache: no ffmpeg
        with pytest.raises(AudioDecodeError, match=r"\.m4a files need ffmpeg"):
            load_audio(path)
    y = load_audio(path)  # ffmpeg back on PATH
    assert abs(len(y) - 2 * track[1]) < 0.05 * track[1] and np.abs(y).max() > 0.01


def test_ffmpeg_formats_are_audio_for_folders(tmp_path, track):
    assert {".m4a", ".mp4", ".aac", ".wma", ".webm", ".mka"} <= AUDIO_EXTENSIONS
    for genre in ("blues", "jazz"):
        (tmp_path / genre).mkdir()
        wav = _wav(tmp_path / genre / "a.wav", track, seconds=2)
        _ffmpeg_encode(wav, tmp_path / genre / "b.m4a", "-c:a", "aac")
    listed = load_audio_folder(tmp_path)
    assert sorted(os.path.relpath(p, tmp_path) for p in listed.paths) == [
        "blues/a.wav", "blues/b.m4a", "jazz/a.wav", "jazz/b.m4a",
    ]  # fmt: skip


def test_any_decoder_exception_names_the_file(tmp_path, track):
    """A FLAC header declaring 2**36 - 1 samples: numpy cannot allocate them (MemoryError)."""
    good = _written(tmp_path / "good.flac", track[0][: 2 * track[1]], track[1])
    data = bytearray(good.read_bytes())
    packed = int.from_bytes(data[18:26], "big") | ((1 << 36) - 1)  # STREAMINFO's total samples
    data[18:26] = packed.to_bytes(8, "big")
    bad = tmp_path / "bad.flac"
    bad.write_bytes(bytes(data))
    try:
        y = load_audio(bad)
    except AudioDecodeError as exc:
        assert exc.path == str(bad) and "decoding failed (MemoryError" in exc.reason
    else:  # a machine that lends 256 GiB of address space reads the real samples
        np.testing.assert_array_equal(y, load_audio(good))
