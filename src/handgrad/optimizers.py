"""Optimizers: update parameters in place from their gradients.

An optimizer is handed the list of ``(param, grad)`` pairs of a model at every step and updates
each ``param`` in place; it never knows which model it serves. Its state (velocities, squared
averages, the step count ``t``) is kept per parameter, by position in that list, and is exposed
by ``get_state`` / ``set_state`` so it can be saved with the model.

Batch, mini-batch and stochastic gradient descent are one algorithm with different batch
sizes (``fit(batch_size=None)`` for the whole training set, ``batch_size=1`` for stochastic).
The notes' advice: full batch gives smooth, exact steps but one update per epoch; stochastic
gives many noisy updates and cannot use vectorization; mini-batches of 32 to 256 are the usual
compromise.

=================  =========================================================================
optimizer          update for gradient ``g`` with learning rate ``lr`` at step ``t``
=================  =========================================================================
``SGD``            ``W -= lr*g``; with momentum (PyTorch/Keras form) ``v = mu*v + g``,
                   ``W -= lr*v``; Nesterov ``W -= lr*(g + mu*v)``
``Momentum``       the notes' ``v = beta*v + (1-beta)*g``, ``W -= lr*v``
                   (``v/(1-beta^t)`` with ``bias_correction=True``)
``RMSprop``        ``S = rho*S + (1-rho)*g^2``, ``W -= lr*g/(sqrt(S)+epsilon)``
``Adam``           ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g^2``,
                   ``W -= lr * (m/(1-b1^t)) / (sqrt(v/(1-b2^t)) + epsilon)``
=================  =========================================================================

``learning_rate`` is a number ``>= 0`` (0 computes gradients without changing anything) or a
schedule from :mod:`handgrad.schedules`, evaluated at the start of every epoch.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import schedules

__all__ = ["Optimizer", "SGD", "Momentum", "RMSprop", "Adam", "get", "names"]


def _check_rate(value: Any, argument: str, *, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (upper is not None and value >= upper):
        bound = f"in [0, {upper})" if upper is not None else ">= 0"
        raise ValueError(f"{argument} must be a finite number {bound}, got {value}")
    return value


def _check_epsilon(value: Any) -> float:
    value = _check_rate(value, "epsilon")
    if value == 0:
        raise ValueError("epsilon must be > 0, got 0")
    return value


class Optimizer:
    """Base class. Subclasses declare ``slots`` and implement ``_update``."""

    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: Any = 0.01) -> None:
        if isinstance(learning_rate, schedules.Schedule) or callable(learning_rate):
            self.learning_rate = schedules.get(learning_rate)
            self.current_learning_rate = float(self.learning_rate(1))
        else:
            self.learning_rate = _check_rate(learning_rate, "learning_rate")
            self.current_learning_rate = self.learning_rate
        self.iterations = 0
        self.state: dict[str, list[np.ndarray]] = {}

    # ----------------------------------------------------------- learning rate
    def begin_epoch(self, epoch: int) -> float:
        """Set the rate for ``epoch`` (1-based, as in the notes' decay formulas)."""
        if isinstance(self.learning_rate, schedules.Schedule):
            self.current_learning_rate = float(self.learning_rate(epoch))
        else:
            self.current_learning_rate = float(self.learning_rate)
        return self.current_learning_rate

    # ------------------------------------------------------------------- step
    def step(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Update every ``param`` in place from its ``grad``."""
        if not self.state and self.slots:
            self.state = {s: [np.zeros_like(p) for p, _ in pairs] for s in self.slots}
        self.iterations += 1
        lr = self.current_learning_rate
        for i, (param, grad) in enumerate(pairs):
            self._update(i, param, grad, lr)

    def _update(self, i: int, param: np.ndarray, grad: np.ndarray, lr: float) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget all state (moments and step count)."""
        self.state = {}
        self.iterations = 0

    # ------------------------------------------------------------ persistence
    def get_state(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "current_learning_rate": self.current_learning_rate,
            "slots": {k: [a.copy() for a in v] for k, v in self.state.items()},
        }

    def set_state(self, state: dict[str, Any]) -> None:
        self.iterations = int(state["iterations"])
        self.current_learning_rate = float(state.get("current_learning_rate", 0.0))
        self.state = {k: [np.array(a) for a in v] for k, v in state["slots"].items()}

    def get_config(self) -> dict[str, Any]:
        lr = self.learning_rate
        config = {k: v for k, v in vars(self).items() if k not in _NOT_CONFIG}
        config["learning_rate"] = lr.get_config() if isinstance(lr, schedules.Schedule) else lr
        return {"class_name": type(self).__name__, **config}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r})"


