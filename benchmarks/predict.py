"""Time genre prediction: one 3-min track in a warm process, a batched CLI run, cold start.

What is measured
----------------
Models: trained in this run on ``gtzan-mini`` (59 real GTZAN tracks, 30 s, OGG at 22050 Hz;
``--quick``: 1 per genre) with ``random_state=0`` and saved with :func:`joblib.dump` to a
temporary folder, as ``sk-genre train`` saves them:

* ``default``: ``sk_genre.make_pipeline()`` (MFCC mean/std -> StandardScaler ->
  ``DenseClassifier``, the baseline preset);
* ``logistic``: ``make_pipeline(model="logistic")`` (the same MFCCs, logistic regression), for
  comparison;
* ``pretrained``: ``make_pipeline(features="musicnn")`` (MSD musicnn embeddings, 3-s patches
  at 16 kHz -> StandardScaler -> logistic regression).

1. **One 3-min track, warm process.** The track: the first file of 6 genres (blues, classical,
   country, disco, hiphop, jazz) decoded with :func:`sk_genre.io.load_audio` at 22050 Hz,
   concatenated (about 180 s) and written as a 16-bit PCM mono WAV at ``--track-sr`` Hz
   (default 22050) with soundfile. Each model is timed in a child process: ``default`` and
   ``logistic`` pinned to 1 CPU (``os.sched_setaffinity``; ``OMP_NUM_THREADS``,
   ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``, ``NUMBA_NUM_THREADS`` = 1 and
   ``XLA_FLAGS=--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1`` set in the
   child's environment, before numpy or JAX is imported), ``pretrained`` on 2 CPUs (the same
   variables = 2, no XLA flag: XLA sizes its pool from the affinity mask). GPUs are hidden.
   In the child: ``joblib.load(model)``, one untimed warm-up ``model.predict_proba([track])``
   (numba and XLA compile, musicnn weights load), then ``--repeats`` timed calls (default 5):
   the MEDIAN wall time is the figure (CPU time of the calls beside it). The breakdown is
   timed with the building blocks the pipeline calls, without changing library code, the same
   number of times (medians):

   * decode: ``load_audio(track, sr=<feature step's sr>, res_type=<its res_type>)``;
   * features: ``model[0].transform([y])`` for MFCC; ``patches(log_mel(y))``
     (:mod:`sk_genre.pretrained`) for musicnn;
   * musicnn network: ``model[0].transform([y])`` minus the features stage (network on the
     patches in batches of 16 + pooling), musicnn only;
   * classifier: ``model[1:].predict_proba(X)`` (scaler + model).

   The breakdown's probabilities are checked to equal ``predict_proba([track])``'s.
2. **Batched CLI against one process per file.** ``--n-files`` files (default 100: the 59
   gtzan-mini tracks, then copies of them, in a temporary folder) classified by the
   ``--cli-model`` (default ``default``) through ONE
   ``sk-genre predict MODEL FOLDER --format jsonl --quiet`` process, against
   ``sk-genre predict MODEL FILE`` processes, one per file (what classifying files one call
   at a time costs). Separate processes cost several seconds each, so ``--n-separate`` of them
   (default 10, the first files) are timed and their mean x ``--n-files`` is the per-file
   total: printed as an extrapolation from that many calls. This part runs after part 3, so
   both sides find the files and Python modules in the OS cache. Checked: exit status 0
   everywhere, one JSON line per file (keys ``path`` and ``genre`` read), and
   the batched genres of the timed files equal ``model.predict`` of the same files in this
   process. Both sides run with this process's environment (all CPUs), as a user runs them.
3. **Cold start.** Wall time of fresh processes (median of ``--cold-repeats``, default 5):
   ``sk-genre --help`` (the CLI module and argparse only), ``python -c "import sk_genre"``,
   ``python -c "import sk_genre.models"`` (Keras and its backend), and
   ``python -c "import joblib; joblib.load(MODEL)"`` for the ``default`` and ``pretrained``
   models; then, in one process, the seconds of ``import sk_genre.cli``,
   ``import sk_genre.models`` and ``joblib.load(MODEL)`` after them, and
   ``python -X importtime`` of ``import sk_genre.cli, joblib; joblib.load(MODEL)``: the 5
   imports with the largest cumulative time, and the 5 packages with the largest summed self
   time of their modules (additive: the shares add up to the total). The first
   ``predict_proba`` of part 1 (after ``joblib.load``) is listed beside them: a
   ``sk-genre predict`` call pays it too (compilation, musicnn weights).

Timings on a shared machine are noisy: the 1-min load average is printed before each step.

Targets (printed with "met" / "not met"; nothing is adjusted, no timed assertion anywhere):
``default`` <= 1 s per 3-min track on 1 core; ``pretrained`` <= 3 s per 3-min track on 2 cores
(about 170 GFLOP of network); the batched CLI >= 5x faster in total than one process per file.

Run from the repository root::

    .venv/bin/python benchmarks/predict.py              # about 10 min on 2 idle cores
    .venv/bin/python benchmarks/predict.py --quick      # < 3 min: smoke test
    .venv/bin/python benchmarks/predict.py --n-separate 100 --json predict.json
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import (
    available_cpus,
    dist_versions,
    find_data,
    format_table,
    heading,
    load_average,
)
from _common import (
    seconds_text as _s,
)

RESULT_PREFIX = "SK_GENRE_PREDICT_RESULT "
CHILD_TIMEOUT_S = 1800
TRACK_GENRES = ("blues", "classical", "country", "disco", "hiphop", "jazz")
MODELS = {
    "default": {"features": "mfcc", "model": None},
    "logistic": {"features": "mfcc", "model": "logistic"},
    "pretrained": {"features": "musicnn", "model": None},
}
TRACK_THREADS = {"default": 1, "logistic": 1, "pretrained": 2}
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
ONE_CORE_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
QUICK = {"train_per_genre": 1, "repeats": 3, "n_files": 20, "n_separate": 2, "cold_repeats": 1}
FULL = {"train_per_genre": None, "repeats": 5, "n_files": 100, "n_separate": 10, "cold_repeats": 5}
TOP_IMPORTS = 5

# Targets
TARGET_DEFAULT_S = 1.0  # one 3-min track, warm, 1 core, default pipeline
TARGET_PRETRAINED_S = 3.0  # one 3-min track, warm, 2 cores, musicnn pipeline
TARGET_BATCH_SPEEDUP = 5.0  # per-file processes total / one batched process


# ----------------------------------------------------------------------------- setup


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Time genre prediction: a 3-min track warm, batched CLI vs per-file "
        "processes, cold start."
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK['train_per_genre']} training tracks per genre, "
        f"{QUICK['repeats']} repeats, {QUICK['n_files']} files, {QUICK['n_separate']} separate "
        f"calls, {QUICK['cold_repeats']} cold-start repeats (explicit options still win)",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="timed calls on the 3-min track (5)"
    )
    parser.add_argument(
        "--n-files", type=int, default=None, help="files through the batched CLI (100)"
    )
    parser.add_argument(
        "--n-separate",
        type=int,
        default=None,
        help="per-file processes actually timed; their mean is scaled to --n-files (10)",
    )
    parser.add_argument(
        "--cold-repeats", type=int, default=None, help="runs of each cold-start command (5)"
    )
    parser.add_argument(
        "--cli-model",
        choices=tuple(MODELS),
        default="default",
        help="model of the batched-CLI comparison (default)",
    )
    parser.add_argument(
        "--track-sr",
        type=int,
        default=22050,
        help="sampling rate in Hz of the 3-min WAV (22050, gtzan-mini's own; 44100 adds the "
        "resampling a CD-rate file costs)",
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
    preset = QUICK if args.quick else FULL
    for name in ("repeats", "n_files", "n_separate", "cold_repeats"):
        if getattr(args, name) is None:
            setattr(args, name, preset[name])
    args.train_per_genre = preset["train_per_genre"]
    if min(args.repeats, args.n_files, args.n_separate, args.cold_repeats) < 1:
        parser.error("--repeats, --n-files, --n-separate and --cold-repeats must be >= 1")
    if args.n_separate > args.n_files:
        parser.error(f"--n-separate must be <= --n-files ({args.n_files}); got {args.n_separate}")
    if not 1000 <= args.track_sr <= 192000:
        parser.error(f"--track-sr must be in 1000..192000 Hz; got {args.track_sr}")
    return args


def child_env(threads):
    """This process's environment with every thread pool sized to ``threads``; GPUs hidden."""
    env = dict(os.environ)
    for var in THREAD_VARS:
        env[var] = str(threads)
    if threads == 1:
        env["XLA_FLAGS"] = ONE_CORE_XLA_FLAGS
    env["CUDA_VISIBLE_DEVICES"] = ""
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


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


