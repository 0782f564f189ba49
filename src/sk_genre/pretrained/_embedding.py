"""musicnn's input and features as scikit-learn transformers.

:class:`MusicnnEmbedding` gives pretrained features of each clip (one row per clip);
:class:`MusicnnPatches` gives the clip's log-mel patches themselves, the input of the
fine-tuned :class:`~sk_genre.pretrained.MusicnnClassifier`.
"""

from functools import lru_cache
from numbers import Integral, Real

import numpy as np

from .._docstring import fill_doc
from .._param_validation import Interval, StrOptions
from ..features import load_clip
from ..features._base import ClipCache, ClipFeatureTransformer, _ClipFailure, _Extractor
from ..features._mel import FourDOutputMixin
from ._input import PATCH_FRAMES, SR, log_mel, patches
from ._weights import MODELS, TAGS

__all__ = ["LAYER_WIDTHS", "MusicnnEmbedding", "MusicnnPatches", "musicnn_network"]

#: Width of each layer musicnn can output (see ``sk_genre.pretrained.build_musicnn``).
LAYER_WIDTHS = {"taggram": 50, "penultimate": 200, "mean_pool": 753, "max_pool": 753}
_POOLINGS = {"mean": ("mean",), "max": ("max",), "mean_std": ("mean", "std")}


@lru_cache(maxsize=8)
def musicnn_network(model, layer):
    """The Keras network of ``model`` with output ``layer``, built once per process."""
    from ._network import build_musicnn

    return build_musicnn(model, outputs=(layer,))


class _MusicnnInput(ClipFeatureTransformer):
    """Clips decoded at musicnn's 16 kHz with the ``res_type`` resampler."""

    _parameter_constraints: dict = {
        **{k: v for k, v in ClipFeatureTransformer._parameter_constraints.items() if k != "sr"},
        "res_type": [str],
    }

    #: Sampling rate in Hz of musicnn's input (fixed).
    sr = SR

    def _load_clip(self, clip, index):
        return load_clip(clip, sr=SR, index=index, res_type=self.res_type)


