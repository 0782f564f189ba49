import inspect
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone, is_classifier
from sklearn.datasets import make_classification
from sklearn.model_selection import StratifiedKFold, check_cv
from sklearn.preprocessing import StandardScaler

from sk_genre import make_pipeline
from sk_genre.models import (
    DENSE_PRESETS,
    CNNClassifier,
    DenseClassifier,
    GenreKerasClassifier,
    build_dense_network,
)

GENRES = np.array(["blues", "jazz", "rock"])


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        300, 20, n_informative=10, n_classes=3, class_sep=2.0, random_state=0
    )
    return X.astype(np.float32), GENRES[y]


def test_import_does_not_import_keras():
    code = "import sys, sk_genre; assert 'keras' not in sys.modules and 'jax' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_backend_chosen_when_unset(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)  # no keras.json naming a backend
    code = "import sk_genre.models, keras; print(keras.backend.backend())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "jax"


def test_plain_import_keras_after_sk_genre_uses_an_installed_backend(tmp_path):
    """Keras' own default is TensorFlow (not installed here); import sk_genre picks JAX first."""
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)
    code = "import sk_genre, keras; print(keras.backend.backend())"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "jax"


def test_import_respects_the_users_backend(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="numpy", KERAS_HOME=str(tmp_path))
    code = "import os, sk_genre; print(os.environ['KERAS_BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "numpy"


def test_is_a_stratifying_classifier(data):
    clf = DenseClassifier()
    assert is_classifier(clf)
    assert isinstance(check_cv(5, data[1], classifier=is_classifier(clf)), StratifiedKFold)


def test_flat_params_clone_and_set():
    clf = DenseClassifier(hidden_layer_sizes=(32,), dropout=0.2, random_state=3)
    params = clf.get_params()
    for name in (
        "hidden_layer_sizes",
        "dropout",
        "l2",
        "batch_norm",
        "epochs",
        "batch_size",
        "learning_rate",
        "early_stopping",
        "patience",
        "restore_best_weights",
        "validation_fraction",
        "random_state",
        "verbose",
    ):
        assert name in params
    twin = clone(clf).set_params(dropout=0.3)
    assert twin.hidden_layer_sizes == (32,) and twin.dropout == 0.3 and clf.dropout == 0.2


def test_learns_and_predicts(data):
    X, y = data
    clf = DenseClassifier(hidden_layer_sizes=(32, 16), epochs=30, random_state=0).fit(X, y)
    assert clf.score(X, y) > 0.9
    assert clf.classes_.tolist() == GENRES.tolist()
    proba = clf.predict_proba(X[:7])
    assert proba.shape == (7, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    assert clf.predict_proba(X[:1]).shape == (1, 3)  # scikeras alone squeezes to (3,)
    assert len(clf.history_["loss"]) == 30 and len(clf.history_["accuracy"]) == 30


def test_random_state_makes_fits_identical(data):
    X, y = data
    params = dict(hidden_layer_sizes=(32,), epochs=5, batch_norm=True)
    first = DenseClassifier(**params, random_state=7).fit(X, y).predict_proba(X)
    second = DenseClassifier(**params, random_state=7).fit(X, y).predict_proba(X)
    other = DenseClassifier(**params, random_state=8).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)


def test_global_rng_untouched(data):
    X, y = data
    state = np.random.get_state()  # noqa: NPY002 (the legacy global generator is the point)
    DenseClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0).fit(X, y)
    after = np.random.get_state()  # noqa: NPY002
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2] == after[2]


def test_early_stopping_holds_out_a_stratified_fraction(data):
    X, y = data
    clf = DenseClassifier(
        hidden_layer_sizes=(16,),
        epochs=300,
        early_stopping=True,
        patience=2,
        validation_fraction=0.2,
        random_state=0,
    )
    clf.fit(X, y)
    assert {"val_loss", "val_accuracy"} <= set(clf.history_)
    assert len(clf.history_["loss"]) < 300  # it stopped
    encoded = clf.target_encoder_.transform(y)
    train, val = clf._holdout(encoded)
    assert len(val) == 60 and len(np.intersect1d(train, val)) == 0
    assert np.bincount(encoded[val].ravel().astype(int)).tolist() == [20, 20, 20]


