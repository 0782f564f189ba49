"""CNNClassifier: chunk training, track-level voting, no chunk leakage across splits."""

import hashlib

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.model_selection import GridSearchCV, GroupKFold, cross_val_score

from sk_genre import MelChunker, make_pipeline
from sk_genre.models import CNN_PRESETS, CNNClassifier, build_cnn
from sk_genre.models._classifiers import _Core

TINY = dict(filters=(4,), dense_units=(8,), dropout=0.0, epochs=2, batch_size=16)


@pytest.fixture(scope="module")
def chunks():
    """Two separable 'genres' of 3-chunk tracks: jazz chunks are brighter than rock ones."""
    rng = np.random.default_rng(0)
    X = rng.normal(-40, 5, size=(24, 3, 16, 12)).astype(np.float32)
    y = np.array(["jazz", "rock"] * 12)
    X[y == "jazz", :, :8] += 20.0
    return X, y


class RecordingCore(_Core):
    """The scikeras core, recording the chunks each Keras fit trains and validates on."""

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        super()._fit_keras_model(X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs)
        # the hold-out split is drawn again with the same seed: it is what Keras saw
        record = {"all": {_digest(c) for c in X}}
        if self.early_stopping:
            train, val = self._owner._holdout(y, self._row_groups)
            record["train"] = {_digest(c) for c in X[train]}
            record["val"] = {_digest(c) for c in X[val]}
        type(self._owner).seen.append(record)


class RecordingCNN(CNNClassifier):
    """A CNNClassifier whose scikeras core records what Keras saw."""

    seen = []  # one dict per fit, in order: {"train": hashes, "val": hashes}
    _core_class = RecordingCore


def _digest(chunk):
    return hashlib.blake2b(np.ascontiguousarray(chunk, dtype=np.float32).tobytes()).hexdigest()


def test_is_a_classifier_with_flat_params():
    clf = CNNClassifier(filters=(8, 16), random_state=1)
    assert is_classifier(clf)
    params = clf.get_params()
    for name in (
        "filters",
        "kernel_size",
        "pool_size",
        "dropout",
        "dense_units",
        "batch_norm",
        "epochs",
        "batch_size",
        "learning_rate",
        "early_stopping",
        "random_state",
    ):
        assert name in params
    assert params["epochs"] == 30
    twin = clone(clf).set_params(dropout=0.1)
    assert twin.filters == (8, 16) and twin.dropout == 0.1 and clf.dropout == 0.3


def test_learns_and_votes_over_chunks(chunks):
    X, y = chunks
    clf = CNNClassifier(**{**TINY, "epochs": 15}, random_state=0).fit(X, y)
    assert clf.n_chunks_ == 3 and clf.classes_.tolist() == ["jazz", "rock"]
    assert clf.score(X, y) == 1.0
    proba = clf.predict_proba(X)
    assert proba.shape == (24, 2)
    # the documented rule: the mean of the chunk probabilities of each track
    per_chunk = clf.model_.predict(X.reshape(-1, 16, 12), verbose=0).reshape(24, 3, 2)
    np.testing.assert_allclose(proba, per_chunk.mean(axis=1), rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    # one chunk per track, or more chunks than in fit: still one row per track
    assert clf.predict_proba(X[:5, :1]).shape == (5, 2)
    assert clf.predict_proba(np.concatenate([X[:2], X[:2]], axis=1)).shape == (2, 2)
    assert len(clf.history_["loss"]) == 15


def test_same_seed_same_model(chunks):
    X, y = chunks
    first = CNNClassifier(**TINY, random_state=3).fit(X, y).predict_proba(X)
    second = CNNClassifier(**TINY, random_state=3).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)


