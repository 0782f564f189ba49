"""Audio folders laid out as ``root/<genre>/<track>.<ext>`` (the GTZAN layout).

:func:`load_audio_folder` lists such a folder; :func:`segment_audio_folder`
cuts its (long) songs into fixed-length pieces in the same layout, with a
``segments.csv`` manifest that keeps the pieces of one song one CV group.
"""

import collections
import csv
import math
import os
import re
import time
import warnings
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from .._atomic import atomic_path, check_output_path
from ..exceptions import AudioDecodeError
from ..io import AUDIO_EXTENSIONS, probe_audio
from ._segment import _check_segment_args, _write_segments

__all__ = ["load_audio_folder", "segment_audio_folder"]

#: Manifest written by :func:`segment_audio_folder`; maps each piece to its song.
SEGMENTS_CSV = "segments.csv"
#: Left in ``dst`` while :func:`segment_audio_folder` runs; still there if the run did not finish.
SEGMENTS_INCOMPLETE = "segments.incomplete"
#: Files directly in ``root`` that describe the dataset and are not warned about.
_MANIFESTS = frozenset({SEGMENTS_CSV, SEGMENTS_INCOMPLETE, "manifest.csv"})
#: Columns of ``segments.csv`` (the last two record the settings the pieces were cut with).
_MANIFEST_COLUMNS = ("file", "genre", "song", "source", "start", "end", "segment_duration", "sr")
#: Columns a ``segments.csv`` must have (manifests of sk_genre <= 0.x lack the settings).
_REQUIRED_COLUMNS = _MANIFEST_COLUMNS[:6]
#: A piece's stem: ``<song>.<k:03d>``.
_PIECE_STEM = re.compile(r"^(?P<song>.+)\.(?P<k>[0-9]{3,})$")
#: Rewrite ``segments.csv`` at most this often while segmenting (and always at the end).
_CHECKPOINT_SECONDS = 2.0
#: The values of ``load_audio_folder(groups=...)`` other than a callable.
_GROUPS = ("file", "artist", "album")
#: The easy tags read for ``groups``, and the ID3 frame of each (WAV, AIFF).
_TAG_FRAMES = {"artist": "TPE1", "albumartist": "TPE2", "album": "TALB"}
#: The same in WMA (ASF) files.
_ASF_KEYS = {"artist": "Author", "albumartist": "WM/AlbumArtist", "album": "WM/AlbumTitle"}


