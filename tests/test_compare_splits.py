"""compare_splits (random vs artist-aware, side by side) and the BlockedGenreKFold splitter."""

import re

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_genre import make_pipeline
from sk_genre.datasets import gtzan_track_id, load_gtzan_features
from sk_genre.evaluation import (
    BlockedGenreKFold,
    FaultFilteredSplit,
    SplitComparison,
    compare_splits,
)


@pytest.fixture(scope="module")
def gtzan():
    return load_gtzan_features()


@pytest.fixture(scope="module")
def train_rows(gtzan):
    """The fault-filtered split's 443 training tracks: X, y, track ids."""
    rows = gtzan.split == "train"
    return gtzan.data[rows], gtzan.target[rows], gtzan.track_ids[rows]


def logreg():
    return sk_make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def knn(n_neighbors=5):
    return sk_make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors))


def number(track_id):
    return int(track_id.rsplit(".", 1)[1])


# ------------------------------------------------------------------ BlockedGenreKFold


@pytest.mark.parametrize("n_splits", [2, 3, 5])
def test_blocked_folds_partition_rows_and_never_share_a_track(train_rows, n_splits):
    X, y, ids = train_rows
    cv = BlockedGenreKFold(n_splits)
    folds = list(cv.split(X, y, groups=ids))
    assert len(folds) == cv.get_n_splits() == n_splits
    tested = np.concatenate([test for _, test in folds])
    assert np.array_equal(np.sort(tested), np.arange(len(y)))  # every row tested exactly once
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(y)))
        assert not set(ids[train]) & set(ids[test])
        # every genre is on both sides, in (nearly) equal blocks: a fifth of each genre
        for genre in np.unique(y):
            n_genre, n_test = np.sum(y == genre), np.sum(y[test] == genre)
            assert n_genre // n_splits <= n_test <= -(-n_genre // n_splits)


def test_blocked_folds_are_contiguous_gtzan_numbers_within_each_genre(train_rows):
    X, y, ids = train_rows
    folds = list(BlockedGenreKFold(5).split(X, y, groups=ids))
    for genre in np.unique(y):
        spans = [[number(t) for t in ids[test][y[test] == genre]] for _, test in folds]
        for earlier, later in zip(spans, spans[1:], strict=False):
            assert max(earlier) < min(later), genre  # fold k holds the k-th block in order
    # blues.00000-00011 are one artist (John Lee Hooker); the split's training part holds
    # blues from 00029 on, and its first block is one run of consecutive training numbers
    blues = sorted(number(t) for t in ids[folds[0][1]][y[folds[0][1]] == "blues"])
    listed = sorted(number(t) for t in ids[y == "blues"])
    assert blues == listed[: len(blues)]


def test_blocked_folds_keep_the_segments_of_a_track_together(train_rows):
    X, y, ids = train_rows
    # three 10-s segments per track, named as `sk-genre segment` names them
    seg_ids = np.array(
        [f"{g}/{t}.{k:03d}.wav" for t, g in zip(ids, y, strict=True) for k in range(3)]
    )
    seg_X, seg_y = np.repeat(X, 3, axis=0), np.repeat(y, 3)
    track_of = np.array([gtzan_track_id(s) for s in seg_ids])
    by_track = list(BlockedGenreKFold(4).split(X, y, groups=ids))
    by_segment = list(BlockedGenreKFold(4).split(seg_X, seg_y, groups=seg_ids))
    for (_, test), (seg_train, seg_test) in zip(by_track, by_segment, strict=True):
        assert not set(track_of[seg_train]) & set(track_of[seg_test])
        assert set(track_of[seg_test]) == set(ids[test])  # the same tracks as one row each


def test_blocked_folds_of_the_bundled_table_need_no_groups(gtzan):
    given = list(BlockedGenreKFold(5).split(gtzan.data, gtzan.target, groups=gtzan.track_ids))
    found = list(BlockedGenreKFold(5).split(gtzan.data, gtzan.target))
    for (a_train, a_test), (b_train, b_test) in zip(given, found, strict=True):
        assert np.array_equal(a_train, b_train) and np.array_equal(a_test, b_test)
    with pytest.raises(ValueError, match="BlockedGenreKFold must know the GTZAN track"):
        next(BlockedGenreKFold(5).split(gtzan.data[:500], gtzan.target[:500]))


