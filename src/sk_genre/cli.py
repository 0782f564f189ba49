"""The ``sk-genre`` command line: demo, train, evaluate, predict, tag, segment.

Imports stay light at module level (standard library and sk_genre's own small
modules): NumPy, tqdm, scikit-learn, librosa and Keras are imported inside the
subcommand that needs them, so ``sk-genre --help`` does not pay for them.
"""

import argparse
import contextlib
import os
import re
import signal
import sys
import textwrap
import threading
import time
import traceback
import warnings
from pathlib import Path

from ._atomic import atomic_path, check_output_path
from ._names import MODELS
from ._version import __version__
from .exceptions import AudioDecodeError

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
#: First bytes of other files that are given as MODEL by mistake, and what each one is.
_OTHER_MAGIC = (
    (b"PK\x03\x04", "a zip archive (a Keras .keras file?)"),
    (b"\x89HDF\r\n\x1a\n", "an HDF5 file (a Keras .h5 file?)"),
    (b"\x93NUMPY", "a NumPy .npy file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"SQLite format 3", "an SQLite database"),
)
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
    from tqdm.auto import tqdm

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
    from .pipeline import make_pipeline

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


#: ``sk-genre train --groups``: how the grouped-CV line names the groups, and what its
#: estimate is for.
_GROUP_WORDS = {
    "artist": ("artist", "what to expect on new artists"),
    "album": ("album", "what to expect on new albums"),
    "file": ("file", "what to expect on new tracks, by artists it may have heard"),
}
#: ``sk-genre train`` warns about a genre with fewer tracks or groups than these.
SMALL_GENRE_TRACKS = 10
SMALL_GENRE_GROUPS = 3


@contextlib.contextmanager
def _held_warnings():
    """Hold the warnings of the ``with`` body; yield a function that prints them.

    So ``train`` prints what :func:`~sk_genre.datasets.load_audio_folder`
    warned about after its ``training ...`` line, and not at all when the
    output path is refused. If the body raises, the held warnings are printed
    first (they may say why it failed, e.g. files skipped); after the body they
    are held until the yielded function is called.
    """
    with warnings.catch_warnings(record=True) as held:

        def emit():
            for w in held:
                _show_warning(w.message, w.category, w.filename, w.lineno)
            held.clear()

        try:
            yield emit
        except BaseException:
            emit()
            raise


def _info(args, *lines):
    """Print info lines on stderr unless ``--quiet``."""
    if args.verbose:
        _eprint(*lines)


def _check_train_args(args):
    """Raise ValueError for option values ``sk-genre train`` cannot use."""
    if args.cv < 0 or args.cv == 1:
        raise ValueError(f"--cv must be 0 (no cross-validation) or at least 2; got {args.cv}")
    if args.n_jobs is not None and args.n_jobs == 0:
        raise ValueError("--n-jobs must not be 0; got 0 (use 1 for no parallelism, -1 for all)")
    if args.memory is not None and os.path.exists(args.memory) and not os.path.isdir(args.memory):
        raise ValueError(f"--memory must be a folder; got the file {args.memory!r}")


def _group_words(args, n_untagged, n_tracks):
    """What the groups are (``"artist"``, ...) and what the grouped-CV estimate is for."""
    word, meaning = _GROUP_WORDS[args.groups]
    if n_untagged and n_untagged == n_tracks:  # no file had the tag: each is its own group
        return "file", f"no {args.groups} tags, so {_GROUP_WORDS['file'][1]}"
    if n_untagged:
        meaning += f"; {n_untagged} untagged track(s) are their own group"
    return word, meaning


def _warn_small_data(args, target, groups, word):
    """Warn (stderr) about genres with too few tracks or groups for a reliable estimate."""
    small = []
    for genre in sorted(set(target)):
        mine = target == genre
        n_tracks, n_groups = int(mine.sum()), len(set(groups[mine]))
        if n_tracks < SMALL_GENRE_TRACKS or n_groups < SMALL_GENRE_GROUPS:
            small.append(f"{genre} ({n_tracks} tracks, {n_groups} {word} groups)")
    if not small:
        return
    what = (
        "the grouped CV accuracy is unreliable (few held-out tracks per genre: it can "
        "change a lot with --random-state)"
        if args.cv
        else "a model trained on so few tracks is unreliable"
    )
    warnings.warn(
        f"little data: {len(small)} of {len(set(target))} genre(s) have fewer than "
        f"{SMALL_GENRE_TRACKS} tracks or fewer than {SMALL_GENRE_GROUPS} {word} "
        f"groups: {', '.join(small)}; {what}",
        UserWarning,
        stacklevel=2,
    )


def _grouped_cv(args, pipe, X, y, groups, n_untagged):
    """Grouped cross-validation accuracy of an unfitted ``clone`` of ``pipe``: one line.

    ``StratifiedGroupKFold`` over ``groups`` (``--cv`` folds, fewer when there
    are fewer groups, as the line says); the features come from the
    pipeline's per-clip cache. Folds whose fit fails are left out and
    counted; when all fail, the line says so with the last line of the error
    (the model fitted on every track is saved all the same).
    """
    import numpy as np
    from sklearn.base import clone
    from sklearn.exceptions import FitFailedWarning
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_score

    word, meaning = _group_words(args, n_untagged, len(y))
    n_groups = len(set(groups))
    if n_groups < 2 or len(y) < 2:
        return f"no grouped CV: only {n_groups} {word} group (--groups file splits by file)"
    # each fold holds out at least one group, and StratifiedGroupKFold needs a genre with
    # at least as many tracks as folds
    largest = max(np.unique(y, return_counts=True)[1])
    if largest < 2:
        return "no grouped CV: every genre has only 1 track"
    n_splits = min(args.cv, n_groups, largest)
    if n_splits == args.cv:
        reduced = ""
    elif n_splits == n_groups:
        reduced = f"; {n_splits} folds, not {args.cv}: only {n_groups} groups"
    else:
        reduced = f"; {n_splits} folds, not {args.cv}: the largest genre has {largest} tracks"
    _info(
        args,
        f"cross-validating: {n_splits} more fits, each holding out 1/{n_splits} of the "
        f"{n_groups} {word} groups",
    )
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=args.random_state)
    try:
        with warnings.catch_warnings(record=True) as held:
            warnings.simplefilter("always", FitFailedWarning)
            # the small-data warning has said it: sklearn's "least populated class" adds nothing
            warnings.filterwarnings("ignore", "The least populated class", UserWarning)
            scores = cross_val_score(clone(pipe), X, y, groups=groups, cv=cv, error_score=np.nan)
    except ValueError as exc:  # scikit-learn raises when every fold's fit failed
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return f"grouped {n_splits}-fold CV failed: {lines[-1] if lines else 'no fold was fitted'}"
    shown = set()
    for w in held:  # each once, not once per fold
        if not issubclass(w.category, FitFailedWarning) and str(w.message) not in shown:
            shown.add(str(w.message))
            _show_warning(w.message, w.category, w.filename, w.lineno)
    done = scores[np.isfinite(scores)]
    if not len(done):
        return f"grouped {n_splits}-fold CV failed: no fold gave a score"
    failed = (
        f"; {len(scores) - len(done)} fold(s) could not be fitted"
        if len(done) < len(scores)
        else ""
    )
    return (
        f"grouped {n_splits}-fold CV accuracy {done.mean():.2f} ± {done.std():.2f} "
        f"({word} groups held out: {meaning}{reduced}{failed})"
    )


