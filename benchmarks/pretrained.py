"""Time musicnn embedding extraction per 30-s clip: the Keras 3 port and the original TF graph.

What is measured
----------------
Real ``gtzan-mini`` clips (30 s, OGG at 22050 Hz): by default 10, one per genre
(``<genre>/<genre>.00000.ogg``; ``--clips N`` takes the genres' next files in turn), plus one
other clip for the warm-up calls. Every measurement runs in a child process pinned to
``--threads`` CPUs (default 1): ``os.sched_setaffinity``, ``OMP_NUM_THREADS``,
``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``TF_NUM_INTRAOP_THREADS`` and
``TF_NUM_INTEROP_THREADS`` set to that number, ``torch.set_num_threads`` under torch; XLA (JAX)
sizes its CPU pool from the affinity mask. GPUs are hidden.

1. Keras port (``sk_genre.pretrained.MusicnnEmbedding``, MSD_musicnn, penultimate layer), one
   child per backend of ``--backends`` (``KERAS_BACKEND`` set; a backend whose module the
   child's Python lacks is reported as "not installed"):

   * first call: ``MusicnnEmbedding().fit_transform([warm-up clip])`` in a fresh process (builds
     the network, loads the weights, compiles; reported, never counted per clip); the second
     call on the same clip is reported beside it;
   * the stages, timed by calling the building blocks ``fit_transform`` uses:
     ``sk_genre.io.load_audio(path, sr=16000, res_type=R)`` for R = soxr_hq (the default) and
     kaiser_best (resampy, musicnn's training resampler; its numba compilation is done in a
     warm-up decode), ``log_mel`` + ``patches`` (``sk_genre.pretrained``), and the network:
     ``musicnn_network(model, layer).predict_on_batch`` on all the clips' patches in batches
     of ``--batch-size`` (16, as ``fit_transform`` batches them across clips; one untimed pass
     first, so that every batch shape is compiled);
   * end to end: ``MusicnnEmbedding(res_type=R).fit_transform(paths)``, wall time and CPU time
     (``time.process_time`` plus ``resource.getrusage`` of the children).

   Network GFLOP/s counts the multiply-adds of the architecture (printed: front-end
   204 x (7x38) over 187x59 and 204 x (7x67) over 187x30 outputs, 51 x (128|64|32) over 187x96
   each; mid-end 64 x 7x561 and 2 x 64 x 7x64 over 187 frames; back-end dense 1506x200 and
   200x50), FLOP = 2 x MAC. A float32 matrix product (numpy's BLAS, 2048^3, in the same child)
   is timed as a practical peak of the pinned cores.
2. The ORIGINAL musicnn TF1 graph (``tools/musicnn_original.py``: the wheel's checkpoint
   restored in a ``tf.compat.v1.Session`` with intra/inter op threads = ``--threads``), in a
   child run by ``--tf-python`` (default: this Python; skipped with a note if TensorFlow is not
   importable there). It needs the musicnn 0.1.0 model folder: ``--musicnn`` names the wheel
   (``musicnn-0.1.0-py3-none-any.whl``, unpacked to a temporary folder) or its ``MSD_musicnn``
   folder; else ``$SK_GENRE_MUSICNN``; else the ``musicnn`` package of that Python. It runs on
   the same patches (decoded with soxr_hq and cut by the same ``log_mel`` / ``patches`` code
   in this process, saved to a temporary ``.npy``), so only the network is timed, twice:
   (a) batched like the port (a clip's 10 patches per ``session.run``) and (b) as musicnn's own
   extractor does (one patch per ``session.run``: ``BATCH_SIZE = 1`` in
   ``musicnn/configuration.py``). Ratios original / port are printed for the network stage and
   end to end, where "original end to end" = the original network + the port child's own
   decode and log-mel stage times (musicnn decodes with the same librosa calls).
3. With ``--threads`` >= 2, a batch: ``MusicnnEmbedding(n_jobs=T)`` over the clips (decoding in
   T joblib workers, the network in the main process), after a warm-up call that starts the
   workers; cores used = CPU time / wall time of the child and all its descendants
   (``time.process_time``, ``/proc/<pid>/stat`` of the live workers, ``getrusage`` of the
   reaped ones).

Every timing is repeated ``--repeats`` times (default 3) and the MEDIAN run is reported (the
minimum is in the JSON). Timings on a shared machine are noisy: the 1-min load average is
printed before each child, with the CPU other processes used meanwhile.

Targets (printed PASS/MISS, nothing adjusted): <= 0.5 s CPU per 30-s clip on 1 core including
decoding and resampling (end to end, soxr_hq); >= 3x faster than the original graph in the same
run; both cores used in a batch (cores used >= 0.9 x T with T = 2).

Run from the repository root (a default run takes about 4 minutes on 2 cores)::

    .venv/bin/python benchmarks/pretrained.py --tf-python /tmp/tfenv/bin/python \\
        --musicnn /path/to/musicnn-0.1.0-py3-none-any.whl               # 1 core
    .venv/bin/python benchmarks/pretrained.py --threads 2 --tf-python /tmp/tfenv/bin/python \\
        --musicnn /path/to/musicnn-0.1.0-py3-none-any.whl               # 2 cores + batch
    .venv/bin/python benchmarks/pretrained.py --quick                   # 3 clips, 1 repeat

The tensorflow backend of the port runs in ``--python-for tensorflow=PY``, else in
``--tf-python``: that Python needs sk_genre's dependencies (keras, librosa, scikit-learn,
joblib, tqdm, ...). TensorFlow is never a dependency of sk_genre.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from _common import (
    REPO,
    available_cpus,
    busy_cpu_seconds,
    dist_versions,
    find_data,
    format_table,
    heading,
    load_average,
)
from _common import (
    seconds_text as _s,
)

BACKENDS = ("jax", "torch", "tensorflow")
VERSION_DISTS = {
    "jax": ("jax", "jaxlib"),
    "torch": ("torch",),
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
}
RES_TYPES = ("soxr_hq", "kaiser_best")
MODEL, LAYER = "MSD_musicnn", "penultimate"
SR = 16000
THREAD_VARS = (
    "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS",
)  # fmt: skip
RESULT_PREFIX = "SK_GENRE_PRETRAINED_RESULT "
CHILD_TIMEOUT_S = 3600
QUICK_CLIPS, QUICK_REPEATS = 3, 1
NOISY_OTHERS_CORES = 0.2

# Targets
TARGET_CPU_S = 0.5  # CPU s per 30-s clip, 1 core, decode + resampling included
TARGET_SPEEDUP = 3.0  # original graph / port
TARGET_CORES_FRACTION = 0.9  # cores used >= this x threads in a batch

#: Multiply-adds of one 187-frame patch through musicnn (see the module docstring).
MACS = {
    "front-end timbral 204x(7x38) over 187x59": 204 * 7 * 38 * 187 * 59,
    "front-end timbral 204x(7x67) over 187x30": 204 * 7 * 67 * 187 * 30,
    "front-end temporal 51x(128+64+32) over 187x96": 51 * (128 + 64 + 32) * 187 * 96,
    "mid-end 64x7x561 over 187": 64 * 7 * 561 * 187,
    "mid-end 2 x 64x7x64 over 187": 2 * 64 * 7 * 64 * 187,
    "back-end dense 1506x200 + 200x50": 1506 * 200 + 200 * 50,
}
GFLOP_PER_PATCH = 2 * sum(MACS.values()) / 1e9


# ----------------------------------------------------------------------------- setup


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time musicnn embeddings per 30-s clip: Keras port vs the original TF graph."
    )
    parser.add_argument(
        "--backends",
        default=",".join(BACKENDS),
        help="comma-separated Keras backends (default: jax,torch,tensorflow; one whose module "
        "is not importable in its Python is reported as not installed)",
    )
    parser.add_argument(
        "--clips", type=int, default=None, help="clips to time (default 10, one per genre)"
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs of each timing; the median is reported"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_CLIPS} clips, {QUICK_REPEATS} repeat (--clips/--repeats still win)",
    )
    parser.add_argument("--threads", type=int, default=1, help="CPUs per child (default 1)")
    parser.add_argument("--batch-size", type=int, default=16, help="default: 16 (the default)")
    parser.add_argument(
        "--tf-python",
        default=sys.executable,
        help="Python that runs the original TF graph (default: this one)",
    )
    parser.add_argument(
        "--musicnn",
        type=Path,
        default=os.environ.get("SK_GENRE_MUSICNN"),
        help="musicnn-0.1.0 wheel or its MSD_musicnn folder (default: $SK_GENRE_MUSICNN, "
        "else the musicnn package of --tf-python)",
    )
    parser.add_argument(
        "--python-for",
        action="append",
        default=[],
        metavar="BACKEND=PYTHON",
        help="run BACKEND's child with this interpreter (tensorflow: default --tf-python)",
    )
    parser.add_argument(
        "--data",
        default=None,
        help="gtzan-mini/ or the folder holding it (default: $SK_GENRE_DATA, else ../shared/data)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    # hidden: one measurement, run by the parent in a child process
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--spec", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        return args

    if args.clips is None:
        args.clips = QUICK_CLIPS if args.quick else 10
    if args.repeats is None:
        args.repeats = QUICK_REPEATS if args.quick else 3
    if args.clips < 1 or args.repeats < 1 or args.batch_size < 1:
        parser.error("--clips, --repeats and --batch-size must be >= 1")
    available = len(available_cpus())
    if not 1 <= args.threads <= available:
        parser.error(f"--threads must be in [1, {available}]; got {args.threads}")
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(args.backends) - set(BACKENDS))
    if unknown or not args.backends:
        parser.error(f"--backends must be names from {', '.join(BACKENDS)}; got {unknown}")
    pythons = {}
    for item in args.python_for:
        backend, sep, python = item.partition("=")
        if not sep or backend not in BACKENDS or not python:
            parser.error(f"--python-for must be BACKEND=PYTHON, BACKEND in {BACKENDS}: {item!r}")
        pythons[backend] = python
    pythons.setdefault("tensorflow", args.tf_python)
    for backend, python in [*pythons.items(), ("original", args.tf_python)]:
        if not Path(python).is_file():
            parser.error(f"{backend}: no such interpreter: {python}")
    args.python_for = pythons
    return args


def pin_threads(threads):
    """Restrict this process to ``threads`` CPUs and size every thread pool alike; hide GPUs."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, available_cpus()[:threads])
    for var in THREAD_VARS:
        os.environ[var] = str(threads)
    os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _descendants_cpu_seconds(root):
    """utime + stime of the live descendants of ``root`` (Linux /proc), 0 elsewhere."""
    stats = {}
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        # fields[1] = ppid; [11], [12] = utime, stime; [13], [14] = reaped children's
        stats[int(entry.name)] = (int(fields[1]), sum(int(v) for v in fields[11:15]))
    children = {}
    for pid, (ppid, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return total / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds():
    """CPU seconds of this process, its reaped children and its live descendants."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time() + usage.ru_utime + usage.ru_stime
    return own + _descendants_cpu_seconds(os.getpid())


def children_cpu_seconds():
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        return platform.processor() or platform.machine()
    model = next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("model name")), "")
    flags = next((ln.split(":", 1)[1].split() for ln in lines if ln.startswith("flags")), [])
    simd = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    return f"{model} ({', '.join(simd) or 'no AVX2'})"


def machine_info(threads):
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(available_cpus()),
        "threads": threads,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d"),
        "load_average": load_average(),
    }


def select_clips(root, n):
    """``n`` clips taking each genre's files in turn (index 0 of every genre first), and one
    more clip for the warm-up calls."""
    by_genre = [sorted(d.glob("*.ogg")) for d in sorted(p for p in root.iterdir() if p.is_dir())]
    order = []
    for i in range(max(len(files) for files in by_genre)):
        order.extend(files[i] for files in by_genre if i < len(files))
    if n + 1 > len(order):
        sys.exit(f"error: --clips {n}: gtzan-mini has {len(order)} files (one is the warm-up)")
    return [str(p) for p in order[:n]], str(order[n])


def median(values):
    return statistics.median(values) if values else None


def emit(result):
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


# ------------------------------------------------------------------------ child: port


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def matmul_gflops(repeats=3, n=2048):
    """Best float32 GFLOP/s of numpy's BLAS on an n x n product (the pinned cores' peak-ish)."""
    import numpy as np

    a = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
    a @ a  # warm-up
    best = min(_timed(np.matmul, a, a)[0] for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def run_port_child(spec, backend):
    """Time the Keras port under ``backend`` in this process; print one JSON line."""
    threads = spec["threads"]
    pin_threads(threads)
    import importlib.util

    result = {"kind": "port", "backend": backend, "python": sys.executable, "threads": threads}
    result["versions"] = dist_versions(VERSION_DISTS[backend])
    if importlib.util.find_spec(backend) is None:
        return emit({**result, "status": "not installed"})
    os.environ["KERAS_BACKEND"] = backend
    start = time.perf_counter()
    try:
        import keras
        import numpy as np

        import sk_genre
        from sk_genre.io import load_audio
        from sk_genre.pretrained import MusicnnEmbedding, log_mel, patches
        from sk_genre.pretrained._embedding import musicnn_network
    except Exception as exc:  # noqa: BLE001 - e.g. a missing dependency in that Python
        return emit({**result, "status": "import failed", "error": f"{type(exc).__name__}: {exc}"})
    if backend == "torch":
        import torch

        torch.set_num_threads(threads)
    result["import_s"] = time.perf_counter() - start
    result["versions"].update(dist_versions(["keras", "numpy", "librosa", "soxr", "resampy"]))
    result["sk_genre"] = sk_genre.__version__
    if keras.backend.backend() != backend:
        return emit({**result, "status": "error", "error": "keras chose another backend"})

    clips, warm, repeats, bs = spec["clips"], spec["warmup"], spec["repeats"], spec["batch_size"]
    n = len(clips)
    try:
        # first call in a fresh process: network build, weights, compilation, decode of one clip
        result["first_call_s"], _ = _timed(MusicnnEmbedding(batch_size=bs).fit_transform, [warm])
        result["second_call_s"], _ = _timed(MusicnnEmbedding(batch_size=bs).fit_transform, [warm])
        result["kaiser_first_decode_s"], _ = _timed(
            load_audio, warm, sr=SR, res_type="kaiser_best"
        )  # resampy's numba kernels compile here
        network = musicnn_network(MODEL, LAYER)  # the one fit_transform uses (lru_cache)

        def run_network(x):
            for s in range(0, len(x), bs):
                np.asarray(network.predict_on_batch(x[s : s + bs]))

        decode = {r: [] for r in RES_TYPES}  # per run: seconds for all clips
        mel, net, net_cpu, all_patches = [], [], [], None
        for rep in range(repeats):
            run_decode, run_mel, clip_patches = dict.fromkeys(RES_TYPES, 0.0), 0.0, []
            for path in clips:
                for r in RES_TYPES:
                    dt, y = _timed(load_audio, path, sr=SR, res_type=r)
                    run_decode[r] += dt
                    if r == "soxr_hq":
                        y_default = y
                dt, p = _timed(lambda y=y_default: patches(log_mel(y)))
                run_mel += dt
                clip_patches.append(p)
            for r in RES_TYPES:
                decode[r].append(run_decode[r])
            mel.append(run_mel)
            if rep == 0:
                all_patches = np.concatenate(clip_patches)
                run_network(all_patches)  # untimed: compiles every batch shape
            cpu0 = time.process_time()
            dt, _ = _timed(run_network, all_patches)
            net.append(dt)
            net_cpu.append(time.process_time() - cpu0)

        e2e = {r: {"wall": [], "cpu": []} for r in RES_TYPES}
        for _ in range(repeats):
            for r in RES_TYPES:
                cpu0 = tree_cpu_seconds()
                dt, X = _timed(MusicnnEmbedding(res_type=r, batch_size=bs).fit_transform, clips)
                e2e[r]["cpu"].append(tree_cpu_seconds() - cpu0)
                e2e[r]["wall"].append(dt)
                if X.shape != (n, 200) or not np.isfinite(X).all():
                    raise RuntimeError(
                        f"bad embedding: shape {X.shape}, all finite {np.isfinite(X).all()}"
                    )

        batch = None
        if threads >= 2:
            emb = MusicnnEmbedding(batch_size=bs, n_jobs=threads)
            warm_s, _ = _timed(emb.fit_transform, [warm, clips[0]])  # starts the workers
            batch = {"n_jobs": threads, "warmup_s": warm_s, "wall": [], "cpu": [], "others": []}
            for _ in range(repeats):
                cpu0, busy0 = tree_cpu_seconds(), busy_cpu_seconds()
                dt, _ = _timed(emb.fit_transform, clips)
                cpu = tree_cpu_seconds() - cpu0
                batch["wall"].append(dt)
                batch["cpu"].append(cpu)
                if busy0 is not None:
                    batch["others"].append(max(0.0, busy_cpu_seconds() - busy0 - cpu) / dt)
    except Exception as exc:  # noqa: BLE001 - report the backend's failure, keep the others
        return emit({**result, "status": "failed", "error": f"{type(exc).__name__}: {exc}"})

    def per_clip(runs):
        return [v / n for v in runs]

    result.update(
        status="ok",
        n_clips=n,
        n_patches=int(len(all_patches)),
        decode_s={r: per_clip(v) for r, v in decode.items()},
        mel_s=per_clip(mel),
        network_s=per_clip(net),
        network_cpu_s=per_clip(net_cpu),
        e2e_wall_s={r: per_clip(v["wall"]) for r, v in e2e.items()},
        e2e_cpu_s={r: per_clip(v["cpu"]) for r, v in e2e.items()},
        matmul_gflops=matmul_gflops(),
    )
    if batch is not None:
        batch["wall_s"], batch["cpu_s"] = per_clip(batch.pop("wall")), per_clip(batch.pop("cpu"))
        result["batch"] = batch
    return emit(result)


# -------------------------------------------------------------------- child: original


def _model_dir(spec, tmp):
    """The MSD_musicnn folder: from --musicnn (wheel or folder), else the musicnn package."""
    given = spec.get("musicnn")
    if given is None:
        import importlib.util

        found = importlib.util.find_spec("musicnn")
        if found is None or not found.submodule_search_locations:
            return None
        given = Path(next(iter(found.submodule_search_locations)))
    given = Path(given)
    if given.is_file() and given.suffix == ".whl":
        prefix = f"musicnn/{MODEL}/"
        with zipfile.ZipFile(given) as whl:
            for name in whl.namelist():
                if name.startswith(prefix) and not name.endswith("/"):
                    whl.extract(name, tmp)
        given = Path(tmp) / prefix
    for folder in (given, given / MODEL, given / "musicnn" / MODEL):
        if (folder / ".meta").is_file():
            return folder
    return None


def run_original_child(spec):
    """Time the original musicnn TF1 graph on the saved patches; print one JSON line."""
    threads = spec["threads"]
    pin_threads(threads)
    import importlib.util

    result = {"kind": "original", "backend": "original", "python": sys.executable}
    result["threads"] = threads
    result["versions"] = dist_versions(["tensorflow", "tensorflow-cpu", "numpy"])
    if importlib.util.find_spec("tensorflow") is None:
        return emit({**result, "status": "not installed"})
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = _model_dir(spec, tmp)
        if model_dir is None:
            return emit({**result, "status": "no model", "error": "musicnn model not found"})
        import numpy as np

        sys.path.insert(0, str(REPO / "tools"))
        try:
            from musicnn_original import OriginalMusicnn

            result["load_s"], model = _timed(
                OriginalMusicnn, str(model_dir), intra_op_threads=threads, inter_op_threads=threads
            )
        except Exception as exc:  # noqa: BLE001
            return emit({**result, "status": "failed", "error": f"{type(exc).__name__}: {exc}"})
    all_patches = np.load(spec["patches"])
    bounds = np.cumsum([0, *spec["patch_counts"]])
    clips = [all_patches[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    n = len(clips)
    result["first_run_s"], _ = _timed(model.run, clips[0])
    model.run(clips[0][:1])  # first batch-of-1 run
    runs = {"batched": [], "per_patch": []}
    cpu = {"batched": [], "per_patch": []}
    for _ in range(spec["repeats"]):
        for mode in runs:
            cpu0, start = time.process_time(), time.perf_counter()
            for x in clips:
                if mode == "batched":
                    model.run(x)
                else:
                    for i in range(len(x)):
                        model.run(x[i : i + 1])
            runs[mode].append((time.perf_counter() - start) / n)
            cpu[mode].append((time.process_time() - cpu0) / n)
    model.close()
    return emit(
        {**result, "status": "ok", "n_clips": n, "n_patches": int(bounds[-1]),
         "network_s": runs, "network_cpu_s": cpu}
    )  # fmt: skip


# ---------------------------------------------------------------------------- parent


def make_patches(clips, path):
    """The clips' musicnn patches (soxr_hq decode, the port's log-mel code), saved to ``path``."""
    import numpy as np

    from sk_genre.io import load_audio
    from sk_genre.pretrained import log_mel, patches

    arrays = [patches(log_mel(load_audio(c, sr=SR, res_type="soxr_hq"))) for c in clips]
    np.save(path, np.concatenate(arrays))
    return [len(a) for a in arrays]


def run_child(name, python, spec_path, extra_env=None):
    """Run one child; its result dict (status "failed" with stderr's tail if it crashed)."""
    env = dict(os.environ)
    env.update(extra_env or {})
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO / "src"), env.get("PYTHONPATH")) if p)
    cmd = [python, str(Path(__file__).resolve()), "--child", name, "--spec", str(spec_path)]
    load = load_average()
    print(f"running {name} ({python}); 1-min load average {load} ...", flush=True)
    busy, own = busy_cpu_seconds(), children_cpu_seconds()
    start = time.perf_counter()
    base = {"backend": name.split(":")[-1], "python": python}
    try:
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {**base, "status": "failed", "error": "timeout"}
    wall = time.perf_counter() - start
    busy_after, own_after = busy_cpu_seconds(), children_cpu_seconds()
    others = None if busy is None else max(0.0, (busy_after - busy) - (own_after - own)) / wall
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            break
    else:
        tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-5:]
        result = {
            **base,
            "status": "failed",
            "error": f"exit {proc.returncode}: " + " | ".join(tail),
        }
    result.update(load_average_before=load, child_wall_s=wall, others_cpu_cores=others)
    return result


