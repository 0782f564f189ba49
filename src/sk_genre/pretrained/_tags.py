"""Tags without training: musicnn's top tags per clip, and genres guessed from MSD tags."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._param_validation import StrOptions, validate_params
from .._persistence import VersionedPickleMixin
from ._embedding import MusicnnEmbedding
from ._weights import MODELS, TAGS

__all__ = ["GENRE_TAGS", "TagGenreClassifier", "rank_tags", "top_tags"]

#: GTZAN genre -> the musicnn tags that stand for it, per model (chosen by reading the tag
#: lists, not by fitting). MSD's 50 tags have none for classical or reggae; MTT's have none
#: for blues, disco, hiphop, jazz or reggae. A genre without tags is never predicted.
GENRE_TAGS = {
    "MSD_musicnn": {
        "blues": ("blues",),
        "classical": (),
        "country": ("country",),
        "disco": ("dance", "funk"),
        "hiphop": ("Hip-Hop",),
        "jazz": ("jazz",),
        "metal": ("metal", "heavy metal"),
        "pop": ("pop",),
        "reggae": (),
        "rock": ("rock", "classic rock", "hard rock"),
    },
    "MTT_musicnn": {
        "blues": (),
        "classical": ("classical", "classic"),
        "country": ("country",),
        "disco": (),
        "hiphop": (),
        "jazz": (),
        "metal": ("metal",),
        "pop": ("pop",),
        "reggae": (),
        "rock": ("rock",),
    },
}


def top_tags(clips, *, model="MSD_musicnn", top_k=5, **params):
    """The most likely musicnn tags of each clip, with no training.

    The clip's taggram (50 tag probabilities per 3-s patch) averaged over its
    patches, as musicnn's own ``top_tags``.

    Parameters
    ----------
    clips : sequence of paths or 1-D waveforms at 16000 Hz
        The clips to tag.
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Which tag vocabulary: last.fm tags of the Million Song Dataset (genres,
        eras, moods) or MagnaTagATune's (instruments, moods, a few genres).
    top_k : int, default=5
        Tags per clip, most likely first.
    **params
        Further :class:`MusicnnEmbedding` parameters (``n_jobs``, ``memory``,
        ``on_error``, ``res_type``, ...).

    Returns
    -------
    tags : list of list of (str, float)
        Per clip (per readable clip with ``on_error`` "skip"/"warn"), its
        ``top_k`` tags and their mean probabilities in [0, 1].

    Raises
    ------
    AudioDecodeError
        A file cannot be read (with ``on_error="raise"``).
    ValueError
        ``top_k`` is not in 1..50, or a parameter is invalid.

    Examples
    --------
    >>> from sk_genre.pretrained import top_tags
    >>> top_tags(["metal.00000.ogg"], top_k=3)  # doctest: +SKIP
    [[('metal', 0.32...), ('heavy metal', 0.28...), ('rock', 0.24...)]]
    """
    rank_tags(np.zeros((0, 50)), model, top_k)  # validates model and top_k before the work
    taggram = MusicnnEmbedding(model=model, layer="taggram", pooling="mean", **params)
    return rank_tags(taggram.fit_transform(clips), model, top_k)


def rank_tags(scores, model="MSD_musicnn", top_k=5):
    """The ``top_k`` tags of each row of tag probabilities, most likely first.

    Parameters
    ----------
    scores : ndarray of shape (n_clips, 50)
        Tag probabilities in the column order of ``TAGS[model]``.
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
    top_k : int, default=5

    Returns
    -------
    tags : list of list of (str, float)

    Raises
    ------
    ValueError
        Unknown ``model``, ``top_k`` not in 1..50.
    """
    names = TAGS.get(model)
    if names is None:
        raise ValueError(f"model must be one of {sorted(MODELS)}; got {model!r}")
    if (
        isinstance(top_k, bool)
        or not isinstance(top_k, (int, np.integer))
        or not (1 <= top_k <= len(names))
    ):
        raise ValueError(f"top_k must be an integer in 1..{len(names)}; got {top_k!r}")
    order = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]
    rows = zip(scores, order, strict=True)
    return [[(names[j], float(row[j])) for j in idx] for row, idx in rows]


class TagGenreClassifier(VersionedPickleMixin, ClassifierMixin, BaseEstimator):
    """Genre from musicnn tag probabilities, with no training: a zero-shot classifier.

    Each genre scores the highest probability among its tags (``genre_tags``);
    the prediction is the genre of highest score. ``fit`` learns only the
    classes, so the classifier goes into ``cross_val_score`` and grid searches
    like any other; its input is the clip-level taggram,
    ``MusicnnEmbedding(layer="taggram", pooling="mean")``, which
    ``make_pipeline(features="musicnn", model="zero_shot")`` puts in front.

    A class of ``y`` without tags (with MSD: classical and reggae) scores 0 and
    is never predicted; its tracks count as errors. Train a head on the
    embeddings instead (``make_pipeline(features="musicnn")``) when such genres
    matter.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Which model's 50 tags the columns of ``X`` are (their order is
        ``sk_genre.pretrained.TAGS[model]``).
    genre_tags : dict of str -> sequence of str, or None, default=None
        Genre -> its tags. ``None``: ``GENRE_TAGS[model]``, a hand-made map of the
        ten GTZAN genres. Genres of ``y`` missing from the map have no tags.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The genres seen in ``fit``.
    n_features_in_ : int
        50.

    Examples
    --------
    >>> from sk_genre import make_pipeline
    >>> pipe = make_pipeline(features="musicnn", model="zero_shot")
    >>> pipe.steps[-1][1]
    TagGenreClassifier()
    """

    _parameter_constraints: dict = {
        "model": [StrOptions(set(MODELS))],
        "genre_tags": [dict, None],
    }

    def __init__(self, *, model="MSD_musicnn", genre_tags=None):
        self.model = model
        self.genre_tags = genre_tags

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.poor_score = True  # learns no decision rule from y
        return tags

    def _tag_columns(self):
        mapping = GENRE_TAGS[self.model] if self.genre_tags is None else self.genre_tags
        names = list(TAGS[self.model])
        columns = {}
        for genre, tags in mapping.items():
            tags = (tags,) if isinstance(tags, str) else tuple(tags)
            unknown = [t for t in tags if t not in names]
            if unknown:
                raise ValueError(
                    f"genre_tags[{genre!r}] must name tags of {self.model}; got {unknown}"
                )
            columns[str(genre)] = [names.index(t) for t in tags]
        return columns

    def fit(self, X, y):
        """Validate and learn the classes; nothing else is learned.

        Parameters
        ----------
        X : array-like of shape (n_tracks, 50)
            Tag probabilities (mean taggram) of each track.
        y : array-like of shape (n_tracks,)
            Genre of each track.

        Returns
        -------
        self : TagGenreClassifier

        Raises
        ------
        ValueError
            ``X`` does not have 50 columns, ``genre_tags`` names an unknown tag.
        """
        validate_params(self)
        X, y = validate_data(self, X, y)
        check_classification_targets(y)
        if X.shape[1] != len(TAGS[self.model]):
            raise ValueError(
                f"X must have {len(TAGS[self.model])} columns (the tags of {self.model}); "
                f"got {X.shape[1]}"
            )
        self.classes_ = np.unique(y)
        self.columns_ = self._tag_columns()
        return self

    def _scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        scores = np.zeros((X.shape[0], len(self.classes_)))
        for k, genre in enumerate(self.classes_):
            cols = self.columns_.get(str(genre), [])
            if cols:
                scores[:, k] = X[:, cols].max(axis=1)
        return scores

    def predict_proba(self, X):
        """Genre scores of each track, normalised to sum to 1.

        Parameters
        ----------
        X : array-like of shape (n_tracks, 50)

        Returns
        -------
        proba : ndarray of shape (n_tracks, n_classes)
            Each genre's best tag probability over the sum of all genres'; a
            track on which no tag fires gets equal probabilities for the genres
            that have tags (0 for the others).
        """
        scores = self._scores(X)
        total = scores.sum(axis=1, keepdims=True)
        tagged = np.array([bool(self.columns_.get(str(g))) for g in self.classes_])
        if not tagged.any():
            tagged[:] = True
        uniform = np.broadcast_to(tagged / tagged.sum(), scores.shape).copy()
        return np.divide(scores, total, out=uniform, where=total > 0)

    def predict(self, X):
        """Genre of highest score for each track.

        Parameters
        ----------
        X : array-like of shape (n_tracks, 50)

        Returns
        -------
        y_pred : ndarray of shape (n_tracks,)
        """
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]
