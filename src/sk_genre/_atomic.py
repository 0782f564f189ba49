"""Write a file all at once or not at all: a temporary file in the same folder, then rename.

Used for everything sk_genre writes that a user keeps (saved models, audio
pieces, manifests): a full disk, an error or Ctrl-C part-way leaves the old
file untouched and no partial file behind.
"""

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["atomic_path", "check_output_path"]


@contextlib.contextmanager
def atomic_path(path, *, suffix=None):
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    The temporary file is created (empty) in ``path``'s folder, so the final
    :func:`os.replace` is atomic on POSIX and Windows. If the ``with`` body
    raises (any exception, KeyboardInterrupt included) the temporary file is
    removed and ``path`` is left as it was. The new file gets the
    permissions of the file it replaces, or for a new file those
    :func:`open` would give (``0o666`` less the umask), not ``mkstemp``'s
    private ``0o600``.

    Parameters
    ----------
    path : str or os.PathLike
        Final file.
    suffix : str or None, default=None
        Suffix of the temporary file; ``None`` uses ``path``'s own (writers
        such as :func:`soundfile.write` pick the format from it).

    Yields
    ------
    tmp : pathlib.Path
        Where to write.
    """
    path = Path(path)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{suffix}", dir=path.parent)
    tmp = Path(tmp)
    try:  # one handler from right after mkstemp: Ctrl-C during the chmod leaves no file either
        try:
            # mkstemp makes the file private (0o600); give it the mode a plain open() would,
            # or the replaced file's own, so the rename does not change who can read it
            os.chmod(fd, _file_mode(path))
        finally:
            os.close(fd)
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _file_mode(path):
    """Permission bits of ``path`` if it is a file, else those ``open(path, "w")`` gives."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def check_output_path(path, *, inputs=()):
    """Raise before any work if ``path`` cannot be written as a new or replaced file.

    Parameters
    ----------
    path : str or os.PathLike
        File to be written.
    inputs : iterable of str or os.PathLike, default=()
        Files the run reads; ``path`` must not be one of them.

    Returns
    -------
    path : pathlib.Path

    Raises
    ------
    ValueError
        ``path`` is an existing directory, one of ``inputs``, or lies under a
        path that is a file.
    PermissionError
        ``path``'s folder is not writable, or ``path`` exists and is not writable.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"output must be a file path; got the directory {os.fspath(path)!r}")
    resolved = path.resolve()
    for p in inputs:
        if Path(p).resolve() == resolved:
            raise ValueError(
                f"output must not be one of the input files; got {os.fspath(path)!r}, "
                "which would be overwritten"
            )
    folder = resolved.parent
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(
            f"output must be in a folder; got {os.fspath(path)!r}, under the file "
            f"{os.fspath(existing)!r}"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(
            f"cannot write to the folder {os.fspath(existing)!r} (permission denied)"
        )
    if path.exists() and not path.is_file():
        raise ValueError(f"output must be a regular file; got {os.fspath(path)!r}")
    if path.exists() and not os.access(path, os.W_OK):
        raise PermissionError(f"cannot overwrite {os.fspath(path)!r} (permission denied)")
    return path
