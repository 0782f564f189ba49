"""Building a dataset from long songs: segment_audio, segment_audio_folder, `sk-genre segment`."""

import csv
import os
import subprocess
import sysconfig
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sklearn.model_selection import GroupKFold

from sk_genre.cli import main
from sk_genre.datasets import load_audio_folder, segment_audio, segment_audio_folder
from sk_genre.exceptions import AudioDecodeError
from sk_genre.io import load_audio

from .conftest import SR, sine, write_audio

SK_GENRE = Path(sysconfig.get_path("scripts")) / "sk-genre"


def pcm16(seconds, sr=SR, channels=1, seed=0):
    """Full-scale random 16-bit samples, shape (n_samples,) or (n_samples, channels)."""
    shape = (round(seconds * sr),) if channels == 1 else (round(seconds * sr), channels)
    return np.random.default_rng(seed).integers(-32768, 32768, size=shape, dtype=np.int16)


def song(path, seconds, sr=4000, channels=1, seed=0):
    """A PCM_16 file of random samples (small sr: folder and CLI tests stay fast)."""
    return write_audio(path, pcm16(seconds, sr, channels, seed), sr=sr, subtype="PCM_16")


def read(path, dtype="int16"):
    return sf.read(path, dtype=dtype, always_2d=True)[0]


def test_three_minutes_give_six_bit_exact_pieces(tmp_path):
    y = pcm16(180, SR)
    src = write_audio(tmp_path / "song.wav", y, subtype="PCM_16")
    pieces = segment_audio(src, tmp_path / "out")
    assert [p.name for p in pieces] == [f"song.{k:03d}.wav" for k in range(6)]
    for piece in pieces:
        info = sf.info(piece)
        assert (info.frames, info.samplerate, info.channels) == (30 * SR, SR, 1)
        assert info.subtype == "PCM_16"
    np.testing.assert_array_equal(np.concatenate([read(p)[:, 0] for p in pieces]), y)


@pytest.mark.parametrize(
    ("suffix", "subtype", "dtype"),
    [(".wav", "PCM_16", "int16"), (".flac", "PCM_24", "int32"), (".wav", "FLOAT", "float32")],
)
def test_pieces_are_lossless_copies_in_the_source_subtype(tmp_path, suffix, subtype, dtype):
    sr = 8000
    src = write_audio(tmp_path / f"song{suffix}", music(65, sr), sr=sr, subtype=subtype)
    pieces = segment_audio(src, tmp_path, segment_duration=30, drop_last=False)
    assert [sf.info(p).frames for p in pieces] == [30 * sr, 30 * sr, 5 * sr]
    assert {sf.info(p).subtype for p in pieces} == {subtype}
    joined = np.concatenate([read(p, dtype) for p in pieces])
    np.testing.assert_array_equal(joined, read(src, dtype))


def music(seconds, sr):
    return sine(220, seconds, sr) + sine(3000, seconds, sr, amplitude=0.2)


def test_drop_last(tmp_path):
    sr = 4000
    src = song(tmp_path / "a.wav", 70, sr)
    dropped = segment_audio(src, tmp_path / "drop", segment_duration=30)
    kept = segment_audio(src, tmp_path / "keep", segment_duration=30, drop_last=False)
    assert [sf.info(p).frames for p in dropped] == [30 * sr] * 2
    assert [sf.info(p).frames for p in kept] == [30 * sr, 30 * sr, 10 * sr]
    assert sorted(os.listdir(tmp_path / "drop")) == ["a.000.wav", "a.001.wav"]


def test_file_shorter_than_one_piece(tmp_path):
    src = song(tmp_path / "short.wav", 12)
    assert segment_audio(src, tmp_path / "out") == []
    assert not (tmp_path / "out").exists()  # nothing written, not even the folder
    (piece,) = segment_audio(src, tmp_path / "out", drop_last=False)
    np.testing.assert_array_equal(read(piece), read(src))


def test_stereo_is_kept(tmp_path):
    y = pcm16(65, 4000, channels=2)
    src = write_audio(tmp_path / "stereo.flac", y, sr=4000, subtype="PCM_16")
    pieces = segment_audio(src, tmp_path / "out", segment_duration=20)
    assert len(pieces) == 3 and all(sf.info(p).channels == 2 for p in pieces)
    np.testing.assert_array_equal(np.concatenate([read(p) for p in pieces]), y[: 60 * 4000])


