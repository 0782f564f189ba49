"""The ``sk-genre`` command line: demo, train, evaluate, predict, tag, segment."""

import argparse
import contextlib
import os
import signal
import sys
import threading
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from . import __version__
from ._atomic import atomic_path, check_output_path
from .exceptions import AudioDecodeError
from .pipeline import MODELS, make_pipeline

__all__ = ["main"]

#: Exit status: everything went well.
EXIT_OK = 0
#: Exit status: some inputs failed (each listed on stderr) but results were produced.
EXIT_PARTIAL = 1
#: Exit status: usage error or nothing could be done (no readable input, bad model file,
#: bad output path, OSError such as a full disk); nothing was saved.
EXIT_USAGE = 2
#: Exit status: internal error (an unexpected exception, a bug): please report it.
EXIT_INTERNAL = 3
#: Exit status: interrupted by Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130

#: Environment variable that, set to 1, makes an internal error print its traceback
#: (as ``sk-genre --debug``).
DEBUG_ENV = "SK_GENRE_DEBUG"

#: Said on the commands that load a model file (``--help`` and docs/cli.md).
TRUST_NOTE = (
    "Load only model files you trust: a model file is a pickle, and loading it can run "
    "arbitrary code."
)

#: First bytes of the audio formats sk_genre reads, to tell an audio file given as MODEL.
_AUDIO_MAGIC = (b"RIFF", b"RIFX", b"RF64", b"fLaC", b"OggS", b"ID3", b"FORM", b".snd")
#: First bytes of a joblib file: a pickle (protocol 2+) or joblib's compressed containers
#: (zlib, gzip, bz2, xz, lzma, lz4, joblib's old "ZF").
_MODEL_MAGIC = (
    b"\x80",
    b"\x78",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ",
    b"\x5d\x00",
    b"\x04\x22\x4d\x18",
    b"ZF",
)


