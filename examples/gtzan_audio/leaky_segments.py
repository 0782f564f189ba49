"""
Segment leakage: pieces of one track on both sides of a split
=============================================================

Many GTZAN results train and test on 3-second segments of the 30-second
excerpts and split the *segments* at random, so most test segments have
siblings from the same recording in training. This script measures what that
does to the accuracy on real audio:

1. cut each track into 3-s pieces with `segment_audio_folder` (what
   `sk-genre segment` does), which records the source track of each piece in
   `segments.csv`, read back by `load_audio_folder` as `groups`;
2. compute MFCC features of every piece once;
3. score the same network with random stratified 5-fold over pieces (leaky)
   and with `TrackGroupKFold` over the source tracks (every piece of a test
   track out of training).

Computing the features once before the split does not leak: each piece's
MFCC summary depends on that piece alone; only the scaler and the network
learn, and they are fitted inside each fold.

It needs GTZAN-style audio (`root/<genre>/<track>.<ext>`), so it is not run
when the documentation is built. Usage:

```text
python examples/gtzan_audio/leaky_segments.py [DATA_DIR] [--seconds 3] [--folds 5]
    [--model {baseline,logreg}] [--epochs 100] [--seed 0]
```

`DATA_DIR` defaults to `$SK_GENRE_DATA/gtzan-mini`, else
`../shared/data/gtzan-mini` beside the repository. On the 59 tracks of
gtzan-mini (588 pieces) it takes about 40 s on 2 CPU cores (`--model logreg`:
under 10 s). Grouping by track removes segment leakage only: gtzan-mini holds several tracks per
artist, so artists still leak (see the *leaky versus honest* example for the
artist-aware split).
"""

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline as sk_make_pipeline
from sklearn.preprocessing import StandardScaler

from sk_genre import MFCCTransformer, make_pipeline
from sk_genre.datasets import get_data_home, load_audio_folder, segment_audio_folder
from sk_genre.evaluation import TrackGroupKFold


def default_data_dir():
    """`gtzan-mini/` in `get_data_home()`: `$SK_GENRE_DATA`, else `../shared/data` (or None)."""
    home = get_data_home()
    return None if home is None else home / "gtzan-mini"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument(
        "data",
        nargs="?",
        type=Path,
        default=default_data_dir(),
        help="folder laid out as root/<genre>/<track>.<ext>",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="piece length in seconds")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds")
    parser.add_argument(
        "--model",
        choices=("baseline", "logreg"),
        default="baseline",
        help="seed baseline network, or a logistic regression (fast)",
    )
    parser.add_argument("--epochs", type=int, default=100, help="network epochs (preset: 100)")
    parser.add_argument("--seed", type=int, default=0, help="network and fold seed")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.data is None or not args.data.is_dir():
        sys.exit(f"no audio folder at {args.data}: pass DATA_DIR or set SK_GENRE_DATA")

    with tempfile.TemporaryDirectory(prefix="sk_genre_pieces_") as pieces_dir:
        start = time.perf_counter()
        with warnings.catch_warnings():  # manifest.csv beside the genre folders is not audio
            warnings.simplefilter("ignore", UserWarning)
            segment_audio_folder(args.data, pieces_dir, segment_duration=args.seconds)
        pieces = load_audio_folder(pieces_dir)
        X = MFCCTransformer(verbose=0).fit_transform(pieces.paths)
        y, groups = np.asarray(pieces.target), np.asarray(pieces.groups)
    print(
        f"{len(np.unique(groups))} tracks -> {len(y)} pieces of {args.seconds:g} s, "
        f"{X.shape[1]} MFCC features each ({time.perf_counter() - start:.0f} s)"
    )

    if args.model == "baseline":
        model = make_pipeline(features=None, model="baseline", random_state=args.seed, verbose=0)
        model.set_params(model__epochs=args.epochs)
    else:
        model = sk_make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))

    splits = {
        "random pieces (leaky)": (
            StratifiedKFold(args.folds, shuffle=True, random_state=args.seed),
            None,
        ),
        "track-grouped (TrackGroupKFold)": (
            TrackGroupKFold(args.folds, shuffle=True, random_state=args.seed),
            groups,
        ),
    }
    means = {}
    for name, (cv, cv_groups) in splits.items():
        # how many test pieces have a sibling from the same track in training
        shared = [
            np.isin(groups[test], groups[train]).mean() for train, test in cv.split(X, y, cv_groups)
        ]
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, groups=cv_groups, cv=cv)
        means[name] = scores.mean()
        print(
            f"{name:<32} accuracy {scores.mean():.3f} +- {scores.std():.3f} over {args.folds} "
            f"folds; test pieces with a sibling in training: {np.mean(shared):.0%} "
            f"({time.perf_counter() - start:.0f} s)"
        )
    leaky, honest = means.values()
    print(f"inflation from segment leakage: {leaky - honest:+.3f}")


if __name__ == "__main__":
    main()
