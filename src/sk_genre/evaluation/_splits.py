"""Leak-free cross-validation splitters for GTZAN and segment-level data."""

import numbers
import os
import warnings

import numpy as np
from sklearn.model_selection import BaseCrossValidator, StratifiedGroupKFold

from ..datasets import fault_filtered_split

__all__ = ["BlockedGenreKFold", "FaultFilteredSplit", "TrackGroupKFold"]


class FaultFilteredSplit(BaseCrossValidator):
    """The fault-filtered, artist-aware GTZAN split as a scikit-learn splitter.

    One split: train on the rows whose track is in the split's training list
    (443 GTZAN tracks), test on those in its validation list (197). No
    artist is on both sides, and GTZAN's known duplicates and faulty excerpts
    are excluded; rows of other tracks are left out of both. Several rows
    (segments) of one track fall on the same side. Use it as ``cv=`` of
    :func:`~sklearn.model_selection.cross_val_score` or
    :class:`~sklearn.model_selection.GridSearchCV`.

    Parameters
    ----------
    track_ids : sequence of str or None, default=None
        GTZAN track id, file name or path of each row (``"blues.00012"``,
        ``"blues/blues.00012.3.wav"``; see
        :func:`sk_genre.datasets.gtzan_track_id`). None: taken from the
        ``groups`` passed to ``split``; failing that, from ``X`` when it is a
        sequence of paths, or the bundled table's row order when ``X`` holds
        the bundled table's values (``load_gtzan_features().data``, or a
        float32 copy). Any other array, whatever its number of rows, needs
        ``track_ids`` or ``groups``.

    Raises
    ------
    ValueError
        From ``split``: the rows' tracks cannot be told (an array that is not
        the bundled table, without ``track_ids`` or ``groups``), a row holds no
        GTZAN track id, or one side of the split would be empty.

    Warns
    -----
    UserWarning
        From ``split``: the rows cover only part of the split's 443 training
        and 197 validation tracks (a folder such as gtzan-mini, or a subset),
        or the training or validation side lacks a genre that the rows have
        (``y``, else the genre of each GTZAN track id) or holds fewer than 10
        tracks per genre on average. It says how many of the rows' tracks
        each side kept and names the missing genres. The score then rests on
        few tracks and is not the published split's; for a folder that is
        not GTZAN, cross-validate with
        :class:`~sklearn.model_selection.StratifiedGroupKFold` over
        ``load_audio_folder(root, groups="artist").groups`` instead.

    References
    ----------
    .. [1] C. Kereliuk, B. L. Sturm and J. Larsen, "Deep learning and music
       adversaries", IEEE Trans. Multimedia 17(11), 2015.
    .. [2] B. L. Sturm, "The GTZAN dataset: its contents, its faults, their
       effects on evaluation, and its future use", arXiv:1306.1461, 2013.

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sk_genre import make_pipeline
    >>> from sk_genre.datasets import load_gtzan_features
    >>> from sk_genre.evaluation import FaultFilteredSplit
    >>> gtzan = load_gtzan_features()
    >>> train, test = next(FaultFilteredSplit().split(gtzan.data))
    >>> len(train), len(test)
    (443, 197)
    >>> pipe = make_pipeline(features=None, model="dnn", random_state=0)  # doctest: +SKIP
    >>> cross_val_score(pipe, gtzan.data, gtzan.target, cv=FaultFilteredSplit())  # doctest: +SKIP
    """

    def __init__(self, track_ids=None):
        self.track_ids = track_ids

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splits: 1.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Returns
        -------
        n_splits : int
        """
        return 1

    def split(self, X, y=None, groups=None):
        """Indices of the training and the validation rows.

        Parameters
        ----------
        X : array-like of shape (n_rows, ...) or sequence of paths
            Rows to split.
        y : array-like of shape (n_rows,), default=None
            Genre of each row; only read to name, in the warning, the genres
            a side lacks (None: the genre in each GTZAN track id).
        groups : array-like of shape (n_rows,), default=None
            GTZAN track id of each row, when ``track_ids`` is None.

        Yields
        ------
        train, test : ndarray of int
            Row indices of the split's train and valid tracks.

        Raises
        ------
        ValueError
            See the class docstring.
        """
        ids = _row_track_ids(X, groups, self.track_ids, type(self).__name__)
        fold = fault_filtered_split(ids)
        train, test = np.flatnonzero(fold == "train"), np.flatnonzero(fold == "valid")
        if not len(train) or not len(test):
            raise ValueError(
                "the fault-filtered split needs rows on both sides; got "
                f"{len(train)} train and {len(test)} valid rows of {len(ids)}"
            )
        _warn_partial_coverage(ids, fold, y)
        yield train, test


def _row_track_ids(X, groups, track_ids, splitter):
    """The GTZAN track id, name or path of each row, as given or as found in ``X``.

    From ``track_ids``, else ``groups``, else ``X`` itself when it is a
    sequence of paths, else the bundled table's row order when ``X`` holds
    the bundled table's values. ``splitter`` names the class in the errors.
    """
    if track_ids is not None:
        ids = list(track_ids)
    elif groups is not None:
        ids = list(groups)
    elif _is_paths(X):
        ids = list(X)
    elif X is not None and _is_bundled_table(X):
        from ..datasets import load_gtzan_features

        ids = list(load_gtzan_features().track_ids)
    else:
        shape = getattr(X, "shape", None) or (0 if X is None else len(X),)
        raise ValueError(
            f"{splitter} must know the GTZAN track of each row: pass track_ids= "
            "or groups= (e.g. load_gtzan_features().track_ids), file paths as X, or the "
            f"bundled table itself (load_gtzan_features().data); got X of shape {shape} "
            "and neither"
        )
    if X is not None and len(ids) != len(X):
        raise ValueError(
            f"track_ids must name the track of each of the {len(X)} rows; got {len(ids)}"
        )
    return ids


def _is_paths(X):
    """Whether ``X`` is a 1-D sequence of file paths (list, array or Series)."""
    if X is None or getattr(X, "ndim", 1) != 1 or not len(X):
        return False
    first = X.iloc[0] if hasattr(X, "iloc") else X[0]
    return isinstance(first, str | os.PathLike)


def _is_bundled_table(X):
    """Whether ``X`` holds the values of the bundled GTZAN table, row for row."""
    from ..datasets import load_gtzan_features

    shape = getattr(X, "shape", None)
    if shape is None or len(shape) != 2:
        return False
    table = load_gtzan_features().data
    if tuple(shape) != table.shape:
        return False
    try:
        values = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    # float32 copies of the table pass; any other data of that shape fails
    return bool(np.allclose(values, table, rtol=1e-6, atol=0.0))


#: Fewer training or test tracks per genre than this, on average, make the split warn.
_MIN_TRACKS_PER_GENRE = 10


def _warn_partial_coverage(ids, fold, y):
    """Warn when the rows cover only part of the split's 443 + 197 tracks, or too little of it.

    Too little: the training or the test side lacks a genre that the rows
    have (their ``y``, else the genre in each GTZAN track id), or holds fewer
    than :data:`_MIN_TRACKS_PER_GENRE` tracks per genre on average.
    """
    from ..datasets import gtzan_track_id, load_gtzan_features

    gtzan = load_gtzan_features()
    listed = {side: int(np.sum(gtzan.split == side)) for side in ("train", "valid")}
    tracks = np.array([gtzan_track_id(i) for i in ids], dtype=object)
    covered = {side: len(set(tracks[fold == side])) for side in listed}
    genres = (
        np.array([t.split(".")[0] for t in tracks], dtype=object) if y is None else np.asarray(y)
    )
    every = set(genres)
    missing = {side: sorted(every - set(genres[fold == side]), key=str) for side in listed}
    few = [side for side in listed if covered[side] < _MIN_TRACKS_PER_GENRE * len(every)]
    if covered == listed and not few and not any(missing.values()):
        return
    n_tracks = len(set(tracks))
    left_out = n_tracks - covered["train"] - covered["valid"]
    kept = (
        f"the fault-filtered split kept {covered['train']} of the input's {n_tracks} tracks "
        f"({len(every)} genres) for training and {covered['valid']} for testing"
        + (f", leaving out {left_out} that are in neither of its lists" if left_out else "")
    )
    coverage = (
        f"the rows cover {covered['train']} of the fault-filtered split's {listed['train']} "
        f"training tracks and {covered['valid']} of its {listed['valid']} validation tracks"
    )
    names = {"train": "training", "valid": "validation"}
    lacks = "".join(
        f"; fewer than {_MIN_TRACKS_PER_GENRE} {names[side]} tracks per genre on average"
        for side in few
    )
    lacks += "".join(  # the training side last: "...genre classical, disco: the score"
        f"; no {names[side]} track of genre {', '.join(map(str, missing[side]))}"
        for side in ("valid", "train")
        if missing[side]
    )
    warnings.warn(
        f"{kept}; {coverage}{lacks}: the score rests on these tracks only and is not the "
        "published split's (Kereliuk et al. 2015). For a folder of your own music, use "
        "StratifiedGroupKFold with artist groups: "
        "load_audio_folder(root, groups='artist').groups as groups= (for GTZAN tracks, "
        "BlockedGenreKFold stands in for artists)",
        UserWarning,
        stacklevel=3,
    )


class BlockedGenreKFold(BaseCrossValidator):
    """K folds of contiguous GTZAN-number blocks within each genre: an artist proxy.

    GTZAN has no artist labels, but it numbers each artist's excerpts
    consecutively (``blues.00000`` to ``blues.00011`` are all John Lee
    Hooker). Within each genre the tracks are sorted by GTZAN number and cut
    into ``n_splits`` contiguous blocks of (nearly) equal size; fold k tests
    on the k-th block of every genre and trains on the others. An artist
    therefore falls in one fold unless it straddles a block boundary, so this
    cross-validation leaks artists much less than a random split, but not
    never (on the 443 training tracks of the fault-filtered split it still
    scores about 0.25 above the held-out artists; docs/accuracy.md, part B).
    It is the artist filter of Pampalk et al. (2005) with a proxy for the
    artist. Every row (segment) of a track lands in the track's fold, so no
    group is ever on both sides. Use it where :class:`FaultFilteredSplit` is
    not available, e.g. to select or tune a model inside the split's training
    tracks (``GridSearchCV(..., cv=BlockedGenreKFold())``).

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (at least 2). Each genre must have at least this many
        tracks.

    Raises
    ------
    ValueError
        From ``__init__``: ``n_splits`` is not an integer of at least 2. From
        ``split``: ``y`` is None; the rows' tracks cannot be told (found as
        by :class:`FaultFilteredSplit`: ``groups``, paths in ``X``, or the
        bundled table's values); a row holds no GTZAN track id; the rows of
        one track carry different genres; or a genre has fewer tracks than
        ``n_splits``.

    See Also
    --------
    FaultFilteredSplit : the published artist-aware split (one split).
    TrackGroupKFold : stratified folds that never split a track or song.
    compare_splits : one model under a random and an artist-aware split.

    References
    ----------
    .. [1] E. Pampalk, A. Flexer and G. Widmer, "Improvements of audio-based
       music similarity and genre classification", Proc. ISMIR, 2005.
    .. [2] B. L. Sturm, "The GTZAN dataset: its contents, its faults, their
       effects on evaluation, and its future use", arXiv:1306.1461, 2013.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.datasets import load_gtzan_features
    >>> from sk_genre.evaluation import BlockedGenreKFold
    >>> gtzan = load_gtzan_features()
    >>> train = gtzan.split == "train"  # the fault-filtered split's 443 training tracks
    >>> ids, y = gtzan.track_ids[train], gtzan.target[train]
    >>> cv = BlockedGenreKFold(n_splits=5)
    >>> [len(test) for _, test in cv.split(gtzan.data[train], y, groups=ids)]
    [93, 89, 88, 89, 84]
    >>> _, test = next(cv.split(gtzan.data[train], y, groups=ids))
    >>> sorted(ids[test][y[test] == "blues"])[:3]  # the lowest numbers of each genre
    ['blues.00029', 'blues.00030', 'blues.00031']
    """

    def __init__(self, n_splits=5):
        if isinstance(n_splits, bool) or not isinstance(n_splits, numbers.Integral) or n_splits < 2:
            raise ValueError(f"n_splits must be an integer of at least 2; got {n_splits!r}")
        self.n_splits = n_splits

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of folds: ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Ignored.

        Returns
        -------
        n_splits : int
        """
        return self.n_splits

    def split(self, X, y=None, groups=None):
        """Indices of training and test rows, fold by fold.

        Parameters
        ----------
        X : array-like of shape (n_rows, ...) or sequence of paths
            Rows to split.
        y : array-like of shape (n_rows,)
            Genre of each row; the blocks are cut within each genre.
        groups : array-like of shape (n_rows,), default=None
            GTZAN track id, file name or path of each row (``"blues.00012"``,
            ``"blues/blues.00012.3.wav"``). None: the paths in ``X``, or the
            bundled table's row order when ``X`` holds its values.

        Yields
        ------
        train, test : ndarray of int
            Row indices; fold k tests on the k-th block of every genre.

        Raises
        ------
        ValueError
            See the class docstring.
        """
        fold = self._folds(X, y, groups)
        for k in range(self.n_splits):
            yield np.flatnonzero(fold != k), np.flatnonzero(fold == k)

    def _folds(self, X, y, groups):
        """Fold number of each row."""
        from ..datasets import gtzan_track_id

        if y is None:
            raise ValueError(
                "y must give the genre of each row (BlockedGenreKFold cuts blocks within "
                "each genre); got None"
            )
        ids = _row_track_ids(X, groups, None, type(self).__name__)
        y = np.asarray(y)
        if len(y) != len(ids):
            raise ValueError(f"y must have one genre per row ({len(ids)} rows); got {len(y)}")
        tracks = np.array(
            [gtzan_track_id(i if isinstance(i, str | os.PathLike) else str(i)) for i in ids],
            dtype=object,
        )
        shared = _tracks_in_several_genres(tracks, y)
        if shared:
            raise ValueError(
                "the rows of one track must all carry the same genre; got several for "
                + ", ".join(shared[:3])
                + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
            )
        fold = np.empty(len(y), dtype=int)
        for genre in np.unique(y):
            rows = np.flatnonzero(y == genre)
            genre_tracks = np.unique(tracks[rows].astype(str))  # sorted: GTZAN number order
            if len(genre_tracks) < self.n_splits:
                raise ValueError(
                    f"each genre must have at least n_splits={self.n_splits} tracks; got "
                    f"{len(genre_tracks)} ({genre})"
                )
            block = np.arange(len(genre_tracks)) * self.n_splits // len(genre_tracks)
            fold[rows] = block[np.searchsorted(genre_tracks, tracks[rows].astype(str))]
        return fold


