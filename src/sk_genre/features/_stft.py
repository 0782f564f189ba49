"""One STFT per clip, and everything derived from it, computed once and on demand.

:class:`ClipSpectra` holds one mono clip and lazily derives the STFT, the
magnitude and power spectrograms, the mel spectrogram (power and dB), the
chroma and the harmonic/percussive split from a single
:func:`librosa.stft`. Each property replicates the exact sequence of
operations of the librosa function it stands for (same defaults, same
dtypes), so a feature computed from it equals the naive per-feature librosa
call: ``librosa.feature.spectral_centroid(y=y)`` recomputes an STFT that is
bit-identical to ours, and so on. Where librosa is slow, faster code of ours
stands in: the HPSS median filters (:mod:`._median`, bit-identical), the HPSS
masks, masked STFTs and inverse STFTs (:mod:`._kernels`, bit-identical), and
the one-pass centroid/bandwidth/rolloff (:mod:`._kernels`; centroid and
bandwidth within ~1e-9 relative, rolloff identical).
"""

from functools import cached_property, lru_cache

import librosa
import numpy as np

from ._kernels import hpss_stfts, istft, spectral_shape
from ._median import median_filter_axis

__all__ = [
    "ClipSpectra",
    "mel_filterbank",
    "sparse_mel_filterbank",
    "mel_power_blocks",
    "mfcc_blocks",
    "onset_envelope_blocks",
    "tempo_from_onset",
    "tempo",
    "zero_padded_slice",
]

#: Frames per block of :func:`mel_power_blocks`: about 47 s of audio at 22050 Hz and hop
#: 512, a 16 MB complex STFT with n_fft 2048, whatever the clip's length.
BLOCK_FRAMES = 2048


@lru_cache(maxsize=16)
def mel_filterbank(sr, n_fft, n_mels, fmin, fmax):
    """:func:`librosa.filters.mel`, cached per parameter set (read-only array)."""
    basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    basis.flags.writeable = False
    return basis


@lru_cache(maxsize=16)
def sparse_mel_filterbank(sr, n_fft, n_mels, fmin, fmax):
    """:func:`mel_filterbank` as a CSR matrix (each band covers few FFT bins)."""
    import scipy.sparse

    return scipy.sparse.csr_matrix(mel_filterbank(sr, n_fft, n_mels, fmin, fmax))


def zero_padded_slice(y, begin, end):
    """``y[begin:end]`` with zeros where the range leaves ``y`` (a new array)."""
    segment = np.zeros(end - begin, dtype=y.dtype)
    lo, hi = max(begin, 0), min(end, y.shape[0])
    segment[lo - begin : hi - begin] = y[lo:hi]
    return segment


def mel_power_blocks(
    y, *, sr, n_fft, hop_length, n_mels=128, fmin=0.0, fmax=None, block_frames=BLOCK_FRAMES
):
    """:attr:`ClipSpectra.mel_power` computed ``block_frames`` frames at a time.

    Each block's frames are the frames of ``librosa.stft(y, center=True)``
    (zero padding of ``n_fft // 2`` on both sides): the block's samples are
    copied with that padding and transformed with ``center=False``, so the
    result equals the whole-clip computation while the memory needed beyond
    ``y`` and the output is one block's STFT, however long the clip.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32
        Mono waveform; shorter than ``n_fft`` is zero-padded to ``n_fft``.
    sr, n_fft, hop_length, n_mels, fmin, fmax
        As :class:`ClipSpectra`.
    block_frames : int, default=BLOCK_FRAMES
        Frames per block.

    Returns
    -------
    mel_power : ndarray of shape (n_mels, 1 + n_samples // hop_length), float32
    """
    if y.shape[0] < n_fft:
        y = np.pad(y, (0, n_fft - y.shape[0]))
    n_frames = 1 + y.shape[0] // hop_length
    basis = mel_filterbank(sr, n_fft, n_mels, fmin, fmax)
    out = np.empty((n_mels, n_frames), dtype=np.float32)
    half = n_fft // 2
    for start in range(0, n_frames, block_frames):
        stop = min(start + block_frames, n_frames)
        first = start * hop_length - half
        segment = zero_padded_slice(y, first, (stop - 1) * hop_length - half + n_fft)
        stft = librosa.stft(segment, n_fft=n_fft, hop_length=hop_length, center=False)
        power = np.abs(stft) ** 2
        out[:, start:stop] = np.einsum("ft,mf->mt", power, basis, optimize=True)
    return out


