"""Benchmark sk_genre's feature extraction against the naive per-feature librosa reference.

What is measured
----------------
1. Per clip, one core. Every clip is decoded once with :func:`sk_genre.io.load_audio`
   (timed on its own row); then, on the decoded waveforms, per clip:

   * the naive reference: the 57 GTZAN-table values computed the way the seed
     scripts and Kaggle's feature script do, one librosa call per feature on the
     waveform (chroma_stft, rms, spectral_centroid, spectral_bandwidth,
     spectral_rolloff, zero_crossing_rate, effects.hpss, beat_track, mfcc), then
     mean and var of each;
   * ours: ``SpectralFeatureUnion(include="gtzan", verbose=0).transform([y])``,
     the public per-batch call on a batch of one waveform (the row named
     ``_features(y)`` times the internal per-clip method alone, for reference);
   * the MFCC path (decode + ``MFCCTransformer.transform([path])``), MelChunker
     on a path (decode included) and on a decoded waveform (decode excluded).

   Times are medians over clips; the first clip is a warm-up (numba compilation,
   filter banks, FFT plans) and is left out of every median. The equality table
   compares ours with the naive values on every clip (warm-up included):
   relative error ``|ours - naive| / max(|naive|, tiny)`` per column, max over clips.

2. A batch of ``--n-batch`` clips (the files repeated cyclically):
   ``SpectralFeatureUnion(include="gtzan", n_jobs=J, memory=M).fit(paths).transform(paths)``
   for J = 1 and 2, timed three ways: cold (``memory=None``: every clip decoded
   and computed), cache fill (a fresh cache folder, first pass) and cached (a
   second ``transform`` on the same folder). As the paths repeat the same files,
   the cache-fill pass computes each distinct file once and then hits the cache,
   so only "cold (no cache)" is a true cold figure; the cache speed-up is
   cold / cached.

Threads: ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and
``NUMBA_NUM_THREADS`` are set to 1 below, before numpy and librosa are imported,
so the per-clip figures are single-core for both sides (sk_genre also pins BLAS
to one thread per clip itself). Joblib workers of section 2 inherit the setting;
parallelism there is over clips.

Targets (the project rule: speed targets are ratios or budgets checked by this
script against a baseline measured in the same run, never timed test assertions):

* naive / ours per clip >= 9, and all 57 columns equal to the naive ones within 1e-4;
* decode + MFCCTransformer per path <= 50 ms; decode + MelChunker per path <= 40 ms
  (MelChunker on a decoded waveform is reported too);
* n_jobs=2 cold <= 240 s per 1000 clips (scaled to ``--n-batch``);
* cached rerun >= 20x faster than cold.

Data: ``gtzan-mini/`` (59 OGG files of 30 s at 22050 Hz, ``<genre>/<stem>.ogg``) in
``--data DIR``, else in ``$SK_GENRE_DATA``, else in ``../shared/data`` next to the
repository (as tests/conftest.py). ``DIR`` may be gtzan-mini itself or its parent.

Run from the repository root::

    .venv/bin/python benchmarks/features.py             # about 10 min on 2 cores
    .venv/bin/python benchmarks/features.py --quick     # 10 clips, batch of 100
    .venv/bin/python benchmarks/features.py --clips 20 --n-batch 200 --json out.json
"""

import os

# Before numpy/librosa/numba are imported: one thread per process for every pool.
os.environ.update(
    {
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMBA_NUM_THREADS": "1",
    }
)

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import librosa
import numpy as np
from _common import find_data, format_table, heading, load_average

import sk_genre
from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre.features import GTZAN_COLUMNS
from sk_genre.io import load_audio

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
SR = 22050
RTOL = 1e-4
TINY = np.finfo(np.float64).tiny

TARGET_RATIO = 9.0  # naive / ours, per clip
TARGET_MFCC_MS = 50.0  # decode + MFCCTransformer, per path
TARGET_MEL_MS = 40.0  # decode + MelChunker, per path (also shown beside the waveform-only row)
TARGET_COLD_S_PER_CLIP = 240.0 / 1000  # n_jobs=2, no cache
TARGET_COLD_N_JOBS = 2
TARGET_CACHE_SPEEDUP = 20.0  # cold (no cache) / cached

