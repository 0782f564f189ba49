"""Shared fixtures: synthetic audio for unit tests, real GTZAN audio for integration tests.

The real data lives beside the project in ../shared/data (never in the repo);
set SK_GENRE_DATA to the folder that holds gtzan-mini/ to use another copy
(:func:`sk_genre.datasets.get_data_home` finds it).
"""

import csv
import warnings
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sklearn.utils import Bunch

from sk_genre.datasets import get_data_home

#: the repository root; every test module imports it from here
REPO = Path(__file__).resolve().parents[1]
#: the data folder (None without one: the real-data tests skip); a wrong SK_GENRE_DATA fails here
DATA = get_data_home()
GTZAN_MINI = None if DATA is None else DATA / "gtzan-mini"
SR = 22050

#: The librosa lines sk_genre's own kernels (HPSS masks, inverse STFT, rolloff, zero
#: crossings, block-wise MFCC and onset envelope, tempogram) reproduce bit for bit: they follow
#: librosa 0.11's operation order, which librosa 1.0 keeps (both run in .ci/run).
LIBROSA_BIT_IDENTICAL = ("0.11", "1.0")
LIBROSA_LINE = ".".join(metadata.version("librosa").split(".")[:2])
#: What sk_genre promises on any supported librosa (docs/features.md): 1e-4 relative.
LIBROSA_RTOL = 1e-4


def assert_equal_to_librosa(actual, desired, err_msg=""):
    """Bit-identical on the librosa lines replicated, else within 1e-4 relative.

    On a librosa line not in :data:`LIBROSA_BIT_IDENTICAL` (a later 1.x that
    changes an operation order) only the documented promise is checked: within
    1e-4 relative, elementwise, with an absolute floor of 1e-4 of the largest
    magnitude (silent frames, zeroed bins).
    """
    if LIBROSA_LINE in LIBROSA_BIT_IDENTICAL:
        np.testing.assert_array_equal(actual, desired, err_msg=err_msg)
    else:
        floor = LIBROSA_RTOL * float(np.abs(desired).max(initial=0.0))
        np.testing.assert_allclose(actual, desired, rtol=LIBROSA_RTOL, atol=floor, err_msg=err_msg)


def sine(freq=440.0, seconds=1.0, sr=SR, amplitude=0.5):
    """A float32 sine wave."""
    t = np.arange(int(seconds * sr)) / sr
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def music_like(seconds=2.0, sr=SR, seed=0):
    """Harmonics, clicks and noise: a waveform with texture in every MFCC band."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    y = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate([220, 330, 440, 880], 1))
    y += 0.1 * rng.standard_normal(t.size)
    y[:: sr // 4] += 1.0
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


def write_audio(path, y, sr=SR, subtype=None):
    """Write ``y`` (n_samples,) or (n_samples, n_channels) with soundfile; return the path."""
    sf.write(path, y, sr, subtype=subtype)
    return Path(path)


@pytest.fixture(scope="session")
def gtzan_mini():
    """The real GTZAN subset: paths, genres, stems and fault-filtered split, from manifest.csv."""
    if GTZAN_MINI is None or not (GTZAN_MINI / "manifest.csv").is_file():
        where = "(no ../shared/data beside the repository)" if DATA is None else f"at {GTZAN_MINI}"
        pytest.skip(
            f"real GTZAN audio not found {where} "
            "(set SK_GENRE_DATA to the folder that holds gtzan-mini/)"
        )
    manifest = GTZAN_MINI / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return Bunch(
        root=GTZAN_MINI,
        paths=[str(GTZAN_MINI / r["file"]) for r in rows],
        target=np.array([r["genre"] for r in rows], dtype=object),
        stems=np.array([r["stem"] for r in rows], dtype=object),
        ff_split=np.array([r["ff_split"] for r in rows], dtype=object),
    )


@pytest.fixture(scope="session")
def trained_model(gtzan_mini, tmp_path_factory):
    """Path of a pipeline trained with `sk-genre train` on gtzan-mini (once per session)."""
    from sk_genre.cli import main

    path = tmp_path_factory.mktemp("model") / "gtzan-mini.joblib"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # manifest.csv is skipped
        assert (
            main(
                ["train", str(gtzan_mini.root), "-o", str(path), "--random-state", "0", "--cv", "0"]
            )
            == 0
        )
    return path