def machine_info():
    return {
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(available_cpus()),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "load_average": load_average(),
    }


def median(values):
    return statistics.median(values) if values else None


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


def emit(result):
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


def tracks_by_genre(root):
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    return {d.name: sorted(d.glob("*.ogg")) for d in folders}


def training_set(root, per_genre):
    """Paths and genres: every gtzan-mini track, or the first ``per_genre`` of each genre."""
    paths, genres = [], []
    for genre, files in tracks_by_genre(root).items():
        for path in files[:per_genre]:
            paths.append(str(path))
            genres.append(genre)
    return paths, genres


def make_track(root, path, sr):
    """Write the 3-min WAV: the first file of each of TRACK_GENRES, end to end; its length in s."""
    import numpy as np
    import soundfile as sf

    from sk_genre.io import load_audio

    by_genre = tracks_by_genre(root)
    missing = [g for g in TRACK_GENRES if not by_genre.get(g)]
    if missing:
        sys.exit(f"error: gtzan-mini has no {', '.join(missing)} file for the 3-min track")
    sources = [str(by_genre[g][0]) for g in TRACK_GENRES]
    y = np.concatenate([load_audio(p, sr=22050) for p in sources])
    if sr != 22050:
        import librosa

        y = librosa.resample(y, orig_sr=22050, target_sr=sr, res_type="soxr_hq")
    sf.write(path, np.clip(y, -1.0, 1.0), sr, subtype="PCM_16")
    return len(y) / sr, sources


