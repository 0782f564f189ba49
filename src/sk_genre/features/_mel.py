"""MelChunker: fixed-shape stacks of log-mel chunks, one stack per clip."""

from functools import lru_cache
from numbers import Integral, Real

import numpy as np
import scipy.fft
import scipy.signal
import sklearn

from .._docstring import fill_doc
from .._param_validation import Interval
from ._base import ClipFeatureTransformer
from ._stft import sparse_mel_filterbank, zero_padded_slice

__all__ = ["MelChunker"]

#: Power floor of the log-mel values (the ``amin`` 1e-10 of librosa.power_to_db).
AMIN = 1e-10
#: The same floor in dB, exact: float32 ``log10`` of ``float32(1e-10)`` rounds either way
#: depending on numpy's SIMD code path, so floored values are set to this number.
DB_FLOOR = -100.0


class FourDOutputMixin:
    """Refuse DataFrame output: for transformers whose rows are 4-D stacks of chunks."""

    def set_output(self, *, transform=None):
        """Keep NumPy output: a DataFrame cannot hold 4-D chunks.

        Parameters
        ----------
        transform : {"default"} or None, default=None
            ``"default"``: NumPy output (overrides a global
            ``sklearn.set_config(transform_output=...)``); ``None``: unchanged.
            ``"pandas"`` and ``"polars"`` are refused.

        Returns
        -------
        self : object

        Raises
        ------
        ValueError
            ``transform`` names a DataFrame library.
        """
        if transform not in (None, "default"):
            raise ValueError(_dataframe_output_message(self, transform, "set_output"))
        if transform is not None:
            self._transform_output = transform  # read by transform (no private sklearn state)
        return super().set_output(transform=transform)

    def __sklearn_clone__(self):
        # clone keeps the set_output choice, as scikit-learn's clone does for its own
        clone = super().__sklearn_clone__()
        if "_transform_output" in self.__dict__:
            clone._transform_output = self._transform_output
        return clone

    def _output_container(self):
        """The ``transform_output`` in force: this estimator's set_output, else the global one."""
        return self.__dict__.get("_transform_output") or sklearn.get_config()["transform_output"]

    def transform(self, X):
        """Chunks of every clip, as a 4-D NumPy array.

        Parameters
        ----------
        X : sequence of paths or 1-D waveforms, or array-like of shape (n_clips, n_samples)
            Paths are decoded (once each) and resampled to ``sr`` Hz; waveforms
            are taken to be sampled at ``sr`` Hz already.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_chunks, ...), float32
            Always a NumPy array (:class:`MelChunker`: ``(n_clips, n_chunks_,
            n_mels, n_frames_)``).

        Raises
        ------
        AudioDecodeError
            A file cannot be decoded (the message names it).
        ValueError
            A waveform is empty, not 1-D or not finite, or DataFrame output is
            configured globally (``sklearn.set_config(transform_output="pandas")``).
        """
        output = self._output_container()
        if output != "default":
            raise ValueError(_dataframe_output_message(self, output, "sklearn.set_config"))
        return super().transform(X)


