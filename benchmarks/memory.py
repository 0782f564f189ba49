"""Peak memory of decoding and of every feature step on long, multi-channel files.

What is measured
----------------
Files are built in a temporary folder from gtzan-mini audio (each 30-s track
resampled from 22050 Hz with soxr, channel ``c`` of piece ``k`` is track
``k + c``, so the channels differ), written block by block:

* ``hour_44k_stereo.wav``: 60 minutes, 44100 Hz, 2 channels, 16-bit PCM (635 MB);
* ``hour_44k_stereo.mp3``: the same as MP3 (libsndfile's LAME encoder, about 90 s to
  write; ``--no-mp3`` leaves it out);
* ``ten_min_6ch_48k.wav``: 10 minutes, 48000 Hz, 6 channels, 16-bit PCM;
* ``clip_44k_stereo.wav``: 30 s, 44100 Hz, 2 channels (decode speed).

Each step runs in a fresh Python process (``benchmarks/memory.py --child STEP FILE``)
that imports what the step needs and records its resident memory then (**imports**),
runs the step once on the 30-s clip and records its resident memory again (the
**baseline**: numba compilation, FFT plans and caches are then loaded), runs the step on
the long file, and reports the peak resident memory of the whole process (**peak**,
``ru_maxrss``) and ``peak - baseline``: what the long file costs. Steps:

* ``old decode``: the decoding before block-wise reading, for the ratio:
  ``soundfile.read`` of the whole file (all channels, float32), ``mean(axis=1)``,
  ``librosa.resample(..., res_type="soxr_hq")`` of the whole mono signal;
* ``load_audio``: ``sk_genre.io.load_audio(path, sr=22050)`` (block-wise decode, mix-down
  and ``soxr.ResampleStream``);
* ``MFCCTransformer``, ``MelChunker``, ``SpectralFeatureUnion`` (``include="all"``) and
  ``SpectralFeatureUnion(include="gtzan")``: ``fit_transform([path])``, defaults,
  ``verbose=0``;
* ``predict_timeline``: :func:`sk_genre.predict_timeline` of an MFCC + logistic
  pipeline (30-s windows every 15 s, streamed: the file is never held whole);
* ``load_audio 16 kHz`` (musicnn's rate) and, with ``--musicnn``, ``MusicnnEmbedding``
  (its baseline includes Keras and the backend).

Speed of short files: the read path before (``old decode``) and after
(``sk_genre.io._read_soundfile``, load_audio without its header checks) on the 30-s
stereo 44.1 kHz clip and on a 30-s gtzan-mini OGG (22050 Hz mono: no resampling),
median of 15 alternating calls after a warm-up, in one child; the ratio after / before
is printed (no target: a check that block-wise reading costs short files nothing).

Target: ``peak - baseline`` <= 500 MB for every step on the 60-minute stereo files. The
whole-process peak cannot be <= 500 MB while a step holds the decoded waveform: Python
with sk_genre's imports is about 160 MB resident and an hour of float32 at 22050 Hz is
318 MB (docs/input.md, "Long files and memory"). ``old decode`` is the reference, not
a target.

Run from the repository root::

    .venv/bin/python benchmarks/memory.py                 # about 15 min on 2 cores
    .venv/bin/python benchmarks/memory.py --minutes 10 --no-mp3   # quicker
    .venv/bin/python benchmarks/memory.py --json memory.json
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import find_data, format_table, heading, load_average

SR = 22050
TARGET_MB = 500.0
FEATURE_STEPS = (
    "MFCCTransformer",
    "MelChunker",
    "SpectralFeatureUnion",
    "SpectralFeatureUnion_gtzan",
)


# ----------------------------------------------------------------------------- files


def _tracks(root):
    return sorted(str(p) for p in Path(root).glob("*/*.ogg"))


def build_file(path, tracks, *, minutes, sr, channels, format="WAV", subtype="PCM_16"):
    """Write ``minutes`` of gtzan-mini music at ``sr`` Hz with ``channels`` channels; seconds."""
    import numpy as np
    import soundfile as sf
    import soxr

    start = time.perf_counter()
    n_pieces = int(np.ceil(minutes * 2))  # 30-s tracks
    cache = {}

    def track(i):
        if i not in cache:
            for old in [j for j in cache if j < i - channels]:
                del cache[old]
            y, native = sf.read(tracks[i % len(tracks)], dtype="float32")
            cache[i] = soxr.resample(y, native, sr, quality="soxr_hq").astype(np.float32)
        return cache[i]

    total = int(round(minutes * 60 * sr))
    written = 0
    with sf.SoundFile(path, "w", sr, channels, format=format, subtype=subtype) as f:
        for k in range(n_pieces):
            parts = [track(k + c) for c in range(channels)]
            n = min(min(len(p) for p in parts), total - written)
            if n <= 0:
                break
            f.write(0.9 * np.stack([p[:n] for p in parts], axis=1))
            written += n
    return time.perf_counter() - start


def build_files(folder, root, *, minutes, mp3):
    """The test files (see the module docstring): name -> (path, description, build seconds)."""
    tracks = _tracks(root)
    folder = Path(folder)
    specs = [
        (
            "hour_44k_stereo.wav",
            f"{minutes:g} min, 44100 Hz, stereo WAV",
            minutes,
            44100,
            2,
            "WAV",
            "PCM_16",
        ),
        (
            "ten_min_6ch_48k.wav",
            f"{minutes / 6:g} min, 48000 Hz, 6-channel WAV",
            minutes / 6,
            48000,
            6,
            "WAV",
            "PCM_16",
        ),
        ("clip_44k_stereo.wav", "30 s, 44100 Hz, stereo WAV", 0.5, 44100, 2, "WAV", "PCM_16"),
    ]
    if mp3:
        specs.insert(
            1,
            (
                "hour_44k_stereo.mp3",
                f"{minutes:g} min, 44100 Hz, stereo MP3",
                minutes,
                44100,
                2,
                "MP3",
                "MPEG_LAYER_III",
            ),
        )
    files = {}
    for name, text, mins, sr, channels, fmt, subtype in specs:
        path = folder / name
        print(f"building {name} ({text}) ...", flush=True)
        seconds = build_file(
            path, tracks, minutes=mins, sr=sr, channels=channels, format=fmt, subtype=subtype
        )
        files[name] = {
            "path": str(path),
            "description": text,
            "build_s": round(seconds, 1),
            "bytes": path.stat().st_size,
        }
    files["gtzan_ogg"] = {
        "path": tracks[0],
        "description": "30 s, 22050 Hz, mono OGG (gtzan-mini)",
        "build_s": 0.0,
        "bytes": os.path.getsize(tracks[0]),
    }
    return files


# ----------------------------------------------------------------------------- child


def old_decode(path, sr=SR):
    """Decoding before block-wise reading: whole file, all channels, then mean and resample."""
    import librosa
    import numpy as np
    import soundfile as sf

    data, native = sf.read(path, dtype="float32", always_2d=True)
    y = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    del data
    if native != sr:
        y = librosa.resample(y, orig_sr=native, target_sr=sr, res_type="soxr_hq")
    return np.ascontiguousarray(y, dtype=np.float32)


def _maxrss_mb():
    """Peak resident memory of this process so far, MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _rss_mb():
    """Resident memory of this process now, MB (Linux: /proc/self/statm)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def make_step(step):
    """The callable of ``step`` (a path -> output)."""
    import numpy as np

    from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
    from sk_genre.io import load_audio

    if step == "old decode":
        return old_decode
    if step == "load_audio":
        return lambda path: load_audio(path, sr=SR)
    if step == "load_audio 16 kHz":
        return lambda path: load_audio(path, sr=16000)
    if step == "predict_timeline":
        from sk_genre import make_pipeline, predict_timeline

        # any fitted MFCC pipeline will do for memory: two made-up genres of 30-s noise
        noise = np.random.default_rng(0).standard_normal((2, 30 * SR)).astype(np.float32)
        pipe = make_pipeline(model="logistic").fit([0.1 * noise[0], 0.01 * noise[1]], ["a", "b"])
        return lambda path: predict_timeline(pipe, path).proba
    if step == "MusicnnEmbedding":
        from sk_genre.pretrained import MusicnnEmbedding

        est = MusicnnEmbedding(verbose=0)
        est.fit_transform(np.zeros((1, 16000 * 4), dtype=np.float32))  # build the network
    else:
        est = {
            "MFCCTransformer": MFCCTransformer,
            "MelChunker": MelChunker,
            "SpectralFeatureUnion": SpectralFeatureUnion,
            "SpectralFeatureUnion_gtzan": lambda verbose: SpectralFeatureUnion(
                include="gtzan", verbose=verbose
            ),
        }[step](verbose=0)
    return lambda path: est.fit_transform([path])


def child(step, path, warmup):
    """Run one step in this (fresh) process; print a JSON line with the peaks.

    ``imports_mb``: resident memory after the imports; ``baseline_mb``: resident
    memory after also running the step once on ``warmup`` (a 30-s file: numba
    compilation, FFT plans and caches are then in the baseline); ``peak_mb``: the
    peak of the whole process (``ru_maxrss``) after the step on ``path``.
    """
    import numpy as np

    import sk_genre  # noqa: F401
    import sk_genre.features  # noqa: F401

    func = make_step(step)
    imports = _rss_mb()
    func(warmup)
    baseline = _rss_mb()
    start = time.perf_counter()
    out = func(path)
    seconds = time.perf_counter() - start
    assert np.isfinite(out).all()
    result = {
        "imports_mb": imports,
        "baseline_mb": baseline,
        "peak_mb": _maxrss_mb(),
        "seconds": seconds,
        "shape": list(np.shape(out)),
    }
    print(json.dumps(result))


def speed(paths, repeats=15):
    """Median seconds per short file of the read path before and after (warm-up excluded).

    ``new``: ``sk_genre.io._read_soundfile`` (block-wise decode, mix-down and
    resample: load_audio without its header checks); ``old``: :func:`old_decode`;
    ``load_audio``: the whole of ``load_audio`` (with its checks). The calls
    alternate, so load from other processes affects both alike.
    """
    import numpy as np

    from sk_genre.io import _read_soundfile, load_audio

    funcs = {
        "new": lambda p: _read_soundfile(p, 0.0, None, sr=SR)[0],
        "old": old_decode,
        "load_audio": lambda p: load_audio(p, sr=SR),
    }
    result = {}
    for path in paths.split(os.pathsep):
        times = {name: [] for name in funcs}
        for _ in range(repeats + 1):
            for name, func in funcs.items():
                t = time.perf_counter()
                func(path)
                times[name].append(time.perf_counter() - t)
        row = {name: float(np.median(t[1:])) for name, t in times.items()}
        a, b = load_audio(path, sr=SR), old_decode(path)
        row["equal"] = bool(a.shape == b.shape and np.array_equal(a, b))
        result[os.path.basename(path)] = row
    return result


def run_child(step, path, warmup=None):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    proc = subprocess.run(
        [sys.executable, __file__, "--child", step, str(path)]
        + ([] if warmup is None else ["--warmup", str(warmup)]),
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        return {
            "error": proc.stderr.strip().splitlines()[-1]
            if proc.stderr.strip()
            else f"exit {proc.returncode}"
        }
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- main


def plan(files, musicnn):
    """(file key, step) pairs, in order."""
    steps = [
        ("hour_44k_stereo.wav", s)
        for s in (
            "old decode",
            "load_audio",
            *FEATURE_STEPS,
            "load_audio 16 kHz",
            "predict_timeline",
        )
    ]
    if musicnn:
        steps.append(("hour_44k_stereo.wav", "MusicnnEmbedding"))
    if "hour_44k_stereo.mp3" in files:
        steps += [
            ("hour_44k_stereo.mp3", s) for s in ("old decode", "load_audio", "MFCCTransformer")
        ]
    steps += [
        ("ten_min_6ch_48k.wav", s)
        for s in ("old decode", "load_audio", "MFCCTransformer", "MelChunker")
    ]
    return steps


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="gtzan-mini/ or its parent (default: $SK_GENRE_DATA, else ../shared/data)",
    )
    parser.add_argument(
        "--minutes", type=float, default=60.0, help="length of the long stereo files (default: 60)"
    )
    parser.add_argument(
        "--no-mp3", action="store_true", help="leave out the MP3 (about 90 s to encode)"
    )
    parser.add_argument(
        "--musicnn", action="store_true", help="also MusicnnEmbedding (imports Keras)"
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="build the files in DIR and keep them",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="write results")
    parser.add_argument("--warmup", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", nargs=2, metavar=("STEP", "FILE"), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.child:
        if args.child[0] == "speed":
            print(json.dumps(speed(args.child[1])))
        else:
            child(*args.child, warmup=args.warmup)
        return 0
    root = find_data(args.data)
    with tempfile.TemporaryDirectory(prefix="sk_genre_memory_") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        files = build_files(folder, root, minutes=args.minutes, mp3=not args.no_mp3)
        rows = []
        for key, step in plan(files, args.musicnn):
            print(f"{key}: {step} ...", end=" ", flush=True)
            result = run_child(
                step, files[key]["path"], warmup=files["clip_44k_stereo.wav"]["path"]
            )
            if "error" in result:
                print(f"error: {result['error']}", flush=True)
            else:
                print(
                    f"peak {result['peak_mb']:.0f} MB, baseline {result['baseline_mb']:.0f} MB, "
                    f"{result['seconds']:.1f} s",
                    flush=True,
                )
            rows.append({"file": key, "step": step, **result})
        speed_paths = os.pathsep.join(
            files[k]["path"] for k in ("clip_44k_stereo.wav", "gtzan_ogg")
        )
        speeds = run_child("speed", speed_paths)

    heading("Machine")
    info = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "load_average": load_average(),
    }
    for k, v in info.items():
        print(f"{k:>13}: {v}")
    heading("Files")
    print(
        format_table(
            ["file", "what", "MB", "built in s"],
            [
                [k, f["description"], f"{f['bytes'] / 1e6:.0f}", f["build_s"]]
                for k, f in files.items()
            ],
            "llrr",
        )
    )

    heading("Peak resident memory (MB), one fresh process per step")
    print(
        f"target: peak - baseline <= {TARGET_MB:g} MB on the long stereo files; baseline = "
        "after the imports and one warm-up call on the 30-s clip\n"
    )
    old = {r["file"]: r.get("peak_mb") for r in rows if r["step"] == "old decode"}
    table = []
    for r in rows:
        if "error" in r:
            table.append([r["file"], r["step"], "", "", "", "", "", "", f"error: {r['error']}"])
            continue
        above = r["peak_mb"] - r["baseline_mb"]
        target = r["file"].startswith("hour_44k_stereo") and r["step"] != "old decode"
        r["above_mb"] = above
        r["pass"] = bool(above <= TARGET_MB) if target else None
        ratio = (
            ""
            if r["step"] == "old decode" or not old.get(r["file"])
            else f"{r['peak_mb'] / old[r['file']]:.2f}"
        )
        table.append(
            [
                r["file"],
                r["step"],
                f"{r['imports_mb']:.0f}",
                f"{r['baseline_mb']:.0f}",
                f"{r['peak_mb']:.0f}",
                f"{above:.0f}",
                ratio,
                f"{r['seconds']:.1f}",
                "" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL"),
            ]
        )
    print(
        format_table(
            [
                "file",
                "step",
                "imports",
                "baseline",
                "peak",
                "peak - baseline",
                "peak / old decode",
                "s",
                "status",
            ],
            table,
            "llrrrrrrl",
        )
    )

    heading("Short files: read path before / after (median of 15 alternating calls, seconds)")
    if "error" in speeds:
        print(f"error: {speeds['error']}")
    else:
        print(
            format_table(
                ["file", "old s", "new s", "new / old", "identical"],
                [
                    [
                        k,
                        f"{v['old']:.4f}",
                        f"{v['new']:.4f}",
                        f"{v['new'] / v['old']:.2f}",
                        v["equal"],
                    ]
                    for k, v in speeds.items()
                ],
                "lrrrl",
            )
        )

    if args.json:
        args.json.write_text(
            json.dumps({"machine": info, "files": files, "steps": rows, "speed": speeds}, indent=2)
        )
    return 0 if all(r.get("pass") is not False and "error" not in r for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