def load_audio_folder(root, *, groups="file", on_error="raise"):
    """List the audio files of a GTZAN-style folder with their genres and groups.

    Each sub-folder of ``root`` is a genre; every audio file below it (any
    depth) is one track of that genre. Files are not decoded here, but each
    one's header is checked (:func:`sk_genre.io.probe_audio`), so empty files,
    files that are not audio and files without samples are caught before a
    long run; ``on_error`` says what happens to them.

    Audio files are the names ending in one of
    :data:`sk_genre.io.AUDIO_EXTENSIONS` (any case). Hidden files and folders
    (names starting with ``"."``, such as ``.git`` or the temporary files of
    an unfinished write) are ignored. Symbolic links are followed, except a
    link to ``root`` itself or to a folder above the one holding it (which
    would list every track again, under a made-up genre); a file reached
    twice through links is listed once, under the path that does not go
    through a link (else the first in sorted order). Both are warned about.

    The returned ``groups`` say which tracks belong together, for grouped
    cross-validation (:class:`~sklearn.model_selection.GroupKFold`,
    :class:`~sklearn.model_selection.StratifiedGroupKFold`). By default
    (``groups="file"``) each file is its own group, except that when ``root``
    holds a ``segments.csv`` (written by :func:`segment_audio_folder`) the
    group of a piece is its source song, so the pieces of one song never land
    on both sides of a split. That protects against nothing else: tracks of
    one artist on both sides make a score too good (an artist's sound is
    easier to recognise than a genre), so for a folder of your own music
    group by ``"artist"`` or ``"album"``, read from the files' tags.

    Parameters
    ----------
    root : str or os.PathLike
        Folder with one sub-folder per genre.
    groups : {"file", "artist", "album"} or callable, default="file"
        What the returned ``groups`` hold:

        - ``"file"``: the file (or, for a piece listed in ``segments.csv``,
          its song), as described above;
        - ``"artist"``: the file's artist tag (its first value, stripped),
          or its ``albumartist`` tag when it has no artist;
        - ``"album"``: the pair of artist (as above) and ``album`` tag, as
          the string ``"<artist> / <album>"``, so two artists' albums of the
          same name are two groups;
        - a callable: ``groups(path)`` with each file's path (a
          :class:`pathlib.Path`, as in ``paths``), returning a hashable
          group (scikit-learn's splitters also need the groups to be sortable
          among themselves: all strings, or all numbers). Errors it raises
          propagate.

        Tags are read with mutagen's "easy" interface
        (``mutagen.File(path, easy=True)``): ID3 in MP3, Vorbis comments in
        Ogg Vorbis, Opus and FLAC, MP4/M4A atoms, APEv2; the ID3 chunk of
        WAV and AIFF files (frames ``TPE1``, ``TPE2``, ``TALB``) and WMA's
        ``Author``, ``WM/AlbumArtist`` and ``WM/AlbumTitle`` are read too.
        A piece listed in ``segments.csv`` without tags of its own takes
        those of its source song (the ``source`` column) when that file
        still exists. A file without the tag (an empty value counts as
        none), whose tags cannot be read (any error, e.g.
        :class:`mutagen.MutagenError`: never an error of the load), or for
        which the callable returns None keeps its ``"file"`` group, and one
        warning names such files.
    on_error : {"raise", "skip", "warn"}, default="raise"
        For a file with an audio extension that is not readable audio, and
        for a folder that cannot be listed (permission denied): ``"raise"``
        an :class:`~sk_genre.AudioDecodeError` naming the file (the
        :class:`OSError` naming the folder); ``"skip"`` leave it out of
        ``paths`` (and ``target``, ``groups``) and list it in ``errors``;
        ``"warn"`` the same and warn once, naming every such file and folder.
        Data cut short or corrupt behind a good header is only found when
        decoding: the feature transformers' ``on_error`` handles it.

    Returns
    -------
    data : sklearn.utils.Bunch
        With fields:

        paths : list of str
            Audio files, sorted by genre then path.
        target : ndarray of shape (n_tracks,), dtype object
            Genre (sub-folder name) of each file.
        track_ids : ndarray of shape (n_tracks,), dtype object
            File name without its extension (``"blues.00000"``).
        groups : ndarray of shape (n_tracks,), dtype object
            Group of each file, as ``groups`` says. The ``"file"`` group is
            the ``song`` column of ``root/segments.csv`` for the files it
            lists (``"blues/blues.00000"`` for
            ``blues/blues.00000.003.wav``); for any other file its path
            relative to ``root`` without the extension (unique, so each
            such file is its own group). ``"artist"``: the artist
            (``"John Lee Hooker"``); ``"album"``: ``"<artist> / <album>"``.
        grouped : ndarray of shape (n_tracks,), dtype bool
            True where the group is the one asked for, False where a file
            kept its ``"file"`` group for want of a tag (or ``groups``
            returned None). All True with ``groups="file"``.
        target_names : list of str
            Genres with at least one readable file, sorted: after files were
            left out, possibly fewer than the sub-folders (a single genre
            cannot train a classifier; callers can check ``len``).
        errors : dict of str to AudioDecodeError or OSError
            Audio-named files left out because they are not readable, and
            folders that could not be listed (empty unless ``on_error`` is
            ``"skip"`` or ``"warn"``).

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or is not a folder.
    PermissionError
        ``root`` cannot be listed; with ``on_error="raise"``, also a folder
        below it.
    AudioDecodeError
        With ``on_error="raise"``: the first unreadable audio file.
    ValueError
        No (readable) audio file was found in any sub-folder,
        ``root/segments.csv`` lacks the ``file`` or ``song`` column,
        ``groups`` is neither one of the three values nor a callable, or
        ``on_error`` is not one of the three values.
    TypeError
        The ``groups`` callable returned an unhashable value (naming the
        file).

    Warns
    -----
    UserWarning
        Once each, when there are such files:

        - files skipped because their extension is not an audio one, and
          audio files directly in ``root`` (they must be inside a genre
          sub-folder); the dataset manifests ``manifest.csv`` and
          ``segments.csv`` directly in ``root`` are expected and not listed;
        - links to ``root`` or an ancestor that were not followed, and files
          reached twice that were listed once;
        - genre sub-folders left with no readable audio file;
        - with ``on_error="warn"``, the unreadable files and folders;
        - ``segments.csv`` exists but does not list some audio files (a stale
          manifest), or there is no ``segments.csv`` but files are named like
          pieces (``<song>.<k:03d>.<ext>`` next to ``<song>.000.<ext>``):
          each such file is its own group, so grouped cross-validation could
          split a song;
        - ``root/segments.incomplete`` exists: a
          :func:`segment_audio_folder` run into ``root`` did not finish;
        - with ``groups="artist"`` or ``"album"``, files without that tag
          (or whose tags cannot be read), and with a callable ``groups``,
          files for which it returned None: how many, naming up to five;
          each keeps its ``"file"`` group, its own.

    See Also
    --------
    segment_audio_folder : Cut long songs into pieces and write ``segments.csv``.

    Examples
    --------
    >>> from sk_genre.datasets import load_audio_folder
    >>> tracks = load_audio_folder("gtzan-mini")  # doctest: +SKIP
    >>> len(tracks.paths), tracks.target_names[:2]  # doctest: +SKIP
    (59, ['blues', 'classical'])

    Cross-validate a segmented folder without splitting a song:

    >>> from sklearn.model_selection import GroupKFold
    >>> pieces = load_audio_folder("gtzan-pieces")  # doctest: +SKIP
    >>> cv = GroupKFold(n_splits=5)  # doctest: +SKIP
    >>> folds = cv.split(pieces.paths, pieces.target, pieces.groups)  # doctest: +SKIP

    Keep each artist's tracks on one side (artist tags of your own music):

    >>> from sklearn.model_selection import StratifiedGroupKFold
    >>> songs = load_audio_folder("my-music", groups="artist")  # doctest: +SKIP
    >>> songs.groups[:2]  # doctest: +SKIP
    array(['John Lee Hooker', 'John Lee Hooker'], dtype=object)
    >>> cv = StratifiedGroupKFold(n_splits=5)  # doctest: +SKIP
    >>> folds = cv.split(songs.paths, songs.target, songs.groups)  # doctest: +SKIP
    """
    if not callable(groups) and not (isinstance(groups, str) and groups in _GROUPS):
        raise ValueError(
            f"groups must be 'file', 'artist', 'album' or a callable groups(path); got {groups!r}"
        )
    if on_error not in ("raise", "skip", "warn"):
        raise ValueError(f"on_error must be 'raise', 'skip' or 'warn'; got {on_error!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root must be an existing folder; got {os.fspath(root)!r}")
    found = _list_folder(root)
    if found.folder_errors and on_error == "raise":
        raise next(iter(found.folder_errors.values()))
    paths, genres, errors = [], [], dict(found.folder_errors)
    for path, genre in found.audio:
        try:
            probe_audio(path)
        except AudioDecodeError as exc:
            if on_error == "raise":
                raise
            errors[os.fspath(path)] = exc
            continue
        paths.append(os.fspath(path))
        genres.append(genre)
    name = os.fspath(root)
    if found.other:
        warnings.warn(
            f"load_audio_folder skipped {len(found.other)} non-audio file(s) in {name!r}: "
            + _listing(os.fspath(p.relative_to(root)) for p in found.other),
            UserWarning,
            stacklevel=2,
        )
    if found.loose:
        warnings.warn(
            f"load_audio_folder skipped {len(found.loose)} audio file(s) directly in {name!r}: "
            f"audio files must be inside genre sub-folders ({name}/<genre>/<file>, the "
            "sub-folder's name is the genre): " + _listing(p.name for p in found.loose),
            UserWarning,
            stacklevel=2,
        )
    if found.loops:
        warnings.warn(
            f"load_audio_folder did not follow {len(found.loops)} symbolic link(s) that lead "
            f"back to {name!r} or to a folder that holds them (every track below would be "
            "listed again): "
            + _listing(f"{p.relative_to(root)} -> {_link_target(p)}" for p in found.loops),
            UserWarning,
            stacklevel=2,
        )
    if found.duplicates:
        warnings.warn(
            f"load_audio_folder listed {len(found.duplicates)} file(s) reached twice (through "
            "symbolic links) only once: "
            + _listing(
                f"{p.relative_to(root)} (the same file as {kept.relative_to(root)})"
                for p, kept in found.duplicates
            ),
            UserWarning,
            stacklevel=2,
        )
    empty = sorted(set(found.genres) - set(genres))
    if empty and paths:  # with none at all, the ValueError below says so
        linked = {p.relative_to(root).parts[0] for p, _ in found.duplicates}
        warnings.warn(
            f"load_audio_folder found no readable audio file in {len(empty)} genre "
            f"sub-folder(s) of {name!r}, which are left out: "
            + _listing(
                f"{g} (its files are listed under another genre)" if g in linked else g
                for g in empty
            ),
            UserWarning,
            stacklevel=2,
        )
    if errors and on_error == "warn":
        warnings.warn(
            f"load_audio_folder left out {len(errors)} unreadable audio file(s) or folder(s) in "
            f"{name!r}: " + _listing(f"{p} ({_reason(e)})" for p, e in errors.items()),
            UserWarning,
            stacklevel=2,
        )
    if (root / SEGMENTS_INCOMPLETE).exists():
        warnings.warn(
            f"segmenting into {name!r} did not finish (interrupted, or it failed): "
            f"{SEGMENTS_CSV} lists the songs cut so far, the others have no piece yet; run "
            "the same segment_audio_folder call (sk-genre segment command) again to finish",
            UserWarning,
            stacklevel=2,
        )
    if not paths:
        unreadable = f" ({len(errors)} unreadable)" if errors else ""
        raise ValueError(
            f"root must contain genre sub-folders with audio files "
            f"({', '.join(sorted(AUDIO_EXTENSIONS))}); found none{unreadable} in {name!r}"
        )
    own, sources = _groups(root, paths)
    grouped = np.ones(len(own), dtype=bool)
    if groups != "file":
        own, grouped = _tag_groups(root, paths, own, sources, groups)
    group_array = np.empty(len(own), dtype=object)
    for i, group in enumerate(own):  # one by one: tuple groups stay tuples, not rows
        group_array[i] = group
    return Bunch(
        paths=paths,
        target=np.array(genres, dtype=object),
        track_ids=np.array([Path(p).stem for p in paths], dtype=object),
        groups=group_array,
        grouped=grouped,
        target_names=sorted(set(genres)),
        errors=errors,
    )


