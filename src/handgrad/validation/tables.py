"""Parameter tables: a whole estimator's validation as one table (scikit-learn's
``_parameter_constraints`` style): ``Interval``, ``Options``, ``Flag``, ``Check``."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = [
    "InvalidParameterError",
    "Interval",
    "Options",
    "Flag",
    "Check",
    "validate_parameters",
]


class InvalidParameterError(ValueError, TypeError):
    """A parameter has a wrong type or value (raised by :func:`validate_parameters`).

    Subclasses both ``ValueError`` and ``TypeError``, like scikit-learn's own
    ``InvalidParameterError``.
    """


def _fail(owner: str, name: str, expected: str, value: Any) -> None:
    raise InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    )


class Interval:
    """A finite real (or, with ``integer=True``, an int) between ``low`` and ``high``.

    ``Interval(0, 1)`` is ``[0, 1)``: closed at ``low``, open at ``high`` unless told otherwise;
    ``high=None`` is unbounded.
    """

    def __init__(self, low, high=None, *, low_open=False, high_open=True, integer=False):
        self.low, self.high = low, high
        self.low_open, self.high_open, self.integer = low_open, high_open, integer

    def expected(self) -> str:
        left = "(" if self.low_open else "["
        if self.high is None:
            right = "inf)"
        else:
            right = f"{self.high:g})" if self.high_open else f"{self.high:g}]"
        return f"{'an int' if self.integer else 'a float'} in the range {left}{self.low:g}, {right}"

    def validate(self, owner: str, name: str, value: Any):
        if self.integer:
            ok = isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))
        else:
            ok = (
                isinstance(value, numbers.Real)
                and not isinstance(value, (bool, np.bool_))
                and bool(np.isfinite(value))
            )
        ok = ok and (value > self.low if self.low_open else value >= self.low)
        if ok and self.high is not None:
            ok = value < self.high if self.high_open else value <= self.high
        if not ok:
            _fail(owner, name, self.expected(), value)
        return int(value) if self.integer else float(value)


class Options:
    """One of a fixed set of strings."""

    def __init__(self, options) -> None:
        self.options = tuple(options)

    def validate(self, owner: str, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.options:
            _fail(owner, name, "one of " + ", ".join(repr(o) for o in self.options), value)
        return value


class Flag:
    """True or False (NumPy bools too)."""

    def validate(self, owner: str, name: str, value: Any) -> bool:
        if not isinstance(value, (bool, np.bool_)):
            _fail(owner, name, "True or False", value)
        return bool(value)


class Check:
    """A parameter with a rule of its own: ``accepts(value)``, then ``convert(value)``.

    ``expected`` describes the valid values for the error message.
    """

    def __init__(
        self,
        accepts: Callable[[Any], bool],
        expected: str,
        convert: Callable[[Any], Any] | None = None,
    ) -> None:
        self.accepts, self.expected, self.convert = accepts, expected, convert

    def validate(self, owner: str, name: str, value: Any):
        if not self.accepts(value):
            _fail(owner, name, self.expected, value)
        return value if self.convert is None else self.convert(value)


def validate_parameters(
    constraints: Mapping[str, Any], values: Mapping[str, Any], owner: str
) -> dict[str, Any]:
    """Check ``values[name]`` against ``constraints[name]`` for every name, in table order.

    Returns the normalized values; the first invalid one raises :class:`InvalidParameterError`
    ``"The 'name' parameter of Owner must be <expected>. Got <value> instead."``.
    """
    return {name: rule.validate(owner, name, values[name]) for name, rule in constraints.items()}
