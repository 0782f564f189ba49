"""
Genre over time: a timeline of three tracks back to back
========================================================

`predict_timeline` cuts a track of any length into windows and classifies
each one, so a mix, an album side or a DJ set gets a genre per moment, not
one answer. Here the pretrained pipeline (musicnn embeddings -> logistic
regression) is trained on gtzan-mini without three tracks, which are then
joined into one 90-s file: classical, metal, hip-hop. Its 3-s windows (the
default for musicnn: its patches, back to back) should follow the three.

Without gtzan-mini (see the pretrained example) the example says so and
stops. Run time: as measured when the site is built (bottom of the page), most
of it the embeddings of the 56 training tracks.
"""

# %%
# Train without the three tracks, then join them
# ----------------------------------------------

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import soundfile as sf

from sk_genre import make_pipeline, predict_timeline
from sk_genre.datasets import get_data_home, load_audio_folder
from sk_genre.display import plot_timeline
from sk_genre.io import load_audio

DATA = get_data_home()
ROOT = None if DATA is None else DATA / "gtzan-mini"
MIX = ["classical.00000", "metal.00000", "hiphop.00005"]

if ROOT is None or not (ROOT / "manifest.csv").is_file():
    print(f"gtzan-mini not found at {ROOT or '../shared/data'}: nothing to show")
else:
    tracks = load_audio_folder(ROOT)
    train = [i for i, t in enumerate(tracks.track_ids) if t not in MIX]
    pipe = make_pipeline(features="musicnn", random_state=0)
    pipe.fit([tracks.paths[i] for i in train], tracks.target[train])

    mix = Path(tempfile.mkdtemp(prefix="sk_genre_timeline_")) / "mix.wav"
    parts = [load_audio(ROOT / t.split(".")[0] / f"{t}.ogg", sr=44100) for t in MIX]
    sf.write(mix, np.concatenate(parts), 44100)  # 44.1 kHz: read back at musicnn's 16 kHz
    print(f"{mix.name}: {sum(p.size for p in parts) / 44100:.1f} s of {', '.join(MIX)}")

    # %%
    # Per-window probabilities, raw and smoothed
    # ------------------------------------------
    # A running median over 5 windows removes single stray windows (metal's
    # few "rock" windows) and keeps the sharp changes between the tracks. The
    # track-level answer is the mean of the raw window probabilities.

    raw = predict_timeline(pipe, mix)
    smooth = predict_timeline(pipe, mix, smoothing="median")
    print("raw:     ", " ".join(g[:4] for g in raw.genre))
    print("smoothed:", " ".join(g[:4] for g in smooth.genre))
    print(f"track: {raw.track_genre} ({raw.track_proba.max():.2f})")

    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 5), sharex=True, layout="constrained", height_ratios=(3, 1)
    )
    plot_timeline(raw, ax=top, title="musicnn pipeline: genre probabilities per 3-s window")
    plot_timeline(smooth, kind="strip", ax=bottom, title="genre per window, median of 5")
    for boundary in (30.013, 60.026):
        top.axvline(boundary, color="black", lw=1, ls="--")
    plt.show()
