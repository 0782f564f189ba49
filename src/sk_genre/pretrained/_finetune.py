"""MusicnnClassifier: the pretrained musicnn network fine-tuned to the user's genres."""

from numbers import Real

import keras

from .._docstring import fill_doc
from .._param_validation import Interval, StrOptions
from ..models._classifiers import ChunkVotingClassifier
from ._network import build_musicnn
from ._weights import MODELS

__all__ = ["MusicnnClassifier"]

#: Layers trained for each ``trainable`` setting (the rest keep musicnn's weights).
_BACKEND = ("batch_normalization_9", "dense", "batch_normalization_10")


@fill_doc(rows="patches", holdout="tracks")
class MusicnnClassifier(ChunkVotingClassifier):
    """musicnn with a new softmax head, trained on 3-s patches, voting per track.

    The pretrained network (:func:`sk_genre.pretrained.build_musicnn`, up to its
    200-unit penultimate layer) gets a new head, ``Dropout -> Dense(n_classes,
    softmax)``, for the genres of ``y``. Input rows are tracks: ``X`` is the
    output of :class:`~sk_genre.pretrained.MusicnnPatches`, ``(n_tracks,
    n_patches, 187, 96)``. As :class:`~sk_genre.models.CNNClassifier`, ``fit``
    trains on every patch with its track's genre (early stopping holds out
    whole tracks, or ``groups``) and ``predict_proba`` averages the patch
    probabilities of each track.

    Parameters
    ----------
    pretrained : {"MSD_musicnn", "MTT_musicnn"}, default="MSD_musicnn"
        Pretrained weights to start from (the ``model`` of
        :class:`MusicnnEmbedding`).
    trainable : {"head", "backend", "all"}, default="head"
        What is trained: only the new head (musicnn frozen and run as at
        inference, batch norms and dropout included: a linear probe trained on
        patches); also musicnn's back-end (the pooled-feature batch norm, the
        200-unit dense layer and its batch norm; musicnn's dropout before that
        layer acts); or every layer. Grid-searchable. With ``"all"``, use a
        ``learning_rate`` of about 1e-4.
    dropout : float, default=0.5
        Dropout rate before the new head.
    %(keras_training)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Genre labels, sorted.
    model_ : keras.Model
        The trained patch network.
    n_chunks_ : int
        Patches per track seen in ``fit``.

    Notes
    -----
    Each training step runs the whole network forward (about 2.8 GFLOP per
    patch) and, beyond the head, backward: on two CPU cores an epoch over 40
    thirty-second tracks (400 patches) takes about 10 s with ``"head"``; a GPU
    is worth it for ``"all"``.

    Examples
    --------
    >>> from sk_genre.pretrained import MusicnnClassifier, MusicnnPatches
    >>> from sklearn.pipeline import make_pipeline
    >>> pipe = make_pipeline(MusicnnPatches(), MusicnnClassifier(epochs=5))
    >>> pipe.fit(paths, genres)  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        **ChunkVotingClassifier._parameter_constraints,
        "pretrained": [StrOptions(set(MODELS))],
        "trainable": [StrOptions({"head", "backend", "all"})],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        *,
        pretrained="MSD_musicnn",
        trainable="head",
        dropout=0.5,
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        epochs=20,
        batch_size=32,
        shuffle=True,
        class_weight=None,
        early_stopping=False,
        patience=10,
        restore_best_weights=True,
        validation_fraction=0.1,
        stop_accuracy=None,
        reduce_lr_on_plateau=False,
        reduce_lr_factor=0.5,
        reduce_lr_patience=5,
        callbacks=None,
        warm_start=False,
        random_state=None,
        verbose=0,
    ):
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            shuffle=shuffle,
            class_weight=class_weight,
            early_stopping=early_stopping,
            patience=patience,
            restore_best_weights=restore_best_weights,
            validation_fraction=validation_fraction,
            stop_accuracy=stop_accuracy,
            reduce_lr_on_plateau=reduce_lr_on_plateau,
            reduce_lr_factor=reduce_lr_factor,
            reduce_lr_patience=reduce_lr_patience,
            callbacks=callbacks,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.pretrained = pretrained
        self.trainable = trainable
        self.dropout = dropout

    def _keras_build_fn(self, meta, compile_kwargs):
        base = build_musicnn(self.pretrained, outputs=("penultimate",))
        if self.trainable == "head":  # the frozen network runs as at inference: no dropout
            base.trainable = False
            inputs = keras.Input(base.input.shape[1:], name="log_mel")
            features = base(inputs, training=False)
        else:  # frozen layers' batch norms run in inference mode; trained ones' dropout acts
            for layer in base.layers:
                layer.trainable = self.trainable == "all" or layer.name in _BACKEND
            inputs, features = base.input, base.output
        h = keras.layers.Dropout(self.dropout)(features)
        out = keras.layers.Dense(meta["n_classes_"], activation="softmax", name="genre")(h)
        return self._compile(keras.Model(inputs, out, name="musicnn_finetuned"), compile_kwargs)
