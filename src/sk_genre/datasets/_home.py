"""Where the real GTZAN audio is: one lookup for the tests, benchmarks, examples and docs."""

import os
from pathlib import Path

__all__ = ["get_data_home"]

#: Environment variable naming the data folder (the one that holds ``gtzan-mini/``).
DATA_HOME_ENV = "SK_GENRE_DATA"


def _checkout_default():
    """``../shared/data`` beside the source checkout sk_genre runs from, or None if none."""
    package = Path(__file__).resolve().parents[1]  # .../src/sk_genre
    repo = package.parents[1]
    if package.parent.name != "src" or not (repo / "pyproject.toml").is_file():
        return None  # an installed wheel: there is no repository to sit beside
    return repo.parent / "shared" / "data"


def get_data_home(data_home=None):
    """Return the folder that holds the real GTZAN data (``gtzan-mini/`` and its kin).

    sk_genre never downloads audio (GTZAN is copyrighted): its tests,
    benchmarks, gallery examples and docs read a copy kept outside the
    repository, in the folder this function finds. Like
    :func:`sklearn.datasets.get_data_home`, it is looked up in order:

    1. the ``data_home`` argument;
    2. the ``SK_GENRE_DATA`` environment variable;
    3. ``../shared/data`` beside the repository, when sk_genre runs from a
       source checkout (``src/`` layout, as an editable install does).

    The folder holds ``gtzan-mini/<genre>/<stem>.ogg`` with its
    ``manifest.csv``, and may hold ``gtzan-features/`` and ``gtzan-splits/``;
    this function checks only that it is a folder, not what is in it.

    Parameters
    ----------
    data_home : str, os.PathLike or None, default=None
        The data folder; ``~`` is expanded. ``None`` looks at
        ``SK_GENRE_DATA``, then at the checkout's default.

    Returns
    -------
    data_home : pathlib.Path or None
        The folder. ``None`` when neither ``data_home`` nor ``SK_GENRE_DATA``
        is given and the default folder does not exist (or sk_genre is an
        installed wheel, with no repository beside it): there is no real
        data, and the callers fall back (tests skip, examples use synthetic
        clips, benchmarks stop with a message).

    Raises
    ------
    FileNotFoundError
        ``data_home`` or ``SK_GENRE_DATA`` names something that is not an
        existing folder: a location asked for explicitly is never ignored.
        The message says which of the two named it.

    See Also
    --------
    sk_genre.datasets.load_audio_folder : Read ``get_data_home() / "gtzan-mini"``.

    Examples
    --------
    >>> from sk_genre.datasets import get_data_home, load_audio_folder
    >>> home = get_data_home()  # doctest: +SKIP
    >>> tracks = load_audio_folder(home / "gtzan-mini")  # doctest: +SKIP
    >>> len(tracks.paths)  # doctest: +SKIP
    59
    """
    if data_home is not None:
        source, folder = "data_home", Path(data_home).expanduser()
    elif os.environ.get(DATA_HOME_ENV):
        source, folder = DATA_HOME_ENV, Path(os.environ[DATA_HOME_ENV]).expanduser()
    else:
        folder = _checkout_default()
        return folder if folder is not None and folder.is_dir() else None
    if not folder.is_dir():
        what = "not a folder" if folder.exists() else "it does not exist"
        raise FileNotFoundError(
            f"{source} must be an existing folder (the one that holds gtzan-mini/); "
            f"got {os.fspath(folder)!r} ({what})"
        )
    return folder
