"""Fitted pipelines survive pickle and joblib into a fresh process; version stamps warn."""

import copy
import inspect
import io
import pickle
import re
import subprocess
import sys
import warnings

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

import sk_genre
import sk_genre.models
from sk_genre import InconsistentVersionWarning, make_pipeline
from sk_genre._persistence import VersionedPickleMixin
from sk_genre.cli import main
from sk_genre.models import CNNClassifier, DenseClassifier

from .conftest import SR, write_audio

GENRES = ("high", "low", "noise")


def _clips(n_per_genre=3, seconds=2.0, seed=0):
    """2-s clips of three 'genres': a low sine, a high sine and white noise (float32)."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    clips, genres = [], []
    for k in range(n_per_genre):
        for genre, freq in zip(GENRES, (3000.0, 220.0, None), strict=True):
            noise = rng.standard_normal(t.size)
            y = 0.05 * noise if freq is None else np.sin(2 * np.pi * freq * (1 + 0.02 * k) * t)
            clips.append(0.3 * y + 0.01 * noise)
            genres.append(genre)
    return np.asarray(clips, dtype=np.float32), np.array(genres, dtype=object)


def _dense_pipeline():
    model = DenseClassifier(
        hidden_layer_sizes=(8,), dropout=0.0, epochs=3, batch_size=4, random_state=0
    )
    return make_pipeline(features="mfcc", model=model, verbose=0)


def _cnn_pipeline():
    model = CNNClassifier(
        filters=(4,), dense_units=(8,), dropout=0.0, epochs=2, batch_size=16, random_state=0
    )
    pipe = make_pipeline(features="mel", model=model, verbose=0)
    # 2-s clips: three 1-s chunks of 16 mel bands each
    return pipe.set_params(
        features__n_mels=16,
        features__track_duration=2.0,
        features__chunk_duration=1.0,
        features__chunk_hop=0.5,
    )


@pytest.fixture(scope="module")
def data():
    return _clips()


@pytest.fixture(scope="module", params=["dense", "cnn"])
def fitted(request, data):
    """``(name, fitted pipeline)``, once per module for each network."""
    X, y = data
    pipe = _dense_pipeline() if request.param == "dense" else _cnn_pipeline()
    return request.param, pipe.fit(X, y)


def test_pipelines_predict_identically_in_a_fresh_process(fitted, data, tmp_path):
    """joblib and pickle files load in a new interpreter with bit-identical predict_proba."""
    name, pipe = fitted
    X, _ = data
    expected = pipe.predict_proba(X)
    assert expected.shape == (len(X), len(GENRES))
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", expected)
    joblib.dump(pipe, tmp_path / "model.joblib")
    with open(tmp_path / "model.pkl", "wb") as f:
        pickle.dump(pipe, f)
    code = f"""
import pickle, sys, warnings
import joblib, numpy as np
from sk_genre import InconsistentVersionWarning
warnings.simplefilter("error", InconsistentVersionWarning)  # same version: no warning
assert "keras" not in sys.modules  # loading the pipeline imports it, through sk_genre.models
X = np.load({str(tmp_path / "X.npy")!r})
expected = np.load({str(tmp_path / "expected.npy")!r})
from_joblib = joblib.load({str(tmp_path / "model.joblib")!r})
with open({str(tmp_path / "model.pkl")!r}, "rb") as f:
    from_pickle = pickle.load(f)
for how, model in [("joblib", from_joblib), ("pickle", from_pickle)]:
    assert list(model.classes_) == {list(GENRES)!r}, (how, model.classes_)
    np.testing.assert_array_equal(model.predict_proba(X), expected, err_msg=how)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"{name}:\n{result.stderr}"