def _db_block(power, amin=1e-10):
    """The element-wise part of ``librosa.power_to_db(power)`` (ref 1.0), same operations."""
    log_spec = 10.0 * np.log10(np.maximum(amin, power))
    log_spec -= 10.0 * np.log10(np.maximum(amin, 1.0))
    return log_spec


def _db_blocks(mel_power, *, top_db=80.0, block_frames=BLOCK_FRAMES, overlap=0):
    """``librosa.power_to_db(mel_power)`` block by block: yield ``(start, stop, db)``.

    ``db`` holds frames ``[max(start - overlap, 0), stop)``. ``power_to_db``'s
    ``top_db`` floor is global over the clip (``max - top_db``), so a first pass
    finds the largest dB value block by block; the values equal the whole-clip
    call exactly.
    """
    n_frames = mel_power.shape[-1]
    spans = [(a, min(a + block_frames, n_frames)) for a in range(0, n_frames, block_frames)]
    top = max(_db_block(mel_power[:, a:b]).max() for a, b in spans)
    for a, b in spans:
        yield a, b, np.maximum(_db_block(mel_power[:, max(a - overlap, 0) : b]), top - top_db)


def mfcc_blocks(mel_power, *, n_mfcc, block_frames=BLOCK_FRAMES):
    """``librosa.feature.mfcc(S=librosa.power_to_db(mel_power), n_mfcc=n_mfcc)``, in blocks.

    Each block is converted to dB (:func:`_db_blocks`) and its DCT-II taken
    (orthonormal, along the mel axis: each frame on its own); only ``n_mfcc``
    rows are kept. Beyond ``mel_power`` itself, memory is one block plus the
    result instead of three full-size float32 copies (dB, clipped dB, DCT), 240 MB
    for an hour of audio. Equal to the whole-clip computation (tests/test_bad_input.py).

    Parameters
    ----------
    mel_power : ndarray of shape (n_mels, n_frames), float32
        Power mel spectrogram.
    n_mfcc : int
        Coefficients kept.
    block_frames : int, default=BLOCK_FRAMES
        Frames per block.

    Returns
    -------
    mfcc : ndarray of shape (n_mfcc, n_frames), float32
    """
    import scipy.fft

    out = None
    for a, b, db in _db_blocks(mel_power, block_frames=block_frames):
        block = scipy.fft.dct(db, axis=-2, type=2, norm="ortho")[:n_mfcc]
        if out is None:
            out = np.empty((block.shape[0], mel_power.shape[-1]), dtype=block.dtype)
        out[:, a:b] = block
    return out


def onset_envelope_blocks(mel_power, *, sr, hop_length, n_fft, block_frames=BLOCK_FRAMES):
    """The onset envelope :func:`tempo` uses, from ``mel_power``, in blocks of frames.

    Equals ``librosa.onset.onset_strength(S=librosa.power_to_db(mel_power),
    aggregate=np.median, ...)`` (lag 1, centred: 1 + n_fft // (2 * hop_length)
    leading zeros, trimmed to the number of frames). Each frame's value needs
    only it and the frame before it, so each dB block is taken with one frame of
    overlap and passed to ``onset_strength(center=False)``; memory is one block
    instead of four full-size float32 copies of the dB spectrogram.

    Returns
    -------
    onset_envelope : ndarray of shape (n_frames,), float32
    """
    n_frames = mel_power.shape[-1]
    pieces = []
    for a, _, db in _db_blocks(mel_power, block_frames=block_frames, overlap=1):
        env = librosa.onset.onset_strength(
            S=db, sr=sr, hop_length=hop_length, n_fft=n_fft, aggregate=np.median, center=False
        )
        pieces.append(env if a == 0 else env[1:])  # env[0]: the lag's zero padding
    raw = np.concatenate(pieces)  # raw[0] = 0, raw[t] = onset of frame t over frame t - 1
    lead = n_fft // (2 * hop_length)  # centring, as onset_strength(center=True)
    return np.concatenate([np.zeros(lead, dtype=raw.dtype), raw])[:n_frames]


