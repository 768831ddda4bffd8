"""Argument checks and optional imports shared by the tuning modules (internal to the package).

Each check returns the value in its plain Python type or raises an error that names the
argument (``what``) and shows the value received.
"""

from __future__ import annotations

import importlib
import json
import math
import numbers
from typing import Any

TUNE_EXTRA = 'pip install "handgrad[tune]"'


def require(module: str, what: str, install: str = TUNE_EXTRA) -> Any:
    """Import the optional ``module``, or an ImportError saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{what} needs {module}, an optional extra; install it with {install}"
        ) from err


def json_value(value: Any, what: str) -> Any:
    """``value`` as plain JSON data (tuples become lists), or a TypeError."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be JSON data (numbers, strings, booleans, None, lists, dicts), got "
            f"{value!r} ({type(value).__name__})"
        ) from None


def check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, got {value!r} ({type(value).__name__})")
    return int(value)


def check_real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = ""
        if isinstance(value, str):
            hint = "; in YAML write 1.0e-4 rather than 1e-4, which PyYAML reads as a string"
        raise TypeError(f"{what} must be a number, got {value!r} ({type(value).__name__}){hint}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    return value


def check_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be true or false, got {value!r}")
    return value


def check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def check_positive(value: Any, argument: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{argument} must be a positive int, got {value!r}")
    return int(value)
