"""The ``sk-genre`` command line: demo, train, evaluate, predict, tag, segment."""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import __version__
from .exceptions import AudioDecodeError
from .pipeline import MODELS, make_pipeline

__all__ = ["main"]


def _print_table(rows, file=None):
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = (str(c).ljust(w) for c, w in zip(row, widths, strict=True))
        print("  ".join(cells).rstrip(), file=file)


def _demo(args):
    from sklearn.base import clone
    from sklearn.metrics import classification_report
    from sklearn.model_selection import StratifiedKFold

    from .datasets import load_gtzan_features

    gtzan = load_gtzan_features()
    X, y = gtzan.data, gtzan.target
    pipe = make_pipeline(features=None, model=args.model, random_state=args.random_state)
    print(
        f"sk-genre demo: the '{args.model}' seed network on the bundled GTZAN feature table "
        f"({X.shape[0]} tracks, {X.shape[1]} features, {len(gtzan.target_names)} genres)\n"
    )
    cv = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.random_state)
    train, valid = gtzan.split == "train", gtzan.split == "valid"
    seeds = [args.random_state + k for k in range(args.seeds)]
    start = time.perf_counter()
    fold_scores, valid_scores, first_pred = [], [], None
    with tqdm(total=args.folds + len(seeds), desc="training", unit="fit", leave=False) as bar:
        for fold_train, fold_test in cv.split(X, y):
            model = clone(pipe).fit(X[fold_train], y[fold_train])
            fold_scores.append(model.score(X[fold_test], y[fold_test]))
            bar.update()
        for seed in seeds:
            model = clone(pipe).set_params(model__random_state=seed).fit(X[train], y[train])
            y_pred = model.predict(X[valid])
            valid_scores.append(np.mean(y_pred == y[valid]))
            first_pred = y_pred if first_pred is None else first_pred
            bar.update()
    n_test = X.shape[0] // args.folds
    _print_table(
        [
            ("evaluation", "train", "test", "accuracy (mean ± std)"),
            (
                f"random stratified {args.folds}-fold CV, all tracks (leaky)",
                X.shape[0] - n_test,
                n_test,
                f"{np.mean(fold_scores):.3f} ± {np.std(fold_scores):.3f} over {args.folds} folds",
            ),
            (
                "artist-aware, fault-filtered train -> valid",
                int(train.sum()),
                int(valid.sum()),
                f"{np.mean(valid_scores):.3f} ± {np.std(valid_scores):.3f} over {len(seeds)} seeds",
            ),
        ]
    )
    print(
        "\nRandom splits put the same artists (and GTZAN's duplicate excerpts) on both sides of"
        "\nthe split; the fault-filtered split keeps each artist on one side (Sturm 2013;"
        "\nKereliuk et al. 2015). Early stopping holds out part of train, never valid."
        f"\nValid accuracy per seed ({', '.join(map(str, seeds))}): "
        + ", ".join(f"{s:.3f}" for s in valid_scores)
    )
    print(
        f"\nClassification report, fault-filtered valid ({int(valid.sum())} tracks), "
        f"seed {seeds[0]}:\n"
    )
    print(classification_report(y[valid], first_pred, digits=3, zero_division=0))
    if args.save:
        _save_audio_model(clone(pipe).fit(X, y), X.shape[0], args.save)
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


def _save_audio_model(table_model, n_tracks, path):
    """Put the GTZAN-table feature step in front of a model fitted on the table; save it."""
    import joblib
    from sklearn.pipeline import Pipeline

    from .features import SpectralFeatureUnion

    audio_model = Pipeline(
        [("features", SpectralFeatureUnion(include="gtzan")), *table_model.steps]
    )
    joblib.dump(audio_model, path)
    print(
        f"saved the network trained on all {n_tracks} table tracks, "
        f"behind the GTZAN-table feature extraction, to {path}\n"
        f"('sk-genre predict {path} FILE...' classifies audio files)"
    )


