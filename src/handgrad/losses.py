"""Loss functions with hand-written gradients, looked up by name.

Shapes: predictions ``a`` are ``(N, K)``. Targets ``y`` are ``(N, K)``, except for
categorical cross-entropy, which also takes integer labels ``(N,)``. Every loss is the mean of a
per-sample loss ``l_i`` over the batch; with sample weights ``w`` it is ``sum_i w_i l_i / N``
(Keras semantics: weights scale samples, the divisor stays ``N``).

=============================  ===============================================================
name                           per-sample loss ``l_i``
=============================  ===============================================================
``binary_crossentropy``        ``mean_k -(y log a + (1-y) log(1-a))``
``categorical_crossentropy``   ``-sum_k y_k log a_k`` (``-log a_{y_i}`` for integer labels)
``mse``                        ``mean_k (y - a)^2`` (mean of squares, as Keras)
``mae``                        ``mean_k |y - a|``
``quadratic``                  ``1/2 ||y - a||^2``: the notes' cost ``C = 1/(2n) sum ||y-a||^2``
=============================  ===============================================================

Cross-entropies are *fused* with their natural output activation (sigmoid for binary, softmax
for categorical): the model then computes the loss from the pre-activation ``z`` with the
log-sum-exp trick (never ``log(0)``) and the gradient with respect to ``z`` is simply
``(a - y) / N``. With any other output activation the loss works on probabilities clipped to
``[eps, 1 - eps]`` (``eps`` is the dtype's machine epsilon) and the gradient flows through the
activation's own derivative.
"""

from __future__ import annotations

import numpy as np

from ._rowops import row_max, row_sum
from .activations import sigmoid

__all__ = [
    "Loss",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "Quadratic",
    "get",
    "names",
]


def _scale(n: int, sample_weight: np.ndarray | None, dtype) -> np.ndarray | float:
    """Per-row factor ``w_i / N`` (or ``1 / N``) that turns per-sample gradients into the mean's."""
    if sample_weight is None:
        return 1.0 / n
    return (sample_weight / n).astype(dtype, copy=False)[:, None]


def _reduce(per_sample: np.ndarray, sample_weight: np.ndarray | None) -> float:
    if sample_weight is None:
        # per_sample.mean() without its Python wrapper (~5 us, a tenth of a loss on 32 rows):
        # NumPy sums in the array's dtype, divides by an intp count, casts back.
        total = np.add.reduce(per_sample)
        return float(total.dtype.type(total / np.intp(per_sample.size)))
    return float((per_sample * sample_weight).sum() / per_sample.shape[0])


