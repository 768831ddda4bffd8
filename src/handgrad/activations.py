"""Activation functions, their derivatives, and the registry that maps names to them.

Every activation is applied element-wise to a batch ``z`` of shape ``(N, units)`` (or any shape),
except softmax, which normalizes over the last axis. Each entry of the registry provides:

* ``forward(z) -> a``: the activation itself;
* ``derivative(z) -> g'(z)``: the element-wise derivative, as the lecture notes give it
  (``None`` for softmax, whose derivative is a Jacobian);
* ``backward(a, da) -> dz``: the vector-Jacobian product used by backpropagation, written in
  terms of the *output* ``a`` so that layers only need to cache their output.

Choices at the kinks (documented because finite differences cannot decide them):

* ReLU's slope at ``z = 0`` is 0 (as PyTorch and TensorFlow; the notes allow either one-sided
  derivative). Backward only sees the output ``a``, and ``a = 0`` for every ``z <= 0``.
* Leaky ReLU's and ELU's slope at ``z = 0`` is 1 (the notes: ``g'(z) = 1 if z >= 0``); hard
  sigmoid's is 0 at ``z = +-0.5``.
* Integer inputs are computed in float64 (a step of 0.5 or a sigmoid must not be truncated).
* step and sign have zero gradient everywhere (their true derivative is 0 almost everywhere and
  undefined at 0), so a network built only from them cannot learn by gradient descent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._rowops import row_max, row_sum

__all__ = [
    "ActivationFunction",
    "get",
    "names",
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softmax",
    "step",
    "sign",
    "hard_sigmoid",
    "derivative",
]

LEAKY_RELU_SLOPE = 0.01
ELU_ALPHA = 1.0  # _b_elu relies on alpha == 1 (the notes fix it there)


def _float(z) -> np.ndarray:
    """``z`` as an array, integers and bools promoted to float64 (floats keep their dtype)."""
    z = np.asarray(z)
    return z if z.dtype.kind == "f" else z.astype(np.float64)


# --------------------------------------------------------------------------- forward functions
def linear(z: np.ndarray) -> np.ndarray:
    """Identity, ``a = z``."""
    return z


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``a = 1 / (1 + exp(-z))``, without overflow warnings or NaN.

    For very negative ``z`` (below about -88 in float32, -709 in float64) ``exp(-z)`` overflows
    to ``inf`` and ``1 / (1 + inf) = 0``, which is the correctly rounded result, so the overflow
    is silenced rather than avoided. (A branchy ``where(z >= 0, ...)`` formulation is an order of
    magnitude slower on mixed-sign data and no more accurate.)
    """
    z = _float(z)
    with np.errstate(over="ignore"):
        e = np.exp(-z)
    e += 1.0
    return np.divide(1.0, e, out=e)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent ``a = (e^z - e^-z) / (e^z + e^-z) = 2*sigmoid(2z) - 1``."""
    return np.tanh(_float(z))


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``a = max(0, z)``."""
    return np.maximum(_float(z), 0)


def leaky_relu(z: np.ndarray) -> np.ndarray:
    """Leaky ReLU ``a = max(0.01 z, z)``."""
    z = _float(z)
    return np.maximum(z, LEAKY_RELU_SLOPE * z)


