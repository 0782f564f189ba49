"""The ``sk-genre`` command line: demo, train, evaluate, predict, tag, segment."""

import argparse
import contextlib
import os
import re
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
    if args.n_mfcc is not None:
        if features != "mfcc":
            raise ValueError(
                f"--n-mfcc applies to the MFCC features; got --features {features} "
                f"(--model {args.model or 'baseline'})"
            )
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


#: Files per ``predict_proba`` call of ``sk-genre predict`` and ``evaluate``: the feature
#: step decodes them (over ``--n-jobs`` workers) and the network runs on them in one batch.
PREDICT_BATCH_SIZE = 32

#: The ``--format`` choices of ``sk-genre predict``.
PREDICT_FORMATS = ("table", "csv", "json", "jsonl")


def _feature_step(model):
    """The first step of a Pipeline if it is one of sk_genre's clip feature steps, else None."""
    from .features._base import ClipFeatureTransformer

    steps = getattr(model, "steps", None)
    if steps and isinstance(steps[0][1], ClipFeatureTransformer):
        return steps[0][1]
    return None


def _prepare_for_prediction(model, *, n_jobs=None, on_error="skip"):
    """Set the loaded model's feature step up for a command-line run; return that step.

    The step gets ``verbose=0`` (the command draws one progress bar for the
    whole run), ``on_error`` (``"skip"``: a file that cannot be read becomes a
    NaN row and is reported, the rest of its batch is predicted) and, unless
    None, ``n_jobs``. The model is the command's own loaded copy.
    """
    features = _feature_step(model)
    if features is not None:
        params = {"verbose": 0, "on_error": on_error}
        if n_jobs is not None:
            params["n_jobs"] = n_jobs
        features.set_params(**params)
    return features


def _predict_files(model, features, paths):
    """Probabilities of the readable ``paths`` and ``{position: error}`` of the others.

    With a feature step (``on_error="skip"``) the features of the whole batch
    are computed once and the later steps run on the readable rows only, so
    an unreadable file never gets an answer (not even a
    :class:`~sk_genre.GenrePipeline`'s prior). Without one, the batch goes to
    ``model.predict_proba`` as it is.
    """
    if features is None:
        return np.asarray(model.predict_proba(paths)), {}
    for name in ("kept_indices_", "errors_"):  # left by the previous batch
        features.__dict__.pop(name, None)
    try:
        Xt = features.transform(paths)
    except ValueError:
        errors = getattr(features, "errors_", None)
        if errors is not None and len(errors) == len(paths):  # no file of the batch was read
            return None, dict(errors)
        raise
    kept = features.kept_indices_
    proba = model[1:].predict_proba(Xt[kept]) if len(kept) else None
    return proba, dict(features.errors_)


def _predict_batch(model, features, paths):
    """``[(path, probabilities or None, error or None), ...]`` for ``paths``, in order.

    Any exception while the batch is read or predicted sends its files
    through one at a time, so a file whose failure escapes the feature step
    (a crafted header that breaks resampling, ...) is that file's failure
    only. KeyboardInterrupt stops the run.
    """
    try:
        proba, errors = _predict_files(model, features, paths)
    except Exception as exc:  # noqa: BLE001 - reported per file, never swallowed
        if len(paths) == 1:
            return [(paths[0], None, exc)]
        return [result for path in paths for result in _predict_batch(model, features, [path])]
    rows = iter(() if proba is None else proba)
    return [
        (path, None, errors[i]) if i in errors else (path, next(rows), None)
        for i, path in enumerate(paths)
    ]


def _predict_batches(model, paths, *, batch_size=PREDICT_BATCH_SIZE, n_jobs=None, bar=None):
    """Yield the results (see :func:`_predict_batch`) of ``paths``, one batch at a time.

    The model's feature step is set up by :func:`_prepare_for_prediction`;
    ``bar`` (a tqdm bar over files, or None) advances by each batch.
    """
    features = _prepare_for_prediction(model, n_jobs=n_jobs)
    for start in range(0, len(paths), batch_size):
        batch = paths[start : start + batch_size]
        results = _predict_batch(model, features, batch)
        if bar is not None:
            bar.update(len(batch))
        yield results


