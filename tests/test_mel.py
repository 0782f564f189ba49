import tracemalloc

import librosa
import numpy as np
import pytest

from sk_genre import MelChunker

from .conftest import SR, music_like, sine, write_audio

N_FFT, HOP, N_MELS = 2048, 512, 128
N_CHUNKS, N_FRAMES = 14, 172  # defaults: 4-s chunks every 2 s over 30 s


# MelChunker runs its FFT in float32; librosa in float64 (documented bound)
DB_TOL = 0.05


def noise(seconds, seed=0):
    """White noise (float32): every frame differs, so a chunk's position is identifiable."""
    rng = np.random.default_rng(seed)
    return (0.1 * rng.standard_normal(int(round(seconds * SR)))).astype(np.float32)


def librosa_log_mel(y, **kwargs):
    """Log-mel (dB, power floor 1e-10) of ``y`` as librosa computes it."""
    S = librosa.feature.melspectrogram(
        y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, **kwargs
    )
    return 10 * np.log10(np.maximum(S, 1e-10))


def reference_chunks(y):
    """The chunks computed from the full-clip log-mel of the (chunk-padded) clip."""
    min_samples = (N_FRAMES - 1) * HOP + 1
    y = np.pad(y, (0, max(min_samples - y.size, 0)))
    full = librosa_log_mel(y)
    T = full.shape[1]
    starts = np.round(np.linspace(0, T - N_FRAMES, N_CHUNKS)).astype(int)
    return np.stack([full[:, s : s + N_FRAMES] for s in starts])


def test_default_shape_and_attributes():
    y = music_like(30.0)
    chunker = MelChunker(verbose=0).fit(y[None, :])
    assert chunker.n_chunks_ == N_CHUNKS
    assert chunker.n_frames_ == N_FRAMES
    assert chunker.n_features_out_ == N_CHUNKS * N_MELS * N_FRAMES
    X = chunker.transform(y[None, :])
    assert X.shape == (1, N_CHUNKS, N_MELS, N_FRAMES)
    assert X.dtype == np.float32
    assert np.isfinite(X).all()
    # log-mel in dB of a [-0.3, 0.3] waveform: bounded by the floor and a modest maximum
    assert X.min() >= -100.0 and 0.0 < X.max() < 80.0


def test_stateless_transform_validates_parameters():
    X = np.stack([music_like(2.0, seed=s) for s in range(2)])
    fitted = MelChunker(verbose=0).fit(music_like(9.0)[None, :]).transform(X)
    np.testing.assert_array_equal(MelChunker(verbose=0).transform(X), fitted)
    with pytest.raises(ValueError, match="fmax must be <= sr / 2"):
        MelChunker(fmax=12000.0).transform(X)


@pytest.mark.parametrize(
    "seconds",
    [
        1.0,  # shorter than one chunk: zero-padded, all chunks coincide
        10.0,  # shorter than track_duration: overlapping chunks
        30.0,  # nominal length: a chunk every 2 s
        661794 / SR,  # a real GTZAN clip's length (30.013 s)
        95.0,  # longer: chunks spread further apart, each from its own STFT
    ],
)
def test_chunks_equal_librosa_full_clip_log_mel(seconds):
    y = music_like(seconds, seed=1)
    X = MelChunker(verbose=0).fit_transform(y[None, :])
    expected = reference_chunks(y)
    assert X.shape == (1, *expected.shape)
    np.testing.assert_allclose(X[0], expected, rtol=0, atol=DB_TOL)


def test_thirty_second_clip_gets_a_chunk_every_two_seconds():
    y = noise(30.0)
    assert y.size == 30 * SR
    X = MelChunker(verbose=0).fit_transform(y[None, :])[0]
    full = librosa_log_mel(y)
    T = full.shape[1]
    # locate each chunk in the full-clip log-mel by its first frame (noise: frames are unique)
    starts = []
    for chunk in X:
        distance = np.abs(full[:, : T - N_FRAMES + 1] - chunk[:, :1]).max(axis=0)
        start = int(np.argmin(distance))
        np.testing.assert_allclose(chunk, full[:, start : start + N_FRAMES], rtol=0, atol=DB_TOL)
        starts.append(start)
    starts = np.array(starts)
    two_seconds = 2.0 * SR / HOP  # 86.13 frames
    assert starts[0] == 0 and starts[-1] == T - N_FRAMES  # first and last frames covered
    assert set(np.diff(starts)) <= {86, 87}
    np.testing.assert_allclose(starts, np.arange(N_CHUNKS) * two_seconds, atol=1.0)


