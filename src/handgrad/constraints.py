"""Constraints that project weights after each optimizer step.

``MaxNorm(max_value)`` enforces the notes' max-norm constraint ``||w|| <= c`` on every unit's
incoming weight vector. For a Dense kernel ``W`` of shape ``(fan_in, units)`` that is each
column; for a convolution kernel ``(filters, C, kh, kw)`` each filter. Vectors already inside
the ball are left unchanged; longer ones are rescaled onto it: ``w <- w * c / ||w||``.
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["Constraint", "MaxNorm", "get"]


class Constraint:
    """Base class: ``constraint(W)`` returns the projected weights."""

    def __call__(self, w: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict:
        return {"class_name": type(self).__name__, **vars(self)}


class MaxNorm(Constraint):
    """Rescale each unit's incoming weight vector to norm at most ``max_value``.

    ``w <- w * min(1, c / ||w||_2)`` for every column of a Dense kernel ``(fan_in, units)``
    and every filter of a convolution kernel ``(filters, C, kh, kw)``. The model applies it
    after each optimizer step, so ``||w|| <= c`` holds throughout training.

    Parameters
    ----------
    max_value : float > 0
        The bound ``c`` (Keras' default is 2; values of 3 to 4 are common with dropout).

    Examples
    --------
    >>> import numpy as np
    >>> from handgrad.constraints import MaxNorm
    >>> MaxNorm(1.0)(np.array([[3.0, 0.3], [4.0, 0.4]]))  # column norms 5 and 0.5
    array([[0.6, 0.3],
           [0.8, 0.4]])
    """

    def __init__(self, max_value: float = 2.0) -> None:
        if isinstance(max_value, bool) or not isinstance(max_value, numbers.Real):
            raise TypeError(f"max_value must be a positive number, got {max_value!r}")
        if not np.isfinite(max_value) or max_value <= 0:
            raise ValueError(f"max_value must be a positive finite number, got {max_value}")
        self.max_value = float(max_value)

    def __call__(self, w):
        if w.ndim == 2:  # Dense (fan_in, units): one vector per column
            norms = np.sqrt(np.square(w).sum(axis=0, keepdims=True))
        else:  # conv (filters, ...): one vector per filter
            norms = np.sqrt(np.square(w).sum(axis=tuple(range(1, w.ndim)), keepdims=True))
        scale = np.minimum(1.0, self.max_value / np.maximum(norms, np.finfo(w.dtype).tiny))
        return (w * scale).astype(w.dtype, copy=False)

    def __repr__(self):
        return f"MaxNorm(max_value={self.max_value})"


def get(spec) -> Constraint | None:
    """``None``, a Constraint, or a config dict."""
    if spec is None or isinstance(spec, Constraint):
        return spec
    if isinstance(spec, dict):
        spec = dict(spec)
        if spec.pop("class_name", None) != "MaxNorm":
            raise ValueError(f"unknown constraint config {spec!r}")
        return MaxNorm(**spec)
    if isinstance(spec, str) and spec.lower() in ("max_norm", "maxnorm"):
        return MaxNorm()
    raise TypeError(f"kernel_constraint must be a Constraint such as MaxNorm(3), got {spec!r}")
