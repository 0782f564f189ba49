"""make_pipeline: one scikit-learn Pipeline from audio (or features) to genre.

:class:`GenrePipeline` is a :class:`~sklearn.pipeline.Pipeline` that keeps the
labels aligned with the tracks its feature step could read, so a batch with
unreadable files (``on_error="skip"`` or ``"warn"``) trains and scores on the
others instead of failing.
"""

import warnings

import numpy as np
from sklearn.base import BaseEstimator, is_classifier
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.utils.metaestimators import available_if

from ._labels import check_genres
from ._names import FEATURES, MODELS
from .features import MelChunker, MFCCTransformer, SpectralFeatureUnion, check_clips
from .features._base import ClipFeatureTransformer

__all__ = ["make_pipeline", "GenrePipeline", "FEATURES", "MODELS"]

#: Inverse regularisation of the linear heads (chosen by grouped CV on gtzan-mini, see
#: docs/accuracy.md).
LOGISTIC_C = 1.0
LINEAR_SVC_C = 1.0
#: The model of ``make_pipeline(model=None)`` for each named feature step.
DEFAULT_MODELS = {"mel": "cnn", "musicnn": "logistic"}


def make_pipeline(
    features="mfcc",
    model=None,
    *,
    sr=22050,
    n_jobs=None,
    memory=None,
    random_state=None,
    verbose=0,
    on_error="raise",
):
    """Build a genre classification Pipeline: features -> [StandardScaler] -> network.

    Parameters
    ----------
    features : {"mfcc", "spectral", "gtzan", "mel", "musicnn"}, None or transformer, \
default="mfcc"
        ``"mfcc"``: :class:`~sk_genre.MFCCTransformer` (20 MFCCs, mean and
        std). ``"spectral"``: :class:`~sk_genre.SpectralFeatureUnion` (every
        feature, mean and std). ``"gtzan"``: ``SpectralFeatureUnion(include=
        "gtzan")``, the 57 columns of the bundled GTZAN table, so a pipeline
        fitted on the table with ``features=None`` and one with
        ``features="gtzan"`` see the same columns. ``"mel"``:
        :class:`~sk_genre.MelChunker` (4-s log-mel chunks every 2 s), the
        input of ``model="cnn"``; no scaler follows it (the CNN standardises
        its input itself). ``"musicnn"``:
        :class:`~sk_genre.pretrained.MusicnnEmbedding`, the pretrained MSD
        musicnn's 200-d penultimate layer averaged over 3-s patches (the
        recommended features for real music; audio is decoded at 16 kHz
        whatever ``sr`` says), or its tag probabilities for
        ``model="zero_shot"``. The input of these is audio paths or waveforms.
        ``None``: no feature step, the input is already a feature matrix (e.g.
        the bundled GTZAN table). A transformer instance is used as given.
    model : {"baseline", "regularized", "dnn", "dnn_threshold", "cnn", "logistic", \
"linear_svc", "zero_shot"}, classifier or None, default=None
        A seed network preset of :class:`~sk_genre.models.DenseClassifier`
        (see :meth:`~sk_genre.models.DenseClassifier.from_preset`), ``"cnn"``
        (:class:`~sk_genre.models.CNNClassifier`, on ``features="mel"``),
        ``"logistic"`` (:class:`~sklearn.linear_model.LogisticRegression`),
        ``"linear_svc"`` (:class:`~sklearn.svm.LinearSVC`), ``"zero_shot"``
        (:class:`~sk_genre.pretrained.TagGenreClassifier`: genres from musicnn's
        tags, no training; ``features="musicnn"`` only), or any scikit-learn
        classifier instance. ``None`` picks the model that suits the features:
        ``"cnn"`` for ``"mel"``, ``"logistic"`` for ``"musicnn"`` (the best head
        by artist-grouped CV, see docs/accuracy.md), else ``"baseline"``.
        ``"dnn"`` early-stops on a held-out
        10 % of the training tracks, which is too few to be useful below a few
        hundred tracks (on the 59-track gtzan-mini its 3-fold accuracy swings
        between 0.05 and 0.45 with the seed); ``"baseline"`` trains a fixed
        100 epochs and is the safer default.
    sr : int, default=22050
        Sampling rate in Hz of the feature step (not used by ``"musicnn"``,
        which works at 16000 Hz).
    n_jobs : int or None, default=None
        Parallel clips in the feature step (joblib).
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Per-clip feature cache of the feature step (see
        :class:`~sk_genre.MFCCTransformer`); grid searches over the network
        then decode and analyse each file once.
    random_state : int, RandomState or None, default=None
        Seed of the network (initialisation, dropout, shuffling, hold-out).
    verbose : int, default=0
        Progress on stderr; 0 is silent, as scikit-learn's default (the
        command line turns it on). 1: a bar over the clips of the feature step
        on slow batches and, for a named network preset, one bar over its
        training epochs with the latest loss and accuracy. 2: the same, with
        Keras' own per-epoch log instead of the epoch bar (see the networks'
        ``verbose``). A transformer or classifier instance keeps its own.
    on_error : {"raise", "skip", "warn"}, default="raise"
        What the named feature step does with a file it cannot read:
        ``"raise"`` stops with an :class:`~sk_genre.AudioDecodeError` naming
        it; with ``"skip"`` and ``"warn"`` (which also warns, naming each
        file) the pipeline trains on the other tracks and answers for the
        unreadable ones with the training prior (see :class:`GenrePipeline`).
        A transformer instance given as ``features`` keeps its own setting.

    Returns
    -------
    pipeline : GenrePipeline
        A :class:`~sklearn.pipeline.Pipeline` with the steps ``"features"``
        (unless ``features=None``), ``"scaler"`` (not with ``features="mel"``
        nor ``model="zero_shot"``),
        ``"model"``; grid-search names look like ``"features__n_mfcc"`` and
        ``"model__dropout"``. One row per track in and out, whatever
        ``on_error`` is.

    Raises
    ------
    ValueError
        Unknown ``features`` or ``model`` name, or a named pair that does not
        fit together (``"cnn"`` needs ``"mel"`` chunks, the other models need
        feature vectors, ``"zero_shot"`` needs ``"musicnn"``).

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sk_genre import make_pipeline
    >>> from sk_genre.datasets import load_audio_folder
    >>> tracks = load_audio_folder("gtzan-mini")  # doctest: +SKIP
    >>> pipe = make_pipeline(random_state=0)  # doctest: +SKIP
    >>> cross_val_score(pipe, tracks.paths, tracks.target, cv=3)  # doctest: +SKIP

    A grid search that survives unreadable files and names them:

    >>> from sklearn.model_selection import GridSearchCV
    >>> pipe = make_pipeline(on_error="skip", random_state=0)  # doctest: +SKIP
    >>> search = GridSearchCV(pipe, {"model__dropout": [0.3, 0.5]}, cv=3)  # doctest: +SKIP
    >>> search.fit(tracks.paths, tracks.target)  # doctest: +SKIP
    >>> sorted(e.path for e in search.best_estimator_.errors_.values())  # doctest: +SKIP
    """
    if model is None:
        named = isinstance(features, str)
        model = DEFAULT_MODELS.get(features, "baseline") if named else "baseline"
    if isinstance(features, str) and isinstance(model, str) and model in MODELS:
        if (features == "mel") != (model == "cnn"):
            raise ValueError(
                "model='cnn' must be used with features='mel' and the other models with "
                f"feature vectors; got features={features!r}, model={model!r}"
            )
        if (model == "zero_shot") and features != "musicnn":
            raise ValueError(
                "model='zero_shot' must be used with features='musicnn' (it reads musicnn's "
                f"tags); got features={features!r}"
            )
    steps = []
    common = dict(n_jobs=n_jobs, memory=memory, verbose=verbose, on_error=on_error)
    if isinstance(features, BaseEstimator):
        steps.append(("features", features))
    elif features == "mfcc":
        steps.append(("features", MFCCTransformer(sr=sr, **common)))
    elif features in ("spectral", "gtzan"):
        include = "gtzan" if features == "gtzan" else "all"
        steps.append(("features", SpectralFeatureUnion(include=include, sr=sr, **common)))
    elif features == "mel":
        steps.append(("features", MelChunker(sr=sr, **common)))
    elif features == "musicnn":
        from .pretrained import MusicnnEmbedding  # no keras until the network runs

        layer = "taggram" if model == "zero_shot" else "penultimate"
        steps.append(("features", MusicnnEmbedding(layer=layer, **common)))
    elif features is not None:
        raise ValueError(f"features must be one of {FEATURES} or a transformer; got {features!r}")
    # mel chunks are 4-D (the CNN scales them); the tag classifier reads probabilities
    if not isinstance(steps[0][1] if steps else None, MelChunker) and model != "zero_shot":
        steps.append(("scaler", StandardScaler()))

    if isinstance(model, BaseEstimator):
        clf = model
    elif model == "cnn":
        from .models import CNNClassifier  # imports keras: only when a network is built

        clf = CNNClassifier.from_preset(model, random_state=random_state, verbose=verbose)
    elif model == "logistic":
        clf = LogisticRegression(C=LOGISTIC_C, max_iter=2000, random_state=random_state)
    elif model == "linear_svc":
        clf = LinearSVC(C=LINEAR_SVC_C, random_state=random_state)
    elif model == "zero_shot":
        from .pretrained import TagGenreClassifier

        clf = TagGenreClassifier()
    elif model in MODELS:
        from .models import DenseClassifier

        clf = DenseClassifier.from_preset(model, random_state=random_state, verbose=verbose)
    else:
        raise ValueError(f"model must be one of {MODELS} or a classifier; got {model!r}")
    steps.append(("model", clf))
    return GenrePipeline(steps)