def elu(z: np.ndarray) -> np.ndarray:
    """Exponential linear unit: ``a = z`` for ``z >= 0``, ``alpha (exp(z) - 1)`` for ``z < 0``.

    ``alpha = 1``. Computed as ``max(z, 0) + alpha*expm1(min(z, 0))``: one of the two terms is
    always exactly 0, and ``expm1`` never sees a positive argument, so nothing overflows.
    """
    z = _float(z)
    a = ELU_ALPHA * np.expm1(np.minimum(z, 0))
    a += np.maximum(z, 0)
    return a


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, ``a_j = exp(z_j) / sum_i exp(z_i)``.

    The row maximum is subtracted first, so ``exp`` never overflows.
    """
    z = _float(z)
    e = np.exp(z - row_max(z))
    e /= row_sum(e)
    return e


def step(z: np.ndarray) -> np.ndarray:
    """Unit step (Heaviside): 0 for ``z < 0``, 0.5 at ``z = 0``, 1 for ``z > 0``.

    Its gradient is zero everywhere (see the module docstring).
    """
    z = _float(z)
    return np.heaviside(z, 0.5).astype(z.dtype, copy=False)


def sign(z: np.ndarray) -> np.ndarray:
    """Signum: -1 for ``z < 0``, 0 at ``z = 0``, 1 for ``z > 0``. Zero gradient everywhere."""
    return np.sign(_float(z))


def hard_sigmoid(z: np.ndarray) -> np.ndarray:
    """The notes' piecewise-linear unit: ``a = clip(z + 1/2, 0, 1)``.

    0 for ``z <= -1/2``, ``z + 1/2`` in between, 1 for ``z >= 1/2``; slope 1 strictly inside.
    """
    return np.clip(_float(z) + 0.5, 0.0, 1.0)


# --------------------------------------------------------------------- element-wise derivatives
def _d_linear(z):
    return np.ones_like(_float(z))


def _d_sigmoid(z):
    a = sigmoid(z)
    return a * (1 - a)


def _d_tanh(z):
    return 1 - np.tanh(_float(z)) ** 2


def _d_relu(z):
    z = _float(z)
    return (z > 0).astype(z.dtype)


def _d_leaky_relu(z):
    z = _float(z)
    return np.where(z >= 0, 1.0, LEAKY_RELU_SLOPE).astype(z.dtype)


def _d_elu(z):
    z = _float(z)
    return np.where(z >= 0, 1.0, ELU_ALPHA * np.exp(np.minimum(z, 0))).astype(z.dtype)


def _d_zero(z):
    return np.zeros_like(_float(z))


def _d_hard_sigmoid(z):
    z = _float(z)
    return ((z > -0.5) & (z < 0.5)).astype(z.dtype)


# ------------------------------------------------ backward (vector-Jacobian) from the output a
def _b_linear(a, da):
    return da


def _b_sigmoid(a, da):
    return da * a * (1 - a)


def _b_tanh(a, da):
    return da * (1 - a * a)


def _b_relu(a, da):
    return da * (a > 0)


def _b_leaky_relu(a, da):
    # a >= 0 exactly when z >= 0, where the notes' slope is 1. Branch-free (masked selects are
    # slow on mixed signs): 0.01 + 0.99*[a >= 0] is exactly 1.0 or 0.01 in float32 and float64.
    g = (a >= 0).astype(da.dtype)
    g *= 1 - LEAKY_RELU_SLOPE
    g += LEAKY_RELU_SLOPE
    g *= da
    return g


def _b_elu(a, da):
    # For z < 0, g'(z) = alpha*exp(z) = a + alpha, and a < 0 exactly when z < 0; for z >= 0 it is
    # 1. With alpha = 1 both cases are min(a, 0) + 1, computed without a branch.
    g = np.minimum(a, 0)
    g += ELU_ALPHA
    g *= da
    return g


def _b_softmax(a, da):
    # dz_j = a_j * (da_j - sum_i da_i a_i): the softmax Jacobian times da, per row.
    return a * (da - row_sum(da * a))


def _b_zero(a, da):
    return np.zeros_like(da)


def _b_hard_sigmoid(a, da):
    return da * ((a > 0) & (a < 1))


# ------------------------------------------- in-place twins (bit-identical to the functions above)
def _fi_linear(z):
    return z


def _fi_sigmoid(z):
    with np.errstate(over="ignore"):
        np.exp(np.negative(z, out=z), out=z)
    z += 1.0
    return np.divide(1.0, z, out=z)


def _fi_tanh(z):
    return np.tanh(z, out=z)


def _fi_relu(z):
    return np.maximum(z, 0, out=z)


def _fi_leaky_relu(z):
    return np.maximum(z, LEAKY_RELU_SLOPE * z, out=z)


def _fi_elu(z):
    t = np.expm1(np.minimum(z, 0))
    t *= ELU_ALPHA
    np.maximum(z, 0, out=z)
    z += t
    return z


def _fi_softmax(z):
    z -= row_max(z)
    np.exp(z, out=z)
    z /= row_sum(z)
    return z


def _fi_hard_sigmoid(z):
    z += 0.5
    return np.clip(z, 0.0, 1.0, out=z)


def _bi_linear(a, da):
    return da


def _bi_sigmoid(a, da):
    da *= a
    da *= 1 - a
    return da


def _bi_tanh(a, da):
    t = a * a
    da *= np.subtract(1, t, out=t)
    return da


def _bi_relu(a, da):
    return np.multiply(da, a > 0, out=da)


def _bi_leaky_relu(a, da):
    g = (a >= 0).astype(da.dtype)
    g *= 1 - LEAKY_RELU_SLOPE
    g += LEAKY_RELU_SLOPE
    da *= g
    return da


def _bi_elu(a, da):
    g = np.minimum(a, 0)
    g += ELU_ALPHA
    da *= g
    return da


def _bi_softmax(a, da):
    da -= row_sum(da * a)
    da *= a
    return da


def _bi_hard_sigmoid(a, da):
    return np.multiply(da, (a > 0) & (a < 1), out=da)


@dataclass(frozen=True)
class ActivationFunction:
    """An activation: its forward map, element-wise derivative and backward rule."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray] | None
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str
    #: ``forward`` computed in place in ``z`` (same bits), for layers that own ``z``.
    forward_inplace: Callable[[np.ndarray], np.ndarray] | None = None
    #: ``backward`` computed in place in ``da`` (same bits), for callers that own ``da``.
    backward_inplace: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def owned_backward_inplace(
        self, overwrite: bool
    ) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
        """The in-place backward a caller may run on a ``da`` it owns, or None.

        Layers pass ``overwrite=self.reuse_buffers``: while ``fit`` trains them, the ``dy`` a
        layer receives is its own to overwrite. This is the one place that decides it.
        """
        return self.backward_inplace if overwrite else None

    def backward_owned(self, a: np.ndarray, da: np.ndarray, overwrite: bool) -> np.ndarray:
        """``backward(a, da)``, computed in ``da`` when ``overwrite`` and an in-place twin exists
        (see :meth:`owned_backward_inplace`)."""
        inplace = self.owned_backward_inplace(overwrite)
        return self.backward(a, da) if inplace is None else inplace(a, da)