def train_models(paths, genres, folder):
    """Fit every model of MODELS on the tracks, save it; {name: {path, fit_s, pipe}}."""
    import joblib

    from sk_genre import make_pipeline

    n_jobs = min(2, len(available_cpus()))
    out = {}
    for name, recipe in MODELS.items():
        print(f"training {name} on {len(paths)} tracks ...", flush=True)
        pipe = make_pipeline(**recipe, n_jobs=n_jobs, random_state=0)
        seconds, _ = _timed(pipe.fit, paths, genres)
        pipe.set_params(features__n_jobs=None)  # saved as make_pipeline(**recipe) makes it
        model_path = Path(folder) / f"{name}.joblib"
        joblib.dump(pipe, model_path)
        out[name] = {"path": str(model_path), "fit_s": seconds, "pipe": pipe}
    return out


# ------------------------------------------------------------------- child: 3-min track


def run_track_child(spec):
    """Time ``predict_proba([track])`` and its stages in this (pinned) process; emit JSON."""
    threads = spec["threads"]
    if hasattr(os, "sched_setaffinity"):  # before numpy, numba or JAX start a thread
        os.sched_setaffinity(0, available_cpus()[:threads])
    result = {"kind": "track", "name": spec["name"], "threads": threads}
    result["cpus"] = len(available_cpus())
    import_s, _ = _timed(__import__, "sk_genre.models")
    import joblib
    import keras
    import numpy as np

    import sk_genre
    from sk_genre.io import load_audio

    result.update(import_s=import_s, sk_genre=sk_genre.__version__)
    result["keras_backend"] = keras.backend.backend()
    result["versions"] = dist_versions(["keras", "jax", "jaxlib", "numpy", "scikit-learn"])
    track, repeats = spec["track"], spec["repeats"]
    result["load_s"], model = _timed(joblib.load, spec["model"])
    start_cpu = time.process_time()
    result["first_call_s"], reference = _timed(model.predict_proba, [track])
    result["first_call_cpu_s"] = time.process_time() - start_cpu

    wall, cpu = [], []
    for _ in range(repeats):
        cpu0 = time.process_time()
        dt, proba = _timed(model.predict_proba, [track])
        cpu.append(time.process_time() - cpu0)
        wall.append(dt)
        if not np.allclose(proba, reference):
            return emit({**result, "status": "failed", "error": "predict_proba changed"})

    step = model[0]
    is_musicnn = type(step).__name__ == "MusicnnEmbedding"
    if is_musicnn:
        from sk_genre.pretrained import log_mel, patches
    sr = 16000 if is_musicnn else step.sr
    res_type = getattr(step, "res_type", "soxr_hq")
    stages = {"decode": [], "features": [], "network": [], "classifier": []}
    same = True
    for _ in range(repeats):
        dt, y = _timed(load_audio, track, sr=sr, res_type=res_type)
        stages["decode"].append(dt)
        if is_musicnn:
            stages["features"].append(_timed(lambda y=y: patches(log_mel(y)))[0])
            dt, X = _timed(step.transform, [y])
            stages["network"].append(max(0.0, dt - stages["features"][-1]))
        else:
            dt, X = _timed(step.transform, [y])
            stages["features"].append(dt)
        dt, proba = _timed(model[1:].predict_proba, X)
        stages["classifier"].append(dt)
        same = same and bool(np.allclose(proba, reference, atol=1e-6))
    if not is_musicnn:
        del stages["network"]
    result.update(
        status="ok",
        audio_s=len(y) / sr,
        sr=sr,
        model_repr=repr(model[-1]),
        feature_step=type(step).__name__,
        wall_s=wall,
        cpu_s=cpu,
        stages_s=stages,
        breakdown_matches=same,
        classes=[str(c) for c in model.classes_],
        proba=[float(p) for p in reference[0]],
    )
    return emit(result)