@pytest.fixture(scope="module")
def cli_model(tmp_path_factory):
    """A genre-per-folder tree of wav files and a model `sk-genre train` saved from it."""
    root = tmp_path_factory.mktemp("cli")
    X, y = _clips(n_per_genre=2, seed=1)
    paths = []
    for k, (clip, genre) in enumerate(zip(X, y, strict=True)):
        (root / "audio" / genre).mkdir(parents=True, exist_ok=True)
        paths.append(str(write_audio(root / "audio" / genre / f"{genre}.{k:05d}.wav", clip)))
    model = root / "model.joblib"
    argv = [
        "train",
        str(root / "audio"),
        "-o",
        str(model),
        "--epochs",
        "2",
        "--n-mfcc",
        "13",
        "--cv",
        "0",
    ]
    assert main(argv) == 0
    return model, paths


def _cli_predict(model, paths):
    return subprocess.run(
        [sys.executable, "-m", "sk_genre.cli", "predict", str(model), *paths, "--top", "3"],
        capture_output=True,
        text=True,
    )


def test_cli_train_then_predict_in_a_fresh_process(cli_model):
    """`sk-genre predict` (new process) prints what the trained pipeline predicts here."""
    model, paths = cli_model
    pipe = joblib.load(model)
    result = _cli_predict(model, paths)
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(paths), result.stdout
    for path, line in zip(paths, lines, strict=True):
        proba = pipe.predict_proba([path])[0]  # one file per call, as the CLI does
        top = np.argsort(proba)[::-1]
        ranked = ", ".join(f"{pipe.classes_[i]} {proba[i]:.2f}" for i in top)
        assert line == f"{path}\t{pipe.classes_[top[0]]}\t({ranked})"


def test_cli_predict_warns_about_a_model_from_another_version(cli_model, monkeypatch, tmp_path):
    model, paths = cli_model
    pipe = joblib.load(model)
    monkeypatch.setattr(sk_genre._version, "__version__", "0.0.9")
    joblib.dump(pipe, tmp_path / "old.joblib")
    monkeypatch.undo()
    result = _cli_predict(tmp_path / "old.joblib", paths[:1])
    assert result.returncode == 0, result.stderr
    warned = re.findall(r"sk-genre: warning: Trying to unpickle estimator (\w+) ", result.stderr)
    assert warned == ["MFCCTransformer", "DenseClassifier"], result.stderr  # not the scaler
    assert f"sk_genre version 0.0.9 when using version {sk_genre.__version__}" in result.stderr


def _dumps(obj, how, tmp_path):
    if how == "pickle":
        return pickle.dumps(obj)
    joblib.dump(obj, tmp_path / "model.joblib")
    return tmp_path / "model.joblib"


def _loads(dumped, how):
    return pickle.loads(dumped) if how == "pickle" else joblib.load(dumped)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
def test_loading_another_version_warns(fitted, data, how, monkeypatch, tmp_path):
    name, pipe = fitted
    monkeypatch.setattr(sk_genre._version, "__version__", "0.0.9")  # read when dumping
    dumped = _dumps(pipe, how, tmp_path)
    monkeypatch.undo()
    with pytest.warns(InconsistentVersionWarning) as record:
        loaded = _loads(dumped, how)
    expected = {
        "dense": ["MFCCTransformer", "DenseClassifier"],
        "cnn": ["MelChunker", "CNNClassifier"],
    }
    warned = [w.message for w in record if w.category is InconsistentVersionWarning]
    assert [w.estimator_name for w in warned] == expected[name]  # not StandardScaler
    for w in warned:
        assert (w.original_version, w.current_version) == ("0.0.9", sk_genre.__version__)
        assert str(w) == (
            f"Trying to unpickle estimator {w.estimator_name} from sk_genre version 0.0.9 "
            f"when using version {sk_genre.__version__}. This might lead to breaking code "
            "or invalid results. Use at your own risk."
        )
    # the warning changes nothing else: the model loads and predicts as before
    X, _ = data
    np.testing.assert_array_equal(loaded.predict_proba(X[:3]), pipe.predict_proba(X[:3]))
    assert all("_sk_genre_version" not in vars(step) for _, step in loaded.steps)