DEFAULT_BATCH = 1000
QUICK_CLIPS = 10
QUICK_BATCH = 100
N_JOBS = (1, 2)


# ----------------------------------------------------------------------------- setup


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark sk_genre feature extraction against naive librosa calls.",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="gtzan-mini/ or the folder holding it (default: $SK_GENRE_DATA, else ../shared/data)",
    )
    parser.add_argument(
        "--clips", type=int, default=None, help="clips for section 1 (default: all)"
    )
    parser.add_argument(
        "--n-batch", type=int, default=None, help=f"clips for section 2 (default: {DEFAULT_BATCH})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_CLIPS} clips in section 1 and {QUICK_BATCH} in section 2 "
        "(--clips / --n-batch still win)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    args = parser.parse_args(argv)
    if args.clips is None:
        args.clips = QUICK_CLIPS if args.quick else 0  # 0: all
    if args.n_batch is None:
        args.n_batch = QUICK_BATCH if args.quick else DEFAULT_BATCH
    if args.clips == 1 or args.clips < 0:
        parser.error("--clips must be >= 2 (the first clip is a warm-up) or 0 for all")
    if args.n_batch < 1:
        parser.error("--n-batch must be >= 1")
    return args


def spread(items, n):
    """``n`` items evenly spaced over ``items`` (all of them if n is 0 or too large)."""
    if n <= 0 or n >= len(items):
        return list(items)
    return [items[i] for i in np.linspace(0, len(items) - 1, n).round().astype(int)]


def machine_info():
    import joblib
    import scipy

    return {
        "cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "librosa": librosa.__version__,
        "joblib": joblib.__version__,
        "sk_genre": sk_genre.__version__,
        "threads_env": {v: os.environ.get(v) for v in THREAD_VARS},
        "load_average": load_average(),
    }


# ------------------------------------------------------------------------- reference


def naive_gtzan_row(y, sr=SR):
    """The 57 GTZAN-table values, the way the seed / Kaggle scripts compute them.

    One librosa call per feature on the waveform (each recomputes its own STFT),
    then mean and var: chroma pooled over all bins, the harmonic and percussive
    waveforms' samples, tempo as is, each MFCC row. Order: ``GTZAN_COLUMNS``.
    """
    chroma = librosa.feature.chroma_stft(y=y, sr=sr)
    rms = librosa.feature.rms(y=y)
    centroid = librosa.feature.spectral_centroid(y=y, sr=sr)
    bandwidth = librosa.feature.spectral_bandwidth(y=y, sr=sr)
    rolloff = librosa.feature.spectral_rolloff(y=y, sr=sr)
    zcr = librosa.feature.zero_crossing_rate(y)
    y_harm, y_perc = librosa.effects.hpss(y)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    mfcc = librosa.feature.mfcc(y=y, sr=sr)
    values = []
    for x in (chroma, rms, centroid, bandwidth, rolloff, zcr, y_harm, y_perc):
        values += [np.mean(x), np.var(x)]
    values.append(np.atleast_1d(tempo)[0])
    for row in mfcc:
        values += [np.mean(row), np.var(row)]
    return np.asarray(values, dtype=np.float64)


def timed(func, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - start, result


# ------------------------------------------------------------------------ section 1

#: Rows of the per-clip table: key, label, target in ms (None: no target).
PER_CLIP_ROWS = (
    ("decode", "decode: load_audio(path)", None),
    ("naive", "naive: 9 librosa calls on y (57 values)", None),
    ("ours", "ours: SpectralFeatureUnion.transform([y])", None),
    ("ours_core", "ours: ._features(y) (internal, per clip)", None),
    ("mfcc_path", "decode + MFCCTransformer.transform([path])", TARGET_MFCC_MS),
    ("mfcc_wave", "MFCCTransformer.transform([y])", None),
    ("mel_path", "decode + MelChunker.transform([path])", TARGET_MEL_MS),
    ("mel_wave", "MelChunker.transform([y]) (no decode)", TARGET_MEL_MS),
)


def bench_per_clip(paths):
    """Section 1: per-clip seconds of every row (index 0 is the warm-up), and the features.

    Also returns the CPU time / wall time of the timed loop: one thread, so well
    below 1 means other processes took the core.
    """
    times = {key: [] for key, _, _ in PER_CLIP_ROWS}
    waves = []
    for path in paths:
        seconds, y = timed(load_audio, path, sr=SR)
        times["decode"].append(seconds)
        waves.append(y)

    union = SpectralFeatureUnion(include="gtzan", verbose=0).fit(waves[:1])
    mfcc = MFCCTransformer(verbose=0).fit(paths[:1])
    mel = MelChunker(verbose=0).fit(paths[:1])
    calls = {
        "naive": lambda p, y: naive_gtzan_row(y),
        "ours": lambda p, y: union.transform([y])[0],
        "ours_core": lambda p, y: union._features(y),
        "mfcc_path": lambda p, y: mfcc.transform([p]),
        "mfcc_wave": lambda p, y: mfcc.transform([y]),
        "mel_path": lambda p, y: mel.transform([p]),
        "mel_wave": lambda p, y: mel.transform([y]),
    }
    outputs = {key: [] for key in ("naive", "ours", "ours_core")}
    wall, cpu = time.perf_counter(), time.process_time()
    for path, y in zip(paths, waves, strict=True):
        for key, call in calls.items():
            seconds, out = timed(call, path, y)
            times[key].append(seconds)
            if key in outputs:
                outputs[key].append(out)
    cpu_share = (time.process_time() - cpu) / (time.perf_counter() - wall)
    return cpu_share, times, *(np.array(outputs[key]) for key in ("naive", "ours", "ours_core"))


def column_errors(ours, naive, stems):
    """Per column: max over clips of |ours - naive| / max(|naive|, tiny), and the worst clip."""
    rel = np.abs(ours - naive) / np.maximum(np.abs(naive), TINY)
    rows = []
    for j, name in enumerate(GTZAN_COLUMNS):
        worst = int(np.argmax(rel[:, j]))
        rows.append(
            {
                "column": name,
                "max_rel_err": float(rel[worst, j]),
                "worst_clip": stems[worst],
                "ours": float(ours[worst, j]),
                "naive": float(naive[worst, j]),
                "pass": bool(rel[worst, j] <= RTOL),
            }
        )
    return rows


def summarize_times(times):
    """Median/min/max ms of each row, warm-up (index 0) excluded."""
    out = {}
    for key, label, target in PER_CLIP_ROWS:
        ms = 1000 * np.asarray(times[key][1:])
        median = float(np.median(ms))
        out[key] = {
            "label": label,
            "median_ms": median,
            "min_ms": float(ms.min()),
            "max_ms": float(ms.max()),
            "target_ms": target,
            "pass": None if target is None else bool(median <= target),
            "all_ms": [float(v) for v in 1000 * np.asarray(times[key])],
        }
    return out


# ------------------------------------------------------------------------ section 2


def bench_batch(paths, n_batch, n_jobs_list=N_JOBS):
    """Section 2: cold / cache-fill / cached wall seconds for each n_jobs."""
    batch = [paths[i % len(paths)] for i in range(n_batch)]
    rows, outputs = [], {}
    for n_jobs in n_jobs_list:
        cold_est = SpectralFeatureUnion(include="gtzan", n_jobs=n_jobs, memory=None, verbose=0)
        cold, X_cold = timed(lambda est=cold_est: est.fit(batch).transform(batch))
        with tempfile.TemporaryDirectory(prefix="sk_genre_bench_cache_") as cache:
            est = SpectralFeatureUnion(include="gtzan", n_jobs=n_jobs, memory=cache, verbose=0)
            fill, X_fill = timed(lambda est=est: est.fit(batch).transform(batch))
            cached, X_cached = timed(est.transform, batch)
        outputs[n_jobs] = X_cold
        target = TARGET_COLD_S_PER_CLIP * n_batch if n_jobs == TARGET_COLD_N_JOBS else None
        speedup = cold / cached
        rows.append(
            {
                "n_jobs": n_jobs,
                "n_clips": n_batch,
                "distinct_files": len(set(batch)),
                "cold_s": cold,
                "cache_fill_s": fill,
                "cached_s": cached,
                "cold_ms_per_clip": 1000 * cold / n_batch,
                "cold_over_cached": speedup,
                "cold_target_s": target,
                "cold_pass": None if target is None else bool(cold <= target),
                "cached_pass": bool(speedup >= TARGET_CACHE_SPEEDUP),
                "cached_equals_cold": bool(np.array_equal(X_cached, X_cold)),
                "fill_equals_cold": bool(np.array_equal(X_fill, X_cold)),
            }
        )
    jobs = sorted(outputs)
    same_across_jobs = all(np.array_equal(outputs[jobs[0]], outputs[j]) for j in jobs[1:])
    return rows, same_across_jobs


# -------------------------------------------------------------------------- printing


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def print_machine(info):
    heading("Machine")
    for key, value in info.items():
        if key == "threads_env":
            value = " ".join(f"{k}={v}" for k, v in value.items())
        print(f"{key:>13}: {value}")


def print_per_clip(summary, n_clips, ratio, ratio_core, cpu_share, errors):
    heading(f"1. Per clip, one core ({n_clips} clips; median over {n_clips - 1}, warm-up excluded)")
    rows = []
    for key, _, _ in PER_CLIP_ROWS:
        s = summary[key]
        target = "" if s["target_ms"] is None else f"<= {s['target_ms']:.0f} ms"
        rows.append(
            [
                s["label"],
                f"{s['median_ms']:.1f}",
                f"{s['min_ms']:.1f}",
                f"{s['max_ms']:.1f}",
                target,
                "" if s["pass"] is None else verdict(s["pass"]),
            ]
        )
    headers = ["measure", "median ms", "min ms", "max ms", "target", "status"]
    print(format_table(headers, rows, "lrrrrl"))
    print(
        f"\nnaive / ours (transform([y])): {ratio:.2f}x   target >= {TARGET_RATIO:g}x: "
        f"{verdict(ratio >= TARGET_RATIO)}"
    )
    print(f"naive / ours (_features(y)):   {ratio_core:.2f}x   (reference only)")
    print("decode is timed once per file and is in neither naive nor ours.")
    print(f"CPU time / wall time of the timed loop (one thread): {cpu_share:.2f}")
    if cpu_share < 0.9:
        print("WARNING: less than 90 % of a core: other processes competed; rerun when idle.")

    heading(f"Equality: ours vs naive, max relative error over {n_clips} clips (tol {RTOL:g})")
    table = [
        [e["column"], f"{e['max_rel_err']:.2e}", e["worst_clip"], verdict(e["pass"])]
        for e in errors
    ]
    print(format_table(["column", "max rel err", "worst clip", "status"], table, "lrll"))
    failing = [e["column"] for e in errors if not e["pass"]]
    answer = "yes" if not failing else f"no (failing: {', '.join(failing)})"
    print(f"\nall {len(errors)} columns within {RTOL:g}: {answer}")


def print_batch(rows, same_across_jobs):
    n = rows[0]["n_clips"]
    heading(f"2. Batch of {n} paths: fit(paths).transform(paths)")
    table = []
    for r in rows:
        target = "" if r["cold_target_s"] is None else f"<= {r['cold_target_s']:.1f} s"
        table.append(
            [
                r["n_jobs"],
                f"{r['cold_s']:.1f}",
                f"{r['cold_ms_per_clip']:.0f}",
                target,
                "" if r["cold_pass"] is None else verdict(r["cold_pass"]),
                f"{r['cache_fill_s']:.1f}",
                f"{r['cached_s']:.3f}",
                f"{r['cold_over_cached']:.1f}x",
                verdict(r["cached_pass"]),
            ]
        )
    headers = [
        "n_jobs",
        "cold s",
        "ms/clip",
        "cold target",
        "status",
        "fill s",
        "cached s",
        "cold/cached",
        f">= {TARGET_CACHE_SPEEDUP:g}x",
    ]
    print(format_table(headers, table, "rrrrlrrrl"))
    distinct = rows[0]["distinct_files"]
    repeats = "repeated cyclically" if distinct < n else "no repeats"
    print(
        f"\nNotes: the {n} paths are {distinct} distinct files ({repeats}).\n"
        "  cold   = memory=None: every clip decoded and computed; the only true cold figure.\n"
        "  fill   = fresh cache folder, first pass: computes each distinct file once, then\n"
        "           hits the cache for the repeats.\n"
        "  cached = a second transform on that folder. cold/cached = cold s / cached s.\n"
        "  n_jobs > 1 includes starting the joblib (loky) workers, their imports and numba\n"
        "  compilation (a few seconds per run); the main process is already warm.\n"
        f"  cold target: {TARGET_COLD_S_PER_CLIP * 1000:.0f} s per 1000 clips at "
        f"n_jobs={TARGET_COLD_N_JOBS}, scaled to {n} clips."
    )
    consistent = all(r["cached_equals_cold"] and r["fill_equals_cold"] for r in rows)
    print(f"cached and cache-fill outputs identical to cold: {'yes' if consistent else 'NO'}")
    print(
        f"outputs identical across n_jobs {[r['n_jobs'] for r in rows]}: "
        f"{'yes' if same_across_jobs else 'NO'}"
    )


# ------------------------------------------------------------------------------ main


def main(argv=None):
    args = parse_args(argv)
    root = find_data(args.data)
    all_paths = sorted(str(p) for p in root.glob("*/*.ogg"))
    paths = spread(all_paths, args.clips)
    start = time.perf_counter()

    info = machine_info()
    print(f"sk_genre feature benchmark: data {root} ({len(all_paths)} files)")
    print(f"section 1: {len(paths)} clips; section 2: batch of {args.n_batch}")
    print_machine(info)

    cpu_share, times, naive, ours, core = bench_per_clip(paths)
    summary = summarize_times(times)
    ratio = summary["naive"]["median_ms"] / summary["ours"]["median_ms"]
    ratio_core = summary["naive"]["median_ms"] / summary["ours_core"]["median_ms"]
    stems = [Path(p).stem for p in paths]
    errors = column_errors(ours, naive, stems)
    core_equals_ours = bool(np.array_equal(core, ours))
    print_per_clip(summary, len(paths), ratio, ratio_core, cpu_share, errors)
    if not core_equals_ours:
        print("WARNING: _features(y) differs from transform([y])")

    batch_rows, same_across_jobs = bench_batch(all_paths, args.n_batch)
    print_batch(batch_rows, same_across_jobs)

    total = time.perf_counter() - start
    n_cpus = info["cpu_affinity"] or info["cpu_count"] or 1
    print(f"\ntotal benchmark time: {total:.0f} s")
    load_end = load_average()
    print(f"1-min load average: {info['load_average']} at start, {load_end} at end")
    busy = [x for x in (info["load_average"], load_end) if x is not None and x > n_cpus + 0.5]
    if busy:
        print(
            f"WARNING: load above {n_cpus} CPUs: other processes shared the machine; "
            "timings are pessimistic, rerun on an idle machine."
        )

    if args.json is not None:
        results = {
            "machine": info,
            "data": str(root),
            "settings": {"clips": len(paths), "n_batch": args.n_batch, "quick": args.quick},
            "per_clip": {
                "clips": stems,
                "rows": summary,
                "naive_over_ours": ratio,
                "naive_over_ours_core": ratio_core,
                "target_ratio": TARGET_RATIO,
                "ratio_pass": bool(ratio >= TARGET_RATIO),
                "core_equals_transform": core_equals_ours,
                "cpu_over_wall": cpu_share,
            },
            "equality": {
                "rtol": RTOL,
                "all_pass": all(e["pass"] for e in errors),
                "columns": errors,
            },
            "batch": {"rows": batch_rows, "identical_across_n_jobs": same_across_jobs},
            "total_s": total,
            "load_average_end": load_end,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