def test_early_stopping_holds_out_whole_groups(data, monkeypatch):
    X, y = data
    groups = np.arange(len(X)) // 5  # 60 groups (artists, say) of 5 rows
    drawn = []
    holdout = DenseClassifier._holdout

    def recording_holdout(self, y, groups=None):
        train, val = holdout(self, y, groups)
        drawn.append((train, val))
        return train, val

    monkeypatch.setattr(DenseClassifier, "_holdout", recording_holdout)
    clf = DenseClassifier(
        hidden_layer_sizes=(8,), epochs=3, early_stopping=True, validation_fraction=0.2
    )
    make_pipeline(features=None, model=clf).fit(X, y, model__groups=groups)
    train, val = drawn[-1]
    assert len(val) == 12 * 5  # 12 of 60 groups, whole
    assert set(groups[val]).isdisjoint(groups[train])
    assert len(train) + len(val) == len(X)
    clf.fit(X, y)  # without groups: rows one by one
    assert not set(groups[drawn[-1][1]]).isdisjoint(groups[drawn[-1][0]])
    with pytest.raises(ValueError, match="one entry per row"):
        clf.fit(X, y, groups=groups[:10])


def test_groups_without_early_stopping_warn_that_they_do_nothing(data):
    """Nothing silently ignored: groups only shape the early-stopping hold-out."""
    import warnings

    X, y = data
    groups = np.arange(len(X)) // 5
    chunks = np.random.default_rng(0).normal(size=(12, 2, 4, 5)).astype(np.float32)
    genres = np.array(["jazz", "rock"] * 6)
    for clf, X_, y_, g in [
        (DenseClassifier(hidden_layer_sizes=(4,), epochs=1), X, y, groups),
        (CNNClassifier(filters=(2,), dense_units=(), epochs=1), chunks, genres, np.arange(12)),
    ]:
        name = type(clf).__name__
        with pytest.warns(UserWarning, match=rf"groups is ignored: {name}\(early_stopping=False"):
            clf.fit(X_, y_, groups=g)
        with warnings.catch_warnings():
            warnings.filterwarnings("error", "groups is ignored")
            clf.fit(X_, y_)  # no groups: nothing to say
            clf.set_params(early_stopping=True, validation_fraction=0.25).fit(X_, y_, groups=g)


def test_early_stopping_needs_two_rows():
    with pytest.raises(ValueError, match="at least 2 training tracks"):
        DenseClassifier(early_stopping=True, epochs=1).fit(np.zeros((1, 3)), ["rock"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"epochs": 0}, "epochs"),
        ({"validation_fraction": 1.5}, "validation_fraction"),
        ({"l2": -1.0}, "l2"),
    ],
)
def test_bad_parameters(data, params, match):
    with pytest.raises(ValueError, match=match):
        DenseClassifier(**params).fit(*data)


def test_presets_build_the_seed_networks():
    import keras

    clf = DenseClassifier.from_preset("regularized", random_state=1)
    assert clf.hidden_layer_sizes == (128, 64, 32) and clf.l2 == 0.01 and clf.random_state == 1
    model = build_dense_network(
        n_features=57,
        n_classes=10,
        **{k: v for k, v in DENSE_PRESETS["regularized"].items() if k != "epochs"},
    )
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    assert [layer.units for layer in dense] == [128, 64, 32, 10]
    assert sum(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers) == 3
    assert [layer.rate for layer in model.layers if isinstance(layer, keras.layers.Dropout)] == [
        0.5,
        0.3,
        0.3,
    ]
    dnn = DenseClassifier.from_preset("dnn")
    assert dnn.hidden_layer_sizes == (128, 256, 128) and dnn.early_stopping and dnn.patience == 10
    with pytest.raises(ValueError, match="name must be one of"):
        DenseClassifier.from_preset("resnet")
    with pytest.raises(ValueError, match="one value per hidden layer"):
        build_dense_network(n_features=4, n_classes=2, hidden_layer_sizes=(8, 8), dropout=(0.1,))