def _reason(error):
    return error.reason if isinstance(error, AudioDecodeError) else str(error)


def _link_target(path):
    try:
        return os.readlink(path)
    except OSError:  # a folder below a link, not a link itself
        return os.path.realpath(path)


def _list_folder(root):
    """Walk ``root``: audio files per genre, and everything left out, for the warnings.

    Returns a Bunch: ``audio`` (list of (path, genre), sorted by genre then
    path, each real file once), ``genres`` (the genre sub-folders), ``other``
    (non-audio files), ``loose`` (audio files directly in root), ``loops``
    (links not followed), ``duplicates`` ((path, kept path) pairs) and
    ``folder_errors`` (folder path -> OSError).
    """
    found = Bunch(audio=[], genres=[], other=[], loose=[], loops=[], duplicates=[])
    found.folder_errors = {}
    root_real = Path(os.path.realpath(root))
    entries = _entries(root, found.folder_errors)
    if os.fspath(root) in found.folder_errors:  # root itself cannot be listed
        raise found.folder_errors[os.fspath(root)]
    candidates = []
    for entry, is_dir in entries:
        if is_dir:
            real = os.path.realpath(entry)
            if real == os.fspath(root_real) or Path(real) in root_real.parents:
                found.loops.append(entry)
                continue
            found.genres.append(entry.name)
            files = _walk(entry, {os.fspath(root_real), real}, found)
            candidates.extend((path, entry.name) for path in files)
        elif entry.name in _MANIFESTS:
            continue
        elif entry.suffix.lower() in AUDIO_EXTENSIONS:
            found.loose.append(entry)
        else:
            found.other.append(entry)
    # one entry per real file: the path without links if there is one, else the first
    by_real = collections.defaultdict(list)
    for path, genre in candidates:
        by_real[os.path.realpath(path)].append((path, genre))
    for real, same in by_real.items():
        direct = [pg for pg in same if os.fspath(root_real / pg[0].relative_to(root)) == real]
        kept = (direct or same)[0]
        found.audio.append(kept)
        found.duplicates.extend((p, kept[0]) for p, _ in same if p != kept[0])
    found.audio.sort(key=lambda pg: (pg[1], pg[0]))
    found.duplicates.sort()
    return found


