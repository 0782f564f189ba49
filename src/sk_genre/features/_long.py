"""SpectralFeatureUnion's frame features of a long clip, computed block by block.

For a clip of many minutes, holding its whole STFT, the harmonic/percussive
split and the framed waveform (as :class:`~._stft.ClipSpectra` does) takes
about 140 MB per minute of audio. :class:`LongClipFrames` computes the same
frame-level features from blocks of ``block_frames`` STFT frames, each with
``halo`` extra frames on both sides so that the HPSS median filter (along
time) and the inverse STFT see every frame they would see in the whole clip.
Only the block's interior frames are kept. Memory beyond the waveform is then
one block's spectra plus the frame-level features (a few hundred values per
frame), however long the clip.

What is global over the clip is computed globally, from values collected
block by block:

* the chroma tuning (``librosa.estimate_tuning``: the median magnitude of all
  ``piptrack`` peaks, then ``pitch_tuning``): pass 1 collects the peaks, pass 2
  computes the chroma with that tuning (a second STFT of each block);
* the ``top_db`` clipping of ``power_to_db`` (mel spectrogram for MFCC and
  tempo, spectral-contrast peaks and valleys): the dB values are clipped after
  the blocks are joined;
* the tempo, from the onset envelope of the joined mel spectrogram.

The frames equal the whole-clip computation within 1e-6 relative, and are
bit-identical where the BLAS kernel rounds a block as it rounds the whole clip
(tests/test_spectral.py compares them; docs/input.md states the promise); the
mean and variance of the harmonic and percussive waveforms
(``include="gtzan"``) are accumulated in float64 over the blocks instead of
NumPy's float32 pairwise sums, so they agree to about 1e-5 relative.
"""

import librosa
import numpy as np

from ._kernels import zero_crossing_rate
from ._stft import (
    ClipSpectra,
    mfcc_blocks,
    onset_envelope_blocks,
    tempo_from_onset,
    zero_padded_slice,
)

__all__ = ["LongClipFrames", "BLOCK_FRAMES", "LONG_CLIP_FRAMES"]

#: STFT frames per block (about 24 s at 22050 Hz, hop 512): a block's spectra, HPSS and
#: inverse STFT take about 60 MB (twice that for 2048 frames); the halo adds 3 % of work.
BLOCK_FRAMES = 1024
#: Clips with more frames than this (about 3.2 min at 22050 Hz, hop 512) go block by block.
LONG_CLIP_FRAMES = 8192

#: librosa.feature.spectral_contrast's defaults, used by SpectralFeatureUnion.
_CONTRAST_FMIN, _CONTRAST_BANDS, _CONTRAST_QUANTILE = 200.0, 6, 0.02


def _blocks(n_frames, block_frames, halo):
    """``(start, stop, first, last)``: interior frames and the frames computed with the halo."""
    for start in range(0, n_frames, block_frames):
        stop = min(start + block_frames, n_frames)
        yield start, stop, max(start - halo, 0), min(stop + halo, n_frames)


def _edge_padded_slice(y, begin, end):
    """``y[begin:end]`` with the first / last sample repeated outside ``y`` (``np.pad`` edge)."""
    return y[np.clip(np.arange(begin, end), 0, y.shape[0] - 1)]


def _contrast_peaks_valleys(S, sr, n_fft):
    """Peak and valley magnitudes per octave band: ``librosa.feature.spectral_contrast``.

    The loop of librosa 0.11's ``spectral_contrast`` (default ``fmin``,
    ``n_bands``, ``quantile``), stopping before its ``power_to_db``, whose
    ``top_db`` clipping is global over the clip.
    """
    freq = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    octa = np.zeros(_CONTRAST_BANDS + 2)
    octa[1:] = _CONTRAST_FMIN * (2.0 ** np.arange(0, _CONTRAST_BANDS + 1))
    valley = np.zeros((_CONTRAST_BANDS + 1, S.shape[-1]))
    peak = np.zeros_like(valley)
    for k, (f_low, f_high) in enumerate(zip(octa[:-1], octa[1:], strict=True)):
        current_band = np.logical_and(freq >= f_low, freq <= f_high)
        idx = np.flatnonzero(current_band)
        if k > 0:
            current_band[idx[0] - 1] = True
        if k == _CONTRAST_BANDS:
            current_band[idx[-1] + 1 :] = True
        sub_band = S[current_band, :]
        if k < _CONTRAST_BANDS:
            sub_band = sub_band[:-1, :]
        count = int(np.maximum(np.rint(_CONTRAST_QUANTILE * np.sum(current_band)), 1))
        ordered = np.sort(sub_band, axis=0)
        valley[k] = np.mean(ordered[:count], axis=0)
        peak[k] = np.mean(ordered[-count:], axis=0)
    return peak, valley


