"""MFCC summary features (mean, std, ... of each coefficient over a clip)."""

from numbers import Integral, Real

from .._docstring import fill_doc
from .._param_validation import Interval
from ._base import ClipFeatureTransformer
from ._stft import mel_power_blocks, mfcc_blocks
from ._summary import check_stats, summarize, summary_names

__all__ = ["MFCCTransformer"]


@fill_doc
class MFCCTransformer(ClipFeatureTransformer):
    """Summary statistics of the MFCCs of each clip.

    Computes the mel-frequency cepstral coefficients of every clip with
    :func:`librosa.feature.mfcc` (power mel spectrogram -> dB -> DCT-II,
    orthonormal) and reduces each coefficient over time with the chosen
    statistics. One row per clip; the number of rows never changes.

    Parameters
    ----------
    %(sr)s
    n_mfcc : int, default=20
        Number of coefficients.
    %(n_fft)s
        Clips shorter than ``n_fft`` samples are zero-padded to ``n_fft``.
    %(hop_length)s
    %(n_mels)s
        The DCT is taken over them.
    %(fmin)s
    %(fmax)s
    %(stats)s
    %(n_jobs)s
    %(memory)s
    %(verbose_clips)s
    %(on_error)s

    Attributes
    ----------
    n_features_out_ : int
        ``n_mfcc * len(stats)``.
    n_features_in_ : int
        Samples per clip, set only when ``fit`` was given a 2-D waveform array.
    %(kept_indices_)s
    %(errors_)s

    See Also
    --------
    sk_genre.features.check_clips : the accepted input forms.

    Notes
    -----
    Column names number the coefficients from 0, as librosa's rows
    (``mfcc00`` is coefficient 0), zero-padded so that they sort.
    :class:`SpectralFeatureUnion` numbers them from 1 (``mfcc1``), as the
    columns of the GTZAN feature table, so that its ``include="gtzan"``
    output carries the table's names: ``mfcc00_mean`` here is ``mfcc1_mean``
    there.

    References
    ----------
    .. [1] librosa.feature.mfcc, https://librosa.org/doc/0.11.0/generated/librosa.feature.mfcc.html
    .. [2] S. Davis and P. Mermelstein, "Comparison of parametric representations
       for monosyllabic word recognition in continuously spoken sentences",
       IEEE Trans. ASSP 28(4), 1980.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre import MFCCTransformer
    >>> t = np.arange(22050) / 22050
    >>> X = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t)])
    >>> mfcc = MFCCTransformer(n_mfcc=13).fit(X)
    >>> mfcc.transform(X).shape
    (2, 26)
    >>> mfcc.get_feature_names_out()[:2].tolist()
    ['mfcc00_mean', 'mfcc00_std']
    """

    _parameter_constraints: dict = {
        **ClipFeatureTransformer._parameter_constraints,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 1, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "stats": [tuple, list, str],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_mfcc=20,
        n_fft=2048,
        hop_length=512,
        n_mels=128,
        fmin=0.0,
        fmax=None,
        stats=("mean", "std"),
        n_jobs=None,
        memory=None,
        verbose=0,
        on_error="raise",
    ):
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.stats = stats
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error

    def _check_params(self):
        check_stats(self.stats, type(self).__name__)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc must be <= n_mels ({self.n_mels}); got {self.n_mfcc}")
        if self.fmax is not None and self.fmax > self.sr / 2:
            raise ValueError(f"fmax must be <= sr / 2 ({self.sr / 2} Hz); got {self.fmax}")

    def _features(self, y):
        # the mel spectrogram block by block: memory stays near the waveform's size even for
        # an hour of audio (the STFT of a whole clip would be ~4x the waveform)
        mel_power = mel_power_blocks(
            y,
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_mels=self.n_mels,
            fmin=self.fmin,
            fmax=self.fmax,
        )
        # power_to_db and the DCT in blocks too: librosa.feature.mfcc(S=power_to_db(mel_power))
        mfcc = mfcc_blocks(mel_power, n_mfcc=self.n_mfcc)
        return summarize(mfcc, check_stats(self.stats, type(self).__name__))

    def _feature_names(self):
        rows = [f"mfcc{i:02d}" for i in range(self.n_mfcc)]
        return summary_names(rows, check_stats(self.stats, type(self).__name__))