def _x(ratio):
    return "-" if ratio is None else f"{ratio:.2f}x"


def _version(r):
    v = r.get("versions", {})
    dists = VERSION_DISTS.get(r["backend"], ("tensorflow", "tensorflow-cpu"))
    return next((v[d] for d in dists if d in v), "-")


def summarise(results, original):
    """Medians per clip for the tables (added to each ok result as ``median``)."""
    for r in results:
        if r["status"] != "ok":
            continue
        m = {f"decode_{k}": median(v) for k, v in r["decode_s"].items()}
        m.update(mel=median(r["mel_s"]), network=median(r["network_s"]))
        m["network_cpu"] = median(r["network_cpu_s"])
        m["network_cpu_wall"] = sum(r["network_cpu_s"]) / sum(r["network_s"])
        m["gflops"] = GFLOP_PER_PATCH * r["n_patches"] / r["n_clips"] / m["network"]
        for k in RES_TYPES:
            m[f"e2e_{k}"] = median(r["e2e_wall_s"][k])
            m[f"e2e_cpu_{k}"] = median(r["e2e_cpu_s"][k])
            m[f"stages_{k}"] = m[f"decode_{k}"] + m["mel"] + m["network"]
        if "batch" in r:
            b = r["batch"]
            m["batch_wall"], m["batch_cpu"] = median(b["wall_s"]), median(b["cpu_s"])
            m["batch_cores"] = m["batch_cpu"] / m["batch_wall"]
            m["batch_others"] = max(b["others"]) if b["others"] else None
        r["median"] = m
    if original is not None and original["status"] == "ok":
        om = {k: median(v) for k, v in original["network_s"].items()}
        per_clip_flop = GFLOP_PER_PATCH * original["n_patches"] / original["n_clips"]
        om.update({f"gflops_{k}": per_clip_flop / v for k, v in list(om.items())})
        om.update({f"cpu_{k}": median(v) for k, v in original["network_cpu_s"].items()})
        original["median"] = om


