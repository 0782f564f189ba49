"""One ``groups`` array for the CV splitter and the networks' early-stopping hold-out.

With scikit-learn's metadata routing on, ``set_fit_request(groups=True)`` on the
network and ``params={"groups": g}`` (or ``GridSearchCV.fit(..., groups=g)``)
send the same array to a grouped splitter and to the network's ``fit``, which
holds out whole groups to choose the epoch. Without routing, ``model__groups``
does the second job. Each test records the groups the real hold-out was drawn
over (the network's own ``_holdout``, called by its ``fit``) and checks them
against the rows of each fold.
"""

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    StratifiedGroupKFold,
    cross_val_score,
)

from sk_genre import MelChunker, make_pipeline
from sk_genre.models import CNNClassifier, DenseClassifier

from .conftest import music_like

N_GROUPS, ROWS_PER_GROUP = 30, 4  # 30 "artists" of 4 tracks, three genres


class HoldoutRecorder:
    """Mixin: records each early-stopping hold-out, as drawn by the network's ``fit``."""

    draws = []  # (groups of the rows, train indices, hold-out indices), one per fit

    def _holdout(self, y, groups=None):
        train, val = super()._holdout(y, groups)
        HoldoutRecorder.draws.append((np.asarray(groups), train, val))
        return train, val


class RecordingDense(HoldoutRecorder, DenseClassifier):
    pass


class RecordingCNN(HoldoutRecorder, CNNClassifier):
    pass


@pytest.fixture(autouse=True)
def _fresh_draws():
    HoldoutRecorder.draws = []
    yield
    HoldoutRecorder.draws = []


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    groups = np.repeat(np.array([f"artist{k:02d}" for k in range(N_GROUPS)]), ROWS_PER_GROUP)
    genre = np.arange(N_GROUPS).repeat(ROWS_PER_GROUP) % 3
    y = np.array(["jazz", "rock", "pop"], dtype=object)[genre]
    X = rng.normal(size=(len(y), 6))
    X[:, 0] += 2.0 * genre
    return X, y, groups


def _network(**params):
    return RecordingDense(
        hidden_layer_sizes=(8,),
        epochs=2,
        validation_fraction=0.2,
        early_stopping=True,
        random_state=0,
        **params,
    )


def _assert_whole_groups_held_out(draw, expected_groups):
    """The hold-out drew over exactly ``expected_groups`` and kept every group on one side."""
    groups, train, val = draw
    np.testing.assert_array_equal(groups, expected_groups)
    assert len(val) and len(train)
    assert set(groups[val]).isdisjoint(groups[train])


def test_routed_groups_reach_the_splitter_and_the_holdout(data):
    X, y, groups = data
    cv = GroupKFold(3)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(features=None, model=_network().set_fit_request(groups=True))
        scores = cross_val_score(pipe, X, y, cv=cv, params={"groups": groups})
        folds = list(cv.split(X, y, groups))
    assert scores.shape == (3,)
    assert len(HoldoutRecorder.draws) == 3
    for (train, test), draw in zip(folds, HoldoutRecorder.draws, strict=True):
        assert set(groups[train]).isdisjoint(groups[test])  # the splitter got the groups
        _assert_whole_groups_held_out(draw, groups[train])  # and so did the network


def test_routed_groups_in_a_grid_search(data):
    X, y, groups = data
    cv = StratifiedGroupKFold(2)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(features=None, model=_network().set_fit_request(groups=True))
        search = GridSearchCV(pipe, {"model__dropout": [0.0, 0.5]}, cv=cv)
        search.fit(X, y, groups=groups)
        folds = list(cv.split(X, y, groups))
    assert search.best_params_["model__dropout"] in (0.0, 0.5)
    draws = HoldoutRecorder.draws
    assert len(draws) == 2 * 2 + 1  # 2 candidates x 2 folds, then the refit on all rows
    for draw, (train, _) in zip(draws[:4], folds * 2, strict=True):  # candidate by candidate
        _assert_whole_groups_held_out(draw, groups[train])
    _assert_whole_groups_held_out(draws[4], groups)


def test_routing_refuses_groups_the_network_did_not_request(data):
    """Routing on, no ``set_fit_request``: scikit-learn says so instead of ignoring them."""
    X, y, groups = data
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(features=None, model=_network())
        with pytest.raises(UnsetMetadataPassedError, match="groups.*set_fit_request"):
            cross_val_score(
                pipe, X, y, cv=GroupKFold(3), params={"groups": groups}, error_score="raise"
            )
        with pytest.raises(TypeError, match="model__groups"):  # why the routed form is needed
            pipe.fit(X, y, model__groups=groups)
    assert not HoldoutRecorder.draws


def test_model__groups_without_routing(data):
    X, y, groups = data
    assert not sklearn.get_config()["enable_metadata_routing"]
    pipe = make_pipeline(features=None, model=_network())
    cv = StratifiedGroupKFold(2)
    cross_val_score(pipe, X, y, groups=groups, cv=cv, params={"model__groups": groups})
    folds = list(cv.split(X, y, groups))
    assert len(HoldoutRecorder.draws) == 2
    for (train, _), draw in zip(folds, HoldoutRecorder.draws, strict=True):
        _assert_whole_groups_held_out(draw, groups[train])


@pytest.mark.slow  # about 20 s on 2 cores: mel chunks of 24 clips, a small CNN per fold
def test_routed_groups_reach_the_cnn_holdout():
    """The CNN's hold-out takes whole groups of tracks (each track's chunks repeat its group)."""
    n_tracks = 24
    clips = np.stack([music_like(seconds=2.0, seed=k) for k in range(n_tracks)])
    clips[1::2] = 0.5 * np.roll(clips[1::2], 50, axis=1)
    y = np.array(["jazz", "rock"] * (n_tracks // 2), dtype=object)
    groups = np.arange(n_tracks) // 4 * 2 + np.arange(n_tracks) % 2  # 2 tracks, 1 genre each
    chunker = MelChunker(
        n_mels=16, chunk_duration=1.0, chunk_hop=0.5, track_duration=2.0, verbose=0
    )
    cnn = RecordingCNN(
        filters=(4,),
        dense_units=(8,),
        epochs=1,
        validation_fraction=0.25,
        early_stopping=True,
        random_state=0,
    )
    cv = StratifiedGroupKFold(2)
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = make_pipeline(features=chunker, model=cnn.set_fit_request(groups=True))
        cross_val_score(pipe, clips, y, cv=cv, params={"groups": groups})
        folds = list(cv.split(clips, y, groups))
    n_chunks = chunker.transform(clips[:1]).shape[1]
    assert n_chunks == 3 and len(HoldoutRecorder.draws) == 2
    for (train, _), draw in zip(folds, HoldoutRecorder.draws, strict=True):
        assert set(y[train]) == {"jazz", "rock"}
        _assert_whole_groups_held_out(draw, np.repeat(groups[train], n_chunks))
