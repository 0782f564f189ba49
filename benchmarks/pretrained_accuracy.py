"""Accuracy of pretrained musicnn against sk_genre's from-scratch features, artist-grouped.

What is measured (docs/accuracy.md, part E)
------------------------------------------
Data: the 59 real tracks of ``gtzan-mini`` (10 genres, 3-9 tracks each). Groups: an artist
proxy, the block of ten consecutive GTZAN numbers within a genre (``blues.0000x``): GTZAN
stores an artist's excerpts in consecutive numbers, so tracks of one block never straddle a
split. Two protocols, the same folds for every row:

* ``StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0)``: mean ± std over folds;
* ``LeaveOneGroupOut`` (one fold per artist block; accuracy over all held-out tracks) for the
  rows that train in seconds (not the CNN nor fine-tuning).

Rows: MFCC (20 x mean, std) and ``SpectralFeatureUnion`` (every feature) with logistic
regression, MFCC with the dense ``baseline`` network, log-mel chunks with the ``cnn`` preset
(30 epochs); musicnn embeddings (MSD and MTT; penultimate, mean_pool, taggram; mean over the
3-s patches) with each head: ``logistic`` (StandardScaler + LogisticRegression, C=1),
``linear_svc`` (StandardScaler + LinearSVC, C=1), the dense ``baseline`` network; the
zero-shot ``TagGenreClassifier`` (MSD and MTT tags, no training); fine-tuning
(``MusicnnPatches`` + ``MusicnnClassifier``, ``trainable="head"`` and ``"backend"``).

The default head of ``make_pipeline(features="musicnn")`` is chosen by this study's 3-fold
table among the heads that give probabilities (``sk-genre predict`` and ``predict_proba``
need them: logistic regression, C in {0.01, 0.1, 1, 10}). Because the choice is made on the
same folds that report it, *nested* estimates are printed too: in each outer fold, an inner
``StratifiedGroupKFold(3, shuffle=True, random_state=1)`` over the outer-training tracks
picks C (logistic regression alone; and logistic regression or LinearSVC), and the pick is
scored once on the outer test fold.

Resampler: the MSD penultimate + logistic row is run with audio resampled by ``soxr_hq``
(sk_genre's default) and by resampy's ``kaiser_best`` (musicnn's training resampler), and
the extraction time per clip of each is printed.

The feature transformers are stateless, so features are extracted once per clip (cached in
``--cache``, default ``<tempdir>/sk_genre_bench_pretrained``) and the heads are cross-validated
on them: the same as cross-validating the whole pipeline.

Run from the repository root::

    .venv/bin/python benchmarks/pretrained_accuracy.py              # about 35 min on 2 cores
    .venv/bin/python benchmarks/pretrained_accuracy.py --skip-slow  # no CNN / fine-tuning: ~5 min
"""

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from _common import find_data, heading, load_average
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import LeaveOneGroupOut, StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC

import sk_genre
from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre.datasets import load_audio_folder
from sk_genre.pretrained import MusicnnEmbedding, MusicnnPatches, TagGenreClassifier


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="folder holding gtzan-mini/")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "sk_genre_bench_pretrained",
        help="joblib.Memory folder of the per-clip features",
    )
    parser.add_argument("--skip-slow", action="store_true", help="no CNN, no fine-tuning")
    parser.add_argument("--skip-cnn", action="store_true", help="fine-tuning but no CNN")
    parser.add_argument("--cnn-epochs", type=int, default=30, help="epochs of the cnn (30)")
    parser.add_argument("--finetune-epochs", type=int, default=20, help="fine-tuning epochs")
    parser.add_argument("--json", type=Path, default=None, help="write the results here")
    return parser.parse_args(argv)


def log(message):
    print(f"[{time.strftime('%H:%M:%S')} load {load_average()}] {message}", flush=True)


def artist_groups(stems):
    """The block of ten consecutive GTZAN numbers within a genre: 'blues.00012' -> 'blues.0001'."""
    return np.array([s[:-1] for s in stems])


def logistic(C=1.0):
    return Pipeline(
        [("scaler", StandardScaler()), ("model", LogisticRegression(C=C, max_iter=5000))]
    )


def linear_svc(C=1.0):
    return Pipeline([("scaler", StandardScaler()), ("model", LinearSVC(C=C, max_iter=20000))])


