"""
Pretrained musicnn: tags, embeddings and grouped CV on real audio
=================================================================

musicnn (Pons & Serra 2019) is a convolutional network pretrained to tag
music; sk_genre ships it, ported to Keras 3, with its MSD and MTT weights.
This example runs it on gtzan-mini, 59 real GTZAN tracks:

1. the top Million Song Dataset tags of a few tracks, with no training;
2. the artist-grouped 3-fold accuracy of `make_pipeline(features="musicnn")`
   (pretrained embeddings -> `StandardScaler` -> logistic regression) against
   the same head on MFCC statistics, on the same folds;
3. the confusion matrix of the musicnn pipeline's out-of-fold predictions.

GTZAN audio is not shipped with sk_genre (copyright). The docs build finds
gtzan-mini at `$SK_GENRE_DATA/gtzan-mini`, else at `../shared/data/gtzan-mini`
beside the repository; without it the example says so and runs on synthetic
clips instead, whose numbers mean nothing. Run time: as measured when the site
is built (bottom of the page), most of it computing each track's embedding and
MFCCs once.
"""

# %%
# The tracks and their artist-proxy groups
# ----------------------------------------
# GTZAN holds several excerpts per artist, numbered in runs: blues.00000 to
# blues.00011, for one, are all John Lee Hooker. Grouping each track with the
# block of ten numbers it falls in ("blues.0000x") keeps most of an artist's
# tracks on one side of every split; `StratifiedGroupKFold` then balances the
# genres as well as the groups allow.

import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import soundfile as sf
from sklearn.metrics import ConfusionMatrixDisplay
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict, cross_val_score

from sk_genre import make_pipeline
from sk_genre.datasets import get_data_home, load_audio_folder
from sk_genre.pretrained import top_tags

DATA = get_data_home()  # $SK_GENRE_DATA, else ../shared/data beside the repository, else None
ROOT = None if DATA is None else DATA / "gtzan-mini"


def synthetic_folder(root, genres=("drone", "noise", "clicks"), per_genre=6, sr=16000):
    """Stand-in audio when gtzan-mini is absent: 6-s clips of three made-up genres."""
    rng = np.random.default_rng(0)
    t = np.arange(6 * sr) / sr
    for genre in genres:
        (root / genre).mkdir(parents=True)
        for k in range(per_genre):
            if genre == "drone":
                y = np.sin(2 * np.pi * rng.uniform(110, 440) * t)
            elif genre == "noise":
                y = rng.standard_normal(t.size)
            else:
                y = np.zeros(t.size)
                y[:: int(sr * rng.uniform(0.3, 0.6))] = 1.0
            y = y + 0.05 * rng.standard_normal(t.size)
            path = root / genre / f"{genre}.{10 * k:05d}.wav"  # one artist-proxy group each
            sf.write(path, 0.3 * y / np.abs(y).max(), sr)
    return root


if ROOT is not None and (ROOT / "manifest.csv").is_file():
    synthetic = False
else:
    print(
        f"gtzan-mini not found at {ROOT or '../shared/data'} (set SK_GENRE_DATA to the folder "
        "that holds gtzan-mini/): running on SYNTHETIC clips; the numbers below mean nothing"
    )
    synthetic = True
    ROOT = synthetic_folder(Path(tempfile.mkdtemp(prefix="sk_genre_synthetic_")) / "clips")

tracks = load_audio_folder(ROOT)
groups = np.array([track_id[:-1] for track_id in tracks.track_ids])  # "blues.0000"
print(
    f"{len(tracks.paths)} tracks, {len(tracks.target_names)} genres, "
    f"{len(np.unique(groups))} artist-proxy groups"
)

# %%
# Tags, with no training
# ----------------------
# `top_tags` averages the 50 tag probabilities of MSD_musicnn over each
# track's 3-s patches. MSD's tags are last.fm's 50 most frequent: genres,
# eras and moods. There is no "classical" or "reggae" among them, so those
# tracks come out as instrumental or whatever else they sound like.
#
# Every step below shares one `memory=` cache, keyed by each file's content
# and the transformer's parameters.

