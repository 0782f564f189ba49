"""Segmenting and audio folders under hostile input (issue 13, items 1, 4 and 13).

Every case is built at test time from gtzan-mini audio or synthetic samples:
MP3 sources, two recordings with one stem, a re-run with other settings,
Ctrl-C (a real SIGINT to the ``sk-genre`` process), a file size limit
(``RLIMIT_FSIZE``: writes fail with EFBIG, as on a full disk), symbolic-link
loops, audio files in the wrong place, unreadable folders. The command-line
cases run the real ``sk-genre`` entry point in a subprocess.
"""

import csv
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from sk_genre.datasets import load_audio_folder, segment_audio, segment_audio_folder
from sk_genre.exceptions import AudioDecodeError
from sk_genre.io import AUDIO_EXTENSIONS, load_audio

from .conftest import write_audio

SK_GENRE = Path(sysconfig.get_path("scripts")) / "sk-genre"
if not SK_GENRE.exists():  # not installed as a console script: the module does the same
    SK_GENRE = None
SR = 22050


def sk_genre(*args, **kwargs):
    """Run the real command line; return the CompletedProcess."""
    command = [os.fspath(SK_GENRE)] if SK_GENRE else [sys.executable, "-m", "sk_genre.cli"]
    return subprocess.run(
        [*command, *map(os.fspath, args)], capture_output=True, text=True, timeout=300, **kwargs
    )


@pytest.fixture(scope="module")
def excerpts(gtzan_mini):
    """Four real 12-s excerpts (mono float32 at 22050 Hz) of different genres."""
    picks = [0, 10, 20, 30]
    return [load_audio(gtzan_mini.paths[i], sr=SR, duration=12.0) for i in picks]


