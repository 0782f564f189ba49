"""The names ``make_pipeline`` accepts, importable without scikit-learn (``sk-genre --help``)."""

__all__ = ["FEATURES", "MODELS"]

#: Names accepted by ``make_pipeline(features=...)``.
FEATURES = ("mfcc", "spectral", "gtzan", "mel", "musicnn", None)
#: Names accepted by ``make_pipeline(model=...)``: the seed network presets, scikit-learn
#: linear heads, and the zero-shot tag classifier (with ``features="musicnn"``).
MODELS = (
    "baseline",
    "regularized",
    "dnn",
    "dnn_threshold",
    "cnn",
    "logistic",
    "linear_svc",
    "zero_shot",
)
