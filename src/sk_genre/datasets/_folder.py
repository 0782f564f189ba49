"""Audio folders laid out as ``root/<genre>/<track>.<ext>`` (the GTZAN layout).

:func:`load_audio_folder` lists such a folder; :func:`segment_audio_folder`
cuts its (long) songs into fixed-length pieces in the same layout, with a
``segments.csv`` manifest that keeps the pieces of one song one CV group.
"""

import csv
import os
import warnings
from pathlib import Path, PurePosixPath

import numpy as np
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from ..exceptions import AudioDecodeError
from ..io import AUDIO_EXTENSIONS, _write_segments, probe_audio

__all__ = ["load_audio_folder", "segment_audio_folder"]

#: Manifest written by :func:`segment_audio_folder`; maps each piece to its song.
SEGMENTS_CSV = "segments.csv"
#: Files directly in ``root`` that describe the dataset and are not warned about.
_MANIFESTS = frozenset({SEGMENTS_CSV, "manifest.csv"})
_MANIFEST_COLUMNS = ("file", "genre", "song", "source", "start", "end")


def load_audio_folder(root, *, on_error="raise"):
    """List the audio files of a GTZAN-style folder with their genres and groups.

    Each sub-folder of ``root`` is a genre; every audio file below it (any
    depth) is one track of that genre. Files are not decoded here, but each
    one's header is checked (:func:`sk_genre.io.probe_audio`), so empty files,
    files that are not audio and files without samples are caught before a
    long run; ``on_error`` says what happens to them.

    ``groups`` says which tracks come from one recording, for grouped
    cross-validation (:class:`~sklearn.model_selection.GroupKFold`,
    :class:`~sklearn.model_selection.StratifiedGroupKFold`). When ``root``
    holds a ``segments.csv`` (written by :func:`segment_audio_folder`), the
    group of a piece is its source song, so the pieces of one song never land
    on both sides of a split; otherwise each file is its own group.

    Parameters
    ----------
    root : str or os.PathLike
        Folder with one sub-folder per genre.
    on_error : {"raise", "skip", "warn"}, default="raise"
        For a file with an audio extension that is not readable audio:
        ``"raise"`` an :class:`~sk_genre.AudioDecodeError` naming it;
        ``"skip"`` leave it out of ``paths`` (and ``target``, ``groups``) and
        list it in ``errors``; ``"warn"`` the same and warn once, naming every
        such file. Data cut short or corrupt behind a good header is only
        found when decoding: the feature transformers' ``on_error`` handles it.

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
            Source recording of each file: the ``song`` column of
            ``root/segments.csv`` for the files it lists
            (``"blues/blues.00000"`` for ``blues/blues.00000.003.wav``);
            for any other file its path relative to ``root`` without the
            extension (unique, so each such file is its own group).
        target_names : list of str
            Genres found, sorted.
        errors : dict of str to AudioDecodeError
            Audio-named files left out because they are not readable (empty
            unless ``on_error`` is ``"skip"`` or ``"warn"``).

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or is not a folder.
    AudioDecodeError
        With ``on_error="raise"``: the first unreadable audio file.
    ValueError
        No (readable) audio file was found in any sub-folder,
        ``root/segments.csv`` lacks the ``file`` or ``song`` column, or
        ``on_error`` is not one of the three values.

    Warns
    -----
    UserWarning
        Once, listing the files skipped because their extension is not an
        audio one (see :data:`sk_genre.io.AUDIO_EXTENSIONS`), including files
        directly in ``root``; the dataset manifests ``manifest.csv`` and
        ``segments.csv`` directly in ``root`` are expected and not listed.
        Also once when ``segments.csv`` exists but does not list some audio
        files (a stale manifest): those become their own groups.

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
    """
    if on_error not in ("raise", "skip", "warn"):
        raise ValueError(f"on_error must be 'raise', 'skip' or 'warn'; got {on_error!r}")
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root must be an existing folder; got {os.fspath(root)!r}")
    paths, genres, skipped, errors = [], [], [], {}
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            if entry.name not in _MANIFESTS:
                skipped.append(entry)
            continue
        for path in sorted(p for p in entry.rglob("*") if p.is_file()):
            if path.suffix.lower() in AUDIO_EXTENSIONS:
                try:
                    probe_audio(path)
                except AudioDecodeError as exc:
                    if on_error == "raise":
                        raise
                    errors[os.fspath(path)] = exc
                    continue
                paths.append(os.fspath(path))
                genres.append(entry.name)
            else:
                skipped.append(path)
    if skipped:
        warnings.warn(
            f"load_audio_folder skipped {len(skipped)} non-audio file(s) in {os.fspath(root)!r}: "
            + _listing(os.fspath(p.relative_to(root)) for p in skipped),
            UserWarning,
            stacklevel=2,
        )
    if errors and on_error == "warn":
        warnings.warn(
            f"load_audio_folder left out {len(errors)} unreadable audio file(s) in "
            f"{os.fspath(root)!r}: " + _listing(f"{p} ({e.reason})" for p, e in errors.items()),
            UserWarning,
            stacklevel=2,
        )
    if not paths:
        unreadable = f" ({len(errors)} unreadable)" if errors else ""
        raise ValueError(
            f"root must contain genre sub-folders with audio files "
            f"({', '.join(sorted(AUDIO_EXTENSIONS))}); found none{unreadable} in "
            f"{os.fspath(root)!r}"
        )
    return Bunch(
        paths=paths,
        target=np.array(genres, dtype=object),
        track_ids=np.array([Path(p).stem for p in paths], dtype=object),
        groups=np.array(_groups(root, paths), dtype=object),
        target_names=sorted(set(genres)),
        errors=errors,
    )


