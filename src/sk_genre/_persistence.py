"""Version stamp in the pickles of sk_genre estimators.

Modelled on scikit-learn's ``BaseEstimator.__getstate__``/``__setstate__``,
which store ``_sklearn_version`` only for classes whose module starts with
``sklearn.``: an sk_genre estimator would otherwise carry no version at all.
:class:`VersionedPickleMixin` adds the sk_genre version to the pickled state
and warns with :class:`~sk_genre.exceptions.InconsistentVersionWarning` when
it differs from the running one (or is missing: a pickle from before the stamp).
"""

import warnings

from . import _version
from .exceptions import InconsistentVersionWarning

__all__ = ["VersionedPickleMixin"]

#: Key of the sk_genre version in a pickled estimator's state.
VERSION_KEY = "_sk_genre_version"


class VersionedPickleMixin:
    """Mixin: stamp the sk_genre version into the pickle; warn on a mismatch at load.

    Put it left of the scikit-learn (or scikeras) bases, e.g.
    ``class ClipFeatureTransformer(VersionedPickleMixin, TransformerMixin, BaseEstimator)``.
    It wraps the parents' ``__getstate__``/``__setstate__`` (scikit-learn's
    ``BaseEstimator`` ones, which also handle ``__slots__`` and other
    ``__setstate__`` overrides up the MRO) and changes nothing else in the
    state (the networks' Keras model travels as a ``.keras`` archive, written
    by their own ``__getstate__``).
    ``copy.deepcopy`` and ``clone`` round-trip through the same methods with
    the current version, so they never warn.
    """

    def __getstate__(self):
        """Parents' state plus the running sk_genre version.

        Returns
        -------
        state : dict
            The parents' pickled state with ``_sk_genre_version`` added.
        """
        return {**super().__getstate__(), VERSION_KEY: _version.__version__}

    def __setstate__(self, state):
        """Restore ``state``; warn if it was pickled by another sk_genre version.

        Parameters
        ----------
        state : dict
            As returned by :meth:`__getstate__`, possibly by another version.

        Warns
        -----
        InconsistentVersionWarning
            The stored version differs from the running one, or there is none
            (a pickle written before sk_genre stamped its version).
        """
        state = dict(state)  # the caller's dict stays as it was
        original = state.pop(VERSION_KEY, None)
        if original != _version.__version__:
            warnings.warn(
                InconsistentVersionWarning(
                    estimator_name=type(self).__name__,
                    current_version=_version.__version__,
                    original_version=original,
                ),
                stacklevel=2,
            )
        super().__setstate__(state)