def print_port_tables(results, args):
    ok = [r for r in results if r["status"] == "ok"]
    rows = []
    for r in results:
        if r["status"] != "ok":
            rows.append([r["backend"], _version(r), r["status"], *["-"] * 7])
            continue
        m = r["median"]
        rows.append(
            [r["backend"], _version(r), _s(r["first_call_s"]), _s(r["second_call_s"]),
             _s(m["decode_soxr_hq"]), _s(m["decode_kaiser_best"]), _s(m["mel"]),
             _s(m["network"]), f"{m['gflops']:.1f}", f"{m['network_cpu_wall']:.2f}"]
        )  # fmt: skip
    headers = [
        "backend", "version", "1st call s", "2nd call s", "decode soxr_hq", "decode kaiser_best",
        "mel+patches", "network", "net GFLOP/s", "net cpu/wall",
    ]  # fmt: skip
    heading(f"Keras port: stages, seconds per 30-s clip ({args.threads} thread(s))")
    print(format_table(headers, rows, "llrrrrrrrr"))
    print(
        "1st / 2nd call = MusicnnEmbedding().fit_transform([one other clip]) in a fresh process\n"
        "(build + weights + compile + 1 clip) and again; stages: median of the runs, per clip;\n"
        f"GFLOP/s counts {GFLOP_PER_PATCH:.3f} GFLOP per patch (2 x the MACs listed below)."
    )
    if not ok:
        return
    rows = []
    for r in ok:
        m = r["median"]
        row = [r["backend"]]
        for k in RES_TYPES:
            row += [_s(m[f"e2e_{k}"]), _s(m[f"e2e_cpu_{k}"]), _s(m[f"stages_{k}"])]
        rows.append(row)
    headers = ["backend"]
    for k in RES_TYPES:
        headers += [f"{k} wall", f"{k} CPU", f"{k} sum of stages"]
    heading("Keras port end to end: MusicnnEmbedding(res_type=R).fit_transform(paths), s per clip")
    print(format_table(headers, rows, "lrrrrrr"))
    print("median of the runs; CPU = process_time + children's; sum of stages from the table above")


