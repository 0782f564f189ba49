"""`sk-genre train`: grouped-CV estimate, --groups, --memory, small-data warning, --quiet.

The commands run in this process (:func:`sk_genre.cli.main`) on small folders of
synthetic WAV files with artist tags (ID3 chunks, as mutagen writes them) and,
for the documented command, on the real gtzan-mini.
"""

import re
import tempfile

import joblib
import mutagen.id3
import mutagen.wave
import pytest

from sk_genre.cli import EXIT_OK, EXIT_USAGE, main

from .conftest import music_like, write_audio

#: The grouped-CV part of the line `train` prints after saving the model.
CV_LINE = re.compile(
    r"^training accuracy (?P<train>\d\.\d\d) \(on the tracks it learned\); "
    r"grouped (?P<k>\d+)-fold CV accuracy (?P<mean>\d\.\d\d) ± (?P<std>\d\.\d\d) "
    r"\((?P<word>\w+) groups held out: (?P<why>.*)\)$",
    re.MULTILINE,
)

#: genre -> artist of each track: "ambient" has 10 tracks but 2 artists, "noise" 10 tracks
#: by 3 artists (enough of both), "tones" 3 tracks (too few) by 3 artists.
ARTISTS = {
    "ambient": ["Aa"] * 5 + ["Ab"] * 5,
    "noise": ["Na"] * 4 + ["Nb"] * 3 + ["Nc"] * 3,
    "tones": ["Ta", "Tb", "Tc"],
}


def _tag(path, artist):
    wave = mutagen.wave.WAVE(path)
    wave.add_tags()
    wave.tags.add(mutagen.id3.TPE1(encoding=3, text=[artist]))
    wave.save()