def _entries(folder, folder_errors):
    """Sorted ``(path, is_dir)`` of ``folder``'s visible entries (links followed for is_dir)."""
    try:
        with os.scandir(folder) as it:
            entries = sorted(it, key=lambda e: e.name)
    except OSError as exc:
        folder_errors[os.fspath(folder)] = exc
        return []
    out = []
    for entry in entries:
        if entry.name.startswith("."):
            continue  # hidden: .git, .DS_Store, temporary files of atomic writes
        try:
            is_dir = entry.is_dir()
        except OSError:  # a link loop or an unreadable target: listed as a file
            is_dir = False
        out.append((Path(folder) / entry.name, is_dir))
    return out


def list_audio_files(folder):
    """The audio files below ``folder``, at any depth, as ``sk-genre train`` finds them.

    Names ending in one of :data:`sk_genre.io.AUDIO_EXTENSIONS` (any case),
    sorted, hidden entries skipped, links to ``folder`` or its ancestors not
    followed.

    Returns
    -------
    files : list of pathlib.Path
    folder_errors : dict of str to OSError
        Sub-folders (or ``folder`` itself) that could not be listed.
    """
    found = Bunch(other=[], loops=[], folder_errors={})
    files = _walk(Path(folder), {os.path.realpath(folder)}, found)
    return files, found.folder_errors


def _walk(folder, ancestors, found):
    """Files below ``folder`` (any depth); links to ``folder``'s ancestors are not followed."""
    files = []
    for path, is_dir in _entries(folder, found.folder_errors):
        if is_dir:
            real = os.path.realpath(path)
            if real in ancestors:
                found.loops.append(path)
            else:
                files.extend(_walk(path, ancestors | {real}, found))
        elif path.suffix.lower() in AUDIO_EXTENSIONS:
            files.append(path)
        else:
            found.other.append(path)
    return files


