"""Exceptions raised by sk_genre."""

import os

__all__ = ["AudioDecodeError", "InconsistentVersionWarning", "InvalidParameterError"]


class InvalidParameterError(ValueError, TypeError):
    """An estimator parameter has a wrong type or a value out of its range.

    Raised by ``fit`` (and ``transform`` for the stateless transformers) of
    every sk_genre estimator, e.g. ``The 'n_mfcc' parameter of
    MFCCTransformer must be an int in the range [1, inf); got 0.``
    Subclasses both :class:`ValueError` and :class:`TypeError`, as
    scikit-learn's own ``InvalidParameterError`` does, so code that catches
    either catches it. It is not scikit-learn's class, whose module is
    private to scikit-learn.
    """


class AudioDecodeError(ValueError):
    """An audio file is missing, empty or cannot be decoded.

    Subclasses :class:`ValueError`, so code that catches the errors scikit-learn
    raises for bad input catches this one too.

    Parameters
    ----------
    path : str or os.PathLike
        The file that failed.
    reason : str
        What was wrong, e.g. ``"file does not exist"``.

    Attributes
    ----------
    path : str
        The file that failed.
    reason : str
        What was wrong.
    """

    def __init__(self, path, reason):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"cannot read audio file {self.path!r}: {reason}")

    def __reduce__(self):  # keep the two-argument signature picklable (joblib workers)
        return type(self), (self.path, self.reason)


class InconsistentVersionWarning(UserWarning):
    """An estimator is unpickled by another sk_genre version than the one that pickled it.

    The sk_genre counterpart of :class:`sklearn.exceptions.InconsistentVersionWarning`
    (which scikit-learn raises for its own estimators only). Features or
    networks may have changed between the versions: retrain, or pin the
    version that saved the model. Silence it with
    ``warnings.simplefilter("ignore", InconsistentVersionWarning)``, or turn it
    into an error with ``"error"``.

    Parameters
    ----------
    estimator_name : str
        Class name of the unpickled estimator, e.g. ``"MFCCTransformer"``.
    current_version : str
        The running sk_genre version.
    original_version : str or None
        The sk_genre version that pickled it; None when the pickle does not
        say (written before sk_genre stored its version).

    Attributes
    ----------
    estimator_name : str
        Class name of the unpickled estimator.
    current_version : str
        The running sk_genre version.
    original_version : str or None
        The version that pickled it, None if unknown.
    """

    def __init__(self, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version
        if original_version is None:
            origin = "an unknown sk_genre version (the pickle does not store one)"
        else:
            origin = f"sk_genre version {original_version}"
        super().__init__(
            f"Trying to unpickle estimator {estimator_name} from {origin} when using "
            f"version {current_version}. This might lead to breaking code or invalid "
            "results. Use at your own risk."
        )

    def __reduce__(self):  # keep the three-argument signature picklable
        return type(self), (self.estimator_name, self.current_version, self.original_version)
