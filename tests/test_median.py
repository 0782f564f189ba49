import librosa
import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from scipy import ndimage as ndi

from sk_genre.features._median import median_filter_axis

from .conftest import assert_equal_to_librosa

SR = 22050


def scipy_median(S, size, axis):
    """The reference: scipy's n-D median filter with the 1-D footprint along ``axis``."""
    shape = (1, size) if axis % 2 == 1 else (size, 1)
    return ndi.median_filter(S, size=shape, mode="reflect")


def brute_median(S, size, axis):
    """Independent reference: symmetric padding, every window sorted, element of rank size // 2."""
    X = S if axis % 2 == 1 else S.T
    left = size // 2
    padded = np.pad(X, ((0, 0), (left, size - 1 - left)), mode="symmetric")
    med = np.sort(sliding_window_view(padded, size, axis=1), axis=-1)[..., size // 2]
    return med if axis % 2 == 1 else med.T


def synth_audio(seconds=3.0, seed=0):
    """A sum of sines plus noise, float32."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    y = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate([196, 440, 660, 1320], 1))
    y = y + 0.2 * rng.standard_normal(t.size)
    return (0.3 * y / np.abs(y).max()).astype(np.float32)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 17, 31])
@pytest.mark.parametrize("axis", [0, 1, -1, -2])
def test_random_matches_scipy(dtype, size, axis):
    # 131 x 97: lines along both axes span several blocks of 64 lines plus a remainder
    S = np.random.default_rng(size).standard_normal((131, 97)).astype(dtype)
    out = median_filter_axis(S, size, axis)
    assert out.dtype == dtype and out.shape == S.shape and out.flags.c_contiguous
    np.testing.assert_array_equal(out, scipy_median(S, size, axis))


@pytest.mark.parametrize("size", [2, 4, 6, 30])
def test_even_size_takes_upper_middle_of_window_shifted_left(size):
    # output i = element of rank size // 2 of inputs [i - size // 2, i + size // 2 - 1]
    S = np.random.default_rng(0).permutation(200).astype(np.float64)[None, :]
    out = median_filter_axis(S, size, axis=1)
    h = size // 2
    i = 100
    assert out[0, i] == np.sort(S[0, i - h : i + h])[h]
    np.testing.assert_array_equal(out, scipy_median(S, size, 1))


@pytest.mark.parametrize("n", [1, 2, 3, 5, 16])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lines_shorter_than_window(n, axis, dtype):
    size = 31
    shape = (7, n) if axis == 1 else (n, 7)
    S = np.random.default_rng(n).standard_normal(shape).astype(dtype)
    out = median_filter_axis(S, size, axis)
    # the edge sample repeats, and the reflection repeats with period 2 n
    np.testing.assert_array_equal(out, brute_median(S, size, axis))
    if n == 1 or size // 2 < 4 * n:
        np.testing.assert_array_equal(out, scipy_median(S, size, axis))
    # else (n = 2, 3): scipy 1.17 reads index -1 for the reflected positions -4n, -6n, ...
    # (the previous row's last sample, or memory before the array); see the Notes


def test_lines_are_independent_even_when_much_shorter_than_window():
    S = np.random.default_rng(3).standard_normal((5, 2))
    out = median_filter_axis(S, 31, axis=1)
    for r in range(S.shape[0]):
        np.testing.assert_array_equal(out[r], median_filter_axis(S[r : r + 1], 31, axis=1)[0])


@pytest.mark.parametrize(
    "S",
    [
        np.zeros((40, 50)),
        np.ones((40, 50), dtype=np.float32),
        np.random.default_rng(0).integers(0, 3, (40, 50)).astype(np.float32),
        np.random.default_rng(1).integers(-2, 2, (40, 50)).astype(np.float64),
        np.repeat(np.random.default_rng(2).integers(0, 5, (40, 1)), 50, axis=1).astype(float),
    ],
    ids=["zeros", "ones", "int-0-2", "int-neg", "constant-rows"],
)
@pytest.mark.parametrize("size", [2, 3, 4, 31])
@pytest.mark.parametrize("axis", [0, 1])
def test_ties_match_scipy(S, size, axis):
    np.testing.assert_array_equal(median_filter_axis(S, size, axis), scipy_median(S, size, axis))


@pytest.mark.parametrize("axis", [0, 1])
def test_infinities_match_scipy(axis):
    rng = np.random.default_rng(5)
    S = rng.standard_normal((60, 70)).astype(np.float32)
    S[rng.random(S.shape) < 0.2] = np.inf
    S[rng.random(S.shape) < 0.2] = -np.inf
    for size in (3, 4, 31):
        np.testing.assert_array_equal(
            median_filter_axis(S, size, axis), scipy_median(S, size, axis)
        )


@pytest.mark.parametrize(
    "view",
    [
        lambda A: A.T,  # F-contiguous
        lambda A: A[::2, ::3],  # strided
        lambda A: A[::-1, 5:],  # negative stride
        lambda A: np.asfortranarray(A)[1:, :-1],  # neither C nor F contiguous
        lambda A: A.astype(">f4"),  # non-native byte order
    ],
    ids=["transposed", "step", "reversed", "fortran-slice", "big-endian"],
)
@pytest.mark.parametrize("axis", [0, 1])
def test_non_contiguous_input(view, axis):
    A = np.random.default_rng(7).standard_normal((90, 110)).astype(np.float32)
    S = view(A)
    before = S.copy()
    out = median_filter_axis(S, 31, axis)
    assert out.flags.c_contiguous and out.shape == S.shape
    np.testing.assert_array_equal(out, scipy_median(np.ascontiguousarray(S), 31, axis))
    np.testing.assert_array_equal(S, before)


def test_power_spectrogram_matches_scipy():
    S = np.abs(librosa.stft(synth_audio())) ** 2  # (1025, 130) float32, F-ordered
    assert S.dtype == np.float32
    for S_layout in (S, np.ascontiguousarray(S)):
        for axis in (0, 1):
            np.testing.assert_array_equal(
                median_filter_axis(S_layout, 31, axis), scipy_median(S, 31, axis)
            )


def test_reproduces_librosa_hpss():
    D = librosa.stft(synth_audio(seed=1))
    S, phase = librosa.magphase(D)
    harm = median_filter_axis(S, 31, axis=1)
    perc = median_filter_axis(S, 31, axis=0)
    np.testing.assert_array_equal(harm, ndi.median_filter(S, size=(1, 31), mode="reflect"))
    np.testing.assert_array_equal(perc, ndi.median_filter(S, size=(31, 1), mode="reflect"))
    # librosa.decompose.hpss with its defaults (kernel_size=31, power=2, margin=1)
    mask_h = librosa.util.softmask(harm, perc * 1.0, power=2.0, split_zeros=True)
    mask_p = librosa.util.softmask(perc, harm * 1.0, power=2.0, split_zeros=True)
    H, P = librosa.decompose.hpss(D)
    assert_equal_to_librosa((S * mask_h) * phase, H)  # librosa 0.11's (and 1.0's) order
    assert_equal_to_librosa((S * mask_p) * phase, P)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_empty_input(shape):
    out = median_filter_axis(np.zeros(shape, dtype=np.float32), 3, axis=1)
    assert out.shape == shape and out.dtype == np.float32


@pytest.mark.parametrize(
    ("S", "match"),
    [
        (np.zeros(5), "S must be 2-D"),
        (np.zeros((2, 3, 4)), "S must be 2-D"),
    ],
)
def test_bad_ndim(S, match):
    with pytest.raises(ValueError, match=match):
        median_filter_axis(S, 3, axis=1)


@pytest.mark.parametrize("size", [0, -3, 2.5, 3.0, True, "3", None])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size must be an integer >= 1; got"):
        median_filter_axis(np.zeros((3, 4)), size, axis=1)


@pytest.mark.parametrize("axis", [2, -3, 1.0, True, None, (0, 1)])
def test_bad_axis(axis):
    with pytest.raises(ValueError, match="axis must be one of 0, 1, -1, -2; got"):
        median_filter_axis(np.zeros((3, 4)), 3, axis=axis)


@pytest.mark.parametrize("dtype", [np.int64, np.float16, np.complex64, bool])
def test_bad_dtype(dtype):
    with pytest.raises(TypeError, match="S must be float32 or float64; got"):
        median_filter_axis(np.zeros((3, 4), dtype=dtype), 3, axis=1)
