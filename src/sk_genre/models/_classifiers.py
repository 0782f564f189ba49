"""scikeras classifiers: Keras networks that behave as scikit-learn classifiers.

scikeras 0.13.0 predates scikit-learn's ``__sklearn_tags__`` protocol: its
``KerasClassifier`` puts ``BaseEstimator`` before ``ClassifierMixin`` in the
MRO (on scikit-learn >= 1.7 ``is_classifier`` is then silently False, and
integer ``cv=`` means unstratified ``KFold``), defines the legacy
``_more_tags``, and its ``random_state`` seeds Python, NumPy and TensorFlow
only. No subclass can reorder its bases, so :class:`GenreKerasClassifier` is a
scikit-learn estimator that *holds* a private ``KerasClassifier`` (``_Core``)
for the data plumbing, and owns seeding, tags, parameters and pickling.

Import through :mod:`sk_genre.models`, which picks the Keras backend first.
"""

import contextlib
import os
import random
import tempfile
import warnings
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.wrappers import BaseWrapper, KerasClassifier
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import column_or_1d

from .._docstring import fill_doc
from .._labels import check_genres
from .._param_validation import Interval, StrOptions, validate_params
from .._persistence import VersionedPickleMixin
from ._builders import CNN_PRESETS, DENSE_PRESETS, build_cnn, build_dense_network
from ._callbacks import EpochProgressBar, StopAtAccuracy

__all__ = ["CNNClassifier", "ChunkVotingClassifier", "DenseClassifier", "GenreKerasClassifier"]

#: Key of the ``.keras`` archive of ``model_`` in a pickled network's state.
_ARCHIVE_KEY = "_keras_archive"


@contextlib.contextmanager
def _seeded(seed):
    """Seed Python, NumPy and the Keras backend; restore the global RNGs after."""
    if seed is None:
        yield
        return
    # keras.utils.set_random_seed reseeds NumPy's legacy global generator: save and restore it
    py_state, np_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)  # noqa: NPY002


def _keras_archive(model):
    """The ``.keras`` archive of ``model`` (architecture, weights, optimizer), as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def _load_keras_archive(archive):
    """The compiled model saved by :func:`_keras_archive`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as f:
            f.write(archive)
        return keras.saving.load_model(path)


