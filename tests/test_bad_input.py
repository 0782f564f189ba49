"""Bad input, case by case, through the Python API and the command line.

Each case gets either a clear error that names the file (or clip) and the cause
(:class:`~sk_genre.AudioDecodeError` for files, ``ValueError`` for arrays), or a
correct result (resampled, mixed down, padded). docs/input.md lists the same
cases and outcomes; keep the two in step.
"""

import os
import subprocess
import sys

import joblib
import numpy as np
import pytest
import soundfile as sf
from sklearn.linear_model import LogisticRegression

from sk_genre import AudioDecodeError, MelChunker, MFCCTransformer, make_pipeline
from sk_genre.cli import main
from sk_genre.io import load_audio

from .conftest import SR, music_like, write_audio

# --------------------------------------------------------------------------- files


def _ogg(path, seconds=10.0):
    """A real Ogg Vorbis file of music-like audio."""
    sf.write(path, music_like(seconds), SR, format="OGG", subtype="VORBIS")
    return path


def _corrupt_middle(path):
    """Overwrite bytes in the second tenth of an Ogg file: its decoder stops there."""
    data = bytearray(_ogg(path).read_bytes())
    rng = np.random.default_rng(0)
    start = len(data) // 10
    data[start : start + 2000] = rng.integers(0, 256, 2000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def _corrupt_header(path):
    data = bytearray(_ogg(path).read_bytes())
    data[100:4000] = np.random.default_rng(1).integers(0, 256, 3900, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    return path


def _truncated(path, make):
    full = make(path.with_name("full" + path.suffix))
    data = full.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _png(path):
    # a valid 1x1 PNG: signature, IHDR, IDAT, IEND
    path.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
        )
    )
    return path


def _tones(seconds, sr):
    """The same chord at any sampling rate (content below 2 kHz)."""
    t = np.arange(int(seconds * sr)) / sr
    chord = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate([220, 330, 550, 1320], 1))
    return (0.2 * chord * (1 + np.sin(2 * np.pi * 2 * t))).astype(np.float32)


def _wav(path, seconds=3.0, sr=SR, channels=1, subtype="PCM_16"):
    y = _tones(seconds, sr)
    if channels == 2:
        y = np.stack([y, 0.5 * y], axis=1)
    return write_audio(path, y, sr=sr, subtype=subtype)


def _nan_wav(path):
    y = music_like(1.0)
    y[100] = np.nan
    return write_audio(path, y, subtype="FLOAT")


def _made(_, path):
    return path


#: name -> (file name, how to make it or None for "absent", expected error text or None if OK)
FILE_CASES = {
    "missing": ("missing.wav", None, "file does not exist"),
    "directory": ("folder.wav", lambda p: _made(p.mkdir(), p), "is a directory"),
    "empty": ("empty.wav", lambda p: _made(p.write_bytes(b""), p), r"file is empty \(0 bytes\)"),
    "text": ("notes.wav", lambda p: _made(p.write_text("la la"), p), "not a decodable audio file"),
    "png": ("cover.png", _png, "not a decodable audio file"),
    "corrupt ogg header": ("head.ogg", _corrupt_header, "not a decodable audio file"),
    "corrupt ogg data": ("data.ogg", _corrupt_middle, "corrupt data: decoding gave"),
    "NaN samples": ("nan.wav", _nan_wav, "contains NaN or infinite samples"),
    "truncated wav": ("cut.wav", lambda p: _truncated(p, _wav), None),
    "truncated ogg": ("cut.ogg", lambda p: _truncated(p, _ogg), None),
    "silence": ("silence.wav", lambda p: write_audio(p, np.zeros(SR, np.float32)), None),
    "shorter than n_fft": ("tiny.wav", lambda p: write_audio(p, music_like(1.0)[:100]), None),
    "stereo": ("stereo.wav", lambda p: _wav(p, channels=2), None),
    "8 kHz": ("sr8k.wav", lambda p: _wav(p, sr=8000), None),
    "44.1 kHz": ("sr44k.wav", lambda p: _wav(p, sr=44100), None),
    "48 kHz": ("sr48k.wav", lambda p: _wav(p, sr=48000), None),
    "unicode and spaces": ("mûsica ñandú/é 1.wav", _wav, None),
}