#: Onset envelopes of more frames than this go block by block in :func:`_mean_tempogram`.
TEMPOGRAM_BLOCK = 8192
#: Frames per block there (at most TEMPOGRAM_BLOCK): the float64 tempogram of a block and
#: its FFT take about 30 MB instead of 120 MB for 8192 frames.
TEMPOGRAM_STEP = 2048


def tempo(mel_db, *, sr, hop_length, n_fft):
    """Global tempo in BPM, shape (1,), as ``librosa.beat.beat_track(y=y, sr=sr)[0]``.

    From the onset envelope of ``mel_db`` (``ClipSpectra.mel_db``), whose frames
    are those of the clip's STFT, through :func:`librosa.feature.tempo` with the
    mean tempogram of :func:`_mean_tempogram` (memory bounded on long clips).
    """
    onset_envelope = librosa.onset.onset_strength(
        S=mel_db, sr=sr, hop_length=hop_length, n_fft=n_fft, aggregate=np.median
    )
    return tempo_from_onset(onset_envelope, sr=sr, hop_length=hop_length)


def tempo_from_onset(onset_envelope, *, sr, hop_length):
    """Global tempo in BPM, shape (1,), from the onset envelope (see :func:`tempo`)."""
    if not onset_envelope.any():  # beat_track's answer for a flat envelope
        return np.zeros(1)
    tg = _mean_tempogram(onset_envelope, sr=sr, hop_length=hop_length)
    return np.atleast_1d(librosa.feature.tempo(tg=tg, sr=sr, hop_length=hop_length))


def _mean_tempogram(onset_envelope, *, sr, hop_length, ac_size=8.0):
    """``librosa.feature.tempogram(...).mean(axis=-1, keepdims=True)``, block by block.

    The tempogram of librosa.feature.tempo's defaults (``ac_size`` 8 s window,
    centred with linear-ramp padding) has one column of ``win_length`` values
    per onset frame, each from its own window: an hour of audio makes a 1.2 GB
    array (3.5 GB at the peak). Columns are computed ``TEMPOGRAM_BLOCK`` at a
    time (at most ``TEMPOGRAM_STEP``) and summed; an envelope of up to
    ``TEMPOGRAM_BLOCK`` frames gives librosa's exact result.
    """
    win_length = librosa.time_to_frames(ac_size, sr=sr, hop_length=hop_length).item()
    n = onset_envelope.shape[-1]
    if n <= TEMPOGRAM_BLOCK:
        tg = librosa.feature.tempogram(
            onset_envelope=onset_envelope, sr=sr, hop_length=hop_length, win_length=win_length
        )
        return np.mean(tg, axis=-1, keepdims=True)
    half = win_length // 2
    padded = np.pad(onset_envelope, (half, half), mode="linear_ramp", end_values=[0, 0])
    total = np.zeros((win_length, 1))
    step = min(TEMPOGRAM_BLOCK, TEMPOGRAM_STEP)
    for start in range(0, n, step):
        stop = min(start + step, n)
        tg = librosa.feature.tempogram(
            onset_envelope=padded[start : stop - 1 + win_length],
            sr=sr,
            hop_length=hop_length,
            win_length=win_length,
            center=False,
        )
        total += tg.sum(axis=-1, keepdims=True)
    return total / n


