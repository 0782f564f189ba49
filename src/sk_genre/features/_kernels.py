"""Fast re-implementations of librosa computations on an already computed spectrogram.

librosa computes each of these with several whole-array NumPy passes (and
boolean-mask indexing); here each is one pass. They reproduce librosa 0.11's
arithmetic: the HPSS masks and masked STFTs operation for operation in
float32 (bit-identical), the spectral rolloff with librosa's sequential
float32 cumulative sum (same bin), the zero-crossing counts exactly (integer
sums); centroid and bandwidth are accumulated in float64 where librosa
normalises in float32 first (relative differences ~1e-7). The tests compare
every one with the librosa function it replaces.

numba (a librosa dependency) is imported and the kernels compiled on first
use (``cache=True``: once per install), so importing this module is cheap.
"""

from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.signal

__all__ = ["hpss_stfts", "istft", "spectral_shape", "zero_crossing_rate"]

_compiled = {}


def _hpss_kernel(D, mag, harm, perc, tiny, out_h, out_p):
    n_bins, n_frames = D.shape
    half = np.float32(0.5)
    for j in range(n_frames):
        for i in range(n_bins):
            h = harm[i, j]
            p = perc[i, j]
            z = max(h, p)
            if z < tiny:  # softmask(split_zeros=True)
                mask_h = half
                mask_p = half
            else:
                a = h / z
                b = p / z
                a = a * a
                b = b * b
                mask_h = a / (a + b)
                mask_p = b / (b + a)
            m = mag[i, j]
            # librosa.magphase: phase = D / |D|, with |D| == 0 -> phase 1
            if m == 0:
                pr = D[i, j].real / np.float32(1.0) + np.float32(1.0)
                pi = D[i, j].imag / np.float32(1.0)
            else:
                pr = D[i, j].real / m
                pi = D[i, j].imag / m
            a = m * mask_h
            b = m * mask_p
            out_h[i, j] = complex(a * pr, a * pi)
            out_p[i, j] = complex(b * pr, b * pi)


def _shape_kernel(mag, freqs, roll_percent, tiny, centroid, bandwidth, rolloff):
    n_bins, n_frames = mag.shape
    for j in range(n_frames):
        total = 0.0
        first = 0.0
        second = 0.0
        cum32 = np.float32(0.0)
        for i in range(n_bins):
            s = mag[i, j]
            cum32 += s
            total += s
            first += s * freqs[i]
            second += s * freqs[i] * freqs[i]
        norm = total if total >= tiny else 1.0  # util.normalize leaves tiny columns as is
        c = first / norm
        centroid[j] = c
        # sum(S_norm * (f - c)^2) expanded around the centroid
        var = (second - 2.0 * c * first + c * c * total) / norm
        bandwidth[j] = np.sqrt(max(var, 0.0))
        threshold = roll_percent * cum32
        acc = np.float32(0.0)
        rolloff[j] = freqs[n_bins - 1]
        for i in range(n_bins):
            acc += mag[i, j]
            if acc >= threshold:
                rolloff[j] = freqs[i]
                break


def _overlap_add_kernel(frames, window, hop_length, out):
    # librosa.istft: y[t * hop + k - n_fft // 2] += window[k] * frames[t, k], the product in
    # float64 (the window is float64), each sum stored to float32, frames in order
    n_frames, n_fft = frames.shape
    start = n_fft // 2
    length = out.shape[0]
    for t in range(n_frames):
        base = t * hop_length - start
        lo = max(0, -base)
        hi = min(n_fft, length - base)
        for k in range(lo, hi):
            out[base + k] = out[base + k] + window[k] * frames[t, k]


def _kernel(name):
    if name not in _compiled:
        import numba

        func = {
            "hpss": _hpss_kernel,
            "shape": _shape_kernel,
            "overlap_add": _overlap_add_kernel,
        }[name]
        _compiled[name] = numba.njit(cache=True, nogil=True)(func)
    return _compiled[name]


def hpss_stfts(D, mag, harm, perc):
    """Harmonic and percussive STFTs from the median-filtered magnitudes.

    Equals the tail of :func:`librosa.decompose.hpss` (``power=2``,
    ``margin=1``, ``mask=False``): ``softmask(harm, perc, 2, split_zeros=True)``
    and its complement applied to ``magphase(D)``, in float32.

    Parameters
    ----------
    D : ndarray of shape (n_bins, n_frames), complex64
        The STFT.
    mag : ndarray of shape (n_bins, n_frames), float32
        ``np.abs(D)``.
    harm, perc : ndarray of shape (n_bins, n_frames), float32
        ``mag`` median-filtered along time and along frequency.

    Returns
    -------
    D_harmonic, D_percussive : ndarray of shape (n_bins, n_frames), complex64
    """
    out_h = np.empty(D.shape, dtype=np.complex64, order="F")
    out_p = np.empty(D.shape, dtype=np.complex64, order="F")
    tiny = np.finfo(np.float32).tiny
    _kernel("hpss")(D, mag, harm, perc, np.float32(tiny), out_h, out_p)
    return out_h, out_p


