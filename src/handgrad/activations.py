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
ELU_ALPHA = 1.0


def _float(z) -> np.ndarray:
    """``z`` as an array, integers and bools promoted to float64 (floats keep their dtype)."""
    z = np.asarray(z)
    return z if z.dtype.kind == "f" else z.astype(np.float64)


# --------------------------------------------------------------------------- forward functions
def linear(z: np.ndarray) -> np.ndarray:
    """Identity, ``a = z``."""
    return z


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function ``a = 1 / (1 + exp(-z))``, computed without overflow.

    For ``z >= 0`` it evaluates ``1 / (1 + exp(-z))`` and for ``z < 0`` the equivalent
    ``exp(z) / (1 + exp(z))``, so ``exp`` only ever sees non-positive arguments.
    """
    z = _float(z)
    e = np.exp(-np.abs(z))
    r = 1.0 / (1.0 + e)
    return np.where(z >= 0, r, e * r).astype(z.dtype, copy=False)


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent ``a = (e^z - e^-z) / (e^z + e^-z) = 2*sigmoid(2z) - 1``."""
    return np.tanh(_float(z))


def relu(z: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``a = max(0, z)``."""
    return np.maximum(_float(z), 0)


def leaky_relu(z: np.ndarray) -> np.ndarray:
    """Leaky ReLU ``a = max(0.01 z, z)``."""
    z = _float(z)
    return np.where(z > 0, z, LEAKY_RELU_SLOPE * z).astype(z.dtype, copy=False)


def elu(z: np.ndarray) -> np.ndarray:
    """Exponential linear unit: ``a = z`` for ``z >= 0``, ``alpha (exp(z) - 1)`` for ``z < 0``.

    ``alpha = 1``; ``expm1`` of ``min(z, 0)`` keeps large positive ``z`` from overflowing.
    """
    z = _float(z)
    neg = ELU_ALPHA * np.expm1(np.minimum(z, 0))
    return np.where(z >= 0, z, neg).astype(z.dtype, copy=False)


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, ``a_j = exp(z_j) / sum_i exp(z_i)``.

    The row maximum is subtracted first, so ``exp`` never overflows.
    """
    z = _float(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    e /= e.sum(axis=-1, keepdims=True)
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
    # a >= 0 exactly when z >= 0, where the notes' slope is 1.
    return da * np.where(a >= 0, 1.0, LEAKY_RELU_SLOPE).astype(a.dtype, copy=False)


def _b_elu(a, da):
    # For z < 0, g'(z) = alpha*exp(z) = a + alpha, and a < 0 exactly when z < 0.
    return da * np.where(a >= 0, 1.0, a + ELU_ALPHA).astype(a.dtype, copy=False)


def _b_softmax(a, da):
    # dz_j = a_j * (da_j - sum_i da_i a_i): the softmax Jacobian times da, per row.
    return a * (da - (da * a).sum(axis=-1, keepdims=True))


def _b_zero(a, da):
    return np.zeros_like(da)


def _b_hard_sigmoid(a, da):
    return da * ((a > 0) & (a < 1))


@dataclass(frozen=True)
class ActivationFunction:
    """An activation: its forward map, element-wise derivative and backward rule."""

    name: str
    forward: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray] | None
    backward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    formula: str


_REGISTRY: dict[str, ActivationFunction] = {
    f.name: f
    for f in (
        ActivationFunction("linear", linear, _d_linear, _b_linear, "a = z"),
        ActivationFunction("sigmoid", sigmoid, _d_sigmoid, _b_sigmoid, "a = 1/(1+exp(-z))"),
        ActivationFunction("tanh", tanh, _d_tanh, _b_tanh, "a = tanh(z)"),
        ActivationFunction("relu", relu, _d_relu, _b_relu, "a = max(0, z)"),
        ActivationFunction(
            "leaky_relu", leaky_relu, _d_leaky_relu, _b_leaky_relu, "a = max(0.01 z, z)"
        ),
        ActivationFunction("elu", elu, _d_elu, _b_elu, "a = z if z>=0 else exp(z)-1"),
        ActivationFunction("softmax", softmax, None, _b_softmax, "a_j = exp(z_j)/sum exp(z_i)"),
        ActivationFunction("step", step, _d_zero, _b_zero, "a = 0, 0.5, 1 for z <0, =0, >0"),
        ActivationFunction("sign", sign, _d_zero, _b_zero, "a = -1, 0, 1 for z <0, =0, >0"),
        ActivationFunction(
            "hard_sigmoid", hard_sigmoid, _d_hard_sigmoid, _b_hard_sigmoid, "a = clip(z+1/2, 0, 1)"
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
