"""Argument checks shared by the plots (internal to the package): curves, class labels, names.

Errors name the argument and say what was expected and what was received.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validation import as_real_array

__all__ = [
    "check_positive_int",
    "as_curve",
    "as_labels",
    "check_same_length",
    "class_name",
    "check_class_names",
]


def check_positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive int, got {value!r}")
    return int(value)


def as_curve(values: Any, argument: str) -> np.ndarray:
    """A 1-D float curve; NaN/inf are kept (a diverged run shows as a gap)."""
    arr = as_real_array(values, argument).astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{argument} must be a 1-D sequence of numbers, got shape {arr.shape}")
    return arr


def as_labels(y: Any, argument: str) -> np.ndarray:
    """Integer class labels from labels ``(N,)`` / ``(N, 1)``, scores ``(N, K)`` or
    binary probabilities (thresholded at 0.5)."""
    arr = as_real_array(y, argument)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return arr.argmax(axis=1)
    if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[1] != 1):
        raise ValueError(f"{argument} must be labels (N,) or scores (N, K), got shape {arr.shape}")
    flat = arr.reshape(-1)
    if not np.isfinite(flat).all():
        raise ValueError(f"{argument} contains NaN or inf")
    if np.all(flat == np.round(flat)):
        if flat.min() < 0:
            raise ValueError(f"{argument} labels must be >= 0, got a minimum of {flat.min()}")
        return flat.astype(np.intp)
    if flat.min() >= 0 and flat.max() <= 1:
        return (flat > 0.5).astype(np.intp)
    raise ValueError(
        f"{argument} must hold integer class labels (or probabilities in [0, 1]), "
        f"got non-integer values in [{flat.min()}, {flat.max()}]"
    )


def check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}"
        )


def class_name(names: Sequence[str] | None, label: int) -> str:
    return str(label) if names is None else str(names[label])


def check_class_names(names: Any, labels: Sequence[np.ndarray]) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"class_names must be a list of names, got {type(names).__name__}")
    top = max(int(lab.max()) for lab in labels)
    if top >= len(names):
        raise ValueError(f"class_names has {len(names)} names but the labels go up to {top}")
    return [str(n) for n in names]