def _label_positions(labels: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of ``(i, labels[i])`` in a C-contiguous ``(N, k)`` array.

    Indexing the flat array with these is 2x faster than ``a[np.arange(N), labels]``.
    """
    positions = np.arange(0, len(labels) * k, k)
    positions += labels.astype(np.intp, copy=False)
    return positions


class Loss:
    """Base class: a loss is ``value(y_true, y_pred)`` and its gradient ``dL/dy_pred``.

    Subclasses implement ``per_sample`` and ``gradient``; fused losses also implement
    ``per_sample_from_logits`` and name their ``fused_activation``.
    """

    name: str = ""
    fused_activation: str | None = None
    accepts_integer_labels: bool = False

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        return self.value(y_true, y_pred, sample_weight)

    def value(self, y_true, y_pred, sample_weight=None) -> float:
        """Mean loss over the batch (weighted by ``sample_weight`` when given)."""
        return _reduce(self.per_sample(y_true, y_pred), sample_weight)

    def per_sample(self, y_true, y_pred) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def value_from_logits(self, y_true, z, sample_weight=None) -> float:
        """Mean loss computed from the pre-activation ``z`` (fused losses only)."""
        return _reduce(self.per_sample_from_logits(y_true, z), sample_weight)

    def logits_gradient(self, y_true, a, sample_weight=None) -> np.ndarray:
        """``dL/dz = (a - y) * w / N`` for a loss fused with its output activation."""
        raise NotImplementedError(f"{self.name} is not fused with an activation")

    def fused_forward(self, y_true, z, sample_weight=None) -> tuple[np.ndarray, float]:
        """Output activation ``a = g(z)`` and the mean loss from ``z``, sharing one ``exp``."""
        raise NotImplementedError(f"{self.name} is not fused with an activation")

    def get_config(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossentropy(Loss):
    """Binary cross-entropy; fused with a sigmoid output.

    From logits: ``l = mean_k [max(z, 0) - z y + log(1 + exp(-|z|))]``, ``dL/dz = (a - y)/(N K)``.
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def per_sample(self, y_true, y_pred):
        eps = np.finfo(y_pred.dtype).eps
        p = np.clip(y_pred, eps, 1 - eps)
        return -(y_true * np.log(p) + (1 - y_true) * np.log1p(-p)).mean(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        eps = np.finfo(y_pred.dtype).eps
        p = np.clip(y_pred, eps, 1 - eps)
        n, k = y_pred.shape
        return (p - y_true) / (p * (1 - p)) * _scale(n, sample_weight, y_pred.dtype) / k

    def per_sample_from_logits(self, y_true, z):
        return (np.maximum(z, 0) - z * y_true + np.log1p(np.exp(-np.abs(z)))).mean(axis=1)

    def fused_forward(self, y_true, z, sample_weight=None):
        a = sigmoid(z)
        return a, _reduce(self.per_sample_from_logits(y_true, z), sample_weight)

    def logits_gradient(self, y_true, a, sample_weight=None):
        n, k = a.shape
        return (a - y_true) * (_scale(n, sample_weight, a.dtype) / k)


class CategoricalCrossentropy(Loss):
    """Categorical cross-entropy; fused with a softmax output. Targets: labels ``(N,)`` or one-hot.

    From logits: ``l = logsumexp(z) - z . y``; ``dL/dz = (a - y)/N``.
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"
    accepts_integer_labels = True

    def per_sample(self, y_true, y_pred):
        eps = np.finfo(y_pred.dtype).eps
        if y_true.ndim == 1:
            return -np.log(np.clip(y_pred[np.arange(len(y_true)), y_true], eps, None))
        return -(y_true * np.log(np.clip(y_pred, eps, None))).sum(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        eps = np.finfo(y_pred.dtype).eps
        scale = _scale(len(y_pred), sample_weight, y_pred.dtype)
        g = np.zeros_like(y_pred)
        if y_true.ndim == 1:
            rows = np.arange(len(y_true))
            g[rows, y_true] = -1.0 / np.clip(y_pred[rows, y_true], eps, None)
        else:
            g = -y_true / np.clip(y_pred, eps, None)
        return g * scale

    def per_sample_from_logits(self, y_true, z):
        m = row_max(z)
        lse = (m + np.log(row_sum(np.exp(z - m))))[:, 0]
        return self._nll(y_true, z, lse)

    @staticmethod
    def _nll(y_true, z, lse):
        if y_true.ndim == 1:
            return lse - z.reshape(-1).take(_label_positions(y_true, z.shape[1]))
        return lse * y_true.sum(axis=1) - (z * y_true).sum(axis=1)

    def fused_forward(self, y_true, z, sample_weight=None):
        # row_max/row_sum: the same bits as z.max(axis=1) / e.sum(axis=1), without their
        # per-row cost on short rows and without the method wrappers on a batch of 32.
        m = row_max(z)
        e = np.exp(np.subtract(z, m))
        s = row_sum(e)
        e /= s
        lse = np.log(s)
        lse += m
        return e, _reduce(self._nll(y_true, z, lse[:, 0]), sample_weight)

    def logits_gradient(self, y_true, a, sample_weight=None):
        g = a.copy()
        if y_true.ndim == 1:
            g.reshape(-1)[_label_positions(y_true, g.shape[1])] -= 1
        else:
            g -= y_true
        g *= _scale(len(a), sample_weight, a.dtype)
        return g


class MeanSquaredError(Loss):
    """Mean squared error ``mean_k (y - a)^2`` per sample; ``dL/da = 2 (a - y) / (N K)``."""

    name = "mse"

    def per_sample(self, y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n, k = y_pred.shape
        return (y_pred - y_true) * (2 * _scale(n, sample_weight, y_pred.dtype) / k)


class MeanAbsoluteError(Loss):
    """Mean absolute error ``mean_k |y - a|`` per sample; ``dL/da = sign(a - y) / (N K)``."""

    name = "mae"

    def per_sample(self, y_true, y_pred):
        return np.abs(y_pred - y_true).mean(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n, k = y_pred.shape
        return np.sign(y_pred - y_true) * (_scale(n, sample_weight, y_pred.dtype) / k)


class Quadratic(Loss):
    """The notes' quadratic cost ``C = 1/(2n) sum_i ||y_i - a_i||^2``; ``dC/da = (a - y) / n``."""

    name = "quadratic"

    def per_sample(self, y_true, y_pred):
        return 0.5 * ((y_pred - y_true) ** 2).sum(axis=1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        return (y_pred - y_true) * _scale(len(y_pred), sample_weight, y_pred.dtype)


_REGISTRY: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        BinaryCrossentropy,
        CategoricalCrossentropy,
        MeanSquaredError,
        MeanAbsoluteError,
        Quadratic,
    )
}
_ALIASES = {
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
    "bce": "binary_crossentropy",
    "cce": "categorical_crossentropy",
    "sparse_categorical_crossentropy": "categorical_crossentropy",
}


def names() -> list[str]:
    """Names of all registered losses (aliases excluded)."""
    return sorted(_REGISTRY)


def get(name: str | Loss) -> Loss:
    """Return a loss instance for a name (or pass an instance through)."""
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a string name or a Loss, got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise ValueError(f"unknown loss {name!r}; expected one of: {', '.join(names())}")
    return _REGISTRY[key]()