def print_original(original, args):
    heading(f"Original musicnn TF1 graph: network only, s per clip ({args.threads} thread(s))")
    if original is None:
        print("not run")
        return
    if original["status"] != "ok":
        note = original.get("error", "")
        print(
            f"skipped: {original['status']} in {original['python']} {note}\n(TensorFlow must be "
            "importable in --tf-python and the musicnn model found: see --musicnn)"
        )
        return
    m = original["median"]
    cpu, wall = original["network_cpu_s"], original["network_s"]
    labels = {
        "batched": "batched: a clip's patches per session.run",
        "per_patch": "musicnn's extractor: 1 patch per session.run",
    }
    rows = [
        [
            label,
            _s(m[mode]),
            f"{m['gflops_' + mode]:.1f}",
            f"{sum(cpu[mode]) / sum(wall[mode]):.2f}",
        ]
        for mode, label in labels.items()
    ]
    print(format_table(["mode", "network s", "GFLOP/s", "cpu/wall"], rows, "lrrr"))
    print(
        f"tensorflow {_version(original)}; graph restored in {original['load_s']:.1f} s, first "
        f"run {original['first_run_s']:.2f} s; median of the runs on the same patches"
    )


def ratios(r, original):
    """{mode: (network ratio, network CPU ratio, {res_type: end-to-end ratio})}, original / port
    (> 1: the port is faster)."""
    if original is None or original["status"] != "ok" or r["status"] != "ok":
        return None
    m, om = r["median"], original["median"]
    out = {}
    for mode in ("batched", "per_patch"):
        e2e = {k: (om[mode] + m[f"decode_{k}"] + m["mel"]) / m[f"e2e_{k}"] for k in RES_TYPES}
        out[mode] = (om[mode] / m["network"], om[f"cpu_{mode}"] / m["network_cpu"], e2e)
    return out


