"""Lossless batches: on_error="raise" | "skip" | "warn" in loading, extraction and pipelines.

With "skip" or "warn" the readable clips' results are kept, every failure is
reported by name (``errors_``, and a warning with "warn"), and the caller gets
``kept_indices_`` to align labels; make_pipeline's GenrePipeline aligns them itself.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

from sk_genre import AudioDecodeError, MelChunker, MFCCTransformer, make_pipeline
from sk_genre.cli import main
from sk_genre.datasets import load_audio_folder
from sk_genre.models import DenseClassifier

from .conftest import SR, music_like, write_audio

GENRES = ("jazz", "rock", "techno")


def genre_clip(genre, seed):
    """Short clips whose MFCCs separate the three genres."""
    y = music_like(1.0, seed=seed)
    if genre == "rock":
        y = np.clip(4 * y, -0.5, 0.5)
    elif genre == "techno":
        y = y * (np.arange(y.size) % (SR // 8) < SR // 32)
    return y.astype(np.float32)


@pytest.fixture
def batch(tmp_path):
    """Six readable files and three bad ones, interleaved; their labels."""
    paths, labels, bad = [], [], []
    for k in range(9):
        genre = GENRES[k % 3]
        path = tmp_path / f"{genre}.{k:05d}.wav"
        if k in (1, 4, 8):
            path.write_bytes(b"" if k == 1 else b"not audio")
            bad.append(k)
        else:
            write_audio(path, genre_clip(genre, k))
        paths.append(str(path))
        labels.append(genre)
    return paths, np.array(labels), bad


def test_raise_stops_at_the_first_bad_clip_in_input_order(batch):
    paths, _, bad = batch
    with pytest.raises(AudioDecodeError, match=re.escape(paths[bad[0]])):
        MFCCTransformer(verbose=0).fit_transform(paths)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_skip_keeps_the_good_rows_and_names_the_bad_ones(batch, n_jobs):
    paths, _, bad = batch
    mfcc = MFCCTransformer(verbose=0, on_error="skip", n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "skip" is quiet
        X = mfcc.fit_transform(paths)
    good = [i for i in range(len(paths)) if i not in bad]
    np.testing.assert_array_equal(mfcc.kept_indices_, good)
    assert sorted(mfcc.errors_) == bad
    assert all(mfcc.errors_[i].path == paths[i] for i in bad)
    # one row per clip: the good rows are exactly what the good files give on their own, the
    # bad rows are all NaN
    assert X.shape == (len(paths), 40)
    alone = MFCCTransformer(verbose=0).transform([paths[i] for i in good])
    np.testing.assert_array_equal(X[good], alone)
    assert np.isnan(X[bad]).all()


def test_warn_warns_once_naming_each_file_and_cause(batch):
    paths, _, bad = batch
    chunker = MelChunker(verbose=0, on_error="warn", track_duration=2.0, chunk_duration=1.0)
    with pytest.warns(UserWarning) as caught:
        X = chunker.fit_transform(paths)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert "could not read 3 of 9 clip(s) (on_error='warn'; their rows are NaN)" in message
    for i in bad:
        assert paths[i] in message
    assert "file is empty (0 bytes)" in message and "not a decodable audio file" in message
    assert X.shape[0] == 9 and np.isnan(X[bad]).all() and not np.isnan(np.delete(X, bad, 0)).any()


def test_arrays_are_named_by_position():
    X = [np.zeros(SR, np.float32), np.array([np.nan] * SR), music_like(1.0)]
    mfcc = MFCCTransformer(verbose=0, on_error="skip")
    Xt = mfcc.fit_transform(X)
    assert Xt.shape == (3, 40) and np.isnan(Xt[1]).all() and np.isfinite(Xt[[0, 2]]).all()
    assert list(mfcc.errors_) == [1] and "clip 1" in str(mfcc.errors_[1])


def test_all_clips_failing_is_an_error_even_when_skipping(batch):
    paths, _, bad = batch
    with pytest.raises(ValueError, match="at least one readable clip; all 3 failed"):
        MFCCTransformer(verbose=0, on_error="skip").fit_transform([paths[i] for i in bad])


def test_a_raising_call_clears_the_last_skip_report(batch):
    paths, _, bad = batch
    mfcc = MFCCTransformer(verbose=0, on_error="skip")
    mfcc.fit_transform(paths)
    mfcc.set_params(on_error="raise").transform([p for i, p in enumerate(paths) if i not in bad])
    assert not hasattr(mfcc, "kept_indices_") and not hasattr(mfcc, "errors_")


# --------------------------------------------------------------------------- loading


def _folder(tmp_path, n_per_genre=4, bad=()):
    for g, genre in enumerate(GENRES):
        (tmp_path / genre).mkdir(parents=True)
        for k in range(n_per_genre):
            path = tmp_path / genre / f"{genre}.{k:05d}.wav"
            if (genre, k) in bad:
                path.write_bytes(b"RIFF garbage" if k % 2 else b"")
            else:
                write_audio(path, genre_clip(genre, 10 * g + k))
    return tmp_path


@pytest.mark.parametrize("on_error", ["raise", "skip", "warn"])
def test_load_audio_folder_screens_files(tmp_path, on_error):
    root = _folder(tmp_path, bad={("rock", 1), ("techno", 2)})
    bad_paths = {str(root / "rock" / "rock.00001.wav"), str(root / "techno" / "techno.00002.wav")}
    if on_error == "raise":
        with pytest.raises(AudioDecodeError, match="rock.00001.wav"):
            load_audio_folder(root)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracks = load_audio_folder(root, on_error=on_error)
    assert set(tracks.errors) == bad_paths
    assert len(tracks.paths) == len(tracks.target) == len(tracks.groups) == 10
    assert not bad_paths & set(tracks.paths)
    assert all(p.split("/")[-2] == g for p, g in zip(tracks.paths, tracks.target, strict=True))
    messages = [str(w.message) for w in caught]
    if on_error == "warn":
        assert len(messages) == 1 and all(p in messages[0] for p in bad_paths)
    else:
        assert messages == []


# ------------------------------------------------------------------------- pipelines


def test_pipeline_aligns_labels_and_per_track_fit_params(batch):
    paths, y, bad = batch
    good = [i for i in range(len(paths)) if i not in bad]
    weights = np.arange(1.0, 10.0)
    pipe = make_pipeline(model=LogisticRegression(), verbose=0, on_error="skip")
    pipe.fit(paths, y, model__sample_weight=weights)  # 9 weights for 6 readable tracks
    reference = make_pipeline(model=LogisticRegression(), verbose=0).fit(
        [paths[i] for i in good], y[good], model__sample_weight=weights[good]
    )
    np.testing.assert_array_equal(pipe.kept_indices_, good)
    np.testing.assert_array_equal(
        pipe["model"].coef_, reference["model"].coef_
    )  # same data, same labels, same weights
    # one answer per track: the model's for readable ones, the weighted training prior of
    # the readable tracks' genres for the others (as DummyClassifier(strategy="prior"))
    proba = pipe.predict_proba(paths)
    assert proba.shape == (9, 3)
    np.testing.assert_array_equal(proba[good], reference.predict_proba([paths[i] for i in good]))
    prior = [weights[good][y[good] == g].sum() / weights[good].sum() for g in pipe.classes_]
    np.testing.assert_allclose(proba[bad], np.tile(prior, (3, 1)))
    predicted = pipe.predict(paths)
    assert list(predicted[bad]) == [pipe.classes_[np.argmax(prior)]] * 3
    # score is the accuracy of predict over every track: what a named scorer computes
    assert pipe.score(paths, y) == np.mean(predicted == y)
    assert sorted(pipe.errors_) == bad


def test_pipeline_with_raise_is_a_plain_pipeline(batch):
    paths, y, _ = batch
    with pytest.raises(AudioDecodeError):
        make_pipeline(model=LogisticRegression(), verbose=0).fit(paths, y)


def test_grid_search_over_20_files_with_3_corrupt_completes(tmp_path):
    """The acceptance case: a grid search over network parameters on 20 files, 3 corrupt."""
    paths, y = [], []
    corrupt = {3: b"", 11: b"not audio at all", 16: b"OggS" + bytes(500)}
    for k in range(20):
        genre = GENRES[k % 3] if k < 18 else GENRES[0]
        path = tmp_path / f"{genre}.{k:05d}.wav"
        if k in corrupt:
            path.write_bytes(corrupt[k])
        else:
            write_audio(path, genre_clip(genre, k))
        paths.append(str(path))
        y.append(genre)
    y = np.array(y)
    network = DenseClassifier(hidden_layer_sizes=(16,), epochs=20, random_state=0)
    pipe = make_pipeline(model=network, verbose=0, on_error="skip")
    search = GridSearchCV(
        pipe,
        {"model__dropout": [0.0, 0.5], "features__n_mfcc": [13, 20]},
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
        error_score="raise",
    )
    search.fit(paths, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_score_ > 0.5  # three separable genres
    reported = sorted(e.path for e in search.best_estimator_.errors_.values())
    assert reported == sorted(paths[k] for k in corrupt)
    # and cross_val_score with the default scoring, too
    scores = cross_val_score(pipe, paths, y, cv=3)
    assert np.isfinite(scores).all()


# ------------------------------------------------------------------------------ CLI


def test_cli_train_keeps_going_and_exits_non_zero(tmp_path, capsys):
    root = _folder(tmp_path / "data", bad={("jazz", 0), ("rock", 3)})
    model = tmp_path / "model.joblib"
    status = main(
        ["train", str(root), "-o", str(model), "--epochs", "2", "--random-state", "0", "--cv", "0"]
    )
    out, err = capsys.readouterr()
    assert status == 1 and model.is_file()
    for name in ("jazz.00000.wav", "rock.00003.wav"):
        assert sum(name in line and "\terror: " in line for line in err.splitlines()) == 1
    assert "2 of 12 file(s) could not be read" in err
    # the saved model reports bad files itself (on_error back to "raise"); with no readable
    # file nothing could be done: exit 2
    status = main(["predict", str(model), str(root / "jazz" / "jazz.00000.wav")])
    assert status == 2


def test_cli_evaluate_counts_unreadable_files(tmp_path, capsys):
    root = _folder(tmp_path / "data")
    model = tmp_path / "model.joblib"
    assert main(["train", str(root), "-o", str(model), "--epochs", "2", "--cv", "0"]) == 0
    (root / "rock" / "rock.00002.wav").write_bytes(b"")
    capsys.readouterr()
    status = main(["evaluate", str(model), str(root)])
    out, err = capsys.readouterr()
    assert status == 1
    assert "rock.00002.wav\terror: file is empty (0 bytes)" in err
    assert "11 tracks" in out