def test_clip_shorter_than_a_chunk_gives_identical_chunks():
    X = MelChunker(verbose=0).fit_transform(music_like(1.0)[None, :])
    assert X.shape == (1, N_CHUNKS, N_MELS, N_FRAMES)
    for chunk in X[0, 1:]:
        np.testing.assert_array_equal(chunk, X[0, 0])
    # the zero padding after the 1-s clip is at the floor (-100 dB), the audio is not
    one_second = int(SR / HOP)
    assert X[0, 0, :, : one_second - 4].max() > -50.0
    np.testing.assert_array_equal(X[0, 0, :, one_second + 4 :], -100.0)


def test_any_length_gives_the_same_shape():
    chunker = MelChunker(verbose=0)
    shapes = {chunker.fit_transform(music_like(s)[None, :]).shape for s in (0.05, 10.0, 95.0)}
    assert shapes == {(1, N_CHUNKS, N_MELS, N_FRAMES)}
    # clips of different lengths in one batch (a list of 1-D waveforms)
    X = chunker.fit_transform([music_like(3.0), music_like(45.0)])
    assert X.shape == (2, N_CHUNKS, N_MELS, N_FRAMES)


def test_long_clip_chunks_span_the_whole_clip():
    half = 47.5
    y = np.concatenate([sine(440.0, half), sine(880.0, half)])  # 95 s
    X = MelChunker(verbose=0).fit_transform(y[None, :])[0]

    def peak_band(chunk):
        return int(np.argmax(chunk.mean(axis=1)))

    pure = MelChunker(verbose=0).fit_transform(np.stack([sine(440.0, 5.0), sine(880.0, 5.0)]))
    band_440, band_880 = peak_band(pure[0, 0]), peak_band(pure[1, 0])
    assert band_440 < band_880
    # the first chunk hears only the first half, the last chunk only the end of the clip
    assert peak_band(X[0]) == band_440
    assert peak_band(X[-1]) == band_880
    # the chunks move through the clip: the first half's chunks hear 440 Hz, the rest 880 Hz
    bands = [peak_band(chunk) for chunk in X]
    assert bands == sorted(bands)
    assert bands.count(band_440) >= 6 and bands.count(band_880) >= 6


