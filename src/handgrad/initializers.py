"""Weight initializers, looked up by name.

Each initializer is a function ``init(shape, rng, dtype) -> ndarray``. Fans are read from the
shape: a Dense kernel ``(fan_in, units)`` has ``fan_in = shape[0]`` and ``fan_out = shape[1]``;
a convolution kernel ``(filters, channels, kh, kw)`` has ``fan_in = channels*kh*kw`` and
``fan_out = filters*kh*kw`` (the kernel area counts, as in Keras and PyTorch).

========================  ===================================================
name                      distribution
========================  ===================================================
``zeros``, ``ones``       constant 0 or 1
``small_normal``          ``0.01 * randn`` (the notes' symmetry-breaking default)
``uniform_fan_in``        ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``
``glorot_normal``         ``N(0, sqrt(2/(fan_in+fan_out)))`` (the notes' Glorot/Xavier)
``glorot_uniform``        ``U(-sqrt(6/(fan_in+fan_out)), +sqrt(6/(fan_in+fan_out)))``
``he_normal``             ``N(0, sqrt(2/fan_in))``
``he_uniform``            ``U(-sqrt(6/fan_in), +sqrt(6/fan_in))``
========================  ===================================================

The normal variants use a plain (untruncated) Gaussian, as the notes write them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .activations import RELU_FAMILY

Initializer = Callable[[tuple[int, ...], np.random.Generator, np.dtype], np.ndarray]

__all__ = ["get", "names", "compute_fans", "default_kernel_initializer"]


def compute_fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` for a kernel shape (see the module docstring)."""
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = int(np.prod(shape[2:]))
    return shape[1] * receptive, shape[0] * receptive


def zeros(shape, rng, dtype):
    return np.zeros(shape, dtype=dtype)


def ones(shape, rng, dtype):
    return np.ones(shape, dtype=dtype)


def small_normal(shape, rng, dtype):
    return (0.01 * rng.standard_normal(shape)).astype(dtype)


def uniform_fan_in(shape, rng, dtype):
    fan_in, _ = compute_fans(shape)
    limit = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def glorot_normal(shape, rng, dtype):
    fan_in, fan_out = compute_fans(shape)
    return (np.sqrt(2.0 / (fan_in + fan_out)) * rng.standard_normal(shape)).astype(dtype)


def glorot_uniform(shape, rng, dtype):
    fan_in, fan_out = compute_fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape).astype(dtype)


def he_normal(shape, rng, dtype):
    fan_in, _ = compute_fans(shape)
    return (np.sqrt(2.0 / fan_in) * rng.standard_normal(shape)).astype(dtype)


def he_uniform(shape, rng, dtype):
    fan_in, _ = compute_fans(shape)
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


_REGISTRY: dict[str, Initializer] = {
    f.__name__: f
    for f in (
        zeros,
        ones,
        small_normal,
        uniform_fan_in,
        glorot_normal,
        glorot_uniform,
        he_normal,
        he_uniform,
    )
}


def names() -> list[str]:
    """Names of all registered initializers."""
    return sorted(_REGISTRY)


def get(name: str) -> Initializer:
    """Look an initializer up by name; unknown names raise ``ValueError`` listing the valid ones."""
    if callable(name):
        return name
    if not isinstance(name, str):
        raise TypeError(f"initializer must be a string name, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(
            f"unknown initializer {name!r}; expected one of: {', '.join(names())}"
        ) from None


def default_kernel_initializer(activation: str | None) -> str:
    """He for the ReLU family (relu, leaky_relu, elu), Glorot uniform otherwise."""
    return "he_normal" if activation in RELU_FAMILY else "glorot_uniform"
