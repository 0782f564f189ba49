"""
The seed networks, reproduced
=============================

sk_genre's four dense network presets reproduce the seed project's Keras
networks as scikit-learn classifiers. Each is fitted here on the 443
fault-filtered training tracks of the bundled GTZAN feature table and scored
on the 197 validation tracks (artists it has not heard), with its loss and
accuracy curves.

One seed per network (`random_state=0`): the validation accuracy of one seed
varies by about ±0.02 (±4 tracks) between seeds; the mean over five seeds is
in the [accuracy page](../../accuracy.md). The fifth seed network, the mel
CNN, needs audio: see `train_seed_cnn.py` in this gallery (not run when the
site is built). Run time: as measured when the site is built (bottom of the page).
"""

# %%
# The presets
# -----------
# Each preset is a set of `DenseClassifier` parameters; any of them can be
# overridden (`DenseClassifier.from_preset("dnn", dropout=0.3)`) or searched
# over in a pipeline (`model__dropout`).

import matplotlib.pyplot as plt
import numpy as np

from sk_genre import make_pipeline
from sk_genre.datasets import load_gtzan_features
from sk_genre.evaluation import TrainingCurveDisplay
from sk_genre.models import DENSE_PRESETS

for name, params in DENSE_PRESETS.items():
    print(f"{name:>13}: {params}")

# %%
# Fit each on the training artists, score on the validation artists
# -----------------------------------------------------------------
# `make_pipeline(features=None, model=name)` is `StandardScaler` followed by
# the preset network.

gtzan = load_gtzan_features()
train, valid = gtzan.split == "train", gtzan.split == "valid"

fitted = {}
for name in DENSE_PRESETS:
    pipe = make_pipeline(features=None, model=name, random_state=0, verbose=0)
    fitted[name] = pipe.fit(gtzan.data[train], gtzan.target[train])

print(f"{'preset':>13}  epochs  train acc (last epoch)  valid acc (197 tracks)")
valid_accuracy = {}
for name, pipe in fitted.items():
    history = pipe[-1].history_
    valid_accuracy[name] = pipe.score(gtzan.data[valid], gtzan.target[valid])
    print(
        f"{name:>13}  {len(history['loss']):>6}  {history['accuracy'][-1]:>22.3f}  "
        f"{valid_accuracy[name]:>22.3f}"
    )

# %%
# All four land between 0.42 and 0.46 on new artists, while their training
# accuracy runs far higher. `dnn_threshold` stops once its training accuracy
# reaches 0.94; with dropout 0.5 it never gets there before early stopping,
# so it trains exactly like `dnn` and gives the same predictions (the
# accuracy page checks this over five seeds).

fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
names = list(valid_accuracy)
bars = ax.barh(names, [valid_accuracy[n] for n in names], color="tab:blue")
ax.bar_label(bars, fmt="%.3f", padding=3)
ax.axvline(0.1, color="0.3", ls="--", label="chance (10 genres)")
ax.set_xlim(0, 1)
ax.invert_yaxis()
ax.set_xlabel("accuracy on the 197 validation tracks (artist-aware)")
ax.set_title("Seed networks, random_state=0")
ax.legend(loc="lower right")
plt.show()

# %%
# Loss and accuracy per epoch
# ---------------------------
# `baseline` and `regularized` train a fixed 100 epochs and record the
# training curves only. `dnn` and `dnn_threshold` also hold out a stratified
# 10 % of the training tracks and stop when its loss has not improved for 10
# epochs, restoring the best weights: the dashed curves are that hold-out,
# whose tracks share artists with the training tracks. The dotted
# green line is the fitted network's accuracy on the 197 validation artists,
# far below the hold-out's: the hold-out leaks artists too.

fig, axes = plt.subplots(len(fitted), 2, figsize=(11, 3.2 * len(fitted)), layout="constrained")
for row, (name, pipe) in zip(axes, fitted.items(), strict=True):
    TrainingCurveDisplay.from_estimator(pipe, ax=row)
    for ax in row:
        ax.set_title(f"{name}: {ax.get_title().lower()}")
        for line in ax.get_lines():  # say which hold-out: 10 % of the training tracks
            if line.get_label() == "hold-out":
                line.set_label("10 % hold-out (same artists)")
    row[1].axhline(
        valid_accuracy[name], color="tab:green", ls=":", lw=2, label="197 validation artists"
    )
    row[1].set_ylim(0, 1)
    row[0].legend()
    row[1].legend(loc="lower right")
plt.show()

# %%
# What this does not show: the table's features were computed from the
# original WAV files, so the networks' accuracy on your own audio (features
# from `make_pipeline(features="gtzan")`) has not been measured here; and
# 197 validation tracks cannot separate networks that differ by 0.01.

best = max(valid_accuracy, key=valid_accuracy.get)
print(f"best preset on valid with this seed: {best} ({valid_accuracy[best]:.3f})")
print(
    "dnn and dnn_threshold predict the same:",
    bool(
        np.array_equal(
            fitted["dnn"].predict(gtzan.data[valid]),
            fitted["dnn_threshold"].predict(gtzan.data[valid]),
        )
    ),
)
