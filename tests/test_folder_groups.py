"""load_audio_folder(groups=...): artist and album groups from tags; FaultFilteredSplit's warning.

The audio files are written here (soundfile) and tagged with mutagen, the
library load_audio_folder reads the tags with, in the root/<genre>/<file> layout.
"""

import struct
import warnings
from pathlib import Path

import mutagen
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import TALB, TPE1
from sklearn.model_selection import StratifiedGroupKFold

from sk_genre.datasets import load_audio_folder, load_gtzan_features, segment_audio_folder
from sk_genre.evaluation import FaultFilteredSplit

from .conftest import SR, music_like

#: the formats written and tagged: MP3 only where this libsndfile can write it
FORMATS = ("flac", "ogg") + (("mp3",) if "MP3" in sf.available_formats() else ())
GENRES = ("blues", "jazz", "metal", "rock")


def _write(path, seconds=0.2, seed=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, music_like(seconds, seed=seed), SR)
    return path


def _tag(path, **tags):
    """Set easy tags (artist=, album=, albumartist=) on ``path`` with mutagen."""
    audio = mutagen.File(path, easy=True)
    if audio.tags is None:  # MP3 written by libsndfile has none yet
        audio.add_tags()
    for key, value in tags.items():
        audio[key] = value
    audio.save()
    assert mutagen.File(path, easy=True)["artist" if "artist" in tags else next(iter(tags))]


@pytest.fixture
def library(tmp_path):
    """4 genres x 2 artists x 3 tracks, tagged; the formats rotate. Returns (root, tags)."""
    root, tags = tmp_path / "music", {}
    k = 0
    for genre in GENRES:
        for a in range(2):
            artist = f"{genre.title()} Artist {a}"
            for t in range(3):
                ext = FORMATS[k % len(FORMATS)]
                path = _write(root / genre / f"{artist.replace(' ', '_')}-{t}.{ext}", seed=k)
                album = "Greatest Hits" if t < 2 else f"Live {a}"  # shared album names
                _tag(path, artist=artist, album=album)
                tags[path.relative_to(root).as_posix()] = (artist, album)
                k += 1
    return root, tags


def _relative(tracks, root):
    return [Path(p).relative_to(root).as_posix() for p in tracks.paths]


def test_the_formats_written_carry_tags(library):
    root, tags = library
    assert {Path(r).suffix for r in tags} == {f".{ext}" for ext in FORMATS}
    assert "flac" in FORMATS and "ogg" in FORMATS


def test_artist_groups_are_the_artist_tags(library):
    root, tags = library
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracks = load_audio_folder(root, groups="artist")
    assert tracks.groups.dtype == object and tracks.groups.shape == (24,)
    assert list(tracks.groups) == [tags[r][0] for r in _relative(tracks, root)]
    assert len(set(tracks.groups)) == 8


def test_album_groups_pair_artist_and_album(library):
    root, tags = library
    tracks = load_audio_folder(root, groups="album")
    expected = [f"{tags[r][0]} / {tags[r][1]}" for r in _relative(tracks, root)]
    assert list(tracks.groups) == expected
    # eight artists each have a "Greatest Hits": eight groups, not one
    hits = {g for g in tracks.groups if g.endswith("/ Greatest Hits")}
    assert len(hits) == 8
    assert len(set(tracks.groups)) == 16


def test_albumartist_stands_in_for_a_missing_artist(tmp_path):
    _tag(_write(tmp_path / "rock" / "a.flac"), albumartist="The Band", album="One")
    _tag(_write(tmp_path / "rock" / "b.ogg"), artist="Solo", albumartist="The Band")
    tracks = load_audio_folder(tmp_path, groups="artist")
    assert list(tracks.groups) == ["The Band", "Solo"]
    with pytest.warns(
        UserWarning, match=r"1 of 2 file\(s\) have no artist tag .* or no album tag.*rock/b\.ogg"
    ):
        albums = load_audio_folder(tmp_path, groups="album")
    assert list(albums.groups) == ["The Band / One", "rock/b"]  # b has no album