def _tracks_in_several_genres(tracks, y):
    """Track ids whose rows carry more than one genre, sorted."""
    genres = {}
    for track, genre in zip(tracks, y, strict=True):
        genres.setdefault(track, set()).add(genre)
    return sorted(t for t, g in genres.items() if len(g) > 1)


class TrackGroupKFold(StratifiedGroupKFold):
    """K folds stratified by genre that never split one track or song.

    For segment-level rows (3-s segments, 30-s pieces of a long song, chunks
    stored as rows): every row of a group — all segments of one track, or all
    pieces of one song — lands in the same fold, so no test row has a sibling
    in training. A thin wrapper of
    :class:`~sklearn.model_selection.StratifiedGroupKFold` that refuses to run
    without groups (its parent would fail less clearly), so a forgotten
    ``groups=`` cannot silently give a leaky estimate.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds (at least 2).
    shuffle : bool, default=False
        Shuffle groups before splitting.
    random_state : int, RandomState or None, default=None
        Seed of the shuffle.

    Raises
    ------
    ValueError
        From ``split``: ``groups`` is None, or fewer groups than folds.

    See Also
    --------
    sk_genre.datasets.load_audio_folder : its ``groups`` are source songs.
    sk_genre.datasets.gtzan_track_id : track id of a GTZAN segment name.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.evaluation import TrackGroupKFold
    >>> y = np.array(["jazz"] * 6 + ["rock"] * 6)
    >>> songs = np.repeat(np.arange(4), 3)  # three pieces per song
    >>> for train, test in TrackGroupKFold(n_splits=2).split(y, y, songs):
    ...     assert not set(songs[train]) & set(songs[test])
    """

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None):
        super().__init__(n_splits=n_splits, shuffle=shuffle, random_state=random_state)

    def split(self, X, y=None, groups=None):
        """Indices of training and test rows, fold by fold.

        Parameters
        ----------
        X : array-like of shape (n_rows, ...) or sequence of paths
            Rows to split.
        y : array-like of shape (n_rows,)
            Genres (the folds are stratified by genre).
        groups : array-like of shape (n_rows,)
            Track or song of each row.

        Yields
        ------
        train, test : ndarray of int

        Raises
        ------
        ValueError
            ``groups`` is None, or fewer groups than ``n_splits``.
        """
        if groups is None:
            raise ValueError(
                "groups must give the track or song of each row (e.g. "
                "load_audio_folder(...).groups); got None"
            )
        n_groups = len(np.unique(np.asarray(groups)))
        if n_groups < self.n_splits:
            raise ValueError(
                f"groups must hold at least n_splits={self.n_splits} tracks; got {n_groups}"
            )
        yield from super().split(X, y, groups)