def _groups(root, paths):
    """Song of each path from ``root/segments.csv``, else its relative path sans extension.

    Also returns the ``source`` column for each path (None where there is none).
    """
    relative = [Path(p).relative_to(root).as_posix() for p in paths]
    own = [str(PurePosixPath(r).with_suffix("")) for r in relative]
    manifest = root / SEGMENTS_CSV
    if not manifest.is_file():
        pieces = _piece_like(relative)
        if pieces:
            warnings.warn(
                f"{len(pieces)} file(s) in {os.fspath(root)!r} are named like the pieces of "
                f"segmented songs (<song>.<k:03d>.<ext>), e.g. {_listing(pieces, 3)}, but there "
                f"is no {SEGMENTS_CSV} to say which song each comes from: each is its own "
                "group, so grouped cross-validation can put pieces of one song on both sides "
                "of a split. Segment the songs again with segment_audio_folder (sk-genre "
                "segment), which writes it, or give your own groups",
                UserWarning,
                stacklevel=3,
            )
        return own, [None] * len(own)
    rows = _read_manifest(manifest, required=("file", "song"))
    songs = {row["file"]: row["song"] for row in rows}
    sources = {row["file"]: _source_of(row, root) for row in rows}
    missing = [r for r in relative if r not in songs]
    if missing:
        warnings.warn(
            f"{os.fspath(manifest)!r} does not list {len(missing)} audio file(s): "
            f"{_listing(missing)}; each is its own group",
            UserWarning,
            stacklevel=3,
        )
    return (
        [songs.get(r, o) for r, o in zip(relative, own, strict=True)],
        [sources.get(r) for r in relative],
    )


def _tag_groups(root, paths, own, sources, groups):
    """The ``groups`` of each path from its tags or the callable, ``own`` where there is none,
    and a boolean array: which paths got the group asked for.

    Warns once, naming the files that kept their ``own`` group.
    """
    values, untagged, grouped = [], [], []
    for path, fallback, source in zip(paths, own, sources, strict=True):
        if callable(groups):
            value = groups(Path(path))
            if value is not None:
                try:
                    hash(value)
                except TypeError:
                    raise TypeError(
                        f"groups must return a hashable group for each file; got "
                        f"{type(value).__name__} {value!r} ({path})"
                    ) from None
        else:
            tags = _read_tags(path)
            if not any(tags.values()) and source is not None and os.path.isfile(source):
                tags = _read_tags(source)  # a piece written by segment_audio_folder
            artist = tags["artist"] or tags["albumartist"]
            if groups == "artist":
                value = artist
            else:
                value = f"{artist} / {tags['album']}" if artist and tags["album"] else None
        grouped.append(value is not None)
        if value is None:
            untagged.append(Path(path).relative_to(root).as_posix())
            value = fallback
        values.append(value)
    if untagged:
        n = f"{len(untagged)} of {len(paths)} file(s)"
        if callable(groups):
            call, found = "groups=<callable>", f"groups(path) returned None for {n}"
        else:
            what = {
                "artist": "artist tag (artist or albumartist)",
                "album": "artist tag (artist or albumartist) or no album tag",
            }[groups]
            call, found = f"groups={groups!r}", f"{n} have no {what}, or unreadable tags"
        warnings.warn(
            f"load_audio_folder({call}) in {os.fspath(root)!r}: {found}: "
            f"{_listing(untagged)}; those files are their own group (as with groups='file'), "
            "so grouped cross-validation cannot keep them with the other tracks of their "
            "artist: tag them, or pass groups=a function of the path",
            UserWarning,
            stacklevel=3,
        )
    return values, np.array(grouped, dtype=bool)


def _read_tags(path):
    """``{"artist", "albumartist", "album"}`` of one file: the first value of each, or None.

    Any failure to read the tags (not a format mutagen knows, a damaged
    header, an unreadable file) gives None for all three.
    """
    import mutagen  # here: importing sk_genre.datasets does not need it

    tags = dict.fromkeys(_TAG_FRAMES)
    try:
        audio = mutagen.File(path, easy=True)
        found = None if audio is None else audio.tags
        if found is None:
            return tags
        for key in tags:
            tags[key] = _first_value(found, key)
    except Exception:  # noqa: BLE001 - tags are optional: never an error of the load
        return dict.fromkeys(_TAG_FRAMES)
    return tags


def _first_value(tags, key):
    """The first non-empty text of tag ``key`` in mutagen's ``tags``, stripped; or None."""
    import mutagen.asf
    import mutagen.id3

    if isinstance(tags, mutagen.id3.ID3):  # WAV, AIFF: ID3 frames, not easy keys
        values = [text for frame in tags.getall(_TAG_FRAMES[key]) for text in frame.text]
    elif isinstance(tags, mutagen.asf.ASFTags):  # WMA
        values = tags.get(_ASF_KEYS[key], [])
    else:  # the easy interfaces (ID3 in MP3, Vorbis comments, MP4), APEv2: lists of text
        try:
            values = tags[key]
        except (KeyError, ValueError):
            return None
    if isinstance(values, str) or not isinstance(values, list | tuple):
        values = [values]
    for value in values:
        text = str(value).split("\0")[0].strip()  # APEv2 joins several values with NUL
        if text:
            return text
    return None


def _piece_like(relative):
    """The paths named ``<song>.<k:03d>.<ext>`` in a folder that also has ``<song>.000.*``.

    GTZAN's own names (``blues.00000.wav``) do not match: a piece number is
    written with exactly three digits below 1000, so the first is ``000``.
    """
    numbered = []
    for r in relative:
        path = PurePosixPath(r)
        match = _PIECE_STEM.match(path.stem)
        if match and f"{int(match['k']):03d}" == match["k"]:
            numbered.append((r, (path.parent, match["song"]), int(match["k"])))
    firsts = {song for _, song, k in numbered if k == 0}
    return [r for r, song, _ in numbered if song in firsts]