cache = tempfile.mkdtemp(prefix="sk_genre_musicnn_cache_")
names = ("blues.00000", "classical.00000", "hiphop.00000", "metal.00000", "reggae.00000")
shown = [i for i, track_id in enumerate(tracks.track_ids) if track_id in names] or [0, 6, 12]
tags_of_shown = top_tags([tracks.paths[i] for i in shown], top_k=3, memory=cache)
for i, tags in zip(shown, tags_of_shown, strict=True):
    print(f"{tracks.track_ids[i]:<16}", ", ".join(f"{tag} {p:.2f}" for tag, p in tags))

# %%
# Pretrained embeddings against MFCCs, on the same folds
# ------------------------------------------------------
# `make_pipeline(features="musicnn")` is `MusicnnEmbedding` (the 200-unit
# penultimate layer of MSD_musicnn, averaged over the track's patches) ->
# `StandardScaler` -> `LogisticRegression`. The MFCC pipeline has the same
# head on 20 MFCCs' mean and standard deviation.
#
# These are the full pipelines, fitted on file paths inside each fold. Neither
# feature step learns anything from the training tracks, and with `memory=`
# each track's features are computed once, in the first fold, and read back
# from the cache afterwards (also by `cross_val_predict` below). Only the
# scaler and the logistic regression are fitted per fold.

cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
pipelines = {
    "musicnn embeddings": make_pipeline(features="musicnn", memory=cache, verbose=0),
    "MFCC statistics": make_pipeline(
        features="mfcc", model="logistic", memory=cache, verbose=0, random_state=0
    ),
}
for name, pipe in pipelines.items():
    scores = cross_val_score(pipe, tracks.paths, tracks.target, groups=groups, cv=cv)
    print(
        f"{name:<20} -> logistic regression: accuracy {scores.mean():.3f} +- {scores.std():.3f}"
        f"  (folds {', '.join(f'{s:.3f}' for s in scores)})"
    )
test_sizes = [len(test) for _, test in cv.split(tracks.paths, tracks.target, groups)]
print("test tracks per fold:", ", ".join(map(str, test_sizes)))

# %%
# Each test fold holds about 20 tracks, so one track is 0.05 of accuracy, and
# the groups are only a proxy for artists. The comparison is paired (same
# folds), and on gtzan-mini the gap is about nine tracks in every fold. More
# heads and layers, leave-one-group-out, and the effect of the resampler:
# *Accuracy on GTZAN*, part E; the whole API: *Pretrained models*.
#
# Where the musicnn pipeline goes wrong
# -------------------------------------
# `cross_val_predict` gives each track the prediction of the fold that held
# it out.

predicted = cross_val_predict(
    pipelines["musicnn embeddings"], tracks.paths, tracks.target, groups=groups, cv=cv
)
print(f"out-of-fold accuracy: {np.mean(predicted == tracks.target):.3f}")

fig, ax = plt.subplots(figsize=(7, 6), layout="constrained")
ConfusionMatrixDisplay.from_predictions(
    tracks.target, predicted, labels=tracks.target_names, ax=ax, colorbar=False
)
ax.tick_params(axis="x", labelrotation=45)
ax.set_title(
    "musicnn embeddings -> logistic regression, grouped 3-fold CV"
    + (" (SYNTHETIC clips)" if synthetic else " (gtzan-mini)")
)
plt.show()

# %%
# On gtzan-mini all five metal tracks fall in one block (metal.00000 to
# metal.00009), so the fold that tests them has no metal track to train on:
# the head cannot answer "metal", and they go to rock and hiphop. Grouped
# cross-validation scores a genre only on artists it has not trained on, and
# here that leaves metal with none it has.

shutil.rmtree(cache)
if synthetic:
    shutil.rmtree(ROOT.parent)
