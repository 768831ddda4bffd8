"""Optimizers: update parameters in place from their gradients.

An optimizer is handed the list of ``(param, grad)`` pairs of a model at every step and updates
each ``param`` in place; it never knows which model it serves. Its state (velocities, squared
averages, the step count ``t``) is kept per parameter, by position in that list, and is exposed
by ``get_state`` / ``set_state`` so it can be saved with the model.

Batch, mini-batch and stochastic gradient descent are one algorithm with different batch
sizes: ``fit(batch_size=None)`` uses the whole training set per update (batch GD),
``batch_size=1`` one sample (stochastic GD), anything in between is mini-batch GD. The notes'
advice: batch GD gives a stable gradient but one update per pass and the whole set in memory
(fine up to a few thousand samples); stochastic GD updates often but noisily and loses
vectorization; mini-batches (the notes quote 64 to 512) are the usual choice.

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

``learning_rate`` is a number ``>= 0`` (0 computes gradients without changing anything), a
schedule from :mod:`handgrad.schedules`, a list of per-epoch rates or a callable
``epoch -> rate``; ``fit`` evaluates it at the start of every epoch (``begin_epoch``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import schedules
from .validation import check_bool, check_epsilon, check_rate

__all__ = ["Optimizer", "SGD", "Momentum", "RMSprop", "Adam", "get", "get_class", "names"]


class Optimizer:
    """Base class. Subclasses declare ``slots`` and ``config_keys`` and implement ``_update``.

    Parameters
    ----------
    learning_rate : float >= 0, Schedule, list of floats or callable
        Step size, or a per-epoch schedule (see :mod:`handgrad.schedules`).

    Attributes
    ----------
    iterations : int
        Number of ``step`` calls so far (the ``t`` of bias corrections).
    current_learning_rate : float
        The rate used by the next ``step``.
    state : dict[str, list of ndarray]
        Per-slot lists of arrays, one per parameter position (empty until the first step).
    """

    #: Names of the per-parameter state arrays (e.g. ``("m", "v")`` for Adam).
    slots: tuple[str, ...] = ()
    #: How many scratch arrays shaped like each parameter ``_update`` needs.
    scratch_arrays: int = 1
    #: Constructor arguments besides ``learning_rate`` (for ``get_config``).
    config_keys: tuple[str, ...] = ()
    #: Which scratch array ``_update`` may take from the gradient itself when the caller allows
    #: it (``step(..., overwrite_grads=True)``): one whose every write comes after the update's
    #: last read of ``grad``. ``None``: never (the safe default for new optimizers).
    grad_scratch: int | None = None

    def __init__(self, learning_rate: Any = 0.01) -> None:
        if isinstance(learning_rate, (list, tuple)) or callable(learning_rate):
            self.learning_rate: float | schedules.Schedule = schedules.get(learning_rate)
            self.current_learning_rate = float(self.learning_rate(1))
        else:
            self.learning_rate = check_rate(learning_rate, "learning_rate")
            self.current_learning_rate = self.learning_rate
        #: Factor on a schedule's rate, changed only by ``set_learning_rate`` (1.0 otherwise).
        self.lr_multiplier = 1.0
        self.iterations = 0
        self.state: dict[str, list[np.ndarray]] = {}
        # Per-parameter update plans with their temporaries, reused by every step so that an
        # update allocates nothing; rebuilt when step() is given other arrays.
        self._plans: list[list[tuple]] = []
        self._plan_key: list[tuple[int, int]] | None = None

    # ----------------------------------------------------------- learning rate
    def begin_epoch(self, epoch: int) -> float:
        """Set (and return) the rate for ``epoch`` (1-based, as in the notes' decay formulas)."""
        if isinstance(self.learning_rate, schedules.Schedule):
            self.current_learning_rate = float(self.learning_rate(epoch)) * self.lr_multiplier
        else:
            self.current_learning_rate = float(self.learning_rate)
        return self.current_learning_rate

    def set_learning_rate(self, rate: float, *, persistent: bool = True) -> None:
        """Make ``rate`` the rate of the next steps; callbacks and tools change it only here.

        ``persistent=False`` changes only the current rate: the next ``begin_epoch`` computes
        the epoch's rate as before (a one-epoch override, or a rate per batch as in the
        learning-rate finder). ``persistent=True`` keeps the change for later epochs: a float
        ``learning_rate`` is replaced by ``rate``; a schedule stays in charge and is scaled by
        ``lr_multiplier *= rate / current`` so that later epochs follow the schedule times the
        same factor (a current rate of 0 leaves the multiplier alone).
        """
        rate = float(rate)
        if persistent:
            if isinstance(self.learning_rate, schedules.Schedule):
                if self.current_learning_rate > 0:
                    self.lr_multiplier *= rate / self.current_learning_rate
            else:
                self.learning_rate = rate
        self.current_learning_rate = rate

    # ------------------------------------------------------------------- step
    def bind(self, pairs: Sequence[tuple[np.ndarray, np.ndarray]]) -> None:
        """Get ready to update ``pairs``: keep the state if it fits their shapes, else reset.

        A model calls it before training. State saved for other parameters (a model rebuilt
        with other shapes, or the optimizer moved to another model) is dropped with
        :meth:`reset`, so that ``step`` starts afresh instead of failing.
        """
        if not self.state:
            return
        held = next(iter(self.state.values()))
        if [a.shape for a in held] != [p.shape for p, _ in pairs]:
            self.reset()

    def step(
        self, pairs: Sequence[tuple[np.ndarray, np.ndarray]], overwrite_grads: bool = False
    ) -> None:
        """Update every ``param`` in place from its ``grad`` (one optimization step).

        Parameters
        ----------
        pairs : list of (param, grad)
        overwrite_grads : bool
            Allow the update to use the ``grad`` arrays as scratch space; they then no longer
            hold the gradients. The parameters and the state come out the same bits either way.
            ``fit`` allows it on the batches after which no code can look at ``grads``: one
            array less to stream through the cache (on 235k float32 parameters, 50 us less
            per step for SGD, 30-45 us for Adam, RMSprop and momentum).
        """
        if self.slots:
            if not self.state:
                self.state = {s: [np.zeros_like(p) for p, _ in pairs] for s in self.slots}
            elif len(self.state[self.slots[0]]) != len(pairs):
                raise ValueError(
                    f"{type(self).__name__} holds state for {len(self.state[self.slots[0]])} "
                    f"parameters but was given {len(pairs)}; call reset() before using it on "
                    "another model"
                )
        key = [(id(p), id(g)) for p, g in pairs]
        if key != self._plan_key:  # new arrays: plan their updates (temporaries, chunks)
            self._plans = [self._plan(p, g) for p, g in pairs]
            self._plan_key = key
        self.iterations += 1
        lr = self.current_learning_rate
        for i, plan in enumerate(self._plans):
            slots = [self.state[s][i] for s in self.slots]
            for lo, hi, param, grad, scratch, grad_as_scratch in plan:
                parts = slots if lo is None else [a.reshape(-1)[lo:hi] for a in slots]
                if overwrite_grads and grad_as_scratch is not None:
                    scratch = grad_as_scratch
                self._update(param, grad, lr, *parts, *scratch)
        if self.state and self.iterations % self.flush_every == 0:
            self._flush_subnormals()

    #: Every this many steps, state entries too small to matter are set to 0 (see below).
    flush_every = 16

    def _flush_subnormals(self) -> None:
        """Set state entries (velocities, moments) too small to matter to zero.

        The moment of a parameter whose gradient stays 0 (a dead ReLU unit, a pixel that is
        almost always blank) decays geometrically (``m *= beta_1`` every step) towards the
        subnormal range, where x86 arithmetic is 10-100x slower; an update multiplies the state
        by the learning rate, so entries below ``tiny / lr`` already give subnormal temporaries.
        Measured: Adam on 784-256-128-10 (batch 32, random pixels) fell from 16,000 to 4,200
        samples/s after 1000 steps with 60% of ``m`` subnormal. Frameworks switch the CPU to
        flush-to-zero; NumPy cannot, so the state is flushed here every ``flush_every`` steps.
        An entry below ``tiny / min(1, lr)`` moves a weight by less than ``tiny / epsilon``
        (float32: 1.2e-38 / 1e-8), so no weight above about 1e-22 in magnitude changes.
        """
        lr = self.current_learning_rate
        scale = min(1.0, lr) if lr > 0 else 1.0
        for arrays in self.state.values():
            for a in arrays:
                limit = a.dtype.type(np.finfo(a.dtype).tiny / scale)
                negligible = np.abs(a) < limit
                negligible &= a != 0
                a[negligible] = 0

    #: Parameters larger than this many elements are updated in chunks of this size (measured:
    #: Adam on 235k float32 parameters 1040 -> 730 us; smaller chunks pay per-call overhead).
    update_chunk = 65536

    def _plan(self, param: np.ndarray, grad: np.ndarray) -> list[tuple]:
        """``[(lo, hi, param part, grad part, temporaries, the same with grad)]`` for ``param``.

        A large contiguous parameter is updated a chunk at a time, so that the temporaries stay
        in cache; every update here is element-wise, so the results are the same bits. The last
        entry is the temporaries with the gradient part in the place of ``grad_scratch``
        (``None`` when the optimizer has none).
        """
        n, chunk = param.size, self.update_chunk
        if n <= chunk or not (param.flags.c_contiguous and grad.flags.c_contiguous):
            scratch = tuple(np.empty_like(param) for _ in range(self.scratch_arrays))
            return [(None, None, param, grad, scratch, self._with_grad(scratch, grad))]
        temps = [np.empty(chunk, param.dtype) for _ in range(self.scratch_arrays)]
        p, g = param.reshape(-1), grad.reshape(-1)
        plan = []
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            scratch = tuple(t[: hi - lo] for t in temps)
            plan.append((lo, hi, p[lo:hi], g[lo:hi], scratch, self._with_grad(scratch, g[lo:hi])))
        return plan

    def _with_grad(self, scratch: tuple, grad: np.ndarray) -> tuple | None:
        k = self.grad_scratch
        return None if k is None else (*scratch[:k], grad, *scratch[k + 1 :])

    def _update(self, param: np.ndarray, grad: np.ndarray, lr: float, *arrays: np.ndarray) -> None:
        """Update ``param`` in place; ``arrays``: the ``slots`` then the scratch temporaries."""
        raise NotImplementedError

    def reset(self) -> None:
        """Forget all state (moments and step count)."""
        self.state = {}
        self.iterations = 0

    # ------------------------------------------------------------ persistence
    def get_state(self) -> dict[str, Any]:
        """Copies of the step count, current rate and per-parameter slot arrays."""
        return {
            "iterations": self.iterations,
            "current_learning_rate": self.current_learning_rate,
            "lr_multiplier": self.lr_multiplier,
            "slots": {k: [a.copy() for a in v] for k, v in self.state.items()},
        }

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a state returned by ``get_state`` (validated first; arrays are copied)."""
        slots = state["slots"]
        unknown = set(slots) - set(self.slots)
        if unknown or (slots and set(slots) != set(self.slots)):
            raise ValueError(
                f"{type(self).__name__} state must have slots {sorted(self.slots)}, "
                f"got {sorted(slots)}"
            )
        if len({len(v) for v in slots.values()}) > 1:
            raise ValueError("every optimizer slot must hold one array per parameter")
        iterations = state["iterations"]
        if (
            isinstance(iterations, bool)
            or not isinstance(iterations, (int, np.integer))
            or (iterations < 0)
        ):
            raise ValueError(f"iterations must be an int >= 0, got {iterations!r}")
        self.iterations = int(iterations)
        self.current_learning_rate = float(
            state.get("current_learning_rate", self.current_learning_rate)
        )
        self.lr_multiplier = float(state.get("lr_multiplier", 1.0))
        self.state = {k: [np.array(a) for a in v] for k, v in slots.items()}

    def get_config(self) -> dict[str, Any]:
        """Class name and constructor arguments (a schedule as its own config)."""
        lr = self.learning_rate
        config: dict[str, Any] = {"class_name": type(self).__name__}
        config["learning_rate"] = lr.get_config() if isinstance(lr, schedules.Schedule) else lr
        config.update({k: getattr(self, k) for k in self.config_keys})
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.config_keys)
        sep = ", " if args else ""
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r}{sep}{args})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum, as PyTorch/Keras.

    Plain: ``W -= lr*g``. Momentum ``mu`` (PyTorch's form, no dampening)::

        v = mu*v + g;   W -= lr*v               (heavy ball)
        v = mu*v + g;   W -= lr*(g + mu*v)      (Nesterov)

    Keras writes ``v = mu*v - lr*g; W += v`` (Nesterov ``W += mu*v - lr*g``): the same steps
    while the learning rate is constant (its ``v`` is ``-lr`` times this one).

    Parameters
    ----------
    learning_rate : float >= 0 or schedule
    momentum : float in [0, 1)
    nesterov : bool
        Nesterov's look-ahead form; needs ``momentum > 0``.
    """

    config_keys = ("momentum", "nesterov")

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = check_rate(momentum, "momentum", upper=1.0)
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov=True requires momentum > 0, got momentum=0")
        self.slots = ("velocity",) if self.momentum else ()
        # Nesterov's update writes its scratch array before it reads grad.
        self.grad_scratch = None if self.nesterov else 0

    def _update(self, param, grad, lr, *arrays):
        if not self.momentum:
            (s,) = arrays
            param -= np.multiply(grad, lr, out=s)
            return
        v, s = arrays
        v *= self.momentum
        v += grad
        if self.nesterov:
            np.multiply(v, self.momentum, out=s)
            s += grad
            s *= lr
            param -= s
        else:
            param -= np.multiply(v, lr, out=s)


class Momentum(Optimizer):
    """Gradient descent with momentum in the notes' form (an exponentially weighted average).

    ``v = beta*v + (1-beta)*g``; ``W -= lr*v``, or ``W -= lr * v/(1-beta^t)`` with
    ``bias_correction=True``. ``v`` averages roughly the last ``1/(1-beta)`` gradients
    (10 for the notes' ``beta = 0.9``); it equals ``SGD(lr*(1-beta), momentum=beta)``.

    Parameters
    ----------
    learning_rate : float >= 0 or schedule
    beta : float in [0, 1)
    bias_correction : bool
        Divide ``v`` by ``1 - beta^t`` so that early steps are not shrunk towards 0.
    """

    slots = ("velocity",)
    config_keys = ("beta", "bias_correction")
    grad_scratch = 0

    def __init__(self, learning_rate: Any = 0.01, beta: float = 0.9, bias_correction: bool = False):
        super().__init__(learning_rate)
        self.beta = check_rate(beta, "beta", upper=1.0)
        self.bias_correction = check_bool(bias_correction, "bias_correction")

    def _update(self, param, grad, lr, *arrays):
        v, s = arrays
        v *= self.beta
        v += np.multiply(grad, 1 - self.beta, out=s)
        if self.bias_correction:
            lr = lr / (1 - self.beta**self.iterations)
        param -= np.multiply(v, lr, out=s)


class RMSprop(Optimizer):
    """RMSprop: ``S = rho*S + (1-rho)*g^2``; ``W -= lr*g/(sqrt(S)+epsilon)``.

    The notes write ``beta`` for ``rho`` and leave ``epsilon`` out; PyTorch calls ``rho``
    ``alpha``. ``epsilon`` sits outside the square root, as in PyTorch and Keras.

    Parameters
    ----------
    learning_rate : float >= 0 or schedule
    rho : float in [0, 1)
    epsilon : float > 0
    """

    slots = ("square_avg",)
    scratch_arrays = 2
    config_keys = ("rho", "epsilon")
    grad_scratch = 1  # u = lr * g is the last read of g

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, epsilon: float = 1e-8):
        super().__init__(learning_rate)
        self.rho = check_rate(rho, "rho", upper=1.0)
        self.epsilon = check_epsilon(epsilon)

    def _update(self, param, grad, lr, *arrays):
        s, t, u = arrays
        s *= self.rho
        np.multiply(grad, 1 - self.rho, out=t)
        t *= grad
        s += t
        np.sqrt(s, out=t)
        t += self.epsilon
        np.multiply(grad, lr, out=u)
        u /= t
        param -= u


