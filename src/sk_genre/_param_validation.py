"""Validation of estimator parameters against ``_parameter_constraints``.

sk_genre's own copy of what it uses from scikit-learn's private
``sklearn.utils._param_validation`` (which a scikit-learn minor release may
change without notice): the constraint objects :class:`Interval`,
:class:`StrOptions` and :class:`HasMethods`, the strings ``"boolean"``,
``"verbose"`` and ``"random_state"``, ``"no_validation"`` instead of a list,
a type (any instance of it) and ``None`` (the value None), with the same
meaning as scikit-learn's and described in messages in its words, in
sk_genre's "<what> must <constraint>; got <value>" form. Not public.

An estimator lists ``_parameter_constraints = {name: [constraint, ...]}``; a
parameter is valid when it satisfies one of its constraints, and
:func:`validate_params` raises :class:`~sk_genre.exceptions.InvalidParameterError`
for the first one that satisfies none::

    The 'n_mfcc' parameter of MFCCTransformer must be an int in the range [1, inf); got 0.

Like scikit-learn, validation is skipped under
``sklearn.set_config(skip_parameter_validation=True)``.
"""

import math
from numbers import Integral, Real

import numpy as np
import sklearn

from .exceptions import InvalidParameterError

__all__ = ["HasMethods", "Interval", "StrOptions", "validate_params"]

_CLOSED = ("left", "right", "both", "neither")