@fill_doc
class MusicnnEmbedding(_MusicnnInput):
    """Pretrained musicnn features of each clip, pooled over its 3-s patches.

    Each clip is decoded at 16 kHz, turned into musicnn's log-mel spectrogram
    (96 bands, ``log10(10000 * mel + 1)``, see :func:`sk_genre.pretrained.log_mel`),
    cut into 187-frame (3-s) patches, and run through the Keras 3 port of musicnn
    with its pretrained weights (shipped with sk_genre; see
    :func:`sk_genre.pretrained.build_musicnn`). The chosen layer's output of every
    patch is then pooled over the clip's patches: one row per clip, whatever its
    length. Stateless: nothing is learned, ``fit`` only validates.

    Patches from many clips are run through the network together, ``batch_size``
    at a time, in this process (the Keras backend uses every core); decoding and
    the spectrograms run over ``n_jobs`` joblib workers meanwhile.

    Parameters
    ----------
    model : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Pretrained network: trained on the Million Song Dataset's 50 most frequent
        last.fm tags (genres, eras, moods: the better genre features) or on
        MagnaTagATune's 50 tags (instruments, moods, a few genres).
    layer : {"penultimate", "mean_pool", "max_pool", "taggram"}, default="penultimate"
        Which output of each patch: the 200-unit penultimate dense layer (after
        its batch norm), the mid-end features (753) averaged or maxed over the
        patch's frames, or the 50 tag probabilities.
    pooling : {"mean", "max", "mean_std"}, default="mean"
        How the patch outputs of a clip are summarised: their mean, their
        maximum, or mean and standard deviation side by side (twice the columns).
    patch_hop : float or None, default=None
        Seconds between patch starts; ``None`` puts the 3-s patches back to back
        (musicnn's default). Rounded to whole frames of 256 samples (16 ms).
    %(res_type)s
    batch_size : int, default=16
        Patches per network call (16 patches: about 0.25 GB of activations;
        on CPU larger batches are no faster per patch).
    %(n_jobs)s
        They decode the clips and compute the spectrograms.
    %(verbose_clips)s
    %(memory)s
    %(on_error)s

    Attributes
    ----------
    n_features_out_ : int
        Columns of the output (set by ``fit``).
    %(kept_indices_)s
    %(errors_)s

    Notes
    -----
    Waveforms (1-D arrays, or a 2-D array of shape ``(n_clips, n_samples)``)
    must already be sampled at 16000 Hz. A clip shorter than 3 s gives one patch,
    its spectrogram repeated to fill it; frames after the last whole patch are
    not used (as in musicnn). Network cost: about 2.8 GFLOP per patch, 28 GFLOP
    per 30-s clip.

    References
    ----------
    .. [1] J. Pons and X. Serra, "musicnn: pre-trained convolutional neural
       networks for music audio tagging", ISMIR late-breaking demo, 2019.
    .. [2] J. Pons, O. Nieto, M. Prockup, E. M. Schmidt, A. F. Ehmann and
       X. Serra, "End-to-end learning for music audio tagging at scale", ISMIR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.pretrained import MusicnnEmbedding
    >>> y = np.random.default_rng(0).standard_normal((2, 16000 * 6)).astype("float32")
    >>> MusicnnEmbedding().fit_transform(y).shape
    (2, 200)
    """

    _parameter_constraints: dict = {
        **_MusicnnInput._parameter_constraints,
        "model": [StrOptions(set(MODELS))],
        "layer": [StrOptions(set(LAYER_WIDTHS))],
        "pooling": [StrOptions(set(_POOLINGS))],
        "patch_hop": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        model="MSD_musicnn",
        layer="penultimate",
        pooling="mean",
        patch_hop=None,
        res_type="soxr_hq",
        batch_size=16,
        n_jobs=None,
        verbose=0,
        memory=None,
        on_error="raise",
    ):
        self.model = model
        self.layer = layer
        self.pooling = pooling
        self.patch_hop = patch_hop
        self.res_type = res_type
        self.batch_size = batch_size
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.memory = memory
        self.on_error = on_error

    def _hop_frames(self):
        if self.patch_hop is None:
            return PATCH_FRAMES
        return max(1, round(self.patch_hop * SR / 256))

    def _features(self, y):
        """The clip's patches (the network runs on batches of them in ``_map``)."""
        return patches(log_mel(y), self._hop_frames())

    def _feature_names(self):
        prefix = self.model.split("_")[0].lower()
        if self.layer == "taggram":
            units = [tag.lower().replace(" ", "_").replace("-", "") for tag in TAGS[self.model]]
        else:
            units = [f"{self.layer}{i:03d}" for i in range(LAYER_WIDTHS[self.layer])]
        stats = _POOLINGS[self.pooling]
        return [f"{prefix}_{unit}_{stat}" for stat in stats for unit in units]

    def _pool(self, outputs):
        stats = {"mean": np.mean, "max": np.max, "std": np.std}
        pooled = [stats[s](outputs, axis=0) for s in _POOLINGS[self.pooling]]
        return np.concatenate(pooled).astype(np.float64)

    def _map(self, clips):
        """Embeddings (or ``_ClipFailure``) of every clip: cached, else batched through musicnn."""
        cache = ClipCache(self)
        results = [cache.get(clip) for clip in clips]
        todo = [i for i, r in enumerate(results) if r is None]
        extracted = self._imap(
            [clips[i] for i in todo], todo, _Extractor(self, cache=False)
        )  # (index, patches) pairs, or failures, in input order
        for i, result in self._embed_stream(zip(todo, extracted, strict=True)):
            results[i] = result
            if not isinstance(result, _ClipFailure):
                cache.put(clips[i], result)
        return results

    def _patch_outputs(self, patch_batch):
        """Network outputs of a batch of patches, ``(n_patches, width)`` float32.

        Parameters
        ----------
        patch_batch : ndarray of shape (n_patches, 187, 96), dtype float32
            Log-mel patches (see :func:`sk_genre.pretrained.patches`).

        Returns
        -------
        outputs : ndarray of shape (n_patches, width)
            ``width`` is 50, 200 or 753 (``layer``).
        """
        network = musicnn_network(self.model, self.layer)
        out = []
        for start in range(0, len(patch_batch), self.batch_size):
            batch = patch_batch[start : start + self.batch_size]
            out.append(np.asarray(network.predict_on_batch(batch)))
        if not out:
            return np.empty((0, LAYER_WIDTHS[self.layer]), dtype=np.float32)
        return np.concatenate(out)

    def _embed_stream(self, items):
        """Pool network outputs per clip, running full batches of patches across clips.

        ``items`` yields ``(index, patches)`` (or ``(index, _ClipFailure)``); this
        yields ``(index, embedding or failure)`` as soon as a clip's patches are
        through the network; fewer than ``batch_size`` patches wait between calls.
        """
        waiting = []  # (index, n_patches) of clips whose patches are queued or being run
        queue = []  # patch arrays not yet run
        done = []  # network outputs of run patches not yet given to a clip
        n_queued = n_done = 0
        for index, item in items:
            if isinstance(item, _ClipFailure):
                if not waiting:
                    yield index, item
                else:
                    waiting.append((index, item))
                continue
            waiting.append((index, len(item)))
            queue.append(item)
            n_queued += len(item)
            if n_queued >= self.batch_size:  # run every full batch, keep the rest queued
                pending = np.concatenate(queue)
                n_full = n_queued - n_queued % self.batch_size
                done.append(self._patch_outputs(pending[:n_full]))
                n_done += n_full
                queue = [pending[n_full:]]
                n_queued -= n_full
            done, n_done, waiting = yield from self._emit(waiting, done, n_done)
        if n_queued:
            done.append(self._patch_outputs(np.concatenate(queue)))
            n_done += n_queued
        yield from self._emit(waiting, done, n_done)

    def _emit(self, waiting, done, n_done):
        """Yield the clips at the head of ``waiting`` whose outputs are all in ``done``."""
        outputs = np.concatenate(done) if len(done) > 1 else (done[0] if done else None)
        while waiting:
            index, n = waiting[0]
            if isinstance(n, _ClipFailure):
                yield index, n
            elif n <= n_done:
                yield index, self._pool(outputs[:n])
                outputs, n_done = outputs[n:], n_done - n
            else:
                break
            waiting.pop(0)
        return ([outputs] if outputs is not None and len(outputs) else []), n_done, waiting