def _train(args):
    import joblib

    from .datasets import load_audio_folder

    tracks = load_audio_folder(args.data_dir, on_error="skip")
    _report_errors(tracks.errors)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)  # before the long fit
    features = args.features or ("mel" if args.model == "cnn" else "mfcc")
    pipe = make_pipeline(
        features=features,
        model=args.model,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        on_error="skip",  # train on the readable files; the others are listed below
    )
    if features == "mfcc":
        pipe.set_params(features__n_mfcc=args.n_mfcc)
    if args.epochs is not None:
        if "epochs" not in pipe.steps[-1][1].get_params():
            raise ValueError(
                f"--epochs applies to the networks; got model {type(pipe.steps[-1][1]).__name__}"
            )
        pipe.set_params(model__epochs=args.epochs)
    model_name = args.model or type(pipe.steps[-1][1]).__name__
    print(
        f"training '{model_name}' on {features} features of {len(tracks.paths)} tracks, "
        f"{len(tracks.target_names)} genres: {', '.join(tracks.target_names)}",
        file=sys.stderr,
    )
    pipe.fit(tracks.paths, tracks.target)
    skipped = {tracks.paths[i]: error for i, error in pipe.errors_.items()}
    _report_errors(skipped)
    pipe.set_params(features__on_error="raise")  # the saved model reports bad files itself
    joblib.dump(pipe, args.output)
    print(f"saved the fitted pipeline to {args.output}")
    failed = len(tracks.errors) + len(skipped)
    if failed:
        n_files = len(tracks.paths) + len(tracks.errors)
        print(
            f"sk-genre: {failed} of {n_files} file(s) could not be read; trained on the others",
            file=sys.stderr,
        )
    return 1 if failed else 0


def _reason(error):
    """The cause of a file's failure, without the file name (printed beside it)."""
    return error.reason if isinstance(error, AudioDecodeError) else str(error)


def _report_errors(errors):
    """One ``PATH<TAB>error: REASON`` line per unreadable file, on stderr."""
    for path, error in errors.items():
        print(f"{path}\terror: {_reason(error)}", file=sys.stderr)


def _load_model(path):
    import joblib

    try:
        model = joblib.load(path)
    except FileNotFoundError:
        raise SystemExit(f"sk-genre: error: model file {path!r} does not exist") from None
    except Exception as exc:
        raise SystemExit(f"sk-genre: error: cannot load model {path!r}: {exc}") from None
    if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise SystemExit(f"sk-genre: error: {path!r} does not hold a fitted sk_genre classifier")
    return model


def _predict_each(model, paths, progress=False):
    """Yield ``(path, probabilities or None, error or None)`` per file, in order.

    A file that cannot be decoded yields its error; the others still get results.
    """
    for path in tqdm(paths, desc="predicting", unit="file", disable=not progress, leave=False):
        try:
            yield path, model.predict_proba([path])[0], None
        except ValueError as exc:  # AudioDecodeError, or no readable clip (on_error="skip")
            yield path, None, exc


def _predict(args):
    model = _load_model(args.model)
    failed = 0
    for path, proba, error in _predict_each(model, args.files):
        if error is not None:
            failed += 1
            _report_errors({path: error})
            continue
        top = np.argsort(proba)[::-1][: args.top]
        ranked = ", ".join(f"{model.classes_[i]} {proba[i]:.2f}" for i in top)
        print(f"{path}\t{model.classes_[top[0]]}\t({ranked})")
    if failed:
        print(f"sk-genre: {failed} of {len(args.files)} file(s) could not be read", file=sys.stderr)
    return 1 if failed else 0


def _tag(args):
    from .pretrained import MusicnnEmbedding, rank_tags

    if not 1 <= args.top_k <= 50:
        raise ValueError(f"--top-k must be in 1..50; got {args.top_k}")
    tagger = MusicnnEmbedding(
        model=args.model, layer="taggram", n_jobs=args.n_jobs, verbose=1, on_error="skip"
    )
    try:
        scores = tagger.fit_transform(args.files)
    except ValueError as exc:  # no file could be read: the message names every one
        print(f"sk-genre: error: {exc}", file=sys.stderr)
        return 1
    ranked_tags = rank_tags(scores, args.model, args.top_k)
    for i, ranked in zip(tagger.kept_indices_, ranked_tags, strict=True):
        print(f"{args.files[i]}\t" + ", ".join(f"{tag} {p:.2f}" for tag, p in ranked))
    errors = tagger.errors_
    _report_errors({args.files[i]: error for i, error in errors.items()})
    if errors:
        print(
            f"sk-genre: {len(errors)} of {len(args.files)} file(s) could not be read",
            file=sys.stderr,
        )
    return 1 if errors else 0