def dense(seed=0):
    from sk_genre.models import DenseClassifier

    model = DenseClassifier.from_preset("baseline", random_state=seed)
    return Pipeline([("scaler", StandardScaler()), ("model", model)])


def scores_on(folds, make, X, y):
    """Accuracy per fold of a fresh ``make()`` fitted on each fold's training rows."""
    out = []
    for train, test in folds:
        estimator = make().fit(X[train], y[train])
        out.append(float(np.mean(estimator.predict(X[test]) == y[test])))
    return out


def pooled(folds, make, X, y):
    """Accuracy over all held-out tracks of the folds (for leave-one-group-out)."""
    hits = [make().fit(X[tr], y[tr]).predict(X[te]) == y[te] for tr, te in folds]
    return float(np.mean(np.concatenate(hits)))


#: Inverse regularisation strengths tried for the linear heads.
HEAD_CS = (0.01, 0.1, 1.0, 10.0)


def nested_choice(X, y, groups, outer_folds, heads):
    """Outer-fold accuracy of the head picked, per outer fold, by inner grouped CV."""
    candidates = {f"{f.__name__} C={C}": (f, C) for f in heads for C in HEAD_CS}
    scores, picked = [], []
    for train, test in outer_folds:
        inner = list(
            StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=1).split(
                X[train], y[train], groups[train]
            )
        )
        inner_means = {
            name: np.mean(scores_on(inner, lambda f=f, C=C: f(C), X[train], y[train]))
            for name, (f, C) in candidates.items()
        }
        best = max(inner_means, key=inner_means.get)
        f, C = candidates[best]
        scores.append(float(np.mean(f(C).fit(X[train], y[train]).predict(X[test]) == y[test])))
        picked.append(best)
    return scores, picked


def result(features, head, cv3_scores, logo, started):
    """One row of the table: 3-fold scores, leave-one-group-out accuracy (or None), time."""
    return {
        "features": features,
        "head": head,
        "cv3_folds": cv3_scores,
        "cv3_mean": float(np.mean(cv3_scores)),
        "cv3_std": float(np.std(cv3_scores)),
        "logo": logo,
        "seconds": time.perf_counter() - started,
    }


def extract(name, transformer, paths):
    t = time.perf_counter()
    X = transformer.fit_transform(paths)
    seconds = time.perf_counter() - t
    log(f"features {name}: {X.shape} in {seconds:.1f} s (cached clips are instant)")
    return X, seconds / len(paths)


