"""The one-pass kernels equal the librosa computations they replace.

They replicate librosa 0.11's operation order, which librosa 1.0 keeps: bit-identical on
those lines, within the documented 1e-4 on any other (:func:`assert_equal_to_librosa`).
"""

import librosa
import numpy as np
import pytest

from sk_genre.features._kernels import hpss_stfts, istft, spectral_shape, zero_crossing_rate
from sk_genre.features._median import median_filter_axis

from .conftest import SR, assert_equal_to_librosa, music_like


@pytest.fixture(scope="module")
def stft():
    y = music_like(seconds=4.0)
    D = librosa.stft(y)
    D[:, 5] = 0  # a silent frame: magphase's zero handling and softmask's split_zeros
    D[100:110, 20:40] = 0
    return D


def test_hpss_is_bit_identical_to_librosa(stft):
    mag = np.abs(stft)
    harm = median_filter_axis(mag, 31, axis=1)
    perc = median_filter_axis(mag, 31, axis=0)
    ours_h, ours_p = hpss_stfts(stft, mag, harm, perc)
    ref_h, ref_p = librosa.decompose.hpss(stft)
    assert ours_h.dtype == ref_h.dtype == np.complex64
    assert_equal_to_librosa(ours_h, ref_h)
    assert_equal_to_librosa(ours_p, ref_p)


def test_spectral_shape_matches_librosa(stft):
    mag = np.abs(stft)
    freqs = librosa.fft_frequencies(sr=SR, n_fft=2048)
    centroid, bandwidth, rolloff = spectral_shape(mag, freqs)
    np.testing.assert_allclose(
        centroid, librosa.feature.spectral_centroid(S=mag, sr=SR), rtol=1e-6, atol=1e-9
    )
    np.testing.assert_allclose(
        bandwidth, librosa.feature.spectral_bandwidth(S=mag, sr=SR), rtol=1e-6, atol=1e-6
    )
    # same sequential float32 cumulative sum -> the very same bin
    assert_equal_to_librosa(rolloff, librosa.feature.spectral_rolloff(S=mag, sr=SR))
    assert centroid[0, 5] == 0 and rolloff[0, 5] == 0  # silent frame


@pytest.mark.parametrize("seconds", [0.01, 0.5, 3.0])
def test_zero_crossing_rate_is_exact(seconds):
    y = music_like(seconds=max(seconds, 0.01))
    y[::7] = 0.0
    y[::11] = -1e-12  # inside the zero threshold
    y[::13] = -0.0
    ref = librosa.feature.zero_crossing_rate(y)
    assert_equal_to_librosa(zero_crossing_rate(y), ref)
    assert_equal_to_librosa(
        zero_crossing_rate(y, frame_length=512, hop_length=128),
        librosa.feature.zero_crossing_rate(y, frame_length=512, hop_length=128),
    )


@pytest.mark.parametrize("seconds", [0.05, 1.0, 4.0])
def test_istft_is_bit_identical_to_librosa(stft, seconds):
    y = music_like(seconds=seconds)
    D = librosa.stft(y)
    H, P = librosa.decompose.hpss(D)
    ours = istft([H, P, D], hop_length=512, length=len(y))
    for mine, spectrum in zip(ours, (H, P, D), strict=True):
        ref = librosa.istft(spectrum, dtype=y.dtype, length=len(y))
        assert mine.dtype == ref.dtype == np.float32
        assert_equal_to_librosa(mine, ref)