@fill_doc
class MelChunker(FourDOutputMixin, ClipFeatureTransformer):
    """Log-mel spectrogram chunks of each clip, for CNNs: ``(n_clips, n_chunks, n_mels, n_frames)``.

    Each clip becomes ``n_chunks`` chunks of ``chunk_duration`` seconds. One row
    per clip: the chunks of a track stay together, so cross-validation never
    puts chunks of one track on both sides (the CNN votes over them).

    Chunk rule (every clip gets the same shape):

    * ``n_chunks = 1 + floor((track_duration - chunk_duration) / chunk_hop)``
      (14 for the defaults: 4-s chunks every 2 s over 30 s);
    * the chunk starts are spread evenly from the start to the end of the
      clip, so a clip of ``track_duration`` seconds gets a chunk every
      ``chunk_hop`` seconds, a longer clip gets chunks further apart (the whole
      track is sampled) and a shorter one overlapping chunks;
    * a clip shorter than one chunk (fewer than ``n_frames * hop_length``
      samples: at most ``n_frames`` STFT frames) is zero-padded at the end to
      one chunk, and its chunks coincide.

    Values are ``10 * log10(max(mel_power, 1e-10))`` in dB (no per-clip
    reference or ``top_db`` clipping, so a chunk does not depend on the rest
    of its track). The frames are those of :func:`librosa.stft` (Hann,
    ``center=True``, zero padding) and the bands those of
    :func:`librosa.filters.mel`; the FFT runs in float32 (librosa: float64),
    which keeps every value within 0.05 dB of librosa's log-mel and halves
    the time. Only the frames the chunks cover are
    transformed: for long clips memory grows with the chunks, not the file.

    Parameters
    ----------
    %(sr)s
    %(n_mels)s
    %(n_fft)s
    %(hop_length)s
    %(fmin)s
    %(fmax)s
    %(chunk_duration)s
        ``n_frames = round(chunk_duration * sr / hop_length)``.
    %(chunk_hop)s
        For a clip of ``track_duration``.
    track_duration : float, default=30.0
        Nominal clip length in seconds that fixes ``n_chunks`` (GTZAN: 30).
    %(n_jobs)s
    %(memory)s
    %(verbose_clips)s
    %(on_error)s

    Attributes
    ----------
    n_chunks_ : int
        Chunks per clip.
    n_frames_ : int
        Frames per chunk.
    n_features_out_ : int
        ``n_chunks_ * n_mels * n_frames_`` (values per clip).
    %(kept_indices_)s
    %(errors_)s

    Raises
    ------
    ValueError
        From ``fit``: ``chunk_duration > track_duration``, ``fmax > sr / 2``,
        a chunk shorter than one hop. From ``transform``: bad clips.
        From ``set_output`` and ``transform``: DataFrame output was asked for
        (a DataFrame cannot hold 4-D chunks).

    References
    ----------
    .. [1] librosa.feature.melspectrogram, librosa.power_to_db (librosa 0.11).
    .. [2] K. Choi, G. Fazekas and M. Sandler, "Automatic tagging using deep
       convolutional neural networks", ISMIR 2016 (log-mel CNN input).

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre import MelChunker
    >>> X = np.random.default_rng(0).standard_normal((2, 30 * 22050)).astype(np.float32)
    >>> MelChunker().fit_transform(X).shape
    (2, 14, 128, 172)
    """

    _parameter_constraints: dict = {
        **ClipFeatureTransformer._parameter_constraints,
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "n_fft": [Interval(Integral, 16, None, closed="left")],
        "hop_length": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="left")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
        "chunk_duration": [Interval(Real, 0, None, closed="neither")],
        "chunk_hop": [Interval(Real, 0, None, closed="neither")],
        "track_duration": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(
        self,
        *,
        sr=22050,
        n_mels=128,
        n_fft=2048,
        hop_length=512,
        fmin=0.0,
        fmax=None,
        chunk_duration=4.0,
        chunk_hop=2.0,
        track_duration=30.0,
        n_jobs=None,
        memory=None,
        verbose=0,
        on_error="raise",
    ):
        self.sr = sr
        self.n_mels = n_mels
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.fmin = fmin
        self.fmax = fmax
        self.chunk_duration = chunk_duration
        self.chunk_hop = chunk_hop
        self.track_duration = track_duration
        self.n_jobs = n_jobs
        self.memory = memory
        self.verbose = verbose
        self.on_error = on_error

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # float32 log-mel whatever the input: float32 in, float32 out (and the default)
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _check_params(self):
        if self.chunk_duration > self.track_duration:
            raise ValueError(
                f"chunk_duration must be <= track_duration ({self.track_duration} s); "
                f"got {self.chunk_duration}"
            )
        if self.fmax is not None and self.fmax > self.sr / 2:
            raise ValueError(f"fmax must be <= sr / 2 ({self.sr / 2} Hz); got {self.fmax}")
        if self._n_frames() < 1:
            raise ValueError(
                f"chunk_duration must span at least one hop ({self.hop_length / self.sr:.4f} s); "
                f"got {self.chunk_duration}"
            )
        self.n_chunks_, self.n_frames_ = self._n_chunks(), self._n_frames()

    def _n_frames(self):
        return int(round(self.chunk_duration * self.sr / self.hop_length))

    def _n_chunks(self):
        return 1 + int(
            np.floor((self.track_duration - self.chunk_duration) / self.chunk_hop + 1e-9)
        )

    def _chunk_starts(self, total_frames):
        """First frame of each chunk, spread evenly over ``total_frames``."""
        last = max(total_frames - self._n_frames(), 0)
        return np.round(np.linspace(0, last, self._n_chunks())).astype(int)

    def _features(self, y):
        n_frames, half = self._n_frames(), self.n_fft // 2
        # zero-pad to one chunk (frames of a centred STFT: 1 + n_samples // hop)
        min_samples = (n_frames - 1) * self.hop_length + 1
        if y.shape[0] < min_samples:
            y = np.pad(y, (0, min_samples - y.shape[0]))
        total_frames = 1 + y.shape[0] // self.hop_length
        starts = self._chunk_starts(total_frames)
        basis = sparse_mel_filterbank(self.sr, self.n_fft, self.n_mels, self.fmin, self.fmax)
        window = _hann(self.n_fft)
        out = np.empty((len(starts), self.n_mels, n_frames), dtype=np.float32)
        for run_start, run_end, members in _runs(starts, n_frames):
            # the samples of frames [run_start, run_end) of librosa.stft(center=True), which
            # zero-pads n_fft // 2 on both sides; only this segment is copied
            first = run_start * self.hop_length - half
            last = first + (run_end - run_start - 1) * self.hop_length + self.n_fft
            segment = zero_padded_slice(y, first, last)
            frames = np.lib.stride_tricks.sliding_window_view(segment, self.n_fft)
            stft = scipy.fft.rfft(frames[:: self.hop_length] * window, axis=-1)
            power = np.square(stft.real) + np.square(stft.imag)  # (frames, bins)
            mel = basis @ power.T
            log_mel = np.maximum(10.0 * np.log10(np.maximum(mel, AMIN)), DB_FLOOR)
            for k in members:
                offset = starts[k] - run_start
                out[k] = log_mel[:, offset : offset + n_frames]
        return out

    def _n_features_out(self):
        return self._n_chunks() * self.n_mels * self._n_frames()

    def _feature_names(self):
        # names of the flattened values, built only when asked for
        return [
            f"chunk{c:02d}_mel{m:03d}_frame{f:03d}"
            for c in range(self._n_chunks())
            for m in range(self.n_mels)
            for f in range(self._n_frames())
        ]


