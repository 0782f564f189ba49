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

from .conftest import SR, assert_equal_to_librosa, music_like, write_audio

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
    if case == "directory":  # predict searches a folder for audio files: this one has none
        expected_error = r"no audio file \(.*\) in this folder"
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


# ------------------------------------------- long, multi-channel files: block-wise decoding


def _real_channels(gtzan_mini, sr, channels, seconds=15.0):
    """(n_frames, channels) float32 at ``sr`` Hz: channel c is gtzan-mini track c, resampled."""
    import soxr

    n = int(seconds * SR)
    tracks = [sf.read(p, dtype="float32")[0][:n] for p in gtzan_mini.paths[:channels]]
    n = min(len(t) for t in tracks)
    data = np.stack([soxr.resample(t[:n], SR, sr, quality="soxr_hq") for t in tracks], axis=1)
    return (0.9 * data).astype(np.float32)


def _whole_file_decode(path, sr, res_type="soxr_hq", offset=0.0, duration=None):
    """How load_audio decoded before block-wise reading: all channels, mean, resample whole."""
    import librosa

    with sf.SoundFile(path) as f:
        native = f.samplerate
        f.seek(int(round(offset * native)))
        frames = -1 if duration is None else int(round(duration * native))
        y = f.read(frames, dtype="float32", always_2d=True).mean(axis=1)
    if sr != native:
        y = librosa.resample(y, orig_sr=native, target_sr=sr, res_type=res_type)
    return y.astype(np.float32)


#: name -> (native rate, channels, format, subtype): files made from gtzan-mini tracks
BLOCK_CASES = {
    "44.1 kHz stereo WAV": (44100, 2, "WAV", "PCM_16"),
    "48 kHz 6-channel WAV": (48000, 6, "WAV", "PCM_16"),
    "44.1 kHz mono FLAC": (44100, 1, "FLAC", "PCM_24"),
    "22.05 kHz stereo float WAV": (22050, 2, "WAV", "FLOAT"),
    "44.1 kHz stereo MP3": (44100, 2, "MP3", "MPEG_LAYER_III"),
}


@pytest.mark.real_data
@pytest.mark.parametrize("case", BLOCK_CASES)
def test_block_wise_decoding_equals_whole_file_decoding(tmp_path, gtzan_mini, case):
    """Block-wise mix-down + soxr.ResampleStream is bit-identical to the whole-file path.

    The tolerance is zero: ``soxr.ResampleStream`` fed in blocks gives exactly
    ``soxr.resample`` (hence ``librosa.resample``, soxr_hq) of the whole mono signal,
    and the mean of each block's channels is the mean of the whole array's. A 15-s
    file spans five 2**17-frame blocks at 44.1 kHz, so block edges are crossed.
    """
    native, channels, fmt, subtype = BLOCK_CASES[case]
    path = tmp_path / f"clip.{fmt.lower()}"
    data = _real_channels(gtzan_mini, native, channels)
    sf.write(path, data if channels > 1 else data[:, 0], native, format=fmt, subtype=subtype)
    for sr in (SR, 16000, native):
        for offset, duration in ((0.0, None), (2.7, None), (1.3, 9.1)):
            y = load_audio(path, sr=sr, offset=offset, duration=duration)
            expected = _whole_file_decode(path, sr, offset=offset, duration=duration)
            assert y.dtype == np.float32 and y.shape == expected.shape, (sr, offset, duration)
            np.testing.assert_array_equal(y, expected, err_msg=f"{case} sr={sr} offset={offset}")


