"""Reproducibility: seeded classifier fits, and feature extraction across n_jobs.

What is asserted (bit for bit, ``assert_array_equal``):

1. In one process, on the process's Keras backend (JAX here): a ``DenseClassifier`` and a
   ``CNNClassifier`` fitted twice with the same ``random_state`` give the same ``predict``
   and ``predict_proba``, also when the other model is fitted in between; another seed
   gives other probabilities (so the seed is what decides). The networks use dropout, and
   the dense one batch norm and early stopping (its hold-out split is seeded too).
   This extends ``test_models.py::test_random_state_makes_fits_identical`` and
   ``test_cnn.py::test_same_seed_same_model``, which fit twice back to back.
2. Two fresh processes (``sys.executable``, ``KERAS_BACKEND=jax``) that each fit dense, CNN,
   dense give the same probabilities as each other, and each process's two dense fits agree.
3. The same in fresh processes with ``KERAS_BACKEND=torch`` and ``tensorflow`` (the backend
   is fixed per process), each skipped unless that backend is installed.
4. MFCCTransformer, SpectralFeatureUnion and MelChunker give identical features with
   ``n_jobs=1`` and ``n_jobs=2`` (loky worker processes) on files: real GTZAN tracks when
   ``../shared/data/gtzan-mini`` is there (``real_data``), and synthetic files that must be
   mixed down and resampled in the workers (stereo, 44.1 and 16 kHz). The in-memory and
   22.05-kHz-file cases are in ``test_mfcc.py``, ``test_mel.py`` and ``test_scale.py``
   (``test_parallel_equals_serial``, ``test_union_parallel_equals_serial``).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_classification

import sk_genre
from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion

from .conftest import REPO, music_like, write_audio

SEED, OTHER_SEED = 5, 6
DENSE = dict(
    hidden_layer_sizes=(16,),
    dropout=0.2,
    batch_norm=True,
    epochs=4,
    batch_size=16,
    early_stopping=True,
    validation_fraction=0.2,
    patience=2,
)
CNN = dict(filters=(4,), dense_units=(8,), dropout=0.25, epochs=2, batch_size=16)


# ---------------------------------------------------------------- classifiers


def dense_data():
    X, y = make_classification(120, 12, n_informative=6, n_classes=3, class_sep=1.0, random_state=0)
    return X.astype(np.float32), np.array(["blues", "jazz", "rock"])[y]


def chunk_data():
    """Tracks of 3 chunks (n_mels 16, n_frames 12); 'jazz' is brighter in the low bands."""
    rng = np.random.default_rng(0)
    X = rng.normal(-40, 5, size=(24, 3, 16, 12)).astype(np.float32)
    y = np.array(["jazz", "rock"] * 12)
    X[y == "jazz", :, :8] += 5.0
    return X, y


def fit_predict(kind, seed):
    """Fit a fresh classifier of ``kind`` with ``random_state=seed``; (proba, labels)."""
    from sk_genre.models import CNNClassifier, DenseClassifier

    if kind == "dense":
        X, y = dense_data()
        clf = DenseClassifier(**DENSE, random_state=seed, verbose=0)
    else:
        X, y = chunk_data()
        clf = CNNClassifier(**CNN, random_state=seed, verbose=0)
    clf.fit(X, y)
    return clf.predict_proba(X), clf.predict(X)


def main(argv):
    """Subprocess entry point: fit dense, CNN, dense (all seeded) and save to ``argv[0]``."""
    dense_proba, dense_labels = fit_predict("dense", SEED)
    cnn_proba, cnn_labels = fit_predict("cnn", SEED)
    again_proba, again_labels = fit_predict("dense", SEED)
    import keras  # after sk_genre.models (imported by fit_predict) chose the backend

    np.savez(
        argv[0],
        backend=keras.backend.backend(),
        dense_proba=dense_proba,
        dense_labels=dense_labels,
        cnn_proba=cnn_proba,
        cnn_labels=cnn_labels,
        again_proba=again_proba,
        again_labels=again_labels,
    )


def test_same_seed_same_model_with_another_fit_between():
    # each seeded fit has another model's fit between it and its repeat, which moves every
    # global RNG the backend has (and JAX's compilation caches)
    dense = fit_predict("dense", SEED)
    cnn_other = fit_predict("cnn", OTHER_SEED)
    dense_again = fit_predict("dense", SEED)
    cnn = fit_predict("cnn", SEED)
    dense_other = fit_predict("dense", OTHER_SEED)
    cnn_again = fit_predict("cnn", SEED)
    for again, first in [(dense_again, dense), (cnn_again, cnn)]:
        np.testing.assert_array_equal(again[0], first[0])  # predict_proba
        np.testing.assert_array_equal(again[1], first[1])  # predict
    # the seed decides: another one gives another model
    assert not np.array_equal(dense_other[0], dense[0])
    assert not np.array_equal(cnn_other[0], cnn[0])


def run_fresh(backend, out, keras_home):
    """``main`` in a new interpreter with ``KERAS_BACKEND=backend``; returns the npz data."""
    env = dict(os.environ, KERAS_BACKEND=backend, KERAS_HOME=str(keras_home))
    src = str(Path(sk_genre.__file__).resolve().parents[1])  # this sk_genre, not another
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    code = "import sys; from tests.test_determinism import main; main(sys.argv[1:])"
    done = subprocess.run(
        [sys.executable, "-c", code, str(out)], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as data:
        return {k: data[k] for k in data.files}


@pytest.mark.parametrize("backend", ["jax", "torch", "tensorflow"])
def test_same_seed_same_model_in_fresh_processes(backend, tmp_path):
    pytest.importorskip(backend)
    first = run_fresh(backend, tmp_path / "first.npz", tmp_path)
    second = run_fresh(backend, tmp_path / "second.npz", tmp_path)
    assert str(first["backend"]) == str(second["backend"]) == backend
    for key in first:
        np.testing.assert_array_equal(second[key], first[key], err_msg=key)
    # within each process the dense fits before and after the CNN fit agree
    np.testing.assert_array_equal(first["again_proba"], first["dense_proba"])
    np.testing.assert_array_equal(first["again_labels"], first["dense_labels"])


# ---------------------------------------------------------------- features


@pytest.fixture(
    params=["synthetic", pytest.param("real", marks=pytest.mark.real_data)],
)
def audio_paths(request, tmp_path):
    """A few audio files: real GTZAN tracks of three genres, or synthetic files."""
    if request.param == "real":
        gtzan = request.getfixturevalue("gtzan_mini")
        genres = ["classical", "metal", "hiphop"]
        return [gtzan.paths[list(gtzan.target).index(g)] for g in genres]
    stereo = np.stack([music_like(3.0, sr=44100, seed=1), music_like(3.0, sr=44100, seed=2)], 1)
    return [
        str(write_audio(tmp_path / "stereo44k.wav", stereo, sr=44100, subtype="FLOAT")),
        str(write_audio(tmp_path / "mono22k.flac", music_like(2.5, seed=3))),
        str(write_audio(tmp_path / "mono16k.wav", music_like(1.0, sr=16000, seed=4))),
    ]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(MFCCTransformer, id="mfcc"),
        pytest.param(SpectralFeatureUnion, id="union"),
        pytest.param(MelChunker, id="mel"),
    ],
)
def test_features_same_with_one_or_two_jobs(make, audio_paths):
    serial = make(n_jobs=1, verbose=0).fit(audio_paths).transform(audio_paths)
    parallel = make(n_jobs=2, verbose=0).fit(audio_paths).transform(audio_paths)
    assert np.isfinite(serial).all()
    assert len({row.tobytes() for row in serial}) == len(audio_paths)  # the clips differ
    # bit-identical by design: each clip goes through the same code, one at a time, BLAS
    # pinned to 1 thread (features/_base.py) in the main process and in every worker
    np.testing.assert_array_equal(parallel, serial)