def test_early_stopping_holds_out_whole_tracks(chunks):
    X, y = chunks
    RecordingCNN.seen = []
    RecordingCNN(**TINY, early_stopping=True, validation_fraction=0.25, random_state=0).fit(X, y)
    record = RecordingCNN.seen[-1]
    assert record["train"].isdisjoint(record["val"])
    # 6 of 24 tracks held out, with all 3 of their chunks
    assert len(record["val"]) == 6 * 3 and len(record["train"]) == 18 * 3


def test_early_stopping_holds_out_whole_songs_with_groups(chunks):
    X, y = chunks
    songs = np.arange(len(X)) // 2  # pairs of tracks (e.g. 30-s pieces of one song)
    y = y[songs * 2]  # a song's pieces share its genre
    RecordingCNN.seen = []
    clf = RecordingCNN(**TINY, early_stopping=True, validation_fraction=0.25, random_state=0)
    clf.fit(X, y, groups=songs)
    record = RecordingCNN.seen[-1]
    assert record["train"].isdisjoint(record["val"])
    # 3 of 12 songs held out: both of their tracks, all 3 chunks each
    assert len(record["val"]) == 3 * 2 * 3
    val_tracks = {i for i in range(len(X)) if _digest(X[i, 0]) in record["val"]}
    assert len(val_tracks) == 6
    assert all((i ^ 1) in val_tracks for i in val_tracks)
    with pytest.raises(ValueError, match="one entry per track"):
        CNNClassifier(**TINY).fit(X, y, groups=songs[:5])


@pytest.mark.parametrize(
    "X",
    [np.zeros((4, 16, 12)), np.zeros((4, 3, 16, 12, 1)), np.zeros((0, 3, 16, 12))],
    ids=["3-D", "5-D", "empty"],
)
def test_rejects_what_is_not_a_chunk_stack(X):
    with pytest.raises(ValueError, match=r"n_tracks, n_chunks, n_mels, n_frames"):
        CNNClassifier(**TINY).fit(X, ["rock"] * len(X))


def test_y_must_have_one_genre_per_track(chunks):
    X, y = chunks
    with pytest.raises(ValueError, match="one genre per track"):
        CNNClassifier(**TINY).fit(X, np.repeat(y, 3))


def test_predict_before_fit_raises(chunks):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        CNNClassifier(**TINY).predict(chunks[0])


def test_preset_builds_the_seed_cnn():
    import keras

    clf = CNNClassifier.from_preset("cnn", random_state=2)
    assert clf.filters == (16, 32, 64, 128) and clf.random_state == 2
    params = {k: v for k, v in CNN_PRESETS["cnn"].items() if k not in ("epochs", "batch_size")}
    model = build_cnn(input_shape=(128, 172), n_classes=10, **params)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.filters for layer in convs] == [16, 32, 64, 128]
    assert sum(isinstance(layer, keras.layers.MaxPooling2D) for layer in model.layers) == 4
    assert model.output_shape == (None, 10)
    with pytest.raises(ValueError, match="name must be one of"):
        CNNClassifier.from_preset("vgg")


def test_make_pipeline_mel_cnn():
    pipe = make_pipeline(features="mel", model="cnn", random_state=0)
    assert [name for name, _ in pipe.steps] == ["features", "model"]
    assert isinstance(pipe[0], MelChunker) and isinstance(pipe[-1], CNNClassifier)
    assert is_classifier(pipe)
    with pytest.raises(ValueError, match="features='mel'"):
        make_pipeline(features="mfcc", model="cnn")
    with pytest.raises(ValueError, match="features='mel'"):
        make_pipeline(features="mel", model="dnn")