def test_wav_and_aiff_id3_chunks_are_read(tmp_path):
    for ext in ("wav", "aiff"):
        path = _write(tmp_path / "rock" / f"x.{ext}")
        audio = mutagen.File(path, easy=True)  # WAVE, AIFF: plain ID3, no easy keys
        audio.add_tags()
        audio.tags.add(TPE1(encoding=3, text=["Wave Artist"]))
        audio.tags.add(TALB(encoding=3, text=["Wave Album"]))
        audio.save()
    tracks = load_audio_folder(tmp_path, groups="album")
    assert list(tracks.groups) == ["Wave Artist / Wave Album"] * 2


def test_a_callable_gets_each_path(library):
    root, tags = library
    seen = []

    def by_prefix(path):
        seen.append(path)
        return path.name.split("-")[0]

    tracks = load_audio_folder(root, groups=by_prefix)
    assert all(isinstance(p, Path) for p in seen)
    assert [str(p) for p in seen] == tracks.paths
    assert list(tracks.groups) == [Path(p).name.split("-")[0] for p in tracks.paths]
    # tuples stay one group per file (not a 2-D array)
    pairs = load_audio_folder(root, groups=lambda p: (p.parent.name, p.suffix))
    assert pairs.groups.shape == (24,) and pairs.groups[0] == ("blues", pairs.paths[0][-5:])


def test_a_callable_returning_none_or_unhashable(tmp_path):
    _write(tmp_path / "jazz" / "a.flac")
    _write(tmp_path / "jazz" / "b.flac")
    lookup = {"a.flac": "Known"}
    with pytest.warns(UserWarning, match=r"groups\(path\) returned None for 1 of 2 .*jazz/b\.flac"):
        tracks = load_audio_folder(tmp_path, groups=lambda p: lookup.get(p.name))
    assert list(tracks.groups) == ["Known", "jazz/b"]
    assert list(tracks.grouped) == [True, False]
    with pytest.raises(TypeError, match=r"hashable group .*list \['x'\] .*a\.flac"):
        load_audio_folder(tmp_path, groups=lambda p: ["x"])


def test_untagged_files_fall_back_to_their_own_group_with_one_warning(library):
    root, tags = library
    plain = _write(root / "rock" / "untagged.flac")  # no tags at all
    empty = _write(root / "jazz" / "empty-artist.ogg")
    _tag(empty, artist="   ", album="X")  # only blanks: no artist
    au = _write(root / "metal" / "noise.au")  # a format without tags
    broken = _write(root / "blues" / "broken-id3.wav")  # a damaged ID3 chunk: MutagenError
    data = bytearray(broken.read_bytes())
    data += b"id3 " + struct.pack("<I", 16) + b"ID3\x04\x00\x00\xff\xff\xff\xff" + bytes(6)
    data[4:8] = struct.pack("<I", len(data) - 8)
    broken.write_bytes(bytes(data))
    with pytest.raises(mutagen.MutagenError):
        mutagen.File(broken, easy=True)
    sf.info(broken)  # the audio itself is fine
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracks = load_audio_folder(root, groups="artist")
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert len(messages) == 1, messages
    message = messages[0]
    assert "4 of 28 file(s) have no artist tag (artist or albumartist)" in message
    assert "those files are their own group" in message
    for path in (plain, empty, au, broken):
        assert path.relative_to(root).as_posix() in message
    groups = dict(zip(_relative(tracks, root), tracks.groups, strict=True))
    for path in (plain, empty, au, broken):
        relative = path.relative_to(root).as_posix()
        assert groups[relative] == relative.rsplit(".", 1)[0]  # the "file" group
    assert all(groups[r] == artist for r, (artist, _) in tags.items())  # the tagged keep theirs
    grouped = dict(zip(_relative(tracks, root), tracks.grouped, strict=True))
    assert {r for r, g in grouped.items() if not g} == {
        p.relative_to(root).as_posix() for p in (plain, empty, au, broken)
    }


def test_the_warning_names_at_most_five_files(tmp_path):
    for k in range(7):
        _write(tmp_path / "rock" / f"t{k}.flac")
    with pytest.warns(UserWarning, match=r"7 of 7 .*rock/t4\.flac and 2 more; those files"):
        tracks = load_audio_folder(tmp_path, groups="artist")
    assert list(tracks.groups) == [f"rock/t{k}" for k in range(7)]