def make_case(tmp_path, name):
    file_name, make, _ = FILE_CASES[name]
    path = tmp_path / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path if make is None else make(path)


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    """A small fitted audio pipeline (MFCC -> scaler -> logistic regression), saved."""
    rng = np.random.default_rng(0)
    X = np.stack([music_like(1.0, seed=s) * rng.uniform(0.2, 1.0) for s in range(12)])
    X[6:] = np.roll(X[6:], 7, axis=1) * np.linspace(0, 1, X.shape[1], dtype=np.float32)
    y = np.array(["jazz"] * 6 + ["rock"] * 6)
    pipe = make_pipeline(features="mfcc", model=LogisticRegression(), verbose=0).fit(X, y)
    path = tmp_path_factory.mktemp("model") / "model.joblib"
    joblib.dump(pipe, path)
    return path


@pytest.mark.parametrize("case", FILE_CASES)
def test_file_case_through_the_api(tmp_path, case):
    path = make_case(tmp_path, case)
    expected_error = FILE_CASES[case][2]
    mfcc = MFCCTransformer(verbose=0)
    if expected_error is not None:
        with pytest.raises(AudioDecodeError, match=expected_error) as caught:
            mfcc.transform([path])
        assert caught.value.path == os.fspath(path)
        assert os.fspath(path) in str(caught.value)
        return
    features = mfcc.transform([path])
    assert features.shape == (1, 40) and np.isfinite(features).all()
    y = load_audio(path, sr=SR)
    assert y.dtype == np.float32 and y.ndim == 1 and np.isfinite(y).all()


@pytest.mark.parametrize("case", FILE_CASES)
def test_file_case_through_the_cli(tmp_path, case, model_file, capsys):
    path = make_case(tmp_path, case)
    good = _wav(tmp_path / "good.wav")
    status = main(["predict", str(model_file), str(path), str(good)])
    out, err = capsys.readouterr()
    # the good file is classified whatever happens to the other one
    assert any(line.startswith(str(good)) and ("jazz" in line or "rock" in line)
               for line in out.splitlines())  # fmt: skip
    expected_error = FILE_CASES[case][2]
    if expected_error is None:
        assert status == 0, err
        assert any(line.startswith(str(path) + "\t") for line in out.splitlines())
    else:
        assert status == 1
        lines = [line for line in err.splitlines() if line.startswith(str(path) + "\terror: ")]
        assert len(lines) == 1 and pytest.importorskip("re").search(expected_error, lines[0])


# ------------------------------------------------------------- correct results, in detail


def test_truncated_files_decode_what_is_there(tmp_path):
    full = _wav(tmp_path / "full.wav", seconds=3.0)
    cut = make_case(tmp_path, "truncated wav")
    y_full, y_cut = load_audio(full), load_audio(cut)
    assert 0.4 * len(y_full) < len(y_cut) < 0.6 * len(y_full)
    np.testing.assert_array_equal(y_cut, y_full[: len(y_cut)])


def test_stereo_is_the_mean_of_its_channels(tmp_path):
    path = make_case(tmp_path, "stereo")
    channels, _ = sf.read(path, dtype="float32", always_2d=True)
    assert channels.shape[1] == 2 and not np.array_equal(channels[:, 0], channels[:, 1])
    np.testing.assert_array_equal(load_audio(path), channels.mean(axis=1))


@pytest.mark.parametrize("case, native", [("8 kHz", 8000), ("44.1 kHz", 44100), ("48 kHz", 48000)])
def test_other_rates_are_resampled_to_sr(tmp_path, case, native):
    path = make_case(tmp_path, case)
    assert sf.info(path).samplerate == native
    y = load_audio(path, sr=SR)
    assert abs(len(y) - 3 * SR) <= 1
    if native > SR:  # same content below 11 kHz: close to the audio made at 22.05 kHz
        reference = load_audio(_wav(tmp_path / "ref.wav"))
        mfcc = MFCCTransformer(verbose=0)
        a, b = mfcc.transform([y]), mfcc.transform([reference])
        assert np.abs(a - b).max() < 0.05 * np.abs(b).max()