def _list_inputs(inputs):
    """The audio files of ``inputs`` (files as given, folders searched recursively).

    A folder contributes the files below it (any depth, sorted, hidden ones
    skipped, links to its own ancestors not followed) whose names end in one
    of :data:`sk_genre.io.AUDIO_EXTENSIONS`, as ``sk-genre train`` lists its
    genre folders. Anything else (a file of any name, a path that does not
    exist) is kept as given, so it gets its own error line when it cannot be
    decoded.

    Returns
    -------
    files : list of str
        In the order given, each folder's files in place of the folder.
    errors : dict of str to Exception
        Folders that could not be listed, or that hold no audio file.
    """
    from .datasets._folder import list_audio_files
    from .io import AUDIO_EXTENSIONS

    files, errors = [], {}
    for item in inputs:
        if not os.path.isdir(item):
            files.append(item)
            continue
        below, folder_errors = list_audio_files(item)
        errors.update(folder_errors)
        if not below and not folder_errors:
            errors[item] = ValueError(
                f"no audio file ({', '.join(sorted(AUDIO_EXTENSIONS))}) in this folder"
            )
        files.extend(os.fspath(path) for path in below)
    return files, errors


class _NothingToWrite(Exception):
    """Raised inside :func:`_output_stream` to leave the output file as it was."""


@contextlib.contextmanager
def _output_stream(path):
    """Yield the stream the results go to: stdout, or ``path`` written all at once.

    ``path`` is written to a temporary file in its folder and renamed over
    ``path`` when the ``with`` body ends without an exception (see
    :func:`~sk_genre._atomic.atomic_path`); on any exception (and after a
    Ctrl-C that a library swallowed) ``path`` is left as it was.

    Raises
    ------
    OSError
        ``path`` could not be written (disk full, ...); the message names it.
    """
    if path is None:
        yield sys.stdout
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    try:
        with (
            atomic_path(path) as tmp,
            open(tmp, "w", encoding="utf-8", newline="") as stream,
        ):
            yield stream
            _raise_if_interrupted()  # never save the results of an interrupted run
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise OSError(exc.errno, f"cannot write {os.fspath(path)!r}: {reason}") from exc


def _emit(stream, text):
    """Write ``text`` to ``stream`` now, without breaking the progress bar on stderr."""
    if not text:
        return
    if stream is sys.stdout:  # the terminal shows stdout and stderr on one screen
        with tqdm.external_write_mode(file=stream):
            stream.write(text)
            stream.flush()
    else:
        stream.write(text)
        stream.flush()


def _float_list(values):
    """Python floats (JSON and CSV write their shortest exact repr, no rounding)."""
    return [float(v) for v in values]


