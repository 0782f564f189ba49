"""Property-based tests (hypothesis) of the feature transformers on arbitrary waveforms.

Hypothesis draws the transformer's parameters (``sr`` among 8000, 22050 and 44100 Hz,
``n_fft``, ``hop_length``, ``n_mels``, statistics, features, chunk durations) and a batch of
one to four clips, each with its own

* length: 1 sample up to 3 seconds, with weight on lengths shorter than ``n_fft``, around
  ``n_fft`` and ``hop_length``, and (MelChunker) shorter than one chunk;
* shape: white noise, a sine, sparse clicks, a constant (DC) or a square wave;
* dtype and amplitude: float32 and float64 with peak 0 (silence), 1e-6, 1e-3, 0.5, 1 or 10
  (beyond the [-1, 1] range, which float input may exceed), int16 with peak 0, 1 LSB,
  300 LSB or the full range (-32768 and 32767 included).

For each of MFCCTransformer, SpectralFeatureUnion and MelChunker, every example asserts:

1. ``fit`` and ``transform`` raise nothing, and every output value is finite;
2. the documented shape: ``(n_clips, len(get_feature_names_out()))`` for MFCCTransformer and
   SpectralFeatureUnion (and ``n_features_out_`` is that length); for MelChunker
   ``(n_clips, n_chunks, n_mels, n_frames)`` with ``n_chunks = 1 + floor((track_duration -
   chunk_duration) / chunk_hop)`` and ``n_frames = round(chunk_duration * sr / hop_length)``
   computed here in exact rational arithmetic from the documented formulas;
3. the documented dtype: float64 for the clip-summary transformers, float32 for MelChunker;
4. the batch (a list of clips of different lengths and dtypes) equals, bit for bit, the
   transforms of its clips one at a time, and a 2-D array ``(n_clips, n_samples)`` equals the
   list of its rows;
5. (MelChunker) a clip shorter than one chunk (fewer than ``n_frames * hop_length``
   samples) gets identical chunks (the documented zero-padding rule).

A separate property asserts that an int16 clip gives bit-identical features to the same clip
converted to float by ``x / 32768`` (float64 and float32), as the input scaling documents.
One regression test pins the SpectralFeatureUnion check that ``"contrast"`` needs
``sr > 12800`` (found by these properties: before, ``include="all"`` at 8 kHz crashed in
``transform`` with librosa's ``ParameterError``).
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sk_genre import MelChunker, MFCCTransformer, SpectralFeatureUnion
from sk_genre.features._spectral import FEATURES
from sk_genre.features._summary import STATISTICS

pytestmark = [
    # librosa's warnings for degenerate input (silence, a few samples, mel bands narrower
    # than an FFT bin): expected here, and the outputs are still checked to be finite
    pytest.mark.filterwarnings("ignore:Trying to estimate tuning from empty frequency set"),
    pytest.mark.filterwarnings("ignore:Empty filters detected in mel frequency basis"),
]

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SRS = (8000, 22050, 44100)
MAX_SECONDS = 3
KINDS = ("noise", "sine", "clicks", "constant", "square")
FLOAT_PEAKS = (0.5, 0.0, 1e-6, 1e-3, 1.0, 10.0)
INT16_PEAKS = (32768, 0, 1, 300)  # 32768 * (+1) is clipped to 32767, * (-1) gives -32768


# ---------------------------------------------------------------- strategies


def _shape(kind, n_samples, sr, rng):
    """A waveform of peak <= 1 (float64)."""
    t = np.arange(n_samples) / sr
    if kind == "noise":
        return rng.uniform(-1.0, 1.0, n_samples)
    if kind in ("sine", "square"):
        wave = np.sin(2 * np.pi * rng.uniform(20.0, 0.45 * sr) * t + rng.uniform(0, 2 * np.pi))
        return wave if kind == "sine" else np.sign(wave)
    if kind == "clicks":
        y = np.zeros(n_samples)
        where = rng.integers(0, n_samples, size=max(1, n_samples // 2000))
        y[where] = rng.choice([-1.0, 1.0], size=where.size)
        return y
    return np.full(n_samples, rng.choice([-1.0, 1.0]))  # constant (DC)


@st.composite
def clip(draw, sr, special_lengths=(), dtypes=("float32", "float64", "int16")):
    """One 1-D waveform at ``sr`` Hz; see the module docstring for what varies."""
    n_samples = draw(
        st.one_of(
            st.sampled_from([n for n in special_lengths if n >= 1] or [1]),
            st.integers(1, 64),
            st.integers(1, 4096),
            st.integers(1, MAX_SECONDS * sr),
        )
    )
    kind = draw(st.sampled_from(KINDS))
    dtype = draw(st.sampled_from(dtypes))
    seed = draw(st.integers(0, 2**32 - 1))
    y = _shape(kind, n_samples, sr, np.random.default_rng(seed))
    if dtype == "int16":
        peak = draw(st.sampled_from(INT16_PEAKS))
        return np.clip(np.round(peak * y), -32768, 32767).astype(np.int16)
    return (draw(st.sampled_from(FLOAT_PEAKS)) * y).astype(dtype)


def clips(sr, special_lengths=()):
    """A batch of one to four clips (lengths and dtypes differ from clip to clip)."""
    return st.lists(clip(sr, special_lengths), min_size=1, max_size=4)


def subset(names):
    """A non-empty tuple of distinct names, in drawn order."""
    return st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True).map(tuple)


def frame_lengths(n_fft, hop_length):
    """Lengths (in samples) where framing changes: around n_fft and hop_length."""
    return [n_fft - 1, n_fft, n_fft + 1, hop_length - 1, hop_length, hop_length + 1]


# ---------------------------------------------------------------- shared assertions


def check_batch(transformer, batch, expected_shape, dtype):
    """Properties 1-4 for one batch; returns the transformed batch."""
    X = transformer.fit(batch).transform(batch)
    assert X.shape == expected_shape
    assert X.dtype == dtype
    assert np.isfinite(X).all()
    for row, y in zip(X, batch, strict=True):
        np.testing.assert_array_equal(transformer.transform([y]), row[np.newaxis])
    # the 2-D array form (n_clips, n_samples): two copies of the first clip
    twice = np.stack([batch[0], batch[0]])
    np.testing.assert_array_equal(transformer.fit(twice).transform(twice), X[[0, 0]])
    return X


# ---------------------------------------------------------------- MFCCTransformer


@st.composite
def mfcc_params(draw):
    sr = draw(st.sampled_from(SRS))
    n_mels = draw(st.sampled_from([16, 40, 128]))
    return dict(
        sr=sr,
        n_mels=n_mels,
        n_mfcc=draw(st.integers(1, min(20, n_mels))),
        n_fft=draw(st.sampled_from([256, 512, 1024, 2048])),
        hop_length=draw(st.sampled_from([64, 128, 256, 512])),
        fmin=draw(st.sampled_from([0.0, 30.0])),
        fmax=draw(st.sampled_from([None, sr / 4, sr / 2])),
        stats=draw(subset(sorted(STATISTICS))),
    )


@SETTINGS
@given(data=st.data())
def test_mfcc_properties(data):
    params = data.draw(mfcc_params(), label="params")
    special = frame_lengths(params["n_fft"], params["hop_length"])
    batch = data.draw(clips(params["sr"], special), label="clips")
    mfcc = MFCCTransformer(**params, verbose=0)
    names = mfcc.get_feature_names_out()
    assert len(names) == params["n_mfcc"] * len(params["stats"])
    check_batch(mfcc, batch, (len(batch), len(names)), np.float64)
    assert mfcc.n_features_out_ == len(names)


# ---------------------------------------------------------------- SpectralFeatureUnion


@st.composite
def union_params(draw):
    n_mels = draw(st.sampled_from([32, 128]))
    return dict(
        include=draw(st.one_of(st.just("all"), st.just("gtzan"), subset(list(FEATURES)))),
        stats=draw(subset(sorted(STATISTICS))),
        sr=draw(st.sampled_from(SRS)),
        n_fft=draw(st.sampled_from([512, 1024, 2048])),
        hop_length=draw(st.sampled_from([128, 256, 512])),
        n_mels=n_mels,
        n_mfcc=draw(st.integers(1, min(20, n_mels))),
        hpss_kernel=draw(st.sampled_from([3, 31])),
    )


def has_contrast(include):
    return include == "all" or (include != "gtzan" and "contrast" in include)


@SETTINGS
@given(data=st.data())
def test_union_properties(data):
    params = data.draw(union_params(), label="params")
    special = frame_lengths(params["n_fft"], params["hop_length"])
    batch = data.draw(clips(params["sr"], special), label="clips")
    union = SpectralFeatureUnion(**params, verbose=0)
    if has_contrast(params["include"]) and params["sr"] <= 12800:
        with pytest.raises(ValueError, match="contrast"):
            union.fit(batch)  # a clear error at fit, not librosa's ParameterError per clip
        return
    names = union.get_feature_names_out()
    assert len(set(names)) == len(names)
    check_batch(union, batch, (len(batch), len(names)), np.float64)
    assert union.n_features_out_ == len(names)


@pytest.mark.parametrize("include", ["all", ("chroma", "contrast")])
def test_union_contrast_needs_sr_above_12800(include):
    X = np.zeros((1, 4000), dtype=np.float32)
    with pytest.raises(ValueError, match=r"sr must be > 12800 Hz .*'contrast'.*got 8000"):
        SpectralFeatureUnion(include=include, sr=8000, verbose=0).fit(X)
    # without contrast, 8 kHz works; 16 kHz works with it
    without = tuple(n for n in FEATURES if n != "contrast")
    assert np.isfinite(
        SpectralFeatureUnion(include=without, sr=8000, verbose=0).fit_transform(X)
    ).all()
    assert np.isfinite(
        SpectralFeatureUnion(include=include, sr=16000, verbose=0).fit_transform(X)
    ).all()


# ---------------------------------------------------------------- MelChunker


@st.composite
def mel_params(draw):
    """Durations are multiples of 1/20 s, kept exact (Fraction) for the expected shape."""
    sr = draw(st.sampled_from(SRS))
    chunk = Fraction(draw(st.integers(1, 20)), 20)  # 0.05 ... 1 s
    track = chunk + Fraction(draw(st.integers(0, 40)), 20)  # ... 3 s
    hop = Fraction(draw(st.integers(1, 20)), 20)
    params = dict(
        sr=sr,
        n_mels=draw(st.sampled_from([8, 16, 40])),
        n_fft=draw(st.sampled_from([256, 512, 1024, 2048])),
        hop_length=draw(st.sampled_from([64, 128, 256, 512])),
        fmin=draw(st.sampled_from([0.0, 30.0])),
        fmax=draw(st.sampled_from([None, sr / 4, sr / 2])),
        chunk_duration=float(chunk),
        chunk_hop=float(hop),
        track_duration=float(track),
    )
    return params, (chunk, hop, track)


@SETTINGS
@given(data=st.data())
def test_mel_chunker_properties(data):
    params, (chunk, hop, track) = data.draw(mel_params(), label="params")
    sr, hop_length = params["sr"], params["hop_length"]
    # the documented formulas, exactly
    n_chunks = 1 + math.floor((track - chunk) / hop)
    n_frames = round(chunk * sr / hop_length)
    one_chunk = n_frames * hop_length  # fewer samples: at most n_frames frames (centred STFT)
    special = [*frame_lengths(params["n_fft"], hop_length), one_chunk - 1, one_chunk]
    special += [math.floor(chunk * sr), math.floor(track * sr)]
    batch = data.draw(clips(sr, special), label="clips")
    chunker = MelChunker(**params, verbose=0)
    X = check_batch(chunker, batch, (len(batch), n_chunks, params["n_mels"], n_frames), np.float32)
    assert (chunker.n_chunks_, chunker.n_frames_) == (n_chunks, n_frames)
    assert chunker.n_features_out_ == n_chunks * params["n_mels"] * n_frames
    for y, chunks in zip(batch, X, strict=True):
        if y.shape[0] < one_chunk:  # shorter than one chunk: zero-padded, chunks coincide
            for other in chunks[1:]:
                np.testing.assert_array_equal(other, chunks[0])


# ---------------------------------------------------------------- int16 input


TRANSFORMERS = {
    "mfcc": lambda sr: MFCCTransformer(sr=sr, n_mfcc=13, stats=("mean", "std", "max")),
    "union": lambda sr: SpectralFeatureUnion(sr=sr, include="all" if sr > 12800 else "gtzan"),
    "mel": lambda sr: MelChunker(
        sr=sr, n_mels=40, chunk_duration=0.5, chunk_hop=0.25, track_duration=2.0
    ),
}


@pytest.mark.parametrize("name", list(TRANSFORMERS))
@SETTINGS
@given(data=st.data())
def test_int16_equals_float_scaled_by_32768(name, data):
    sr = data.draw(st.sampled_from(SRS), label="sr")
    pcm = data.draw(clip(sr, [1, 2047, 2048, 2049], dtypes=("int16",)), label="pcm")
    transformer = TRANSFORMERS[name](sr).set_params(verbose=0)
    expected = transformer.transform([pcm])
    assert np.isfinite(expected).all()
    np.testing.assert_array_equal(transformer.transform([pcm.astype(np.float64) / 32768]), expected)
    np.testing.assert_array_equal(transformer.transform([pcm / np.float32(32768)]), expected)


def test_union_contrast_needs_an_fft_bin_per_band():
    union = SpectralFeatureUnion(include=("contrast",), n_fft=16, hop_length=8, verbose=0)
    with pytest.raises(ValueError, match=r"n_fft must be >= sr / 200 \(111 at sr=22050\).*got 16"):
        union.fit(np.zeros((1, 4096), np.float32))
    X = union.set_params(n_fft=128, hop_length=64).fit_transform(np.zeros((1, 4096), np.float32))
    assert np.isfinite(X).all()