def test_other_resamplers_resample_the_mixed_down_signal_whole(tmp_path):
    """res_type other than soxr_*: the file is mixed down block by block, then resampled whole."""
    import librosa

    path = _wav(tmp_path / "stereo44.wav", seconds=8.0, sr=44100, channels=2)
    for res_type in ("polyphase", "soxr_qq"):
        y = load_audio(path, sr=16000, res_type=res_type)
        np.testing.assert_array_equal(y, _whole_file_decode(path, 16000, res_type=res_type))
    y = load_audio(path, sr=16000, res_type="polyphase")
    mono = sf.read(path, dtype="float32")[0].mean(axis=1)
    expected = librosa.resample(mono, orig_sr=44100, target_sr=16000, res_type="polyphase")
    np.testing.assert_array_equal(y, expected)


def test_non_finite_sample_of_a_resampled_multichannel_file_is_refused(tmp_path):
    y = np.stack([_tones(8.0, 44100), _tones(8.0, 44100)[::-1]], axis=1)
    y[300_000, 1] = np.inf  # the third block
    path = write_audio(tmp_path / "inf.wav", y, sr=44100, subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="contains NaN or infinite samples") as caught:
        load_audio(path, sr=SR)
    assert caught.value.path == os.fspath(path)


def test_truncated_multichannel_file_decodes_what_is_there(tmp_path):
    full = _wav(tmp_path / "full.wav", seconds=8.0, sr=48000, channels=2)
    data = full.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2 + 3])  # half, and not on a frame boundary
    y = load_audio(cut, sr=SR)
    np.testing.assert_array_equal(y, _whole_file_decode(cut, SR))
    assert abs(len(y) - 4 * SR) < 0.01 * SR


@pytest.mark.real_data
def test_block_wise_db_mfcc_and_onset_equal_the_whole_clip(gtzan_mini):
    """power_to_db (global top_db), MFCC and the onset envelope in blocks: exact, any block size.

    Exact on librosa 0.11 and 1.0 (conftest.LIBROSA_BIT_IDENTICAL), 1e-4 on other lines.
    """
    import librosa

    from sk_genre.features._stft import mel_power_blocks, mfcc_blocks, onset_envelope_blocks

    y = np.concatenate([sf.read(p, dtype="float32")[0] for p in gtzan_mini.paths[:4]])
    mel_power = mel_power_blocks(y, sr=SR, n_fft=2048, hop_length=512)
    mel_db = librosa.power_to_db(mel_power)
    mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=20)
    onset = librosa.onset.onset_strength(
        S=mel_db, sr=SR, hop_length=512, n_fft=2048, aggregate=np.median
    )
    for block_frames in (2048, 333, 2):
        assert_equal_to_librosa(mfcc_blocks(mel_power, n_mfcc=20, block_frames=block_frames), mfcc)
        assert_equal_to_librosa(
            onset_envelope_blocks(
                mel_power, sr=SR, hop_length=512, n_fft=2048, block_frames=block_frames
            ),
            onset,
        )


# ------------------------------------------------------------------ a 60-minute file

#: Run in a fresh process: imports, a warm-up call of the step on a 30-s file (numba
#: compilation, FFT plans), then the step on the long file; print resident memory (MB)
#: after the imports and after the warm-up, and the peak of the whole process.
_MEMORY_CHILD = """
import json, os, resource, sys
import numpy as np
from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre.io import load_audio

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

step, path, warmup = sys.argv[1:4]
if step == "load_audio":
    func = lambda p: load_audio(p, sr=22050)
else:
    kwargs = {"include": "gtzan"} if step == "SpectralFeatureUnion_gtzan" else {}
    est = globals()[step.split("_")[0]](verbose=0, **kwargs)
    func = lambda p: est.fit_transform([p])
imports = rss()
func(warmup)
baseline = rss()
assert np.isfinite(func(path)).all()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"imports": imports, "baseline": baseline, "peak": peak}))
"""


def _memory_mb(step, path, warmup):
    """{"imports", "baseline", "peak"} in MB of a fresh process running ``step`` on ``path``."""
    import json

    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_CHILD, step, os.fspath(path), os.fspath(warmup)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.splitlines()[-1])