def _read_manifest(path, required=_REQUIRED_COLUMNS):
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        columns = reader.fieldnames or []
        if not set(required) <= set(columns):
            raise ValueError(
                f"{path.name} must have the columns {', '.join(required)}; "
                f"got {', '.join(columns) or 'none'} ({os.fspath(path)})"
            )
        return list(reader)


def segment_audio_folder(
    src,
    dst,
    *,
    segment_duration=30.0,
    sr=None,
    drop_last=True,
    format="wav",
    subtype=None,
    overwrite=False,
    progress=False,
):
    """Cut the songs of a GTZAN-style folder into fixed-length pieces, one group per song.

    ``src/<genre>/<song>.<ext>`` becomes ``dst/<genre>/<song>.<k:03d>.wav``
    (sub-folders below a genre are mirrored too), each song cut by
    :func:`segment_audio`. ``dst/segments.csv`` records, for
    every piece, the song it came from, so that
    ``load_audio_folder(dst).groups`` keeps all pieces of a song in one
    cross-validation fold. When ``src`` is a single audio file, its pieces
    are written directly into ``dst``. The songs are the files
    :func:`load_audio_folder` lists (hidden files are ignored, links to an
    ancestor are not followed, each real file is cut once).

    When two songs of one folder share a stem (``song0.flac`` and
    ``song0.wav``), both keep their extension in the pieces' names and in
    their ``song``: ``song0.flac.000.wav`` and ``song0.wav.000.wav``, songs
    ``"rock/song0.flac"`` and ``"rock/song0.wav"``, so neither overwrites the
    other's pieces and they are two groups. Other songs' names are as above.

    A file that cannot be read or cut does not stop the others: any error
    (decoding, a full disk, a format that cannot hold the file's rate) is
    reported in ``errors`` (and in a warning) and that song gets no piece.

    What happens to what ``dst`` already holds:

    - each song's pieces appear all at once when it has been cut (see
      :func:`segment_audio`): never a partial piece;
    - a song cut again replaces its pieces: its old pieces listed in
      ``segments.csv`` are deleted, its rows replaced; pieces and rows of
      other songs are kept, so several calls can fill one folder. A song that
      fails keeps its old pieces;
    - a ``dst`` whose ``segments.csv`` lists pieces cut with another
      ``segment_duration`` or ``sr`` is refused (a dataset of mixed pieces),
      unless ``overwrite=True``, which first deletes every piece that
      ``segments.csv`` lists, and only those;
    - files that ``segments.csv`` does not list are never deleted; one with
      the name of a new piece is replaced by it.

    ``segments.csv`` is rewritten (atomically, synced to disk) as songs are
    done and when the call ends, also by an exception or Ctrl-C: it always
    lists the pieces on disk. ``dst/segments.incomplete`` exists while the
    call runs and is removed when it finishes; after an interruption it
    stays, :func:`load_audio_folder` warns that ``dst`` is incomplete, and
    running the same call again finishes the job (it cuts every song again).

    Parameters
    ----------
    src : str or os.PathLike
        Folder with one sub-folder per genre (as :func:`load_audio_folder`
        reads it), or one audio file.
    dst : str or os.PathLike
        Output folder; created if missing. Must not be ``src`` or inside it.
    segment_duration : float, default=30.0
        Length of each piece in seconds.
    sr : int or None, default=None
        Sampling rate of the pieces in Hz; ``None`` keeps each file's rate.
    drop_last : bool, default=True
        Drop each song's trailing remainder shorter than ``segment_duration``;
        ``False`` writes it as a shorter last piece.
    format : str, default="wav"
        Output container and file extension (see
        :func:`segment_audio`).
    subtype : str or None, default=None
        Output sample format; ``None`` keeps the source's when it is linear
        PCM or float, else uses the format's default (PCM_16 for WAV): an MP3
        or Ogg source gives 16-bit pieces.
    overwrite : bool, default=False
        Delete the pieces listed in an existing ``dst/segments.csv`` before
        starting, whatever settings they were cut with.
    progress : bool, default=False
        Show a progress bar (one step per song) on stderr.

    Returns
    -------
    result : sklearn.utils.Bunch
        With fields:

        paths : list of pathlib.Path
            Pieces written, song by song in time order.
        songs : list of str
            Source files that gave at least one piece.
        short : list of str
            Source files shorter than ``segment_duration`` that gave no piece
            (only with ``drop_last=True``).
        errors : dict of str to Exception
            Source files that could not be read or cut (an
            :class:`~sk_genre.AudioDecodeError`, an :class:`OSError` such as a
            full disk, a :class:`ValueError` such as a rate the format cannot
            hold), and folders of ``src`` that could not be listed, with the
            reason.
        manifest : pathlib.Path
            ``dst/segments.csv``, with the columns ``file`` (piece path
            relative to ``dst``, ``/``-separated), ``genre`` (empty for a
            single-file ``src``), ``song`` (source path relative to ``src``
            without its extension, e.g. ``"blues/blues.00000"``: unique
            across genres; with the extension on a stem clash), ``source``
            (the source file's path relative to ``dst``, so the two folders
            can move together), ``start`` and ``end`` (the piece's span
            in the source, in seconds), ``segment_duration`` and ``sr`` (the
            settings, ``sr`` empty for each source's own rate).

    Raises
    ------
    FileNotFoundError
        ``src`` does not exist.
    PermissionError
        ``dst`` cannot be written.
    ValueError
        ``src`` holds no genre sub-folder with audio, ``dst`` is ``src`` or
        inside it or a file, ``dst/segments.csv`` is not a manifest or lists
        pieces cut with other settings (and ``overwrite=False``), or a
        parameter is invalid (see :func:`segment_audio`). All
        are raised before anything is written.

    Warns
    -----
    UserWarning
        Once listing the files that could not be read, and once listing the
        files shorter than ``segment_duration`` that gave no piece; those of
        :func:`load_audio_folder` about ``src``.

    See Also
    --------
    segment_audio : Segment one file.
    load_audio_folder : Read the result, with ``groups`` for grouped CV.

    Examples
    --------
    >>> from sk_genre.datasets import load_audio_folder, segment_audio_folder
    >>> result = segment_audio_folder("songs/", "pieces/")  # doctest: +SKIP
    >>> len(result.paths), len(result.songs), result.errors  # doctest: +SKIP
    (240, 40, {})
    >>> pieces = load_audio_folder("pieces/")  # doctest: +SKIP
    >>> pieces.groups[:2]  # doctest: +SKIP
    array(['blues/song1', 'blues/song1'], dtype=object)
    """
    _check_segment_args(segment_duration, sr, format, subtype)
    src, dst = Path(src), Path(dst)
    if src.is_dir():
        if dst.resolve() == src.resolve() or src.resolve() in dst.resolve().parents:
            raise ValueError(
                f"dst must be outside src; got dst={os.fspath(dst)!r} in src={os.fspath(src)!r}"
            )
        tracks = load_audio_folder(src, on_error="skip")
        sources = [(Path(p), g) for p, g in zip(tracks.paths, tracks.target, strict=True)]
        base, unreadable = src, tracks.errors
    elif src.exists():
        sources, base, unreadable = [(src, "")], src.parent, {}
    else:
        raise FileNotFoundError(
            f"src must be an existing audio file or folder; got {os.fspath(src)!r}"
        )
    if dst.exists() and not dst.is_dir():
        raise ValueError(f"dst must be a folder; got the file {os.fspath(dst)!r}")
    manifest = check_output_path(dst / SEGMENTS_CSV)  # a read-only dst fails here
    old_rows = _read_manifest(manifest) if manifest.is_file() else []
    if not overwrite:
        _check_same_settings(old_rows, segment_duration, sr, manifest)

    setting = {"segment_duration": repr(float(segment_duration)), "sr": "" if sr is None else sr}
    paths, songs, short, errors = [], [], [], dict(unreadable)
    dst.mkdir(parents=True, exist_ok=True)
    incomplete = dst / SEGMENTS_INCOMPLETE
    incomplete.write_text(
        f"sk_genre.datasets.segment_audio_folder from {os.path.abspath(src)!r} has not finished "
        f"writing this folder ({SEGMENTS_CSV} lists the songs done); run it again.\n",
        encoding="utf-8",
    )
    state = _Manifest(manifest, old_rows)
    try:
        if overwrite and old_rows:
            state.rows = []  # first: if interrupted, no row lists a deleted piece
            state.save()
            _remove_pieces(dst, [row["file"] for row in old_rows])
        for (path, genre), (stem, song) in zip(
            tqdm(sources, desc="segmenting", unit="song", disable=not progress, leave=False),
            _names([p for p, _ in sources], base),
            strict=True,
        ):
            relative = path.relative_to(base)
            try:
                pieces = _write_segments(
                    path,
                    dst / relative.parent,
                    segment_duration=segment_duration,
                    sr=sr,
                    drop_last=drop_last,
                    format=format,
                    subtype=subtype,
                    stem=stem,
                )
            except Exception as exc:  # noqa: BLE001 - one bad source never stops the others
                errors[os.fspath(path)] = exc
                continue
            (songs if pieces else short).append(os.fspath(path))
            if not pieces:
                continue
            rows = [
                {
                    "file": piece.relative_to(dst).as_posix(),
                    "genre": genre,
                    "song": song,
                    "source": _relative_source(path, dst),
                    "start": round(start, 6),
                    "end": round(end, 6),
                    **setting,
                }
                for piece, start, end in pieces
            ]
            paths.extend(piece for piece, _, _ in pieces)
            stale = state.replace_song(song, os.path.abspath(path), rows)
            state.save_if_due()
            _remove_pieces(dst, stale)
    finally:
        state.save()  # also on Ctrl-C: segments.csv lists exactly the pieces on disk
    incomplete.unlink(missing_ok=True)

    n = len(sources) + len(unreadable)
    if errors:
        warnings.warn(
            f"segment_audio_folder could not read {len(errors)} of {n} file(s): "
            + _listing(f"{p} ({_reason(e)})" for p, e in errors.items()),
            UserWarning,
            stacklevel=2,
        )
    if short:
        warnings.warn(
            f"segment_audio_folder wrote no piece for {len(short)} of {n} file(s) shorter than "
            f"segment_duration={segment_duration} s: {_listing(short)} "
            "(drop_last=False keeps them as one shorter piece)",
            UserWarning,
            stacklevel=2,
        )
    return Bunch(paths=paths, songs=songs, short=short, errors=errors, manifest=manifest)