@pytest.fixture(scope="module")
def tagged(tmp_path_factory):
    """DATA/<genre>/<k>.wav, 0.5 s each, tagged with the artists of :data:`ARTISTS`."""
    root = tmp_path_factory.mktemp("tagged") / "data"
    for g, (genre, artists) in enumerate(ARTISTS.items()):
        (root / genre).mkdir(parents=True)
        for k, artist in enumerate(artists):
            path = write_audio(root / genre / f"{genre}.{k:05d}.wav", music_like(0.5, seed=g))
            _tag(path, artist)
    return root


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """This test's folder for the temporary files `train` makes (its feature cache)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _train(capsys, *argv):
    status = main(["train", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def _warning(err, start):
    lines = [line for line in err.splitlines() if line.startswith(f"sk-genre: warning: {start}")]
    assert len(lines) == 1, err
    return lines[0]


def test_grouped_cv_by_artist_and_the_small_data_warning(tagged, tmp_path, capsys, private_tmp):
    model = tmp_path / "m.joblib"
    status, out, err = _train(capsys, tagged, "-o", model, "--epochs", 1, "--cv", 10)
    assert status == EXIT_OK, err
    saved, line = out.splitlines()
    assert saved == f"saved the pipeline fitted on 23 track(s) to {model}"
    cv = CV_LINE.match(line)
    assert cv, line
    assert cv["k"] == "8" and cv["word"] == "artist"  # one fold per artist at most
    assert cv["why"] == "what to expect on new artists; 8 folds, not 10: only 8 groups"
    assert 0 <= float(cv["train"]) <= 1 and 0 <= float(cv["mean"]) <= 1
    assert "cross-validating: 8 more fits, each holding out 1/8 of the 8 artist groups" in err
    # the genres short of 10 tracks or of 3 artists are named with their counts; not "noise"
    warning = _warning(err, "little data")
    assert "2 of 3 genre(s) have fewer than 10 tracks or fewer than 3 artist groups" in warning
    assert "ambient (10 tracks, 2 artist groups), tones (3 tracks, 3 artist groups);" in warning
    assert "noise" not in warning and "grouped CV accuracy is unreliable" in warning
    # the temporary feature cache is gone, and the model does not point to it
    assert list(private_tmp.iterdir()) == []
    assert joblib.load(model).named_steps["features"].memory is None


def test_groups_file_and_quiet(tagged, tmp_path, capsys):
    model = tmp_path / "m.joblib"
    argv = [tagged, "-o", model, "--epochs", 1, "--cv", 2, "--groups", "file", "--quiet"]
    status, out, err = _train(capsys, *argv)
    assert status == EXIT_OK, err
    cv = CV_LINE.match(out.splitlines()[1])
    assert cv and cv["k"] == "2" and cv["word"] == "file", out
    assert cv["why"] == "what to expect on new tracks, by artists it may have heard"
    # quiet: no info line, no progress bar; the warning stays, now counting files: with one
    # group per file only "tones" is short (3 tracks)
    assert "training" not in err and "cross-validating" not in err and "%|" not in err, err
    assert err.splitlines() == [
        "sk-genre: warning: little data: 1 of 3 genre(s) have fewer than 10 tracks or fewer "
        "than 3 file groups: tones (3 tracks, 3 file groups); the grouped CV accuracy is "
        "unreliable (few held-out tracks per genre: it can change a lot with --random-state)"
    ]


def test_untagged_files_fewer_groups_than_folds(tmp_path, capsys):
    """Without tags every file is its own group (one warning); 2 tracks a genre: 2 folds."""
    root = tmp_path / "data"
    for g, genre in enumerate(("blues", "metal")):
        (root / genre).mkdir(parents=True)
        for k in range(2):
            write_audio(root / genre / f"{genre}.{k:05d}.wav", music_like(0.5, seed=g))
    status, out, err = _train(capsys, root, "-o", tmp_path / "m.joblib", "--epochs", 1)
    assert status == EXIT_OK, err
    cv = CV_LINE.match(out.splitlines()[1])
    assert cv and cv["k"] == "2" and cv["word"] == "file", out
    assert cv["why"] == (  # StratifiedGroupKFold needs a genre with a track in each fold
        "no artist tags, so what to expect on new tracks, by artists it may have heard; "
        "2 folds, not 5: the largest genre has 2 tracks"
    )
    assert "4 of 4 file(s) have no artist tag" in _warning(err, "load_audio_folder")
    # the loader's warning comes after the 'training ...' line, the small-data one after it
    lines = err.splitlines()
    assert lines[0].startswith("training 'DenseClassifier' on mfcc features: 4 audio file(s)")
    assert lines[1].startswith("sk-genre: warning: load_audio_folder(groups='artist')")
    assert lines[2].startswith("sk-genre: warning: little data: 2 of 2 genre(s)")


def test_cv_0_and_memory_kept_as_an_absolute_path(tagged, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = _train(
        capsys, tagged, "-o", "m.joblib", "--epochs", 1, "--cv", 0, "--memory", "cache"
    )
    assert status == EXIT_OK, err
    assert re.fullmatch(
        r"training accuracy [01]\.\d\d \(on the tracks it learned\); no cross-validation "
        r"\(--cv 0\)",
        out.splitlines()[1],
    ), out
    assert "cross-validating" not in err
    assert "a model trained on so few tracks is unreliable" in _warning(err, "little data")
    features = joblib.load(tmp_path / "m.joblib").named_steps["features"]
    assert features.memory == str(tmp_path / "cache")  # absolute: works from any folder
    assert any((tmp_path / "cache").rglob("output.pkl"))  # the per-clip results are there


@pytest.mark.parametrize(
    "option, message",
    [
        (["--cv", "1"], "--cv must be 0 (no cross-validation) or at least 2; got 1"),
        (["--cv", "-2"], "--cv must be 0 (no cross-validation) or at least 2; got -2"),
        (["--memory", "m.joblib"], "--memory must be a folder; got the file 'm.joblib'"),
    ],
)
def test_bad_options_are_usage_errors(option, message, tagged, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.joblib").write_bytes(b"old")
    status, out, err = _train(capsys, tagged, "-o", "m.joblib", *option)
    assert status == EXIT_USAGE and out == ""
    assert err.splitlines() == [f"sk-genre: error: {message}"]
    assert (tmp_path / "m.joblib").read_bytes() == b"old"


@pytest.mark.real_data
def test_documented_train_on_gtzan_mini(gtzan_mini, tmp_path, capsys):
    """The command of docs/cli.md, with small settings: the grouped-CV line is a number."""
    model = tmp_path / "mfcc.joblib"
    status, out, err = _train(capsys, gtzan_mini.root, "-o", model, "--epochs", 3, "--cv", 2)
    assert status == EXIT_OK, err
    saved, line = out.splitlines()
    assert saved == f"saved the pipeline fitted on 59 track(s) to {model}"
    cv = CV_LINE.match(line)
    assert cv and cv["k"] == "2", line
    assert 0 <= float(cv["mean"]) <= 1 and 0 <= float(cv["std"]) <= 0.5
    # GTZAN's files carry no artist tags: said, and the estimate is not called one for new
    # artists
    assert cv["word"] == "file" and cv["why"].startswith("no artist tags"), line
    assert "59 of 59 file(s) have no artist tag" in err
    warning = _warning(err, "little data")
    assert "10 of 10 genre(s)" in warning and "hiphop (3 tracks, 3 file groups)" in warning
