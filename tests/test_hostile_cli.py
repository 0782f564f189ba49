"""The sk-genre command line under hostile input: outputs, model files, exit codes (issue 13).

Every case runs the real entry point in a subprocess on files built here from
gtzan-mini audio: a tiny genre folder (2 genres x 2 tracks of 3 s) trained
with ``--epochs 1``, crafted WAV headers, files that are not models.
"""

import os
import re
import resource
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sk_genre.cli import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    TRUST_NOTE,
)

from .conftest import GTZAN_MINI

pytestmark = pytest.mark.real_data

CLI = [sys.executable, "-m", "sk_genre.cli"]
GENRES = ("blues", "metal")


def sk_genre(*args, timeout=300, **kwargs):
    """Run ``sk-genre ARGS`` in a subprocess; return the CompletedProcess (text)."""
    return subprocess.run(
        [*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def error_lines(result):
    """The error lines written by sk-genre itself (not its warnings, not a library's log)."""
    return [
        line
        for line in result.stderr.splitlines()
        if line.startswith("sk-genre:") and not line.startswith("sk-genre: warning: ")
    ]


def assert_one_line_error(result, *fragments, status=EXIT_USAGE):
    __tracebackhide__ = True
    assert result.returncode == status, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    lines = error_lines(result)
    assert len(lines) == 1 and lines[0].startswith("sk-genre: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def wav_with_rate(path, source, rate):
    """Copy the WAV ``source`` with the sample-rate field (bytes 24-27) set to ``rate``."""
    data = bytearray(Path(source).read_bytes())
    assert data[:4] == b"RIFF" and data[12:16] == b"fmt "  # canonical header: rate at 24
    data[24:28] = struct.pack("<I", rate)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    """DATA/<genre>/<track>.wav: the first 3 s of two gtzan-mini tracks per genre."""
    if not GTZAN_MINI.is_dir():
        pytest.skip(f"real GTZAN audio not found at {GTZAN_MINI}")
    root = tmp_path_factory.mktemp("tiny") / "data"
    for genre in GENRES:
        (root / genre).mkdir(parents=True)
        for source in sorted((GTZAN_MINI / genre).glob("*.ogg"))[:2]:
            y, sr = sf.read(source, frames=3 * 22050, dtype="float32")
            sf.write(root / genre / f"{source.stem}.wav", y, sr, subtype="PCM_16")
    return root


@pytest.fixture(scope="module")
def tiny_model(tiny_data):
    """`sk-genre train` on the tiny folder: the CompletedProcess and the model's path.

    No grouped CV (``--cv 0``): these tests are about inputs and outputs, and
    tests/test_cli_train.py tests the CV.
    """
    model = tiny_data.parent / "models" / "tiny.joblib"  # the folder is created
    result = sk_genre("train", tiny_data, "-o", model, "--epochs", 1, "--cv", 0)
    assert result.returncode == EXIT_OK, result.stderr
    return result, model


def test_train_saves_after_the_fit_with_results_on_stdout_only(tiny_model):
    result, model = tiny_model
    saved, accuracy = result.stdout.splitlines()
    assert saved == f"saved the pipeline fitted on 4 track(s) to {model}"
    assert re.fullmatch(
        r"training accuracy [01]\.\d\d \(on the tracks it learned\); no cross-validation "
        r"\(--cv 0\)",
        accuracy,
    ), accuracy
    assert "4 audio file(s) found in 2 genres: blues, metal" in result.stderr
    # the rename keeps the mode a plain open() gives, not mkstemp's private 0o600
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(model.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in model.parent.iterdir()] == [model.name]  # no temporary file


# ------------------------------------------------------------------ outputs (item 3)


@pytest.mark.parametrize("target", ["own track", "directory", "under a file", "/dev/full"])
def test_train_refuses_a_bad_output_before_training(tiny_data, tmp_path, target):
    track = tiny_data / "blues" / sorted(os.listdir(tiny_data / "blues"))[0]
    before = track.read_bytes()
    (tmp_path / "a_file").write_text("x")
    output, fragment = {
        "own track": (track, "must not be one of the input files"),
        "directory": (tmp_path, "must be a file path; got the directory"),
        "under a file": (tmp_path / "a_file" / "model.joblib", "under the file"),
        "/dev/full": (Path("/dev/full"), "must be a regular file"),
    }[target]
    if target == "/dev/full" and not output.exists():
        pytest.skip("no /dev/full here")
    result = sk_genre("train", tiny_data, "-o", output)
    assert_one_line_error(result, fragment, str(output))
    assert "training" not in result.stderr  # refused before the fit, not after it
    assert track.read_bytes() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_train_refuses_a_read_only_folder(tiny_data, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = sk_genre("train", tiny_data, "-o", folder / "m.joblib")
    finally:
        folder.chmod(0o700)
    assert_one_line_error(result, "permission denied", str(folder))


def _limit_file_size():
    """In the child: files may not grow past 50 kB; the write fails with EFBIG, no signal."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))


def test_train_on_a_full_disk_keeps_the_old_model(tiny_data, tiny_model, tmp_path):
    _, model = tiny_model
    old = tmp_path / "old.joblib"
    old.write_bytes(model.read_bytes())  # ~200 kB: the new pickle cannot be written
    result = sk_genre(
        "train", tiny_data, "-o", old, "--epochs", 1, "--cv", 0, preexec_fn=_limit_file_size
    )
    assert_one_line_error(result, f"cannot write the model to {str(old)!r}", "File too large")
    assert old.read_bytes() == model.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.joblib"]  # no partial file


@pytest.mark.slow  # a subprocess that loads Keras: keeps the default run short
def test_train_interrupted_exits_130_and_keeps_the_old_model(tiny_data, tiny_model, tmp_path):
    _, model = tiny_model
    old = tmp_path / "old.joblib"
    old.write_bytes(model.read_bytes())
    temp = tmp_path / "tmp"  # where the run's temporary feature cache goes
    temp.mkdir()
    proc = subprocess.Popen(
        [*CLI, "train", str(tiny_data), "-o", str(old), "--epochs", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )
    line = proc.stderr.readline()  # "training ... found ..." comes before the fit
    assert line.startswith("training"), line
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED, repr(err)
    assert "Traceback" not in err and "sk-genre: interrupted" in err, err
    assert out == ""
    assert old.read_bytes() == model.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.joblib", "tmp"]
    assert list(temp.iterdir()) == []  # the feature cache is removed too


def test_demo_and_evaluate_check_their_outputs_first(tiny_model, tiny_data, tmp_path):
    _, model = tiny_model
    result = sk_genre("demo", "--save", tmp_path)
    assert_one_line_error(result, "got the directory", str(tmp_path))
    a_file = tmp_path / "plots"
    a_file.write_text("not a folder")
    result = sk_genre("evaluate", model, tiny_data, "--plots", a_file)
    assert_one_line_error(result, "--plots must be a folder", str(a_file))
    assert result.stdout == ""  # nothing was evaluated


# ------------------------------------------------------------ model files (items 7, 13)


def _bad_models(folder, model, wav):
    (folder / "empty.joblib").write_bytes(b"")
    (folder / "notes.joblib").write_text("not a model\n")
    (folder / "model.keras").write_bytes(b"PK\x03\x04" + bytes(60))
    (folder / "truncated.joblib").write_bytes(model.read_bytes()[:5000])
    (folder / "a_dir.joblib").mkdir()
    return {
        "audio": (wav, "it is an audio file, not a pickle"),
        "empty": (folder / "empty.joblib", "the file is empty (0 bytes)"),
        "text": (folder / "notes.joblib", "it is a text file (it starts with 'not a model')"),
        "zip": (folder / "model.keras", "it is a zip archive (a Keras .keras file?), not a pickle"),
        "truncated": (folder / "truncated.joblib", "cannot be unpickled"),
        "directory": (folder / "a_dir.joblib", "it is a directory"),
        "missing": (folder / "missing.joblib", "MODEL must be an existing file"),
    }


@pytest.mark.parametrize(
    "kind",
    [
        "audio",
        "empty",
        "text",
        pytest.param("zip", marks=pytest.mark.slow),
        "truncated",
        pytest.param("directory", marks=pytest.mark.slow),
        "missing",
    ],
)
def test_predict_with_a_file_that_is_not_a_model(tiny_model, tiny_data, kind, tmp_path):
    _, model = tiny_model
    wav = next((tiny_data / "blues").iterdir())
    path, fragment = _bad_models(tmp_path, model, wav)[kind]
    result = sk_genre("predict", path, next((tiny_data / "metal").iterdir()))
    assert_one_line_error(result, fragment, str(path))
    if kind != "missing":
        assert "MODEL must be a model file saved by 'sk-genre train'" in result.stderr
    assert result.stdout == ""


def test_model_trust_rule_in_help_and_a_crafted_pickle_is_refused(tiny_data, tmp_path):
    """A pickle runs code when loaded: --help says so; the CLI then refuses the object."""
    for command in ("predict", "evaluate"):
        help_text = " ".join(sk_genre(command, "--help").stdout.split())
        assert TRUST_NOTE in help_text
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.joblib"
    script = f"""
        import os, pickle
        class Payload:
            def __reduce__(self):
                return os.system, ({f"touch {marker}"!r},)
        with open({str(evil)!r}, "wb") as f:
            pickle.dump(Payload(), f)
    """
    subprocess.run([sys.executable, "-c", textwrap.dedent(script)], check=True)
    result = sk_genre("predict", evil, next((tiny_data / "metal").iterdir()))
    assert_one_line_error(result, "not a fitted classifier", str(evil))
    # the payload did run (marker exists): the trust rule is the protection, not the check
    assert marker.exists()


# ----------------------------------------------------- per-file failures (items 2, 5)


def test_predict_survives_crafted_sample_rates(tiny_model, tiny_data, tmp_path):
    _, model = tiny_model
    good = next((tiny_data / "metal").iterdir())
    rate0 = wav_with_rate(tmp_path / "rate0.wav", good, 0)
    rate1 = wav_with_rate(tmp_path / "rate1.wav", good, 1)
    result = sk_genre("predict", model, rate0, rate1, good, "--top", 2)
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "Traceback" not in result.stderr
    path, genre, ranked = result.stdout.strip().split("\t")
    assert path == str(good) and genre in GENRES and ranked.startswith(f"({genre} 0.")
    for bad in (rate0, rate1):
        assert re.search(rf"^{re.escape(str(bad))}\terror: \S", result.stderr, re.M)
    assert "sk-genre: 2 of 3 file(s) could not be read" in result.stderr


@pytest.mark.slow  # a subprocess that loads Keras: keeps the default run short
def test_predict_with_no_readable_file_exits_2(tiny_model, tmp_path):
    _, model = tiny_model
    junk = tmp_path / "junk.wav"
    junk.write_bytes(np.random.default_rng(0).bytes(4000))
    result = sk_genre("predict", model, junk, tmp_path / "missing.wav")
    assert result.returncode == EXIT_USAGE and result.stdout == "", result.stderr
    assert f"{junk}\terror:" in result.stderr
    assert "2 of 2 file(s) could not be read" in result.stderr


def test_evaluate_with_no_decodable_file_exits_2(tiny_model, tiny_data, tmp_path):
    _, model = tiny_model
    good = next((tiny_data / "metal").iterdir())
    for genre in GENRES:
        (tmp_path / genre).mkdir()
        (tmp_path / genre / "junk.wav").write_bytes(b"RIFF" + bytes(40))
    wav_with_rate(tmp_path / "metal" / "rate0.wav", good, 0)
    result = sk_genre("evaluate", model, tmp_path)
    assert result.returncode == EXIT_USAGE, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert error_lines(result)[-1].startswith("sk-genre: error: "), result.stderr


@pytest.mark.slow  # a subprocess that loads Keras: keeps the default run short
def test_evaluate_error_lines_never_share_a_line_with_the_progress_bar(
    tiny_model, tiny_data, tmp_path
):
    _, model = tiny_model
    data = tmp_path / "data"
    data.mkdir()
    for genre in GENRES:
        (data / genre).symlink_to(tiny_data / genre)
    (data / "rock").mkdir()
    bad = wav_with_rate(data / "rock" / "rate0.wav", next((tiny_data / "metal").iterdir()), 0)
    result = sk_genre("evaluate", model, data)
    assert result.returncode == EXIT_PARTIAL, result.stderr
    assert "\r" not in result.stdout and "\terror:" not in result.stdout
    assert "5 tracks from" in result.stdout or "4 tracks from" in result.stdout
    # the bar redraws with \r: each error line must be a whole segment of its own
    segments = re.split(r"[\r\n]", result.stderr)
    error = next(s for s in segments if s.startswith(f"{bad}\terror: "))
    assert "predicting" not in error and "%|" not in error


# ------------------------------------------------------------ internal errors (item 5)


@pytest.fixture()
def broken_model(tmp_path):
    """A pickled object that looks like a classifier but whose classes_ cannot be indexed."""
    (tmp_path / "broken_model.py").write_text(
        textwrap.dedent(
            """
            class Broken:
                classes_ = 3  # predict indexes it: TypeError, an sk-genre bug

                def predict_proba(self, X):
                    import numpy as np

                    return np.full((len(X), 2), 0.5)
            """
        )
    )
    script = "import joblib, broken_model; joblib.dump(broken_model.Broken(), 'broken.joblib')"
    subprocess.run([sys.executable, "-c", script], cwd=tmp_path, check=True)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    env.pop("SK_GENRE_DEBUG", None)
    return tmp_path / "broken.joblib", env


def test_an_unexpected_exception_is_an_internal_error(broken_model, tiny_data):
    model, env = broken_model
    track = next((tiny_data / "metal").iterdir())
    result = sk_genre("predict", model, track, env=env)
    assert result.returncode == EXIT_INTERNAL, result.stderr
    assert "Traceback" not in result.stderr
    lines = error_lines(result)
    assert lines[0].startswith("sk-genre: internal error: TypeError: "), result.stderr
    assert "please report it" in lines[1] and "--debug" in lines[1]
    debug = sk_genre("--debug", "predict", model, track, env=env)
    assert debug.returncode == EXIT_INTERNAL and "Traceback" in debug.stderr
