from pathlib import Path

import librosa
import numpy as np
import pytest
from sklearn.utils.validation import check_is_fitted

from sk_genre import AudioDecodeError, MFCCTransformer

from .conftest import SR, music_like, write_audio


def test_matches_librosa_mfcc():
    y = music_like(seconds=3.0)
    X = MFCCTransformer(n_mfcc=13, stats=("mean", "std", "min")).fit_transform(y[None, :])
    ref = librosa.feature.mfcc(y=y, sr=SR, n_mfcc=13)
    expected = np.stack([ref.mean(axis=1), ref.std(axis=1), ref.min(axis=1)], axis=1).ravel()
    assert X.shape == (1, 39) and X.dtype == np.float64
    np.testing.assert_allclose(X[0], expected, rtol=1e-5, atol=1e-4)


def test_feature_names_follow_output_order():
    t = MFCCTransformer(n_mfcc=3, stats=("mean", "var")).fit(np.zeros((1, 4096)))
    assert t.get_feature_names_out().tolist() == [
        "mfcc00_mean",
        "mfcc00_var",
        "mfcc01_mean",
        "mfcc01_var",
        "mfcc02_mean",
        "mfcc02_var",
    ]
    assert t.n_features_out_ == 6


def test_input_forms_agree(tmp_path):
    clips = [music_like(1.0, seed=s) for s in range(3)]
    paths = [write_audio(tmp_path / f"c{i}.wav", y, subtype="FLOAT") for i, y in enumerate(clips)]
    t = MFCCTransformer().fit(paths)
    from_2d = t.transform(np.stack(clips))
    np.testing.assert_array_equal(t.transform(clips), from_2d)
    np.testing.assert_array_equal(t.transform(paths), from_2d)
    np.testing.assert_array_equal(t.transform([str(p) for p in paths]), from_2d)


def test_each_file_is_decoded_once_per_fit(tmp_path, monkeypatch):
    import sk_genre.features._validation as validation  # load_clip decodes through its load_audio

    paths = [write_audio(tmp_path / f"c{i}.wav", music_like(0.5, seed=i)) for i in range(3)]
    decoded = []
    real_load_audio = validation.load_audio

    def counting_load_audio(path, **kwargs):
        decoded.append(str(path))
        return real_load_audio(path, **kwargs)

    monkeypatch.setattr(validation, "load_audio", counting_load_audio)
    MFCCTransformer().fit_transform(paths)
    assert sorted(decoded) == sorted(str(p) for p in paths)


def test_clips_of_any_length():
    clips = [music_like(0.05), music_like(2.0), music_like(0.5)]  # the first is < n_fft
    X = MFCCTransformer().fit_transform(clips)
    assert X.shape == (3, 40) and np.isfinite(X).all()
    assert not np.allclose(X[0], X[1])


def test_parallel_equals_serial():
    X = np.stack([music_like(1.0, seed=s) for s in range(4)])
    serial = MFCCTransformer(n_jobs=1).fit_transform(X)
    # bit-identical by design: each clip goes through the same code, one at a time, BLAS
    # pinned to 1 thread (features/_base.py) in the main process and in every worker
    np.testing.assert_array_equal(MFCCTransformer(n_jobs=2).fit_transform(X), serial)


def test_stateless_transform_needs_no_fit():
    X = np.stack([music_like(0.5), music_like(0.5, seed=1)])
    np.testing.assert_array_equal(
        MFCCTransformer().transform(X), MFCCTransformer().fit_transform(X)
    )
    check_is_fitted(MFCCTransformer())  # does not raise: nothing to learn
    with pytest.raises(ValueError, match="n_mfcc must be <= n_mels"):
        MFCCTransformer(n_mfcc=40, n_mels=20).transform(X)  # parameters still validated


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"n_mfcc": 40, "n_mels": 20}, "n_mfcc must be <= n_mels"),
        ({"stats": ("mean", "mode")}, "stats must be"),
        ({"fmax": 20000}, "fmax must be <= sr / 2"),
        ({"n_fft": 0}, "n_fft"),
    ],
)
def test_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        MFCCTransformer(**params).fit(np.zeros((1, 4096)))


def test_bad_file_is_named(tmp_path):
    good = write_audio(tmp_path / "good.wav", music_like(0.5))
    bad = tmp_path / "bad.ogg"
    bad.write_text("definitely not vorbis")
    t = MFCCTransformer().fit([good])
    with pytest.raises(AudioDecodeError, match="bad.ogg"):
        t.transform([good, bad])


def test_pandas_output():
    pytest.importorskip("pandas")
    t = MFCCTransformer(n_mfcc=4).set_output(transform="pandas")
    df = t.fit_transform(np.stack([music_like(0.5), music_like(0.5, seed=1)]))
    assert list(df.columns) == t.get_feature_names_out().tolist()
    assert df.shape == (2, 8)


@pytest.mark.real_data
def test_reproduces_gtzan_table_mfccs(gtzan_mini):
    """Default MFCCs of the real OGGs match the published GTZAN table (computed from WAVs)."""
    from sk_genre.datasets import load_gtzan_features

    table = load_gtzan_features()
    row_of = {t: i for i, t in enumerate(table.track_ids)}
    paths = gtzan_mini.paths[::6]
    rows = [row_of[Path(p).stem] for p in paths]
    names = [f"mfcc{k}_{stat}" for k in range(1, 21) for stat in ("mean", "var")]
    columns = [table.feature_names.index(name) for name in names]
    ours = MFCCTransformer(stats=("mean", "var")).fit_transform(paths)
    theirs = table.data[np.ix_(rows, columns)]
    rel = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1.0)
    assert np.median(rel) < 0.02, np.median(rel)
    assert np.median(rel[:, 0::2]) < 0.02  # means
