"""One model scored under several splits: the random-versus-artist experiment."""

import numbers
import sys
import warnings
from collections.abc import Mapping

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.model_selection import StratifiedKFold, check_cv, cross_validate

from ._splits import FaultFilteredSplit

__all__ = ["SplitComparison", "compare_splits"]


def default_splits():
    """The two splits of :func:`compare_splits` when ``splits`` is None.

    Returns
    -------
    splits : dict of str to splitter
        ``"random"``: ``StratifiedKFold(n_splits=5, shuffle=True,
        random_state=0)``; ``"artist"``: :class:`FaultFilteredSplit`.
    """
    return {
        "random": StratifiedKFold(n_splits=5, shuffle=True, random_state=0),
        "artist": FaultFilteredSplit(),
    }


class SplitComparison:
    """Scores of one estimator under several splits, from :func:`compare_splits`.

    ``print(result)`` (or its ``repr``) shows one line per split: the size
    of its training and test sides, the number of folds and seeds, and the
    mean ± standard deviation of the score over all folds and seeds. Made by
    :func:`compare_splits`; the parameters are stored as attributes of the
    same names.

    Parameters
    ----------
    scoring : str, callable or None
        The scoring that produced the scores.
    scores : dict of str to ndarray of shape (n_seeds, n_folds)
        Score of each seed (row) on each fold (column), per split name, in
        the order of ``splits``.
    seeds : dict of str to list
        The seeds of each split's rows of ``scores``; ``[None]`` where the
        estimator ran as given.
    indices : dict of str to list of (ndarray, ndarray)
        The (train, test) row indices of each fold.
    fit_time : dict of str to ndarray of shape (n_seeds, n_folds)
        Seconds spent fitting, per seed and fold.
    estimators : dict of str to list of list of estimator, or None, default=None
        The fitted estimators, ``estimators[split][seed_index][fold]``, when
        ``return_estimator=True``; else None.

    Attributes
    ----------
    names : list of str
        The split names, in order.
    """

    def __init__(self, *, scoring, scores, seeds, indices, fit_time, estimators=None):
        self.scoring = scoring
        self.scores = scores
        self.seeds = seeds
        self.indices = indices
        self.fit_time = fit_time
        self.estimators = estimators

    @property
    def names(self):
        """The split names, in order (list of str)."""
        return list(self.scores)

    def mean(self, split):
        """Mean score of one split over its folds and seeds.

        Parameters
        ----------
        split : str
            A split name.

        Returns
        -------
        mean : float
        """
        return float(np.mean(self.scores[split].ravel()))

    def std(self, split):
        """Standard deviation (``ddof=0``) of one split's scores over folds and seeds.

        Parameters
        ----------
        split : str
            A split name.

        Returns
        -------
        std : float
        """
        return float(np.std(self.scores[split].ravel()))

    def n_train(self, split):
        """Training rows of each fold of one split.

        Parameters
        ----------
        split : str
            A split name.

        Returns
        -------
        n_train : ndarray of int of shape (n_folds,)
        """
        return np.array([len(train) for train, _ in self.indices[split]])

    def n_test(self, split):
        """Test rows of each fold of one split.

        Parameters
        ----------
        split : str
            A split name.

        Returns
        -------
        n_test : ndarray of int of shape (n_folds,)
        """
        return np.array([len(test) for _, test in self.indices[split]])

    def to_frame(self):
        """One row per split (a pandas DataFrame indexed by split name).

        Returns
        -------
        frame : pandas.DataFrame
            Columns ``n_train`` and ``n_test`` (mean over folds), ``n_folds``,
            ``n_seeds``, ``mean``, ``std``, ``min``, ``max``.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                name: {
                    "n_train": float(self.n_train(name).mean()),
                    "n_test": float(self.n_test(name).mean()),
                    "n_folds": scores.shape[1],
                    "n_seeds": scores.shape[0],
                    "mean": self.mean(name),
                    "std": self.std(name),
                    "min": float(scores.min()),
                    "max": float(scores.max()),
                }
                for name, scores in self.scores.items()
            }
        ).T.rename_axis("split")

    def _rows(self):
        def size(values):
            lo, hi = int(values.min()), int(values.max())
            return str(lo) if lo == hi else f"{lo}-{hi}"

        def seeds(values):
            return "as given" if values == [None] else ", ".join(map(str, values))

        rows = [("split", "train", "test", "folds", "seeds", "score, mean ± std")]
        for name, scores in self.scores.items():
            rows.append(
                (
                    name,
                    size(self.n_train(name)),
                    size(self.n_test(name)),
                    str(scores.shape[1]),
                    seeds(self.seeds[name]),
                    f"{self.mean(name):.3f} ± {self.std(name):.3f}",
                )
            )
        return rows

    def __repr__(self):
        rows = self._rows()
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        scoring = self.scoring if isinstance(self.scoring, str | None) else "callable"
        return f"SplitComparison(scoring={scoring!r})\n" + "\n".join(lines)


def _seed_params(estimator):
    """Names of the estimator's ``random_state`` parameters, at any depth."""
    return sorted(
        name
        for name in estimator.get_params(deep=True)
        if name == "random_state" or name.endswith("__random_state")
    )


