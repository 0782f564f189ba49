"""
One groups array for the folds and for early stopping
=====================================================

GTZAN holds several tracks per artist, so an honest cross-validation keeps
each artist on one side of every fold (a grouped splitter). A network that
stops early holds out part of its *training* tracks to choose the epoch, and
that hold-out must keep artists apart too, or the epoch is chosen on artists
it trains on. Both need the same `groups`.

With scikit-learn's metadata routing on, the network asks for `groups` once
(`set_fit_request(groups=True)`) and `cross_val_score(..., params={"groups":
g})` (or `GridSearchCV.fit(X, y, groups=g)`) sends the one array to the
splitter and, indexed by each fold's training rows, to the network's `fit`,
which holds out whole groups. Without routing the same is spelled
`groups=g, params={"model__groups": g}`; this example checks that both give
the same scores.

Run time: as measured when the site is built (bottom of the page); six fits of
the seed DNN.
"""

# %%
# Tracks and artist-proxy groups
# ------------------------------
# The bundled feature table has no artist column. Blocks of ten consecutive
# GTZAN numbers (`blues.00000` to `blues.00009` is group `blues.0000`) are a
# rough proxy: GTZAN stores an artist's tracks mostly in runs.

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

from sk_genre import make_pipeline
from sk_genre.datasets import load_gtzan_features

gtzan = load_gtzan_features()
X, y = gtzan.data, gtzan.target
groups = np.array([track_id[:-1] for track_id in gtzan.track_ids])  # "blues.0000"
cv = StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)
print(f"{len(y)} tracks, {len(np.unique(groups))} artist-proxy groups, {cv.n_splits} folds")

# %%
# Routed: one array, two consumers
# --------------------------------
# `config_context` turns routing on for this block only (a script may call
# `sklearn.set_config(enable_metadata_routing=True)` once instead). The
# `"dnn"` preset stops early (patience 10) on a hold-out of 10 % of its
# training rows; with `groups` requested, that hold-out is whole groups.
# (`model__groups` is refused while routing is on: scikit-learn's routed
# `Pipeline.fit` takes no `step__param` names.)

with sklearn.config_context(enable_metadata_routing=True):
    routed_pipe = make_pipeline(features=None, model="dnn", random_state=0)
    routed_pipe.named_steps["model"].set_fit_request(groups=True)
    routed = cross_val_score(routed_pipe, X, y, cv=cv, params={"groups": groups})
print("routed:           ", np.round(routed, 3), f"mean {routed.mean():.3f}")

# %%
# Without routing: `model__groups`
# --------------------------------
# The same folds (the splitter gets `groups=`) and the same hold-out (the
# network gets `model__groups`, split with the tracks), so the same seeded
# networks and the same scores.

plain_pipe = make_pipeline(features=None, model="dnn", random_state=0)
plain = cross_val_score(plain_pipe, X, y, groups=groups, cv=cv, params={"model__groups": groups})
print("model__groups:    ", np.round(plain, 3), f"mean {plain.mean():.3f}")
print(f"same scores both ways: {np.allclose(routed, plain)}")

# %%
# Ten-track blocks are a weaker grouping than the fault-filtered split (an
# artist's tracks can straddle blocks, and it also drops GTZAN's duplicates),
# so these scores are well above the seed DNN's 0.447 on `FaultFilteredSplit`.

# %%
# The folds
# ---------
# Each row is a fold, each column a track in table order (genre by genre):
# test tracks dark. Whole groups of ten change side together; the network's
# early-stopping hold-out is drawn the same way inside each fold's training
# tracks.

folds = np.zeros((cv.n_splits, len(y)))
for k, (_, test) in enumerate(cv.split(X, y, groups)):
    folds[k, test] = 1
    no_shared = set(groups[test]).isdisjoint(np.delete(groups, test))
    print(f"fold {k}: {len(test)} test tracks, no group on both sides: {no_shared}")

fig, ax = plt.subplots(figsize=(8, 2.6), layout="constrained")
ax.imshow(folds, aspect="auto", cmap="Greys", interpolation="nearest", vmin=0, vmax=1.6)
ax.set_yticks(range(cv.n_splits), [f"fold {k}\nacc. {s:.3f}" for k, s in enumerate(routed)])
genres = gtzan.target_names
ax.set_xticks(np.arange(len(genres)) * 100 + 50, genres, rotation=30)
ax.set_xlabel("tracks (dark: test; groups of ten consecutive tracks move together)")
ax.set_title("StratifiedGroupKFold over artist-proxy groups, routed to the network too")
plt.show()