def print_ratios(results, original):
    heading("Original / port (> 1: the port is faster), same run, same patches")
    if original is None or original["status"] != "ok":
        print("skipped: the original graph did not run (see above)")
        return
    rows = []
    labels = {"batched": "batched (10 / run)", "per_patch": "musicnn (1 / run)"}
    for r in results:
        rat = ratios(r, original)
        if rat is None:
            continue
        for mode, (net, net_cpu, e2e) in rat.items():
            rows.append(
                [r["backend"], labels[mode], _x(net), _x(net_cpu), *(_x(e2e[k]) for k in RES_TYPES)]
            )
    headers = [
        "backend", "original run as", "network", "network CPU",
        *(f"end to end {k}" for k in RES_TYPES),
    ]  # fmt: skip
    print(format_table(headers, rows, "llrrrr"))
    print(
        "network = original network wall s / port network stage wall s, on the same patches\n"
        "(network CPU: the same with CPU seconds, less sensitive to other load); end to end =\n"
        "(original network + the port child's decode(R) + mel+patches) / the port's\n"
        "fit_transform wall time with res_type R. All medians of the runs."
    )


def print_batch(results, args):
    batched = [r for r in results if r.get("median", {}).get("batch_wall") is not None]
    if args.threads < 2:
        heading("Batch: MusicnnEmbedding(n_jobs=T) on T CPUs")
        print("not run (needs --threads 2 or more)")
        return
    heading(f"Batch: MusicnnEmbedding(n_jobs={args.threads}) on {args.threads} CPUs")
    rows = []
    for r in batched:
        m = r["median"]
        others = m["batch_others"]
        free = (
            "-" if others is None else f"{m['batch_cores'] / max(args.threads - others, 0.1):.2f}"
        )
        rows.append(
            [r["backend"], r["n_clips"], _s(m["batch_wall"]), _s(m["batch_cpu"]),
             f"{m['batch_cores']:.2f}", "-" if others is None else f"{others:.2f}", free,
             _s(r["batch"]["warmup_s"])]
        )  # fmt: skip
    headers = [
        "backend", "clips", "wall s/clip", "CPU s/clip", "cores used", "others", "used/left",
        "warm-up s",
    ]  # fmt: skip
    print(format_table(headers, rows, "lrrrrrrr"))
    print(
        "cores used = CPU / wall of the child and its joblib workers (median run); others =\n"
        "cores used by other processes meanwhile (max over runs); used/left = cores used / the\n"
        f"{args.threads} - others cores left to us; warm-up = the first call on 2 clips, which\n"
        "starts the workers (not counted)."
    )