def manifest_rows(dst):
    with (Path(dst) / "segments.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def files_below(folder):
    """Every file below ``folder`` (hidden ones too), relative, ``/``-separated."""
    folder = Path(folder)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def pieces_below(dst):
    """The pieces: visible .wav files (not the hidden temporary files of a write)."""
    return [f for f in files_below(dst) if f.endswith(".wav") and not Path(f).name[0] == "."]


def assert_consistent(dst):
    """Every piece on disk is listed in segments.csv and every listed piece exists, whole."""
    rows = manifest_rows(dst)
    assert sorted(r["file"] for r in rows) == pieces_below(dst)
    assert not [f for f in files_below(dst) if Path(f).name.startswith(".")], "temporary files"
    for row in rows:
        info = sf.info(Path(dst) / row["file"])
        expected = (float(row["end"]) - float(row["start"])) * info.samplerate
        assert abs(info.frames - expected) <= 1, row


# ------------------------------------------------------------------ item 1: MP3 sources


def _mp3_tree(excerpts, src):
    (src / "blues").mkdir(parents=True)
    (src / "rock").mkdir()
    for k, name in enumerate(("blues/a.mp3", "blues/b.mp3", "rock/c.mp3")):
        sf.write(src / name, excerpts[k], SR, format="MP3")
    sf.write(src / "rock" / "d.ogg", excerpts[3], SR, format="OGG")  # VORBIS: not kept either
    return src


@pytest.mark.real_data
def test_cli_cuts_mp3_sources_into_pcm16_pieces(excerpts, tmp_path):
    src, dst = _mp3_tree(excerpts, tmp_path / "src"), tmp_path / "dst"
    result = sk_genre("segment", src, dst, "--duration", "4")
    assert result.returncode == 0, result.stderr
    assert "wrote 12 piece(s) of 4 s from 4 of 4 song(s)" in result.stdout
    # (libmpg123 prints its own "error: part2_3_length ..." notes while decoding: not ours)
    assert "Traceback" not in result.stderr and "\terror:" not in result.stderr
    rows = manifest_rows(dst)
    assert len(rows) == 12 and len(pieces_below(dst)) == 12
    for row in rows:
        info = sf.info(dst / row["file"])
        assert (info.subtype, info.samplerate, info.frames) == ("PCM_16", SR, 4 * SR)
    piece = sf.read(dst / "blues" / "b.001.wav", dtype="float32")[0]
    decoded = load_audio(src / "blues" / "b.mp3", sr=None)[4 * SR : 8 * SR]
    np.testing.assert_allclose(piece, np.clip(decoded, -1, 1), atol=1e-4)  # to 16-bit rounding


@pytest.mark.real_data
def test_mp3_sources_resampled(excerpts, tmp_path):
    src = _mp3_tree(excerpts, tmp_path / "src")
    result = segment_audio_folder(src, tmp_path / "dst", segment_duration=4, sr=16000)
    assert result.errors == {} and len(result.paths) == 12
    assert {(sf.info(p).subtype, sf.info(p).frames) for p in result.paths} == {("PCM_16", 64000)}
    (one,) = segment_audio(src / "rock" / "c.mp3", tmp_path / "one", segment_duration=10)
    assert sf.info(one).subtype == "PCM_16"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(one.stat().st_mode) == 0o666 & ~umask  # not mkstemp's private 0o600


def test_unwritable_subtype_is_refused_before_any_work(tmp_path):
    src = write_audio(tmp_path / "s.wav", np.zeros(8000, np.float32), sr=8000)
    with pytest.raises(ValueError, match=r"subtype must be one that libsndfile can write in WAV"):
        segment_audio(src, tmp_path / "out", subtype="MPEG_LAYER_III")
    with pytest.raises(ValueError, match=r"subtype must be one that libsndfile can write"):
        segment_audio_folder(src, tmp_path / "out", subtype="MPEG_LAYER_III")
    assert not (tmp_path / "out").exists()


def test_a_source_the_format_cannot_hold_does_not_stop_the_others(tmp_path):
    src = tmp_path / "src"
    (src / "pop").mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, rate in (("a.wav", 22050), ("b.wav", 4000), ("c.wav", 22050)):
        write_audio(src / "pop" / name, 0.1 * rng.standard_normal(2 * rate), sr=rate)
    with pytest.warns(UserWarning, match=r"could not read 1 of 3 file\(s\).*b\.wav"):
        result = segment_audio_folder(src, tmp_path / "dst", segment_duration=1, format="mp3")
    (path,) = result.errors
    assert path == str(src / "pop" / "b.wav")
    error = result.errors[path]
    assert isinstance(error, ValueError) and "4000 Hz" in str(error) and path in str(error)
    assert files_below(tmp_path / "dst" / "pop") == [
        "a.000.mp3",
        "a.001.mp3",
        "c.000.mp3",
        "c.001.mp3",
    ]


@pytest.mark.parametrize("rate", [0, 1, 4_000_000_000])
def test_crafted_sample_rates_are_refused_and_the_other_songs_go_on(tmp_path, rate):
    src = tmp_path / "src"
    (src / "pop").mkdir(parents=True)
    for name in ("a.wav", "b.wav"):
        write_audio(src / "pop" / name, np.zeros(2 * 8000, np.float32), sr=8000, subtype="PCM_16")
    data = bytearray((src / "pop" / "a.wav").read_bytes())
    data[24:28] = rate.to_bytes(4, "little")  # the fmt chunk's sample rate
    (src / "pop" / "a.wav").write_bytes(bytes(data))
    with pytest.raises(AudioDecodeError, match="sample rate must be in"):
        segment_audio(src / "pop" / "a.wav", tmp_path / "one", segment_duration=1)
    with pytest.warns(UserWarning, match="could not read 1 of 2"):
        result = segment_audio_folder(src, tmp_path / "dst", segment_duration=1)
    assert list(result.errors) == [str(src / "pop" / "a.wav")]
    assert pieces_below(tmp_path / "dst") == ["pop/b.000.wav", "pop/b.001.wav"]


@pytest.mark.real_data
def test_damaged_ogg_gives_no_piece(gtzan_mini, tmp_path):
    data = bytearray(Path(gtzan_mini.paths[0]).read_bytes())
    start = len(data) * 2 // 5
    data[start : start + len(data) // 5] = bytes(len(data) // 5)  # 20 % zeroed mid-file
    (tmp_path / "d.ogg").write_bytes(bytes(data))
    with pytest.raises(AudioDecodeError, match="corrupt data"):
        segment_audio(tmp_path / "d.ogg", tmp_path / "out", segment_duration=5)
    assert files_below(tmp_path / "out") == []


# --------------------------------------------------- item 4: names, re-runs, Ctrl-C, disk full


@pytest.mark.real_data
def test_same_stem_other_extension_are_two_songs(excerpts, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "rock").mkdir(parents=True)
    sf.write(src / "rock" / "song0.flac", excerpts[0], SR, subtype="PCM_16")
    sf.write(src / "rock" / "song0.wav", excerpts[1], SR, subtype="PCM_16")
    sf.write(src / "rock" / "song1.wav", excerpts[2], SR, subtype="PCM_16")
    result = sk_genre("segment", src, dst, "--duration", "4")
    assert result.returncode == 0, result.stderr
    assert "wrote 9 piece(s) of 4 s from 3 of 3 song(s)" in result.stdout
    assert pieces_below(dst) == [
        *(f"rock/song0.flac.{k:03d}.wav" for k in range(3)),
        *(f"rock/song0.wav.{k:03d}.wav" for k in range(3)),
        *(f"rock/song1.{k:03d}.wav" for k in range(3)),
    ]
    for row in manifest_rows(dst):  # each row names its own source, and the piece is its span
        piece = sf.read(dst / row["file"], dtype="int16")[0]
        source = sf.read(dst / row["source"], dtype="int16")[0]
        start = round(float(row["start"]) * SR)
        np.testing.assert_array_equal(piece, source[start : start + piece.size])
        prefix = row["file"].split("/")[1].rsplit(".", 2)[0]  # without .<k>.wav
        assert Path(row["source"]).name == {"song1": "song1.wav"}.get(prefix, prefix)
    pieces = load_audio_folder(dst)
    assert sorted(set(pieces.groups)) == ["rock/song0.flac", "rock/song0.wav", "rock/song1"]


def test_cli_rerun_with_other_duration_is_refused_unless_overwrite(tmp_path):
    src = tmp_path / "src"
    (src / "jazz").mkdir(parents=True)
    rng = np.random.default_rng(1)
    for name in ("a.wav", "b.wav"):
        write_audio(src / "jazz" / name, 0.1 * rng.standard_normal(12 * 4000), sr=4000)
    dst = tmp_path / "dst"
    segment_audio_folder(src, dst, segment_duration=4)
    before = {f: (dst / f).stat().st_mtime_ns for f in files_below(dst)}
    refused = sk_genre("segment", src, dst, "--duration", "6")
    assert refused.returncode == 2
    assert "dst must hold pieces cut with one setting" in refused.stderr
    assert "--overwrite" in refused.stderr and "Traceback" not in refused.stderr
    assert {f: (dst / f).stat().st_mtime_ns for f in files_below(dst)} == before
    again = sk_genre("segment", src, dst, "--duration", "6", "--overwrite")
    assert again.returncode == 0, again.stderr
    assert pieces_below(dst) == [
        "jazz/a.000.wav",
        "jazz/a.001.wav",
        "jazz/b.000.wav",
        "jazz/b.001.wav",
    ]
    assert {r["segment_duration"] for r in manifest_rows(dst)} == {"6.0"}
    assert_consistent(dst)


def test_overwrite_never_deletes_outside_dst(tmp_path):
    victim = write_audio(tmp_path / "victim.wav", np.zeros(800, np.float32), sr=8000)
    dst = tmp_path / "dst"
    dst.mkdir()
    mine = write_audio(dst / "mine.wav", np.zeros(800, np.float32), sr=8000)
    columns = "file,genre,song,source,start,end,segment_duration,sr\n"
    (dst / "segments.csv").write_text(
        columns + f"../victim.wav,,v,{victim},0,1,1.0,\n{victim},,v,{victim},0,1,1.0,\n"
    )
    src = write_audio(tmp_path / "s.wav", np.zeros(8000, np.float32), sr=8000)
    segment_audio_folder(src, dst, segment_duration=1, overwrite=True)
    assert victim.is_file() and mine.is_file()
    assert [r["file"] for r in manifest_rows(dst)] == ["s.000.wav"]


def test_dst_that_is_a_file_or_has_a_folder_for_manifest(tmp_path):
    src = write_audio(tmp_path / "s.wav", np.zeros(8000, np.float32), sr=8000)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="dst must be a folder"):
        segment_audio_folder(src, tmp_path / "file", segment_duration=1)
    (tmp_path / "d" / "segments.csv").mkdir(parents=True)
    with pytest.raises(ValueError, match="output must be a file path"):
        segment_audio_folder(src, tmp_path / "d", segment_duration=1)
    assert files_below(tmp_path / "d") == []


@pytest.mark.real_data
def test_ctrl_c_leaves_a_consistent_dst_that_a_rerun_finishes(excerpts, tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    n_songs = 10
    for k in range(n_songs):
        genre = src / ("blues", "rock")[k % 2]
        genre.mkdir(parents=True, exist_ok=True)
        y = np.roll(np.tile(excerpts[k % 4], 2), 997 * k)  # 24 s: 8 pieces of 3 s
        sf.write(genre / f"song{k:02d}.wav", y, SR, subtype="PCM_16")
    command = [os.fspath(SK_GENRE)] if SK_GENRE else [sys.executable, "-m", "sk_genre.cli"]
    args = ["segment", os.fspath(src), os.fspath(dst), "--duration", "3", "--sr", "16000"]
    process = subprocess.Popen(
        [*command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 120
    while not (dst.is_dir() and pieces_below(dst)) and process.poll() is None:
        assert time.monotonic() < deadline, "no piece appeared"
        time.sleep(0.005)
    process.send_signal(signal.SIGINT)  # Ctrl-C, once the first song is written
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "run the same command again" in err and "Traceback" not in err
    rows = manifest_rows(dst)
    done = {r["song"] for r in rows}
    assert 1 <= len(done) < n_songs, "the run was not interrupted part-way"
    assert len(rows) == 8 * len(done)
    assert_consistent(dst)  # no unlisted or partial piece, no temporary file
    assert (dst / "segments.incomplete").is_file()
    with pytest.warns(UserWarning, match=r"did not finish.*run the same"):
        partial = load_audio_folder(dst)
    assert sorted(set(partial.groups)) == sorted(done)

    rerun = sk_genre(*args)
    assert rerun.returncode == 0, rerun.stderr
    assert f"from {n_songs} of {n_songs} song(s)" in rerun.stdout
    assert not (dst / "segments.incomplete").exists()
    assert_consistent(dst)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        complete = load_audio_folder(dst)
    assert len(complete.paths) == 8 * n_songs and len(set(complete.groups)) == n_songs


def test_pieces_without_a_manifest_are_warned_about(tmp_path):
    src = tmp_path / "src"
    (src / "pop").mkdir(parents=True)
    write_audio(src / "pop" / "a.wav", np.zeros(3 * 4000, np.float32), sr=4000)
    dst = tmp_path / "dst"
    segment_audio_folder(src, dst, segment_duration=1)
    (dst / "segments.csv").unlink()  # e.g. killed by an older version before writing it
    write_audio(dst / "pop" / "pop.00000.wav", np.zeros(400, np.float32), sr=4000)  # GTZAN name
    write_audio(dst / "pop" / "b.001.wav", np.zeros(400, np.float32), sr=4000)  # no b.000
    with pytest.warns(UserWarning, match="named like the pieces") as caught:
        tracks = load_audio_folder(dst)
    (message,) = [str(w.message) for w in caught]
    assert message.startswith("3 file(s)") and "pop/a.000.wav" in message
    assert "pop.00000" not in message and "b.001" not in message
    assert len(set(tracks.groups)) == 5  # each its own group: what the warning is about


def _limit_file_size(limit):
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # write() then fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return preexec


@pytest.mark.real_data
def test_a_write_failure_leaves_no_partial_piece_and_the_other_songs_go_on(excerpts, tmp_path):
    """RLIMIT_FSIZE makes writes beyond 200 kB fail with EFBIG, as a full disk fails them."""
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "mixed").mkdir(parents=True)
    sf.write(src / "mixed" / "a.wav", excerpts[0][::4], SR // 4, subtype="PCM_16")  # 22 kB/piece
    stereo = np.stack([excerpts[1], excerpts[2]], axis=1)
    sf.write(src / "mixed" / "big.wav", stereo, SR, subtype="PCM_16")  # 353 kB per piece
    sf.write(src / "mixed" / "c.wav", excerpts[3][::4], SR // 4, subtype="PCM_16")
    result = sk_genre("segment", src, dst, "--duration", "4", preexec_fn=_limit_file_size(200_000))
    assert result.returncode == 1, result.stderr
    assert f"{src / 'mixed' / 'big.wav'}\terror: [Errno 27] cannot write the piece" in result.stderr
    assert "File too large" in result.stderr and "Traceback" not in result.stderr
    assert "wrote 6 piece(s) of 4 s from 2 of 3 song(s)" in result.stdout
    assert pieces_below(dst) == [f"mixed/{s}.{k:03d}.wav" for s in "ac" for k in range(3)]
    assert_consistent(dst)


def test_a_failed_song_keeps_its_old_pieces(tmp_path):
    dst = tmp_path / "dst"
    y = np.random.default_rng(2).standard_normal(3 * 4000).astype(np.float32) * 0.1
    src = write_audio(tmp_path / "s.wav", y, sr=4000, subtype="FLOAT")
    segment_audio_folder(src, dst, segment_duration=1)
    old = {f: (dst / f).read_bytes() for f in pieces_below(dst)}
    y[2 * 4000 + 5] = np.nan  # the third piece is now undecodable
    write_audio(src, y, sr=4000, subtype="FLOAT")
    with pytest.warns(UserWarning, match="NaN"):
        result = segment_audio_folder(src, dst, segment_duration=1)
    assert list(result.errors) == [str(src)]
    assert {f: (dst / f).read_bytes() for f in pieces_below(dst)} == old  # not half replaced
    assert_consistent(dst)


# ------------------------------------------------------------- item 13: the audio folder


def _tiny(path, sr=4000):
    return write_audio(path, np.zeros(sr // 10, np.float32), sr=sr)


def test_links_to_root_or_an_ancestor_are_not_followed_and_files_listed_once(tmp_path):
    root = tmp_path / "data"
    for genre in ("jazz", "rock"):
        (root / genre).mkdir(parents=True)
        _tiny(root / genre / f"{genre}.wav")
    (root / "fake").symlink_to(".")  # the case: every track again as "fake"
    (root / "rock" / "up").symlink_to("..")  # an ancestor
    (root / "jazz" / "self").symlink_to("../jazz")  # a loop onto its own folder
    (root / "rock2").symlink_to("rock")  # a second genre name for the same files
    (root / "jazz" / "l1").symlink_to("l2")
    (root / "jazz" / "l2").symlink_to("l1")  # a link loop that resolves nowhere
    with pytest.warns(UserWarning) as caught:
        tracks = load_audio_folder(root)
    messages = " | ".join(str(w.message) for w in caught)
    assert tracks.paths == [str(root / "jazz" / "jazz.wav"), str(root / "rock" / "rock.wav")]
    assert tracks.target.tolist() == ["jazz", "rock"] and tracks.target_names == ["jazz", "rock"]
    assert "did not follow 4 symbolic link(s) that lead back" in messages
    links = ("fake -> .", "rock/up -> ..", "rock2/up -> ..", "jazz/self -> ../jazz")
    assert all(link in messages for link in links)
    assert "rock2/rock.wav (the same file as rock/rock.wav)" in messages
    assert "jazz/l1" in messages  # the unresolvable loop is skipped as a non-audio name


def test_audio_files_directly_in_root_are_said_to_belong_in_genre_folders(tmp_path):
    (tmp_path / "rock").mkdir()
    _tiny(tmp_path / "rock" / "a.wav")
    _tiny(tmp_path / "loose.wav")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.warns(UserWarning) as caught:
        tracks = load_audio_folder(tmp_path)
    messages = [str(w.message) for w in caught]
    loose = [m for m in messages if "loose.wav" in m]
    assert len(loose) == 1 and "must be inside genre sub-folders" in loose[0]
    assert "non-audio" not in loose[0]
    assert any("non-audio" in m and "notes.txt" in m for m in messages)
    assert len(tracks.paths) == 1


_UNREADABLE_CHECK = """
import json, sys, warnings
from sk_genre.datasets import load_audio_folder
results = {}
for on_error in ("raise", "skip", "warn"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            tracks = load_audio_folder(sys.argv[1], on_error=on_error)
        except Exception as exc:
            results[on_error] = {"raised": type(exc).__name__, "message": str(exc)}
            continue
    results[on_error] = {
        "paths": tracks.paths,
        "errors": {p: type(e).__name__ for p, e in tracks.errors.items()},
        "warnings": [str(w.message) for w in caught],
    }
print(json.dumps(results))
"""


@pytest.fixture
def unreadable_genre():
    """A tree whose ``rock`` folder is mode 000, and how to run a check where that bites.

    Root reads any folder whatever its mode, so as root the check runs as the
    user ``nobody`` through util-linux ``setpriv`` (in a world-readable
    temporary folder, outside pytest's private ``tmp_path``); otherwise as
    this user.
    """
    if os.geteuid() == 0:
        pwd = pytest.importorskip("pwd")
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("running as root, and there is no user 'nobody' to drop to")
        if shutil.which("setpriv") is None:
            pytest.skip("running as root (which reads any folder) and setpriv is not installed")
        as_user = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}"]
        as_user.append("--clear-groups")
        probe = [*as_user, sys.executable, "-c", "import sk_genre"]
        if subprocess.run(probe, capture_output=True, check=False).returncode != 0:
            # e.g. a pyenv Python under /root (mode 700), as CI's Python 3.12 environment
            pytest.skip(f"running as root, and user 'nobody' cannot run {sys.executable}")
    else:
        as_user = []
    root = Path(tempfile.mkdtemp(prefix="sk-genre-unreadable-"))
    root.chmod(0o755)
    for genre in ("jazz", "rock"):
        (root / genre).mkdir(mode=0o755)
        _tiny(root / genre / "a.wav").chmod(0o644)
    (root / "rock").chmod(0)

    def check():
        done = subprocess.run(
            [*as_user, sys.executable, "-c", _UNREADABLE_CHECK, os.fspath(root)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.splitlines()[-1])

    yield root, check
    (root / "rock").chmod(0o755)
    shutil.rmtree(root)


def test_an_unreadable_genre_folder_is_reported(unreadable_genre):
    root, check = unreadable_genre
    locked = os.fspath(root / "rock")
    results = check()
    raised = results.pop("raise")
    assert raised["raised"] == "PermissionError" and locked in raised["message"]
    for on_error, result in results.items():
        assert result["paths"] == [os.fspath(root / "jazz" / "a.wav")]
        assert result["errors"] == {locked: "PermissionError"}
        messages = " ".join(result["warnings"])
        assert "no readable audio file in 1 genre sub-folder(s)" in messages  # always said
        named = f"{locked} ([Errno 13] Permission denied" in messages
        assert named == (on_error == "warn"), messages


def test_every_audio_extension_is_taken_for_audio(tmp_path):
    (tmp_path / "pop").mkdir()
    _tiny(tmp_path / "pop" / "good.wav")
    names = [f"x{k}{ext.upper() if k % 2 else ext}" for k, ext in enumerate(AUDIO_EXTENSIONS)]
    for name in names:
        (tmp_path / "pop" / name).write_bytes(b"not audio at all")
    tracks = load_audio_folder(tmp_path, on_error="skip")  # no "non-audio" warning
    assert sorted(Path(p).name for p in tracks.errors) == sorted(names)


def test_hidden_files_and_folders_are_ignored(tmp_path):
    (tmp_path / "rock").mkdir()
    _tiny(tmp_path / "rock" / "a.wav")
    (tmp_path / "rock" / "._a.wav").write_bytes(b"\x00\x05\x16\x07AppleDouble")  # macOS
    (tmp_path / "rock" / ".a.000.wav.x1y2.tmp.wav").write_bytes(b"")  # an unfinished write
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks = load_audio_folder(tmp_path)
    assert tracks.paths == [str(tmp_path / "rock" / "a.wav")] and tracks.errors == {}


def test_a_broken_link_is_an_unreadable_file_not_silence(tmp_path):
    (tmp_path / "rock").mkdir()
    _tiny(tmp_path / "rock" / "a.wav")
    (tmp_path / "rock" / "gone.wav").symlink_to(tmp_path / "nowhere.wav")
    tracks = load_audio_folder(tmp_path, on_error="skip")
    assert tracks.errors[str(tmp_path / "rock" / "gone.wav")].reason == "file does not exist"


def test_a_genre_left_without_readable_files_is_named(tmp_path):
    for genre in ("pop", "rock"):
        (tmp_path / genre).mkdir()
    _tiny(tmp_path / "rock" / "a.wav")
    (tmp_path / "pop" / "a.wav").write_bytes(b"")
    (tmp_path / "pop" / "b.mp3").write_text("no")
    with pytest.warns(UserWarning, match=r"no readable audio file in 1 genre.*: pop"):
        tracks = load_audio_folder(tmp_path, on_error="skip")
    assert tracks.target_names == ["rock"] and len(tracks.errors) == 2