def test_short_clips_are_padded(tmp_path):
    tiny = make_case(tmp_path, "shorter than n_fft")  # 100 samples < n_fft 2048
    assert MFCCTransformer(verbose=0).transform([tiny]).shape == (1, 40)
    chunker = MelChunker(verbose=0)
    one_second = _wav(tmp_path / "one.wav", seconds=1.0)  # shorter than one 4-s chunk
    X = chunker.fit_transform([tiny, one_second])
    assert X.shape == (2, chunker.n_chunks_, 128, chunker.n_frames_)
    assert np.isfinite(X).all()


def test_silence_gives_finite_features(tmp_path):
    silence = make_case(tmp_path, "silence")
    for transformer in (MFCCTransformer(verbose=0), MelChunker(verbose=0)):
        assert np.isfinite(transformer.fit_transform([silence])).all()


# --------------------------------------------------------------------------- arrays


def test_int16_arrays_are_scaled_to_unit_range():
    y = music_like(1.0)
    pcm = np.round(y * 32767).astype(np.int16)
    mfcc = MFCCTransformer(verbose=0)
    np.testing.assert_allclose(
        mfcc.transform([pcm]), mfcc.transform([pcm.astype(np.float32) / 32768]), rtol=1e-5
    )


@pytest.mark.parametrize(
    "X, match",
    [
        ([np.array([0.1, np.nan, 0.2] * 1000)], "clip 0 must contain only finite samples"),
        ([np.zeros(3000), np.array([0.0, np.inf] * 1000)], "clip 1 must contain only finite"),
        (np.zeros(3000), r"X must be 2-D .*X\[np.newaxis, :\]"),
        ([np.zeros((2, 3000))], "clip 0 must be a 1-D waveform; got an array of shape"),
        (np.zeros((1, 2, 3000)), "X must be 2-D .* got 3-D"),
        ([np.array([], dtype=np.float32)], "clip 0 must contain at least one sample"),
        ([], "X must hold at least one clip"),
        ("song.wav", r"single path .*\[path\]"),
    ],
    ids=["NaN", "inf", "1-D for 2-D", "2-D clip", "3-D", "empty clip", "no clips", "one path"],
)
def test_bad_arrays_raise_value_errors_naming_the_clip(X, match):
    with pytest.raises(ValueError, match=match):
        MFCCTransformer(verbose=0).fit_transform(X)


# ------------------------------------------------------------------ a 60-minute file


def _peak_rss_mb(code):
    """Peak resident memory (MB) of a fresh Python process running ``code``."""
    report = "; import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    out = subprocess.run(
        [sys.executable, "-c", code + report], check=True, capture_output=True, text=True
    )
    return int(out.stdout.split()[-1]) / 1024  # KiB on Linux


@pytest.mark.slow
def test_sixty_minute_file_memory_stays_bounded(tmp_path):
    """An hour of audio: every feature step needs a small multiple of the waveform's memory.

    The waveform itself (an hour at 22050 Hz, float32) is 318 MB and Python with
    sk_genre's imports about 250 MB. Before block-wise processing the MFCC transform
    peaked at 3.4 GB on this file and SpectralFeatureUnion at 8.4 GB.
    """
    path = tmp_path / "hour.wav"
    with sf.SoundFile(path, "w", SR, 1, subtype="PCM_16") as f:
        block = music_like(60.0)
        for _ in range(60):
            f.write(block)
    for name, limit_mb in (
        ("MFCCTransformer", 1400),
        ("MelChunker", 1000),
        ("SpectralFeatureUnion", 1800),
    ):
        code = (
            f"from sk_genre import {name}; import numpy as np; "
            f"X = {name}(verbose=0).fit_transform([{str(path)!r}]); "
            "assert np.isfinite(X).all()"
        )
        assert _peak_rss_mb(code) < limit_mb, name
