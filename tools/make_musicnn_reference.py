"""Make ``tests/data/musicnn_reference.npz``: outputs of the ORIGINAL musicnn TensorFlow graph.

The file lets the tests prove that sk_genre's Keras 3 port of musicnn equals the original model,
without TensorFlow. This script is run once, by hand, in a throwaway TensorFlow environment
outside the repository (TensorFlow is never a dependency of sk_genre)::

    python3 -m venv /tmp/tfenv
    /tmp/tfenv/bin/pip install tensorflow-cpu librosa==0.11.0 resampy soundfile numpy
    /tmp/tfenv/bin/python tools/make_musicnn_reference.py \\
        --wheel /path/to/musicnn-0.1.0-py3-none-any.whl \\
        --data ../shared/data/gtzan-mini --out tests/data/musicnn_reference.npz

(from the repository root; add ``--timing`` to also print the CPU time per patch). It unpacks
the model folders of the musicnn 0.1.0 wheel (ISC licence) to a temporary folder, runs the stored
graphs through ``tools/musicnn_original.py`` and prints sanity checks (finite outputs, top-3 tags
per clip, batch of 1 against batch of 20).

Inputs: for the 10 GTZAN tracks ``<genre>/<genre>.00000.ogg``, musicnn's input is computed as
``musicnn.extractor.batch_data`` does (16 kHz, 512-point FFT, hop 256, 96 mel bands,
``log10(10000 * mel + 1)``, non-overlapping 187-frame patches from frame 0), with two deliberate
changes:

- the log is taken in float32; the wheel casts the mel to float16 first, where ``10000 * x``
  overflows to inf for loud frames;
- ``pad_mode="reflect"``: the librosa of 2019 that musicnn was trained with padded the STFT by
  reflection; librosa 0.11 pads with zeros by default.

Audio is decoded with ``librosa.load(path, sr=16000, res_type="kaiser_best")`` (resampy, the
resampler musicnn was trained with). The first 2 patches of each clip are kept (20 in all).

Contents of the npz: ``inputs`` float32 (20, 187, 96); ``clip`` (20,) stems; ``patch`` (20,)
patch index within the clip; for M in MSD_musicnn, MTT_musicnn: ``M/taggram`` (20, 50),
``M/penultimate`` (20, 200), ``M/mean_pool`` (20, 753), ``M/max_pool`` (20, 753), float32, all
from one batch of 20; and 0-d strings ``tensorflow_version``, ``librosa_version``,
``resampy_version``.
"""

from __future__ import annotations

import argparse
import ast
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
GENRES = (
    "blues",
    "classical",
    "country",
    "disco",
    "hiphop",
    "jazz",
    "metal",
    "pop",
    "reggae",
    "rock",
)
MODELS = ("MSD_musicnn", "MTT_musicnn")
LABELS = {"MSD_musicnn": "MSD_LABELS", "MTT_musicnn": "MTT_LABELS"}
OUTPUTS = ("taggram", "penultimate", "mean_pool", "max_pool")
SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
N_FRAMES = 187
PATCHES_PER_CLIP = 2


def musicnn_input(path: Path) -> np.ndarray:
    """Log-mel patches (n, 187, 96) of one file, as musicnn's batch_data (see module doc)."""
    import librosa

    audio, sr = librosa.load(path, sr=SR, res_type="kaiser_best")
    mel = librosa.feature.melspectrogram(
        y=audio, sr=sr, hop_length=HOP, n_fft=N_FFT, n_mels=N_MELS, pad_mode="reflect"
    ).T
    rep = np.log10(10000 * mel.astype(np.float32) + 1)
    starts = range(0, rep.shape[0] - N_FRAMES + 1, N_FRAMES)
    return np.stack([rep[t : t + N_FRAMES] for t in starts]).astype(np.float32)


def unpack_wheel(wheel: Path, dest: Path) -> tuple[Path, dict[str, list[str]]]:
    """Extract the musicnn model folders; return their parent and the label lists."""
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if any(name.startswith(f"musicnn/{m}/") for m in MODELS):
                zf.extract(name, dest)
        config = zf.read("musicnn/configuration.py").decode()
    labels = {}
    for node in ast.parse(config).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            labels[node.targets[0].id] = node.value
    return dest / "musicnn", {m: ast.literal_eval(labels[LABELS[m]]) for m in MODELS}


def time_per_patch(model_dir: Path, patches: np.ndarray, threads: int | None) -> float:
    from musicnn_original import OriginalMusicnn

    with OriginalMusicnn(str(model_dir), threads, threads) as net:
        net.run(patches)  # warm-up
        reps = []
        for _ in range(10):
            t0 = time.perf_counter()
            net.run(patches)
            reps.append(time.perf_counter() - t0)
    return min(reps) / len(patches)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, required=True, help="musicnn-0.1.0 wheel file")
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared/data/gtzan-mini")
    parser.add_argument("--out", type=Path, default=REPO / "tests/data/musicnn_reference.npz")
    parser.add_argument("--timing", action="store_true", help="print CPU time per patch")
    args = parser.parse_args(argv)

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import librosa
    import resampy
    import tensorflow as tf
    from musicnn_original import OriginalMusicnn

    tf.compat.v1.logging.set_verbosity(tf.compat.v1.logging.ERROR)

    inputs, clips, patch_idx = [], [], []
    for genre in GENRES:
        stem = f"{genre}.00000"
        all_patches = musicnn_input(args.data / genre / f"{stem}.ogg")
        if genre == GENRES[0]:
            one_clip = all_patches[:10]  # one 30-s clip = 10 patches, for --timing
        patches = all_patches[:PATCHES_PER_CLIP]
        inputs.append(patches)
        clips += [stem] * len(patches)
        patch_idx += list(range(len(patches)))
    x = np.concatenate(inputs)
    clip = np.array(clips)
    out: dict[str, np.ndarray] = {
        "inputs": x,
        "clip": clip,
        "patch": np.array(patch_idx, dtype=np.int64),
        "tensorflow_version": np.array(tf.__version__),
        "librosa_version": np.array(librosa.__version__),
        "resampy_version": np.array(resampy.__version__),
    }
    assert np.isfinite(x).all(), "non-finite inputs"
    print(f"inputs {x.shape}, range [{x.min():.3f}, {x.max():.3f}]")

    with tempfile.TemporaryDirectory() as tmp:
        root, labels = unpack_wheel(args.wheel, Path(tmp))
        for model in MODELS:
            with OriginalMusicnn(str(root / model)) as net:
                res = net.run(x)
                single = [net.run(x[i : i + 1]) for i in range(len(x))]
            for key in OUTPUTS:
                assert np.isfinite(res[key]).all(), f"non-finite {model}/{key}"
                out[f"{model}/{key}"] = res[key]
            diff = {
                k: float(np.abs(np.concatenate([s[k] for s in single]) - res[k]).max())
                for k in OUTPUTS
            }
            print(f"\n{model}: max |batch of 1 - batch of 20|: {diff}")
            for stem in dict.fromkeys(clips):
                mean = res["taggram"][clip == stem].mean(axis=0)
                top = np.argsort(mean)[::-1][:3]
                print(f"  {stem:16s}", ", ".join(f"{labels[model][i]} {mean[i]:.2f}" for i in top))
            if args.timing:
                for threads in (1, None):
                    t = time_per_patch(root / model, one_clip, threads)
                    n = len(one_clip)
                    print(
                        f"  {threads or 'default'} thread(s): {1000 * t:.1f} ms/patch (batch {n})"
                    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **out)
    print(f"\nwrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