def _eprint(*lines):
    """Write lines to stderr without breaking a progress bar that is being drawn there."""
    for line in lines:
        tqdm.write(line, file=sys.stderr)


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
    from .evaluation import FaultFilteredSplit, compare_splits

    if args.save:
        check_output_path(args.save)  # before a minute of training
    gtzan = load_gtzan_features()
    X, y = gtzan.data, gtzan.target
    pipe = make_pipeline(features=None, model=args.model, random_state=args.random_state)
    print(
        f"sk-genre demo: the '{args.model}' seed network on the bundled GTZAN feature table "
        f"({X.shape[0]} tracks, {X.shape[1]} features, {len(gtzan.target_names)} genres)\n"
    )
    seeds = [args.random_state + k for k in range(args.seeds)]
    start = time.perf_counter()
    result = compare_splits(  # the random folds once (seed random_state), the split per seed
        pipe,
        X,
        y,
        splits={
            "random": StratifiedKFold(
                n_splits=args.folds, shuffle=True, random_state=args.random_state
            ),
            "artist": FaultFilteredSplit(),
        },
        groups=gtzan.track_ids,
        seeds={"artist": seeds},
        return_estimator=True,
        verbose=1,
    )
    valid_scores = result.scores["artist"][:, 0]
    train, valid = result.indices["artist"][0]
    first_pred = result.estimators["artist"][0][0].predict(X[valid])
    n_test = X.shape[0] // args.folds
    _print_table(
        [
            ("evaluation", "train", "test", "accuracy (mean ± std)"),
            (
                f"random stratified {args.folds}-fold CV, all tracks (leaky)",
                X.shape[0] - n_test,
                n_test,
                f"{result.mean('random'):.3f} ± {result.std('random'):.3f} over {args.folds} folds",
            ),
            (
                "artist-aware, fault-filtered train -> valid",
                len(train),
                len(valid),
                f"{result.mean('artist'):.3f} ± {result.std('artist'):.3f} over {len(seeds)} seeds",
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
        f"\nClassification report, fault-filtered valid ({len(valid)} tracks), seed {seeds[0]}:\n"
    )
    print(classification_report(y[valid], first_pred, digits=3, zero_division=0))
    if args.save:
        _save_audio_model(clone(pipe).fit(X, y), X.shape[0], args.save)
    print(f"({time.perf_counter() - start:.0f} s)")
    return 0


#: Set by the SIGINT handler of :func:`_interrupt_guard`.
_interrupted = False


@contextlib.contextmanager
def _interrupt_guard():
    """Remember a Ctrl-C even where a library swallows its KeyboardInterrupt.

    Python raises KeyboardInterrupt wherever the main thread happens to be; in
    a garbage-collector callback or a ``__del__`` (JAX runs one at every
    collection) it is printed as "Exception ignored" and lost, and the run
    would go on to save its output. The flag set here is checked before
    anything is saved and at the end (:func:`_raise_if_interrupted`); such a
    lost KeyboardInterrupt prints no "Exception ignored" traceback.
    """
    global _interrupted
    _interrupted = False
    if (
        threading.current_thread() is not threading.main_thread()  # handlers: main thread only
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler  # SIG_IGN, ...
    ):
        yield
        return

    def handler(signum, frame):
        global _interrupted
        _interrupted = True
        raise KeyboardInterrupt

    def unraisable(info, hook=sys.unraisablehook):
        if not issubclass(info.exc_type, KeyboardInterrupt):  # that one is in the flag
            hook(info)

    previous, previous_hook = signal.signal(signal.SIGINT, handler), sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        sys.unraisablehook = previous_hook


def _raise_if_interrupted():
    """Raise KeyboardInterrupt if Ctrl-C was pressed since :func:`main` started."""
    if _interrupted:
        raise KeyboardInterrupt


def _save_model(model, path):
    """Pickle ``model`` to ``path`` all at once: the old file stays whole if anything fails.

    Parameters
    ----------
    model : estimator
        Fitted model.
    path : str or os.PathLike
        Destination, already checked with :func:`~sk_genre._atomic.check_output_path`;
        missing folders are created.

    Raises
    ------
    OSError
        The file could not be written (disk full, file too large, ...); the
        message names ``path``, not the temporary file, which is removed.
    """
    import joblib

    _raise_if_interrupted()  # never save a model whose training was interrupted
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_path(path) as tmp:
            joblib.dump(model, tmp)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OSError(
            exc.errno, f"cannot write the model to {os.fspath(path)!r}: {reason}"
        ) from exc


def _save_audio_model(table_model, n_tracks, path):
    """Put the GTZAN-table feature step in front of a model fitted on the table; save it."""
    from sklearn.pipeline import Pipeline

    from .features import SpectralFeatureUnion

    audio_model = Pipeline(
        [("features", SpectralFeatureUnion(include="gtzan")), *table_model.steps]
    )
    _save_model(audio_model, path)
    print(
        f"saved the network trained on all {n_tracks} table tracks, "
        f"behind the GTZAN-table feature extraction, to {path}\n"
        f"('sk-genre predict {path} FILE...' classifies audio files)"
    )


def _train(args):
    from .datasets import load_audio_folder

    tracks = load_audio_folder(args.data_dir, on_error="skip")
    # before the long fit: a bad -o fails now, and never overwrites a track it trains on
    check_output_path(args.output, inputs=[*tracks.paths, *tracks.errors])
    _report_errors(tracks.errors)
    features = args.features or ("mel" if args.model == "cnn" else "mfcc")
    pipe = make_pipeline(
        features=features,
        model=args.model,
        n_jobs=args.n_jobs,
        random_state=args.random_state,
        verbose=1,  # progress on the terminal (the library's default is silent, as sklearn's)
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
    n_files = len(tracks.paths) + len(tracks.errors)
    # how many decode is known only after the feature step: say what was found
    _eprint(
        f"training '{model_name}' on {features} features: {len(tracks.paths)} audio file(s) "
        f"found in {len(tracks.target_names)} genres: {', '.join(tracks.target_names)}"
    )
    pipe.fit(tracks.paths, tracks.target)
    skipped = {tracks.paths[i]: error for i, error in pipe.errors_.items()}
    _report_errors(skipped)
    pipe.set_params(features__on_error="raise")  # the saved model reports bad files itself
    _save_model(pipe, args.output)
    n_trained = len(tracks.paths) - len(skipped)
    print(f"saved the pipeline fitted on {n_trained} track(s) to {args.output}")
    failed = len(tracks.errors) + len(skipped)
    if failed:
        _eprint(f"sk-genre: {failed} of {n_files} file(s) could not be read; trained on the others")
    return EXIT_PARTIAL if failed else EXIT_OK


def _reason(error):
    """The cause of a file's failure, without the file name (printed beside it)."""
    if isinstance(error, AudioDecodeError):
        return error.reason
    if isinstance(error, (ValueError, OSError)) and str(error):
        return str(error)
    # anything else (ZeroDivisionError, MemoryError, a bug): say what it was
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _report_errors(errors):
    """One ``PATH<TAB>error: REASON`` line per unreadable file, on stderr."""
    _eprint(*(f"{path}\terror: {_reason(error)}" for path, error in errors.items()))


def _not_a_model(path, why):
    return ValueError(
        f"MODEL must be a model file saved by 'sk-genre train' or 'sk-genre demo --save'; "
        f"got {os.fspath(path)!r}: {why}"
    )


def _load_model(path):
    """Load a model saved by ``sk-genre train``; refuse clearly what is not one.

    The first bytes are checked before unpickling, so an audio file, an empty
    file or a text file given as MODEL is named as such. Unpickling a crafted
    file can still run code: see :data:`TRUST_NOTE`.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is a directory, empty, not a pickle, cannot be unpickled, or
        does not hold a fitted classifier with ``predict_proba``.
    """
    import joblib

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"MODEL must be an existing file; got {os.fspath(path)!r}")
    if path.is_dir():
        raise _not_a_model(path, "it is a directory")
    with path.open("rb") as f:  # PermissionError: one line from main
        head = f.read(12)
    if not head:
        raise _not_a_model(path, "the file is empty (0 bytes)")
    if (
        head.startswith(_AUDIO_MAGIC)
        or head[4:8] == b"ftyp"
        or head[:2] in (b"\xff\xfb", b"\xff\xf3")
    ):
        raise _not_a_model(path, "it is an audio file, not a pickle")
    if not head.startswith(_MODEL_MAGIC):
        raise _not_a_model(path, "it is not a pickle")
    try:
        model = joblib.load(path)
    except Exception as exc:  # truncated, another program's pickle, a missing module ...
        why = "the file is truncated" if isinstance(exc, EOFError) else _reason(exc)
        raise _not_a_model(path, f"cannot be unpickled: {why}") from exc
    if not hasattr(model, "predict_proba") or not hasattr(model, "classes_"):
        raise _not_a_model(
            path, f"it holds an object of type {type(model).__name__}, not a fitted classifier"
        )
    return model


def _predict_each(model, paths, progress=False):
    """Yield ``(path, probabilities or None, error or None)`` per file, in order.

    Any exception while one file is read or predicted (a decoding error, a
    crafted header that breaks resampling, ...) is that file's failure; the
    others still get results. KeyboardInterrupt stops the loop.
    """
    for path in tqdm(paths, desc="predicting", unit="file", disable=not progress, leave=False):
        try:
            proba = model.predict_proba([path])[0]
        except Exception as exc:  # noqa: BLE001 - reported per file, never swallowed
            yield path, None, exc
        else:
            yield path, proba, None


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
        print(f"{path}\t{model.classes_[top[0]]}\t({ranked})", flush=True)
    if failed:
        _eprint(f"sk-genre: {failed} of {len(args.files)} file(s) could not be read")
    return _status(failed, len(args.files))


def _status(failed, total):
    """EXIT_OK if nothing failed, EXIT_PARTIAL if some did, EXIT_USAGE if all did."""
    if not failed:
        return EXIT_OK
    return EXIT_USAGE if failed == total else EXIT_PARTIAL


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
        _eprint(f"sk-genre: error: {exc}")
        return EXIT_USAGE
    ranked_tags = rank_tags(scores[tagger.kept_indices_], args.model, args.top_k)
    for i, ranked in zip(tagger.kept_indices_, ranked_tags, strict=True):
        print(f"{args.files[i]}\t" + ", ".join(f"{tag} {p:.2f}" for tag, p in ranked))
    errors = tagger.errors_
    _report_errors({args.files[i]: error for i, error in errors.items()})
    if errors:
        _eprint(f"sk-genre: {len(errors)} of {len(args.files)} file(s) could not be read")
    return _status(len(errors), len(args.files))


def _evaluate(args):
    from .datasets import load_audio_folder
    from .evaluation import evaluate_predictions

    if args.plots:  # before predicting every file
        _check_plots_folder(args.plots)
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
        _eprint(f"sk-genre: error: no file of {args.data_dir} could be read")
        return EXIT_USAGE
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
        from .display import save_audio_plots
        from .evaluation import save_evaluation_plots

        sr = getattr(model.steps[0][1], "sr", 22050) if hasattr(model, "steps") else 22050
        written = save_evaluation_plots(result, args.plots)
        written.update(save_audio_plots(readable[0], args.plots, sr=sr))
        print(f"\nplots ({readable[0]} for the waveform and mel spectrogram):")
        for path in written.values():
            print(f"  {path}")
    if failed:
        n_files = len(tracks.paths) + len(tracks.errors)
        _eprint(f"sk-genre: {failed} of {n_files} file(s) could not be read; evaluated the others")
    return EXIT_PARTIAL if failed else EXIT_OK


def _check_plots_folder(folder):
    """Raise before the work if the ``--plots`` PNGs cannot be written in ``folder``."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        raise ImportError('--plots needs matplotlib: pip install "sk_genre[plot]"')
    if Path(folder).exists() and not Path(folder).is_dir():
        raise ValueError(f"--plots must be a folder; got the file {os.fspath(folder)!r}")
    for name in ("confusion_matrix", "genre_accuracy", "history", "waveform", "mel_spectrogram"):
        check_output_path(Path(folder) / f"{name}.png")


def _segment(args):
    from .datasets import segment_audio_folder

    with warnings.catch_warnings():
        # the per-file lines below say the same, one file per line
        warnings.filterwarnings("ignore", "segment_audio_folder (could not read|wrote no piece)")
        try:
            result = segment_audio_folder(
                args.src,
                args.dst,
                segment_duration=args.duration,
                sr=args.sr,
                drop_last=not args.keep_last,
                overwrite=args.overwrite,
                progress=True,
            )
        except KeyboardInterrupt:
            _eprint(
                f"sk-genre: the songs cut before the interruption are in {args.dst} and listed "
                f"in its segments.csv; run the same command again to finish"
            )
            raise
    for path in result.short:
        _eprint(
            f"{path}\tskipped: shorter than {args.duration:g} s, no piece written "
            "(--keep-last keeps it)"
        )
    _report_errors(result.errors)
    n_files = len(result.songs) + len(result.short) + len(result.errors)
    print(
        f"wrote {len(result.paths)} piece(s) of {args.duration:g} s from "
        f"{len(result.songs)} of {n_files} song(s) to {args.dst} (manifest {result.manifest})"
    )
    if result.errors:
        _eprint(f"sk-genre: {len(result.errors)} of {n_files} file(s) could not be segmented")
    return _status(len(result.errors), n_files)


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-genre",
        description="Music genre classification with scikit-learn and Keras.",
        epilog="exit status: 0 all done; 1 some input files could not be read (listed on "
        "stderr), results for the others; 2 usage error or nothing could be done (no readable "
        "input, not a model file, output not writable, disk full); 3 internal error (a bug); "
        "130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"sk-genre {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"print the traceback of an error (also with {DEBUG_ENV}=1)",
    )
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
    train.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="MODEL",
        help="file to save to (checked before training; replaced only once the new model is "
        "completely written; never one of the training files)",
    )
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
        "evaluate",
        help="classification report and confusion matrix on an audio tree",
        description="Predict every file of DATA_DIR with MODEL; print the classification "
        f"report and the confusion matrix. {TRUST_NOTE}",
    )
    evaluate.add_argument(
        "model",
        metavar="MODEL",
        help="a model saved by 'sk-genre train' (a pickle: load only files you trust)",
    )
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

    predict = sub.add_parser(
        "predict",
        help="genre and top probabilities of audio files",
        description=f"Print the genre and top probabilities of each FILE. {TRUST_NOTE}",
    )
    predict.add_argument(
        "model",
        metavar="MODEL",
        help="a model saved by 'sk-genre train' (a pickle: load only files you trust)",
    )
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
        "cross-validation. Two songs of one folder with the same name but another extension "
        "(song.flac, song.wav) keep the extension in their pieces' names (song.flac.000.wav). "
        "MP3 and Ogg sources give 16-bit WAV pieces; PCM and float sources keep their sample "
        "format. A file that cannot be read or written is reported and the others are cut.",
        epilog="Existing files in DST: a song cut again replaces its own pieces (the old ones "
        "listed in segments.csv are deleted), pieces of other songs are kept, so several runs "
        "can fill one DST. A DST whose segments.csv lists pieces of another --duration or --sr "
        "is refused unless --overwrite, which first deletes every piece segments.csv lists. "
        "Files segments.csv does not list are never deleted (one named like a new piece is "
        "replaced). Pieces appear whole or not at all, and segments.csv always lists the "
        "pieces on disk, also after Ctrl-C or a full disk; DST/segments.incomplete marks a "
        "run that did not finish: run the same command again. Exit status: 0 all cut, 1 some "
        "files could not be (listed on stderr), 2 usage error or none could be cut, 130 "
        "interrupted.",
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
    segment.add_argument(
        "--overwrite",
        action="store_true",
        help="first delete the pieces DST/segments.csv lists (needed to re-cut DST with "
        "another --duration or --sr); other files in DST are kept",
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
        One of the ``EXIT_*`` constants of this module:

        * 0 (``EXIT_OK``): everything was done;
        * 1 (``EXIT_PARTIAL``): some input files could not be read (one
          ``PATH<TAB>error: REASON`` line each on stderr) but results were
          produced for the others (``train`` saved a model fitted on them);
        * 2 (``EXIT_USAGE``): usage error or nothing could be done: a bad
          option, no readable input file, a file that is not a model, an
          output path that cannot be written, an OS error such as a full disk
          (one ``sk-genre: error: ...`` line; nothing was saved, an existing
          output file is left as it was);
        * 3 (``EXIT_INTERNAL``): an unexpected exception, i.e. a bug (one
          ``sk-genre: internal error: ...`` line and where to report it; the
          traceback with ``--debug`` or ``SK_GENRE_DEBUG=1``);
        * 130 (``EXIT_INTERRUPTED``): interrupted by Ctrl-C (one line, no
          traceback, no partial output file).
    """
    args = _parser().parse_args(argv)
    debug = args.debug or os.environ.get(DEBUG_ENV, "") not in ("", "0")
    with warnings.catch_warnings(), _interrupt_guard():
        warnings.showwarning = _show_warning
        try:
            status = args.func(args)
            _raise_if_interrupted()  # a Ctrl-C that a library swallowed
            return status
        except KeyboardInterrupt:
            _eprint("sk-genre: interrupted (nothing more was written)")
            return EXIT_INTERRUPTED
        except BrokenPipeError:  # stdout closed early (sk-genre predict ... | head -1)
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes it
            return EXIT_PARTIAL
        except (ValueError, OSError, ImportError, MemoryError) as exc:
            # AudioDecodeError and bad models are ValueErrors; OSError: disk full,
            # permission denied, a missing DATA_DIR; ImportError: an optional dependency
            if debug:
                traceback.print_exc()
            _eprint(f"sk-genre: error: {_error_message(exc)}")
            return EXIT_USAGE
        except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, not a traceback
            if debug:
                traceback.print_exc()
            _eprint(
                f"sk-genre: internal error: {type(exc).__name__}: {exc}",
                "sk-genre: this is a bug; please report it on the sk_genre issue tracker with "
                f"the command and the traceback that 'sk-genre --debug ...' (or {DEBUG_ENV}=1) "
                "prints",
            )
            return EXIT_INTERNAL


def _error_message(exc):
    """One line for an error that stops the run."""
    if isinstance(exc, MemoryError):
        return f"out of memory{': ' + str(exc) if str(exc) else ''}"
    if isinstance(exc, OSError) and exc.strerror:  # "[Errno 28] ..." reads badly
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Print a warning as one plain line, without Python's source excerpt."""
    _eprint(f"sk-genre: warning: {message}")


if __name__ == "__main__":
    sys.exit(main())