class ClipSpectra:
    """Lazily derived spectral representations of one clip, from one STFT.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32
        Mono waveform. Clips shorter than ``n_fft`` samples are zero-padded
        at the end to ``n_fft``.
    sr : int
        Sampling rate in Hz.
    n_fft : int
        FFT window length in samples (Hann window, ``center=True``, zero
        padding: :func:`librosa.stft`'s defaults).
    hop_length : int
        Hop between frames in samples.
    n_mels : int
        Mel bands of :attr:`mel_power` (:func:`librosa.filters.mel`, Slaney).
    fmin, fmax : float, float or None
        Mel band limits in Hz.
    hpss_kernel : int
        Median filter length (frames for the harmonic part, frequency bins for
        the percussive part) of :attr:`hpss`.
    stft : ndarray of shape (n_bins, n_frames), complex64, optional
        The STFT, when it was computed elsewhere (frames of a longer clip,
        :mod:`._long`); ``y`` is then only used by :meth:`waveforms`.

    Notes
    -----
    Attributes are computed on first access and kept, so every feature that
    needs, say, the power spectrogram shares one computation. Shapes use
    ``n_bins = 1 + n_fft // 2`` and ``n_frames = 1 + n_samples // hop_length``.
    """

    def __init__(
        self,
        y,
        *,
        sr,
        n_fft,
        hop_length,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        hpss_kernel=31,
        stft=None,
    ):
        if y.shape[0] < n_fft:  # librosa warns and frames badly below one window
            y = np.pad(y, (0, n_fft - y.shape[0]))
        self.y = y
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.hpss_kernel = hpss_kernel
        if stft is not None:
            self.__dict__["stft"] = stft  # the cached_property's slot

    @cached_property
    def stft(self):
        """Complex STFT, shape (n_bins, n_frames): :func:`librosa.stft`."""
        return librosa.stft(self.y, n_fft=self.n_fft, hop_length=self.hop_length)

    @cached_property
    def magnitude(self):
        """``|STFT|``, shape (n_bins, n_frames): ``_spectrogram(power=1)`` in librosa."""
        return np.abs(self.stft)

    @cached_property
    def power(self):
        """``|STFT|**2``, shape (n_bins, n_frames): ``_spectrogram(power=2)`` in librosa."""
        return self.magnitude**2

    @cached_property
    def mel_power(self):
        """Mel power spectrogram (n_mels, n_frames): :func:`librosa.feature.melspectrogram`."""
        basis = mel_filterbank(self.sr, self.n_fft, self.n_mels, self.fmin, self.fmax)
        return np.einsum("...ft,mf->...mt", self.power, basis, optimize=True)

    @cached_property
    def mel_db(self):
        """``power_to_db(mel_power)`` (ref 1, top_db 80), as in MFCC and onset strength."""
        return librosa.power_to_db(self.mel_power)

    @cached_property
    def shape(self):
        """Spectral centroid, bandwidth and 85 % rolloff in Hz, each of shape (1, n_frames).

        :func:`librosa.feature.spectral_centroid`, ``spectral_bandwidth`` and
        ``spectral_rolloff`` of :attr:`magnitude`, in one pass
        (:func:`~sk_genre.features._kernels.spectral_shape`).
        """
        freqs = librosa.fft_frequencies(sr=self.sr, n_fft=self.n_fft)
        return spectral_shape(self.magnitude, freqs)

    @cached_property
    def chroma(self):
        """STFT chroma, shape (12, n_frames): ``librosa.feature.chroma_stft`` (tuning estimated)."""
        return librosa.feature.chroma_stft(S=self.power, sr=self.sr, n_fft=self.n_fft)

    @cached_property
    def hpss(self):
        """Harmonic and percussive STFTs: :func:`librosa.decompose.hpss` of :attr:`stft`.

        Median filters of the magnitude along time (harmonic) and frequency
        (percussive), soft masks (power 2, margin 1), applied to magnitude and
        phase in librosa's order (Fitzgerald 2010; Driedger et al. 2014).

        Returns
        -------
        (stft_harmonic, stft_percussive) : tuple of complex ndarray of shape (n_bins, n_frames)
        """
        mag = self.magnitude
        # the STFT is F-ordered: filter the (C-ordered) transpose so that the medians come
        # back in the STFT's memory order and the mask kernel reads every array contiguously
        harm = median_filter_axis(mag.T, self.hpss_kernel, axis=0).T
        perc = median_filter_axis(mag.T, self.hpss_kernel, axis=1).T
        return hpss_stfts(self.stft, mag, harm, perc)

    def waveforms(self, stfts):
        """Inverse STFTs back to ``len(y)`` float32 samples, each equal to :func:`librosa.istft`."""
        return istft(stfts, hop_length=self.hop_length, length=len(self.y))
