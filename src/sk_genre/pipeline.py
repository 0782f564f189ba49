"""make_pipeline: one scikit-learn Pipeline from audio (or features) to genre."""

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .features import MelChunker, MFCCTransformer, SpectralFeatureUnion

__all__ = ["make_pipeline", "FEATURES", "MODELS"]

#: Names accepted by ``make_pipeline(features=...)``.
FEATURES = ("mfcc", "spectral", "gtzan", "mel", None)
#: Names accepted by ``make_pipeline(model=...)``: the seed network presets.
MODELS = ("baseline", "regularized", "dnn", "dnn_threshold", "cnn")


def make_pipeline(
    features="mfcc",
    model="baseline",
    *,
    sr=22050,
    n_jobs=None,
    memory=None,
    random_state=None,
    verbose=1,
):
    """Build a genre classification Pipeline: features -> [StandardScaler] -> network.

    Parameters
    ----------
    features : {"mfcc", "spectral", "gtzan"}, None or transformer, default="mfcc"
        ``"mfcc"``: :class:`~sk_genre.MFCCTransformer` (20 MFCCs, mean and
        std). ``"spectral"``: :class:`~sk_genre.SpectralFeatureUnion` (every
        feature, mean and std). ``"gtzan"``: ``SpectralFeatureUnion(include=
        "gtzan")``, the 57 columns of the bundled GTZAN table, so a pipeline
        fitted on the table with ``features=None`` and one with
        ``features="gtzan"`` see the same columns. ``"mel"``:
        :class:`~sk_genre.MelChunker` (4-s log-mel chunks every 2 s), the
        input of ``model="cnn"``; no scaler follows it (the CNN standardises
        its input itself). The input of these is audio paths or waveforms.
        ``None``: no feature step, the input is already a feature matrix (e.g.
        the bundled GTZAN table). A transformer instance is used as given.
    model : {"baseline", "regularized", "dnn", "dnn_threshold", "cnn"} or classifier, \
default="baseline"
        A seed network preset of :class:`~sk_genre.models.DenseClassifier`
        (see :meth:`~sk_genre.models.DenseClassifier.from_preset`), ``"cnn"``
        (:class:`~sk_genre.models.CNNClassifier`, on ``features="mel"``), or
        any scikit-learn classifier instance. ``"dnn"`` early-stops on a held-out
        10 % of the training tracks, which is too few to be useful below a few
        hundred tracks (on the 59-track gtzan-mini its 3-fold accuracy swings
        between 0.05 and 0.45 with the seed); ``"baseline"`` trains a fixed
        100 epochs and is the safer default.
    sr : int, default=22050
        Sampling rate in Hz of the feature step.
    n_jobs : int or None, default=None
        Parallel clips in the feature step (joblib).
    memory : str, os.PathLike, joblib.Memory or None, default=None
        Per-clip feature cache of the feature step (see
        :class:`~sk_genre.MFCCTransformer`); grid searches over the network
        then decode and analyse each file once.
    random_state : int, RandomState or None, default=None
        Seed of the network (initialisation, dropout, shuffling, hold-out).
    verbose : int, default=1
        Progress bar of the feature step on slow batches; 0 for silence.

    Returns
    -------
    pipeline : sklearn.pipeline.Pipeline
        Steps ``"features"`` (unless ``features=None``), ``"scaler"`` (not
        with ``features="mel"``), ``"model"``; grid-search names look like
        ``"features__n_mfcc"`` and ``"model__dropout"``. One row per track in and out.

    Raises
    ------
    ValueError
        Unknown ``features`` or ``model`` name, or a named pair that does not
        fit together (``"cnn"`` needs ``"mel"`` chunks and the dense networks
        need feature vectors).

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from sk_genre import make_pipeline
    >>> from sk_genre.datasets import load_audio_folder
    >>> tracks = load_audio_folder("gtzan-mini")  # doctest: +SKIP
    >>> pipe = make_pipeline(random_state=0)  # doctest: +SKIP
    >>> cross_val_score(pipe, tracks.paths, tracks.target, cv=3)  # doctest: +SKIP
    """
    if isinstance(features, str) and isinstance(model, str) and model in MODELS:
        if (features == "mel") != (model == "cnn"):
            raise ValueError(
                "model='cnn' must be used with features='mel' and the dense models with "
                f"feature vectors; got features={features!r}, model={model!r}"
            )
    steps = []
    if isinstance(features, BaseEstimator):
        steps.append(("features", features))
    elif features == "mfcc":
        steps.append(
            ("features", MFCCTransformer(sr=sr, n_jobs=n_jobs, memory=memory, verbose=verbose))
        )
    elif features in ("spectral", "gtzan"):
        include = "gtzan" if features == "gtzan" else "all"
        union = SpectralFeatureUnion(
            include=include, sr=sr, n_jobs=n_jobs, memory=memory, verbose=verbose
        )
        steps.append(("features", union))
    elif features == "mel":
        chunker = MelChunker(sr=sr, n_jobs=n_jobs, memory=memory, verbose=verbose)
        steps.append(("features", chunker))
    elif features is not None:
        raise ValueError(f"features must be one of {FEATURES} or a transformer; got {features!r}")
    if not isinstance(steps[0][1] if steps else None, MelChunker):
        steps.append(("scaler", StandardScaler()))  # mel chunks are 4-D; the CNN scales them

    if isinstance(model, BaseEstimator):
        clf = model
    elif model == "cnn":
        from .models import CNNClassifier  # imports keras: only when a network is built

        clf = CNNClassifier.from_preset(model, random_state=random_state)
    elif model in MODELS:
        from .models import DenseClassifier

        clf = DenseClassifier.from_preset(model, random_state=random_state)
    else:
        raise ValueError(f"model must be one of {MODELS} or a classifier; got {model!r}")
    steps.append(("model", clf))
    return Pipeline(steps)
