"""Checks of single values: flags, counts, seeds, dtypes, shapes, numbers in a range."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = [
    "check_bool",
    "check_positive_int",
    "check_int",
    "check_count",
    "check_seed",
    "check_dtype",
    "check_shape",
    "check_input_shape",
    "check_number",
    "check_real",
    "check_rate",
    "check_epsilon",
    "check_non_negative",
    "check_float",
    "check_unit_interval",
    "check_dropout_rate",
    "check_epoch",
    "check_monitor",
]


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def check_bool(value: Any, argument: str) -> bool:
    """A flag: True or False (NumPy bools too); strings and numbers are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, got {value!r}")
    return bool(value)


def check_positive_int(value: Any, argument: str) -> int:
    """A positive integer (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{argument} must be a positive int, got {value}")
    return int(value)


def check_int(value: Any, argument: str, minimum: int) -> int:
    """An integer ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be an int >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{argument} must be >= {minimum}, got {value}")
    return int(value)


def check_count(value: Any, argument: str) -> int:
    """An integer ``>= 0`` such as a patience or a verbosity (any wrong value: ValueError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{argument} must be an int >= 0, got {value!r}")
    return int(value)


def check_seed(seed: Any, *, allow_none: bool = True) -> int | None:
    """A non-negative int seed (``None`` passes through when ``allow_none``)."""
    if seed is None and allow_none:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        expected = "a non-negative int or None" if allow_none else "a non-negative int"
        raise TypeError(f"seed must be {expected}, got {seed!r}")
    return int(seed)


def check_dtype(dtype: Any) -> np.dtype:
    """``float32`` or ``float64`` (names or NumPy dtypes)."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from None
    if dt not in (np.dtype("float32"), np.dtype("float64")):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return dt


def check_shape(value: Any, argument: str) -> tuple[int, ...]:
    """A tuple of positive ints from an int or a sequence of ints (sizes are never rounded)."""
    items = (value,) if _is_int(value) else value
    try:
        items = None if isinstance(items, (str, bytes)) else tuple(items)
    except TypeError:
        items = None
    if items is None or not all(_is_int(v) for v in items):
        raise TypeError(f"{argument} must be an int or a tuple of ints, got {value!r}")
    if not items or any(v <= 0 for v in items):
        raise ValueError(f"{argument} must contain positive sizes, got {items}")
    return tuple(int(v) for v in items)


def check_input_shape(shape: Any, owner: str) -> tuple[int, ...]:
    """The shape of one sample, from ``(5,)`` or Keras' form with the batch axis, ``(None, 5)``.

    A leading ``None`` (the batch axis, of any size) is dropped; every other entry must be a
    positive int. ``owner`` starts the message (e.g. ``"layer 'dense'"``).
    """
    try:
        dims = None if isinstance(shape, (str, bytes)) else tuple(shape)
    except TypeError:
        dims = None
    if dims and dims[0] is None:
        dims = dims[1:]
    if dims is None or not all(_is_int(d) for d in dims) or any(d <= 0 for d in dims):
        wrong_type = dims is None or not all(_is_int(d) for d in dims)
        raise (TypeError if wrong_type else ValueError)(
            f"{owner} was given input shape {shape!r}; expected the shape of one sample as "
            "positive ints, e.g. (5,) or (3, 28, 28), optionally after a None batch axis as in "
            "Keras: (None, 5)"
        )
    return tuple(int(d) for d in dims)


def check_number(value: Any, argument: str, *, minimum: float = 0.0, strict: bool = False) -> float:
    """A finite number ``>= minimum`` (``> minimum`` when ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < minimum or (strict and value == minimum):
        raise ValueError(
            f"{argument} must be a finite number {'>' if strict else '>='} {minimum:g}, got {value}"
        )
    return value


def check_real(value: Any, argument: str) -> float:
    """Any finite number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{argument} must be finite, got {value}")
    return value


def check_rate(value: Any, argument: str, *, upper: float | None = None) -> float:
    """A finite number ``>= 0`` (and ``< upper`` when given): rates, momenta, decays."""
    value = check_real(value, argument)
    if value < 0 or (upper is not None and value >= upper):
        bound = f"in [0, {upper:g})" if upper is not None else ">= 0"
        raise ValueError(f"{argument} must be a number {bound}, got {value}")
    return value


def check_epsilon(value: Any) -> float:
    """The ``epsilon`` of a division: finite and ``> 0``."""
    value = check_real(value, "epsilon")
    if value <= 0:
        raise ValueError(f"epsilon must be > 0 (it keeps the division finite), got {value}")
    return value


def check_non_negative(value: Any, argument: str) -> float:
    """A finite number ``>= 0`` such as a penalty factor."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a non-negative number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{argument} must be a non-negative finite number, got {value}")
    return float(value)


def check_float(value: Any, argument: str, low: float, high: float | None = None) -> float:
    """A number in ``[low, high)`` (``>= low`` without ``high``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not value >= low or (high is not None and not value < high):
        expected = f">= {low}" if high is None else f"in [{low}, {high})"
        raise ValueError(f"{argument} must be {expected}, got {value}")
    return value


def check_unit_interval(value: Any, argument: str, *, open_low: bool) -> float:
    """A number in ``[0, 1)``, or ``(0, 1)`` with ``open_low``; NaN is refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    low_ok = value > 0 if open_low else value >= 0
    if not (low_ok and value < 1):  # also refuses NaN
        bounds = "(0, 1)" if open_low else "[0, 1)"
        raise ValueError(f"{argument} must be in {bounds}, got {value!r}")
    return float(value)


def check_dropout_rate(rate: Any) -> float:
    """A dropout rate: the fraction of units dropped, in ``[0, 1)``."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
        raise TypeError(f"Dropout rate must be a number in [0, 1), got {rate!r}")
    if not 0 <= rate < 1:  # also refuses NaN
        raise ValueError(
            f"Dropout rate must be in [0, 1) (the fraction of units dropped), got {rate!r}"
        )
    return float(rate)


def check_epoch(epoch: Any) -> int:
    """A 1-based epoch, as the notes' decay formulas count them."""
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)):
        raise TypeError(f"epoch must be an int >= 1 (epochs are counted from 1), got {epoch!r}")
    if epoch < 1:
        raise ValueError(f"epoch must be an int >= 1 (epochs are counted from 1), got {epoch!r}")
    return int(epoch)


def check_monitor(monitor: Any, owner: str) -> str:
    """The name of a logged value, e.g. ``"val_loss"``."""
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"{owner} monitor must be a log name such as 'val_loss', got {monitor!r}")
    return monitor