def test_the_default_is_the_file_group(library):
    root, tags = library
    default, file = load_audio_folder(root), load_audio_folder(root, groups="file")
    np.testing.assert_array_equal(default.groups, file.groups)
    assert default.grouped.dtype == bool and default.grouped.all()
    assert list(default.groups) == [r.rsplit(".", 1)[0] for r in _relative(default, root)]
    assert default.paths == file.paths
    np.testing.assert_array_equal(default.target, file.target)


def test_pieces_take_the_tags_of_their_song(library, tmp_path):
    root, tags = library
    pieces_root = tmp_path / "pieces"
    segment_audio_folder(root, pieces_root, segment_duration=0.05)
    pieces = load_audio_folder(pieces_root, groups="artist")
    songs = load_audio_folder(pieces_root)
    assert len(pieces.paths) > 24
    by_song = {r.rsplit(".", 1)[0]: tags[r][0] for r in tags}
    assert list(pieces.groups) == [by_song[s] for s in songs.groups]


@pytest.mark.parametrize("bad", ["artists", "Artist", "", None, 3, ["artist"]])
def test_a_bad_groups_value_is_refused(library, bad):
    root, _ = library
    with pytest.raises(ValueError, match=r"groups must be 'file', 'artist', 'album' or a call"):
        load_audio_folder(root, groups=bad)
    with pytest.raises(ValueError, match=f"got {bad!r}".replace("[", r"\[")):
        load_audio_folder(root, groups=bad)


def test_stratified_group_kfold_over_artists_never_splits_an_artist(library):
    root, _ = library
    tracks = load_audio_folder(root, groups="artist")
    cv = StratifiedGroupKFold(n_splits=2, shuffle=True, random_state=0)
    tested = set()
    for train, test in cv.split(tracks.paths, tracks.target, tracks.groups):
        assert not set(tracks.groups[train]) & set(tracks.groups[test])
        tested |= set(tracks.groups[test])
    assert len(tested) == 8
    # the default file groups do split artists: the test above can fail
    files = load_audio_folder(root)
    split = [
        set(tracks.groups[train]) & set(tracks.groups[test])
        for train, test in cv.split(files.paths, files.target, files.groups)
    ]
    assert any(split)


@pytest.mark.real_data
def test_fault_filtered_split_of_gtzan_mini_warns(gtzan_mini):
    tracks = load_audio_folder(gtzan_mini.root)
    for y in (tracks.target, None):
        with pytest.warns(UserWarning) as record:
            train, test = next(FaultFilteredSplit().split(tracks.paths, y))
        (message,) = [str(w.message) for w in record if "fault-filtered" in str(w.message)]
        assert "kept 21 of the input's 59 tracks (10 genres) for training and 25 for testing" in (
            message
        )
        assert "no training track of genre classical, disco" in message
        assert "no validation track of genre hiphop, pop, reggae" in message
        assert "StratifiedGroupKFold with artist groups" in message
        assert "groups='artist'" in message
        assert (len(train), len(test)) == (21, 25)


def test_fault_filtered_split_of_the_whole_table_does_not_warn():
    gtzan = load_gtzan_features()
    ids = np.repeat(gtzan.track_ids, 3)  # segment rows of every track
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        train, test = next(FaultFilteredSplit().split(gtzan.data, gtzan.target))
        next(FaultFilteredSplit().split(gtzan.data))
        next(
            FaultFilteredSplit(track_ids=ids).split(np.zeros((3000, 1)), np.repeat(gtzan.target, 3))
        )
    assert (len(train), len(test)) == (443, 197)


def test_fault_filtered_split_warns_when_a_genre_has_no_training_track():
    """All 640 split tracks are there, but one genre's training rows are left out."""
    gtzan = load_gtzan_features()
    keep = ~((gtzan.split == "train") & (gtzan.target == "jazz"))
    with pytest.warns(UserWarning, match=r"no training track of genre jazz: .*StratifiedGroupK"):
        next(FaultFilteredSplit().split(gtzan.track_ids[keep], gtzan.target[keep]))