def _train(args):
    import tempfile

    import numpy as np

    from .datasets import load_audio_folder
    from .pipeline import make_pipeline

    _check_train_args(args)
    with _held_warnings() as loader_warnings:
        tracks = load_audio_folder(args.data_dir, groups=args.groups, on_error="skip")
    # before the long fit: a bad -o fails now (one error line, without the loader's
    # warnings), and never overwrites a track it trains on
    check_output_path(args.output, inputs=[*tracks.paths, *tracks.errors])
    untagged = ~tracks.grouped  # files that kept their own group for want of a tag
    features = args.features or ("mel" if args.model == "cnn" else "mfcc")
    with contextlib.ExitStack() as stack:
        if args.memory is None:  # a cache for this run: the CV reuses the fit's features
            memory = stack.enter_context(tempfile.TemporaryDirectory(prefix="sk-genre-"))
        else:
            memory = os.path.abspath(os.path.expanduser(args.memory))
        pipe = make_pipeline(
            features=features,
            model=args.model,
            n_jobs=args.n_jobs,
            memory=memory,
            random_state=args.random_state,
            # progress on the terminal (the library's default is silent, as sklearn's)
            verbose=int(args.verbose),
            on_error="skip",  # train on the readable files; the others are listed below
        )
        network = pipe.steps[-1][1]
        params = network.get_params()
        if args.verbose and "epochs" in params and params.get("verbose") == 0:
            pipe.set_params(model__verbose=1)  # a network's epoch bar (not sklearn's logs)
        if args.n_mfcc is not None:
            if features != "mfcc":
                raise ValueError(
                    f"--n-mfcc applies to the MFCC features; got --features {features} "
                    f"(--model {args.model or 'baseline'})"
                )
            pipe.set_params(features__n_mfcc=args.n_mfcc)
        if args.epochs is not None:
            if "epochs" not in params:
                raise ValueError(
                    f"--epochs applies to the networks; got model {type(network).__name__}"
                )
            pipe.set_params(model__epochs=args.epochs)
        model_name = args.model or type(network).__name__
        n_files = len(tracks.paths) + len(tracks.errors)
        # how many decode is known only after the feature step: say what was found
        _info(
            args,
            f"training '{model_name}' on {features} features: {len(tracks.paths)} audio "
            f"file(s) found in {len(tracks.target_names)} genres: "
            f"{', '.join(tracks.target_names)}",
        )
        loader_warnings()
        _report_errors(tracks.errors)
        word = _group_words(args, untagged.sum(), len(tracks.paths))[0]
        _warn_small_data(args, tracks.target, tracks.groups, word)
        pipe.fit(tracks.paths, tracks.target)
        skipped = {tracks.paths[i]: error for i, error in pipe.errors_.items()}
        _report_errors(skipped)
        kept = np.array([i for i in range(len(tracks.paths)) if i not in pipe.errors_], dtype=int)
        X = [tracks.paths[i] for i in kept]
        y, groups = tracks.target[kept], tracks.groups[kept]
        training = pipe.score(X, y)
        if args.cv:
            cv_line = _grouped_cv(args, pipe, X, y, groups, untagged[kept].sum())
        else:
            cv_line = None
        # the saved model reports bad files itself, and keeps no path of this run's cache
        pipe.set_params(
            features__on_error="raise", features__memory=None if args.memory is None else memory
        )
        _save_model(pipe, args.output)
    print(f"saved the pipeline fitted on {len(kept)} track(s) to {args.output}")
    accuracy = f"training accuracy {training:.2f} (on the tracks it learned)"
    print(f"{accuracy}; {cv_line}" if cv_line else f"{accuracy}; no cross-validation (--cv 0)")
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


