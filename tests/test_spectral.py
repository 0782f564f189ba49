"""SpectralFeatureUnion: one STFT per clip, equal to the naive per-feature librosa calls."""

from pathlib import Path

import librosa
import numpy as np
import pytest

from sk_genre import SpectralFeatureUnion
from sk_genre.datasets import load_gtzan_features
from sk_genre.features import GTZAN_COLUMNS

from .conftest import LIBROSA_RTOL, SR, assert_equal_to_librosa, music_like

# the documented bound, on librosa 0.11 and 1.x; intermediates are bit-identical (on the
# librosa lines conftest.LIBROSA_BIT_IDENTICAL names), so this is loose
RTOL = LIBROSA_RTOL


def naive_frames(y, sr=SR):
    """Each feature the way the seed scripts compute it: one librosa call on the waveform."""
    y_harmonic, y_percussive = librosa.effects.hpss(y)
    h, p = librosa.decompose.hpss(librosa.stft(y))
    return {
        "chroma": librosa.feature.chroma_stft(y=y, sr=sr),
        "contrast": librosa.feature.spectral_contrast(y=y, sr=sr),
        "tonnetz": librosa.feature.tonnetz(chroma=librosa.feature.chroma_stft(y=y, sr=sr)),
        "centroid": librosa.feature.spectral_centroid(y=y, sr=sr),
        "bandwidth": librosa.feature.spectral_bandwidth(y=y, sr=sr),
        "rolloff": librosa.feature.spectral_rolloff(y=y, sr=sr),
        "zcr": librosa.feature.zero_crossing_rate(y),
        "rms": librosa.feature.rms(y=y),
        "harmonic": librosa.feature.rms(S=np.abs(h)),
        "percussive": librosa.feature.rms(S=np.abs(p)),
        "tempo": np.atleast_1d(librosa.beat.beat_track(y=y, sr=sr)[0]),
        "mfcc": librosa.feature.mfcc(y=y, sr=sr),
        "y_harmonic": y_harmonic,
        "y_percussive": y_percussive,
    }


def naive_gtzan_row(y, sr=SR):
    """The 57 GTZAN-table values computed the naive way (Kaggle's feature script)."""
    f = naive_frames(y, sr)
    values = []
    for key in (
        "chroma",
        "rms",
        "centroid",
        "bandwidth",
        "rolloff",
        "zcr",
        "y_harmonic",
        "y_percussive",
    ):
        values += [np.mean(f[key]), np.var(f[key])]
    values += [f["tempo"][0]]
    for row in f["mfcc"]:
        values += [np.mean(row), np.var(row)]
    return np.array(values)


def test_each_feature_equals_its_librosa_call():
    y = music_like(seconds=6.0)
    union = SpectralFeatureUnion(stats=("mean", "std", "max"), verbose=0).fit(y[None])
    ours = dict(zip(union.get_feature_names_out(), union.transform(y[None])[0], strict=True))
    naive = naive_frames(y)
    prefixes = {
        "chroma": "chroma",
        "contrast": "spectral_contrast",
        "tonnetz": "tonnetz",
        "mfcc": "mfcc",
        "centroid": "spectral_centroid",
        "bandwidth": "spectral_bandwidth",
        "rolloff": "spectral_rolloff",
        "zcr": "zero_crossing_rate",
        "rms": "rms",
        "harmonic": "harmonic_rms",
        "percussive": "percussive_rms",
    }
    for key, prefix in prefixes.items():
        frames = naive[key]
        for i, row in enumerate(frames):
            name = f"{prefix}{i:02d}" if frames.shape[0] > 1 or key == "chroma" else prefix
            for stat, fn in (("mean", np.mean), ("std", np.std), ("max", np.max)):
                np.testing.assert_allclose(
                    ours[f"{name}_{stat}"], fn(row), rtol=RTOL, atol=1e-9, err_msg=f"{name}_{stat}"
                )
    assert_equal_to_librosa(ours["tempo"], naive["tempo"][0], err_msg="tempo")
    assert len(ours) == 12 * 3 + 7 * 3 + 6 * 3 + 20 * 3 + 7 * 3 + 1


def test_names_and_selection():
    union = SpectralFeatureUnion(
        include=("tempo", "centroid", "mfcc"), n_mfcc=2, stats=("mean", "var")
    ).fit(np.zeros((1, 4096)))
    assert union.get_feature_names_out().tolist() == [
        "tempo",
        "spectral_centroid_mean",
        "spectral_centroid_var",
        "mfcc00_mean",
        "mfcc00_var",
        "mfcc01_mean",
        "mfcc01_var",
    ]
    all_names = SpectralFeatureUnion().fit(np.zeros((1, 4096))).get_feature_names_out()
    assert "chroma03_mean" in all_names and "spectral_contrast06_std" in all_names
    assert len(all_names) == len(set(all_names)) == 2 * (12 + 7 + 6 + 7 + 20) + 1


@pytest.mark.parametrize("include", [("chroma", "chroma"), ("cqt",), ()])
def test_bad_include(include):
    with pytest.raises(ValueError, match="include must be"):
        SpectralFeatureUnion(include=include).fit(np.zeros((1, 4096)))


def test_gtzan_columns_are_the_bundled_tables():
    assert list(GTZAN_COLUMNS) == load_gtzan_features().feature_names
    union = SpectralFeatureUnion(include="gtzan").fit(np.zeros((1, 4096)))
    assert union.get_feature_names_out().tolist() == list(GTZAN_COLUMNS)