def test_resamples_each_piece_to_sr(tmp_path):
    src = write_audio(tmp_path / "tone.wav", music(50, 16000), sr=16000, subtype="PCM_16")
    pieces = segment_audio(src, tmp_path / "out", segment_duration=20, sr=8000, drop_last=False)
    assert [sf.info(p).samplerate for p in pieces] == [8000] * 3
    assert [sf.info(p).frames for p in pieces] == [160000, 160000, 80000]
    for k, piece in enumerate(pieces):
        # each piece is what load_audio gives for its span, up to 16-bit rounding
        expected = load_audio(src, sr=8000, offset=20 * k, duration=20)
        np.testing.assert_allclose(read(piece, "float32")[:, 0], expected, atol=2e-4)
    y = read(pieces[0], "float32")[:, 0]
    peaks = np.sort(np.argsort(np.abs(np.fft.rfft(y)))[-2:]) * 8000 / y.size
    np.testing.assert_allclose(peaks, [220, 3000], atol=1)
    stereo = song(tmp_path / "stereo.wav", 40, sr=16000, channels=2)
    (piece,) = segment_audio(stereo, tmp_path / "out", segment_duration=30, sr=4000)
    assert (sf.info(piece).channels, sf.info(piece).frames) == (2, 120000)


def test_output_format_and_subtype(tmp_path):
    src = write_audio(tmp_path / "f.wav", music(10, 8000), sr=8000, subtype="FLOAT")
    (flac,) = segment_audio(src, tmp_path, segment_duration=10, format="flac")
    assert flac.name == "f.000.flac" and sf.info(flac).subtype == "PCM_16"  # FLAC has no FLOAT
    (wav,) = segment_audio(src, tmp_path / "o", segment_duration=10, subtype="PCM_24")
    assert sf.info(wav).subtype == "PCM_24"


def test_float_audio_is_clipped_not_wrapped_when_written_as_pcm(tmp_path):
    y = np.full(8000, 1.5, dtype=np.float32)
    y[::2] = -1.5
    src = write_audio(tmp_path / "loud.wav", y, sr=8000, subtype="FLOAT")
    (piece,) = segment_audio(src, tmp_path / "o", segment_duration=1, subtype="PCM_16")
    out = read(piece)[:, 0]
    assert out.max() == 32767 and out.min() == -32768 and (out[::2] < 0).all()


@pytest.mark.parametrize("sr", [None, 4000])
def test_long_file_is_streamed_one_piece_at_a_time(tmp_path, sr):
    minutes = 10
    src = tmp_path / "long.wav"
    with sf.SoundFile(src, "w", 8000, 1, "PCM_16") as f:
        for minute in range(minutes):
            f.write(pcm16(60, 8000, seed=minute))  # the whole file: 9.6 MB of samples
    segment_audio(song(tmp_path / "warm.wav", 1), tmp_path, segment_duration=1, sr=sr)  # imports
    tracemalloc.start()
    try:
        pieces = segment_audio(src, tmp_path / "out", segment_duration=30, sr=sr)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(pieces) == 2 * minutes
    assert peak < 2_000_000, f"peak {peak / 1e6:.1f} MB: the file was read whole"


def test_fallback_decoder_for_files_libsndfile_cannot_open(tmp_path, monkeypatch):
    y = pcm16(25, 4000, channels=2)
    src = write_audio(tmp_path / "song.wav", y, sr=4000, subtype="PCM_16")

    class NoLibsndfile(sf.SoundFile):
        def __init__(self, file, mode="r", *args, **kwargs):
            if mode == "r" and os.fspath(file) == os.fspath(src):
                raise sf.SoundFileRuntimeError("format not supported")  # as for .m4a
            super().__init__(file, mode, *args, **kwargs)

    monkeypatch.setattr(sf, "SoundFile", NoLibsndfile)  # sk_genre falls back to audioread
    pieces = segment_audio(src, tmp_path / "out", segment_duration=10)
    monkeypatch.undo()
    assert len(pieces) == 2 and {sf.info(p).channels for p in pieces} == {2}
    np.testing.assert_array_equal(np.concatenate([read(p) for p in pieces]), y[:80000])


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("missing", "does not exist"),
        ("directory", "is a directory"),
        ("empty", "empty"),
        ("text", "not a decodable"),
        ("no-samples", "contains no audio samples"),
    ],
)
def test_bad_files_raise_naming_the_file(tmp_path, kind, reason):
    path = {"missing": tmp_path / "missing.wav", "directory": tmp_path}.get(
        kind, tmp_path / f"{kind}.wav"
    )
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not audio")
    elif kind == "no-samples":
        write_audio(path, np.zeros(0, dtype=np.float32))
    with pytest.raises(AudioDecodeError, match=reason) as info:
        segment_audio(path, tmp_path / "out")
    assert info.value.path == str(path) and str(path) in str(info.value)
    assert not (tmp_path / "out").exists()