def main(argv=None):
    args = parse_args(argv)
    warnings.simplefilter("ignore", UserWarning)
    root = find_data(args.data)
    tracks = load_audio_folder(root)
    paths, y = tracks.paths, np.asarray(tracks.target)
    stems = np.array([Path(p).stem for p in paths])
    groups = artist_groups(stems)
    cv3 = list(
        StratifiedGroupKFold(n_splits=3, shuffle=True, random_state=0).split(paths, y, groups)
    )
    logo = list(LeaveOneGroupOut().split(paths, y, groups))
    for train, test in cv3 + logo:
        assert not set(groups[train]) & set(groups[test])
    log(
        f"{len(paths)} tracks, {len(set(groups))} artist blocks; 3-fold test sizes "
        f"{[len(t) for _, t in cv3]}; sk_genre {sk_genre.__version__}"
    )
    cache = str(args.cache)
    common = dict(memory=cache, verbose=0)
    feats, per_clip = {}, {}
    specs = {
        "MFCC (20 x mean, std)": MFCCTransformer(**common),
        "spectral (every feature, mean, std)": SpectralFeatureUnion(**common),
        "MSD penultimate (200)": MusicnnEmbedding(**common),
        "MSD penultimate, kaiser_best": MusicnnEmbedding(res_type="kaiser_best", **common),
        "MSD mean_pool (753)": MusicnnEmbedding(layer="mean_pool", **common),
        "MSD taggram (50)": MusicnnEmbedding(layer="taggram", **common),
        "MTT penultimate (200)": MusicnnEmbedding(model="MTT_musicnn", **common),
        "MTT taggram (50)": MusicnnEmbedding(model="MTT_musicnn", layer="taggram", **common),
    }
    for name, transformer in specs.items():
        feats[name], per_clip[name] = extract(name, transformer, paths)

    rows = []

    def row(features, head, make, fast=True):
        t = time.perf_counter()
        X = feats[features]
        s3 = scores_on(cv3, make, X, y)
        lo = pooled(logo, make, X, y) if fast else None
        rows.append(result(features, head, s3, lo, t))
        log(f"{features} -> {head}: 3-fold {np.mean(s3):.3f} ± {np.std(s3):.3f}, LOGO {lo}")

    row("MFCC (20 x mean, std)", "logistic", logistic)
    row("MFCC (20 x mean, std)", "dense 'baseline'", dense)
    row("spectral (every feature, mean, std)", "logistic", logistic)
    for features in ("MSD penultimate (200)", "MSD mean_pool (753)", "MTT penultimate (200)"):
        row(features, "logistic", logistic)
        row(features, "linear_svc", linear_svc)
    for C in HEAD_CS:
        if C != 1.0:
            row("MSD penultimate (200)", f"logistic C={C}", lambda C=C: logistic(C))
            row("MSD penultimate (200)", f"linear_svc C={C}", lambda C=C: linear_svc(C))
    row("MSD penultimate (200)", "dense 'baseline'", dense)
    row("MSD penultimate, kaiser_best", "logistic", logistic)
    row("MSD taggram (50)", "logistic", logistic)
    row("MSD taggram (50)", "zero-shot (no training)", TagGenreClassifier)
    row(
        "MTT taggram (50)",
        "zero-shot (no training)",
        lambda: TagGenreClassifier(model="MTT_musicnn"),
    )

    # the default head must give probabilities (sk-genre predict, predict_proba): logistic
    nested = {}
    for heads in ((logistic,), (logistic, linear_svc)):
        label = " or ".join(h.__name__ for h in heads)
        nested[label] = nested_choice(feats["MSD penultimate (200)"], y, groups, cv3, heads)
        log(f"nested choice among {label}: {np.mean(nested[label][0]):.3f} {nested[label][1]}")

    slow = []
    if not args.skip_slow:
        from sk_genre.models import CNNClassifier
        from sk_genre.pretrained import MusicnnClassifier

        chunks, per_clip["log-mel chunks"] = extract("log-mel chunks", MelChunker(**common), paths)
        patches, per_clip["musicnn patches"] = extract(
            "musicnn patches", MusicnnPatches(**common), paths
        )
        configs = [
            (
                "log-mel chunks (4 s every 2 s)",
                f"cnn ({args.cnn_epochs} epochs)",
                chunks,
                lambda: CNNClassifier.from_preset("cnn", epochs=args.cnn_epochs, random_state=0),
            ),
            *[
                (
                    "musicnn patches (10 x 3 s)",
                    f"fine-tuned MSD, trainable={tr!r} ({args.finetune_epochs} epochs)",
                    patches,
                    lambda tr=tr: MusicnnClassifier(
                        trainable=tr, epochs=args.finetune_epochs, random_state=0
                    ),
                )
                for tr in ("head", "backend")
            ],
        ]
        if args.skip_cnn:
            configs = configs[1:]
        for features, head, X, make in configs:
            t = time.perf_counter()
            s3 = []
            for i, (train, test) in enumerate(cv3):
                clf = make().fit(X[train], y[train])
                s3.append(float(np.mean(clf.predict(X[test]) == y[test])))
                log(f"  {head} fold {i}: {s3[-1]:.3f} ({time.perf_counter() - t:.0f} s)")
            slow.append(result(features, head, s3, None, t))

    heading(f"E. gtzan-mini ({len(paths)} tracks), artist-grouped CV")
    print("| features | head | 3-fold grouped, mean ± std | per fold | leave-one-group-out |")
    print("|---|---|---:|---|---:|")
    for r in rows + slow:
        lo = "—" if r["logo"] is None else f"{r['logo']:.3f}"
        folds = ", ".join(f"{s:.3f}" for s in r["cv3_folds"])
        print(
            f"| {r['features']} | {r['head']} | {r['cv3_mean']:.3f} ± {r['cv3_std']:.3f} | "
            f"{folds} | {lo} |"
        )
    for label, (scores, picked) in nested.items():
        print(
            f"\nNested, MSD penultimate, {label} with C in {HEAD_CS} chosen by inner grouped "
            f"3-fold CV in each outer fold: {np.mean(scores):.3f} ± {np.std(scores):.3f}; "
            f"picked: {picked}"
        )
    print("\nFeature extraction, seconds per clip (2 cores, first run; 0 when cached):")
    for name, seconds in per_clip.items():
        print(f"  {name}: {seconds:.3f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"rows": rows + slow, "nested": nested, "per_clip": per_clip},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