def _evaluate(args):
    from .datasets import load_audio_folder
    from .evaluation import evaluate_predictions

    model = _load_model(args.model)
    tracks = load_audio_folder(args.data_dir, on_error="skip")
    _report_errors(tracks.errors)
    y_true, y_pred, readable, failed = [], [], [], len(tracks.errors)
    for (path, proba, error), genre in zip(
        _predict_each(model, tracks.paths, progress=True), tracks.target, strict=True
    ):
        if error is not None:
            failed += 1
            _report_errors({path: error})
            continue
        y_true.append(genre)
        y_pred.append(model.classes_[np.argmax(proba)])
        readable.append(path)
    if not y_true:
        print("sk-genre: error: no file could be read", file=sys.stderr)
        return 1
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    result = evaluate_predictions(
        y_true,
        y_pred,
        labels=sorted(set(y_true) | set(model.classes_)),
        history=getattr(final, "history_", None),
    )
    print(f"{len(y_true)} tracks from {args.data_dir}\n")
    print(result)
    if args.plots:
        from .evaluation import save_evaluation_plots

        sr = getattr(model.steps[0][1], "sr", 22050) if hasattr(model, "steps") else 22050
        written = save_evaluation_plots(result, args.plots, track=readable[0], sr=sr)
        print(f"\nplots ({readable[0]} for the waveform and mel spectrogram):")
        for path in written.values():
            print(f"  {path}")
    return 1 if failed else 0


