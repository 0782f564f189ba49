"""Time CNN training under each Keras backend (JAX, torch, TensorFlow) on the same chunk tensor.

What is measured
----------------
The parent process builds the log-mel chunk tensor once: ``MelChunker()`` (defaults:
4-s chunks every 2 s, 128 mel bands, 172 frames) on the real ``gtzan-mini`` audio, giving
``(59, 14, 128, 172)`` float32 and the genre labels. It is cached as ``.npy`` files in
``<tempdir>/sk_genre_bench_training/`` (keyed by the files' names, sizes and mtimes, the
sk_genre version and the MelChunker parameters), so reruns skip extraction. Without the
audio, a synthetic tensor of the same shape is used and a note is printed.

Then, for each backend, one child process (this script with the hidden ``--child`` flag,
``KERAS_BACKEND`` set, run by the backend's own Python if ``--python-for`` names one)
loads the tensor, imports :mod:`sk_genre.models` and fits
``CNNClassifier.from_preset("cnn", epochs=1 + E, random_state=0)`` on all tracks
(every chunk of every track: 59 x 14 = 826 chunks, batch 32, 26 steps per epoch), with a
Keras callback timing each epoch (``time.perf_counter`` at ``on_epoch_begin`` /
``on_epoch_end``). Reported per backend:

* first epoch: includes tracing / XLA compilation (JAX, TensorFlow) or eager warm-up (torch);
* steady epoch: the median of the ``E`` following epochs (``--epochs``, default 2);
* fit setup: fit's wall time outside the epochs (building the model, scikeras' checks);
* predict: ``predict_proba`` over the whole tensor, the first call (compiles the predict
  function) and a second one (steady);
* CPU/wall of the steady epochs (about the number of cores used when the machine is idle);
* peak RSS of the child (``resource.getrusage``), in MB;
* versions (keras, the backend's packages, numpy) and install size: the bytes of the files
  (``importlib.metadata`` RECORD) of the backend's distribution and every distribution it
  pulls in that sk_genre would not need anyway (numpy, scipy, ml_dtypes ... are shared and
  not counted). The "all deps" column counts those shared ones too.

A backend whose module is absent from the child's Python is reported as "not installed"
(checked in the child), so the script also runs where only JAX is installed (CI).

Threads (same for every backend): the child pins itself to ``--threads`` CPUs
(``os.sched_setaffinity``; default: all CPUs this process may use) and sets
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``,
``TF_NUM_INTRAOP_THREADS`` to that number (``TF_NUM_INTEROP_THREADS`` to 2), calls
``torch.set_num_threads`` under torch; XLA's CPU pool (JAX) sizes itself from the CPUs it
may use, i.e. the affinity mask. By default everything runs on the CPU:
``CUDA_VISIBLE_DEVICES=""``, ``JAX_PLATFORMS=cpu``. ``--device gpu`` leaves the GPUs visible
and each backend computes on its first GPU (a backend that sees none is reported as "no GPU");
the device each child used is printed under Details.

There is no target: this script informs the choice of default backend (docs/backends.md).
The ratio column is steady epoch / JAX's steady epoch of the same run. Timings on a shared
machine are noisy: the 1-min load average is printed before each child; compare runs.

Run from the repository root::

    .venv/bin/python benchmarks/training.py                     # all three, this venv
    .venv/bin/python benchmarks/training.py --quick             # 16 tracks, 1 steady epoch
    .venv/bin/python benchmarks/training.py \\
        --python-for torch=/work/bench-torch/bin/python \\
        --python-for tensorflow=/work/bench-tf/bin/python --json out.json
    python benchmarks/training.py --device gpu --backends jax,torch   # on a GPU machine
"""

import argparse
import csv
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    REPO,
    available_cpus,
    busy_cpu_seconds,
    dist_versions,
    format_table,
    heading,
    load_average,
    locate_data,
)