def run_child(name, spec, tmp, threads):
    """Run one track child; its result dict (status "failed" with stderr's tail if it crashed)."""
    spec_path = Path(tmp) / f"spec-{name}.json"
    spec_path.write_text(json.dumps({**spec, "name": name, "threads": threads}))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "track"]
    cmd += ["--spec", str(spec_path)]
    load = load_average()
    print(f"timing {name} on {threads} CPU(s); 1-min load average {load} ...", flush=True)
    base = {"kind": "track", "name": name, "threads": threads, "load_average_before": load}
    try:
        proc = subprocess.run(
            cmd,
            env=child_env(threads),
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {**base, "status": "failed", "error": "timeout"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            return {**base, **json.loads(line[len(RESULT_PREFIX) :])}
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-5:]
    return {**base, "status": "failed", "error": f"exit {proc.returncode}: " + " | ".join(tail)}


# -------------------------------------------------------------------- batched CLI part


def cli_command():
    """The ``sk-genre`` entry point of this interpreter's environment, else ``-m sk_genre.cli``."""
    script = Path(sys.executable).parent / "sk-genre"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "sk_genre.cli"]


def batched_command(cli, model, folder):
    """One ``sk-genre predict`` process for every file of ``folder``, JSON lines on stdout."""
    return [*cli, "predict", model, str(folder), "--format", "jsonl", "--quiet"]


def per_file_command(cli, model, path):
    """One ``sk-genre predict`` process for one file (one call per file)."""
    return [*cli, "predict", model, str(path)]


def parse_batched(stdout):
    """{path: genre} of the batched run's JSON lines (non-JSON lines are ignored)."""
    out = {}
    for line in stdout.splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "path" in row and "genre" in row:
            out[str(Path(row["path"]).resolve())] = str(row["genre"])
    return out


def make_folder(root, folder, n_files):
    """``n_files`` files in ``folder``: gtzan-mini's tracks, then copies (``.copyN``) of them."""
    sources = [p for files in tracks_by_genre(root).values() for p in files]
    folder.mkdir()
    paths = []
    for i in range(n_files):
        src = sources[i % len(sources)]
        copy = i // len(sources)
        name = src.name if copy == 0 else f"{src.stem}.copy{copy}{src.suffix}"
        dst = folder / src.parent.name / name
        dst.parent.mkdir(exist_ok=True)
        shutil.copyfile(src, dst)
        paths.append(dst)
    return paths