def _file_kind(head):
    """What a file that is no pickle looks like, from its first bytes ``head``."""
    for magic, kind in _OTHER_MAGIC:
        if head.startswith(magic):
            return kind
    return _text_kind(head) or f"a binary file starting with the bytes {head[:8].hex(' ')}"


def _text_kind(head):
    """``"a text file (it starts with '...')"`` if ``head`` reads as text, else None."""
    text = head.decode("utf-8", errors="ignore")  # a cut multi-byte character is dropped
    if text and len(text) >= len(head) - 3 and all(c.isprintable() or c in "\t\r\n" for c in text):
        first = text.strip().splitlines()[0] if text.strip() else ""
        shown = first if len(first) <= 30 else first[:30] + "..."
        return f"a text file (it starts with {shown!r})" if shown else "a text file (blank)"
    return None


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
        head = f.read(64)
    if not head:
        raise _not_a_model(path, "the file is empty (0 bytes)")
    if (
        head.startswith(_AUDIO_MAGIC)
        or head[4:8] == b"ftyp"
        or head[:2] in (b"\xff\xfb", b"\xff\xf3")
    ):
        raise _not_a_model(path, "it is an audio file, not a pickle")
    if not head.startswith(_MODEL_MAGIC):
        raise _not_a_model(path, f"it is {_file_kind(head)}, not a pickle")
    try:
        model = joblib.load(path)
    except Exception as exc:  # truncated, another program's pickle, a missing module ...
        text = _text_kind(head)  # "x...", "ZF...": text that starts like a compressed file
        if text is not None:
            raise _not_a_model(path, f"it is {text}, not a pickle") from exc
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
    import numpy as np

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
    if stream is sys.stdout:
        from tqdm.auto import tqdm

        # the terminal shows stdout and stderr on one screen
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
        import numpy as np

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

        import numpy as np

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
    import numpy as np

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
    from tqdm.auto import tqdm

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
    import numpy as np

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
    import numpy as np
    from tqdm.auto import tqdm

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


def _text(*paragraphs):
    """``description=`` / ``epilog=`` text: prose wrapped to 79 columns, examples kept.

    A paragraph with a line that starts with two spaces (examples) is kept as it is;
    the others are filled (argparse's RawDescriptionHelpFormatter prints the
    result unchanged).
    """
    out = []
    for paragraph in paragraphs:
        if any(line.startswith("  ") for line in paragraph.splitlines()):
            out.append(paragraph)
        else:
            out.append(
                textwrap.fill(paragraph, width=79, break_long_words=False, break_on_hyphens=False)
            )
    return "\n\n".join(out)