BACKENDS = ("jax", "torch", "tensorflow")
#: Distributions whose version is reported for each backend.
VERSION_DISTS = {
    "jax": ("jax", "jaxlib"),
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
}
#: Top-level distributions whose install size is measured for each backend (first installed).
SIZE_ROOTS = {"jax": ("jax",), "torch": ("torch",), "tensorflow": ("tensorflow", "tensorflow-cpu")}
#: Every backend's distributions (excluded from the shared base of sk_genre's requirements).
BACKEND_DISTS = {"jax", "jaxlib", "torch", "tensorflow", "tensorflow-cpu"}
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
RESULT_PREFIX = "SK_GENRE_TRAINING_RESULT "
N_TRACKS_FULL = 59
QUICK_TRACKS = 16
QUICK_EPOCHS = 1
SYNTHETIC_SHAPE = (N_TRACKS_FULL, 14, 128, 172)
SYNTHETIC_GENRES = (
    "blues", "classical", "country", "disco", "hiphop",
    "jazz", "metal", "pop", "reggae", "rock",
)  # fmt: skip
CHILD_TIMEOUT_S = 3600
#: CPU use by other processes during a child (in cores) above which a warning is printed.
NOISY_OTHERS_CORES = 0.2


# ----------------------------------------------------------------------------- setup


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time one CNN epoch under each Keras backend on the same mel chunk tensor.",
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help=f"comma-separated, from {', '.join(BACKENDS)} (default: all)",
    )
    parser.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="steady-state epochs after the first (default: 2; --quick: 1)",
    )
    parser.add_argument(
        "--tracks", type=int, default=None, help="tracks to train on (default: all 59)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_TRACKS} tracks and {QUICK_EPOCHS} steady epoch (--tracks/--epochs still win)",
    )
    parser.add_argument("--batch-size", type=int, default=32, help="default: 32 (the preset's)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="CPUs (and threads) for every backend (default: all this process may use)",
    )
    parser.add_argument(
        "--python-for",
        action="append",
        default=[],
        metavar="BACKEND=PYTHON",
        help="run BACKEND's child with this interpreter (e.g. a venv holding torch); repeatable",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="gtzan-mini/ or the folder holding it (default: $SK_GENRE_DATA, else ../shared/data)",
    )
    parser.add_argument(
        "--rebuild", action="store_true", help="recompute the chunk tensor, ignoring the cache"
    )
    parser.add_argument(
        "--device",
        choices=("cpu", "gpu"),
        default="cpu",
        help="cpu (default: GPUs hidden) or gpu (each backend's first GPU; fails if none)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    # hidden: one backend's measurement, run by the parent in a child process
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--chunks", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.epochs is None:
        args.epochs = QUICK_EPOCHS if args.quick else 2
    if args.tracks is None:
        args.tracks = QUICK_TRACKS if args.quick else 0  # 0: all
    if args.epochs < 1:
        parser.error("--epochs must be >= 1")
    if args.tracks < 0 or args.tracks == 1:
        parser.error("--tracks must be >= 2, or 0 for all")
    if args.batch_size < 1:
        parser.error("--batch-size must be >= 1")
    available = len(available_cpus())
    if args.threads is None:
        args.threads = available
    if not 1 <= args.threads <= available:
        parser.error(f"--threads must be in [1, {available}]; got {args.threads}")
    if args.child is not None:
        return args

    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown or not args.backends:
        parser.error(f"--backends must be names from {', '.join(BACKENDS)}; got {unknown}")
    pythons = {}
    for item in args.python_for:
        backend, sep, python = item.partition("=")
        if not sep or backend not in BACKENDS or not python:
            parser.error(
                f"--python-for must be BACKEND=PYTHON with BACKEND in {BACKENDS}; got {item!r}"
            )
        if not Path(python).is_file():
            parser.error(f"--python-for {backend}: no such interpreter: {python}")
        pythons[backend] = python
    args.python_for = pythons
    return args


def children_cpu_seconds():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def spread(n_total, n):
    """Indices of ``n`` items evenly spaced over ``n_total`` (all if n is 0 or too large)."""
    if n <= 0 or n >= n_total:
        return list(range(n_total))
    step = (n_total - 1) / (n - 1)
    return [round(i * step) for i in range(n)]


def labels_path(chunks_path):
    return chunks_path.with_name(chunks_path.stem + "_labels.npy")


def machine_info(threads):
    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(available_cpus()),
        "threads": threads,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "load_average": load_average(),
    }