def test_stop_accuracy_ends_training_at_the_threshold(data):
    X, y = data
    clf = DenseClassifier(hidden_layer_sizes=(32,), epochs=200, stop_accuracy=0.9, random_state=0)
    clf.fit(X, y)
    accuracy = clf.history_["accuracy"]
    assert len(accuracy) < 200 and accuracy[-1] >= 0.9
    assert all(a < 0.9 for a in accuracy[:-1])  # it stopped at the first epoch that reached it
    preset = DenseClassifier.from_preset("dnn_threshold")
    assert preset.stop_accuracy == 0.94 and preset.early_stopping and preset.patience == 10


def test_reduce_lr_on_plateau_lowers_the_learning_rate(data):
    X, y = data
    # a learning rate this small never improves the loss by min_delta: every epoch is a plateau
    clf = DenseClassifier(
        hidden_layer_sizes=(8,),
        dropout=0.0,
        epochs=3,
        learning_rate=1e-9,
        reduce_lr_on_plateau=True,
        reduce_lr_factor=0.5,
        reduce_lr_patience=0,
        random_state=0,
    ).fit(X, y)
    # epoch 1 sets the best loss; epochs 2 and 3 are plateaus, each halving the rate
    assert float(clf.model_.optimizer.learning_rate) == pytest.approx(1e-9 * 0.5**2, rel=1e-3)
    off = DenseClassifier(hidden_layer_sizes=(8,), epochs=3, learning_rate=1e-9).fit(X, y)
    assert float(off.model_.optimizer.learning_rate) == pytest.approx(1e-9, rel=1e-3)


# ---------------------------------------------------------------- the scikeras layer, owned

NETWORKS = ["DenseClassifier", "CNNClassifier", "MusicnnClassifier"]


def _network(name):
    from sk_genre.models import CNNClassifier
    from sk_genre.pretrained import MusicnnClassifier

    return {"DenseClassifier": DenseClassifier, "CNNClassifier": CNNClassifier}.get(
        name, MusicnnClassifier
    )


def _user_set(estimator):
    """Parameters the notebook HTML repr marks as set by the user (scikit-learn's rule)."""
    return estimator._repr_html_().count('<tr class="user-set">')


@pytest.mark.parametrize("name", NETWORKS)
def test_every_parameter_is_an_explicit_keyword(name):
    """No **kwargs: the signature holds every parameter with its default, as in scikit-learn."""
    cls = _network(name)
    signature = inspect.signature(cls)
    kinds = {p.kind for p in signature.parameters.values()}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}, kinds
    defaults = {n: p.default for n, p in signature.parameters.items()}
    assert defaults == cls().get_params(deep=False)
    # the training parameters are the base's, with its defaults (epochs aside)
    base = inspect.signature(GenreKerasClassifier).parameters
    assert set(base) <= set(defaults)
    changed = {n for n in base if repr(defaults[n]) != repr(base[n].default)}
    assert changed == ({"epochs"} if name != "DenseClassifier" else set())
    assert defaults["epochs"] == {"DenseClassifier": 100, "CNNClassifier": 30}.get(name, 20)


@pytest.mark.parametrize("name", NETWORKS)
def test_repr_and_html_repr_show_only_what_was_changed(name):
    cls = _network(name)
    assert repr(cls()) == f"{name}()"
    assert _user_set(cls()) == 0  # was 25 of 30 for DenseClassifier() through scikeras
    assert _user_set(cls(epochs=5, random_state=0)) == 2
    assert repr(cls(epochs=5)) == f"{name}(epochs=5)"
    assert _user_set(StandardScaler()) == 0 and _user_set(StandardScaler(with_mean=False)) == 1


def test_pipeline_repr_is_short():
    assert str(make_pipeline()).count("\n") + 1 <= 10
    assert str(make_pipeline(features="mel", model="cnn")).count("\n") + 1 <= 10
    assert str(make_pipeline()).count("\n") + 1 == 3  # one line per step