def _seed_lists(seeds, names):
    """``seeds`` as a dict: split name -> list of seeds (``[None]``: as given)."""

    def as_list(value, where):
        if value is None:
            return [None]
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return [int(value)]
        try:
            values = list(value)
        except TypeError:
            values = None
        if (
            not values
            or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in values)
            or len(set(values)) != len(values)
        ):
            raise ValueError(
                f"seeds{where} must be None, an int or a non-empty sequence of distinct ints; "
                f"got {value!r}"
            )
        return [int(v) for v in values]

    if isinstance(seeds, Mapping):
        unknown = sorted(set(seeds) - set(names), key=str)
        if unknown:
            raise ValueError(
                f"seeds must name splits of {names}; got {', '.join(map(repr, unknown))}"
            )
        return {name: as_list(seeds.get(name), f"[{name!r}]") for name in names}
    seed_list = as_list(seeds, "")
    return dict.fromkeys(names, seed_list)


def _fit_and_score(estimator, X, y, train, test, scoring, params, return_estimator):
    """One fit on ``train`` scored on ``test``, exactly as in ``cross_validate``."""
    result = cross_validate(
        estimator,
        X,
        y,
        cv=[(train, test)],
        scoring=scoring,
        params=params,
        return_estimator=return_estimator,
        error_score="raise",
    )
    fitted = result["estimator"][0] if return_estimator else None
    return float(result["test_score"][0]), float(result["fit_time"][0]), fitted