def _final_estimator_has(attr):
    """For ``available_if``: the final step has ``attr`` (as scikit-learn's Pipeline checks)."""

    def check(self):
        getattr(self.steps[-1][1], attr)  # raises AttributeError, naming it
        return True

    return check


class GenrePipeline(Pipeline):
    """A Pipeline that trains on the tracks its feature step could read and answers for all.

    Identical to :class:`sklearn.pipeline.Pipeline` (same parameters, step
    names, grid-search names, caching) unless its first step is one of
    sk_genre's feature transformers with ``on_error="skip"`` or ``"warn"``.
    Such a step never changes the number of rows: the row of a file it cannot
    read is all NaN. This pipeline then

    * ``fit(X, y, **params)``: trains the later steps on the readable tracks
      only, with their labels (``y`` and every per-track fit parameter, e.g.
      ``groups`` or ``model__sample_weight``, are indexed the same way), and
      learns the genre prior of those tracks, as
      :class:`~sklearn.dummy.DummyClassifier` with ``strategy="prior"`` does;
    * ``predict``, ``predict_proba``, ``predict_log_proba``: one row per
      track of ``X``, in order. A readable track gets the model's answer; an
      unreadable one the training prior (its probabilities) and the most
      frequent training genre: the answer without information;
    * ``decision_function``: NaN rows for unreadable tracks (a score needs
      audio);
    * ``score(X, y)``: the accuracy of ``predict`` over every track, the same
      number a scorer given by name computes.

    So :func:`~sklearn.model_selection.cross_val_score`,
    :func:`~sklearn.model_selection.cross_val_predict`,
    :class:`~sklearn.model_selection.GridSearchCV` with any scorer and
    :func:`sk_genre.evaluation.evaluate` run to the end over a batch with bad
    files, and an unreadable file counts as what it is: a guess. After each
    call ``kept_indices_`` (positions in ``X`` of the tracks read) and
    ``errors_`` (position -> the exception, whose message names the file)
    say which tracks were guessed. Nothing is dropped silently. To leave bad
    files out of an evaluation altogether, screen them when loading
    (:func:`sk_genre.datasets.load_audio_folder` with ``on_error``).

    Parameters
    ----------
    steps : list of (str, estimator) tuples
        As :class:`sklearn.pipeline.Pipeline`; :func:`make_pipeline` builds them.
    transform_input : list of str or None, default=None
        As :class:`sklearn.pipeline.Pipeline`: the names of metadata that the
        steps transform before they reach the later steps (with metadata
        routing on). Kept for the steps after the features.
    memory : str, joblib.Memory or None, default=None
        As :class:`sklearn.pipeline.Pipeline`: caches the fitted transformers
        (here, the steps after the features; sk_genre's feature steps have
        their own per-clip ``memory``).
    verbose : bool, default=False
        As :class:`sklearn.pipeline.Pipeline`: print the time each step takes.

    Attributes
    ----------
    kept_indices_ : ndarray of shape (n_kept,), dtype int
        Set by the last fit / predict / score with a skipping feature step.
    errors_ : dict of int to Exception
        Likewise: the tracks that could not be read, by position in ``X``.
    prior_ : DummyClassifier
        Set by ``fit`` with a skipping feature step and labels: the prior of
        the genres of the readable training tracks, which answers for
        unreadable tracks.
    """

    def _skipping_features(self):
        """The first step if it marks unreadable clips with NaN rows, else None."""
        step = self.steps[0][1] if self.steps else None
        if isinstance(step, ClipFeatureTransformer) and step.on_error in ("skip", "warn"):
            return step
        return None

    def _features(self, X, fit=False):
        """The feature step's output on ``X`` (NaN rows for unreadable clips), readable rows."""
        features = self.steps[0][1]
        Xt = features.fit_transform(X) if fit else features.transform(X)
        self.kept_indices_ = features.kept_indices_
        self.errors_ = dict(features.errors_)
        return Xt, self.kept_indices_

    def _rest(self):
        """The steps after the features, as a Pipeline sharing the fitted estimators."""
        return Pipeline(
            self.steps[1:],
            memory=self.memory,
            verbose=self.verbose,
            transform_input=self.transform_input,
        )

    def fit(self, X, y=None, **params):
        """Fit every step; with a skipping feature step, on the readable tracks only.

        Parameters
        ----------
        X : sequence of paths or waveforms, or array-like of shape (n_tracks, n_samples)
            Audio of the tracks (what the feature step takes).
        y : array-like of shape (n_tracks,)
            Genre of each track.
        **params
            Fit parameters (``step__param``, or routed metadata such as
            ``groups``); those with one value per track are indexed like ``y``.

        Returns
        -------
        self : GenrePipeline

        Raises
        ------
        ValueError
            No track could be read, or a fit parameter names the feature step.
        """
        if y is not None:
            check_genres(y, warn_single=False)  # the model step warns on a single genre
        if self._skipping_features() is None:
            self.__dict__.pop("prior_", None)
            return super().fit(X, y, **params)
        name = self.steps[0][0]
        for key in params:
            if key.partition("__")[0] == name:
                raise ValueError(
                    f"fit parameters must not go to the feature step {name!r} (it learns "
                    f"nothing); got {key!r}"
                )
        n_tracks = len(check_clips(X))
        Xt, rows = self._features(X, fit=True)
        params = {key: _tracks(value, rows, n_tracks) for key, value in params.items()}
        y_kept = _tracks(y, rows, n_tracks)
        if y is not None and self.errors_:
            _warn_lost_genres(y, y_kept, len(self.errors_))
        self._rest().fit(_tracks(Xt, rows, n_tracks), y_kept, **params)
        self.__dict__.pop("prior_", None)
        if y_kept is not None:
            weight = next((v for k, v in params.items() if k.endswith("sample_weight")), None)
            self.prior_ = DummyClassifier(strategy="prior").fit(
                np.zeros((len(rows), 1)), y_kept, sample_weight=weight
            )
        return self

    def _answer(self, X, method, params, features=None):
        """``method`` of the later steps on the readable rows; the prior's for the others.

        ``features`` is ``_features(X)`` when the caller has it already.
        """
        Xt, rows = self._features(X) if features is None else features
        out = getattr(self._rest(), method)(_tracks(Xt, rows, len(Xt)), **params)
        if len(rows) == len(Xt):
            return out
        missing = np.setdiff1d(np.arange(len(Xt)), rows)
        full = np.empty((len(Xt),) + out.shape[1:], dtype=out.dtype)
        full[rows] = out
        full[missing] = self._guess(method, len(missing), out)
        return full

    def _guess(self, method, n, out):
        """What ``method`` answers for ``n`` unreadable tracks."""
        if method == "decision_function" or not hasattr(self, "prior_"):
            if method == "predict":
                raise ValueError(
                    f"{n} track(s) could not be read and this pipeline was fitted without "
                    "labels, so it has no prior to answer for them; see errors_"
                )
            return np.nan
        prior = self.prior_
        if method == "predict":
            return prior.predict(np.zeros((1, 1)))[0]
        # the prior's columns in the order of the model's classes_ (the same genres)
        columns = [list(prior.classes_).index(c) for c in self.classes_]
        proba = prior.predict_proba(np.zeros((1, 1)))[0, columns]
        if method == "predict_log_proba":
            with np.errstate(divide="ignore"):
                return np.log(proba)
        return proba

    @available_if(_final_estimator_has("predict"))
    def predict(self, X, **params):
        """Genre of each track; the training prior's for unreadable ones (class docstring)."""
        if self._skipping_features() is None:
            return super().predict(X, **params)
        return self._answer(X, "predict", params)

    @available_if(_final_estimator_has("predict_proba"))
    def predict_proba(self, X, **params):
        """Genre probabilities of each track; the training prior for unreadable ones."""
        if self._skipping_features() is None:
            return super().predict_proba(X, **params)
        return self._answer(X, "predict_proba", params)

    @available_if(_final_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X, **params):
        """Log genre probabilities of each track; the training prior's for unreadable ones."""
        if self._skipping_features() is None:
            return super().predict_log_proba(X, **params)
        return self._answer(X, "predict_log_proba", params)

    @available_if(_final_estimator_has("decision_function"))
    def decision_function(self, X, **params):
        """Decision values of each track; NaN rows for unreadable ones."""
        if self._skipping_features() is None:
            return super().decision_function(X, **params)
        return self._answer(X, "decision_function", params)

    @available_if(_final_estimator_has("score"))
    def score(self, X, y=None, sample_weight=None, **params):
        """Score of the final step (accuracy) over every track, unreadable ones as guessed.

        Parameters
        ----------
        X : sequence of paths or waveforms, or array-like of shape (n_tracks, n_samples)
            Audio of the tracks.
        y : array-like of shape (n_tracks,)
            Genre of each track.
        sample_weight : array-like of shape (n_tracks,), default=None
            Weight of each track.
        **params
            Passed to the final step's ``score`` when every track was read.

        Returns
        -------
        score : float
            With unreadable tracks and a classifier as the final step,
            :func:`~sklearn.metrics.accuracy_score` of :meth:`predict`;
            otherwise the final step's own ``score``.
        """
        if self._skipping_features() is None:
            return super().score(X, y, sample_weight=sample_weight, **params)
        features = Xt, rows = self._features(X)
        if len(rows) == len(Xt) or not is_classifier(self.steps[-1][1]):
            n_tracks = len(Xt)
            return self._rest().score(
                _tracks(Xt, rows, n_tracks),
                _tracks(y, rows, n_tracks),
                sample_weight=_tracks(sample_weight, rows, n_tracks),
                **params,
            )
        y_pred = self._answer(X, "predict", {}, features=features)
        return accuracy_score(y, y_pred, sample_weight=sample_weight)


def _warn_lost_genres(y, y_kept, n_left_out):
    """Warn when leaving out unreadable tracks removed every track of some genre."""
    lost = sorted(set(np.asarray(y).tolist()) - set(np.asarray(y_kept).tolist()), key=str)
    if lost:
        warnings.warn(
            f"no track of genre(s) {', '.join(map(repr, lost))} is left after leaving out "
            f"{n_left_out} unreadable track(s): the model cannot predict them",
            UserWarning,
            stacklevel=3,
        )


def _tracks(value, rows, n_tracks):
    """``value[rows]`` if ``value`` holds one entry per track, else ``value`` unchanged."""
    if value is None or isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        return value
    if len(value) != n_tracks:
        return value
    if hasattr(value, "iloc"):  # pandas
        return value.iloc[rows]
    if isinstance(value, np.ndarray) or hasattr(value, "__array__"):
        return np.asarray(value)[rows]
    return [value[i] for i in rows]
