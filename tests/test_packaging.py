"""Packaging: ``python -m build`` makes an sdist and a wheel with the package data, and the wheel
installs into a fresh virtual environment and works from a directory outside the source tree.

The wheel is built from a clean copy of the tracked files (``git ls-files``), so nothing that
happens to lie in the working tree can leak into it. The fresh environment resolves sk_genre's
dependencies with pip like any user's ``pip install`` (from pip's cache when it has them).
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import sk_genre

from .conftest import GTZAN_MINI, REPO

PACKAGE_DATA = [
    "sk_genre/datasets/data/gtzan_features_30_sec.csv",
    "sk_genre/datasets/data/gtzan_ff_train.txt",
    "sk_genre/datasets/data/gtzan_ff_valid.txt",
    "sk_genre/pretrained/data/MSD_musicnn.npz",
    "sk_genre/pretrained/data/MTT_musicnn.npz",
    "sk_genre/pretrained/data/LICENSE-musicnn.md",
]


def _run(cmd, cwd, env=None, timeout=900):
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, cmd))} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    )
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """sdist and wheel built by ``python -m build`` from the tracked files."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout of sk_genre")
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    files = _run(["git", "ls-files", "-z"], cwd=REPO).stdout.split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp / "dist"
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(source)], cwd=tmp)
    version = sk_genre.__version__
    return {
        "sdist": out / f"sk_genre-{version}.tar.gz",
        "wheel": out / f"sk_genre-{version}-py3-none-any.whl",
        "tmp": tmp,
    }


def test_version_is_a_release_string():
    parts = sk_genre.__version__.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts), sk_genre.__version__


def test_install_docs_name_the_wheel_that_build_makes():
    """The documented install path is the one tested below (wheel into a fresh venv)."""
    wheel = f"dist/sk_genre-{sk_genre.__version__}-py3-none-any.whl"
    for page in (REPO / "README.md", REPO / "docs" / "getting-started.md"):
        text = page.read_text()
        assert f"pip install {wheel}" in text, page
        assert "python -m build --wheel" in text, page
        assert "not on the Python Package Index yet" in text, page


def test_wheel_and_sdist_hold_the_package_data(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"sk_genre-{sk_genre.__version__}.dist-info/METADATA").decode()
        entry_points = wheel.read(
            f"sk_genre-{sk_genre.__version__}.dist-info/entry_points.txt"
        ).decode()
    assert set(PACKAGE_DATA) <= names
    assert "sk_genre/models/_classifiers.py" in names
    assert not any(n.startswith(("tests/", "benchmarks/", "docs/")) for n in names)
    assert f"Version: {sk_genre.__version__}" in metadata
    assert "License-Expression: BSD-3-Clause AND ISC" in metadata
    assert f"sk_genre-{sk_genre.__version__}.dist-info/licenses/LICENSE" in names
    notice = "licenses/src/sk_genre/pretrained/data/LICENSE-musicnn.md"  # musicnn's ISC notice
    assert any(n.endswith(notice) for n in names)
    assert os.path.getsize(dist["wheel"]) < 20e6  # the two musicnn weight files are 3.2 MB each
    assert "sk-genre = sk_genre.cli:main" in entry_points

    with tarfile.open(dist["sdist"]) as sdist:
        members = {m.split("/", 1)[1] for m in sdist.getnames() if "/" in m}
    assert {f"src/{name}" for name in PACKAGE_DATA} <= members
    assert {"pyproject.toml", "README.md", "LICENSE", "CHANGELOG.md"} <= members


USE_OUTSIDE_THE_TREE = r"""
import json, sys
from pathlib import Path

import numpy as np
import sk_genre
from sk_genre import make_pipeline
from sk_genre.datasets import load_gtzan_features

sr = 22050
rng = np.random.default_rng(0)
t = np.arange(sr) / sr
clips, genres = [], []
for i in range(8):                       # two synthetic "genres": tones and noise bursts
    if i % 2:
        y = 0.3 * rng.standard_normal(sr)
        genres.append("noise")
    else:
        y = 0.3 * np.sin(2 * np.pi * (220 + 40 * i) * t)
        genres.append("tone")
    clips.append(y.astype(np.float32))

pipe = make_pipeline(features="mfcc", model="baseline", random_state=0, verbose=0)
pipe.set_params(model__epochs=30)
pipe.fit(clips, genres)
proba = pipe.predict_proba(clips)
gtzan = load_gtzan_features()
print(json.dumps({
    "file": sk_genre.__file__,
    "version": sk_genre.__version__,
    # no py.typed: the public API is not annotated, so the package must not claim PEP 561
    "typed": (Path(sk_genre.__file__).parent / "py.typed").is_file(),
    "predictions": list(pipe.predict(clips)),
    "accuracy": float(pipe.score(clips, genres)),
    "proba_rows_sum_to_one": bool(np.allclose(proba.sum(axis=1), 1, atol=1e-5)),
    "table_shape": list(gtzan.data.shape),
    "splits": sorted(set(gtzan.split)),
    "musicnn_pipeline": repr(make_pipeline(features="musicnn")),
    "musicnn_shape": list(make_pipeline(features="musicnn").steps[0][1].fit_transform(
        [clips[0][:16000 * 3]]).shape),
}))
"""


def test_wheel_installs_into_a_fresh_venv_and_works_outside_the_source_tree(dist):
    venv = dist["tmp"] / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], cwd=dist["tmp"])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", str(dist["wheel"])], cwd=dist["tmp"])

    outside = dist["tmp"] / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERAS_BACKEND")}
    env["MPLBACKEND"] = "Agg"
    result = _run([str(python), "-c", USE_OUTSIDE_THE_TREE], cwd=outside, env=env)
    report = json.loads(result.stdout.strip().splitlines()[-1])

    installed = Path(report["file"]).resolve()
    assert installed.is_relative_to(venv.resolve()), installed  # the wheel, not the source tree
    assert not installed.is_relative_to(REPO)
    assert report["version"] == sk_genre.__version__
    assert not report["typed"]
    assert report["table_shape"] == [1000, 57]
    assert "train" in report["splits"] and "valid" in report["splits"]
    assert set(report["predictions"]) <= {"tone", "noise"}
    assert report["proba_rows_sum_to_one"]
    assert report["accuracy"] >= 0.75  # tones and noise bursts are easy to tell apart

    assert "MusicnnEmbedding" in report["musicnn_pipeline"]  # weights load from the wheel
    assert report["musicnn_shape"] == [1, 200]

    cli = _run([str(venv / "bin" / "sk-genre"), "--version"], cwd=outside, env=env)
    assert cli.stdout.strip() == f"sk-genre {sk_genre.__version__}"
    # tags from the weights inside the wheel: a real track if the data is here, else a tone
    clip = GTZAN_MINI / "metal" / "metal.00000.ogg"
    if not clip.is_file():
        clip = outside / "tone.wav"
        sf.write(clip, 0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 16000), 16000)
    tagged = _run([str(venv / "bin" / "sk-genre"), "tag", str(clip)], cwd=outside, env=env)
    line = tagged.stdout.strip().splitlines()[-1]
    assert line.startswith(f"{clip}\t") and len(line.split("\t")[1].split(", ")) == 5, line
