"""Shared machinery of the clip-wise feature transformers.

A subclass implements ``_features(y)`` (one mono float32 waveform at ``sr`` Hz
-> one 1-D feature vector) and ``_feature_names()``. This base decodes each
clip once, maps clips over joblib workers (any joblib backend: loky, threads,
Dask), caches per-clip features in a ``joblib.Memory`` keyed by the clip's
content and the parameters, and shows a tqdm bar when a batch is slow.

BLAS runs single-threaded for every clip, in workers and in the serial path
alike: parallelism is over clips, and multi-threaded BLAS sums in another
order (about 1e-7 apart), so n_jobs=1 and n_jobs=2 give identical features.
"""

import hashlib
import os
import warnings
from numbers import Integral

import joblib
import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_memory
from tqdm.auto import tqdm

from .._param_validation import HasMethods, Interval, StrOptions, validate_params
from .._persistence import VersionedPickleMixin
from .._version import __version__
from ..exceptions import AudioDecodeError
from ._validation import check_clips, clip_name, load_clip

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


def _extract(transformer, clip, index):
    """Decode (if a path) and compute the features of one clip; they must be finite."""
    features = transformer._features(transformer._load_clip(clip, index))
    if not np.isfinite(features).all():
        raise ValueError(
            f"features of {clip_name(clip, index)} must be finite; {type(transformer).__name__} "
            "gave NaN or inf (an extreme or degenerate waveform)"
        )
    return features


def _cached_extract(key, transformer, clip, index):
    """Target of joblib.Memory: only ``key`` (content digest + parameters) is hashed."""
    return _extract(transformer, clip, index)


def _content_digest(clip):
    """Digest of a file's bytes or of a waveform's samples; None if unreadable."""
    if isinstance(clip, str):
        try:
            with open(clip, "rb") as f:
                return hashlib.file_digest(f, "blake2b").hexdigest()
        except OSError:
            return None  # the uncached path raises the AudioDecodeError
    return joblib.hash(np.asarray(clip))


class _Extractor:
    """Picklable per-batch callable: features of ``(clip, index)``, cached if asked."""

    _IGNORED = ("n_jobs", "verbose", "memory")

    def __init__(self, transformer, *, cache=True):
        self.transformer = transformer
        self.memorized = None
        if cache and transformer.memory is not None:
            memory = _memory(transformer)
            self.memorized = memory.cache(_cached_extract, ignore=["transformer", "clip", "index"])
            self.params = _cache_params(transformer)

    def __call__(self, clip, index):
        """Features of one clip, or (with ``on_error`` not "raise") the error it raised."""
        try:
            if self.memorized is not None:
                digest = _content_digest(clip)
                if digest is not None:
                    return self.memorized((self.params, digest), self.transformer, clip, index)
            return _extract(self.transformer, clip, index)
        except Exception as exc:  # any failure of one clip is that clip's (not interrupts)
            if self.transformer.on_error == "raise":
                raise
            return _ClipFailure(exc)


def _memory(transformer):
    location = transformer.memory
    if isinstance(location, os.PathLike):  # check_memory takes str, not Path
        location = os.fspath(location)
    return check_memory(location)


def _cache_params(transformer):
    """What a cached result depends on besides the clip: class, version, parameters."""
    params = transformer.get_params()
    return (
        type(transformer).__qualname__,
        __version__,
        sorted((k, repr(v)) for k, v in params.items() if k not in _Extractor._IGNORED),
    )


def _stored(key, value):
    """Target of joblib.Memory for :class:`ClipCache`: returns ``value``, stored under ``key``."""
    return value


class ClipCache:
    """Per-clip results computed elsewhere, kept in the transformer's ``joblib.Memory``.

    For a transformer that computes its results in batches across clips (so the
    per-clip cache of ``_Extractor`` does not fit): keyed, like that cache, by the
    clip's content digest and the transformer's parameters. ``get`` returns None for
    a clip not cached (or unreadable), ``put`` stores a result.
    """

    def __init__(self, transformer):
        self.enabled = transformer.memory is not None
        if self.enabled:
            self.stored = _memory(transformer).cache(_stored, ignore=["value"])
            self.params = _cache_params(transformer)

    def _key(self, clip):
        digest = _content_digest(clip) if self.enabled else None
        return None if digest is None else (self.params, digest)

    def get(self, clip):
        key = self._key(clip)
        if key is None or not self.stored.check_call_in_cache(key, None):
            return None
        return self.stored(key, None)

    def put(self, clip, value):
        key = self._key(clip)
        if key is not None:
            self.stored(key, value)