def _groups(root, paths):
    """Song of each path from ``root/segments.csv``, else its relative path sans extension."""
    relative = [Path(p).relative_to(root).as_posix() for p in paths]
    own = [str(PurePosixPath(r).with_suffix("")) for r in relative]
    manifest = root / SEGMENTS_CSV
    if not manifest.is_file():
        return own
    rows = _read_manifest(manifest, required=("file", "song"))
    songs = {row["file"]: row["song"] for row in rows}
    missing = [r for r in relative if r not in songs]
    if missing:
        warnings.warn(
            f"{os.fspath(manifest)!r} does not list {len(missing)} audio file(s): "
            f"{_listing(missing)}; each is its own group",
            UserWarning,
            stacklevel=3,
        )
    return [songs.get(r, o) for r, o in zip(relative, own, strict=True)]


def _read_manifest(path, required=_MANIFEST_COLUMNS):
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
    progress=False,
):
    """Cut the songs of a GTZAN-style folder into fixed-length pieces, one group per song.

    ``src/<genre>/<song>.<ext>`` becomes ``dst/<genre>/<song>.<k:03d>.wav``
    (sub-folders below a genre are mirrored too), each song cut by
    :func:`sk_genre.io.segment_audio`. ``dst/segments.csv`` records, for
    every piece, the song it came from, so that
    ``load_audio_folder(dst).groups`` keeps all pieces of a song in one
    cross-validation fold. When ``src`` is a single audio file, its pieces
    are written directly into ``dst``.

    A file that cannot be decoded does not stop the others: it is reported
    in ``errors`` (and in a warning) and gets no piece.

    Parameters
    ----------
    src : str or os.PathLike
        Folder with one sub-folder per genre (as :func:`load_audio_folder`
        reads it), or one audio file.
    dst : str or os.PathLike
        Output folder; created if missing. Must not be ``src`` or inside it.
        Rows of an existing ``dst/segments.csv`` for songs not segmented in
        this call are kept, so several calls can fill one folder.
    segment_duration : float, default=30.0
        Length of each piece in seconds.
    sr : int or None, default=None
        Sampling rate of the pieces in Hz; ``None`` keeps each file's rate.
    drop_last : bool, default=True
        Drop each song's trailing remainder shorter than ``segment_duration``;
        ``False`` writes it as a shorter last piece.
    format : str, default="wav"
        Output container and file extension (see
        :func:`sk_genre.io.segment_audio`).
    subtype : str or None, default=None
        Output sample format; ``None`` keeps the source's when possible.
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
        errors : dict of str to AudioDecodeError
            Source files that could not be read, with the reason.
        manifest : pathlib.Path
            ``dst/segments.csv``, with the columns ``file`` (piece path
            relative to ``dst``, ``/``-separated), ``genre`` (empty for a
            single-file ``src``), ``song`` (source path relative to ``src``
            without its extension, e.g. ``"blues/blues.00000"``: unique
            across genres), ``source`` (absolute source path), ``start`` and
            ``end`` (the piece's span in the source, in seconds).

    Raises
    ------
    FileNotFoundError
        ``src`` does not exist.
    ValueError
        ``src`` holds no genre sub-folder with audio, ``dst`` is ``src`` or
        inside it, or a parameter is invalid (see
        :func:`sk_genre.io.segment_audio`).

    Warns
    -----
    UserWarning
        Once listing the files that could not be read, and once listing the
        files shorter than ``segment_duration`` that gave no piece.

    See Also
    --------
    sk_genre.io.segment_audio : Segment one file.
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

    manifest = dst / SEGMENTS_CSV
    old_rows = _read_manifest(manifest) if manifest.is_file() else []  # fail before writing
    paths, songs, short, errors, rows = [], [], [], dict(unreadable), []
    for path, genre in tqdm(
        sources, desc="segmenting", unit="song", disable=not progress, leave=False
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
            )
        except AudioDecodeError as exc:
            errors[os.fspath(path)] = exc
            continue
        (songs if pieces else short).append(os.fspath(path))
        song = relative.with_suffix("").as_posix()
        for piece, start, end in pieces:
            paths.append(piece)
            rows.append(
                {
                    "file": piece.relative_to(dst).as_posix(),
                    "genre": genre,
                    "song": song,
                    "source": os.path.abspath(path),
                    "start": round(start, 6),
                    "end": round(end, 6),
                }
            )
    _write_manifest(manifest, old_rows, rows)
    n = len(sources) + len(unreadable)
    if errors:
        warnings.warn(
            f"segment_audio_folder could not read {len(errors)} of {n} file(s): "
            + _listing(f"{p} ({e.reason})" for p, e in errors.items()),
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


def _listing(items, limit=5):
    items = list(items)
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _write_manifest(manifest, old_rows, rows):
    """Write ``rows`` to ``manifest`` after the old rows of other songs and other files."""
    new_songs = {row["song"] for row in rows}
    new_files = {row["file"] for row in rows}
    kept = [r for r in old_rows if r["song"] not in new_songs and r["file"] not in new_files]
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=_MANIFEST_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(kept + rows)