def compare_splits(
    estimator,
    X,
    y,
    *,
    splits=None,
    groups=None,
    seeds=None,
    scoring="accuracy",
    params=None,
    n_jobs=None,
    return_estimator=False,
    verbose=0,
):
    """Score one estimator under several splits, side by side.

    The experiment that shows how much a random split flatters a GTZAN model:
    the same estimator, cross-validated once under a random stratified K-fold
    (artists and GTZAN's duplicate excerpts on both sides) and once under an
    artist-aware split (:class:`FaultFilteredSplit`, or
    :class:`BlockedGenreKFold` inside a training set). Each fit is a fresh
    clone, scored exactly as :func:`~sklearn.model_selection.cross_validate`
    scores it, so a split's scores equal those of ``cross_val_score(estimator,
    X, y, groups=groups, cv=split, scoring=scoring)`` run seed by seed.

    Parameters
    ----------
    estimator : estimator object
        The model to score (a pipeline from :func:`sk_genre.make_pipeline`,
        or any scikit-learn classifier). Cloned for every fit; never fitted
        itself.
    X : array-like of shape (n_tracks, n_features) or sequence of paths
        One row per track: feature rows (the bundled table,
        ``load_gtzan_features().data``), or audio clips for a pipeline with a
        feature step.
    y : array-like of shape (n_tracks,)
        Genre of each row.
    splits : dict of str to splitter, default=None
        Name -> cross-validation splitter (anything ``cv=`` takes: a
        splitter, an int, an iterable of (train, test) index pairs). None:
        ``{"random": StratifiedKFold(n_splits=5, shuffle=True,
        random_state=0), "artist": FaultFilteredSplit()}``:

        * ``"random"``: stratified random folds, the usual GTZAN protocol. It
          puts the same artists and GTZAN's exact and near duplicates on both
          sides, so it overstates accuracy (Sturm 2013, 2014);
        * ``"artist"``: the fault-filtered, artist-aware split of Kereliuk,
          Sturm & Larsen (2015): 443 training and 197 validation tracks, no
          artist on both sides, faulty and duplicate excerpts left out.
    groups : array-like of shape (n_tracks,), default=None
        Passed to every splitter's ``split``: the GTZAN track id of each row
        for :class:`FaultFilteredSplit` and :class:`BlockedGenreKFold`
        (``load_gtzan_features().track_ids``; not needed when ``X`` is the
        bundled table or a sequence of GTZAN paths), the song or track for
        :class:`TrackGroupKFold`. Splitters that take no groups ignore it.
    seeds : None, int, sequence of int, or dict, default=None
        Training seeds. Each seed is set on every ``random_state`` parameter
        of the estimator (``model__random_state`` in a pipeline) and the
        whole split is run once per seed. None: the estimator runs once, as
        given. A dict maps split names to any of these, per split (a split
        it does not name runs as given): ``{"artist": range(5)}`` runs the
        one artist-aware split under five seeds and the random folds once.
    scoring : str, callable or None, default="accuracy"
        One scikit-learn scorer (:func:`~sklearn.metrics.get_scorer`
        names); None: the estimator's ``score``.
    params : dict, default=None
        Passed to ``cross_validate(params=...)``: fit parameters of the
        estimator (``{"model__groups": ...}``), or, with scikit-learn's
        metadata routing enabled, metadata routed to the estimator. Split
        along with the rows.
    n_jobs : int or None, default=None
        Fits run in parallel through joblib, over all splits, seeds and
        folds together (None: one at a time; -1: all CPUs).
    return_estimator : bool, default=False
        Keep every fitted estimator in the result's ``estimators``.
    verbose : int, default=0
        0: silent. 1 or more: a progress bar (tqdm) over the fits on stderr,
        removed when done.

    Returns
    -------
    result : SplitComparison
        ``result.scores[name]`` has shape (n_seeds, n_folds);
        ``result.mean(name)``, ``result.std(name)``; ``print(result)`` shows
        the comparison as a table.

    Raises
    ------
    ValueError
        ``splits`` is empty or not a dict; ``seeds`` names an unknown split
        or is not None, an int or a sequence of distinct ints; seeds are
        given but the estimator has no ``random_state`` parameter;
        ``scoring`` is a list or dict (one metric only); or a splitter
        refuses the rows (e.g. :class:`FaultFilteredSplit` cannot tell the
        rows' tracks without ``groups``).

    See Also
    --------
    FaultFilteredSplit : the artist-aware GTZAN split.
    BlockedGenreKFold : artist-proxy folds (GTZAN-number blocks within genres).
    sklearn.model_selection.cross_validate : one split, one seed.

    Notes
    -----
    The standard deviation is taken over all of a split's scores (folds x
    seeds, ``ddof=0``): over folds for a K-fold run once, over seeds for the
    single artist-aware split. Fits run in the order split, seed, fold; each
    network seeds itself from its ``random_state``, so the order does not
    change the scores.

    References
    ----------
    .. [1] B. L. Sturm, "The GTZAN dataset: its contents, its faults, their
       effects on evaluation, and its future use", arXiv:1306.1461, 2013.
    .. [2] B. L. Sturm, "The state of the art ten years after a state of the
       art: future research in music information retrieval", Journal of New
       Music Research 43(2), 2014.
    .. [3] C. Kereliuk, B. L. Sturm and J. Larsen, "Deep learning and music
       adversaries", IEEE Trans. Multimedia 17(11), 2015.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sk_genre.datasets import load_gtzan_features
    >>> from sk_genre.evaluation import compare_splits
    >>> gtzan = load_gtzan_features()
    >>> model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
    >>> result = compare_splits(model, gtzan.data, gtzan.target)
    >>> print(result)
    SplitComparison(scoring='accuracy')
    split   train  test  folds  seeds     score, mean ± std
    random  800    200   5      as given  0.717 ± 0.009
    artist  443    197   1      as given  0.421 ± 0.000
    >>> round(result.mean("random") - result.mean("artist"), 3)  # what the random split adds
    0.296
    """
    if splits is None:
        splits = default_splits()
    if not isinstance(splits, Mapping) or not splits:
        raise ValueError(
            "splits must be a non-empty dict of name -> splitter (e.g. {'random': "
            f"StratifiedKFold(5, shuffle=True), 'artist': FaultFilteredSplit()}}); got {splits!r}"
        )
    if isinstance(scoring, list | tuple | set | Mapping):
        raise ValueError(f"scoring must be one scorer (a str, callable or None); got {scoring!r}")
    names = list(splits)
    seed_lists = _seed_lists(seeds, names)
    seed_params = _seed_params(estimator)
    if not seed_params and any(s != [None] for s in seed_lists.values()):
        raise ValueError(
            f"estimator must have a random_state parameter to be seeded; "
            f"{type(estimator).__name__} has none (pass seeds=None)"
        )
    classifier = is_classifier(estimator)
    with warnings.catch_warnings():
        # groups go to every splitter; those that take none (StratifiedKFold) warn
        warnings.filterwarnings("ignore", "The groups parameter is ignored by", UserWarning)
        indices = {
            name: [
                (np.asarray(train), np.asarray(test))
                for train, test in check_cv(cv, y, classifier=classifier).split(X, y, groups)
            ]
            for name, cv in splits.items()
        }

    def seeded(seed):
        est = clone(estimator)
        if seed is not None:
            est.set_params(**dict.fromkeys(seed_params, seed))
        return est

    tasks = [
        (name, s, f)
        for name in names
        for s in range(len(seed_lists[name]))
        for f in range(len(indices[name]))
    ]
    jobs = (
        delayed(_fit_and_score)(
            seeded(seed_lists[name][s]),
            X,
            y,
            *indices[name][f],
            scoring,
            params,
            return_estimator,
        )
        for name, s, f in tasks
    )
    outputs = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    if verbose:
        from tqdm.auto import tqdm

        outputs = tqdm(
            outputs, total=len(tasks), desc="training", unit="fit", leave=False, file=sys.stderr
        )
    scores = {n: np.empty((len(seed_lists[n]), len(indices[n]))) for n in names}
    fit_time = {n: np.empty_like(scores[n]) for n in names}
    estimators = (
        {n: [[None] * len(indices[n]) for _ in seed_lists[n]] for n in names}
        if return_estimator
        else None
    )
    for (name, s, f), (score, seconds, fitted) in zip(tasks, outputs, strict=True):
        scores[name][s, f] = score
        fit_time[name][s, f] = seconds
        if return_estimator:
            estimators[name][s][f] = fitted
    return SplitComparison(
        scoring=scoring,
        scores=scores,
        seeds=seed_lists,
        indices=indices,
        fit_time=fit_time,
        estimators=estimators,
    )