class _ClipFailure:
    """Marks a clip whose decoding or analysis raised ``error`` (picklable across workers)."""

    def __init__(self, error):
        self.error = error


class ClipFeatureTransformer(VersionedPickleMixin, TransformerMixin, BaseEstimator):
    """Base class: one feature vector per clip, computed clip by clip.

    Stateless, like :class:`~sklearn.feature_extraction.text.HashingVectorizer`:
    nothing is learned from the audio, ``fit`` only validates, and
    ``transform`` works on an unfitted instance (so a feature step can be put
    in front of a model trained on precomputed features).

    Not public; subclasses set ``_parameter_constraints`` (extending this
    one's), ``_features`` and ``_feature_names``.
    """

    _parameter_constraints: dict = {
        "sr": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "memory": [None, str, os.PathLike, HasMethods("cache")],
        "on_error": [StrOptions({"raise", "skip", "warn"})],
    }

    def fit(self, X, y=None):
        """Validate the parameters and the input; learn nothing from the audio.

        Parameters
        ----------
        X : sequence of paths or 1-D waveforms, or array-like of shape (n_clips, n_samples)
            See :func:`sk_genre.features.check_clips`. Files are not decoded here;
            waveforms are checked as ``transform`` checks them.
        y : None
            Ignored.

        Returns
        -------
        self : object
            Fitted transformer.

        Raises
        ------
        ValueError
            A parameter is invalid, ``X`` is not a batch of clips, or (with
            ``on_error="raise"``) a waveform is empty, not 1-D, not numeric or
            not finite.
        """
        self._validate()
        clips = check_clips(X)
        if self.on_error == "raise":  # "skip" / "warn" leave bad clips to transform
            for i, clip in enumerate(clips):
                if not isinstance(clip, str):
                    self._load_clip(clip, i)  # raises what transform would
        # n_features_in_ (samples per clip) only means something for a 2-D waveform array
        if all(isinstance(c, np.ndarray) for c in clips) and len({c.shape for c in clips}) == 1:
            self.n_features_in_ = clips[0].shape[0]
        elif hasattr(self, "n_features_in_"):
            del self.n_features_in_
        self.n_features_out_ = self._n_features_out()
        return self

    def _validate(self):
        validate_params(self)
        self._check_params()

    def __sklearn_is_fitted__(self):
        return True  # stateless: nothing to learn

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.string = True  # file paths
        return tags

    def _check_params(self):
        """Cross-parameter checks a subclass adds (called by ``fit`` and ``transform``)."""

    def _load_clip(self, clip, index):
        """One clip as a mono float32 waveform at ``sr`` Hz (see ``features.load_clip``)."""
        return load_clip(clip, sr=self.sr, index=index)

    def _n_features_out(self):
        """Values per clip; a subclass with many outputs computes it without names."""
        return len(self._feature_names())

    def transform(self, X):
        """Compute the features of every clip.

        Parameters
        ----------
        X : sequence of paths or 1-D waveforms, or array-like of shape (n_clips, n_samples)
            Paths are decoded (once each) and resampled to ``sr`` Hz; waveforms
            are taken to be sampled at ``sr`` Hz already.

        Returns
        -------
        X_new : ndarray of shape (n_clips, n_features_out_)
            One row per clip, in input order, whatever ``on_error`` is
            (float64; :class:`MelChunker` returns float32
            ``(n_clips, n_chunks, n_mels, n_frames)``). With
            ``on_error="skip"`` or ``"warn"``, the row of a clip that cannot
            be read is all NaN (scikit-learn's missing-value marker):
            ``kept_indices_`` says which rows hold features.

        Raises
        ------
        AudioDecodeError
            A file cannot be decoded (the message names it); with
            ``on_error="raise"`` (default) the first such clip in input order.
        ValueError
            A waveform is empty, not 1-D or not finite (``on_error="raise"``),
            or no clip at all could be read (any ``on_error``).

        Warns
        -----
        UserWarning
            With ``on_error="warn"``: once per call, naming every clip that
            was left out and why.

        Notes
        -----
        With ``on_error="skip"`` or ``"warn"``, each call sets
        ``kept_indices_`` (ndarray of int: positions in ``X`` of the clips
        that were read) and ``errors_`` (dict: position in ``X`` -> the
        exception, whose message names the file or clip). Rows never change
        in number, so the output stays aligned with ``y`` and with every
        scikit-learn tool; a model that does not accept NaN is given
        ``X_new[kept_indices_]`` and ``y[kept_indices_]``.
        :class:`sk_genre.GenrePipeline` (what :func:`sk_genre.make_pipeline`
        returns) does this itself: it trains on the readable clips and gives
        the unreadable ones the training prior (docs/input.md, "Unreadable
        files in a pipeline").
        """
        self._validate()
        clips = check_clips(X)
        results = self._map(clips)
        if self.on_error == "raise":
            self._skip_state()
            return np.stack(results)
        errors = {i: r.error for i, r in enumerate(results) if isinstance(r, _ClipFailure)}
        self.kept_indices_ = np.array([i for i in range(len(clips)) if i not in errors], dtype=int)
        self.errors_ = errors
        if errors and self.on_error == "warn":
            warnings.warn(_skipped_message(self, clips, errors), UserWarning, stacklevel=2)
        if not len(self.kept_indices_):
            raise ValueError(
                f"X must hold at least one readable clip; all {len(clips)} failed: "
                + _listing(clips, errors)
            )
        return _with_missing_rows(results, self.kept_indices_)

    def _map(self, clips):
        """Features (or a ``_ClipFailure``) of every clip, in input order."""
        return list(self._imap(clips, range(len(clips)), _Extractor(self)))

    def _imap(self, clips, indices, extract):
        """Yield ``extract(clip, index)`` clip by clip, over joblib workers, with a progress bar.

        ``indices`` are the clips' positions in the caller's batch (for messages).
        """
        tasks = zip(clips, indices, strict=True)
        if effective_n_jobs(self.n_jobs) == 1:
            results = (_pinned(extract, clip, i) for clip, i in tasks)
        else:
            results = Parallel(n_jobs=self.n_jobs, return_as="generator")(
                delayed(_pinned)(extract, clip, i) for clip, i in tasks
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
        yield from bar

    def _skip_state(self):
        """Drop the per-call ``kept_indices_`` / ``errors_`` (left from another call)."""
        for name in ("kept_indices_", "errors_"):
            self.__dict__.pop(name, None)

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
        self._validate()
        return np.asarray(self._feature_names(), dtype=object)


def _with_missing_rows(results, kept):
    """Stack the readable clips' rows, with an all-NaN row (same shape) for each failure."""
    rows = np.stack([results[i] for i in kept])
    out = np.full((len(results),) + rows.shape[1:], np.nan, dtype=rows.dtype)
    out[kept] = rows
    return out


#: Failures listed by name in a warning or error before "... and N more".
_LISTED = 10


def _listing(clips, errors):
    """``"'a.wav' (reason); clip 3 (reason)"`` for the first failures, then a count."""
    items = []
    for i, error in list(errors.items())[:_LISTED]:
        name = clip_name(clips[i], i)
        if isinstance(error, AudioDecodeError):
            items.append(f"{name} ({error.reason})")
        else:  # waveform errors already start with "clip <i>"
            message = str(error)
            if not isinstance(error, ValueError):  # e.g. MemoryError: say what it was
                message = f"{type(error).__name__}: {message}".rstrip(": ")
            items.append(message if message.startswith(name) else f"{name} ({message})")
    more = len(errors) - _LISTED
    return "; ".join(items) + (f"; and {more} more" if more > 0 else "")


def _skipped_message(transformer, clips, errors):
    return (
        f"{type(transformer).__name__} could not read {len(errors)} of {len(clips)} clip(s) "
        f"(on_error={transformer.on_error!r}; their rows are NaN): {_listing(clips, errors)}"
    )
