"""SpectralFeatureUnion: the whole librosa feature suite from one STFT per clip."""

from numbers import Integral

import librosa
import numpy as np

from .._docstring import fill_doc
from .._param_validation import Interval, StrOptions
from . import _long
from ._base import ClipFeatureTransformer
from ._kernels import zero_crossing_rate
from ._stft import ClipSpectra, tempo
from ._summary import check_stats, summarize, summary_names

__all__ = ["SpectralFeatureUnion", "FEATURES", "GTZAN_COLUMNS"]


#: librosa.feature.spectral_contrast's octave bands (fmin=200 Hz, n_bands=6): the last one
#: starts at 200 * 2**5 = 6400 Hz, which must lie below the Nyquist frequency.
CONTRAST_TOP_BAND_HZ = 200.0 * 2**5
#: Its narrowest bands (0-200 and 200-400 Hz) hold an FFT bin when bins are <= 200 Hz apart.
_CONTRAST_MAX_BIN_HZ = 200.0


def _component_rms(s, index):
    """Frame RMS of the harmonic (0) or percussive (1) STFT: librosa.feature.rms(S=...)."""
    return librosa.feature.rms(S=np.abs(s.hpss[index]), frame_length=s.n_fft)


#: Feature name -> (column prefix, frames function of ClipSpectra, rows are numbered).
#: Frames functions return (n_rows, n_frames); "tempo" returns one value.
FEATURES = {
    "chroma": ("chroma", lambda s: s.chroma, True),
    "contrast": (
        "spectral_contrast",
        lambda s: librosa.feature.spectral_contrast(S=s.magnitude, sr=s.sr, n_fft=s.n_fft),
        True,
    ),
    "tonnetz": ("tonnetz", lambda s: librosa.feature.tonnetz(chroma=s.chroma, sr=s.sr), True),
    "centroid": ("spectral_centroid", lambda s: s.shape[0], False),
    "bandwidth": ("spectral_bandwidth", lambda s: s.shape[1], False),
    "rolloff": ("spectral_rolloff", lambda s: s.shape[2], False),
    "zcr": (
        "zero_crossing_rate",
        lambda s: zero_crossing_rate(s.y, frame_length=s.n_fft, hop_length=s.hop_length),
        False,
    ),
    "rms": (
        "rms",
        lambda s: librosa.feature.rms(y=s.y, frame_length=s.n_fft, hop_length=s.hop_length),
        False,
    ),
    "harmonic": ("harmonic_rms", lambda s: _component_rms(s, 0), False),
    "percussive": ("percussive_rms", lambda s: _component_rms(s, 1), False),
    "tempo": (
        "tempo",
        lambda s: tempo(s.mel_db, sr=s.sr, hop_length=s.hop_length, n_fft=s.n_fft),
        False,
    ),
    "mfcc": ("mfcc", None, True),  # needs n_mfcc: see SpectralFeatureUnion._frames
}

#: The 57 columns of the GTZAN feature table (Kaggle features_30_sec.csv), in order.
GTZAN_COLUMNS = (
    *summary_names(
        [
            "chroma_stft",
            "rms",
            "spectral_centroid",
            "spectral_bandwidth",
            "rolloff",
            "zero_crossing_rate",
            "harmony",
            "perceptr",
        ],
        ("mean", "var"),
    ),
    "tempo",
    *summary_names([f"mfcc{k}" for k in range(1, 21)], ("mean", "var")),
)