def test_gtzan_preset_equals_naive_on_synthetic_audio():
    X = np.stack([music_like(4.0, seed=s) for s in range(2)])
    ours = SpectralFeatureUnion(include="gtzan", verbose=0).fit_transform(X)
    for row, y in zip(ours, X, strict=True):
        np.testing.assert_allclose(row, naive_gtzan_row(y), rtol=RTOL, atol=1e-12)


def test_silence_and_short_clips_are_finite():
    X = [np.zeros(SR, dtype=np.float32), music_like(0.05)]  # silence; shorter than n_fft
    out = SpectralFeatureUnion(verbose=0).fit_transform(X)
    assert out.shape == (2, 105) and np.isfinite(out).all()
    gtzan = SpectralFeatureUnion(include="gtzan", verbose=0).fit_transform(X)
    assert np.isfinite(gtzan).all() and gtzan[0, GTZAN_COLUMNS.index("tempo")] == 0


@pytest.mark.real_data
def test_gtzan_preset_equals_naive_on_real_audio(gtzan_mini):
    from sk_genre.io import load_audio

    paths = gtzan_mini.paths[::20]
    ours = SpectralFeatureUnion(include="gtzan", verbose=0).fit_transform(paths)
    for row, path in zip(ours, paths, strict=True):
        naive = naive_gtzan_row(load_audio(path))
        np.testing.assert_allclose(row, naive, rtol=RTOL, atol=1e-12, err_msg=path)


@pytest.mark.real_data
def test_gtzan_preset_reproduces_the_bundled_table(gtzan_mini):
    """Real OGGs against the table computed from the WAVs: median relative error <= 2 %."""
    table = load_gtzan_features()
    row_of = {t: i for i, t in enumerate(table.track_ids)}
    paths = gtzan_mini.paths[::4]
    ours = SpectralFeatureUnion(include="gtzan", verbose=0).fit_transform(paths)
    theirs = table.data[[row_of[Path(p).stem] for p in paths]]
    rel = np.abs(ours - theirs) / np.abs(theirs)
    per_column = np.median(rel, axis=0)
    assert np.median(rel) <= 0.02, np.median(rel)
    # HPSS means are ~1e-5 around zero and differ more between WAV and lossy OGG
    stable = [i for i, c in enumerate(GTZAN_COLUMNS) if c not in ("harmony_mean", "perceptr_mean")]
    assert (per_column[stable] <= 0.05).all(), dict(
        zip(GTZAN_COLUMNS, per_column.round(4), strict=True)
    )


def test_long_clips_block_by_block_equal_the_whole_clip(monkeypatch):
    """Clips past LONG_CLIP_FRAMES go block by block (bounded memory), with the same frames.

    Forced here on a 60-s clip with 300-frame blocks: every block boundary then falls
    inside the clip (HPSS medians, inverse STFT, tuning, top_db and tempo across blocks).
    """
    from sk_genre.features import _long

    rng = np.random.default_rng(0)
    y = np.concatenate([music_like(10.0, seed=s) * rng.uniform(0.3, 1.0) for s in range(6)])
    for include in ("all", "gtzan"):
        union = SpectralFeatureUnion(include=include, verbose=0)
        whole = union.fit_transform([y])[0]
        with monkeypatch.context() as m:
            m.setattr(_long, "LONG_CLIP_FRAMES", 0)
            m.setattr(_long, "BLOCK_FRAMES", 300)
            blocks = union.transform([y])[0]
        # Not bit-identical across machines: the mel, chroma and DCT matrix products run through
        # OpenBLAS, whose micro-kernel is chosen per CPU, and on some kernels a column's rounding
        # depends on the matrix width (a 300-frame block vs the whole clip). SkylakeX's gives
        # equal bits here; OPENBLAS_CORETYPE=Haswell (AVX2 machines) makes 40 of the 105
        # features differ by <= 4.7e-8 absolute / 1.8e-8 relative, as the issue saw. The promise
        # (docs/input.md) is float32 rounding, 1e-6 relative: 50 times the largest difference.
        if include == "all":
            np.testing.assert_allclose(blocks, whole, rtol=1e-6, atol=0)
            continue
        # the harmonic / percussive waveform statistics are summed in float64 over the blocks
        # (float32 pairwise over the whole clip): equal to 1e-8 of the waveform's scale
        # (means near 0 differ by 1e-4 relative, 1.2e-9 absolute)
        names = list(union.get_feature_names_out())
        waves = [
            names.index(n) for n in ("harmony_mean", "harmony_var", "perceptr_mean", "perceptr_var")
        ]
        others = [i for i in range(len(names)) if i not in waves]
        np.testing.assert_allclose(blocks[others], whole[others], rtol=1e-6, atol=0)
        np.testing.assert_allclose(blocks[waves], whole[waves], rtol=1e-5, atol=1e-8)


def test_tempo_of_a_long_envelope_block_by_block(monkeypatch):
    from sk_genre.features import _stft

    rng = np.random.default_rng(1)
    envelope = np.abs(rng.standard_normal(5000)) * (np.arange(5000) % 37 < 3)
    whole = _stft._mean_tempogram(envelope, sr=SR, hop_length=512)
    reference = librosa.feature.tempogram(onset_envelope=envelope, sr=SR, win_length=344)
    # bit-identical: at 5000 <= TEMPOGRAM_BLOCK frames _mean_tempogram makes the same librosa call
    np.testing.assert_array_equal(whole, reference.mean(axis=-1, keepdims=True))
    monkeypatch.setattr(_stft, "TEMPOGRAM_BLOCK", 700)
    np.testing.assert_allclose(
        _stft._mean_tempogram(envelope, sr=SR, hop_length=512), whole, atol=1e-14
    )
