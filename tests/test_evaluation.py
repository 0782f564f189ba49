"""Honest evaluation: fault-filtered and track-grouped splitters, track-level reports."""

import warnings

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_genre.datasets import (
    fault_filtered_split,
    gtzan_track_id,
    load_audio_folder,
    load_gtzan_features,
)
from sk_genre.evaluation import (
    FaultFilteredSplit,
    GenreEvaluation,
    TrackGroupKFold,
    evaluate,
    evaluate_predictions,
)


@pytest.fixture(scope="module")
def gtzan():
    return load_gtzan_features()


def _logreg():
    return sk_make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


@pytest.mark.parametrize(
    ("name", "track"),
    [
        ("blues.00012", "blues.00012"),
        ("blues.00012.wav", "blues.00012"),
        ("data/blues/blues.00012.ogg", "blues.00012"),
        ("blues.00012.3.wav", "blues.00012"),  # Kaggle 3-s segment
        ("pieces/blues/blues.00012.004.wav", "blues.00012"),  # sk-genre segment piece
    ],
)
def test_gtzan_track_id(name, track):
    assert gtzan_track_id(name) == track


def test_gtzan_track_id_rejects_other_names():
    with pytest.raises(ValueError, match="GTZAN track id.*'song.wav'"):
        gtzan_track_id("song.wav")


def test_fault_filtered_split_is_the_published_one(gtzan):
    train, test = next(FaultFilteredSplit().split(gtzan.data))
    assert (len(train), len(test)) == (443, 197)
    assert set(gtzan.track_ids[train]) == set(gtzan.track_ids[gtzan.split == "train"])
    assert set(gtzan.track_ids[test]) == set(gtzan.track_ids[gtzan.split == "valid"])
    assert FaultFilteredSplit().get_n_splits() == 1


def test_fault_filtered_split_reproduces_the_reference_score(gtzan):
    """Logistic regression, train -> valid: 0.421, the figure the split is known for."""
    scores = cross_val_score(_logreg(), gtzan.data, gtzan.target, cv=FaultFilteredSplit())
    assert scores.shape == (1,) and scores[0] == pytest.approx(0.421, abs=0.01)
    random_folds = StratifiedKFold(5, shuffle=True, random_state=0)
    leaky = cross_val_score(_logreg(), gtzan.data, gtzan.target, cv=random_folds).mean()
    assert leaky > scores[0] + 0.15  # random folds share artists: far higher


def test_fault_filtered_split_keeps_segments_of_a_track_together(gtzan):
    # ten "segments" per track, named like the Kaggle 3-s table, in shuffled order
    ids = np.repeat(gtzan.track_ids[:300], 10)
    segment = np.tile(np.arange(10), 300)
    names = np.array([f"{t}.{k}.wav" for t, k in zip(ids, segment, strict=True)])
    order = np.random.default_rng(0).permutation(len(names))
    names = names[order]
    with pytest.warns(UserWarning, match="cover 139 of the fault-filtered split's 443 train"):
        train, test = next(FaultFilteredSplit(track_ids=names).split(np.zeros((len(names), 2))))
    tracks_train = {gtzan_track_id(n) for n in names[train]}
    tracks_test = {gtzan_track_id(n) for n in names[test]}
    assert tracks_train and tracks_test and tracks_train.isdisjoint(tracks_test)
    assert len(train) % 10 == 0 and len(test) % 10 == 0  # all ten segments on one side
    # groups= works as well, and rows outside the split are left out of both sides
    with pytest.warns(UserWarning, match="cover 139 "):
        g_train, g_test = next(FaultFilteredSplit().split(names, groups=names))
    np.testing.assert_array_equal(g_train, train)
    assert len(train) + len(test) < len(names)


def test_fault_filtered_split_in_a_grid_search(gtzan):
    search = GridSearchCV(
        _logreg(), {"logisticregression__C": [0.01, 1.0]}, cv=FaultFilteredSplit()
    )
    search.fit(gtzan.data, gtzan.target)
    assert search.best_params_["logisticregression__C"] in (0.01, 1.0)


def test_fault_filtered_split_errors():
    with pytest.raises(ValueError, match="must know the GTZAN track of each row"):
        next(FaultFilteredSplit().split(np.zeros((10, 3))))
    with pytest.raises(ValueError, match="rows on both sides"):
        next(FaultFilteredSplit(track_ids=["blues.00012"] * 4).split(np.zeros((4, 3))))
    with pytest.raises(ValueError, match="track of each of the 3 rows"):
        next(FaultFilteredSplit(track_ids=["blues.00012"]).split(np.zeros((3, 3))))


def test_fault_filtered_split_needs_the_bundled_table_or_track_ids(gtzan):
    """Only the bundled table's own values stand for its row order, not any 1000 rows."""
    rng = np.random.default_rng(0)
    shuffled = gtzan.data[rng.permutation(1000)]  # the table's rows in another order
    for X in (rng.normal(size=(1000, 57)), np.zeros((1000, 5)), shuffled, gtzan.data[:, :20]):
        with pytest.raises(ValueError, match=r"must know the GTZAN track of each row.*\(1000, "):
            next(FaultFilteredSplit().split(X, gtzan.target))
    # the bundled table itself (float64, float32 copy, DataFrame) and track ids do work
    frame = load_gtzan_features(as_frame=True).data
    expected = np.flatnonzero(gtzan.split == "train")
    for X in (gtzan.data, gtzan.data.astype(np.float32), frame):
        train, test = next(FaultFilteredSplit().split(X, gtzan.target))
        np.testing.assert_array_equal(train, expected)
        assert len(test) == 197
    for cv, groups in ((FaultFilteredSplit(track_ids=gtzan.track_ids), None),
                       (FaultFilteredSplit(), gtzan.track_ids)):  # fmt: skip
        train, test = next(cv.split(shuffled, gtzan.target, groups))
        np.testing.assert_array_equal(train, expected)