_REGISTRY: dict[str, ActivationFunction] = {
    f.name: f
    for f in (
        ActivationFunction("linear", linear, _d_linear, _b_linear, "a = z", _fi_linear, _bi_linear),
        ActivationFunction(
            "sigmoid",
            sigmoid,
            _d_sigmoid,
            _b_sigmoid,
            "a = 1/(1+exp(-z))",
            _fi_sigmoid,
            _bi_sigmoid,
        ),
        ActivationFunction("tanh", tanh, _d_tanh, _b_tanh, "a = tanh(z)", _fi_tanh, _bi_tanh),
        ActivationFunction("relu", relu, _d_relu, _b_relu, "a = max(0, z)", _fi_relu, _bi_relu),
        ActivationFunction(
            "leaky_relu",
            leaky_relu,
            _d_leaky_relu,
            _b_leaky_relu,
            "a = max(0.01 z, z)",
            _fi_leaky_relu,
            _bi_leaky_relu,
        ),
        ActivationFunction(
            "elu", elu, _d_elu, _b_elu, "a = z if z>=0 else exp(z)-1", _fi_elu, _bi_elu
        ),
        ActivationFunction(
            "softmax",
            softmax,
            None,
            _b_softmax,
            "a_j = exp(z_j)/sum exp(z_i)",
            _fi_softmax,
            _bi_softmax,
        ),
        ActivationFunction("step", step, _d_zero, _b_zero, "a = 0, 0.5, 1 for z <0, =0, >0"),
        ActivationFunction("sign", sign, _d_zero, _b_zero, "a = -1, 0, 1 for z <0, =0, >0"),
        ActivationFunction(
            "hard_sigmoid",
            hard_sigmoid,
            _d_hard_sigmoid,
            _b_hard_sigmoid,
            "a = clip(z+1/2, 0, 1)",
            _fi_hard_sigmoid,
            _bi_hard_sigmoid,
        ),
    )
}

#: Activations after which the ReLU-family (He) initialization is the default.
RELU_FAMILY = frozenset({"relu", "leaky_relu", "elu"})


def names() -> list[str]:
    """Names of all registered activations."""
    return sorted(_REGISTRY)


def get(name: str | None) -> ActivationFunction:
    """Look an activation up by name (``None`` means ``"linear"``).

    Raises
    ------
    ValueError
        If the name is unknown; the message lists the valid names.
    """
    if name is None:
        name = "linear"
    if isinstance(name, ActivationFunction):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a string name, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; expected one of: {', '.join(names())}"
        ) from None


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """Element-wise derivative ``g'(z)`` of the named activation (not defined for softmax)."""
    f = get(name)
    if f.derivative is None:
        raise ValueError(f"activation {name!r} has no element-wise derivative (it is a Jacobian)")
    return f.derivative(np.asarray(z))