@lru_cache(maxsize=8)
def _istft_normalizer(n_frames, n_fft, hop_length, length):
    """Window and squared-window sum of librosa.istft (Hann), trimmed as it trims them."""
    import librosa

    window = librosa.util.pad_center(
        scipy.signal.get_window("hann", n_fft, fftbins=True), size=n_fft
    )
    wss = librosa.filters.window_sumsquare(
        window="hann",
        n_frames=n_frames,
        win_length=n_fft,
        n_fft=n_fft,
        hop_length=hop_length,
        dtype=np.float32,
    )
    wss = librosa.util.fix_length(wss[n_fft // 2 :], size=length)
    nonzero = wss > np.finfo(np.float32).tiny
    for array in (window, wss, nonzero):
        array.flags.writeable = False
    return window, wss, nonzero


def istft(stfts, hop_length, length):
    """Inverse STFTs, each equal to ``librosa.istft(D, hop_length=..., length=...)``.

    Hann window, ``center=True``, float32 output, as librosa computes it: one
    batched inverse real FFT (:func:`scipy.fft.irfft`), overlap-add with the
    float64 window and float32 accumulation in frame order, division by the
    squared-window sum where it is not tiny. The window sum is cached per
    shape instead of being recomputed for every call.

    Parameters
    ----------
    stfts : sequence of ndarray of shape (n_bins, n_frames), complex64
        STFTs of the same shape.
    hop_length : int
        Hop between frames in samples.
    length : int
        Output length in samples.

    Returns
    -------
    waveforms : list of ndarray of shape (length,), float32
    """
    n_bins, n_frames = stfts[0].shape
    n_fft = 2 * (n_bins - 1)
    window, wss, nonzero = _istft_normalizer(n_frames, n_fft, hop_length, length)
    waveforms = []
    for stft in stfts:
        # frame-major (n_frames, n_fft): each frame contiguous for the overlap-add
        frames = scipy.fft.irfft(stft.T, n=n_fft, axis=-1)
        y = np.zeros(length, dtype=np.float32)
        _kernel("overlap_add")(frames, window, hop_length, y)
        y[nonzero] /= wss[nonzero]
        waveforms.append(y)
    return waveforms


def spectral_shape(mag, freqs, roll_percent=0.85):
    """Spectral centroid, bandwidth (p=2) and rolloff of every frame, in one pass.

    Parameters
    ----------
    mag : ndarray of shape (n_bins, n_frames), float32
        Magnitude spectrogram.
    freqs : ndarray of shape (n_bins,), float64
        Bin centre frequencies in Hz (:func:`librosa.fft_frequencies`).
    roll_percent : float, default=0.85
        Energy fraction below the rolloff frequency.

    Returns
    -------
    centroid, bandwidth, rolloff : ndarray of shape (1, n_frames), float64
        In Hz, as :func:`librosa.feature.spectral_centroid`,
        :func:`~librosa.feature.spectral_bandwidth` and
        :func:`~librosa.feature.spectral_rolloff` return them.
    """
    n_frames = mag.shape[1]
    out = np.empty((3, n_frames))
    tiny = float(np.finfo(mag.dtype).tiny)
    _kernel("shape")(mag, freqs, np.float32(roll_percent), tiny, out[0], out[1], out[2])
    return out[0:1], out[1:2], out[2:3]


def zero_crossing_rate(y, frame_length=2048, hop_length=512, threshold=1e-10, center=True):
    """Zero-crossing rate per frame, exactly as :func:`librosa.feature.zero_crossing_rate`.

    Edge padding by ``frame_length // 2`` (``center=True``); samples with
    ``|y| <= threshold`` count as zero, zero counts as positive; the first
    sample of a frame is no crossing (``pad=False``). Counts come from one
    cumulative sum instead of a framed view.

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Waveform.
    frame_length, hop_length : int
        In samples.
    threshold : float, default=1e-10
        Magnitude treated as zero.
    center : bool, default=True
        Edge-pad ``y`` by ``frame_length // 2`` (librosa's default); ``False``
        frames ``y`` as given (a slice of a longer, already padded clip).

    Returns
    -------
    zcr : ndarray of shape (1, n_frames), float64
        Crossings per sample in each frame.
    """
    half = frame_length // 2
    padded = np.pad(y, (half, half), mode="edge") if center else y
    negative = padded < -threshold
    crossings = np.concatenate(([0], np.cumsum(negative[1:] != negative[:-1])))
    starts = np.arange(0, len(padded) - frame_length + 1, hop_length)
    counts = crossings[starts + frame_length - 1] - crossings[starts]
    return (counts / frame_length)[np.newaxis, :]