def test_fault_filtered_split_of_the_whole_table_does_not_warn(gtzan):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        next(FaultFilteredSplit().split(gtzan.data, gtzan.target))
        next(FaultFilteredSplit().split(gtzan.data[::-1], groups=gtzan.track_ids[::-1]))


@pytest.mark.real_data
def test_fault_filtered_split_of_real_audio_paths(gtzan_mini):
    split = fault_filtered_split(gtzan_mini.paths)
    listed = np.isin(gtzan_mini.ff_split, ["train", "valid"])
    expected = np.where(listed, gtzan_mini.ff_split, "other")
    np.testing.assert_array_equal(split, expected)  # agrees with the manifest's ff_split
    # gtzan-mini holds 21 + 25 of the 443 + 197 tracks, none of them disco or classical on
    # the training side: the split runs, and says how little it rests on
    warning = r"cover 21 of .* 443 training tracks and 25 of its 197 .*genre classical, disco:"
    with pytest.warns(UserWarning, match=warning):
        train, test = next(FaultFilteredSplit().split(gtzan_mini.paths, gtzan_mini.target))
    assert set(train) == set(np.flatnonzero(split == "train"))
    assert not {"classical", "disco"} & set(gtzan_mini.target[train])
    assert {"classical", "disco"} <= set(gtzan_mini.target[test])


def test_track_group_kfold_never_splits_a_song():
    rng = np.random.default_rng(0)
    songs = np.repeat(np.arange(30), rng.integers(1, 6, size=30))
    y = np.array(["jazz", "rock", "pop"])[songs % 3]
    folds = list(TrackGroupKFold(n_splits=5, shuffle=True, random_state=0).split(y, y, songs))
    assert len(folds) == 5
    for train, test in folds:
        assert set(songs[train]).isdisjoint(songs[test])
        assert set(y[test]) == {"jazz", "rock", "pop"}  # stratified by genre
    assert sorted(np.concatenate([test for _, test in folds])) == list(range(len(y)))


def test_track_group_kfold_refuses_to_run_without_groups():
    y = np.array(["jazz", "rock"] * 10)
    with pytest.raises(ValueError, match="groups must give the track or song"):
        next(TrackGroupKFold(3).split(y, y))
    with pytest.raises(ValueError, match="at least n_splits=3 tracks; got 2"):
        next(TrackGroupKFold(3).split(y, y, np.arange(20) % 2))


def test_evaluate_reports_per_track(gtzan):
    train, valid = gtzan.split == "train", gtzan.split == "valid"
    model = _logreg().fit(gtzan.data[train], gtzan.target[train])
    result = evaluate(model, gtzan.data[valid], gtzan.target[valid])
    assert isinstance(result, GenreEvaluation)
    assert result.accuracy == pytest.approx(model.score(gtzan.data[valid], gtzan.target[valid]))
    assert result.labels.tolist() == gtzan.target_names
    assert result.confusion_matrix.shape == (10, 10) and result.confusion_matrix.sum() == 197
    np.testing.assert_array_equal(
        result.confusion_matrix.sum(axis=1),
        [np.sum(gtzan.target[valid] == g) for g in gtzan.target_names],
    )
    np.testing.assert_allclose(
        result.genre_accuracy,
        [result.report_dict[g]["recall"] for g in gtzan.target_names],
    )
    assert result.history is None
    text = str(result)
    assert "accuracy 0.42" in text and "classical" in text and "confusion matrix" in text


def test_evaluate_predictions_labels_and_errors():
    result = evaluate_predictions(
        ["jazz", "jazz", "rock"], ["jazz", "rock", "rock"], labels=["jazz", "rock", "pop"]
    )
    assert result.accuracy == pytest.approx(2 / 3)
    np.testing.assert_array_equal(result.genre_accuracy[:2], [0.5, 1.0])
    assert np.isnan(result.genre_accuracy[2])  # no pop track
    with pytest.raises(ValueError, match="same length"):
        evaluate_predictions(["jazz"], ["jazz", "rock"])


@pytest.mark.real_data
def test_segment_groups_keep_songs_together_in_grouped_cv(gtzan_mini, tmp_path):
    """Pieces cut from one song share a group: TrackGroupKFold keeps them in one fold."""
    from sk_genre.datasets import segment_audio_folder

    segment_audio_folder(gtzan_mini.root, tmp_path, segment_duration=10.0)
    pieces = load_audio_folder(tmp_path)
    assert len(pieces.paths) > 150
    for train, test in TrackGroupKFold(3).split(pieces.paths, pieces.target, pieces.groups):
        train_songs = {gtzan_track_id(p) for p in np.asarray(pieces.paths)[train]}
        test_songs = {gtzan_track_id(p) for p in np.asarray(pieces.paths)[test]}
        assert train_songs.isdisjoint(test_songs)