def test_presets_set_explicit_parameters():
    dnn = DenseClassifier.from_preset("dnn")
    assert repr(dnn) == (
        "DenseClassifier(batch_norm=True, early_stopping=True, epochs=200,\n"
        "                hidden_layer_sizes=(128, 256, 128))"
    )
    assert DenseClassifier.from_preset("baseline").get_params() == DenseClassifier().get_params()


def test_unknown_parameters_are_refused():
    with pytest.raises(TypeError, match="metrics"):
        DenseClassifier(metrics=["accuracy"])
    with pytest.raises(ValueError, match="Invalid parameter 'fit' for estimator DenseClassifier"):
        DenseClassifier().set_params(fit__batch_size=8)


def test_warm_start_keeps_classes_and_continues_training(data):
    X, y = data
    clf = DenseClassifier(hidden_layer_sizes=(16,), epochs=5, warm_start=True, random_state=0)
    clf.fit(X, y)
    first_model, first_loss = clf.model_, clf.history_["loss"]
    clf.fit(X, y)
    assert clf.model_ is first_model  # trained on, not rebuilt
    assert clf.classes_.tolist() == GENRES.tolist()  # scikeras: None, predict_proba TypeError
    assert clf.predict_proba(X[:4]).shape == (4, 3)
    assert len(clf.history_["loss"]) == 5
    assert clf.history_["loss"][0] < first_loss[0]  # starts from the trained weights
    # without warm_start every fit starts afresh
    cold = DenseClassifier(hidden_layer_sizes=(16,), epochs=5, random_state=0).fit(X, y)
    model = cold.model_
    assert cold.fit(X, y).model_ is not model
    np.testing.assert_allclose(cold.history_["loss"], first_loss, rtol=1e-5)


def test_class_weight_leaves_sample_weight_alone_and_weighs_rows(data):
    X, y = data
    params = dict(hidden_layer_sizes=(8,), epochs=3, random_state=0)
    sample_weight = np.linspace(0.5, 1.5, len(y))
    before = sample_weight.copy()
    class_weight = {"blues": 3.0, "jazz": 1.0, "rock": 0.5}
    weighted = DenseClassifier(class_weight=class_weight, **params)
    weighted.fit(X, y, sample_weight=sample_weight)
    np.testing.assert_array_equal(sample_weight, before)  # scikeras multiplied it in place
    # class_weight is the same as multiplying the rows' weights by it
    rows = sample_weight * np.array([class_weight[g] for g in y])
    plain = DenseClassifier(**params).fit(X, y, sample_weight=rows)
    np.testing.assert_allclose(weighted.predict_proba(X), plain.predict_proba(X), rtol=1e-5)
    assert not np.allclose(
        DenseClassifier(**params).fit(X, y).predict_proba(X), plain.predict_proba(X), rtol=1e-3
    )
    balanced = DenseClassifier(class_weight="balanced", **params).fit(X[:100], y[:100])
    assert balanced.classes_.tolist() == GENRES.tolist()


def test_zero_weight_rows_and_groups_stay_aligned(data):
    """scikeras drops rows of weight 0: their groups are dropped with them."""
    X, y = data
    groups = np.arange(len(X)) // 5
    sample_weight = np.ones(len(X))
    sample_weight[:30] = 0
    clf = DenseClassifier(
        hidden_layer_sizes=(8,), epochs=2, early_stopping=True, validation_fraction=0.2
    )
    clf.fit(X, y, sample_weight=sample_weight, groups=groups)
    assert "val_loss" in clf.history_


@pytest.mark.parametrize("to", [np.float64, np.float32, np.int64])
def test_any_numeric_dtype_predicts_after_a_sparse_or_dense_fit(data, to):
    sparse = pytest.importorskip("scipy.sparse")
    X, y = data
    for make in (np.asarray, sparse.csr_matrix):
        clf = DenseClassifier(hidden_layer_sizes=(8,), epochs=1, random_state=0)
        clf.fit(make(X.astype(np.float32)), y)
        expected = clf.predict_proba(X.astype(to).astype(np.float32))
        np.testing.assert_array_equal(clf.predict_proba(make(X.astype(to))), expected)


