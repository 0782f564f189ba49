"""scikeras classifiers: Keras networks that behave as scikit-learn classifiers.

scikeras 0.13.0 predates scikit-learn's ``__sklearn_tags__`` protocol: its
``KerasClassifier`` puts ``BaseEstimator`` before ``ClassifierMixin`` in the
MRO, so on scikit-learn >= 1.7 ``is_classifier`` is silently False (integer
``cv=`` then means unstratified ``KFold``). Its ``random_state`` seeds Python,
NumPy and TensorFlow only. :class:`GenreKerasClassifier` fixes both.

Import through :mod:`sk_genre.models`, which picks the Keras backend first.
"""

import contextlib
import random
from numbers import Integral, Real

import keras
import numpy as np
from scikeras.wrappers import KerasClassifier
from sklearn.base import BaseEstimator
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import ClassifierTags
from sklearn.utils._param_validation import Interval, validate_parameter_constraints

from ._builders import DENSE_PRESETS, build_dense_network

__all__ = ["GenreKerasClassifier", "DenseClassifier"]


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


class GenreKerasClassifier(KerasClassifier):
    """Base of sk_genre's Keras classifiers: a corrected scikeras ``KerasClassifier``.

    * ``__sklearn_tags__`` declares a classifier, so ``is_classifier`` is True
      and ``cross_val_score(..., cv=5)`` stratifies.
    * ``random_state`` seeds Python, NumPy and the Keras backend (JAX, torch or
      TensorFlow) through :func:`keras.utils.set_random_seed` for the whole fit,
      then restores the global Python and NumPy generators.
    * With ``early_stopping=True`` a stratified ``validation_fraction`` of the
      training rows is held out (not Keras' unshuffled ``validation_split``
      tail) and :class:`keras.callbacks.EarlyStopping` watches its loss.

    Subclasses define ``__init__`` (calling this one's) and
    ``_keras_build_fn(meta, compile_kwargs)``.
    """

    _parameter_constraints: dict = {
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "patience": [Interval(Integral, 0, None, closed="left")],
        "restore_best_weights": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        *,
        optimizer="adam",
        learning_rate=0.001,
        loss="sparse_categorical_crossentropy",
        epochs=100,
        batch_size=32,
        early_stopping=False,
        patience=10,
        restore_best_weights=True,
        validation_fraction=0.1,
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            optimizer=optimizer,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            random_state=random_state,
            verbose=verbose,
            **kwargs,
        )
        self.learning_rate = learning_rate
        self.early_stopping = early_stopping
        self.patience = patience
        self.restore_best_weights = restore_best_weights
        self.validation_fraction = validation_fraction

    def __sklearn_tags__(self):
        # ClassifierMixin.__sklearn_tags__ is shadowed by BaseEstimator's in scikeras' MRO
        tags = BaseEstimator.__sklearn_tags__(self)
        tags.estimator_type = "classifier"
        tags.classifier_tags = ClassifierTags()
        tags.target_tags.required = True
        return tags

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
        proba = super().predict_proba(X, **kwargs)
        return proba.reshape(-1, len(self.classes_))

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

    def _fit(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), type(self).__name__
        )
        with _seeded(self._seed()):
            super()._fit(
                X,
                y,
                sample_weight=sample_weight,
                warm_start=warm_start,
                epochs=epochs,
                initial_epoch=initial_epoch,
                **kwargs,
            )

    def _initialize_callbacks(self):
        super()._initialize_callbacks()
        if self.early_stopping:
            stop = keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=self.patience,
                restore_best_weights=self.restore_best_weights,
            )
            self._fit_callbacks = [*self._fit_callbacks, stop]

    def _holdout(self, y):
        """Indices (train, validation) of a stratified split of the encoded ``y``."""
        # scikeras encodes sparse targets as (n, 1) and one-hot ones as (n, n_classes)
        labels = y.reshape(len(y), -1)
        labels = labels[:, 0] if labels.shape[1] == 1 else np.argmax(labels, axis=1)
        seed = self._seed()
        splitter = StratifiedShuffleSplit(
            n_splits=1, test_size=self.validation_fraction, random_state=seed
        )
        try:
            return next(splitter.split(np.zeros(len(labels)), labels))
        except ValueError:  # too few rows per class to stratify
            splitter = ShuffleSplit(
                n_splits=1, test_size=self.validation_fraction, random_state=seed
            )
            return next(splitter.split(np.zeros(len(labels))))

    def _fit_keras_model(self, X, y, sample_weight, warm_start, epochs, initial_epoch, **kwargs):
        if self.early_stopping and "validation_data" not in kwargs:
            if len(y) < 2:
                raise ValueError(
                    f"early_stopping needs at least 2 training rows to hold some out; got {len(y)}"
                )
            train, val = self._holdout(y)
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

    def _optimizer(self, compile_kwargs):
        """The optimizer: ``optimizer`` by name with ``learning_rate``, or as given."""
        if isinstance(self.optimizer, str):
            return keras.optimizers.get(
                {"class_name": self.optimizer, "config": {"learning_rate": self.learning_rate}}
            )
        return compile_kwargs["optimizer"]

    def _compile(self, model, compile_kwargs):
        model.compile(
            optimizer=self._optimizer(compile_kwargs),
            loss=compile_kwargs["loss"],
            metrics=compile_kwargs["metrics"] or ["accuracy"],
        )
        return model


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
    optimizer : str, default="adam"
        Keras optimizer name (or a Keras optimizer object, whose own learning
        rate is then used).
    learning_rate : float, default=0.001
        Learning rate of the optimizer named by ``optimizer``.
    loss : str, default="sparse_categorical_crossentropy"
        Keras loss.
    epochs : int, default=100
        Maximum number of passes over the training rows.
    batch_size : int, default=32
        Rows per gradient step.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified by
        genre) and stop when their loss has not improved for ``patience``
        epochs. The held-out rows are never trained on.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping.
    restore_best_weights : bool, default=True
        With early stopping, end with the weights of the best validation epoch.
    validation_fraction : float, default=0.1
        Fraction of training rows held out for early stopping (in (0, 1)).
        Used only when ``early_stopping=True``.
    random_state : int, RandomState or None, default=None
        Seeds weight initialisation, dropout, shuffling and the hold-out split
        (Python, NumPy and the Keras backend, for the duration of ``fit``).
        The same int gives the same predictions on the same machine.
    verbose : int, default=0
        Keras' training log level (0 silent, 1 progress bar, 2 one line per epoch).
    **kwargs
        Further :class:`scikeras.wrappers.KerasClassifier` parameters
        (``callbacks``, ``shuffle``, ``class_weight``, routed ``fit__*`` ...).

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
        early_stopping=False,
        patience=10,
        restore_best_weights=True,
        validation_fraction=0.1,
        random_state=None,
        verbose=0,
        **kwargs,
    ):
        super().__init__(
            optimizer=optimizer,
            learning_rate=learning_rate,
            loss=loss,
            epochs=epochs,
            batch_size=batch_size,
            early_stopping=early_stopping,
            patience=patience,
            restore_best_weights=restore_best_weights,
            validation_fraction=validation_fraction,
            random_state=random_state,
            verbose=verbose,
            **kwargs,
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
        name : {"baseline", "regularized", "dnn"}
            ``"baseline"``: 128-64, dropout 0.5. ``"regularized"``: 128-64-32,
            batch norm, L2 0.01, dropout 0.5/0.3/0.3. ``"dnn"``: 128-256-128,
            batch norm, dropout 0.5, early stopping on validation loss
            (patience 10, best weights restored).
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