def _dataframe_output_message(transformer, output, source):
    """Why ``transformer`` refuses ``output`` ("pandas", "polars") asked for by ``source``."""
    name = type(transformer).__name__
    message = (
        f"{name} output must be a NumPy array: its 4-D chunks (n_clips, n_chunks, ...) "
        f"cannot be a DataFrame; got transform output {output!r} from {source}"
    )
    if source == "set_output":
        return message
    return f"{message}. {name}(...).set_output(transform='default') keeps NumPy output."


@lru_cache(maxsize=8)
def _hann(n_fft):
    """Periodic Hann window of :func:`librosa.stft`, float32, read-only."""
    window = scipy.signal.get_window("hann", n_fft, fftbins=True).astype(np.float32)
    window.flags.writeable = False
    return window


def _runs(starts, length):
    """Group chunks ``[start, start + length)`` into runs of overlapping frames.

    Yields ``(first_frame, end_frame, chunk_indices)``; overlapping chunks share
    one STFT, distant ones (long clips) get their own.
    """
    order = np.argsort(starts, kind="stable")
    run_start, run_end, members = None, None, []
    for k in order:
        begin, end = int(starts[k]), int(starts[k]) + length
        if run_end is not None and begin <= run_end:
            run_end = max(run_end, end)
            members.append(k)
            continue
        if members:
            yield run_start, run_end, members
        run_start, run_end, members = begin, end, [k]
    yield run_start, run_end, members