class _Core(KerasClassifier):
    """scikeras' ``KerasClassifier``, run by the public network that owns it.

    scikeras does the data plumbing (input checks, label encoding, building,
    compiling, routing to :meth:`keras.Model.fit` and ``predict``). Its class
    hierarchy is not scikit-learn's (``BaseWrapper`` defines the legacy
    ``_more_tags``; ``KerasClassifier(BaseWrapper, ClassifierMixin)`` puts the
    mixin after ``BaseEstimator``, which C3 forbids any subclass to change), so
    the public networks hold it instead of deriving from it.

    The core keeps no parameters: it reads them from its owner (``__getattr__``
    and ``get_params``), so ``set_params`` on the owner acts on the next fit
    with nothing copied. Fitted attributes (``model_``, ``history_``,
    ``classes_``, ``n_features_in_`` ...) live here; the owner shows them.
    """

    # scikeras reads these; sk_genre's networks are built by _keras_build_fn, not given
    model = None
    build_fn = None

    def __init__(self, owner):
        # scikeras' __init__ is not called: the parameters are the owner's
        self._owner = owner
        self.classes_ = None  # learnt from y (scikeras' target encoder reads it)

    def __getattr__(self, name):
        # only reached for names not found on the core: parameters, read from the owner
        owner = self.__dict__.get("_owner")
        if owner is None or name.startswith("_") or name.endswith("_"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(owner, name)

    @property
    def __name__(self):  # the name scikeras puts in its messages
        return type(self._owner).__name__

    def get_params(self, deep=True):
        """The owner's parameters (scikeras routes ``fit``/``predict`` keywords from them)."""
        return self._owner.get_params(deep=False)

    def __getstate__(self):
        # the network as a .keras archive written by public Keras API (scikeras pickles
        # keras.Model through a private Keras module); no owner (the owner re-attaches itself)
        # and no live callbacks (they hold the model; made again on load)
        state = dict(self.__dict__)
        for name in ("_owner", "_fit_callbacks", "_predict_callbacks"):
            state.pop(name, None)
        if "model_" in state:
            state[_ARCHIVE_KEY] = _keras_archive(state.pop("model_"))
        return state

    def __setstate__(self, state):
        state = dict(state)
        archive = state.pop(_ARCHIVE_KEY, None)
        self.__dict__.update(state)
        if archive is not None:
            self.model_ = _load_keras_archive(archive)

    def _keras_build_fn(self, meta, compile_kwargs):
        return self._owner._keras_build_fn(meta, compile_kwargs)

    def _validate_data(self, X=None, y=None, reset=False, y_numeric=False):
        if X is not None and not hasattr(X, "shape"):  # lists; arrays, sparse, DataFrames pass
            X = np.asarray(X)
        # the network computes in Keras' float type: cast numeric arrays and sparse matrices
        # to it in fit and predict alike (scikeras refuses float64 X after a float32 fit)
        dtype = getattr(X, "dtype", None)
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            X = X.astype(keras.backend.floatx(), copy=False)
        # scikit-learn's message for a wrong number of features (scikeras: "X has shape (3,),
        # but ... is expecting X of shape (4,)")
        if X is not None and not reset and getattr(self, "X_shape_", None) is not None:
            if X.ndim == len(self.X_shape_) == 2 and X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {self.__name__} is expecting "
                    f"{self.n_features_in_} features as input"
                )
        return super()._validate_data(X, y, reset=reset, y_numeric=y_numeric)

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        with _seeded(self._owner._seed()):
            super()._fit(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )

    def _predict_raw(self, X, **kwargs):
        # verbose=1 is the epoch bar of fit; Keras' predict log only with verbose >= 2
        if self.verbose < 2:
            kwargs.setdefault("verbose", 0)
        return super()._predict_raw(X, **kwargs)

    def _get_compile_kwargs(self):
        # scikeras' reads parameters sk_genre does not take (metrics, run_eagerly, routed ones)
        return {"optimizer": self._owner._optimizer(), "loss": self.loss, "metrics": ["accuracy"]}

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        incremental = kwargs.pop("_incremental", False)
        self._initialize_callbacks()  # the user's callbacks (params may change between fits)
        if not incremental:
            self._fit_callbacks = [*self._fit_callbacks, *self._owner._training_callbacks()]
        if self.verbose == 1:  # one bar over the epochs, instead of Keras' bar per epoch
            self._fit_callbacks = [*self._fit_callbacks, EpochProgressBar(self.__name__)]
            kwargs.setdefault("verbose", 0)
        if self.early_stopping and not incremental and "validation_data" not in kwargs:
            train, val = self._owner._holdout(y, getattr(self, "_row_groups", None))
            if sample_weight is None:
                kwargs["validation_data"] = (X[val], y[val])
            else:
                kwargs["validation_data"] = (X[val], y[val], sample_weight[val])
                sample_weight = sample_weight[train]
            X, y = X[train], y[train]
        super()._fit_keras_model(
            X,
            y,
            sample_weight=sample_weight,
            warm_start=warm_start,
            epochs=epochs,
            initial_epoch=initial_epoch,
            **kwargs,
        )


