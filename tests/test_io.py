import numpy as np
import pytest

from sk_genre.exceptions import AudioDecodeError
from sk_genre.features import check_clips, load_clip
from sk_genre.io import load_audio

from .conftest import SR, sine, write_audio


def test_wav_round_trip(tmp_path):
    y = sine(seconds=0.5)
    path = write_audio(tmp_path / "tone.wav", y, subtype="FLOAT")
    out = load_audio(path)
    assert out.dtype == np.float32 and out.shape == y.shape
    np.testing.assert_array_equal(out, y)


@pytest.mark.parametrize(
    ("suffix", "subtype"),
    [
        (".wav", "PCM_16"),
        (".flac", "PCM_16"),
        (".ogg", "VORBIS"),
        (".mp3", "MPEG_LAYER_III"),
    ],
)
def test_decodes_each_format(tmp_path, suffix, subtype):
    path = write_audio(tmp_path / f"tone{suffix}", sine(440, seconds=1.0), subtype=subtype)
    y = load_audio(path)
    assert y.dtype == np.float32 and abs(y.shape[0] - SR) < 0.1 * SR  # lossy codecs pad
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) * SR / len(y) == pytest.approx(440, abs=3)


def test_resamples_to_sr(tmp_path):
    path = write_audio(tmp_path / "tone44.wav", sine(1000, seconds=1.0, sr=44100), sr=44100)
    y = load_audio(path, sr=SR)
    assert y.shape == (SR,)
    spectrum = np.abs(np.fft.rfft(y))
    assert np.argmax(spectrum) * SR / len(y) == pytest.approx(1000, abs=2)
    assert load_audio(path, sr=None).shape == (44100,)


def test_stereo_is_mixed_down(tmp_path):
    left, right = sine(440, 0.2), sine(660, 0.2)
    path = write_audio(tmp_path / "stereo.flac", np.stack([left, right], axis=1), subtype="PCM_24")
    np.testing.assert_allclose(load_audio(path), (left + right) / 2, atol=1e-6)


def test_offset_and_duration(tmp_path):
    y = np.linspace(-0.5, 0.5, 3 * SR, dtype=np.float32)
    path = write_audio(tmp_path / "ramp.wav", y, subtype="FLOAT")
    np.testing.assert_array_equal(load_audio(path, offset=1.0, duration=1.0), y[SR : 2 * SR])
    np.testing.assert_array_equal(load_audio(path, offset=2.5), y[int(2.5 * SR) :])
    with pytest.raises(AudioDecodeError, match="no audio samples after offset"):
        load_audio(path, offset=5.0)


def _bad_file(tmp_path, kind):
    contents = {
        "empty": b"",
        "text": b"not audio",
        "truncated-header": b"RIFF\x24\x00\x00\x00WAVEfmt ",
    }
    if kind == "missing":
        return tmp_path / "missing.wav"
    if kind == "directory":
        return tmp_path
    path = tmp_path / f"{kind}.wav"
    path.write_bytes(contents[kind])
    return path


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing", "does not exist"),
        ("directory", "is a directory"),
        ("empty", "empty"),
        ("text", "not a decodable"),
        ("truncated-header", "not a decodable"),
    ],
)
def test_bad_files_raise_with_path_and_cause(tmp_path, kind, reason):
    path = _bad_file(tmp_path, kind)
    with pytest.raises(AudioDecodeError, match=reason) as info:
        load_audio(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)
    assert info.value.path == str(path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"sr": 0}, "sr must be"), ({"offset": -1}, "offset must be"), ({"duration": 0}, "duration")],
)
def test_bad_arguments(tmp_path, kwargs, match):
    path = write_audio(tmp_path / "t.wav", sine(seconds=0.1))
    with pytest.raises(ValueError, match=match):
        load_audio(path, **kwargs)


@pytest.mark.real_data
def test_real_gtzan_ogg(gtzan_mini):
    y = load_audio(gtzan_mini.paths[0])
    assert y.dtype == np.float32 and y.ndim == 1
    assert 29.9 * SR < y.shape[0] < 30.5 * SR
    assert np.isfinite(y).all() and 0.01 < np.abs(y).max() <= 1.0


def test_check_clips_forms():
    X = np.zeros((3, 100))
    assert len(check_clips(X)) == 3
    assert check_clips(np.array([["a.wav"], ["b.wav"]], dtype=object)) == ["a.wav", "b.wav"]
    mixed = check_clips(["a.wav", np.zeros(10)])
    assert mixed[0] == "a.wav" and mixed[1].shape == (10,)


@pytest.mark.parametrize(
    ("X", "match"),
    [
        ("song.wav", "single path"),
        (np.zeros(100), "1-D numeric"),
        (np.zeros((2, 3, 4)), "3-D"),
        ([], "at least one clip"),
    ],
)
def test_check_clips_rejects(X, match):
    with pytest.raises(ValueError, match=match):
        check_clips(X)


def test_load_clip_arrays():
    pcm = np.array([0, 16384, -32768, 32767], dtype=np.int16)
    np.testing.assert_allclose(load_clip(pcm), [0, 0.5, -1, 32767 / 32768])
    assert load_clip(np.ones(5, dtype=np.float64)).dtype == np.float32
    with pytest.raises(ValueError, match="clip 4 must contain only finite"):
        load_clip(np.array([0.0, np.nan]), index=4)
    with pytest.raises(ValueError, match="1-D waveform"):
        load_clip(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="at least one sample"):
        load_clip(np.zeros(0))