def _long_file(path, gtzan_mini, *, minutes, sr, channels):
    """``minutes`` of gtzan-mini music as a 16-bit WAV at ``sr`` Hz with ``channels`` channels.

    Channel ``c`` of 30-s piece ``k`` is track ``k + c`` (resampled with soxr), so the
    channels differ; written piece by piece.
    """
    import soxr

    tracks = {}

    def track(i):
        if i not in tracks:
            for old in [j for j in tracks if j < i - channels]:
                del tracks[old]
            y = sf.read(gtzan_mini.paths[i % len(gtzan_mini.paths)], dtype="float32")[0]
            tracks[i] = soxr.resample(y[: 30 * SR], SR, sr, quality="soxr_hq")
        return tracks[i]

    left = int(minutes * 60 * sr)
    with sf.SoundFile(path, "w", sr, channels, subtype="PCM_16") as f:
        for k in range(int(np.ceil(minutes * 2))):
            parts = [track(k + c) for c in range(channels)]
            n = min(min(len(p) for p in parts), left)
            f.write(0.9 * np.stack([p[:n] for p in parts], axis=1))
            left -= n
    return path


@pytest.fixture(scope="module")
def long_files(tmp_path_factory, gtzan_mini):
    """A 60-min 44.1 kHz stereo WAV (635 MB), a 10-min 6-channel 48 kHz WAV, a 30-s clip."""
    folder = tmp_path_factory.mktemp("long")
    return {
        "hour": _long_file(folder / "hour.wav", gtzan_mini, minutes=60, sr=44100, channels=2),
        "six": _long_file(folder / "six.wav", gtzan_mini, minutes=10, sr=48000, channels=6),
        "clip": _long_file(folder / "clip.wav", gtzan_mini, minutes=0.5, sr=44100, channels=2),
    }


#: Step -> limit (MB) on peak - baseline for the 60-minute 44.1 kHz stereo file: the
#: 22050 Hz waveform (318 MB) plus what the step needs beyond it. Measured (docs/input.md,
#: "Long files and memory"): 381, 445, 378, 505, 473; each limit is that plus 15 %.
SIXTY_MINUTE_LIMITS_MB = {
    "load_audio": 440,
    "MFCCTransformer": 510,
    "MelChunker": 435,
    "SpectralFeatureUnion": 580,
    "SpectralFeatureUnion_gtzan": 545,
}


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("step", SIXTY_MINUTE_LIMITS_MB)
def test_sixty_minute_file_memory_stays_bounded(long_files, step):
    """A 60-min 44.1 kHz stereo WAV: decoding and every feature step stay near 500 MB.

    The figure is the peak resident memory of a fresh process minus its resident
    memory after the imports and a warm-up call on a 30-s file. The whole-process peak
    cannot be under 500 MB: the imports are about 160 MB and the decoded waveform (an
    hour of float32 at 22050 Hz) 318 MB. Before block-wise decoding, reading this file
    peaked at 2.1 GB (all channels at 44.1 kHz, then the mean, then the resampled copy).
    """
    mb = _memory_mb(step, long_files["hour"], long_files["clip"])
    assert mb["peak"] - mb["baseline"] <= SIXTY_MINUTE_LIMITS_MB[step], (step, mb)


@pytest.mark.slow
@pytest.mark.real_data
@pytest.mark.parametrize("step, limit_mb", [("load_audio", 150), ("MFCCTransformer", 250)])
def test_six_channel_file_is_mixed_down_block_by_block(long_files, step, limit_mb):
    """A 10-min 6-channel 48 kHz WAV: no 6-channel array (691 MB as float32) is ever held.

    The 22050 Hz mono waveform is 53 MB; measured 63 MB (load_audio) and 118 MB (MFCC)
    above the baseline, where the whole-file decode took 769 MB (1.06 GB peak).
    """
    mb = _memory_mb(step, long_files["six"], long_files["clip"])
    assert mb["peak"] - mb["baseline"] <= limit_mb, (step, mb)