def test_blocked_folds_in_cross_val_score_and_grid_search(train_rows):
    X, y, ids = train_rows
    cv = BlockedGenreKFold(5)
    scores = cross_val_score(knn(), X, y, groups=ids, cv=cv)
    by_hand = [
        knn().fit(X[train], y[train]).score(X[test], y[test])
        for train, test in cv.split(X, y, groups=ids)
    ]
    np.testing.assert_allclose(scores, by_hand)
    assert 0.3 < scores.mean() < 0.9  # chance is 0.1
    grid = GridSearchCV(knn(), {"kneighborsclassifier__n_neighbors": [1, 15]}, cv=cv)
    grid.fit(X, y, groups=ids)
    assert grid.n_splits_ == 5
    manual = [cross_val_score(knn(n), X, y, groups=ids, cv=cv).mean() for n in (1, 15)]
    np.testing.assert_allclose(grid.cv_results_["mean_test_score"], manual)
    # the blocked folds score lower than random folds of the same tracks: fewer artists leak
    random_cv = StratifiedKFold(5, shuffle=True, random_state=0)
    assert cross_val_score(knn(), X, y, cv=random_cv).mean() > scores.mean()


@pytest.mark.real_data
def test_blocked_folds_of_gtzan_mini_paths(gtzan_mini):
    paths, y = np.array(gtzan_mini.paths), gtzan_mini.target
    folds = list(BlockedGenreKFold(3).split(paths, y))  # track ids from the file names
    assert sorted(np.concatenate([t for _, t in folds])) == list(range(len(paths)))
    for train, test in folds:
        assert not set(gtzan_mini.stems[train]) & set(gtzan_mini.stems[test])
        assert set(y[test]) == set(y)  # 3 to 9 tracks per genre: each genre in each fold


def test_blocked_folds_errors(train_rows):
    X, y, ids = train_rows
    for bad in (1, 0, 2.5, True, "5"):
        with pytest.raises(ValueError, match="n_splits must be an integer of at least 2"):
            BlockedGenreKFold(bad)
    with pytest.raises(ValueError, match="y must give the genre of each row"):
        next(BlockedGenreKFold(5).split(X, None, groups=ids))
    with pytest.raises(ValueError, match=r"at least n_splits=60 tracks; got \d+ \(blues\)"):
        next(BlockedGenreKFold(60).split(X, y, groups=ids))
    relabelled = y.copy()
    relabelled[0] = "jazz" if y[0] != "jazz" else "rock"
    seg_ids = np.concatenate([ids, ids[:1]])
    with pytest.raises(ValueError, match=f"same genre; got several for {ids[0]}"):
        next(
            BlockedGenreKFold(5).split(
                np.vstack([X, X[:1]]), np.concatenate([y, relabelled[:1]]), groups=seg_ids
            )
        )
    with pytest.raises(ValueError, match="GTZAN track id"):
        next(BlockedGenreKFold(5).split(X, y, groups=np.arange(len(y))))


# ---------------------------------------------------------------------- compare_splits


def test_compare_splits_equals_cross_val_score_by_hand(gtzan):
    X, y = gtzan.data, gtzan.target
    result = compare_splits(logreg(), X, y, groups=gtzan.track_ids)
    assert isinstance(result, SplitComparison) and result.names == ["random", "artist"]
    random_cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    by_hand = {
        "random": cross_val_score(logreg(), X, y, cv=random_cv),
        "artist": cross_val_score(logreg(), X, y, groups=gtzan.track_ids, cv=FaultFilteredSplit()),
    }
    for name, scores in by_hand.items():
        assert result.scores[name].shape == (1, len(scores))
        np.testing.assert_array_equal(result.scores[name][0], scores)
        assert result.mean(name) == pytest.approx(scores.mean())
        assert result.std(name) == pytest.approx(scores.std())
    assert result.seeds == {"random": [None], "artist": [None]}
    np.testing.assert_array_equal(result.n_train("random"), [800] * 5)
    np.testing.assert_array_equal(result.n_test("artist"), [197])
    # the honest number is far below the leaky one (measured 0.717 against 0.421)
    assert result.mean("random") > result.mean("artist") + 0.2