def _segment(args):
    from .datasets import segment_audio_folder

    with warnings.catch_warnings():
        # the per-file lines below say the same, one file per line
        warnings.filterwarnings("ignore", "segment_audio_folder (could not read|wrote no piece)")
        result = segment_audio_folder(
            args.src,
            args.dst,
            segment_duration=args.duration,
            sr=args.sr,
            drop_last=not args.keep_last,
            progress=True,
        )
    for path in result.short:
        print(
            f"{path}\tskipped: shorter than {args.duration:g} s, no piece written "
            "(--keep-last keeps it)",
            file=sys.stderr,
        )
    _report_errors(result.errors)
    n_files = len(result.songs) + len(result.short) + len(result.errors)
    print(
        f"wrote {len(result.paths)} piece(s) of {args.duration:g} s from "
        f"{len(result.songs)} of {n_files} song(s) to {args.dst} (manifest {result.manifest})"
    )
    if result.errors:
        print(
            f"sk-genre: {len(result.errors)} of {n_files} file(s) could not be read",
            file=sys.stderr,
        )
    return 1 if result.errors else 0


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-genre", description="Music genre classification with scikit-learn and Keras."
    )
    parser.add_argument("--version", action="version", version=f"sk-genre {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="train the seed DNN on the bundled GTZAN table: random vs artist-aware accuracy",
    )
    demo.add_argument(
        "--model",
        choices=[m for m in MODELS if m != "cnn"],  # the table holds feature vectors, not audio
        default="dnn",
        help="network preset (dnn)",
    )
    demo.add_argument("--folds", type=int, default=5, help="folds of the random CV (5)")
    demo.add_argument(
        "--seeds", type=int, default=5, help="training seeds of the artist-aware fit (5)"
    )
    demo.add_argument("--random-state", type=int, default=0, help="first seed (0)")
    demo.add_argument(
        "--save",
        metavar="MODEL",
        help="also fit on all 1000 tracks and save an audio model (GTZAN-table features -> "
        "network) for 'sk-genre predict'",
    )
    demo.set_defaults(func=_demo)

    train = sub.add_parser(
        "train",
        help="train a pipeline on a genre-per-folder audio tree (MFCC -> dense network, "
        "or log-mel chunks -> CNN with --model cnn)",
    )
    train.add_argument("data_dir", metavar="DATA_DIR", help="folder with one sub-folder per genre")
    train.add_argument("-o", "--output", required=True, metavar="MODEL", help="file to save to")
    train.add_argument(
        "--features",
        choices=("mfcc", "spectral", "musicnn", "mel"),
        default=None,
        help="feature step: mfcc, spectral, musicnn (pretrained embeddings, recommended for "
        "real music) or mel (for --model cnn); default mfcc, mel with --model cnn",
    )
    train.add_argument(
        "--model",
        # 'sk-genre predict' prints probabilities: LinearSVC has none (use it from Python)
        choices=[m for m in MODELS if m != "linear_svc"],
        default=None,
        help="model: a network preset, logistic or zero_shot; default: the features' own "
        "(baseline; cnn for mel; logistic for musicnn)",
    )
    train.add_argument(
        "--n-mfcc", type=int, default=20, help="MFCCs per frame of the dense models (20)"
    )
    train.add_argument("--epochs", type=int, default=None, help="maximum epochs (preset's)")
    train.add_argument("--n-jobs", type=int, default=None, help="parallel feature extraction")
    train.add_argument("--random-state", type=int, default=0, help="seed (0)")
    train.set_defaults(func=_train)

    evaluate = sub.add_parser(
        "evaluate", help="classification report and confusion matrix on an audio tree"
    )
    evaluate.add_argument("model", metavar="MODEL", help="a model saved by 'sk-genre train'")
    evaluate.add_argument(
        "data_dir", metavar="DATA_DIR", help="folder with one sub-folder per genre"
    )
    evaluate.add_argument(
        "--plots",
        metavar="DIR",
        help="write PNGs to DIR: confusion matrix, per-genre accuracy, training curves, "
        "waveform and mel spectrogram of the first track (needs matplotlib)",
    )
    evaluate.set_defaults(func=_evaluate)

    predict = sub.add_parser("predict", help="genre and top probabilities of audio files")
    predict.add_argument("model", metavar="MODEL", help="a model saved by 'sk-genre train'")
    predict.add_argument("files", metavar="FILE", nargs="+", help="audio files")
    predict.add_argument("--top", type=int, default=3, help="probabilities shown per file (3)")
    predict.set_defaults(func=_predict)

    tag = sub.add_parser(
        "tag",
        help="top musicnn tags of audio files (pretrained, no training)",
        description="Print the most likely tags of each FILE from the pretrained musicnn "
        "network (mean tag probability over its 3-s patches): MSD_musicnn's last.fm tags "
        "(genres, eras, moods) or MTT_musicnn's MagnaTagATune tags.",
    )
    tag.add_argument("files", metavar="FILE", nargs="+", help="audio files")
    tag.add_argument(
        "--model",
        choices=("MSD_musicnn", "MTT_musicnn"),
        default="MSD_musicnn",
        help="tag vocabulary (MSD_musicnn)",
    )
    tag.add_argument("--top-k", type=int, default=5, help="tags per file (5)")
    tag.add_argument("--n-jobs", type=int, default=None, help="parallel decoding")
    tag.set_defaults(func=_tag)

    segment = sub.add_parser(
        "segment",
        help="cut long songs into fixed-length pieces (a genre-per-folder tree or one file)",
        description="Cut SRC (a folder with one sub-folder per genre, or one audio file) into "
        "pieces DST/<genre>/<song>.<k>.wav (DST/<song>.<k>.wav for one file) and write "
        "DST/segments.csv, which keeps the pieces of one song one group for grouped "
        "cross-validation.",
    )
    segment.add_argument("src", metavar="SRC", help="genre-per-folder audio tree or audio file")
    segment.add_argument("dst", metavar="DST", help="output folder (created)")
    segment.add_argument(
        "--duration", type=float, default=30.0, help="piece length in seconds (30)"
    )
    segment.add_argument(
        "--sr", type=int, default=None, help="resample pieces to SR Hz (each file's own rate)"
    )
    segment.add_argument(
        "--keep-last",
        action="store_true",
        help="also write each song's shorter trailing remainder (dropped by default)",
    )
    segment.set_defaults(func=_segment)
    return parser


def main(argv=None):
    """Run the ``sk-genre`` command line.

    Parameters
    ----------
    argv : list of str or None, default=None
        Arguments without the program name; ``None`` reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success; 1 when some input file could not be read (the others
        still got results); 2 on a usage error.
    """
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return args.func(args)
        except (AudioDecodeError, FileNotFoundError, ValueError) as exc:
            print(f"sk-genre: error: {exc}", file=sys.stderr)
            return 2


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print a warning as one plain line, without Python's source excerpt."""
    print(f"sk-genre: warning: {message}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
