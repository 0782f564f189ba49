"""
Waveform, mel spectrogram and what the CNN sees
===============================================

`sk_genre.display.plot_waveform` and `plot_mel_spectrogram` draw a clip,
given as a file path or a waveform; `MelChunker` cuts its log-mel spectrogram
into the fixed-size chunks the seed CNN classifies, and `plot_chunks` draws
them. Like `librosa.display`, each draws on the Axes it is given, else on the
current pyplot Axes.

GTZAN audio is not shipped with sk_genre (copyright), so the clip here is
**synthetic**: eight seconds of a bass line, a melody and a drum pattern made
of sine tones and noise bursts at 120 BPM. It looks like music in a
spectrogram and is nothing like a real recording to a classifier. With GTZAN
audio, pass a path instead: `plot_waveform("blues/blues.00000.ogg")`.
Run time: as measured when the site is built (bottom of the page).
"""

# %%
# A synthetic clip
# ----------------

import matplotlib.pyplot as plt
import numpy as np

from sk_genre import MelChunker
from sk_genre.display import plot_chunks, plot_mel_spectrogram, plot_waveform

SR = 22050
BEAT = 0.5  # seconds per beat: 120 BPM
rng = np.random.default_rng(0)


def note(freq, seconds, harmonics=4, decay=3.0):
    """A plucked tone: a few harmonics under an exponential decay."""
    t = np.arange(int(seconds * SR)) / SR
    tone = sum(np.sin(2 * np.pi * k * freq * t) / k**1.5 for k in range(1, harmonics + 1))
    return tone * np.exp(-decay * t)


def hit(seconds, low=None):
    """A drum hit: a falling low sine (kick) or a short noise burst (hi-hat)."""
    t = np.arange(int(seconds * SR)) / SR
    if low is not None:
        return np.sin(2 * np.pi * low * t * np.exp(-8 * t)) * np.exp(-12 * t)
    return rng.standard_normal(t.size) * np.exp(-60 * t)


n_beats = 16
clip = np.zeros(int(n_beats * BEAT * SR))
scale = 220 * 2 ** (np.array([0, 2, 4, 7, 9, 12]) / 12)  # A major pentatonic
for beat in range(n_beats):
    start = int(beat * BEAT * SR)
    bass = note(55 * (1.5 if beat // 4 % 2 else 1.0), BEAT, harmonics=3, decay=4.0)
    clip[start : start + bass.size] += 0.8 * bass
    for half in (0, 1):  # melody in eighth notes
        s = start + int(half * BEAT / 2 * SR)
        tone = note(rng.choice(scale), BEAT / 2, decay=6.0)
        clip[s : s + tone.size] += 0.4 * tone
    drum = hit(BEAT, low=120) if beat % 2 == 0 else hit(BEAT / 2)
    clip[start : start + drum.size] += 0.6 * drum
clip = (0.5 * clip / np.abs(clip).max()).astype(np.float32)
print(f"clip: {clip.size} samples, {clip.size / SR:.1f} s at {SR} Hz")

# %%
# Waveform and log-mel spectrogram
# --------------------------------
# The spectrogram is in dB relative to the clip's loudest cell: the bass
# harmonics sit at the bottom, the melody's notes in the middle, and the
# noise bursts of the hi-hat are the vertical lines between the kicks.

fig, (ax_wave, ax_mel) = plt.subplots(
    2, 1, figsize=(10, 7), layout="constrained", height_ratios=(1, 1.6)
)
plot_waveform(clip, sr=SR, ax=ax_wave, title="Waveform (synthetic clip)")
plot_mel_spectrogram(clip, sr=SR, ax=ax_mel, title="Log-mel spectrogram (synthetic clip)")
plt.show()

# %%
# The CNN's input: log-mel chunks
# -------------------------------
# `MelChunker` returns one row per clip: `(n_clips, n_chunks, n_mels,
# n_frames)`. Chunks last 4 s; their number is fixed by `track_duration`
# (30 s for GTZAN gives 14 chunks every 2 s). For this 8-s clip we ask for 3
# chunks every 2 s. The CNN classifies each chunk and averages the chunks'
# probabilities per track, so the chunks of a track are never split between
# training and test.

chunker = MelChunker(track_duration=8.0, verbose=0)
chunks = chunker.fit_transform([clip])
print("MelChunker output:", chunks.shape, "(clips, chunks, mel bands, frames)")
print("values in dB:", f"{chunks.min():.1f} .. {chunks.max():.1f}")

plt.figure(figsize=(10, 3.2), layout="constrained")
plot_chunks(chunks[0], chunk_duration=chunker.chunk_duration, chunk_hop=chunker.chunk_hop)
plt.show()

# %%
# The plots of an evaluation are scikit-learn style Displays in
# `sk_genre.evaluation`: the confusion matrix and the accuracy per genre
# (`GenreConfusionMatrixDisplay`, `GenreAccuracyDisplay`) are drawn in the
# *quick start* example, the loss and accuracy curves
# (`TrainingCurveDisplay`) in *the seed networks, reproduced*.
# `save_evaluation_plots` and `sk_genre.display.save_audio_plots` write them
# as PNG files, as `sk-genre evaluate MODEL DATA --plots DIR` does.