class Adam(Optimizer):
    """Adam (Kingma and Ba, Algorithm 1), as PyTorch implements it.

    ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g^2``,
    ``W -= lr * m_hat / (sqrt(v_hat) + epsilon)`` with ``m_hat = m/(1-b1^t)``,
    ``v_hat = v/(1-b2^t)``. Note: the lecture notes write ``sqrt(v_hat + epsilon)``; handgrad
    follows the paper (epsilon outside the square root), which is what PyTorch and Keras do.

    Parameters
    ----------
    learning_rate : float >= 0 or schedule
    beta_1, beta_2 : float in [0, 1)
        Decay of the first and second moment averages (the notes' 0.9 and 0.999).
    epsilon : float > 0
    """

    slots = ("m", "v")
    scratch_arrays = 2
    config_keys = ("beta_1", "beta_2", "epsilon")
    grad_scratch = 1  # b is first written after the last read of g

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
    ):
        super().__init__(learning_rate)
        self.beta_1 = check_rate(beta_1, "beta_1", upper=1.0)
        self.beta_2 = check_rate(beta_2, "beta_2", upper=1.0)
        self.epsilon = check_epsilon(epsilon)

    def _update(self, param, grad, lr, *arrays):
        m, v, a, b = arrays
        m *= self.beta_1
        m += np.multiply(grad, 1 - self.beta_1, out=a)
        v *= self.beta_2
        np.multiply(grad, 1 - self.beta_2, out=a)
        a *= grad
        v += a
        t = self.iterations
        m_hat_scale = 1.0 / (1 - self.beta_1**t)
        v_hat_scale = 1.0 / (1 - self.beta_2**t)
        np.multiply(v, v_hat_scale, out=a)
        np.sqrt(a, out=a)
        a += self.epsilon
        np.multiply(m, lr * m_hat_scale, out=b)
        b /= a
        param -= b


_REGISTRY: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "rmsprop": RMSprop,
    "adam": Adam,
}


def names() -> list[str]:
    """Names accepted by :func:`get` (and ``compile(optimizer=...)``)."""
    return sorted(_REGISTRY)


def get_class(name: str) -> type[Optimizer]:
    """The optimizer class called ``name`` (any case); unknown names raise listing the known."""
    if not isinstance(name, str) or name.lower() not in _REGISTRY:
        raise ValueError(f"unknown optimizer {name!r}; expected one of: {', '.join(names())}")
    return _REGISTRY[name.lower()]


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
        return get_class(spec)()
    raise TypeError(f"optimizer must be a name or an Optimizer, got {type(spec).__name__}")