@fill_doc(rows="rows", holdout="rows")
class GenreKerasClassifier(VersionedPickleMixin, ClassifierMixin, BaseEstimator):
    """Base of sk_genre's Keras classifiers: a scikit-learn classifier run by scikeras.

    The estimator is scikit-learn's kind (``ClassifierMixin`` before
    ``BaseEstimator``, ``__sklearn_tags__``, parameters from the signature);
    it holds a private scikeras ``KerasClassifier``, made at ``fit``, that does
    the data plumbing (input checks, label encoding, routing to
    :meth:`keras.Model.fit`). What scikeras 0.13 gets wrong on current
    scikit-learn, this class owns:

    * ``is_classifier`` is True, so ``cross_val_score(..., cv=5)`` stratifies.
    * Every parameter is an explicit keyword with its default (no ``**kwargs``),
      so ``inspect.signature``, ``repr`` and the notebook HTML repr show only
      what was changed, as for scikit-learn's estimators.
    * ``random_state`` seeds Python, NumPy and the Keras backend (JAX, torch or
      TensorFlow) through :func:`keras.utils.set_random_seed` for the whole fit,
      then restores the global Python and NumPy generators.
    * With ``early_stopping=True`` a stratified ``validation_fraction`` of the
      training rows is held out (not Keras' unshuffled ``validation_split``
      tail) and :class:`keras.callbacks.EarlyStopping` watches its loss.
    * ``warm_start=True`` keeps ``classes_``; ``class_weight`` never writes
      into the caller's ``sample_weight``; any numeric dtype predicts after
      any numeric fit (the network computes in Keras' float type).
    * Pickles hold the network as a ``.keras`` archive written by the public
      :func:`keras.saving.save_model` (scikeras uses a private Keras module).

    Fitted attributes (``model_``, ``history_``, ``classes_``,
    ``n_features_in_``) are read from the scikeras core. Subclasses define
    ``__init__`` (every parameter explicit, calling this one's) and
    ``_keras_build_fn(meta, compile_kwargs)``, which returns the compiled
    network for scikeras' ``meta`` (``n_features_in_``, ``n_classes_``,
    ``X_shape_`` ...).

    Parameters
    ----------
    %(keras_training)s
    """

    #: The scikeras classifier a fit makes (a subclass of ``_Core``).
    _core_class = _Core

    _parameter_constraints: dict = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "shuffle": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "stop_accuracy": [Interval(Real, 0, 1, closed="both"), None],
        "reduce_lr_on_plateau": ["boolean"],
        "reduce_lr_factor": [Interval(Real, 0, 1, closed="neither")],
        "reduce_lr_patience": [Interval(Integral, 0, None, closed="left")],
        "callbacks": [list, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        epochs=100,
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
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.loss = loss
        self.epochs = epochs
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.validation_fraction = validation_fraction
        self.stop_accuracy = stop_accuracy
        self.reduce_lr_on_plateau = reduce_lr_on_plateau
        self.reduce_lr_factor = reduce_lr_factor
        self.reduce_lr_patience = reduce_lr_patience
        self.callbacks = callbacks
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __getattr__(self, name):
        # only reached for names not found on the estimator: fitted attributes of the core
        core = self.__dict__.get("_core")
        if core is not None and name.endswith("_") and not name.startswith("__"):
            return getattr(core, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def initialized_(self):
        """bool: True once the network is built (by ``fit`` or ``partial_fit``)."""
        core = self.__dict__.get("_core")
        return core is not None and core.initialized_

    def __sklearn_is_fitted__(self):
        return self.initialized_

    def __setstate__(self, state):
        """Restore ``state`` and give the core back its owner and callbacks.

        Parameters
        ----------
        state : dict
            As returned by :meth:`__getstate__`.

        Raises
        ------
        ValueError
            ``state`` has the layout of a network pickled before the networks
            held scikeras (a development version of sk_genre 0.1.0).
        """
        if _ARCHIVE_KEY in state:  # the archive sits in the core's state now
            raise ValueError(
                f"this {type(self).__name__} was saved by an earlier development version of "
                "sk_genre, whose networks derived from scikeras, and cannot be restored: "
                "fit it again and save it"
            )
        super().__setstate__(state)
        core = self.__dict__.get("_core")
        if core is not None:
            core._owner = self
            if core.initialized_:
                core._initialize_callbacks()

    def _fitted_core(self):
        if not self.initialized_:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        return self._core

    def predict(self, X, **kwargs):
        """Genre of each row: the class of highest probability.

        Parameters
        ----------
        X : array-like of shape (n_rows, ...)
            As for ``fit``.
        **kwargs
            Passed to :meth:`keras.Model.predict`.

        Returns
        -------
        y_pred : ndarray of shape (n_rows,)
            Predicted genres, from ``classes_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            ``fit`` was not called.
        """
        return self._fitted_core().predict(X, **kwargs)

    def predict_proba(self, X, **kwargs):
        """Genre probabilities of each row.

        Parameters
        ----------
        X : array-like of shape (n_rows, ...)
            As for ``fit``.
        **kwargs
            Passed to :meth:`keras.Model.predict`.

        Returns
        -------
        proba : ndarray of shape (n_rows, n_classes)
            Columns follow ``classes_``. Always 2-D (scikeras 0.13 squeezes a
            single row to 1-D).

        Raises
        ------
        sklearn.exceptions.NotFittedError
            ``fit`` was not called.
        """
        proba = self._fitted_core().predict_proba(X, **kwargs)
        return proba.reshape(-1, len(self.classes_))

    def _weights(self, y, sample_weight):
        """Row weights: ``sample_weight`` times the ``class_weight`` of each row, a new array.

        scikeras multiplies the caller's ``sample_weight`` array in place.
        """
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(class_weight=self.class_weight, y=y)
        if sample_weight is None:
            return weights
        return weights * np.asarray(sample_weight, dtype=np.float64)

    def _check_y(self, y, warn_single=True):
        if y is None:  # scikit-learn's wording
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None"
            )
        y = check_genres(y, warn_single=warn_single)  # scikeras: a TypeError or a shape error
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)  # one output: warn and ravel, as scikit-learn does
        return y

    def fit(self, X, y, sample_weight=None, groups=None, **kwargs):
        """Train the network.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            Feature vectors (standardised, e.g. by ``make_pipeline``'s scaler).
        y : array-like of shape (n_rows,)
            Genre of each row. A column vector ``(n_rows, 1)`` is raveled with a
            :class:`~sklearn.exceptions.DataConversionWarning`, as in scikit-learn.
        sample_weight : array-like of shape (n_rows,), default=None
            Weight of each row in the loss (times its ``class_weight``). Rows
            of weight 0 are left out. The array is not modified.
        groups : array-like of shape (n_rows,), default=None
            Group of each row (artist, song or track) for the early-stopping
            hold-out: with ``early_stopping=True``, whole groups are held out
            (stratified by genre over groups), so the epoch is chosen on groups
            the network never trains on. Without it, rows are held out one by one.
            Ignored, with a UserWarning, without early stopping. In a pipeline, route it (with
            ``sklearn.set_config(enable_metadata_routing=True)`` and
            ``set_fit_request(groups=True)``: ``pipe.fit(X, y, groups=groups)``,
            the same array the CV splitter gets), or, without routing, pass
            ``pipe.fit(X, y, model__groups=groups)``.
        **kwargs
            Passed to :meth:`keras.Model.fit`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            ``groups`` does not have one entry per row, or early stopping has
            fewer than 2 groups to split.
        """
        validate_params(self)
        y = self._check_y(y)
        if not (self.warm_start and self.initialized_):  # a warm start keeps the network
            self._core = self._core_class(self)
        sample_weight = self._weights(y, sample_weight)
        if groups is not None:
            groups = np.asarray(groups)
            if groups.ndim != 1 or len(groups) != len(y):
                raise ValueError(
                    f"groups must have one entry per row of X; got shape {groups.shape} "
                    f"for {len(y)} rows"
                )
            self._warn_unused_groups()
            if sample_weight is not None:  # scikeras drops the rows of weight 0
                weights = np.asarray(sample_weight, dtype=keras.backend.floatx())
                groups = groups[np.broadcast_to(weights, groups.shape) != 0]
        core = self._core
        core._row_groups = groups
        try:
            # KerasClassifier.fit is skipped: it resets classes_ and scales sample_weight in place
            BaseWrapper.fit(core, X, y, sample_weight=sample_weight, **kwargs)
        finally:
            del core._row_groups
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train the network one epoch on a batch of rows, keeping its weights.

        The first call builds the network (for ``classes``, or the genres of
        this first ``y``); later calls continue from its current weights, as
        after :meth:`fit`. Early stopping, the learning-rate schedule and
        ``stop_accuracy`` act only in :meth:`fit` (one epoch has no
        "later"), as in :class:`~sklearn.neural_network.MLPClassifier`.

        Parameters
        ----------
        X : array-like of shape (n_rows, n_features)
            As for :meth:`fit`.
        y : array-like of shape (n_rows,)
            Genre of each row; a batch may hold a single genre.
        classes : array-like of shape (n_classes,), default=None
            Every genre of the whole data (needed when the first batch does
            not hold them all). Only read on the first call.
        sample_weight : array-like of shape (n_rows,), default=None
            As for :meth:`fit`.
        **kwargs
            Passed to :meth:`keras.Model.fit`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            ``classes`` differs from the ``classes_`` of the fitted network.
        """
        validate_params(self)
        y = self._check_y(y, warn_single=False)
        if not self.initialized_:
            self._core = self._core_class(self)
            if classes is not None:
                self._core.classes_ = np.unique(np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes must be the fitted classes_ {self.classes_.tolist()}; "
                f"got {np.unique(classes).tolist()}"
            )
        sample_weight = self._weights(y, sample_weight)
        # KerasClassifier.partial_fit is skipped: it scales sample_weight in place
        BaseWrapper.partial_fit(
            self._core, X, y, sample_weight=sample_weight, _incremental=True, **kwargs
        )
        return self

    def _warn_unused_groups(self):
        """Warn that ``groups`` does nothing: without early stopping nothing is held out."""
        if not self.early_stopping:
            warnings.warn(
                f"groups is ignored: {type(self).__name__}(early_stopping=False) holds no "
                "tracks out, so there is no hold-out for groups to keep artist-aware; set "
                "early_stopping=True, or do not pass groups to the network (the CV splitter "
                "takes them on its own)",
                UserWarning,
                stacklevel=3,
            )

    def _seed(self):
        """The integer seed for this fit, or None (unseeded)."""
        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.RandomState):
            state = np.random.RandomState()
            state.set_state(rs.get_state())  # same seed every fit, rs untouched
            return int(state.randint(np.iinfo(np.int32).max))
        return int(rs)

    def _training_callbacks(self):
        """The callbacks of ``early_stopping``, ``reduce_lr_on_plateau``, ``stop_accuracy``."""
        callbacks = []
        if self.early_stopping:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=self.patience,
                    restore_best_weights=self.restore_best_weights,
                )
            )
        if self.reduce_lr_on_plateau:
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(
                    monitor="val_loss" if self.early_stopping else "loss",
                    factor=self.reduce_lr_factor,
                    patience=self.reduce_lr_patience,
                )
            )
        if self.stop_accuracy is not None:
            callbacks.append(StopAtAccuracy(self.stop_accuracy))
        return callbacks

    def _holdout(self, y, groups=None):
        """Indices (train, validation) of a stratified split of the encoded ``y``.

        With ``groups`` (one id per row, rows of a group sharing their label),
        whole groups are held out: the split is drawn over groups.
        """
        # scikeras encodes sparse targets as (n, 1) and one-hot ones as (n, n_classes)
        labels = y.reshape(len(y), -1)
        labels = labels[:, 0] if labels.shape[1] == 1 else np.argmax(labels, axis=1)
        if groups is None:
            groups = np.arange(len(labels))
        unique, first, inverse = np.unique(groups, return_index=True, return_inverse=True)
        if len(unique) < 2:
            raise ValueError(
                f"early_stopping needs at least 2 training tracks to hold some out; "
                f"got {len(unique)}"
            )
        seed = self._seed()
        splitter = StratifiedShuffleSplit(
            n_splits=1, test_size=self.validation_fraction, random_state=seed
        )
        try:
            _, val_groups = next(splitter.split(unique, labels[first]))
        except ValueError:  # too few groups per class to stratify
            splitter = ShuffleSplit(
                n_splits=1, test_size=self.validation_fraction, random_state=seed
            )
            _, val_groups = next(splitter.split(unique))
        held_out = np.isin(inverse, val_groups)
        return np.flatnonzero(~held_out), np.flatnonzero(held_out)

    def _optimizer(self):
        """The optimizer: ``optimizer`` by name with ``learning_rate``, or as given."""
        if isinstance(self.optimizer, str):
            return keras.optimizers.get(
                {"class_name": self.optimizer, "config": {"learning_rate": self.learning_rate}}
            )
        return self.optimizer

    def _compile(self, model, compile_kwargs):
        model.compile(**compile_kwargs)
        return model


@fill_doc(rows="rows", holdout="rows")
class DenseClassifier(GenreKerasClassifier):
    """Fully connected Keras network on feature vectors, as a scikit-learn classifier.

    The network (:func:`sk_genre.models.build_dense_network`) is
    ``Dense -> [BatchNorm] -> Dropout`` per hidden layer and a softmax output,
    trained with Adam on sparse categorical cross-entropy. Defaults are the
    seed baseline (128-64, dropout 0.5); :meth:`from_preset` gives the other
    seed networks. Inputs should be standardised (``make_pipeline`` puts a
    :class:`~sklearn.preprocessing.StandardScaler` before it).

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(128, 64)
        Units per hidden layer.
    dropout : float or tuple of float, default=0.5
        Dropout rate after each hidden layer, or one rate per layer.
    l2 : float, default=0.0
        L2 penalty on the hidden layers' kernels.
    batch_norm : bool, default=False
        Batch normalisation after each hidden layer.
    activation : str, default="relu"
        Activation of the hidden layers.
    %(keras_training)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Genre labels, sorted.
    model_ : keras.Model
        The trained network.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` (and ``val_loss``,
        ``val_accuracy`` with early stopping).
    n_features_in_ : int
        Length of the input vectors.

    Raises
    ------
    ValueError
        From ``fit``: a parameter is out of range, or early stopping is asked
        for with fewer than 2 training rows.

    References
    ----------
    .. [1] scikeras KerasClassifier, https://adriangb.com/scikeras/stable/
    .. [2] G. Tzanetakis and P. Cook, "Musical genre classification of audio
       signals", IEEE Trans. Speech and Audio Processing 10(5), 2002.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sk_genre.models import DenseClassifier
    >>> X, y = make_classification(200, 20, n_informative=8, n_classes=3, random_state=0)
    >>> clf = DenseClassifier(epochs=20, random_state=0).fit(X, y)  # doctest: +SKIP
    >>> clf.predict_proba(X[:2]).shape  # doctest: +SKIP
    (2, 3)
    """

    _parameter_constraints: dict = {
        **GenreKerasClassifier._parameter_constraints,
        "l2": [Interval(Real, 0, None, closed="left")],
        "batch_norm": ["boolean"],
    }

    def __init__(
        self,
        *,
        hidden_layer_sizes=(128, 64),
        dropout=0.5,
        l2=0.0,
        batch_norm=False,
        activation="relu",
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        epochs=100,
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.dropout = dropout
        self.l2 = l2
        self.batch_norm = batch_norm
        self.activation = activation

    @classmethod
    def from_preset(cls, name, **params):
        """A classifier configured as one of the seed networks.

        Parameters
        ----------
        name : {"baseline", "regularized", "dnn", "dnn_threshold"}
            ``"baseline"``: 128-64, dropout 0.5. ``"regularized"``: 128-64-32,
            batch norm, L2 0.01, dropout 0.5/0.3/0.3. ``"dnn"``: 128-256-128,
            batch norm, dropout 0.5, early stopping on validation loss
            (patience 10, best weights restored). ``"dnn_threshold"``: the DNN
            that also stops once its training accuracy reaches 0.94
            (``stop_accuracy``).
        **params
            Parameters that override the preset's (e.g. ``random_state=0``).

        Returns
        -------
        DenseClassifier

        Raises
        ------
        ValueError
            ``name`` is not a preset.
        """
        if name not in DENSE_PRESETS:
            raise ValueError(f"name must be one of {sorted(DENSE_PRESETS)}; got {name!r}")
        return cls(**{**DENSE_PRESETS[name], **params})

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # scipy sparse X trains (Keras data adapters)
        return tags

    def _keras_build_fn(self, meta, compile_kwargs):
        model = build_dense_network(
            n_features=meta["n_features_in_"],
            n_classes=meta["n_classes_"],
            hidden_layer_sizes=self.hidden_layer_sizes,
            dropout=self.dropout,
            l2=self.l2,
            batch_norm=self.batch_norm,
            activation=self.activation,
        )
        return self._compile(model, compile_kwargs)


class ChunkVotingClassifier(GenreKerasClassifier):
    """Base of the networks on chunks of tracks: chunk training, track-level soft voting.

    Input rows are tracks, ``X`` of shape ``(n_tracks, n_chunks, ...)``: ``fit``
    and ``partial_fit`` train on every chunk with its track's genre (early
    stopping holds out whole tracks or groups); ``predict_proba`` averages the
    chunk probabilities of each track. Subclasses define ``__init__`` and
    ``_keras_build_fn``.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False  # 4-D chunks only
        return tags

    @staticmethod
    def _chunks(X):
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 4 or 0 in X.shape:
            raise ValueError(
                "X must be log-mel chunks of shape (n_tracks, n_chunks, n_mels, n_frames), "
                f"as MelChunker returns; got shape {X.shape}"
            )
        return X

    def _chunk_rows(self, X, y, sample_weight, warn_single=True):
        """Tracks to chunks: ``(chunks, y, sample_weight)`` repeated per chunk, and ``n_chunks``.

        On a fresh network (not a warm start) also records ``n_chunks_`` and the
        chunks' mean and standard deviation, which the network's input layer uses.
        """
        X = self._chunks(X)
        y = check_genres(y, warn_single=warn_single)
        if len(y) != len(X):
            raise ValueError(
                f"y must have one genre per track of X; got {len(y)} labels for {len(X)} tracks"
            )
        n_tracks, n_chunks = X.shape[:2]
        chunks = X.reshape(n_tracks * n_chunks, *X.shape[2:])
        if sample_weight is not None:
            sample_weight = np.repeat(np.asarray(sample_weight, dtype=np.float64), n_chunks)
        return chunks, np.repeat(y, n_chunks, axis=0), sample_weight, n_chunks

    def _standardise_on(self, chunks, n_chunks):
        """Record ``n_chunks_`` and the chunks' mean and std for a network about to be built."""
        self.n_chunks_ = n_chunks
        self.input_mean_ = float(chunks.mean(dtype=np.float64))
        self.input_std_ = float(chunks.std(dtype=np.float64)) or 1.0

    def fit(self, X, y, sample_weight=None, groups=None, **kwargs):
        """Train on every chunk of every track, labelled with its track's genre.

        Parameters
        ----------
        X : array-like of shape (n_tracks, n_chunks, n_mels, n_frames)
            Log-mel chunks (dB), e.g. from :class:`~sk_genre.MelChunker`.
        y : array-like of shape (n_tracks,)
            Genre of each track.
        sample_weight : array-like of shape (n_tracks,), default=None
            Weight of each track, given to each of its chunks.
        groups : array-like of shape (n_tracks,), default=None
            Group of each track (song, artist) for the early-stopping hold-out:
            whole groups are held out. Default: each track is its own group
            (its chunks are never split between training and hold-out).
            Ignored, with a UserWarning, without early stopping.
        **kwargs
            Passed to :meth:`keras.Model.fit`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            See the class docstring.
        """
        chunks, y_chunks, sample_weight, n_chunks = self._chunk_rows(X, y, sample_weight)
        n_tracks = len(chunks) // n_chunks
        if not (self.warm_start and self.initialized_):  # a warm start keeps the network's
            self._standardise_on(chunks, n_chunks)
        if groups is not None:
            groups = np.asarray(groups)
            if groups.ndim != 1 or len(groups) != n_tracks:
                raise ValueError(
                    f"groups must have one entry per track of X; got shape {groups.shape} "
                    f"for {n_tracks} tracks"
                )
            self._warn_unused_groups()
        if self.early_stopping:
            # a track's chunks are one group (or its song's / artist's with groups)
            groups = np.repeat(np.arange(n_tracks) if groups is None else groups, n_chunks)
        else:
            groups = None  # nothing is held out
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "y holds a single genre")  # warned above
            warnings.filterwarnings("ignore", "groups is ignored")  # warned above
            super().fit(chunks, y_chunks, sample_weight, groups=groups, **kwargs)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None, **kwargs):
        """Train one epoch on the chunks of a batch of tracks, keeping the weights.

        As :meth:`GenreKerasClassifier.partial_fit`, on chunks as in
        :meth:`fit`: every chunk carries its track's genre and weight. The
        first call builds the network and fixes its input standardisation
        (the mean and standard deviation of that batch's chunks).

        Parameters
        ----------
        X : array-like of shape (n_tracks, n_chunks, n_mels, n_frames)
            Log-mel chunks (dB) with the ``n_mels`` and ``n_frames`` of the
            first call (any number of chunks).
        y : array-like of shape (n_tracks,)
            Genre of each track; a batch may hold a single genre.
        classes : array-like of shape (n_classes,), default=None
            Every genre of the whole data; only read on the first call.
        sample_weight : array-like of shape (n_tracks,), default=None
            Weight of each track, given to each of its chunks.
        **kwargs
            Passed to :meth:`keras.Model.fit`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            See the class docstring and :meth:`GenreKerasClassifier.partial_fit`.
        """
        chunks, y_chunks, sample_weight, n_chunks = self._chunk_rows(
            X, y, sample_weight, warn_single=False
        )
        if not self.initialized_:
            self._standardise_on(chunks, n_chunks)
        return super().partial_fit(
            chunks, y_chunks, classes=classes, sample_weight=sample_weight, **kwargs
        )

    def predict_proba(self, X, **kwargs):
        """Genre probabilities of each track: the mean over its chunks.

        Parameters
        ----------
        X : array-like of shape (n_tracks, n_chunks, n_mels, n_frames)
            Log-mel chunks with the ``n_mels`` and ``n_frames`` seen in ``fit``
            (any number of chunks).
        **kwargs
            Passed to :meth:`keras.Model.predict`.

        Returns
        -------
        proba : ndarray of shape (n_tracks, n_classes)
            Mean chunk probability per genre; columns follow ``classes_``.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            ``fit`` was not called.
        ValueError
            ``X`` is not 4-D or its chunk shape differs from ``fit``'s.
        """
        if not self.initialized_:
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet; call 'fit' first.")
        X = self._chunks(X)
        n_tracks, n_chunks = X.shape[:2]
        proba = super().predict_proba(X.reshape(n_tracks * n_chunks, *X.shape[2:]), **kwargs)
        return proba.reshape(n_tracks, n_chunks, -1).mean(axis=1)

    def predict(self, X, **kwargs):
        """Genre of each track: the class of highest mean chunk probability.

        Parameters
        ----------
        X : array-like of shape (n_tracks, n_chunks, n_mels, n_frames)
            As for :meth:`predict_proba`.
        **kwargs
            Passed to :meth:`keras.Model.predict`.

        Returns
        -------
        y_pred : ndarray of shape (n_tracks,)
            Predicted genres.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            ``fit`` was not called.
        ValueError
            As for :meth:`predict_proba`.
        """
        proba = self.predict_proba(X, **kwargs)
        return self.classes_[np.argmax(proba, axis=1)]


@fill_doc(rows="chunks", holdout="tracks")
class CNNClassifier(ChunkVotingClassifier):
    """Convolutional network on log-mel chunks with track-level voting, as a classifier.

    Input rows are tracks: ``X`` is the 4-D output of
    :class:`~sk_genre.MelChunker`, ``(n_tracks, n_chunks, n_mels, n_frames)``.
    ``fit`` trains on the chunks, each chunk carrying its track's genre (and
    sample weight); with early stopping whole *tracks* are held out, never
    single chunks. ``predict_proba`` averages the chunk probabilities of each
    track (soft voting: the mean of the ``n_chunks`` softmax outputs) and
    ``predict`` takes the genre of highest mean probability. Because a track's
    chunks never leave its row, any scikit-learn splitter keeps all chunks of
    a test track out of training.

    The network (:func:`sk_genre.models.build_cnn`) standardises the input
    with the mean and standard deviation of the training chunks (in dB), then
    applies convolution blocks ``Conv2D -> [BatchNorm] -> MaxPool``, dropout,
    dense layers and a softmax output; it is trained with Adam on sparse
    categorical cross-entropy. Defaults are the seed CNN (preset ``"cnn"``).

    Parameters
    ----------
    filters : tuple of int, default=(16, 32, 64, 128)
        Convolution filters per block.
    kernel_size : int or tuple of int, default=3
        Convolution kernel in (mel bands, frames).
    pool_size : int or tuple of int, default=2
        Max-pooling window after each convolution.
    dropout : float, default=0.3
        Dropout rate after the convolution blocks and each dense layer.
    dense_units : tuple of int, default=(64,)
        Units per dense layer before the softmax.
    batch_norm : bool, default=True
        Batch normalisation after each convolution.
    activation : str, default="relu"
        Activation of convolutions and dense layers.
    %(keras_training)s

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Genre labels, sorted.
    model_ : keras.Model
        The trained chunk network: ``(n_mels, n_frames)`` in, genre
        probabilities out.
    history_ : dict of str to list of float
        Per-epoch ``loss`` and ``accuracy`` over training chunks (and
        ``val_loss``, ``val_accuracy`` over held-out tracks' chunks).
    n_chunks_ : int
        Chunks per track seen in ``fit``.
    n_features_in_ : int
        ``n_mels``: scikit-learn's ``X.shape[1]`` of what the network reads,
        chunks of shape ``(n_mels, n_frames)`` (the 4-D input is not a
        feature table; the transformers before it set ``n_features_in_``
        only for 2-D waveform arrays, where it is samples per clip).
    input_mean_, input_std_ : float
        Mean and standard deviation (dB) of the training chunks.

    Raises
    ------
    ValueError
        ``X`` is not 4-D, ``X`` and ``y`` have different numbers of tracks, a
        parameter is out of range, or early stopping is asked for with fewer
        than 2 training tracks.

    See Also
    --------
    sk_genre.MelChunker : makes the input.
    sk_genre.make_pipeline : ``make_pipeline(features="mel", model="cnn")``.

    References
    ----------
    .. [1] K. Choi, G. Fazekas and M. Sandler, "Automatic tagging using deep
       convolutional neural networks", ISMIR 2016.
    .. [2] scikeras KerasClassifier, https://adriangb.com/scikeras/stable/

    Examples
    --------
    >>> import numpy as np
    >>> from sk_genre.models import CNNClassifier
    >>> X = np.random.default_rng(0).normal(size=(6, 3, 16, 20)).astype("float32")
    >>> y = ["jazz", "rock"] * 3
    >>> clf = CNNClassifier(filters=(4,), dense_units=(8,), epochs=2, random_state=0)
    >>> clf.fit(X, y).predict_proba(X).shape  # doctest: +SKIP
    (6, 2)
    """

    _parameter_constraints: dict = {
        **GenreKerasClassifier._parameter_constraints,
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "batch_norm": ["boolean"],
    }

    def __init__(
        self,
        *,
        filters=(16, 32, 64, 128),
        kernel_size=3,
        pool_size=2,
        dropout=0.3,
        dense_units=(64,),
        batch_norm=True,
        activation="relu",
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        epochs=30,
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
        self.filters = filters
        self.kernel_size = kernel_size
        self.pool_size = pool_size
        self.dropout = dropout
        self.dense_units = dense_units
        self.batch_norm = batch_norm
        self.activation = activation

    @classmethod
    def from_preset(cls, name="cnn", **params):
        """The seed mel CNN, optionally with some parameters changed.

        Parameters
        ----------
        name : {"cnn"}, default="cnn"
            Four Conv2D(16/32/64/128, 3x3) + batch norm + 2x2 max-pool blocks,
            dropout 0.3, Dense 64, softmax; 30 epochs of Adam.
        **params
            Parameters that override the preset's.

        Returns
        -------
        CNNClassifier

        Raises
        ------
        ValueError
            ``name`` is not a preset.
        """
        if name not in CNN_PRESETS:
            raise ValueError(f"name must be one of {sorted(CNN_PRESETS)}; got {name!r}")
        return cls(**{**CNN_PRESETS[name], **params})

    def _keras_build_fn(self, meta, compile_kwargs):
        model = build_cnn(
            input_shape=meta["X_shape_"][1:],
            n_classes=meta["n_classes_"],
            filters=self.filters,
            kernel_size=self.kernel_size,
            pool_size=self.pool_size,
            dropout=self.dropout,
            dense_units=self.dense_units,
            batch_norm=self.batch_norm,
            activation=self.activation,
            input_mean=self.input_mean_,
            input_std=self.input_std_,
        )
        return self._compile(model, compile_kwargs)