def test_grid_search_over_network_parameters(chunks):
    X, y = chunks
    search = GridSearchCV(CNNClassifier(**TINY, random_state=0), {"filters": [(2,), (4,)]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["filters"] in [(2,), (4,)]
    assert search.predict(X).shape == (24,)


@pytest.mark.real_data
def test_no_chunk_of_a_test_track_is_ever_trained_on(gtzan_mini):
    """cross_val_score over tracks: the chunks a fold trains on never include a test track's."""
    chunker = MelChunker(n_mels=32, verbose=0)
    model = RecordingCNN(**TINY, early_stopping=True, random_state=0)
    pipe = make_pipeline(features=chunker, model=model)
    groups = gtzan_mini.stems  # one group per track
    cv = GroupKFold(n_splits=3)
    RecordingCNN.seen = []
    scores = cross_val_score(pipe, gtzan_mini.paths, gtzan_mini.target, groups=groups, cv=cv)
    assert len(scores) == 3 and len(RecordingCNN.seen) == 3
    chunks = chunker.transform(gtzan_mini.paths)
    assert chunks.shape[:3] == (59, 14, 32)
    for (train, test), record in zip(
        cv.split(gtzan_mini.paths, gtzan_mini.target, groups), RecordingCNN.seen, strict=True
    ):
        test_chunks = {_digest(c) for track in chunks[test] for c in track}
        train_chunks = {_digest(c) for track in chunks[train] for c in track}
        assert len(test_chunks) == len(test) * 14  # every chunk distinct: the check is sharp
        assert record["all"] == train_chunks  # Keras got exactly the training tracks' chunks
        assert record["all"].isdisjoint(test_chunks)
        assert record["train"].isdisjoint(record["val"])  # early stopping holds out tracks


@pytest.mark.slow
@pytest.mark.real_data
def test_mel_cnn_pipeline_fits_real_audio_with_grouped_cv(gtzan_mini):
    pipe = make_pipeline(features="mel", model="cnn", random_state=0, verbose=0)
    pipe.set_params(features__n_mels=64, model__filters=(8, 16), model__epochs=8)
    scores = cross_val_score(
        pipe, gtzan_mini.paths, gtzan_mini.target, groups=gtzan_mini.stems, cv=GroupKFold(3)
    )
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert scores.mean() > 0.2  # chance is 0.1 on 10 genres


def test_partial_fit_trains_on_chunks_and_votes(chunks):
    """partial_fit takes 4-D tracks as fit does: chunks repeat y, predict_proba votes."""
    X, y = chunks
    # one partial_fit on every track is one epoch of fit (same seed, same chunks)
    one = CNNClassifier(**TINY, random_state=0).partial_fit(X, y)
    fit = CNNClassifier(**{**TINY, "epochs": 1}, random_state=0).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), fit.predict_proba(X))
    assert (one.n_chunks_, one.input_mean_, one.input_std_) == (
        fit.n_chunks_,
        fit.input_mean_,
        fit.input_std_,
    )
    # in batches of tracks, the first holding one genre: the network is built once
    clf = CNNClassifier(**TINY, random_state=0)
    jazz = np.flatnonzero(y == "jazz")
    clf.partial_fit(X[jazz[:4]], y[jazz[:4]], classes=["jazz", "rock"])
    model, mean = clf.model_, clf.input_mean_
    for _ in range(10):
        clf.partial_fit(X, y)
    assert clf.model_ is model and clf.input_mean_ == mean  # standardised as the first batch
    assert len(clf.history_["loss"]) == 11 and clf.classes_.tolist() == ["jazz", "rock"]
    assert clf.predict_proba(X).shape == (24, 2)
    assert clf.score(X, y) == 1.0
    with pytest.raises(ValueError, match="n_tracks, n_chunks, n_mels, n_frames"):
        clf.partial_fit(X[:, 0], y)


def test_warm_start_keeps_the_networks_standardisation(chunks):
    X, y = chunks
    clf = CNNClassifier(**TINY, warm_start=True, random_state=0).fit(X, y)
    model, mean = clf.model_, clf.input_mean_
    clf.fit(X + 10.0, y)
    assert clf.model_ is model and clf.input_mean_ == mean
    assert clf.classes_.tolist() == ["jazz", "rock"]
    assert clf.predict_proba(X).shape == (24, 2)