#: The exit statuses, as ``sk-genre --help`` and the subcommands' epilogs say them.
_EXIT_STATUS = (
    "exit status: 0 all done; 1 some input files could not be read (listed on stderr), "
    "results for the others; 2 usage error or nothing could be done (no readable input, not "
    "a model file, output not writable, disk full); 3 internal error (a bug); 130 "
    "interrupted."
)


def _parser():
    parser = argparse.ArgumentParser(
        prog="sk-genre",
        description="Music genre classification with scikit-learn and Keras.",
        epilog=_text(
            "examples:\n"
            "  sk-genre demo\n"
            "  sk-genre train music/ -o model.joblib\n"
            "  sk-genre predict model.joblib song.mp3 more-music/",
            "'sk-genre COMMAND --help' describes each command.",
            _EXIT_STATUS,
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"sk-genre {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"print the traceback of an error (also with {DEBUG_ENV}=1)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add_parser(name, **kwargs):
        return sub.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter, **kwargs)

    demo = add_parser(
        "demo",
        help="train the seed DNN on the bundled GTZAN table: random vs artist-aware accuracy",
        description=_text(
            "Train a seed network on the bundled GTZAN feature table (1000 tracks x 57 "
            "features; no audio needed) under random stratified k-fold cross-validation and "
            "on the fault-filtered, artist-aware split, and print the two accuracies side by "
            "side and the per-genre report of the valid tracks. Random splits put one "
            "artist's tracks on both sides and look much better than the artist-aware split."
        ),
        epilog=_text(
            "example (about a minute on 2 cores):\n"
            "  sk-genre demo --save model.joblib\n  sk-genre predict model.joblib song.wav",
        ),
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

    train = add_parser(
        "train",
        help="train a pipeline on a genre-per-folder audio tree (MFCC -> dense network, "
        "or log-mel chunks -> CNN with --model cnn)",
        description=_text(
            "Fit a pipeline (features -> scaler -> model) on DATA_DIR, a folder with one "
            "sub-folder per genre, and save it to MODEL. Unreadable files are listed and left "
            "out. Then print the training accuracy (on the tracks it learned: too good) and a "
            "grouped cross-validation estimate: --cv folds that keep each --groups group "
            "(artist by default, from the files' tags) on one side, so the estimate says what "
            "to expect on artists the model has not heard. The features of each file are "
            "computed once and cached (--memory) for the CV fits. A genre with fewer than "
            f"{SMALL_GENRE_TRACKS} tracks or {SMALL_GENRE_GROUPS} groups is warned about: the "
            "estimate is unreliable then."
        ),
        epilog=_text(
            "examples:\n"
            "  sk-genre train music/ -o model.joblib\n"
            "  sk-genre train music/ -o model.joblib --groups album --cv 10\n"
            "  sk-genre train music/ -o cnn.joblib --model cnn --memory ~/.cache/sk-genre\n"
            "  sk-genre train music/ -o musicnn.joblib --features musicnn -q",
            "exit status: 0 trained on every file; 1 some files could not be read (one "
            "'PATH<TAB>error: REASON' line each on stderr), trained on the others; 2 usage "
            "error or no file could be read (nothing saved).",
        ),
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
        metavar="N",
        help="MFCCs per frame, with the MFCC features only (20)",
    )
    train.add_argument(
        "--epochs", type=int, default=None, metavar="N", help="maximum epochs (preset's)"
    )
    train.add_argument(
        "--n-jobs", type=int, default=None, metavar="N", help="parallel feature extraction (1)"
    )
    train.add_argument(
        "--random-state", type=int, default=0, metavar="N", help="seed of the network and CV (0)"
    )
    train.add_argument(
        "--groups",
        choices=("artist", "album", "file"),
        default="artist",
        help="what the grouped CV keeps on one side: the artist or album tag of each file "
        "(a file without it is its own group, with one warning), or the file (the pieces of "
        "a song cut by 'sk-genre segment' stay together) (artist)",
    )
    train.add_argument(
        "--cv",
        type=int,
        default=5,
        metavar="K",
        help="folds of the grouped cross-validation (StratifiedGroupKFold), fewer when there "
        "are fewer groups; 0: no cross-validation (5)",
    )
    train.add_argument(
        "--memory",
        metavar="DIR",
        default=None,
        help="keep the per-file feature cache in DIR (joblib.Memory), for later runs; the "
        "saved model keeps DIR as an absolute path and uses it when it predicts (default: "
        "a temporary folder, removed at the end, not kept in the model)",
    )
    noise = train.add_mutually_exclusive_group()
    noise.add_argument(
        "-v",
        "--verbose",
        dest="verbose",
        action="store_true",
        default=True,
        help="progress bars (features, epochs) and info lines on stderr (default)",
    )
    noise.add_argument(
        "-q",
        "--quiet",
        dest="verbose",
        action="store_false",
        help="no progress bars nor info lines: only results, warnings and errors",
    )
    train.set_defaults(func=_train)

    evaluate = add_parser(
        "evaluate",
        help="classification report and confusion matrix on an audio tree",
        description=_text(
            "Predict every file of DATA_DIR with MODEL; print the classification report and "
            f"the confusion matrix. {TRUST_NOTE}"
        ),
        epilog=_text(
            "examples:\n"
            "  sk-genre evaluate model.joblib test-music/\n"
            "  sk-genre evaluate model.joblib test-music/ --plots plots/\n"
            "  sk-genre evaluate model.joblib test-music/ --format json -o report.json",
            "Evaluate on tracks, and artists, the model did not train on: on its own training "
            "folder the accuracy only says how well it fits those tracks.",
        ),
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

    predict = add_parser(
        "predict",
        help="genre and top probabilities of audio files and folders (table, CSV, JSON)",
        description=_text(
            "Print the genre and top probabilities of each audio file; folders are searched "
            "recursively for audio files (the extensions 'sk-genre train' reads). The model "
            "is loaded once and the files go through it in batches; results are printed as "
            f"each batch is ready. {TRUST_NOTE}"
        ),
        epilog=_text(
            "examples:\n"
            "  sk-genre predict model.joblib song.mp3 other.flac\n"
            "  sk-genre predict model.joblib music/ --format csv -o genres.csv\n"
            "  sk-genre predict model.joblib mix.wav --timeline --window 10",
            "exit status: 0 every file predicted; 1 some files could not be read (one "
            "'PATH<TAB>error: REASON' line each on stderr), the others predicted; 2 usage "
            "error or no file could be read (nothing written to --output).",
        ),
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

    tag = add_parser(
        "tag",
        help="top musicnn tags of audio files (pretrained, no training)",
        description=_text(
            "Print the most likely tags of each FILE from the pretrained musicnn network "
            "(mean tag probability over its 3-s patches): MSD_musicnn's last.fm tags (genres, "
            "eras, moods) or MTT_musicnn's MagnaTagATune tags."
        ),
        epilog=_text(
            "examples:\n"
            "  sk-genre tag song.mp3 other.flac\n"
            "  sk-genre tag song.mp3 --model MTT_musicnn --top-k 3",
        ),
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

    segment = add_parser(
        "segment",
        help="cut long songs into fixed-length pieces (a genre-per-folder tree or one file)",
        description=_text(
            "Cut SRC (a folder with one sub-folder per genre, or one audio file) into pieces "
            "DST/<genre>/<song>.<k>.wav (DST/<song>.<k>.wav for one file) and write "
            "DST/segments.csv, which keeps the pieces of one song one group for grouped "
            "cross-validation. Two songs of one folder with the same name but another "
            "extension (song.flac, song.wav) keep the extension in their pieces' names "
            "(song.flac.000.wav). MP3 and Ogg sources give 16-bit WAV pieces; PCM and float "
            "sources keep their sample format. A file that cannot be read or written is "
            "reported and the others are cut."
        ),
        epilog=_text(
            "examples:\n"
            "  sk-genre segment songs/ pieces/ --duration 10\n"
            "  sk-genre train pieces/ -o model.joblib --groups file",
            "Existing files in DST: a song cut again replaces its own pieces (the old ones "
            "listed in segments.csv are deleted), pieces of other songs are kept, so several "
            "runs can fill one DST. A DST whose segments.csv lists pieces of another "
            "--duration or --sr is refused unless --overwrite, which first deletes every "
            "piece segments.csv lists. Files segments.csv does not list are never deleted "
            "(one named like a new piece is replaced). Pieces appear whole or not at all, and "
            "segments.csv always lists the pieces on disk, also after Ctrl-C or a full disk; "
            "DST/segments.incomplete marks a run that did not finish: run the same command "
            "again.",
            "exit status: 0 all cut, 1 some files could not be (listed on stderr), 2 usage "
            "error or none could be cut, 130 interrupted.",
        ),
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