def test_partial_fit_trains_one_epoch_per_call(data):
    X, y = data
    params = dict(hidden_layer_sizes=(8,), random_state=0)
    clf = DenseClassifier(**params)
    first = np.flatnonzero(y != "rock")  # a first batch without one genre
    clf.partial_fit(X[first], y[first], classes=GENRES)
    assert clf.classes_.tolist() == GENRES.tolist() and len(clf.history_["loss"]) == 1
    model, first_score = clf.model_, clf.score(X, y)
    for _ in range(10):
        clf.partial_fit(X, y)
    assert clf.model_ is model and len(clf.history_["loss"]) == 11
    # it learns on: 0.46 -> 0.73 measured (chance 0.33), each epoch from the last one's weights
    assert clf.score(X, y) > first_score + 0.15
    # one partial_fit on everything is one epoch of fit (same seed, same rows)
    one = DenseClassifier(**params).partial_fit(X, y)
    fit = DenseClassifier(**params, epochs=1).fit(X, y)
    np.testing.assert_array_equal(one.predict_proba(X), fit.predict_proba(X))
    # early stopping acts in fit only: one epoch on a batch holds nothing out
    es = DenseClassifier(**params, early_stopping=True).partial_fit(X[:10], y[:10], classes=GENRES)
    assert "val_loss" not in es.history_
    with pytest.raises(ValueError, match="classes must be the fitted classes_"):
        clf.partial_fit(X, y, classes=["blues", "jazz"])


@pytest.fixture(scope="module")
def gtzan_table():
    from sk_genre.datasets import load_gtzan_features

    gtzan = load_gtzan_features()
    X = StandardScaler().fit_transform(gtzan.data[:200]).astype(np.float32)
    return X, gtzan.target[:200]


def test_verbose_1_shows_one_bar_over_the_epochs(gtzan_table, capfd):
    """verbose=1: a tqdm bar per fit with loss/accuracy, no Keras log; predict is silent."""
    X, y = gtzan_table
    clf = DenseClassifier(hidden_layer_sizes=(16,), epochs=4, random_state=0, verbose=1)
    clf.fit(X, y)
    err = capfd.readouterr().err
    assert "DenseClassifier" in err and "4/4" in err and "epoch" in err, err
    assert "loss=" in err and "accuracy=" in err, err
    assert "Epoch 1/4" not in err and "step" not in err, err  # not Keras' own log
    clf.predict(X)
    assert capfd.readouterr().err == ""


def test_verbose_1_bar_shows_validation_and_stops_early(gtzan_table, capfd):
    X, y = gtzan_table
    clf = DenseClassifier(
        hidden_layer_sizes=(16,),
        epochs=200,
        early_stopping=True,
        patience=1,
        learning_rate=0.05,
        random_state=0,
        verbose=1,
    ).fit(X, y)
    err = capfd.readouterr().err
    assert "val_loss=" in err and "val_accuracy=" in err, err
    assert len(clf.history_["loss"]) < 200 and "200/200" not in err


def test_verbose_0_is_silent_and_2_is_keras_log(gtzan_table, capfd):
    X, y = gtzan_table
    DenseClassifier(hidden_layer_sizes=(16,), epochs=2, random_state=0).fit(X, y).predict(X)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""
    DenseClassifier(hidden_layer_sizes=(16,), epochs=2, random_state=0, verbose=2).fit(X, y)
    captured = capfd.readouterr()
    assert "Epoch 1/2" in captured.out + captured.err


def test_make_pipeline_verbose_reaches_the_network():
    assert make_pipeline(verbose=1)[-1].verbose == 1
    assert make_pipeline(features="mel", model="cnn", verbose=1)[-1].verbose == 1
    assert make_pipeline()[-1].verbose == 0