def _clip_db(raw_db, top_db=80.0):
    """The ``top_db`` step of ``librosa.power_to_db`` on dB values joined from blocks."""
    return np.maximum(raw_db, raw_db.max() - top_db)


class LongClipFrames:
    """Frame features of one long clip, computed block by block (see the module docstring).

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32
        Mono waveform.
    names : set of str
        Features wanted: names of ``SpectralFeatureUnion``'s ``FEATURES`` and,
        for ``include="gtzan"``, ``"waveform_stats"``.
    sr, n_fft, hop_length, n_mels, hpss_kernel : int
        As :class:`~._stft.ClipSpectra`.
    n_mfcc : int
        MFCCs per frame.
    block_frames : int, default=BLOCK_FRAMES
        Interior frames per block.
    """

    def __init__(
        self,
        y,
        names,
        *,
        sr,
        n_fft,
        hop_length,
        n_mels,
        hpss_kernel,
        n_mfcc,
        block_frames=BLOCK_FRAMES,
    ):
        if y.shape[0] < n_fft:  # as ClipSpectra
            y = np.pad(y, (0, n_fft - y.shape[0]))
        self.y, self.sr, self.n_fft, self.hop_length = y, sr, n_fft, hop_length
        self.n_mels, self.hpss_kernel, self.n_mfcc = n_mels, hpss_kernel, n_mfcc
        self.block_frames = block_frames
        self.n_frames = 1 + y.shape[0] // hop_length
        # the HPSS time median reaches hpss_kernel // 2 frames, the inverse STFT of a
        # sample ceil(n_fft / hop) frames
        self.halo = max(hpss_kernel // 2, -(-n_fft // hop_length)) + 1
        self._frames = {}
        self._compute(set(names))

    # ------------------------------------------------------------------ public

    def frames(self, name):
        """Frame features of ``name``, shape (n_rows, n_frames), as the whole-clip code gives.

        ``"tempo"`` gives shape (1,); ``"waveform_stats"`` the mean and variance of
        the harmonic and of the percussive waveform (4 floats).
        """
        return self._frames[name]

    # ----------------------------------------------------------------- internal

    def _spectra(self, start, stop):
        """ClipSpectra of frames [start, stop) of the clip's centred STFT."""
        half = self.n_fft // 2
        first = start * self.hop_length - half
        segment = zero_padded_slice(self.y, first, (stop - 1) * self.hop_length - half + self.n_fft)
        stft = librosa.stft(segment, n_fft=self.n_fft, hop_length=self.hop_length, center=False)
        return ClipSpectra(
            segment,
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_mels=self.n_mels,
            hpss_kernel=self.hpss_kernel,
            stft=stft,
        ), segment

    def _compute(self, names):
        parts, pitches, magnitudes = {}, [], []
        need_mel = bool(names & {"mfcc", "tempo"})
        # the one full-size array (n_mels rows): written in place, not joined from blocks
        mel_power = np.empty((self.n_mels, self.n_frames), np.float32) if need_mel else None
        need_hpss = bool(names & {"harmonic", "percussive", "waveform_stats"})
        need_chroma = bool(names & {"chroma", "tonnetz"})
        sums = np.zeros((2, 2))  # (harmonic, percussive) x (sum, sum of squares)
        for start, stop, first, last in _blocks(self.n_frames, self.block_frames, self.halo):
            s, segment = self._spectra(first, last)
            inner = slice(start - first, stop - first)

            def keep(name, frames, inner=inner):
                parts.setdefault(name, []).append(frames[..., inner])

            if need_mel:
                mel_power[:, start:stop] = s.mel_power[:, inner]
            if names & {"centroid", "bandwidth", "rolloff"}:
                for name, frames in zip(("centroid", "bandwidth", "rolloff"), s.shape, strict=True):
                    keep(name, frames)
            if "contrast" in names:
                peak, valley = _contrast_peaks_valleys(s.magnitude, self.sr, self.n_fft)
                keep("contrast_peak", librosa.power_to_db(peak, top_db=None))
                keep("contrast_valley", librosa.power_to_db(valley, top_db=None))
            if need_chroma:  # pass 1 of the tuning estimate: every piptrack peak
                pitch, mag = librosa.piptrack(S=s.power[:, inner], sr=self.sr, n_fft=2048)
                mask = pitch > 0
                pitches.append(pitch[mask])
                magnitudes.append(mag[mask])
            if "rms" in names:
                keep(
                    "rms",
                    librosa.feature.rms(
                        y=segment, frame_length=self.n_fft, hop_length=self.hop_length, center=False
                    ),
                )
            if "zcr" in names:
                half = self.n_fft // 2
                begin = first * self.hop_length - half
                edge = _edge_padded_slice(
                    self.y, begin, (last - 1) * self.hop_length - half + self.n_fft
                )
                keep("zcr", zero_crossing_rate(edge, self.n_fft, self.hop_length, center=False))
            if need_hpss:
                harmonic, percussive = s.hpss
                if "harmonic" in names:
                    keep(
                        "harmonic", librosa.feature.rms(S=np.abs(harmonic), frame_length=self.n_fft)
                    )
                if "percussive" in names:
                    keep(
                        "percussive",
                        librosa.feature.rms(S=np.abs(percussive), frame_length=self.n_fft),
                    )
                if "waveform_stats" in names:
                    for k, part in enumerate((harmonic, percussive)):
                        samples = self._interior_samples(part, start, stop, first)
                        sums[k] += (
                            samples.sum(dtype=np.float64),
                            np.square(samples, dtype=np.float64).sum(),
                        )
        joined = {name: np.concatenate(parts.pop(name), axis=-1) for name in list(parts)}
        for name in ("centroid", "bandwidth", "rolloff", "rms", "zcr", "harmonic", "percussive"):
            if name in joined:
                self._frames[name] = joined[name]
        if "contrast" in names:
            self._frames["contrast"] = _clip_db(joined["contrast_peak"]) - _clip_db(
                joined["contrast_valley"]
            )
        # power_to_db (top_db over the whole clip), the MFCC's DCT and the onset envelope
        # in blocks of frames too: no full-size dB copy of the mel spectrogram
        if "mfcc" in names:
            self._frames["mfcc"] = mfcc_blocks(mel_power, n_mfcc=self.n_mfcc)
        if "tempo" in names:
            onset_envelope = onset_envelope_blocks(
                mel_power, sr=self.sr, hop_length=self.hop_length, n_fft=self.n_fft
            )
            self._frames["tempo"] = tempo_from_onset(
                onset_envelope, sr=self.sr, hop_length=self.hop_length
            )
        del mel_power
        if need_chroma:
            self._frames["chroma"] = self._chroma(
                np.concatenate(pitches), np.concatenate(magnitudes)
            )
            if "tonnetz" in names:
                self._frames["tonnetz"] = librosa.feature.tonnetz(
                    chroma=self._frames["chroma"], sr=self.sr
                )
        if "waveform_stats" in names:
            n = self.y.shape[0]
            mean = sums[:, 0] / n
            var = sums[:, 1] / n - mean**2
            self._frames["waveform_stats"] = [mean[0], var[0], mean[1], var[1]]

    def _chroma(self, pitches, magnitudes):
        """Pass 2: chroma of every block with the tuning of the whole clip."""
        # librosa.estimate_tuning(S=power, sr=sr, bins_per_octave=12) on all the peaks
        threshold = np.median(magnitudes) if magnitudes.size else 0.0
        tuning = librosa.pitch_tuning(pitches[magnitudes >= threshold], resolution=0.01)
        blocks = []
        for start, stop, first, last in _blocks(self.n_frames, self.block_frames, self.halo):
            s, _ = self._spectra(first, last)
            power = s.power[:, start - first : stop - first]
            blocks.append(
                librosa.feature.chroma_stft(S=power, sr=self.sr, n_fft=self.n_fft, tuning=tuning)
            )
        return np.concatenate(blocks, axis=-1)

    def _interior_samples(self, stft, start, stop, first):
        """Samples of the clip's inverse STFT that frames [start, stop) own, from a block.

        Sample ``j`` of ``istft(..., center=True)`` is position ``j + n_fft // 2`` of
        the overlap-add; positions ``[start * hop, stop * hop)`` are fully covered by
        the block's frames thanks to the halo. The last block also owns the tail.
        """
        hop, half = self.hop_length, self.n_fft // 2
        ola = librosa.istft(stft, hop_length=hop, n_fft=self.n_fft, center=False)
        lo = max(start * hop - half, 0)
        hi = self.y.shape[0] if stop == self.n_frames else stop * hop - half
        return ola[lo + half - first * hop : hi + half - first * hop]