def _names(paths, base):
    """``(stem, song)`` per source: the pieces' stem and the manifest's song.

    Normally the file's stem and its path relative to ``base`` without the
    extension; with the extension kept in both when another source in the
    same folder has the same stem (compared without case, as on macOS and
    Windows file systems).
    """
    relative = [p.relative_to(base) for p in paths]
    counts = collections.Counter((r.parent, r.stem.casefold()) for r in relative)
    names = []
    for r in relative:
        stem = r.name if counts[(r.parent, r.stem.casefold())] > 1 else r.stem
        names.append((stem, (r.parent / stem).as_posix()))
    return names


def _check_same_settings(rows, segment_duration, sr, manifest):
    """Refuse to add pieces to a manifest that lists pieces cut with other settings."""
    want_sr = "" if sr is None else str(int(sr))
    for row in rows:
        duration, rate = row.get("segment_duration"), row.get("sr")
        if duration in (None, ""):
            continue  # written before the settings were recorded
        try:
            same = math.isclose(float(duration), segment_duration, rel_tol=1e-9)
        except ValueError:
            same = False
        if same and (rate or "") == want_sr:
            continue
        theirs = f"{duration} s at {f'{rate} Hz' if rate else 'the source rate'}"
        ours = f"{segment_duration:g} s at {f'{want_sr} Hz' if want_sr else 'the source rate'}"
        raise ValueError(
            f"dst must hold pieces cut with one setting; {os.fspath(manifest)!r} lists pieces "
            f"of {theirs} (e.g. {row['file']}), got {ours}: use another dst, or overwrite=True "
            "(sk-genre segment --overwrite) to delete the pieces it lists first"
        )