class _ResultWriter:
    """Formats prediction results (``--format``) and writes them as they come.

    Parameters
    ----------
    stream : text stream
        stdout or the ``--output`` file.
    fmt : {"table", "csv", "json", "jsonl"}
        Output format (docs/cli.md, ``sk-genre predict``).
    classes : sequence
        The model's ``classes_``, in the order of its probability columns.
    top_k : int
        Genres ranked in the table and in ``top_k`` (at most ``len(classes)``).
    timeline : bool
        Results carry per-window rows (``--timeline``).
    """

    def __init__(self, stream, fmt, classes, top_k, timeline=False):
        self.stream = stream
        self.fmt = fmt
        self.classes = [str(c) for c in classes]
        self.top_k = min(top_k, len(self.classes))
        self.timeline = timeline
        self.n_written = 0

    def _ranked(self, proba):
        # descending; ties keep the class order, so the first is np.argmax's genre
        top = np.argsort(-np.asarray(proba), kind="stable")[: self.top_k]
        return [(self.classes[i], float(proba[i])) for i in top]

    def _table_line(self, fields, proba):
        ranked = ", ".join(f"{genre} {p:.2f}" for genre, p in self._ranked(proba))
        return "\t".join([*fields, f"({ranked})"]) + "\n"

    def _csv_text(self, rows):
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        if self.n_written == 0:
            times = ["start", "end"] if self.timeline else []
            writer.writerow(["path", *times, "genre", *self.classes])
        writer.writerows(rows)
        return buffer.getvalue()

    def _object(self, path, proba, genre, timeline=None):
        obj = {
            "path": path,
            "genre": genre,
            "probabilities": dict(zip(self.classes, _float_list(proba), strict=True)),
            "top_k": [[g, p] for g, p in self._ranked(proba)],
        }
        if timeline is not None:
            obj["windows"] = [
                {
                    "start": float(start),
                    "end": float(end),
                    "genre": str(g),
                    "probabilities": dict(zip(self.classes, _float_list(p), strict=True)),
                }
                for start, end, g, p in self._windows(timeline)
            ]
        return obj

    def _windows(self, timeline):
        """``(start, end, genre, probabilities)`` of each window of ``timeline``."""
        return zip(timeline.start, timeline.end, timeline.genre, timeline.proba, strict=True)

    def _text(self, path, value):
        """The output of one file: ``value`` is its probabilities, or its timeline."""
        import json

        timeline = value if self.timeline else None
        proba = value.track_proba if self.timeline else value
        genre = str(value.track_genre) if self.timeline else self.classes[int(np.argmax(proba))]
        if self.fmt == "table":
            lines = [self._table_line([path, genre], proba)]
            if timeline is not None:
                lines.extend(
                    self._table_line([path, f"{start:.2f}", f"{end:.2f}", str(g)], p)
                    for start, end, g, p in self._windows(timeline)
                )
            return "".join(lines)
        if self.fmt == "csv":
            if timeline is None:
                return self._csv_text([[path, genre, *_float_list(proba)]])
            rows = [[path, "", "", genre, *_float_list(proba)]]  # the track's row
            rows.extend(
                [path, float(start), float(end), str(g), *_float_list(p)]
                for start, end, g, p in self._windows(timeline)
            )
            return self._csv_text(rows)
        obj = self._object(path, proba, genre, timeline)
        line = json.dumps(obj, ensure_ascii=False)
        if self.fmt == "jsonl":
            return line + "\n"
        return ("[\n" if self.n_written == 0 else ",\n") + line  # json: one array

    def write(self, results):
        """Write ``[(path, value), ...]`` now (value: probabilities, or a timeline)."""
        text = []
        for path, value in results:
            text.append(self._text(path, value))
            self.n_written += 1
        _emit(self.stream, "".join(text))

    def close(self):
        """End the output (the closing bracket of ``json``)."""
        if self.fmt == "json" and self.n_written:
            _emit(self.stream, "\n]\n")