def test_decode_error_midway_removes_the_pieces_already_written(tmp_path):
    y = music(25, 4000)
    y[15 * 4000] = np.nan
    src = write_audio(tmp_path / "nan.wav", y, sr=4000, subtype="FLOAT")
    with pytest.raises(AudioDecodeError, match="NaN"):
        segment_audio(src, tmp_path / "out", segment_duration=10)
    assert os.listdir(tmp_path / "out") == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"segment_duration": 0}, "segment_duration must be a positive"),
        ({"segment_duration": float("nan")}, "segment_duration must be a positive"),
        ({"segment_duration": "30"}, "segment_duration must be a positive"),
        ({"segment_duration": 1e-6}, r"segment_duration must be at least one sample.*t\.wav"),
        ({"sr": 0}, "sr must be a positive integer"),
        ({"format": "m4a"}, "format must be one of"),
        ({"subtype": "VORBIS"}, "subtype must be one that WAV supports"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, match):
    src = song(tmp_path / "t.wav", 1)
    with pytest.raises(ValueError, match=match):
        segment_audio(src, tmp_path / "out", **kwargs)


@pytest.fixture
def songs(tmp_path):
    """src/<genre>/... : five songs (two share a stem), one too short, one undecodable."""
    src = tmp_path / "src"
    for sub in ("rock", "jazz/live"):
        (src / sub).mkdir(parents=True)
    song(src / "rock" / "a.wav", 70, seed=1)  # 7 pieces of 10 s
    song(src / "rock" / "b.wav", 65, seed=2)  # 6
    song(src / "jazz" / "a.wav", 95, channels=2, seed=3)  # 9, same stem as rock/a
    song(src / "jazz" / "live" / "c.wav", 40, seed=4)  # 4
    song(src / "jazz" / "d.wav", 30, seed=5)  # 3
    song(src / "jazz" / "short.wav", 5, seed=6)  # none
    (src / "jazz" / "bad.wav").write_text("not audio")
    return src


def test_segment_folder_manifest_and_grouped_cv(songs, tmp_path):
    dst = tmp_path / "dst"
    with pytest.warns(UserWarning) as caught:
        result = segment_audio_folder(songs, dst, segment_duration=10)
    messages = " | ".join(str(w.message) for w in caught)
    assert "could not read 1 of 7 file(s)" in messages and "bad.wav" in messages
    assert "wrote no piece for 1 of 7" in messages and "short.wav" in messages
    assert list(result.errors) == [str(songs / "jazz" / "bad.wav")]
    assert "not a decodable" in result.errors[str(songs / "jazz" / "bad.wav")].reason
    assert result.short == [str(songs / "jazz" / "short.wav")]
    assert len(result.songs) == 5 and len(result.paths) == 7 + 6 + 9 + 4 + 3
    assert all(p.is_file() for p in result.paths)
    assert (dst / "jazz" / "live" / "c.003.wav").is_file()
    assert sf.info(dst / "jazz" / "a.008.wav").channels == 2

    assert result.manifest == dst / "segments.csv"
    with result.manifest.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "file",
        "genre",
        "song",
        "source",
        "start",
        "end",
        "segment_duration",
        "sr",
    ]
    assert {(r["segment_duration"], r["sr"]) for r in rows} == {("10.0", "")}
    assert len(rows) == len(result.paths)
    by_file = {r["file"]: r for r in rows}
    row = by_file["jazz/live/c.002.wav"]
    assert (row["genre"], row["song"]) == ("jazz", "jazz/live/c")
    assert (float(row["start"]), float(row["end"])) == (20.0, 30.0)
    assert not Path(row["source"]).is_absolute()  # relative to dst: the folders move together
    assert (dst / row["source"]).resolve() == (songs / "jazz" / "live" / "c.wav").resolve()
    assert by_file["rock/a.000.wav"]["song"] == "rock/a" != by_file["jazz/a.000.wav"]["song"]
    for r in rows:  # the piece is the source's [start, end) span
        piece, source = read(dst / r["file"]), read(dst / r["source"])
        span = source[round(float(r["start"]) * 4000) : round(float(r["end"]) * 4000)]
        np.testing.assert_array_equal(piece, span)

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # segments.csv is expected in root: no warning
        pieces = load_audio_folder(dst)
    assert len(pieces.paths) == len(rows)
    assert pieces.groups.shape == (len(rows),) and pieces.groups.dtype == object
    relative = [Path(p).relative_to(dst).as_posix() for p in pieces.paths]
    assert pieces.groups.tolist() == [by_file[r]["song"] for r in relative]
    assert pieces.target.tolist() == [by_file[r]["genre"] for r in relative]
    assert len(set(pieces.groups)) == 5
    for train, test in GroupKFold(n_splits=5).split(pieces.paths, pieces.target, pieces.groups):
        assert not set(pieces.groups[train]) & set(pieces.groups[test])
        assert len(set(pieces.groups[test])) == 1  # five songs, five folds: one song each


