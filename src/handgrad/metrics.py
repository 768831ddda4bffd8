"""Metrics computed from predictions, looked up by name.

Each metric is ``fn(y_true, y_pred) -> float`` on a batch, where ``y_pred`` is ``(N, K)`` and
``y_true`` is integer labels ``(N,)`` or an array ``(N, K)``:

* ``accuracy``: with one output unit, or when ``binary=True`` (binary cross-entropy), the
  fraction of ``(y_pred > 0.5) == (y_true > 0.5)``; otherwise
  ``argmax(y_pred) == label`` (labels, or the argmax of one-hot targets).
* ``mse``, ``mae``: mean squared / absolute error over all elements.

Also :func:`confusion_matrix` for integer labels.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["accuracy", "mse", "mae", "confusion_matrix", "get", "names"]


def _labels(y: np.ndarray) -> np.ndarray:
    return y if y.ndim == 1 else y.argmax(axis=1)


def accuracy(y_true: np.ndarray, y_pred: np.ndarray, binary: bool | None = None) -> float:
    """Fraction of correct predictions (see the module docstring for the two cases)."""
    if binary is None:
        binary = y_pred.ndim == 2 and y_pred.shape[1] == 1
    if binary:
        y_true = y_true.reshape(y_pred.shape)
        return float(((y_pred > 0.5) == (y_true > 0.5)).mean())
    return float((y_pred.argmax(axis=1) == _labels(y_true)).mean())


def mse(y_true: np.ndarray, y_pred: np.ndarray, binary: bool | None = None) -> float:
    """Mean squared error over all elements."""
    return float(np.square(y_pred - y_true.reshape(y_pred.shape)).mean())


def mae(y_true: np.ndarray, y_pred: np.ndarray, binary: bool | None = None) -> float:
    """Mean absolute error over all elements."""
    return float(np.abs(y_pred - y_true.reshape(y_pred.shape)).mean())


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples with true label ``i`` predicted as ``j``.

    ``y_true`` and ``y_pred`` may be labels ``(N,)`` or scores ``(N, K)`` (argmax is taken).
    """
    t = _labels(np.asarray(y_true)).astype(np.intp)
    p = _labels(np.asarray(y_pred)).astype(np.intp)
    if t.shape != p.shape:
        raise ValueError(
            f"y_true and y_pred must have the same length, got {t.shape} and {p.shape}"
        )
    k = num_classes or int(max(t.max(initial=0), p.max(initial=0)) + 1)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k)


_REGISTRY: dict[str, Callable[..., float]] = {"accuracy": accuracy, "mse": mse, "mae": mae}
_ALIASES = {"acc": "accuracy", "mean_squared_error": "mse", "mean_absolute_error": "mae"}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(name: str) -> tuple[str, Callable[..., float]]:
    """Return ``(canonical_name, fn)``; unknown names raise ``ValueError`` listing valid ones."""
    if not isinstance(name, str):
        raise TypeError(f"metrics must be names (strings), got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise ValueError(f"unknown metric {name!r}; expected one of: {', '.join(names())}")
    return key, _REGISTRY[key]