def print_targets(results, original, args):
    heading("Targets")
    ok = [r for r in results if r["status"] == "ok"]
    lines = []
    for r in ok:
        m = r["median"]
        label = f"<= {TARGET_CPU_S} s CPU per clip on 1 core incl. decode (soxr_hq), {r['backend']}"
        if args.threads != 1:
            lines.append((label, "n/a", "measured with --threads 1 only"))
        else:
            cpu = m["e2e_cpu_soxr_hq"]
            verdict = "PASS" if cpu <= TARGET_CPU_S else "MISS"
            lines.append(
                (label, verdict, f"{cpu:.3f} s (kaiser_best: {m['e2e_cpu_kaiser_best']:.3f} s)")
            )
    for r in ok:
        rat = ratios(r, original)
        label = f">= {TARGET_SPEEDUP:g}x faster than the original graph, {r['backend']}"
        if rat is None:
            lines.append((label, "n/a", "original graph not run"))
            continue
        for mode, text in (("batched", "batched"), ("per_patch", "as musicnn runs it")):
            net, net_cpu, e2e = rat[mode]
            verdict = "PASS" if net >= TARGET_SPEEDUP else "MISS"
            lines.append(
                (f"{label} ({text})", verdict,
                 f"network {net:.2f}x (CPU {net_cpu:.2f}x), "
                 f"end to end soxr_hq {e2e['soxr_hq']:.2f}x")
            )  # fmt: skip
    for r in ok:
        label = f"both cores used in a batch (cores used >= {TARGET_CORES_FRACTION:g} x 2), "
        label += r["backend"]
        if args.threads != 2 or "batch_cores" not in r["median"]:
            lines.append((label, "n/a", "measured with --threads 2 only"))
        else:
            cores, others = r["median"]["batch_cores"], r["median"]["batch_others"]
            verdict = "PASS" if cores >= TARGET_CORES_FRACTION * 2 else "MISS"
            note = f"{cores:.2f} cores"
            if others is not None and others > NOISY_OTHERS_CORES:
                note += f" (other processes used {others:.2f} cores meanwhile)"
            lines.append((label, verdict, note))
    print(format_table(["target", "result", "measured"], lines, "lll"))