class Interval:
    """Numbers of one type in an interval, e.g. ``Interval(Integral, 1, None, closed="left")``.

    Parameters
    ----------
    type : {numbers.Integral, numbers.Real}
        The numbers allowed: ``Integral`` refuses floats (even ``1.0``),
        ``Real`` takes ints and floats; NaN is in no interval.
    left, right : int, float or None
        Bounds; None is -inf / +inf.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, type, left, right, *, closed):
        if type not in (Integral, Real):
            raise ValueError(f"type must be numbers.Integral or numbers.Real; got {type!r}")
        if closed not in _CLOSED:
            raise ValueError(f"closed must be one of {_CLOSED}; got {closed!r}")
        if left is not None and right is not None and right <= left:
            raise ValueError(f"right must be > left; got left={left}, right={right}")
        self.type = type
        self.left = left
        self.right = right
        self.closed = closed

    def __contains__(self, val):
        if not isinstance(val, Integral) and math.isnan(val):
            return False
        left = -math.inf if self.left is None else self.left
        right = math.inf if self.right is None else self.right
        if val < left or (val == left and self.closed in ("right", "neither")):
            return False
        return not (val > right or (val == right and self.closed in ("left", "neither")))

    def is_satisfied_by(self, val):
        return isinstance(val, self.type) and val in self

    def __str__(self):
        integral = self.type is Integral

        def bound(value, infinite):
            if value is None:
                return infinite
            return value if integral else float(value)

        return (
            f"{'an int' if integral else 'a float'} in the range "
            f"{'[' if self.closed in ('left', 'both') else '('}{bound(self.left, '-inf')}, "
            f"{bound(self.right, 'inf')}{']' if self.closed in ('right', 'both') else ')'}"
        )


class StrOptions:
    """One of a set of strings, e.g. ``StrOptions({"raise", "skip", "warn"})``.

    Parameters
    ----------
    options : set of str
        The valid strings.
    """

    def __init__(self, options):
        self.options = set(options)

    def is_satisfied_by(self, val):
        return isinstance(val, str) and val in self.options

    def __str__(self):
        return f"a str among {{{', '.join(repr(o) for o in sorted(self.options))}}}"


class HasMethods:
    """An object with the given method(s), e.g. ``HasMethods("cache")`` for a joblib.Memory.

    Parameters
    ----------
    methods : str or list of str
        Names of the methods the object must have (callable attributes).
    """

    def __init__(self, methods):
        self.methods = [methods] if isinstance(methods, str) else list(methods)

    def is_satisfied_by(self, val):
        return all(callable(getattr(val, m, None)) for m in self.methods)

    def __str__(self):
        names = [repr(m) for m in self.methods]
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"an object implementing {listed}"


class _InstanceOf:
    def __init__(self, type):
        self.type = type

    def is_satisfied_by(self, val):
        return isinstance(val, self.type)

    def __str__(self):
        t = self.type
        if t is Integral:
            name = "int"
        elif t is Real:
            name = "float"
        elif t.__module__ == "builtins":
            name = t.__qualname__
        else:
            name = f"{t.__module__}.{t.__qualname__}"
        return f"an instance of {name!r}"


class _NoneConstraint:
    def is_satisfied_by(self, val):
        return val is None

    def __str__(self):
        return "None"


class _AnyOf:
    """A named union of constraints ("boolean", "verbose", "random_state")."""

    def __init__(self, *constraints):
        self.constraints = constraints

    def is_satisfied_by(self, val):
        return any(c.is_satisfied_by(val) for c in self.constraints)

    def __str__(self):
        return _join(self.constraints)


def _named(name):
    booleans = (_InstanceOf(bool), _InstanceOf(np.bool_))
    if name == "boolean":
        return _AnyOf(*booleans)
    if name == "verbose":
        return _AnyOf(Interval(Integral, 0, None, closed="left"), *booleans)
    if name == "random_state":
        return _AnyOf(
            Interval(Integral, 0, 2**32 - 1, closed="both"),
            _InstanceOf(np.random.RandomState),
            _NoneConstraint(),
        )
    raise ValueError(f"unknown parameter constraint {name!r}")


def _constraint(constraint):
    """The constraint object of one entry of a ``_parameter_constraints`` list."""
    if constraint is None:
        return _NoneConstraint()
    if isinstance(constraint, str):
        return _named(constraint)
    if isinstance(constraint, type):
        return _InstanceOf(constraint)
    if isinstance(constraint, (Interval, StrOptions, HasMethods)):
        return constraint
    raise ValueError(f"unknown parameter constraint {constraint!r}")


def _join(constraints):
    described = [str(c) for c in constraints]
    if len(described) == 1:
        return described[0]
    return f"{', '.join(described[:-1])} or {described[-1]}"


def check_parameter(name, value, constraints, caller):
    """Raise if ``value`` satisfies none of ``constraints`` (a list, or ``"no_validation"``).

    Parameters
    ----------
    name : str
        The parameter's name, for the message.
    value : object
        Its value.
    constraints : list or "no_validation"
        As in ``_parameter_constraints``.
    caller : str
        The estimator's class name (or the function's name), for the message.

    Raises
    ------
    InvalidParameterError
        ``value`` satisfies none of ``constraints``.
    """
    if isinstance(constraints, str) and constraints == "no_validation":
        return
    made = [_constraint(c) for c in constraints]
    if not any(c.is_satisfied_by(value) for c in made):
        raise InvalidParameterError(
            f"The {name!r} parameter of {caller} must be {_join(made)}; got {value!r}."
        )


def validate_params(estimator):
    """Check every parameter of ``estimator`` against its ``_parameter_constraints``.

    Parameters without a constraint are not checked (as in scikit-learn).
    Nothing is checked under ``sklearn.set_config(skip_parameter_validation=True)``.

    Parameters
    ----------
    estimator : BaseEstimator
        An estimator with a ``_parameter_constraints`` dict.

    Raises
    ------
    InvalidParameterError
        A parameter satisfies none of its constraints; the message names it,
        the estimator, what it must be and the value given.
    """
    if sklearn.get_config().get("skip_parameter_validation", False):
        return
    constraints = estimator._parameter_constraints
    caller = type(estimator).__name__
    for name, value in estimator.get_params(deep=False).items():
        if name in constraints:
            check_parameter(name, value, constraints[name], caller)
