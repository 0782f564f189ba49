"""sk_genre.io.open_audio: a file block by block, at its own rate and channels, checked."""

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sk_genre.exceptions import AudioDecodeError
from sk_genre.io import AudioReader, open_audio

from .conftest import write_audio


def read_all(reader, block, dtype="float32"):
    blocks = []
    while (b := reader.read(block, dtype=dtype)).shape[0]:
        assert b.ndim == 2 and b.shape[1] == reader.channels and b.dtype == dtype
        blocks.append(b)
    return np.concatenate(blocks)


@pytest.mark.real_data
def test_blocks_of_a_real_track_are_the_whole_file(gtzan_mini):
    path = gtzan_mini.paths[0]
    whole, sr = sf.read(path, dtype="float32", always_2d=True)
    with open_audio(path) as f:
        assert isinstance(f, AudioReader)
        assert (f.path, f.samplerate, f.channels, f.subtype) == (path, sr, 1, "VORBIS")
        got = read_all(f, 22050)
        assert f.frames_read == whole.shape[0]
        f.check_complete()
    np.testing.assert_array_equal(got, whole)


def test_pcm_reads_bit_exact_at_the_native_rate_and_channels(tmp_path):
    y = np.random.default_rng(0).integers(-32768, 32768, size=(12345, 3), dtype=np.int16)
    path = write_audio(tmp_path / "three.wav", y, sr=44100, subtype="PCM_16")
    with open_audio(Path(path)) as f:
        assert (f.samplerate, f.channels, f.subtype) == (44100, 3, "PCM_16")
        assert f.path == str(path)
        np.testing.assert_array_equal(read_all(f, 1000, dtype="int16"), y)
        f.check_complete()


@pytest.mark.real_data
def test_damaged_data_is_found_once_read_to_the_end(gtzan_mini, tmp_path):
    data = bytearray(Path(gtzan_mini.paths[0]).read_bytes())
    start = len(data) * 2 // 5
    data[start : start + len(data) // 5] = bytes(len(data) // 5)  # 20 % zeroed mid-file
    (tmp_path / "d.ogg").write_bytes(bytes(data))
    with open_audio(tmp_path / "d.ogg") as f:
        read_all(f, 1 << 16)
        with pytest.raises(AudioDecodeError, match="corrupt data") as caught:
            f.check_complete()
    assert caught.value.path == str(tmp_path / "d.ogg")


def test_bad_files_are_refused_before_decoding(tmp_path):
    with pytest.raises(AudioDecodeError, match="file does not exist"):
        open_audio(tmp_path / "missing.wav")
    with pytest.raises(AudioDecodeError, match="is a directory"):
        open_audio(tmp_path)
    crafted = write_audio(tmp_path / "rate.wav", np.zeros(100, dtype=np.float32), sr=8000)
    data = bytearray(crafted.read_bytes())
    data[24:28] = (0).to_bytes(4, "little")  # the fmt chunk's sample rate
    crafted.write_bytes(bytes(data))
    with pytest.raises(AudioDecodeError, match="sample rate must be in 1000..768000 Hz; got 0"):
        open_audio(crafted)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")
def test_formats_libsndfile_cannot_read_come_through_the_fallback(tmp_path):
    y = (0.3 * np.sin(2 * np.pi * 440 * np.arange(16000) / 16000)).astype(np.float32)
    wav = write_audio(tmp_path / "tone.wav", np.stack([y, -y], axis=1), sr=16000)
    m4a = tmp_path / "tone.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "aac", str(m4a)], check=True)
    with open_audio(m4a) as f:
        assert (f.samplerate, f.channels, f.subtype) == (16000, 2, None)
        got = read_all(f, 4000)
        f.check_complete()
    assert got.shape[0] >= 16000  # AAC adds priming samples
    assert np.corrcoef(got[:, 0], got[:, 1])[0, 1] < -0.9  # the channels stay apart
