"""Audio folders laid out as ``root/<genre>/<track>.<ext>`` (the GTZAN layout)."""

import os
import warnings
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from ..io import AUDIO_EXTENSIONS

__all__ = ["load_audio_folder"]


def load_audio_folder(root):
    """List the audio files of a GTZAN-style folder with their genres.

    Each sub-folder of ``root`` is a genre; every audio file below it (any
    depth) is one track of that genre. Files are not decoded here.

    Parameters
    ----------
    root : str or os.PathLike
        Folder with one sub-folder per genre.

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
        target_names : list of str
            Genres found, sorted.

    Raises
    ------
    FileNotFoundError
        ``root`` does not exist or is not a folder.
    ValueError
        No audio file was found in any sub-folder.

    Warns
    -----
    UserWarning
        Once, listing the files skipped because their extension is not an
        audio one (see :data:`sk_genre.io.AUDIO_EXTENSIONS`), including files
        directly in ``root``.

    Examples
    --------
    >>> from sk_genre.datasets import load_audio_folder
    >>> tracks = load_audio_folder("gtzan-mini")  # doctest: +SKIP
    >>> len(tracks.paths), tracks.target_names[:2]  # doctest: +SKIP
    (59, ['blues', 'classical'])
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"root must be an existing folder; got {os.fspath(root)!r}")
    paths, genres, skipped = [], [], []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir():
            skipped.append(entry)
            continue
        for path in sorted(p for p in entry.rglob("*") if p.is_file()):
            if path.suffix.lower() in AUDIO_EXTENSIONS:
                paths.append(os.fspath(path))
                genres.append(entry.name)
            else:
                skipped.append(path)
    if skipped:
        shown = ", ".join(os.fspath(p.relative_to(root)) for p in skipped[:5])
        more = f" and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        warnings.warn(
            f"load_audio_folder skipped {len(skipped)} non-audio file(s) in {os.fspath(root)!r}: "
            f"{shown}{more}",
            UserWarning,
            stacklevel=2,
        )
    if not paths:
        raise ValueError(
            f"root must contain genre sub-folders with audio files "
            f"({', '.join(sorted(AUDIO_EXTENSIONS))}); found none in {os.fspath(root)!r}"
        )
    return Bunch(
        paths=paths,
        target=np.array(genres, dtype=object),
        track_ids=np.array([Path(p).stem for p in paths], dtype=object),
        target_names=sorted(set(genres)),
    )