def _check_predict_args(args):
    """Raise ValueError for option values ``sk-genre predict`` cannot use."""
    if args.top_k < 1:
        raise ValueError(f"--top-k must be at least 1; got {args.top_k}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1; got {args.batch_size}")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise ValueError("--n-jobs must not be 0; got 0 (use 1 for no parallelism, -1 for all)")
    timeline_options = {
        "--window": args.window,
        "--hop": args.hop,
        "--smoothing": args.smoothing,
        "--smoothing-width": args.smoothing_width,
    }
    if not args.timeline:
        given = [name for name, value in timeline_options.items() if value is not None]
        if given:
            raise ValueError(f"{', '.join(given)} must be used with --timeline")
        return
    for name in ("--window", "--hop"):
        value = timeline_options[name]
        if value is not None and not (np.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a positive number of seconds; got {value:g}")
    if args.smoothing_width is not None and args.smoothing is None:
        raise ValueError("--smoothing-width must be used with --smoothing")
    if args.smoothing_width is not None and (
        args.smoothing_width < 1 or args.smoothing_width % 2 == 0
    ):
        raise ValueError(
            f"--smoothing-width must be an odd number >= 1; got {args.smoothing_width}"
        )


def _timeline_each(model, paths, args, bar):
    """Yield ``(path, timeline or None, error or None)`` per file, one file at a time."""
    from .timeline import predict_timeline

    if _prepare_for_prediction(model, n_jobs=args.n_jobs, on_error="raise") is None:
        raise ValueError(
            "--timeline needs a model whose first step takes audio (saved by 'sk-genre "
            f"train' or 'sk-genre demo --save'); got {type(model).__name__}"
        )
    options = {"window": args.window, "hop": args.hop, "smoothing": args.smoothing}
    if args.smoothing_width is not None:
        options["smoothing_width"] = args.smoothing_width
    for path in paths:
        try:
            timeline = predict_timeline(model, path, **options)
        except Exception as exc:  # noqa: BLE001 - reported per file, never swallowed
            yield path, None, exc
        else:
            yield path, timeline, None
        finally:
            bar.update(1)


def _predict(args):
    _check_predict_args(args)
    files, input_errors = _list_inputs(args.files)
    if args.output is not None:  # before any work; never one of the inputs
        check_output_path(args.output, inputs=[args.model, *files])
    model = _load_model(args.model)
    classes = model.classes_
    n_inputs = len(files) + len(input_errors)
    _report_errors(input_errors)
    failed = len(input_errors)
    bar = tqdm(
        total=len(files),
        desc="predicting",
        unit="file",
        file=sys.stderr,
        disable=args.quiet,
        leave=False,
        dynamic_ncols=True,
    )
    try:
        with _output_stream(args.output) as stream:
            writer = _ResultWriter(stream, args.format, classes, args.top_k, args.timeline)
            if args.timeline:
                batches = ([r] for r in _timeline_each(model, files, args, bar))
            else:
                batches = _predict_batches(
                    model, files, batch_size=args.batch_size, n_jobs=args.n_jobs, bar=bar
                )
            for results in batches:
                errors = {path: error for path, _, error in results if error is not None}
                failed += len(errors)
                _report_errors(errors)
                writer.write([(path, value) for path, value, error in results if error is None])
            writer.close()
            if n_inputs and failed == n_inputs:
                raise _NothingToWrite  # leave an --output file as it was
    except _NothingToWrite:
        pass
    finally:
        bar.close()
    if failed:
        _eprint(f"sk-genre: {failed} of {n_inputs} file(s) could not be read")
    if args.output is not None and failed < n_inputs:
        _eprint(f"sk-genre: wrote {n_inputs - failed} result(s) to {args.output}")
    return _status(failed, n_inputs)


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


def _jsonable(value):
    """``value`` with NumPy scalars and arrays as Python numbers and lists (for ``json``)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _evaluation_json(result, args, errors, plots):
    """The ``evaluate --format json`` report (docs/cli.md, ``sk-genre evaluate``)."""
    import json

    report = {
        "model": os.fspath(args.model),
        "data_dir": os.fspath(args.data_dir),
        "n_tracks": len(result.y_true),
        "n_unreadable": len(errors),
        "unreadable": {os.fspath(path): _reason(error) for path, error in errors.items()},
        "accuracy": result.accuracy,
        "classification_report": result.report_dict,
        "confusion_matrix": {
            "labels": [str(g) for g in result.labels],
            "matrix": result.confusion_matrix,
        },
        "plots": plots,
    }
    text = json.dumps(_jsonable(report), indent=2, ensure_ascii=False)
    # each row of the confusion matrix on one line (indent=2 gives a number per line)
    return _NUMBER_LIST.sub(lambda m: "[" + " ".join(m.group(1).split()) + "]", text) + "\n"


#: A JSON list of integers spread over lines by ``json.dumps(indent=...)`` (a JSON string
#: holds no raw newline, so no file name can match).
_NUMBER_LIST = re.compile(r"\[\n\s*((?:-?\d+,\n\s*)*-?\d+)\n\s*\]")


def _evaluate(args):
    from .datasets import load_audio_folder
    from .evaluation import evaluate_predictions

    if args.plots:  # before predicting every file
        _check_plots_folder(args.plots)
    if args.output is not None:
        check_output_path(args.output, inputs=[args.model])
    model = _load_model(args.model)
    tracks = load_audio_folder(args.data_dir, on_error="skip")
    if args.output is not None:  # never one of the tracks
        check_output_path(args.output, inputs=tracks.paths)
    errors = dict(tracks.errors)
    _report_errors(tracks.errors)
    genres = dict(zip(tracks.paths, tracks.target, strict=True))
    y_true, y_pred, readable = [], [], []
    bar = tqdm(
        total=len(tracks.paths),
        desc="predicting",
        unit="file",
        file=sys.stderr,
        disable=args.quiet,
        leave=False,
        dynamic_ncols=True,
    )
    with bar:
        for results in _predict_batches(model, tracks.paths, n_jobs=args.n_jobs, bar=bar):
            for path, proba, error in results:
                if error is not None:
                    errors[path] = error
                    _report_errors({path: error})
                    continue
                y_true.append(genres[path])
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
    written = {}
    if args.plots:
        from .display import save_audio_plots
        from .evaluation import save_evaluation_plots

        sr = getattr(model.steps[0][1], "sr", 22050) if hasattr(model, "steps") else 22050
        written = save_evaluation_plots(result, args.plots)
        written.update(save_audio_plots(readable[0], args.plots, sr=sr))
    if args.format == "json":
        text = _evaluation_json(result, args, errors, {k: str(v) for k, v in written.items()})
    else:
        text = f"{len(y_true)} tracks from {args.data_dir}\n\n{result}\n"
        if written:
            text += f"\nplots ({readable[0]} for the waveform and mel spectrogram):\n"
            text += "".join(f"  {path}\n" for path in written.values())
    with _output_stream(args.output) as stream:
        _emit(stream, text)
    if args.output is not None:
        _eprint(f"sk-genre: wrote the report to {args.output}")
    failed = len(errors)
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
        "--n-mfcc",
        type=int,
        default=None,
        help="MFCCs per frame, with the MFCC features only (20)",
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
    evaluate.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="report as text (default) or as one JSON object: accuracy, per-genre "
        "precision/recall/f1/support, confusion matrix with its labels, counts",
    )
    evaluate.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the report to FILE instead of stdout (checked before the work; "
        "replaced only once completely written)",
    )
    evaluate.add_argument(
        "--n-jobs", type=int, default=None, help="parallel feature extraction (model's)"
    )
    evaluate.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    evaluate.set_defaults(func=_evaluate)

    predict = sub.add_parser(
        "predict",
        help="genre and top probabilities of audio files and folders (table, CSV, JSON)",
        description="Print the genre and top probabilities of each audio file; folders are "
        "searched recursively for audio files (the extensions 'sk-genre train' reads). The "
        "model is loaded once and the files go through it in batches; results are printed "
        f"as each batch is ready. {TRUST_NOTE}",
        epilog="exit status: 0 every file predicted; 1 some files could not be read (one "
        "'PATH<TAB>error: REASON' line each on stderr), the others predicted; 2 usage error "
        "or no file could be read (nothing written to --output).",
    )
    predict.add_argument(
        "model",
        metavar="MODEL",
        help="a model saved by 'sk-genre train' (a pickle: load only files you trust)",
    )
    predict.add_argument(
        "files", metavar="PATH", nargs="+", help="audio files, or folders to search for them"
    )
    predict.add_argument(
        "--format",
        choices=PREDICT_FORMATS,
        default="table",
        help="table: one tab-separated line per file (default); csv: path, genre and the "
        "probability of every genre; json: one array of objects; jsonl: one object per line",
    )
    predict.add_argument(
        "--top-k",
        "--top",
        dest="top_k",
        type=int,
        default=3,
        metavar="N",
        help="genres ranked per file, at least 1; more than the model's genres shows them all (3)",
    )
    predict.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the results to FILE instead of stdout (checked before the work; "
        "replaced only once completely written; never one of the inputs)",
    )
    predict.add_argument(
        "--n-jobs", type=int, default=None, help="parallel feature extraction (model's)"
    )
    predict.add_argument(
        "--batch-size",
        type=int,
        default=PREDICT_BATCH_SIZE,
        metavar="N",
        help=f"files per model call ({PREDICT_BATCH_SIZE})",
    )
    predict.add_argument("-q", "--quiet", action="store_true", help="no progress bar on stderr")
    timeline = predict.add_argument_group(
        "genre over time",
        "per-window genres of each file (sk_genre.timeline.predict_timeline); files are "
        "then read one at a time, streamed",
    )
    timeline.add_argument(
        "--timeline",
        action="store_true",
        help="also print one row per window (start and end in seconds)",
    )
    timeline.add_argument(
        "--window",
        type=float,
        default=None,
        metavar="SECONDS",
        help="window length (the model's: 4 s for the CNN, 3 s for musicnn, else 30 s)",
    )
    timeline.add_argument(
        "--hop",
        type=float,
        default=None,
        metavar="SECONDS",
        help="time between window starts (the model's: 2 s CNN, 3 s musicnn, else half the window)",
    )
    timeline.add_argument(
        "--smoothing",
        choices=("median", "mean"),
        default=None,
        help="smooth the window probabilities over time (none)",
    )
    timeline.add_argument(
        "--smoothing-width",
        type=int,
        default=None,
        metavar="N",
        help="windows in the smoothing filter (5)",
    )
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