@fill_doc
class SpectralFeatureUnion(ClipFeatureTransformer):
    """Chroma, spectral contrast, tonnetz, spectral shape, ZCR, RMS, HPSS, tempo and MFCC.

    Every requested feature of a clip is derived from a single STFT
    (:class:`~sk_genre.features._stft.ClipSpectra`), and each equals the
    corresponding stand-alone librosa call on the waveform (tested to
    relative 1e-4; the intermediates are bit-identical). Each feature is
    summarised over frames with ``stats``.

    ================  ====================================================  =========
    name              computation (librosa 0.11)                             rows
    ================  ====================================================  =========
    ``chroma``        ``feature.chroma_stft`` (tuning estimated)             12
    ``contrast``      ``feature.spectral_contrast`` (needs sr > 12800 Hz)    7
    ``tonnetz``       ``feature.tonnetz(chroma=<chroma_stft>)`` (not the      6
                      default CQT chroma: no second transform)
    ``centroid``      ``feature.spectral_centroid``, Hz                      1
    ``bandwidth``     ``feature.spectral_bandwidth``, Hz                     1
    ``rolloff``       ``feature.spectral_rolloff`` (85 %), Hz                1
    ``zcr``           ``feature.zero_crossing_rate``                         1
    ``rms``           ``feature.rms(y=...)``                                 1
    ``harmonic``      frame RMS of the harmonic STFT of ``decompose.hpss``   1
    ``percussive``    frame RMS of the percussive STFT                       1
    ``tempo``         ``beat.beat_track``'s tempo in BPM (one value)         1
    ``mfcc``          ``feature.mfcc``                                       n_mfcc
    ================  ====================================================  =========

    Parameters
    ----------
    include : "all", "gtzan" or tuple of str, default="all"
        Features to compute, from the table above, in output order. ``"gtzan"``
        gives exactly the 57 columns of the GTZAN feature table
        (:func:`sk_genre.datasets.load_gtzan_features`, Kaggle
        ``features_30_sec.csv``) with its names and order: chroma pooled over
        all 12 bins, mean and variance of RMS, centroid, bandwidth, rolloff,
        ZCR, of the harmonic and percussive *waveforms* (``effects.hpss``),
        tempo, and 20 MFCCs; ``stats`` is not used then.
    %(stats)s
        Tempo is one value per clip and gets no statistics.
    %(sr)s
    %(n_fft)s
        Also the frame length of ZCR and RMS. Clips shorter than ``n_fft``
        are zero-padded.
    %(hop_length)s
    %(n_mels)s
        For MFCC and onset strength (tempo).
    n_mfcc : int, default=20
        MFCCs (with ``include="gtzan"`` the table has 20).
    hpss_kernel : int, default=31
        Median filter length of the harmonic/percussive separation, in frames
        and in frequency bins (``kernel_size`` of :func:`librosa.decompose.hpss`).
    %(n_jobs)s
    %(memory)s
    %(verbose_clips)s
    %(on_error)s

    Attributes
    ----------
    n_features_out_ : int
        Number of output columns.
    n_features_in_ : int
        Samples per clip, set only when ``fit`` was given a 2-D waveform array.
    %(kept_indices_)s
    %(errors_)s

    Raises
    ------
    ValueError
        From ``fit``: an unknown feature or statistic name, ``n_mfcc > n_mels``,
        ``"contrast"`` included (as with ``include="all"``) while ``sr <= 12800``
        (its octave bands reach 6400 Hz) or ``n_fft < sr / 200`` (a band would
        hold no FFT bin). From ``transform``: bad clips (see
        :class:`~sk_genre.MFCCTransformer`).

    References
    ----------
    .. [1] G. Tzanetakis and P. Cook, "Musical genre classification of audio
       signals", IEEE Trans. Speech and Audio Processing 10(5), 2002.
    .. [2] D. Fitzgerald, "Harmonic/percussive separation using median
       filtering", DAFx 2010 (HPSS; ``librosa.decompose.hpss``).
    .. [3] C. Harte, M. Sandler and M. Gasser, "Detecting harmonic change in
       musical audio", 2006 (tonnetz).
    .. [4] D. Ellis, "Beat tracking by dynamic programming", J. New Music
       Research 36(1), 2007 (tempo).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre import SpectralFeatureUnion
    >>> t = np.arange(2 * 22050) / 22050
    >>> X = np.stack([np.sin(2 * np.pi * 440 * t), np.sign(np.sin(2 * np.pi * 2 * t))])
    >>> union = SpectralFeatureUnion(include=("centroid", "zcr", "chroma"), stats=("mean",))
    >>> union.fit_transform(X).shape
    (2, 14)
    >>> union.get_feature_names_out()[:3].tolist()
    ['spectral_centroid_mean', 'zero_crossing_rate_mean', 'chroma00_mean']
    >>> SpectralFeatureUnion(include="gtzan").fit(X).n_features_out_
    57
    """

    _parameter_constraints: dict = {
        **ClipFeatureTransformer._parameter_constraints,
        "include": [StrOptions({"all", "gtzan"}), tuple, list],
        "stats": [tuple, list, str],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "hpss_kernel": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        include="all",
        stats=("mean", "std"),
        sr=22050,
        n_fft=2048,
        hop_length=512,
        n_mels=128,
        n_mfcc=20,
        hpss_kernel=31,
        n_jobs=None,
        memory=None,
        verbose=0,
        on_error="raise",
    ):
        self.include = include
        self.stats = stats
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mels = n_mels
        self.n_mfcc = n_mfcc
        self.hpss_kernel = hpss_kernel
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error

    def _names(self):
        """The requested feature names (validated)."""
        if self.include == "all":
            return tuple(FEATURES)
        names = (self.include,) if isinstance(self.include, str) else tuple(self.include)
        unknown = [n for n in names if n not in FEATURES]
        if not names or unknown or len(set(names)) != len(names):
            raise ValueError(
                f"include must be 'all', 'gtzan' or distinct names from {list(FEATURES)}; "
                f"got {self.include!r}"
            )
        return names

    def _check_params(self):
        if self.include != "gtzan":
            self._names()
            check_stats(self.stats, type(self).__name__)
        if self.n_mfcc > self.n_mels:
            raise ValueError(f"n_mfcc must be <= n_mels ({self.n_mels}); got {self.n_mfcc}")
        if self.include != "gtzan" and "contrast" in self._names():
            if self.sr <= 2 * CONTRAST_TOP_BAND_HZ:
                raise ValueError(
                    f"sr must be > {2 * CONTRAST_TOP_BAND_HZ:g} Hz when include has 'contrast' "
                    f"(its top octave band starts at {CONTRAST_TOP_BAND_HZ:g} Hz); got {self.sr}. "
                    "Leave 'contrast' out of include for lower rates."
                )
            if self.sr / self.n_fft > _CONTRAST_MAX_BIN_HZ:
                minimum = int(np.ceil(self.sr / _CONTRAST_MAX_BIN_HZ))
                raise ValueError(
                    f"n_fft must be >= sr / {_CONTRAST_MAX_BIN_HZ:g} ({minimum} at sr={self.sr}) "
                    f"when include has 'contrast' (each of its octave bands, the narrowest "
                    f"{_CONTRAST_MAX_BIN_HZ:g} Hz wide, needs an FFT bin); got {self.n_fft}"
                )

    def _spectra(self, y):
        return ClipSpectra(
            y,
            sr=self.sr,
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            n_mels=self.n_mels,
            hpss_kernel=self.hpss_kernel,
        )

    def _frames(self, name, spectra):
        if name == "mfcc":
            return librosa.feature.mfcc(S=spectra.mel_db, n_mfcc=self.n_mfcc)
        return FEATURES[name][1](spectra)

    def _frame_source(self, y, names):
        """``name -> frames`` for the features in ``names`` (and "waveform_stats").

        A clip of up to ``LONG_CLIP_FRAMES`` frames is analysed whole (one
        :class:`ClipSpectra`, lazily); a longer one block by block
        (:class:`~._long.LongClipFrames`), so memory does not grow with its length.
        """
        n_frames = 1 + max(y.shape[0], self.n_fft) // self.hop_length
        if n_frames > _long.LONG_CLIP_FRAMES:
            return _long.LongClipFrames(
                y,
                names,
                sr=self.sr,
                n_fft=self.n_fft,
                hop_length=self.hop_length,
                n_mels=self.n_mels,
                hpss_kernel=self.hpss_kernel,
                n_mfcc=self.n_mfcc,
                block_frames=_long.BLOCK_FRAMES,
            ).frames
        s = self._spectra(y)

        def frames(name):
            if name == "waveform_stats":
                y_harmonic, y_percussive = s.waveforms(s.hpss)
                return [np.mean(y_harmonic), np.var(y_harmonic)] + [
                    np.mean(y_percussive),
                    np.var(y_percussive),
                ]
            return self._frames(name, s)

        return frames

    def _features(self, y):
        if self.include == "gtzan":
            return self._gtzan_features(y)
        stats = check_stats(self.stats, type(self).__name__)
        names = self._names()
        frames = self._frame_source(y, set(names))
        parts = [
            frames(name) if name == "tempo" else summarize(frames(name), stats) for name in names
        ]
        return np.concatenate(parts).astype(np.float64)

    def _gtzan_features(self, y):
        def mean_var(x):
            return [np.mean(x), np.var(x)]

        names = {"chroma", "rms", "centroid", "bandwidth", "rolloff", "zcr", "tempo", "mfcc"}
        frames = self._frame_source(y, names | {"waveform_stats"})
        values = [
            *mean_var(frames("chroma")),  # pooled over the 12 bins, as in the table
            *mean_var(frames("rms")),
            *mean_var(frames("centroid")),
            *mean_var(frames("bandwidth")),
            *mean_var(frames("rolloff")),
            *mean_var(frames("zcr")),
            *frames("waveform_stats"),  # mean and variance of the harmonic, percussive parts
            *frames("tempo"),
            *summarize(frames("mfcc"), ("mean", "var")),
        ]
        return np.asarray(values, dtype=np.float64)

    def _feature_names(self):
        if self.include == "gtzan":
            if self.n_mfcc == 20:
                return list(GTZAN_COLUMNS)
            return list(GTZAN_COLUMNS[:17]) + summary_names(
                [f"mfcc{k}" for k in range(1, self.n_mfcc + 1)], ("mean", "var")
            )
        stats = check_stats(self.stats, type(self).__name__)
        names = []
        for name in self._names():
            prefix, _, numbered = FEATURES[name]
            if name == "tempo":
                names.append(prefix)
                continue
            n_rows = {"chroma": 12, "contrast": 7, "tonnetz": 6, "mfcc": self.n_mfcc}.get(name, 1)
            rows = [f"{prefix}{i:02d}" for i in range(n_rows)] if numbered else [prefix]
            names += summary_names(rows, stats)
        return names