@fill_doc
class MusicnnPatches(FourDOutputMixin, _MusicnnInput):
    """musicnn's log-mel patches of each clip: ``(n_clips, n_patches, 187, 96)``.

    The input of :class:`~sk_genre.pretrained.MusicnnClassifier` (fine-tuning).
    Each clip is decoded at 16 kHz and turned into musicnn's log-mel spectrogram
    (:func:`sk_genre.pretrained.log_mel`); ``n_patches`` patches of 187 frames
    (3 s) are taken with their starts spread evenly from the first frame to the
    last whole patch, so every clip gives the same shape (a 30-s clip: ten
    patches nearly back to back; a longer one: patches further apart; a clip
    shorter than 3 s: its spectrogram repeated to fill one patch, copied
    ``n_patches`` times). One row per clip, so the patches of a track never
    straddle a cross-validation split.

    Parameters
    ----------
    n_patches : int, default=10
        Patches per clip.
    %(res_type)s
    %(n_jobs)s
    %(verbose_clips)s
    %(memory)s
    %(on_error)s

    Notes
    -----
    Waveforms must already be sampled at 16000 Hz. Output float32, in
    musicnn's layout: time frames, then mel bands.

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.pretrained import MusicnnPatches
    >>> y = np.zeros((2, 16000 * 30), dtype="float32")
    >>> MusicnnPatches().fit_transform(y).shape
    (2, 10, 187, 96)
    """

    _parameter_constraints: dict = {
        **_MusicnnInput._parameter_constraints,
        "n_patches": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self, *, n_patches=10, res_type="soxr_hq", n_jobs=None, verbose=0, memory=None,
        on_error="raise",
    ):  # fmt: skip
        self.n_patches = n_patches
        self.res_type = res_type
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.memory = memory
        self.on_error = on_error

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    def _features(self, y):
        spectrogram = log_mel(y)
        if spectrogram.shape[0] < PATCH_FRAMES:  # shorter than 3 s: repeated to one patch
            spectrogram = patches(spectrogram)[0]
        last = spectrogram.shape[0] - PATCH_FRAMES
        starts = np.round(np.linspace(0, last, self.n_patches)).astype(int)
        return np.stack([spectrogram[s : s + PATCH_FRAMES] for s in starts])

    def _n_features_out(self):
        return self.n_patches * PATCH_FRAMES * 96

    def _feature_names(self):
        return [
            f"patch{p:02d}_frame{f:03d}_mel{m:02d}"
            for p in range(self.n_patches)
            for f in range(PATCH_FRAMES)
            for m in range(96)
        ]