def test_compare_splits_seeds_per_split_equal_seeded_cross_val_score(gtzan):
    X, y, ids = gtzan.data, gtzan.target, gtzan.track_ids
    forest = sk_make_pipeline(StandardScaler(), RandomForestClassifier(n_estimators=15, n_jobs=1))
    random_cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=1)
    result = compare_splits(
        forest,
        X,
        y,
        splits={"random": random_cv, "artist": FaultFilteredSplit()},
        groups=ids,
        seeds={"random": 7, "artist": [0, 1, 2]},
        n_jobs=2,
    )
    assert result.seeds == {"random": [7], "artist": [0, 1, 2]}
    assert result.scores["random"].shape == (1, 3) and result.scores["artist"].shape == (3, 1)
    seeded = {s: clone(forest).set_params(randomforestclassifier__random_state=s) for s in range(8)}
    np.testing.assert_array_equal(
        result.scores["random"][0], cross_val_score(seeded[7], X, y, cv=random_cv)
    )
    for row, seed in enumerate([0, 1, 2]):
        (valid,) = cross_val_score(seeded[seed], X, y, groups=ids, cv=FaultFilteredSplit())
        assert result.scores["artist"][row, 0] == valid
    assert len(set(result.scores["artist"][:, 0])) > 1  # the seeds do change the forest
    assert result.std("artist") == pytest.approx(np.std(result.scores["artist"]))


@pytest.mark.slow  # 24 s on 2 busy cores, mostly Keras/JAX start-up; test_cli's demo also covers it
def test_compare_splits_seeds_a_sk_genre_network(gtzan):
    """The seed reaches ``model__random_state`` of make_pipeline's network."""
    X, y, ids = gtzan.data, gtzan.target, gtzan.track_ids
    pipe = make_pipeline(features=None, model="dnn", random_state=0, verbose=0)
    pipe.set_params(model__epochs=2, model__early_stopping=False)  # a few seconds per fit
    result = compare_splits(
        pipe,
        X,
        y,
        splits={"artist": FaultFilteredSplit()},
        groups=ids,
        seeds=[3],
        return_estimator=True,
    )
    by_hand = clone(pipe).set_params(model__random_state=3)
    (valid,) = cross_val_score(by_hand, X, y, groups=ids, cv=FaultFilteredSplit())
    assert result.scores["artist"][0, 0] == valid  # the same network, bit for bit
    fitted = result.estimators["artist"][0][0]
    assert fitted.named_steps["model"].random_state == 3
    ((_, test),) = result.indices["artist"]
    assert fitted.score(X[test], y[test]) == valid
    assert pipe.named_steps["model"].random_state == 0  # the given estimator is untouched


def test_compare_splits_repr_and_frame(gtzan):
    result = compare_splits(
        logreg(),
        gtzan.data,
        gtzan.target,
        splits={"random 3-fold": 3, "artist-aware": FaultFilteredSplit()},
        seeds={"artist-aware": [0, 1]},
    )
    text = repr(result)
    assert text.startswith("SplitComparison(scoring='accuracy')\n")
    lines = text.splitlines()
    assert re.match(r"split\s+train\s+test\s+folds\s+seeds\s+score, mean ± std$", lines[1])
    mean, std = result.mean("random 3-fold"), result.std("random 3-fold")
    assert re.match(
        rf"random 3-fold\s+666-667\s+333-334\s+3\s+as given\s+{mean:.3f} ± {std:.3f}$", lines[2]
    )
    assert re.match(r"artist-aware\s+443\s+197\s+1\s+0, 1\s+0\.\d{3} ± 0\.000$", lines[3])
    assert str(result) == text
    frame = result.to_frame()
    assert list(frame.index) == ["random 3-fold", "artist-aware"]
    assert frame.loc["artist-aware", "n_seeds"] == 2 and frame.loc["random 3-fold", "n_folds"] == 3
    assert frame.loc["random 3-fold", "mean"] == pytest.approx(mean)


def test_compare_splits_errors(gtzan):
    X, y = gtzan.data, gtzan.target
    with pytest.raises(ValueError, match="splits must be a non-empty dict"):
        compare_splits(logreg(), X, y, splits={})
    with pytest.raises(ValueError, match="splits must be a non-empty dict"):
        compare_splits(logreg(), X, y, splits=[StratifiedKFold(3)])
    with pytest.raises(ValueError, match=r"seeds must name splits of \['random', 'artist'\]"):
        compare_splits(logreg(), X, y, seeds={"artists": [0]})
    for bad in ([], [0, 0], [0.5], "0"):
        with pytest.raises(ValueError, match="seeds must be None, an int or a non-empty"):
            compare_splits(logreg(), X, y, seeds=bad)
    with pytest.raises(ValueError, match="scoring must be one scorer"):
        compare_splits(logreg(), X, y, scoring=["accuracy", "f1_macro"])
    with pytest.raises(ValueError, match="estimator must have a random_state parameter"):
        compare_splits(sk_make_pipeline(StandardScaler()), X, y, seeds=[0])
    # a subset of the table: FaultFilteredSplit cannot tell the tracks without groups
    with pytest.raises(ValueError, match="FaultFilteredSplit must know the GTZAN track"):
        compare_splits(logreg(), X[:900], y[:900])