def test_long_clip_is_not_transformed_whole():
    """A 10-minute clip: only the chunks' frames are transformed, each from its own segment."""
    y = noise(600.0, seed=3)
    chunker = MelChunker(verbose=0).fit(y[None, :])
    chunker.transform(y[None, : 5 * SR])  # warm-up: first-call allocations are not the point

    # tracemalloc sees numpy's data buffers (numpy reports them since 1.13)
    tracemalloc.start()
    try:
        probe = np.ones(10**6)  # 8 MB
        assert tracemalloc.get_traced_memory()[1] >= probe.nbytes
        del probe
        tracemalloc.reset_peak()
        X = chunker.transform(y[None, :])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    T = 1 + y.size // HOP
    full_stft_bytes = (1 + N_FFT // 2) * T * np.dtype(np.complex64).itemsize  # 212 MB
    # only the chunks' segments and spectra (no copy of the waveform, see the next test); the
    # full-clip power spectrogram alone would be 50 % of full_stft_bytes
    assert peak < 0.10 * full_stft_bytes, (peak / 1e6, full_stft_bytes / 1e6)

    # each chunk equals the log-mel of its own segment of the centre-padded clip
    starts = np.round(np.linspace(0, T - N_FRAMES, N_CHUNKS)).astype(int)
    padded = np.pad(y, (N_FFT // 2, N_FFT // 2))
    assert X.shape == (1, N_CHUNKS, N_MELS, N_FRAMES)
    for k, start in enumerate(starts):
        segment = padded[start * HOP : (start + N_FRAMES - 1) * HOP + N_FFT]
        expected = librosa_log_mel(segment, center=False)
        assert expected.shape == (N_MELS, N_FRAMES)
        np.testing.assert_allclose(X[0, k], expected, rtol=0, atol=DB_TOL)


def test_long_clip_is_not_copied_whole():
    y = noise(600.0, seed=4)
    chunker = MelChunker(verbose=0).fit(y[None, :])
    chunker.transform(y[None, : 5 * SR])
    tracemalloc.start()
    try:
        chunker.transform(y[None, :])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the chunks' own spectra take about 6 MB; the waveform is 53 MB
    assert peak < 0.5 * y.nbytes, (peak / 1e6, y.nbytes / 1e6)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"chunk_duration": 40.0}, r"chunk_duration must be <= track_duration \(30.0 s\)"),
        ({"fmax": 12000.0}, r"fmax must be <= sr / 2 \(11025.0 Hz\); got 12000.0"),
        ({"chunk_duration": 0.01}, "chunk_duration must span at least one hop"),
        ({"chunk_hop": 0.0}, "chunk_hop"),
        ({"n_mels": 0}, "n_mels"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MelChunker(**params).fit(np.zeros((1, 4096)))


def test_custom_chunking():
    chunker = MelChunker(chunk_duration=1.0, chunk_hop=0.5, track_duration=5.0, verbose=0)
    y = music_like(5.0)
    X = chunker.fit_transform(y[None, :])
    assert chunker.n_chunks_ == 9  # 1 + (5 - 1) / 0.5
    assert chunker.n_frames_ == 43 == round(SR / HOP)
    assert chunker.n_features_out_ == 9 * N_MELS * 43
    assert X.shape == (1, 9, N_MELS, 43)
    assert len(chunker.get_feature_names_out()) == chunker.n_features_out_
    # chunks every 0.5 s (21.5 frames) from the start to the end of the clip
    full = librosa_log_mel(y)
    starts = np.round(np.linspace(0, full.shape[1] - 43, 9)).astype(int)
    assert starts[-1] - starts[0] == full.shape[1] - 43
    for k, start in enumerate(starts):
        np.testing.assert_allclose(X[0, k], full[:, start : start + 43], rtol=0, atol=DB_TOL)


def test_paths_equal_waveforms(tmp_path):
    clips = [music_like(6.0, seed=s) for s in range(3)]
    paths = [write_audio(tmp_path / f"c{i}.wav", y, subtype="FLOAT") for i, y in enumerate(clips)]
    chunker = MelChunker(verbose=0).fit(paths)
    from_2d = chunker.transform(np.stack(clips))
    np.testing.assert_array_equal(chunker.transform(paths), from_2d)
    np.testing.assert_array_equal(chunker.transform([str(p) for p in paths]), from_2d)
    assert not np.array_equal(from_2d[0], from_2d[1])


def test_parallel_equals_serial():
    X = np.stack([music_like(5.0, seed=s) for s in range(4)])
    serial = MelChunker(n_jobs=1, verbose=0).fit_transform(X)
    parallel = MelChunker(n_jobs=2, verbose=0).fit_transform(X)
    # bit-identical by design: each clip goes through the same code, one at a time, BLAS
    # pinned to 1 thread (features/_base.py) in the main process and in every worker
    assert np.array_equal(parallel, serial)


@pytest.mark.real_data
def test_real_gtzan_clips(gtzan_mini):
    genres = ["classical", "metal", "hiphop"]
    paths = [gtzan_mini.paths[list(gtzan_mini.target).index(g)] for g in genres]
    X = MelChunker(verbose=0).fit_transform(paths)
    assert X.shape == (3, N_CHUNKS, N_MELS, N_FRAMES)
    assert X.dtype == np.float32 and np.isfinite(X).all()
    # the same chunks librosa gives for the decoded file
    y, _ = librosa.load(paths[0], sr=SR)
    np.testing.assert_allclose(X[0], reference_chunks(y), rtol=0, atol=DB_TOL)
    # tracks of different genres differ by several dB on average (observed: 9.7 to 21 dB)
    for i in range(3):
        for j in range(i + 1, 3):
            assert np.abs(X[i] - X[j]).mean() > 3.0, (genres[i], genres[j])