# ---------------------------------------------------------------------- chunk tensor


def track_list(root):
    """(paths, genres) from manifest.csv, else from the ``<genre>/<stem>.ogg`` layout."""
    manifest = root / "manifest.csv"
    if manifest.is_file():
        with manifest.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        return [root / r["file"] for r in rows], [r["genre"] for r in rows]
    paths = sorted(root.glob("*/*.ogg"))
    return paths, [p.parent.name for p in paths]


def chunk_tensor(data_arg, rebuild=False):
    """Path of the cached chunk tensor (labels beside it) and a description of its source."""
    import numpy as np

    import sk_genre
    from sk_genre import MelChunker

    cache = Path(tempfile.gettempdir()) / "sk_genre_bench_training"
    cache.mkdir(parents=True, exist_ok=True)
    root, base, _ = locate_data(data_arg)
    chunker = MelChunker(verbose=0)
    if root is None:
        path = cache / f"synthetic_{'x'.join(map(str, SYNTHETIC_SHAPE))}.npy"
        if rebuild or not path.is_file():
            rng = np.random.default_rng(0)
            X = rng.normal(-40.0, 20.0, size=SYNTHETIC_SHAPE).astype(np.float32)
            y = np.array([SYNTHETIC_GENRES[i % 10] for i in range(SYNTHETIC_SHAPE[0])])
            np.save(path, X)
            np.save(labels_path(path), y)
        note = (
            f"NOTE: GTZAN audio not found under {base}: using a SYNTHETIC tensor of shape "
            f"{SYNTHETIC_SHAPE} (random dB values, 10 genres cycled). Timings are valid; "
            "accuracies are meaningless. Set SK_GENRE_DATA or --data for the real audio."
        )
        return path, {"source": "synthetic", "note": note, "seconds": 0.0, "cached": True}

    paths, genres = track_list(root)
    key = hashlib.sha256()
    for p in paths:
        stat = p.stat()
        key.update(f"{p.relative_to(root)}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    key.update(f"{sk_genre.__version__}|{sorted(chunker.get_params().items())}".encode())
    path = cache / f"gtzan_mini_{key.hexdigest()[:16]}.npy"
    cached = path.is_file() and labels_path(path).is_file() and not rebuild
    start = time.perf_counter()
    if not cached:
        X = chunker.fit_transform([str(p) for p in paths]).astype(np.float32, copy=False)
        np.save(path, X)
        np.save(labels_path(path), np.array(genres))
    seconds = time.perf_counter() - start
    return path, {
        "source": str(root),
        "note": None,
        "n_files": len(paths),
        "seconds": seconds,
        "cached": cached,
    }


# ----------------------------------------------------------------------------- child


def pin_threads(threads, device="cpu"):
    """Restrict this process to ``threads`` CPUs and size the thread pools alike.

    With ``device="cpu"`` GPUs are hidden from every backend; with ``"gpu"`` they stay visible.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, available_cpus()[:threads])
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "2"
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _norm(name):
    return name.lower().replace("_", "-").replace(".", "-")


def _closure(roots, exclude=()):
    """Installed distributions reachable from ``roots`` through their requirements."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen, todo = {}, [_norm(r) for r in roots]
    exclude = {_norm(e) for e in exclude}
    while todo:
        name = todo.pop()
        if name in seen or name in exclude:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for spec in dist.requires or ():
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(_norm(req.name))
    return seen


def _dist_bytes(dist):
    total = 0
    for file in dist.files or ():
        try:
            total += dist.locate_file(file).stat().st_size
        except OSError:
            pass
    return total


def install_size(backend):
    """Install weight of a backend in MB: its own deps, and with deps shared with sk_genre."""
    try:
        root = next(r for r in SIZE_ROOTS[backend] if _closure([r]))
        everything = _closure([root])
        # what sk_genre needs without any backend: keras, numpy, scipy, librosa, ...
        base = _closure(["sk_genre"], exclude=BACKEND_DISTS)
    except Exception as exc:  # noqa: BLE001 - report, don't crash the measurement
        return {"error": f"{type(exc).__name__}: {exc}"}
    own = {n: d for n, d in everything.items() if n not in base}
    own_sizes = {d.metadata["Name"]: _dist_bytes(d) / 1e6 for d in own.values()}
    return {
        "own_mb": sum(own_sizes.values()),
        "own_dists": {k: round(v, 1) for k, v in sorted(own_sizes.items())},
        "all_deps_mb": sum(_dist_bytes(d) for d in everything.values()) / 1e6,
        "shared_dists": sorted(d.metadata["Name"] for n, d in everything.items() if n in base),
    }


def compute_device(backend):
    """The device the backend computes on, e.g. ``"cpu"`` or ``"gpu: NVIDIA H100 80GB HBM3"``."""
    if backend == "jax":
        import jax

        dev = jax.devices()[0]
        return "cpu" if dev.platform == "cpu" else f"gpu: {dev.device_kind}"
    if backend == "torch":
        import torch

        return f"gpu: {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else "cpu"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"gpu: {gpus[0].name}" if gpus else "cpu"


def emit(result):
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def run_child(args):
    """Measure one backend in this process; print one JSON line (prefixed) and return 0."""
    backend = args.child
    pin_threads(args.threads, args.device)
    import importlib.util

    result = {
        "backend": backend,
        "python": sys.executable,
        "versions": dist_versions(VERSION_DISTS[backend]),
        "threads": args.threads,
    }
    if importlib.util.find_spec(backend) is None:
        return emit({**result, "status": "not installed"})
    result["install"] = install_size(backend)
    os.environ["KERAS_BACKEND"] = backend
    try:
        import keras

        import sk_genre
        from sk_genre.models import CNNClassifier
    except Exception as exc:  # noqa: BLE001 - e.g. a keras / backend version conflict
        return emit({**result, "status": "import failed", "error": f"{type(exc).__name__}: {exc}"})
    import resource

    import numpy as np

    result["versions"].update(
        dist_versions(["keras", "numpy", "scikeras", *VERSION_DISTS[backend]])
    )
    result["sk_genre"] = sk_genre.__version__
    result["keras_backend"] = keras.backend.backend()
    if result["keras_backend"] != backend:
        return emit({**result, "status": "error", "error": "keras chose another backend"})
    if backend == "torch":
        import torch

        torch.set_num_threads(args.threads)
    result["device"] = compute_device(backend)
    if args.device == "gpu" and result["device"].startswith("cpu"):
        return emit({**result, "status": "no GPU", "error": f"{backend} sees no GPU"})

    X = np.load(args.chunks)
    y = np.load(labels_path(args.chunks))
    keep = spread(len(X), args.tracks)
    X, y = np.ascontiguousarray(X[keep]), y[keep]
    result["shape"] = list(X.shape)

    epochs = []  # (wall s, cpu s) per epoch

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self._start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            wall, cpu = self._start
            epochs.append((time.perf_counter() - wall, time.process_time() - cpu))

    clf = CNNClassifier.from_preset(
        "cnn",
        epochs=1 + args.epochs,
        batch_size=args.batch_size,
        random_state=0,
        verbose=0,
        callbacks=[EpochTimer()],
    )
    try:
        start = time.perf_counter()
        clf.fit(X, y)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        clf.predict_proba(X)
        predict_first_s = time.perf_counter() - start
        start = time.perf_counter()
        proba = clf.predict_proba(X)
        predict_s = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - report the backend's failure, keep the others
        return emit({**result, "status": "fit failed", "error": f"{type(exc).__name__}: {exc}"})
    steady = epochs[1:]
    steady_wall = [w for w, _ in steady]
    result.update(
        status="ok",
        epoch_s=[w for w, _ in epochs],
        first_epoch_s=epochs[0][0],
        steady_epoch_s=statistics.median(steady_wall),
        steady_cpu_over_wall=sum(c for _, c in steady) / sum(steady_wall),
        fit_s=fit_s,
        fit_setup_s=fit_s - sum(w for w, _ in epochs),
        predict_first_s=predict_first_s,
        predict_s=predict_s,
        final_loss=float(clf.history_["loss"][-1]),
        train_accuracy=float(np.mean(clf.classes_[np.argmax(proba, axis=1)] == y)),
        # ru_maxrss is in KiB on Linux
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
    )
    return emit(result)


# ---------------------------------------------------------------------------- parent


def run_backend(backend, python, chunks, args):
    """Run one child; its result dict (status "failed" with stderr's tail if it crashed)."""
    env = dict(os.environ)
    env["KERAS_BACKEND"] = backend
    # the child imports this checkout's sk_genre whichever interpreter runs it
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)
    cmd = [
        python,
        str(Path(__file__).resolve()),
        "--child", backend,
        "--chunks", str(chunks),
        "--tracks", str(args.tracks),
        "--epochs", str(args.epochs),
        "--batch-size", str(args.batch_size),
        "--threads", str(args.threads),
        "--device", args.device,
    ]  # fmt: skip
    load = load_average()
    busy, own = busy_cpu_seconds(), children_cpu_seconds()
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"backend": backend, "python": python, "status": "failed", "error": "timeout"}
    wall = time.perf_counter() - start
    busy_after, own_after = busy_cpu_seconds(), children_cpu_seconds()
    # CPU used meanwhile by processes other than the child, in cores (the parent only waits)
    others = None if busy is None else max(0.0, (busy_after - busy) - (own_after - own)) / wall
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            break
    else:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-5:]
        result = {
            "backend": backend,
            "python": python,
            "status": "failed",
            "error": f"exit code {proc.returncode}: " + " | ".join(tail),
        }
    result["load_average_before"] = load
    result["child_wall_s"] = wall
    result["others_cpu_cores"] = others
    return result


