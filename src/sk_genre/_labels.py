"""Checks on genre labels, shared by the pipeline and the network classifiers."""

import warnings

import numpy as np

__all__ = ["check_genres"]


def check_genres(y, *, warn_single=True):
    """Validate genre labels: 1-D, no missing label; warn on a single genre.

    Parameters
    ----------
    y : array-like of shape (n_tracks,) or (n_tracks, 1)
        Genre of each track (strings or integers). A column vector is left to
        the caller (scikit-learn ravels it with a warning).
    warn_single : bool, default=True
        Warn when ``y`` holds a single genre.

    Returns
    -------
    y : ndarray
        ``y`` as an array (unchanged values).

    Raises
    ------
    ValueError
        ``y`` has more than one column (one-hot or multi-label input) or holds
        a missing label (None or NaN), whose position the message gives.

    Warns
    -----
    UserWarning
        With ``warn_single``: ``y`` holds a single genre, so a classifier
        fitted on it predicts that genre for every track.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        raise ValueError(
            f"y must be 1-D, one genre label per track; got a 2-D array of shape {y.shape}. "
            "For one-hot labels pass y.argmax(axis=1), or better the genre names"
        )
    flat = y.ravel()
    if flat.dtype.kind == "O":
        missing = [i for i, v in enumerate(flat) if v is None or (isinstance(v, float) and v != v)]
    elif flat.dtype.kind == "f":
        missing = np.flatnonzero(np.isnan(flat)).tolist()
    else:
        missing = []
    if missing:
        raise ValueError(
            # "Input y contains NaN": scikit-learn's wording, which its checks look for
            f"Input y contains NaN or None: y must hold a genre for every track; got "
            f"{len(missing)} missing label(s) "
            f"(None or NaN) at position(s) {', '.join(map(str, missing[:10]))}"
            + (" ..." if len(missing) > 10 else "")
        )
    if warn_single and flat.size and len(set(flat.tolist())) == 1:
        warnings.warn(
            f"y holds a single genre ({flat[0]!r}): a classifier fitted on it "
            "predicts that genre for every track",
            UserWarning,
            stacklevel=3,
        )
    return y