def _run_timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S, check=False)
    return time.perf_counter() - start, proc


def run_cli_part(args, root, tmp, model_info):
    """Time one batched process against per-file processes; a result dict."""
    folder = Path(tmp) / "files"
    paths = make_folder(root, folder, args.n_files)
    cli, model = cli_command(), model_info["path"]
    result = {"model": args.cli_model, "n_files": len(paths), "command": cli}
    result["n_separate"] = args.n_separate
    print(f"batched: {len(paths)} files in one process; load {load_average()} ...", flush=True)
    cmd = batched_command(cli, model, folder)
    shown = {model: "MODEL", str(folder): "FOLDER"}
    result["batched_command"] = " ".join(shown.get(a, a) for a in cmd[len(cli) :])
    result["batched_s"], proc = _run_timed(cmd)
    result["batched_exit"] = proc.returncode
    genres = parse_batched(proc.stdout)
    result["batched_rows"] = len(genres)
    if proc.returncode != 0 or not genres:
        result["batched_stderr"] = proc.stderr.strip().splitlines()[-5:]

    print(f"per file: {args.n_separate} processes; load {load_average()} ...", flush=True)
    separate, exits = [], []
    for path in paths[: args.n_separate]:
        dt, proc = _run_timed(per_file_command(cli, model, path))
        separate.append(dt)
        exits.append(proc.returncode)
    result.update(separate_s=separate, separate_exits=exits)

    timed = [str(p.resolve()) for p in paths[: args.n_separate]]
    expected = model_info["pipe"].predict(timed)
    result["agree"] = sum(genres.get(p) == str(g) for p, g in zip(timed, expected, strict=True))
    ok = result["batched_exit"] == 0 and len(genres) == len(paths) and not any(exits)
    result["status"] = "ok" if ok else "failed"
    return result


# ----------------------------------------------------------------------- cold start part


IMPORT_PROBE = """
import json, sys, time
t0 = time.perf_counter(); import sk_genre.cli
t1 = time.perf_counter(); import sk_genre.models, joblib
t2 = time.perf_counter(); joblib.load(sys.argv[1])
t3 = time.perf_counter()
print(json.dumps({"import sk_genre.cli": t1 - t0, "import sk_genre.models": t2 - t1,
                  "joblib.load(MODEL) after imports": t3 - t2}))
"""