def _s(seconds):
    """Seconds with 3 significant digits below 10 s (GPU epochs take a tenth of a second)."""
    return f"{seconds:.3g}" if seconds < 10 else f"{seconds:.1f}"


def _version(r):
    v = r.get("versions", {})
    return next((v[d] for d in VERSION_DISTS[r["backend"]] if d in v), "-")


def _mb(install, key):
    return f"{install[key]:.0f}" if install and key in install else "-"


def print_results(results):
    reference = next((r for r in results if r["backend"] == "jax" and r["status"] == "ok"), None)
    rows = []
    for r in results:
        install = r.get("install")
        if r["status"] != "ok":
            rows.append(
                [r["backend"], _version(r), r["status"], *["-"] * 8,
                 _mb(install, "own_mb"), _mb(install, "all_deps_mb")]
            )  # fmt: skip
            continue
        ratio = (
            "-"
            if reference is None
            else f"{r['steady_epoch_s'] / reference['steady_epoch_s']:.2f}x"
        )
        rows.append(
            [
                r["backend"],
                _version(r),
                r["versions"].get("keras", "-"),
                _s(r["fit_setup_s"]),
                _s(r["first_epoch_s"]),
                _s(r["steady_epoch_s"]),
                ratio,
                f"{r['steady_cpu_over_wall']:.2f}",
                _s(r["predict_first_s"]),
                _s(r["predict_s"]),
                f"{r['peak_rss_mb']:.0f}",
                _mb(install, "own_mb"),
                _mb(install, "all_deps_mb"),
            ]
        )
    headers = [
        "backend", "version", "keras", "setup s", "1st epoch s", "steady epoch s", "vs jax",
        "cpu/wall", "predict 1st s", "predict s", "peak RSS MB", "install MB", "all deps MB",
    ]  # fmt: skip
    print(format_table(headers, rows, "lllrrrrrrrrrr"))
    print(
        "\nsetup = fit's time outside the epochs (model build, weight init, scikeras checks);\n"
        "1st epoch includes tracing/compilation; steady = median of the later epochs;\n"
        "vs jax = steady epoch / JAX's; cpu/wall = CPU seconds per wall second in the steady\n"
        "epochs (about the cores used); predict = predict_proba over the whole tensor, first\n"
        "and second call; install MB = the backend and the packages only it pulls in\n"
        "(site-packages bytes); all deps MB = with the ones sk_genre needs anyway."
    )
    heading("Details")
    for r in results:
        line = f"{r['backend']}: {r['status']}, python {r.get('python')}"
        if r.get("load_average_before") is not None:
            line += f", 1-min load before {r['load_average_before']}"
        if r.get("others_cpu_cores") is not None:
            line += f", other processes used {r['others_cpu_cores']:.2f} cores meanwhile"
        print(line)
        if r.get("error"):
            print(f"  error: {r['error']}")
        if r.get("device"):
            print(f"  device: {r['device']}")
        if r.get("versions"):
            print("  versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()))
        if r["status"] == "ok":
            print(
                "  epochs s: " + ", ".join(_s(s) for s in r["epoch_s"])
                + f"; fit setup {r['fit_setup_s']:.1f} s; loss {r['final_loss']:.3f}, "
                f"train accuracy {r['train_accuracy']:.2f}; child wall {r['child_wall_s']:.0f} s"
            )  # fmt: skip
        install = r.get("install") or {}
        if install.get("own_dists"):
            print(
                "  install: " + ", ".join(f"{k} {v:.0f}" for k, v in install["own_dists"].items())
                + " MB; shared with sk_genre: " + ", ".join(install["shared_dists"])
            )  # fmt: skip
        elif install.get("error"):
            print(f"  install size: {install['error']}")


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        return run_child(args)

    start = time.perf_counter()
    info = machine_info(args.threads)
    chunks, source = chunk_tensor(args.data, rebuild=args.rebuild)
    import numpy as np

    shape = np.load(chunks, mmap_mode="r").shape
    n_tracks = len(spread(shape[0], args.tracks))
    print(f"sk_genre training benchmark: CNNClassifier.from_preset('cnn') on {n_tracks} tracks")
    if source["note"]:
        print(source["note"])
    else:
        how = "cached" if source["cached"] else f"computed in {source['seconds']:.1f} s"
        print(f"chunk tensor: MelChunker on {source['source']} ({source['n_files']} files), {how}")
    print(f"tensor {shape} float32 -> {n_tracks} tracks x {shape[1]} chunks; file {chunks}")
    print(
        f"fit: 1 + {args.epochs} epochs, batch {args.batch_size}, random_state 0; "
        f"{args.threads} threads per backend (affinity + OMP/MKL/TF/torch settings); "
        + ("CPU only (GPUs hidden)" if args.device == "cpu" else "on the GPU")
    )
    heading("Machine")
    for key, value in info.items():
        print(f"{key:>13}: {value}")

    results = []
    for backend in args.backends:
        python = args.python_for.get(backend, sys.executable)
        print(f"running {backend} ({python}) ...", flush=True)
        results.append(run_backend(backend, python, chunks, args))

    heading(f"CNN training per Keras backend ({n_tracks} tracks x {shape[1]} chunks)")
    print_results(results)
    total = time.perf_counter() - start
    load_end = load_average()
    print(f"\ntotal benchmark time: {total:.0f} s")
    print(f"1-min load average: {info['load_average']} at start, {load_end} at end")
    others = [r["others_cpu_cores"] for r in results if r.get("others_cpu_cores") is not None]
    if others and max(others) > NOISY_OTHERS_CORES:
        print(
            f"WARNING: other processes used up to {max(others):.2f} of {info['cpu_affinity']} "
            "cores while a backend ran: its times are pessimistic; compare with another run."
        )

    if args.json is not None:
        payload = {
            "machine": info,
            "data": source,
            "chunks": str(chunks),
            "settings": {
                "tracks": n_tracks,
                "epochs": args.epochs,
                "batch_size": args.batch_size,
                "threads": args.threads,
                "device": args.device,
                "quick": args.quick,
                "python_for": args.python_for,
            },
            "results": results,
            "total_s": total,
            "load_average_end": load_end,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
