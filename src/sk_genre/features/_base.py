"""Shared machinery of the clip-wise feature transformers.

A subclass implements ``_features(y)`` (one mono float32 waveform at ``sr`` Hz
-> one 1-D feature vector) and ``_feature_names()``. This base decodes each
clip once, maps clips over joblib workers and shows a tqdm bar when a batch is
slow. BLAS runs single-threaded for every clip, in workers and in the serial
path alike: parallelism is over clips, and multi-threaded BLAS sums in another
order (about 1e-7 apart), so n_jobs=1 and n_jobs=2 give identical features.
"""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from tqdm.auto import tqdm

from ..io import check_clips, load_clip

#: A progress bar appears only when a batch runs longer than this (seconds).
PROGRESS_DELAY = 3.0

_controller = None


def _single_threaded():
    """Context manager limiting BLAS/OpenMP pools to one thread (threadpoolctl)."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller.limit(limits=1)


def _pinned(func, *args):
    """Run ``func`` single-threaded (in a joblib worker)."""
    with _single_threaded():
        return func(*args)


class ClipFeatureTransformer(TransformerMixin, BaseEstimator):
    """Base class: one feature vector per clip, computed clip by clip.

    Not public; subclasses set ``_parameter_constraints`` (extending this
    one's), ``_features`` and ``_feature_names``.
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def fit(self, X, y=None):
        """Validate the parameters and the input; learn nothing from the audio.

        Parameters
        ----------
        X : sequence of paths or 1-D waveforms, or array-like of shape (n_clips, n_samples)
            See :func:`sk_genre.io.check_clips`. Files are not decoded here.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.

        Raises
        ------
        ValueError
            A parameter is invalid or ``X`` is not a batch of clips.
        """
        self._validate_params()
        self._check_params()
        clips = check_clips(X)
        # n_features_in_ (samples per clip) only means something for a 2-D waveform array
        if all(isinstance(c, np.ndarray) for c in clips) and len({c.shape for c in clips}) == 1:
            self.n_features_in_ = clips[0].shape[0]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.n_features_out_ = len(self._feature_names())
        return self

    def _check_params(self):
        """Cross-parameter checks a subclass adds (called by ``fit``)."""

    def transform(self, X):
        """Compute the features of every clip.

        Parameters
        ----------
        X : sequence of paths or 1-D waveforms, or array-like of shape (n_clips, n_samples)
            Paths are decoded (once each) and resampled to ``sr`` Hz; waveforms
            are taken to be sampled at ``sr`` Hz already.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features_out_), dtype float64

        Raises
        ------
        sklearn.exceptions.NotFittedError
            ``fit`` was not called.
        AudioDecodeError
            A file cannot be decoded (the message names it).
        ValueError
            A waveform is empty, not 1-D or not finite.
        """
        check_is_fitted(self)
        clips = check_clips(X)
        rows = self._map(clips)
        return np.vstack(rows)

    def _clip_features(self, clip, index):
        return self._features(load_clip(clip, sr=self.sr, index=index))

    def _map(self, clips):
        tasks = ((clip, i) for i, clip in enumerate(clips))
        if effective_n_jobs(self.n_jobs) == 1:
            results = (_pinned(self._clip_features, clip, i) for clip, i in tasks)
        else:
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(_pinned)(self._clip_features, clip, i) for clip, i in tasks
            )
        bar = tqdm(
            results,
            total=len(clips),
            desc=type(self).__name__,
            unit="clip",
            disable=not self.verbose,
            delay=PROGRESS_DELAY,
            leave=False,
        )
        return list(bar)

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns, e.g. ``mfcc00_mean``.

        Parameters
        ----------
        input_features : None
            Ignored (the input is audio, not named columns).

        Returns
        -------
        feature_names_out : ndarray of shape (n_features_out_,), dtype object
        """
        check_is_fitted(self)
        return np.asarray(self._feature_names(), dtype=object)
