"""The data every trial of a search trains and is scored on.

``prepare_data`` checks ``X`` and ``y`` once and holds out the validation rows: the given
``validation_data``, or a ``validation_split`` fraction of ``(X, y)``, stratified by class and
drawn from ``default_rng([seed, 3])``, so every trial sees the same split.

Examples
--------
>>> import numpy as np
>>> data = prepare_data(np.ones((10, 2)), np.arange(10) % 2, None, 0.2, seed=0)
>>> data.x.shape, data.x_val.shape, np.bincount(data.y_val).tolist()
((8, 2), (2, 2), [1, 1])
"""

from __future__ import annotations

import hashlib
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._split import stratified_indices
from .._validation import as_real_array, check_finite

__all__ = ["TrialData", "prepare_data"]


@dataclass(frozen=True)
class TrialData:
    """Training and validation arrays of a search (the same for every trial)."""

    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for a in (self.x, self.y, self.x_val, self.y_val):
            a = np.ascontiguousarray(a)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
        return digest.hexdigest()


def _check_array(value: Any, argument: str) -> np.ndarray:
    arr = as_real_array(value, argument)
    check_finite(arr, argument)
    return arr


def _class_labels(y: np.ndarray) -> np.ndarray | None:
    """Integer labels to stratify the validation split by (None for real-valued targets)."""
    if y.ndim == 1 and y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return y.argmax(axis=1)
    return None


def prepare_data(X, y, validation_data, validation_split, seed: int) -> TrialData:
    x = _check_array(X, "X")
    if x.ndim < 2:
        raise ValueError(f"X must be batch-first with shape (N, features), got shape {x.shape}")
    y = _check_array(y, "y")
    if len(y) != len(x):
        raise ValueError(f"X and y must have the same length, got {len(x)} and {len(y)}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a tuple (X_val, y_val)")
        xv = _check_array(validation_data[0], "X_val")
        yv = _check_array(validation_data[1], "y_val")
        if xv.shape[1:] != x.shape[1:] or len(xv) != len(yv):
            raise ValueError(
                f"validation_data must match X: X_val {xv.shape} for X {x.shape}, y_val {yv.shape}"
            )
        return TrialData(x, y, xv, yv)
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not (0 < validation_split < 1)
    ):
        raise ValueError(
            f"validation_split must be in (0, 1) when no validation_data is given, got "
            f"{validation_split!r}"
        )
    train, val = stratified_indices(
        len(x),
        float(validation_split),
        np.random.default_rng([seed, 3]),
        _class_labels(y),
        argument="validation_split",
    )
    return TrialData(x[train], y[train], x[val], y[val])