def test_groups_without_manifest_are_files_and_stale_manifests_warn(songs, tmp_path):
    (songs / "jazz" / "bad.wav").unlink()
    tracks = load_audio_folder(songs)
    assert tracks.groups.tolist() == [
        "jazz/a",
        "jazz/d",
        "jazz/live/c",
        "jazz/short",
        "rock/a",
        "rock/b",
    ]  # unique even where the track ids ("a") are not
    dst = tmp_path / "dst"
    with pytest.warns(UserWarning, match="wrote no piece for 1 of 6"):
        segment_audio_folder(songs, dst, segment_duration=30)
    song(dst / "rock" / "a.099.wav", 1)  # not in the manifest
    with pytest.warns(UserWarning, match=r"does not list 1 audio file.*rock/a\.099\.wav"):
        stale = load_audio_folder(dst)
    assert stale.groups.tolist() == [
        "jazz/a",
        "jazz/a",
        "jazz/a",
        "jazz/d",
        "jazz/live/c",
        "rock/a",
        "rock/a",
        "rock/a.099",  # its own group
        "rock/b",
        "rock/b",
    ]


def test_segment_single_file_into_dst_and_merge_manifests(tmp_path):
    dst = tmp_path / "dst"
    one = segment_audio_folder(song(tmp_path / "x.wav", 30), dst, segment_duration=10)
    two = segment_audio_folder(song(tmp_path / "y.flac", 20), dst, segment_duration=10)
    assert [p.name for p in one.paths] == ["x.000.wav", "x.001.wav", "x.002.wav"]
    assert [p.parent for p in two.paths] == [dst, dst]
    with (dst / "segments.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["file"], r["genre"], r["song"]) for r in rows] == [
        ("x.000.wav", "", "x"),
        ("x.001.wav", "", "x"),
        ("x.002.wav", "", "x"),
        ("y.000.wav", "", "y"),
        ("y.001.wav", "", "y"),
    ]
    # the same settings: x cut again replaces its own pieces and rows, y's are kept
    (dst / "x.002.wav").unlink()
    again = segment_audio_folder(tmp_path / "x.wav", dst, segment_duration=10)
    assert len(again.paths) == 3 and (dst / "x.002.wav").is_file()
    with (dst / "segments.csv").open(newline="") as f:
        assert [r["file"] for r in csv.DictReader(f)] == [
            "y.000.wav",
            "y.001.wav",
            "x.000.wav",
            "x.001.wav",
            "x.002.wav",
        ]
    # other settings would mix 10-s and 15-s pieces: refused before writing, unless overwrite
    before = sorted(os.listdir(dst))
    with pytest.raises(ValueError, match=r"dst must hold pieces cut with one setting.*10\.0 s"):
        segment_audio_folder(tmp_path / "x.wav", dst, segment_duration=15)
    with pytest.raises(ValueError, match=r"at 8000 Hz"):
        segment_audio_folder(tmp_path / "x.wav", dst, segment_duration=10, sr=8000)
    assert sorted(os.listdir(dst)) == before
    (dst / "notes.txt").write_text("mine")  # not listed: never deleted
    fifteen = segment_audio_folder(tmp_path / "x.wav", dst, segment_duration=15, overwrite=True)
    assert sorted(os.listdir(dst)) == ["notes.txt", "segments.csv", "x.000.wav", "x.001.wav"]
    assert [sf.info(p).duration for p in fifteen.paths] == [15, 15]
    with (dst / "segments.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["file"], r["segment_duration"]) for r in rows] == [
        ("x.000.wav", "15.0"),
        ("x.001.wav", "15.0"),
    ]