def test_pickle_without_a_version_warns_unknown(fitted, monkeypatch):
    """A pickle from before the stamp (BaseEstimator's plain state) warns: version unknown."""
    name, pipe = fitted
    monkeypatch.delattr(VersionedPickleMixin, "__getstate__")  # as the classes were before
    dumped = pickle.dumps(pipe)
    monkeypatch.undo()
    assert b"_sk_genre_version" not in dumped
    with pytest.warns(InconsistentVersionWarning, match="an unknown sk_genre version") as record:
        pickle.loads(dumped)
    warned = [w.message for w in record if w.category is InconsistentVersionWarning]
    assert len(warned) == 2 and all(w.original_version is None for w in warned)


def test_same_version_does_not_warn(fitted, tmp_path):
    _, pipe = fitted
    with warnings.catch_warnings():
        warnings.simplefilter("error", InconsistentVersionWarning)
        pickle.loads(pickle.dumps(pipe))
        joblib.load(_dumps(pipe, "joblib", tmp_path))
        copy.deepcopy(pipe)
        clone(pipe)


def test_every_public_estimator_stamps_its_version():
    public = [getattr(sk_genre, n) for n in sk_genre.__all__]
    public += [getattr(sk_genre.models, n) for n in sk_genre.models.__all__]
    estimators = {c for c in public if inspect.isclass(c) and issubclass(c, BaseEstimator)}
    assert len(estimators) >= 6  # 3 feature transformers, 3 network classes
    assert all(issubclass(c, VersionedPickleMixin) for c in estimators)
    assert issubclass(InconsistentVersionWarning, UserWarning)
    assert "InconsistentVersionWarning" in sk_genre.__all__


def test_warning_pickles_with_its_fields():
    w = InconsistentVersionWarning("MFCCTransformer", "0.1.0", "0.0.9")
    again = pickle.loads(pickle.dumps(w))
    assert (again.estimator_name, again.current_version, again.original_version) == (
        "MFCCTransformer",
        "0.1.0",
        "0.0.9",
    )
    assert str(again) == str(w)


class _RecordingUnpickler(pickle.Unpickler):
    """An unpickler that records every (module, name) a pickle imports."""

    def __init__(self, file):
        super().__init__(file)
        self.imported = set()

    def find_class(self, module, name):
        self.imported.add((module, name))
        return super().find_class(module, name)


def test_networks_pickle_through_public_keras_api(fitted, data):
    """The network travels as a .keras archive (keras.saving), not through keras.src."""
    name, pipe = fitted
    X, y = data
    unpickler = _RecordingUnpickler(io.BytesIO(pickle.dumps(pipe)))
    loaded = unpickler.load()
    modules = {module for module, _ in unpickler.imported}
    # scikeras pickles keras.Model through scikeras._saving_utils -> keras.src.saving
    assert not any(m.startswith(("keras", "scikeras._saving_utils")) for m in modules), modules
    np.testing.assert_array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    model = loaded[-1]
    assert model.model_.compiled and model.model_.optimizer is not None
    # the loaded network trains on (warm start) and pickles again
    assert len(model.history_["loss"]) > 1  # the fitted 2 or 3 epochs
    model.set_params(warm_start=True, epochs=1).fit(loaded[:-1].transform(X[:6]), y[:6])
    assert model.classes_.tolist() == list(GENRES)
    # the loaded estimator's parameters drive its scikeras core: 1 epoch, not the fitted 2-3
    # (history_ is that of the last fit, as in scikeras; partial_fit appends)
    assert len(model.history_["loss"]) == 1
    pickle.loads(pickle.dumps(model))


def test_a_network_pickled_in_the_old_layout_is_refused():
    """Before the networks held scikeras, the archive sat in the estimator's own state."""
    state = {"_keras_archive": b"PK", "classes_": np.array(GENRES), "epochs": 3}
    with pytest.raises(ValueError, match="DenseClassifier was saved by an earlier .* fit it again"):
        DenseClassifier().__setstate__(state)
