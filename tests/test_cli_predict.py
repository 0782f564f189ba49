"""`sk-genre predict` batched over files and folders, its output formats, `evaluate --format json`.

Every case runs the real command (:func:`sk_genre.cli.main`, in this process, so
Keras is loaded once) with the model `sk-genre train` fitted on gtzan-mini
(the session's ``trained_model``), on real gtzan-mini tracks and on files
derived from them here (bad files, resampled and stereo copies).
"""

import contextlib
import csv
import io
import json
import os
import re

import joblib
import numpy as np
import pytest
import soundfile as sf

from sk_genre.cli import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, main

pytestmark = pytest.mark.real_data


def run(*argv):
    """``sk-genre ARGV`` in this process: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def segments(stderr):
    """stderr cut at every carriage return and newline (a progress bar redraws with \\r)."""
    return re.split(r"[\r\n]", stderr)


def jsonl(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def proba_of(obj, classes):
    return np.array([obj["probabilities"][c] for c in classes])


@pytest.fixture(scope="module")
def model(trained_model):
    """The trained pipeline, loaded here (as saved: its feature step raises on bad files)."""
    return joblib.load(trained_model)


@pytest.fixture(scope="module")
def classes(model):
    return [str(c) for c in model.classes_]


@pytest.fixture(scope="module")
def folder_run(trained_model, gtzan_mini):
    """`predict MODEL gtzan-mini/ --format jsonl` in uneven batches of 7, 2 extraction jobs."""
    return run(
        "predict",
        trained_model,
        gtzan_mini.root,
        "--format",
        "jsonl",
        "--batch-size",
        7,
        "--n-jobs",
        2,
    )


@pytest.fixture(scope="module")
def folder_proba(folder_run, classes):
    """Track file name -> the probabilities printed by ``folder_run``."""
    return {os.path.basename(obj["path"]): proba_of(obj, classes) for obj in jsonl(folder_run[1])}


def link_tracks(gtzan_mini, dst, genres):
    """DST/<genre>/<track>.ogg symlinks to the gtzan-mini tracks of ``genres``; their paths."""
    paths = []
    for genre in genres:
        (dst / genre).mkdir(parents=True)
        for source in sorted((gtzan_mini.root / genre).glob("*.ogg")):
            (dst / genre / source.name).symlink_to(source)
            paths.append(str(dst / genre / source.name))
    return paths


# ------------------------------------------------------------ folders, batches, one bar


def test_folder_gives_one_json_object_per_track(folder_run, gtzan_mini, classes):
    status, out, _ = folder_run
    assert status == EXIT_OK
    objects = jsonl(out)
    assert len(out.splitlines()) == len(objects) == 59
    # the folder is searched recursively (genre sub-folders), manifest.csv is not audio
    assert [o["path"] for o in objects] == sorted(gtzan_mini.paths)
    for obj in objects:
        assert set(obj) == {"path", "genre", "probabilities", "top_k"}
        assert list(obj["probabilities"]) == classes
        proba = proba_of(obj, classes)
        assert proba.sum() == pytest.approx(1.0, abs=1e-5)
        assert obj["genre"] == classes[int(np.argmax(proba))]
        ranked = obj["top_k"]
        assert len(ranked) == 3 and ranked[0][0] == obj["genre"]
        assert [p for _, p in ranked] == sorted(proba, reverse=True)[:3]
        assert all(obj["probabilities"][g] == p for g, p in ranked)


def test_one_progress_bar_over_all_files(folder_run):
    _, out, err = folder_run
    assert "\r" not in out
    bars = [s for s in segments(err) if "file/s" in s or "s/file" in s]
    totals = {re.search(r"\b(\d+)/(\d+)\b", s).group(2) for s in bars}
    assert totals == {"59"}, bars  # one bar over the 59 files, not one per file (".../1")
    assert sum(" 0/59 " in s for s in bars) == 1, bars  # drawn from zero once: one bar
    assert any(" 59/59 " in s for s in bars), bars
    assert "MFCCTransformer" not in err  # the feature step's own bar is off
    assert "\terror:" not in err


def test_quiet_draws_no_bar(trained_model, gtzan_mini):
    status, out, err = run(
        "predict", trained_model, gtzan_mini.root / "hiphop", "--quiet", "--format", "csv"
    )
    assert status == EXIT_OK and err == ""
    assert len(out.splitlines()) == 1 + 3  # header and the 3 hiphop tracks


def test_batched_answers_equal_predict_proba(folder_proba, model, gtzan_mini):
    """Batches of 7 over 2 extraction jobs answer what one predict_proba over all gives."""
    paths = sorted(gtzan_mini.paths)
    expected = model.predict_proba(paths)
    printed = np.array([folder_proba[os.path.basename(p)] for p in paths])
    # the same features and network; only the batch size differs (float32 network)
    np.testing.assert_allclose(printed, expected, rtol=1e-6, atol=1e-9)


# ------------------------------------------------------------------------- bad files


def test_bad_files_are_reported_and_the_batch_is_kept(
    trained_model, gtzan_mini, folder_proba, classes, tmp_path
):
    data = tmp_path / "data"
    good = link_tracks(gtzan_mini, data, ["classical", "hiphop"])  # 4 + 3 tracks
    empty = data / "classical" / "empty.wav"
    empty.write_bytes(b"")
    text = data / "hiphop" / "notes.ogg"
    text.write_text("not audio\n")
    status, out, err = run("predict", trained_model, data, "--format", "jsonl")
    assert status == EXIT_PARTIAL
    objects = jsonl(out)
    assert [o["path"] for o in objects] == good  # in order, bad ones never printed
    # the bad files share the good ones' batch: their answers are unchanged
    for obj in objects:
        expected = folder_proba[os.path.basename(obj["path"])]
        np.testing.assert_allclose(proba_of(obj, classes), expected, rtol=1e-6, atol=1e-9)
    for bad, reason in ((empty, "file is empty (0 bytes)"), (text, "not a decodable audio file")):
        lines = [s for s in segments(err) if s.startswith(f"{bad}\t")]
        assert len(lines) == 1 and lines[0].startswith(f"{bad}\terror: {reason}"), err
    assert "sk-genre: 2 of 9 file(s) could not be read" in err


def test_no_readable_file_exits_2_and_keeps_the_output_file(trained_model, tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "notes.ogg").write_text("not audio\n")
    output = tmp_path / "genres.csv"
    output.write_text("old results\n")
    status, out, err = run(
        "predict", trained_model, tmp_path / "empty.wav", tmp_path / "notes.ogg", "-o", output
    )
    assert status == EXIT_USAGE and out == ""
    assert "2 of 2 file(s) could not be read" in err
    assert output.read_text() == "old results\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.wav", "genres.csv", "notes.ogg"]


def test_a_folder_without_audio_is_an_error_line(trained_model, gtzan_mini, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "README.txt").write_text("no audio here\n")
    track = gtzan_mini.root / "jazz" / "jazz.00000.ogg"
    status, out, err = run("predict", trained_model, tmp_path / "docs", track, "-q")
    assert status == EXIT_PARTIAL
    assert len(out.splitlines()) == 1 and out.startswith(f"{track}\t")
    assert f"{tmp_path / 'docs'}\terror: no audio file (" in err


# --------------------------------------------------------------------------- formats


def test_csv_has_a_header_and_every_probability(trained_model, gtzan_mini, folder_proba, classes):
    status, out, _ = run(
        "predict", trained_model, gtzan_mini.root / "classical", "--format", "csv", "-q"
    )
    assert status == EXIT_OK
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["path", "genre", *classes]
    assert len(rows) == 1 + 4
    for path, genre, *values in rows[1:]:
        proba = np.array([float(v) for v in values])
        assert genre == classes[int(np.argmax(proba))]
        # full precision, not the table's 2 decimals
        expected = folder_proba[os.path.basename(path)]
        np.testing.assert_allclose(proba, expected, rtol=1e-6, atol=1e-9)


def test_json_is_one_array_and_output_goes_to_the_file(
    trained_model, gtzan_mini, folder_proba, classes, tmp_path
):
    tracks = [gtzan_mini.root / "metal" / "metal.00000.ogg", gtzan_mini.root / "pop"]
    status, out, _ = run("predict", trained_model, *tracks, "--format", "json", "-q")
    assert status == EXIT_OK
    objects = json.loads(out)
    n_pop = len(list((gtzan_mini.root / "pop").glob("*.ogg")))
    assert isinstance(objects, list) and len(objects) == 1 + n_pop  # a file and a folder
    output = tmp_path / "results" / "genres.json"  # the folder is created
    status, out, err = run(
        "predict", trained_model, *tracks, "--format", "json", "--output", output, "-q"
    )
    assert status == EXIT_OK and out == ""
    assert f"wrote {1 + n_pop} result(s) to {output}" in err
    assert json.loads(output.read_text(encoding="utf-8")) == objects
    assert [p.name for p in output.parent.iterdir()] == ["genres.json"]  # no temporary file
    for obj in objects:
        expected = folder_proba[os.path.basename(obj["path"])]
        np.testing.assert_allclose(proba_of(obj, classes), expected, rtol=1e-6, atol=1e-9)


def test_output_is_never_an_input(trained_model, gtzan_mini):
    track = gtzan_mini.root / "jazz" / "jazz.00000.ogg"
    before = track.read_bytes()
    status, out, err = run("predict", trained_model, track, "-o", track)
    assert status == EXIT_USAGE and out == ""
    assert "must not be one of the input files" in err
    assert track.read_bytes() == before


@pytest.mark.parametrize("value", ["0", "-1"])
@pytest.mark.parametrize("option", ["--top-k", "--top"])
def test_top_k_below_one_is_a_usage_error(trained_model, gtzan_mini, option, value):
    track = gtzan_mini.root / "jazz" / "jazz.00000.ogg"
    status, out, err = run("predict", trained_model, track, option, value)
    assert status == EXIT_USAGE and out == ""
    assert err.strip() == f"sk-genre: error: --top-k must be at least 1; got {value}"


def test_top_k_is_clipped_to_the_number_of_genres(trained_model, gtzan_mini, classes):
    track = gtzan_mini.root / "jazz" / "jazz.00000.ogg"
    status, out, _ = run("predict", trained_model, track, "--top-k", 100, "--format", "jsonl")
    assert status == EXIT_OK
    (obj,) = jsonl(out)
    assert sorted(g for g, _ in obj["top_k"]) == sorted(classes)  # all 10, each once
    status, out, _ = run("predict", trained_model, track, "--top", 1, "-q")
    path, genre, ranked = out.rstrip("\n").split("\t")
    assert path == str(track) and re.fullmatch(rf"\({genre} \d\.\d\d\)", ranked)


# -------------------------------------------------------------------------- evaluate


def test_evaluate_writes_its_report_as_json(trained_model, gtzan_mini, classes, tmp_path):
    data = tmp_path / "data"
    link_tracks(gtzan_mini, data, ["classical", "hiphop", "metal"])
    (data / "metal" / "broken.ogg").write_text("not audio\n")
    output = tmp_path / "report.json"
    status, out, err = run("evaluate", trained_model, data, "--format", "json", "-o", output)
    assert status == EXIT_PARTIAL and out == ""
    assert f"{data / 'metal' / 'broken.ogg'}\terror: " in err
    report = json.loads(output.read_text(encoding="utf-8"))
    n_tracks = 4 + 3 + len(list((gtzan_mini.root / "metal").glob("*.ogg")))
    assert report["n_tracks"] == n_tracks and report["n_unreadable"] == 1
    assert list(report["unreadable"]) == [str(data / "metal" / "broken.ogg")]
    matrix = np.array(report["confusion_matrix"]["matrix"])
    assert report["confusion_matrix"]["labels"] == classes  # the model's and the folder's
    assert matrix.shape == (10, 10) and matrix.sum() == n_tracks
    assert report["accuracy"] == pytest.approx(np.trace(matrix) / n_tracks)
    per_genre = report["classification_report"]
    assert report["accuracy"] == pytest.approx(per_genre["accuracy"])
    for i, genre in enumerate(classes):
        assert per_genre[genre]["support"] == matrix[i].sum()
        assert set(per_genre[genre]) == {"precision", "recall", "f1-score", "support"}
    # JSON on stdout is the same report
    status, out, _ = run("evaluate", trained_model, data, "--format", "json", "-q")
    assert status == EXIT_PARTIAL and json.loads(out) == report


# -------------------------------------------------------------------------- timeline


def test_timeline_formats(trained_model, gtzan_mini, classes):
    pytest.importorskip("sk_genre.timeline")
    track = str(gtzan_mini.root / "jazz" / "jazz.00000.ogg")
    common = ("predict", trained_model, track, "--timeline", "--window", 10, "-q")
    status, out, _ = run(*common)
    assert status == EXIT_OK
    track_line, *window_lines = out.splitlines()
    assert track_line.split("\t")[:2] == [track, "jazz"]
    # 10-s windows every 5 s over the 30.01-s clip (the 0.01-s tail gets no window of its own)
    fields = [line.split("\t") for line in window_lines]
    assert [f[1:3] for f in fields] == [
        ["0.00", "10.00"],
        ["5.00", "15.00"],
        ["10.00", "20.00"],
        ["15.00", "25.00"],
        ["20.00", "30.00"],
    ]
    status, out, _ = run(*common, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["path", "start", "end", "genre", *classes]
    assert rows[1][:4] == [track, "", "", "jazz"]  # the track's row first
    assert [float(r[1]) for r in rows[2:]] == pytest.approx([0, 5, 10, 15, 20], abs=1e-3)
    csv_proba = np.array([[float(v) for v in r[4:]] for r in rows[2:]])
    status, out, _ = run(*common, "--format", "json", "--smoothing", "median")
    (obj,) = json.loads(out)
    assert set(obj) == {"path", "genre", "probabilities", "top_k", "windows"}
    windows = obj["windows"]
    assert len(windows) == 5
    assert set(windows[0]) == {"start", "end", "genre", "probabilities"}
    # median over 5 windows (edges repeated), each genre's column, rows renormalised
    smoothed = np.median(
        np.pad(csv_proba, ((2, 2), (0, 0)), mode="edge")[np.arange(5)[:, None] + np.arange(5)],
        axis=1,
    )
    smoothed /= smoothed.sum(axis=1, keepdims=True)
    got = np.array([proba_of(w, classes) for w in windows])
    np.testing.assert_allclose(got, smoothed, rtol=1e-6, atol=1e-9)
    # the track's answer is the mean of the unsmoothed windows
    np.testing.assert_allclose(proba_of(obj, classes), csv_proba.mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--window", "10"], "--window must be used with --timeline"),
        (["--timeline", "--smoothing", "median", "--smoothing-width", "4"], "an odd number"),
        (["--timeline", "--window", "-3"], "--window must be a positive number of seconds"),
    ],
)
def test_timeline_options_are_checked_first(trained_model, gtzan_mini, options, message):
    track = gtzan_mini.root / "jazz" / "jazz.00000.ogg"
    status, out, err = run("predict", trained_model, track, *options)
    assert status == EXIT_USAGE and out == "" and message in err


#: gtzan-mini tracks for the resampling check: bright (metal, disco), dark (classical), beats.
RESAMPLED_TRACKS = (
    "metal/metal.00000.ogg",
    "classical/classical.00000.ogg",
    "disco/disco.00000.ogg",
)


def test_timeline_is_the_same_at_44100_hz_stereo_mp3_and_48000_hz_wav(
    trained_model, gtzan_mini, classes, tmp_path
):
    """Issue 15 item 5: other rates and stereo give the windows of the 22050-Hz mono file.

    Each reference is a gtzan-mini track band-limited to 9 kHz (resampled to
    18 kHz and back) and written as a 22050-Hz mono float WAV; from it come a
    44.1-kHz stereo MP3 and 48-kHz stereo (16-bit) and mono (float) WAVs, both
    channels the same. Band-limiting makes the three hold the same audio: a
    plain round trip 22050 -> 48000 -> 22050 Hz already removes the
    10.5-11 kHz band (soxr's anti-aliasing transition), which moves this
    MFCC model's window probabilities by up to 0.44 on metal. Measured with
    the reference band-limited: the WAVs within 8e-4 of it (resampling
    round trips are not bit-identical), the MP3 within 0.011 (lossy). The
    bounds, 0.01 and 0.05, leave that margin and are far below what a wrong
    rate or channel layout does (a 48-kHz file read as 22050 Hz is 2.2 times
    longer: 12 windows instead of 5).
    """
    pytest.importorskip("sk_genre.timeline")
    if "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile cannot write MP3 (needs libsndfile >= 1.1 with LAME)")
    import soxr

    from sk_genre.io import load_audio

    files = {}
    for track in RESAMPLED_TRACKS:
        stem = track.split("/")[1].removesuffix(".ogg")
        y = load_audio(gtzan_mini.root / track, sr=22050)
        low = soxr.resample(soxr.resample(y, 22050, 18000, "HQ"), 18000, 22050, "HQ")
        ref = tmp_path / f"{stem}.22050.wav"
        sf.write(ref, low.astype(np.float32), 22050, subtype="FLOAT")
        y44, y48 = load_audio(ref, sr=44100), load_audio(ref, sr=48000)
        versions = {  # name: (path, samples, rate, subtype)
            "mp3": (f"{stem}.44100.stereo.mp3", np.stack([y44, y44], 1), 44100, None),
            "stereo": (f"{stem}.48000.stereo.wav", np.stack([y48, y48], 1), 48000, "PCM_16"),
            "mono": (f"{stem}.48000.wav", y48, 48000, "FLOAT"),
        }
        for name, samples, rate, subtype in versions.values():
            sf.write(tmp_path / name, samples, rate, subtype=subtype)
        files[stem] = (ref, {key: tmp_path / v[0] for key, v in versions.items()})
    # the negative control: 48-kHz samples in a file that says 22050 Hz
    wrong = tmp_path / "wrong-rate.wav"
    sf.write(wrong, load_audio(files["metal.00000"][0], sr=48000), 22050, subtype="FLOAT")

    paths = [p for ref, versions in files.values() for p in (ref, *versions.values())]
    status, out, _ = run(
        "predict", trained_model, *paths, wrong, "--timeline", "--window", 10, "--format", "jsonl"
    )
    assert status == EXIT_OK
    timelines = {obj["path"]: obj for obj in jsonl(out)}
    assert len(timelines[str(wrong)]["windows"]) == 12  # what the checks below would catch
    for ref, versions in files.values():
        expected = timelines[str(ref)]
        assert len(expected["windows"]) == 5
        want = np.array([proba_of(w, classes) for w in expected["windows"]])
        for name, path in versions.items():
            got = timelines[str(path)]
            windows = got["windows"]
            np.testing.assert_allclose(
                [(w["start"], w["end"]) for w in windows],
                [(w["start"], w["end"]) for w in expected["windows"]],
                atol=0.01,  # seconds: the same windows of the same track
                err_msg=str(path),
            )
            proba = np.array([proba_of(w, classes) for w in windows])
            atol = 0.05 if name == "mp3" else 0.01
            np.testing.assert_allclose(proba, want, atol=atol, err_msg=str(path))
            # the genre of each window, where the reference is not a near tie
            margin = np.sort(want, axis=1)[:, -1] - np.sort(want, axis=1)[:, -2]
            clear = margin > 2 * atol
            assert clear.sum() >= 3, margin
            genres = np.array([w["genre"] for w in windows])
            want_genres = np.array([w["genre"] for w in expected["windows"]])
            assert (genres[clear] == want_genres[clear]).all(), path
            assert got["genre"] == expected["genre"], path
