"""Exceptions raised by sk_genre."""

import os

__all__ = ["AudioDecodeError"]


class AudioDecodeError(ValueError):
    """An audio file is missing, empty or cannot be decoded.

    Subclasses :class:`ValueError`, so code that catches the errors scikit-learn
    raises for bad input catches this one too.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed.
    reason : str
        What was wrong, e.g. ``"file does not exist"``.

    Attributes
    ----------
    path : str
        The file that failed.
    reason : str
        What was wrong.
    """

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot read audio file {self.path!r}: {reason}")

    def __reduce__(self):  # keep the two-argument signature picklable (joblib workers)
        return type(self), (self.path, self.reason)
