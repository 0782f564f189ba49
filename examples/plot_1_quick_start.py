"""
Quick start
===========

Fit a genre classifier on the GTZAN feature table that ships with sk_genre,
score it on tracks by artists it has never heard, and draw its confusion
matrix and per-genre accuracy.

The table holds 57 librosa summary features (chroma, spectral shape, tempo,
20 MFCCs, mean and variance) of the 1000 GTZAN excerpts, computed by others
from the original WAV files (Kaggle `features_30_sec.csv`). No audio is
decoded here. Run time: as measured when the site is built (bottom of the page).
"""

# %%
# Load the table and its artist-aware split
# -----------------------------------------
# `split` is the fault-filtered split of Kereliuk, Sturm & Larsen (2015):
# 443 training tracks and 197 validation tracks, no artist on both sides,
# known duplicates and faulty excerpts left out (`"other"`: 360 tracks, not
# used here).

import matplotlib.pyplot as plt
import numpy as np

from sk_genre import make_pipeline
from sk_genre.datasets import load_gtzan_features
from sk_genre.evaluation import GenreAccuracyDisplay, GenreConfusionMatrixDisplay, evaluate

gtzan = load_gtzan_features()
train, valid = gtzan.split == "train", gtzan.split == "valid"
print("table:", gtzan.data.shape, "genres:", ", ".join(gtzan.target_names))
print("train / valid / other tracks:", train.sum(), valid.sum(), (gtzan.split == "other").sum())

# %%
# Fit the seed DNN
# ----------------
# `features=None`: the input is already a feature matrix, so the pipeline is
# `StandardScaler` followed by the network. `model="dnn"` is the seed DNN
# (128-256-128, batch norm, dropout 0.5, early stopping on a stratified 10 %
# of the training tracks). `random_state` seeds the network, so the numbers
# below are the same on every run on one machine (XLA's CPU kernels may
# differ by a track or two between processors).

pipe = make_pipeline(features=None, model="dnn", random_state=0, verbose=0)
pipe.fit(gtzan.data[train], gtzan.target[train])
print("steps:", [name for name, _ in pipe.steps])
print("epochs trained:", len(pipe[-1].history_["loss"]))

# %%
# Score it on the validation artists
# ----------------------------------
# `evaluate` predicts one genre per track and collects the accuracy,
# scikit-learn's `classification_report` and the confusion matrix.

result = evaluate(pipe, gtzan.data[valid], gtzan.target[valid])
print(f"valid accuracy (artist-aware, {len(result.y_true)} tracks): {result.accuracy:.3f}")
print(result.report)

# %%
# About 0.44: far below the 0.7 to 0.8 that random splits of GTZAN give (see
# the *leaky versus honest* example), because every validation artist is new
# to the network. Chance is 0.10.
#
# Confusion matrix
# ----------------
# Rows are true genres, columns predicted ones, each row divided by the
# genre's number of tracks (so the diagonal is each genre's accuracy).

GenreConfusionMatrixDisplay.from_evaluation(result)
plt.show()

# %%
# Accuracy per genre
# ------------------
# Each genre has only 13 (pop) to 24 (rock) validation tracks, so one track
# moves its bar by 4 to 8 points: read the bars as rough.

GenreAccuracyDisplay.from_evaluation(result)
plt.show()

best = result.labels[np.nanargmax(result.genre_accuracy)]
worst = result.labels[np.nanargmin(result.genre_accuracy)]
print(f"best genre: {best}, worst genre: {worst}")

# %%
# From audio files
# ----------------
# The same pipeline with a feature step takes a list of audio files (or
# waveforms) and returns one genre per track. On a GTZAN-style folder
# (`root/<genre>/<track>.ogg`; the audio is not shipped with sk_genre):
#
# ```python
# from sklearn.model_selection import cross_val_score
# from sk_genre import make_pipeline
# from sk_genre.datasets import load_audio_folder
#
# tracks = load_audio_folder("../shared/data/gtzan-mini")
# pipe = make_pipeline(random_state=0)  # MFCCTransformer -> StandardScaler -> DenseClassifier
# print(cross_val_score(pipe, tracks.paths, tracks.target, cv=3))
# ```
#
# `make_pipeline(features="gtzan", model="dnn")` computes the same 57 columns
# as the table from audio, so a network fitted on the table (as above) can
# classify your own files. The *grid search* example runs the audio form on
# synthetic clips.
#
# What this example does not show: the table's features come from the
# original GTZAN WAV files; features computed by sk_genre from re-encoded
# copies (OGG, MP3) differ slightly, and a network trained on the table has
# not been checked on audio from other sources.
