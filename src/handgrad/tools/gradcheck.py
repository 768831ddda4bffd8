"""Finite-difference gradient checks for a layer, a loss, or a whole compiled model.

Every analytic gradient is compared with the central difference
``(f(theta + eps) - f(theta - eps)) / (2 eps)`` in float64, and the agreement is reported per
parameter as the relative error

    ``||g_analytic - g_numeric||_2 / max(||g_analytic||_2 + ||g_numeric||_2, 1e-300)``

(0 when both are exactly zero). Values below ``1e-6`` mean the backward pass is right; a wrong
formula typically gives 1e-2 or more. Randomness during the forward pass (dropout masks) is
frozen by restoring every layer's generator state before each evaluation, so stochastic
layers are checked with one fixed mask.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import losses
from .. import validation as V

__all__ = ["relative_error", "numerical_gradient", "check_layer", "check_loss", "check_model"]


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / (||a|| + ||n||)``, or 0 when both vanish."""
    a = np.asarray(analytic, dtype=np.float64).ravel()
    n = np.asarray(numeric, dtype=np.float64).ravel()
    denom = np.linalg.norm(a) + np.linalg.norm(n)
    if denom == 0:
        return 0.0
    return float(np.linalg.norm(a - n) / denom)


def _entries(size: int, max_entries: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_entries is None or max_entries >= size:
        return np.arange(size)
    return np.sort(rng.choice(size, max_entries, replace=False))


def numerical_gradient(
    f: Callable[[], float],
    array: np.ndarray,
    eps: float = 1e-6,
    entries: np.ndarray | None = None,
) -> np.ndarray:
    """Central differences of ``f()`` with respect to ``array``, perturbed in place.

    Only ``entries`` (flat indices) are computed; the others are left at 0.
    """
    flat = array.reshape(-1)
    grad = np.zeros(flat.shape, dtype=np.float64)
    for i in range(flat.size) if entries is None else entries:
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad.reshape(array.shape)


def _require_float64(array: np.ndarray, what: str) -> None:
    if array.dtype != np.float64:
        raise TypeError(f"gradient checks need float64 {what}, got {array.dtype}")


def _rng_states(layers) -> list[Any]:
    return [None if layer.rng is None else layer.rng.bit_generator.state for layer in layers]


def _set_rng_states(layers, states) -> None:
    for layer, state in zip(layers, states, strict=True):
        if state is not None:
            layer.rng.bit_generator.state = state


def check_layer(
    layer,
    x: np.ndarray,
    *,
    training: bool = True,
    eps: float = 1e-6,
    seed: int = 0,
    max_entries: int | None = None,
) -> dict[str, float]:
    """Check a layer's ``backward`` for ``dx`` and every parameter.

    The scalar differentiated is ``L = sum(forward(x) * R)`` for a fixed random ``R``, so
    ``dL/dy = R`` exercises every output. Returns ``{"x": err, "W": err, ...}``.
    """
    x = np.array(x, dtype=np.float64)
    layer.ensure_built(x)
    for v in layer.params.values():
        _require_float64(v, f"parameters (layer {layer.name!r} is {v.dtype})")
    rng = np.random.default_rng(seed)
    state = _rng_states([layer])
    out = layer.forward(x, training)
    r = rng.standard_normal(out.shape)
    need = layer.need_input_grad
    layer.need_input_grad = True
    dx = layer.backward(r.copy())
    layer.need_input_grad = need
    analytic = {k: g.copy() for k, g in layer.grads.items()}

    def f() -> float:
        _set_rng_states([layer], state)
        return float((layer.forward(x, training) * r).sum())

    idx = _entries(x.size, max_entries, rng)
    numeric_x = numerical_gradient(f, x, eps, idx)
    errors = {"x": relative_error(dx.reshape(-1)[idx], numeric_x.reshape(-1)[idx])}
    for key, param in layer.params.items():
        idx = _entries(param.size, max_entries, rng)
        numeric = numerical_gradient(f, param, eps, idx)
        errors[key] = relative_error(analytic[key].reshape(-1)[idx], numeric.reshape(-1)[idx])
    return errors


def check_loss(
    loss: Any, y_true: np.ndarray, y_pred: np.ndarray, *, eps: float = 1e-6, from_logits=False
) -> float:
    """Check ``loss.gradient`` (or, with ``from_logits``, the fused ``logits_gradient``).

    With ``from_logits=True``, ``y_pred`` holds pre-activations ``z`` and the checked function
    is ``loss.fused_forward(y, z)``.
    """
    loss = losses.get(loss)
    z = np.array(y_pred, dtype=np.float64)
    if from_logits:
        a, _ = loss.fused_forward(y_true, z)
        analytic = loss.logits_gradient(y_true, a)
        f = lambda: loss.fused_forward(y_true, z)[1]  # noqa: E731
    else:
        analytic = loss.gradient(y_true, z)
        f = lambda: loss.value(y_true, z)  # noqa: E731
    return relative_error(analytic, numerical_gradient(f, z, eps))


def check_model(
    model,
    x: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    eps: float = 1e-6,
    max_entries: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    """Check every trainable parameter of a compiled float64 model on a batch ``(x, y)``.

    The loss is the training loss (training-mode forward, regularization included). Returns
    ``{"<layer name>/<param>": relative error}``.
    """
    if model.dtype != np.float64:
        raise TypeError("gradient checks need a float64 model: Sequential(..., dtype='float64')")
    V.require_compiled(model, "check_model")
    xs, ys = V.check_xy(model, x, y)
    sw = V.check_sample_weight(sample_weight, len(xs))
    session = model.session
    session.prepare()
    layers = model.layers
    states = model.get_rng_state()
    session.forward_backward(xs, ys, sw)
    analytic = {
        (layer.name, k): g.copy()
        for layer in layers
        if layer.trainable
        for k, g in layer.grads.items()
    }
    rng = np.random.default_rng(seed)

    def f() -> float:
        model.set_rng_state(states)
        return float(session.training_loss(xs, ys, sw))

    errors = {}
    for layer in layers:
        if not layer.trainable:
            continue
        for key, param in layer.params.items():
            idx = _entries(param.size, max_entries, rng)
            numeric = numerical_gradient(f, param, eps, idx)
            errors[f"{layer.name}/{key}"] = relative_error(
                analytic[(layer.name, key)].reshape(-1)[idx], numeric.reshape(-1)[idx]
            )
    model.set_rng_state(states)
    return errors