def test_segment_folder_errors(songs, tmp_path):
    with pytest.raises(FileNotFoundError, match="src must be an existing"):
        segment_audio_folder(tmp_path / "nowhere", tmp_path / "dst")
    with pytest.raises(ValueError, match="dst must be outside src"):
        segment_audio_folder(songs, songs / "pieces")
    with pytest.raises(ValueError, match="dst must be outside src"):
        segment_audio_folder(songs, songs)
    (tmp_path / "dst").mkdir()
    (tmp_path / "dst" / "segments.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"segments\.csv must have the columns file, genre, song"):
        segment_audio_folder(songs, tmp_path / "dst")
    assert os.listdir(tmp_path / "dst") == ["segments.csv"]  # checked before writing


def test_cli_segments_a_three_minute_song(tmp_path, capsys):
    src = song(tmp_path / "song.wav", 180, sr=8000)
    assert main(["segment", str(src), str(tmp_path / "out")]) == 0
    out, err = capsys.readouterr()
    written = sorted(os.listdir(tmp_path / "out"))
    assert written == ["segments.csv"] + [f"song.{k:03d}.wav" for k in range(6)]
    assert all(sf.info(p).frames == 30 * 8000 for p in (tmp_path / "out").glob("*.wav"))
    assert "wrote 6 piece(s) of 30 s from 1 of 1 song(s)" in out
    assert "error" not in err


def test_cli_continues_past_bad_and_short_files(songs, tmp_path, capsys):
    dst = tmp_path / "dst"
    status = main(["segment", str(songs), str(dst), "--duration", "10", "--sr", "2000"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "wrote 29 piece(s) of 10 s from 5 of 7 song(s)" in out
    lines = err.splitlines()
    assert f"{songs / 'jazz' / 'bad.wav'}\terror: not a decodable audio file" in err
    assert f"{songs / 'jazz' / 'short.wav'}\tskipped: shorter than 10 s" in err
    assert "1 of 7 file(s) could not be segmented" in lines[-1]
    assert "warning" not in err  # said once per file, not again as a summary warning
    assert sf.info(dst / "rock" / "a.000.wav").samplerate == 2000
    short = songs / "jazz" / "short.wav"
    assert main(["segment", str(short), str(dst), "--duration", "10", "--keep-last"]) == 2
    assert "dst must hold pieces cut with one setting" in capsys.readouterr().err
    keep = ["--duration", "10", "--sr", "2000", "--keep-last"]
    assert main(["segment", str(short), str(dst), *keep]) == 0
    assert sf.info(dst / "short.000.wav").duration == pytest.approx(5)


def test_cli_usage_errors(tmp_path, capsys):
    src = song(tmp_path / "s.wav", 1)
    assert main(["segment", str(src), str(tmp_path / "o"), "--duration", "0"]) == 2
    assert "segment_duration must be a positive number" in capsys.readouterr().err
    assert main(["segment", str(tmp_path / "nope"), str(tmp_path / "o")]) == 2
    (tmp_path / "bad.wav").write_text("not audio")  # the only song, unreadable: nothing done
    assert main(["segment", str(tmp_path / "bad.wav"), str(tmp_path / "o")]) == 2
    assert "1 of 1 file(s) could not be segmented" in capsys.readouterr().err


def test_console_script_segment(tmp_path):
    src = song(tmp_path / "song.wav", 25)
    result = subprocess.run(
        [SK_GENRE, "segment", str(src), str(tmp_path / "out"), "--duration", "10"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "wrote 2 piece(s) of 10 s from 1 of 1 song(s)" in result.stdout
    assert (tmp_path / "out" / "song.001.wav").is_file()


@pytest.mark.real_data
def test_real_gtzan_track_in_three_pieces(gtzan_mini, tmp_path):
    path = gtzan_mini.paths[0]  # an OGG of 30.013 s
    pieces = segment_audio(path, tmp_path, segment_duration=10)
    assert [p.name for p in pieces] == [f"{Path(path).stem}.{k:03d}.wav" for k in range(3)]
    assert all(sf.info(p).frames == 10 * SR and sf.info(p).samplerate == SR for p in pieces)
    joined = np.concatenate([read(p, "float32")[:, 0] for p in pieces])
    np.testing.assert_allclose(joined, load_audio(path, sr=None)[: 30 * SR], atol=1 / 32768)
    assert len(segment_audio(path, tmp_path / "all", segment_duration=10, drop_last=False)) == 4


@pytest.mark.real_data
def test_gtzan_mini_manifest_is_not_warned_about(gtzan_mini):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks = load_audio_folder(gtzan_mini.root)
    assert len(set(tracks.groups)) == 59 and tracks.groups[0] == "blues/blues.00000"