def print_details(results, original):
    heading("Details")
    print(f"network MACs per patch ({GFLOP_PER_PATCH:.4f} GFLOP = 2 x MAC):")
    for name, macs in MACS.items():
        print(f"  {name}: {macs / 1e6:.1f} M")
    for r in [*results, *([original] if original else [])]:
        line = f"{r['backend']}: {r['status']}, python {r.get('python')}"
        line += f", 1-min load before {r.get('load_average_before')}"
        if r.get("others_cpu_cores") is not None:
            line += f", other processes used {r['others_cpu_cores']:.2f} cores meanwhile"
        line += f", child wall {r.get('child_wall_s', 0):.0f} s"
        print(line)
        if r.get("error"):
            print(f"  error: {r['error']}")
        if r.get("versions"):
            print("  versions: " + ", ".join(f"{k} {v}" for k, v in r["versions"].items()))
        if r["status"] != "ok":
            continue
        if r["kind"] == "port":
            print(
                f"  import {r['import_s']:.1f} s; kaiser_best first decode (numba compile) "
                f"{r['kaiser_first_decode_s']:.2f} s; numpy float32 matmul on the same cores "
                f"{r['matmul_gflops']:.0f} GFLOP/s"
            )
            runs = {"network": r["network_s"], "mel": r["mel_s"]}
            runs.update({f"decode {k}": v for k, v in r["decode_s"].items()})
            runs.update({f"e2e {k}": v for k, v in r["e2e_wall_s"].items()})
            if "batch" in r:
                runs["batch"] = r["batch"]["wall_s"]
        else:
            runs = r["network_s"]
        print("  runs (s per clip): " + "; ".join(
            f"{k} " + ", ".join(f"{v:.3f}" for v in vals) for k, vals in runs.items()
        ))  # fmt: skip


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        spec = json.loads(args.spec.read_text())
        kind, _, backend = args.child.partition(":")
        return run_port_child(spec, backend) if kind == "port" else run_original_child(spec)

    start = time.perf_counter()
    info = machine_info(args.threads)
    root = find_data(args.data)
    clips, warm = select_clips(root, args.clips)
    print(
        f"sk_genre musicnn embedding benchmark: {MODEL} / {LAYER}, {len(clips)} clips from {root}"
        f" (warm-up clip {Path(warm).name}), {args.repeats} run(s) each, median reported;\n"
        f"{args.threads} thread(s) per child (affinity + OMP/MKL/TF/torch settings), CPU only, "
        f"batch_size {args.batch_size}"
    )
    heading("Machine")
    for key, value in info.items():
        print(f"{key:>13}: {value}")

    with tempfile.TemporaryDirectory(prefix="sk_genre_bench_pretrained_") as tmp:
        patches_path = Path(tmp) / "patches.npy"
        seconds, counts = _timed(make_patches, clips, patches_path)
        print(f"\npatches for the original graph: {sum(counts)} from {len(clips)} clips "
              f"({seconds:.1f} s, soxr_hq)")  # fmt: skip
        spec = {
            "clips": clips,
            "warmup": warm,
            "repeats": args.repeats,
            "threads": args.threads,
            "batch_size": args.batch_size,
            "patches": str(patches_path),
            "patch_counts": counts,
            "musicnn": None if args.musicnn is None else str(Path(args.musicnn).resolve()),
        }
        spec_path = Path(tmp) / "spec.json"
        spec_path.write_text(json.dumps(spec))
        results = []
        for backend in args.backends:
            python = args.python_for.get(backend, sys.executable)
            results.append(
                run_child(f"port:{backend}", python, spec_path, {"KERAS_BACKEND": backend})
            )
        original = run_child("original", args.tf_python, spec_path)

    summarise(results, original)
    print_port_tables(results, args)
    print_original(original, args)
    print_ratios(results, original)
    print_batch(results, args)
    print_targets(results, original, args)
    print_details(results, original)
    total = time.perf_counter() - start
    load_end = load_average()
    print(f"\ntotal benchmark time: {total:.0f} s")
    print(f"1-min load average: {info['load_average']} at start, {load_end} at end")
    others = [r["others_cpu_cores"] for r in [*results, original] if r.get("others_cpu_cores")]
    if others and max(others) > NOISY_OTHERS_CORES:
        print(
            f"WARNING: other processes used up to {max(others):.2f} of {info['cpu_affinity']} "
            "cores while a child ran: its times are pessimistic; compare with another run."
        )
    if args.json is not None:
        payload = {
            "machine": info,
            "settings": {k: v for k, v in spec.items() if k not in ("patches",)},
            "gflop_per_patch": GFLOP_PER_PATCH,
            "macs": MACS,
            "results": results,
            "original": original,
            "total_s": total,
            "load_average_end": load_end,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