def import_times(stderr):
    """Rows (self us, cumulative us, depth, module) of ``python -X importtime`` output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        try:
            own, cumulative, name = line[len("import time:") :].split("|", 2)
            depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
            rows.append((int(own), int(cumulative), depth, name.strip()))
        except ValueError:
            continue
    return rows


def run_cold_part(args, models):
    py = sys.executable
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "TF_CPP_MIN_LOG_LEVEL": "2"}
    commands = {
        "sk-genre --help": [*cli_command(), "--help"],
        'python -c "import sk_genre"': [py, "-c", "import sk_genre"],
        'python -c "import sk_genre.models"': [py, "-c", "import sk_genre.models"],
    }
    for name in ("default", "pretrained"):
        code = f"import joblib; joblib.load({models[name]['path']!r})"
        commands[f'python -c "import joblib; joblib.load({name})"'] = [py, "-c", code]
    result = {"wall_s": {}, "exits": {}}
    print(f"cold start: {len(commands)} commands x {args.cold_repeats}; load {load_average()}")
    for label, cmd in commands.items():
        runs, exits = [], set()
        for _ in range(args.cold_repeats):
            start = time.perf_counter()
            proc = subprocess.run(cmd, capture_output=True, env=env, timeout=600, check=False)
            runs.append(time.perf_counter() - start)
            exits.add(proc.returncode)
        result["wall_s"][label], result["exits"][label] = runs, sorted(exits)

    split = {}
    for name in ("default", "pretrained"):
        runs = []
        for _ in range(args.cold_repeats):
            proc = subprocess.run(
                [py, "-c", IMPORT_PROBE, models[name]["path"]],
                capture_output=True,
                text=True,
                env=env,
                timeout=600,
                check=False,
            )
            try:
                runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            except (IndexError, json.JSONDecodeError):
                continue
        split[name] = {k: median([r[k] for r in runs]) for k in (runs[0] if runs else {})}
    result["in_process_s"] = split

    code = f"import sk_genre.cli, joblib; joblib.load({models['default']['path']!r})"
    proc = subprocess.run(
        [py, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    rows = import_times(proc.stderr)
    top = sorted(rows, key=lambda r: -r[1])[:TOP_IMPORTS]
    result["importtime_total_s"] = sum(r[1] for r in rows if r[2] == 0) / 1e6
    result["importtime_top_cumulative"] = [[r[3], r[2], r[1] / 1e6] for r in top]
    packages = {}
    for own_us, _, _, name in rows:
        package = name.split(".")[0]
        packages[package] = packages.get(package, 0) + own_us / 1e6
    ranked = sorted(packages.items(), key=lambda kv: -kv[1])[:TOP_IMPORTS]
    result["importtime_top_packages"] = [list(kv) for kv in ranked]
    return result


# ------------------------------------------------------------------------------ report


def verdict(ok):
    return "met" if ok else "not met"


def print_track(results, track_s, args):
    heading(f"1. One {track_s:.0f}-s track, warm process: model.predict_proba([track]), seconds")
    rows = []
    for r in results:
        if r["status"] != "ok":
            rows.append([r["name"], r["threads"], r["status"], *["-"] * 8])
            continue
        st = {k: median(v) for k, v in r["stages_s"].items()}
        total = sum(st.values())
        rows.append(
            [r["name"], r["threads"], _s(median(r["wall_s"])), _s(median(r["cpu_s"])),
             _s(min(r["wall_s"])), _s(st["decode"]), _s(st["features"]),
             _s(st.get("network")), _s(st["classifier"]), _s(total), _s(r["first_call_s"])]
        )  # fmt: skip
    headers = [
        "model", "CPUs", "wall (median)", "CPU", "wall (min)", "decode", "features",
        "musicnn net", "classifier", "sum of stages", "1st call",
    ]  # fmt: skip
    print(format_table(headers, rows, "lrrrrrrrrrr"))
    print(
        f"median of {args.repeats} timed calls after one warm-up call (1st call: that warm-up,\n"
        "after joblib.load; numba/XLA compile there). Stages (medians of as many runs): decode =\n"
        "load_audio; features = MFCC transform, or log_mel + patches for musicnn; musicnn net =\n"
        "the embedding transform minus its features stage; classifier = scaler + model.\n"
        f"Track: {args.track_sr} Hz 16-bit mono WAV."
    )
    for r in results:
        if r["status"] != "ok":
            print(f"  {r['name']}: {r['status']}: {r.get('error', '')}")
            continue
        top = max(range(len(r["proba"])), key=r["proba"].__getitem__)
        print(
            f"  {r['name']}: {r['feature_step']} -> {r['model_repr']}; keras backend "
            f"{r['keras_backend']}; import {r['import_s']:.1f} s, joblib.load "
            f"{r['load_s']:.2f} s; answer {r['classes'][top]} {r['proba'][top]:.2f}; "
            f"breakdown gives the same probabilities: {r['breakdown_matches']}; "
            f"1-min load before {r['load_average_before']}"
        )
        print("    runs (wall s): " + ", ".join(f"{v:.3f}" for v in r["wall_s"]))


def cli_figures(c):
    if c.get("status") != "ok" and not c.get("separate_s"):
        return None
    per_file = statistics.mean(c["separate_s"])
    total = per_file * c["n_files"]
    return per_file, total, total / c["batched_s"]


def print_cli(c):
    heading(f"2. {c['n_files']} files: one batched 'sk-genre predict' against one process per file")
    if "batched_s" not in c:
        print(f"not run: {c.get('error', c.get('status'))}")
        return
    fig = cli_figures(c)
    n, k = c["n_files"], c["n_separate"]
    rows = [
        ["one process, all files", _s(c["batched_s"]), _s(c["batched_s"] / n), c["batched_exit"]],
    ]
    if fig is not None:
        per_file, total, _ = fig
        exits = ",".join(str(e) for e in sorted(set(c["separate_exits"])))
        label = f"{n} processes, one per file" + (f" (EXTRAPOLATED from {k})" if k < n else "")
        rows.append([label, _s(total), _s(per_file), exits])
    print(format_table(["run", "total s", "s per file", "exit"], rows, "lrrr"))
    print(
        f"model {c['model']}; batched: sk-genre {c['batched_command']};\n"
        f"per file: sk-genre predict MODEL FILE, {k} timed"
        + (f", mean x {n} files (linear extrapolation)" if k < n else "")
        + " (modules and files already in the OS cache).\n"
        f"Batched output: {c['batched_rows']} JSON line(s) for {n} files; batched genre = "
        f"model.predict in this process for {c.get('agree', 0)} of the {k} timed files."
    )
    if c.get("batched_stderr"):
        print("  batched stderr: " + " | ".join(c["batched_stderr"]))
    if fig is not None:
        print(f"speed-up: {fig[2]:.1f}x (per-file total / batched total)")


def print_cold(cold, track):
    heading("3. Cold start (fresh processes), seconds")
    rows = [
        [label, _s(median(runs)), _s(min(runs)), ",".join(map(str, cold["exits"][label]))]
        for label, runs in cold["wall_s"].items()
    ]
    print(format_table(["command", "wall (median)", "wall (min)", "exit"], rows, "lrrr"))
    split = cold["in_process_s"]
    if split:
        names = list(split)
        keys = list(next(iter(split.values())))
        rows = [[k, *(_s(split[n].get(k)) for n in names)] for k in keys]
        first = {r["name"]: r.get("first_call_s") for r in track}
        rows.append(["1st predict_proba, 3-min track (part 1)", *(_s(first.get(n)) for n in names)])
        print()
        print(format_table(["in one process (median)", *names], rows, "l" + "r" * len(names)))
    print(
        f"\npython -X importtime -c 'import sk_genre.cli, joblib; joblib.load(default)': "
        f"{cold['importtime_total_s']:.2f} s of imports; top {TOP_IMPORTS} cumulative:"
    )
    rows = [[name, depth, _s(s)] for name, depth, s in cold["importtime_top_cumulative"]]
    print(format_table(["module", "depth", "cumulative s"], rows, "lrr"))
    total = cold["importtime_total_s"]
    top = cold["importtime_top_packages"]
    rows = [[name, _s(s), f"{100 * s / total:.0f} %"] for name, s in top]
    print(f"top {TOP_IMPORTS} packages by the self time of all their modules (additive):")
    print(format_table(["package", "self s", "share"], rows, "lrr"))
    print(dominant(cold, track))


def dominant(cold, track):
    """Lines: per model, the largest part of import + ``joblib.load``, and the first call."""
    first = {r["name"]: r.get("first_call_s") for r in track}
    lines = []
    for name, split in cold["in_process_s"].items():
        if not split:
            lines.append(f"what dominates ({name}): unknown (the in-process probe failed)")
            continue
        total = sum(split.values())
        part, seconds = max(split.items(), key=lambda kv: kv[1])
        line = (
            f"what dominates import + load ({name}): {part}, {seconds:.2f} s of "
            f"{total:.2f} s ({100 * seconds / total:.0f} %)"
        )
        if first.get(name) is not None:
            line += f"; the first predict_proba (3-min track) then adds {first[name]:.2f} s"
        lines.append(line)
    return "\n".join(lines)


def print_targets(track, cli):
    heading("Targets")
    by_name = {r["name"]: r for r in track}
    lines = []
    targets = (("default", TARGET_DEFAULT_S, 1), ("pretrained", TARGET_PRETRAINED_S, 2))
    for name, target, cpus in targets:
        label = f"<= {target:g} s per 3-min track, warm, {cpus} CPU(s): {name}"
        r = by_name.get(name)
        if r is None or r["status"] != "ok":
            lines.append((label, "not measured", r.get("error", "") if r else "not run"))
            continue
        wall = median(r["wall_s"])
        note = f"{wall:.3f} s (CPU {median(r['cpu_s']):.3f} s)"
        if r["cpus"] != cpus:
            note += f"; ran on {r['cpus']} CPU(s)"
        lines.append((label, verdict(wall <= target), note))
    label = f">= {TARGET_BATCH_SPEEDUP:g}x faster: one batched CLI run vs one process per file"
    fig = cli_figures(cli)
    if fig is None or cli.get("status") != "ok":
        lines.append((label, "not measured", cli.get("error", "batched run failed (see above)")))
    else:
        extra = ""
        if cli["n_separate"] < cli["n_files"]:
            extra = f", extrapolated from {cli['n_separate']}"
        note = f"{fig[2]:.1f}x ({_s(fig[1])} s vs {_s(cli['batched_s'])} s{extra})"
        lines.append((label, verdict(fig[2] >= TARGET_BATCH_SPEEDUP), note))
    print(format_table(["target", "result", "measured"], lines, "lll"))


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items() if k != "pipe"}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        return run_track_child(json.loads(args.spec.read_text()))

    start = time.perf_counter()
    info = machine_info()
    root = find_data(args.data)
    print(
        f"sk_genre prediction benchmark: gtzan-mini from {root}; {args.repeats} timed calls per "
        f"model, {args.n_files} files through the CLI ({args.n_separate} separate calls timed), "
        f"{args.cold_repeats} cold-start runs per command"
    )
    heading("Machine")
    for key, value in info.items():
        print(f"{key:>13}: {value}")
    versions = dist_versions(["keras", "jax", "jaxlib", "numpy", "scikit-learn", "librosa"])
    print(f"{'versions':>13}: " + ", ".join(f"{k} {v}" for k, v in versions.items()))

    with tempfile.TemporaryDirectory(prefix="sk_genre_bench_predict_") as tmp:
        track = Path(tmp) / "track.wav"
        track_s, sources = make_track(root, track, args.track_sr)
        print(f"\n3-min track: {track_s:.1f} s from " + ", ".join(Path(s).name for s in sources))
        paths, genres = training_set(root, args.train_per_genre)
        models = train_models(paths, genres, tmp)
        spec = {"track": str(track), "repeats": args.repeats}
        n_cpus = len(available_cpus())
        results = [
            run_child(name, {**spec, "model": m["path"]}, tmp, min(TRACK_THREADS[name], n_cpus))
            for name, m in models.items()
        ]
        cold = run_cold_part(args, models)
        cli = run_cli_part(args, root, tmp, models[args.cli_model])

    print_track(results, track_s, args)
    print_cli(cli)
    print_cold(cold, results)
    print_targets(results, cli)
    loads = [info["load_average"], *(r.get("load_average_before") for r in results)]
    loads = [v for v in [*loads, load_average()] if v is not None]
    if loads and max(loads) > 0.5 * len(available_cpus()):
        print(
            f"\nNOTE: the 1-min load average reached {max(loads)} on {len(available_cpus())} "
            "CPU(s) during the run: other work shared the CPUs, the times above are inflated "
            "(compare wall with CPU); rerun on an idle machine for figures to quote."
        )
    fits = ", ".join(f"{n} {m['fit_s']:.0f} s" for n, m in models.items())
    print(
        f"\ntrained on {len(paths)} gtzan-mini tracks ({fits}); whole run "
        f"{time.perf_counter() - start:.0f} s; 1-min load average at the end {load_average()}"
    )
    if args.json is not None:
        out = {
            "machine": info,
            "versions": versions,
            "track_s": track_s,
            "track_sources": sources,
            "train_tracks": len(paths),
            "fit_s": {n: m["fit_s"] for n, m in models.items()},
            "track": results,
            "cli": _jsonable(cli),
            "cold": cold,
        }
        args.json.write_text(json.dumps(out, indent=2))
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