_NOT_CONFIG = {"state", "iterations", "current_learning_rate", "learning_rate", "slots"}


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as PyTorch/Keras.

    ``v = momentum*v + g``; ``W -= lr*v`` (or ``W -= lr*(g + momentum*v)`` with Nesterov).
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _check_rate(momentum, "momentum", upper=1.0)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0")
        self.slots = ("velocity",) if self.momentum else ()

    def _update(self, i, param, grad, lr):
        if not self.momentum:
            param -= lr * grad
            return
        v = self.state["velocity"][i]
        v *= self.momentum
        v += grad
        if self.nesterov:
            param -= lr * (grad + self.momentum * v)
        else:
            param -= lr * v


class Momentum(Optimizer):
    """Gradient descent with momentum in the notes' form.

    ``v = beta*v + (1-beta)*g``; ``W -= lr*v`` (``lr * v/(1-beta^t)`` with bias correction).
    """

    slots = ("velocity",)

    def __init__(self, learning_rate: Any = 0.01, beta: float = 0.9, bias_correction: bool = False):
        super().__init__(learning_rate)
        self.beta = _check_rate(beta, "beta", upper=1.0)
        self.bias_correction = bool(bias_correction)

    def _update(self, i, param, grad, lr):
        v = self.state["velocity"][i]
        v *= self.beta
        v += (1 - self.beta) * grad
        if self.bias_correction:
            lr = lr / (1 - self.beta**self.iterations)
        param -= lr * v


class RMSprop(Optimizer):
    """RMSprop: ``S = rho*S + (1-rho)*g^2``; ``W -= lr*g/(sqrt(S)+epsilon)``."""

    slots = ("square_avg",)

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = _check_rate(rho, "rho", upper=1.0)
        self.epsilon = _check_epsilon(epsilon)

    def _update(self, i, param, grad, lr):
        s = self.state["square_avg"][i]
        s *= self.rho
        s += (1 - self.rho) * grad * grad
        param -= lr * grad / (np.sqrt(s) + self.epsilon)


class Adam(Optimizer):
    """Adam (Kingma and Ba, Algorithm 1), as PyTorch implements it.

    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g^2``,
    ``W -= lr * m_hat / (sqrt(v_hat) + epsilon)`` with ``m_hat = m/(1-b1^t)``,
    ``v_hat = v/(1-b2^t)``. Note: the lecture notes write ``sqrt(v_hat + epsilon)``; handgrad
    follows the paper (epsilon outside the square root), which is what PyTorch and Keras do.
    """

    slots = ("m", "v")

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate)
        self.beta_1 = _check_rate(beta_1, "beta_1", upper=1.0)
        self.beta_2 = _check_rate(beta_2, "beta_2", upper=1.0)
        self.epsilon = _check_epsilon(epsilon)

    def _update(self, i, param, grad, lr):
        m = self.state["m"][i]
        v = self.state["v"][i]
        m *= self.beta_1
        m += (1 - self.beta_1) * grad
        v *= self.beta_2
        v += (1 - self.beta_2) * grad * grad
        t = self.iterations
        m_hat_scale = 1.0 / (1 - self.beta_1**t)
        v_hat_scale = 1.0 / (1 - self.beta_2**t)
        param -= (lr * m_hat_scale) * m / (np.sqrt(v * v_hat_scale) + self.epsilon)


_REGISTRY: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def names() -> list[str]:
    return sorted(_REGISTRY)


def get(spec: Any) -> Optimizer:
    """An Optimizer instance, a name (default settings) or a config dict."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, dict):
        spec = dict(spec)
        name = str(spec.pop("class_name", "")).lower()
        if name not in _REGISTRY:
            raise ValueError(f"unknown optimizer config {name!r}; expected one of: {names()}")
        if isinstance(spec.get("learning_rate"), dict):
            spec["learning_rate"] = schedules.get(spec["learning_rate"])
        return _REGISTRY[name](**spec)
    if isinstance(spec, str):
        if spec.lower() not in _REGISTRY:
            raise ValueError(
                f"unknown optimizer {spec!r}; expected one of: {', '.join(names())}"
            )
        return _REGISTRY[spec.lower()]()
    raise TypeError(f"optimizer must be a name or an Optimizer, got {type(spec).__name__}")