def _remove_pieces(dst, files):
    """Delete the pieces ``files`` (manifest paths); never a path outside ``dst``."""
    dst_real = Path(os.path.realpath(dst))
    for file in files:
        relative = PurePosixPath(file)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            continue  # a hand-edited manifest: not ours to delete
        piece = dst / relative
        if dst_real not in Path(os.path.realpath(piece)).parents:
            continue
        if piece.is_file():
            piece.unlink()


def _relative_source(path, dst):
    """``path`` relative to ``dst`` (POSIX), so a folder moved with its sources still reads.

    Absolute where no relative path exists (another drive on Windows).
    """
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(dst))).as_posix()
    except ValueError:
        return os.path.abspath(path)


def _source_of(row, folder):
    """Absolute path of a ``segments.csv`` row's source (stored relative to ``folder``), or None.

    Rows written by earlier versions hold absolute paths; they are returned as they are.
    """
    source = row.get("source")
    if not source:
        return None
    return os.path.normpath(os.path.join(os.path.abspath(folder), source))


class _Manifest:
    """The rows of ``segments.csv`` as segmenting goes, written atomically."""

    def __init__(self, path, rows):
        self.path = path
        self.rows = list(rows)
        self._saved = time.monotonic()

    def replace_song(self, song, source, rows):
        """Put ``rows`` in place of the old rows of ``song`` or ``source``, and of their files.

        Returns the old pieces of that song (or source, cut earlier under
        another name) that are not among the new ones: to be deleted.
        """
        files = {row["file"] for row in rows}

        def same(row):
            return row["song"] == song or _source_of(row, self.path.parent) == source

        old = [r["file"] for r in self.rows if same(r) and r["file"] not in files]
        self.rows = [r for r in self.rows if not same(r) and r["file"] not in files]
        self.rows.extend(rows)
        return old

    def save_if_due(self):
        if time.monotonic() - self._saved >= _CHECKPOINT_SECONDS:
            self.save()

    def save(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(self.path) as tmp:
            with open(tmp, "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=_MANIFEST_COLUMNS, extrasaction="ignore")
                writer.writeheader()
                writer.writerows(self.rows)
                f.flush()
                os.fsync(f.fileno())
        self._saved = time.monotonic()


def _listing(items, limit=5):
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more
