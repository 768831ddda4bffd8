"""Learning-rate range test (Smith, 2017; the fastai "LR finder").

Starting from the model's current weights, train on one mini-batch per rate while the rate grows
exponentially from ``start`` to ``end``::

    lr_i = start * (end / start) ** (i / (num - 1))          i = 0 .. num - 1

and record each batch's loss (computed before its update). While sweeping, the test stops as
soon as the loss explodes: a non-finite loss, or a bias-corrected exponential moving average::

    avg_i = beta * avg_{i-1} + (1 - beta) * loss_i,     ema_i = avg_i / (1 - beta ** (i + 1))

above ``divergence_threshold`` (4) times its lowest value. Afterwards the weights, batch-norm
statistics, optimizer state (moments, step count, learning rate), gradients and random
generators are restored exactly, so a ``fit`` after the finder is bit for bit the same as
without it.

The returned curve ``losses`` is the raw curve smoothed *without lag*: a centered moving average
over ``2k + 1`` points, ``k = max(1, num // 20)`` (fewer at the ends). An exponential average
would shift the curve towards larger rates by about ``beta / (1 - beta)`` points, which is why it
is only used for the stop rule.

Suggested rate (``suggestion``): the rate where the smoothed loss falls fastest, i.e. the most
negative slope ``d losses / d log10(lr)`` (central differences, ``numpy.gradient``) among the
points from ``k`` to the minimum of ``losses`` (the first ``k`` points are edge effects). If
fewer than 3 points are left, the rule falls back to ``min_loss_rate / 10`` (the rate of the
lowest smoothed loss divided by 10, the other common rule).
"""

from __future__ import annotations

import contextlib
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import validation as V

__all__ = [
    "LRFinderResult",
    "find_learning_rate",
    "preserve_training_state",
    "centered_average",
    "suggest_rate",
]


def preserve_training_state(model: Any) -> contextlib.AbstractContextManager:
    """Run a block that trains or probes ``model`` and put everything back afterwards.

    Restores the weights and buffers (``get_weights``), every layer's ``grads`` and random
    generator, and the optimizer's state (``get_state``: moments, step count, current rate).
    The same as ``model.session.preserved()``.
    """
    return model.session.preserved()


@dataclass
class LRFinderResult:
    """Outcome of :func:`find_learning_rate`.

    Attributes
    ----------
    rates : ndarray (M,)
        Learning rate of each recorded batch (``M <= num``; fewer when the loss exploded).
    losses : ndarray (M,)
        Smoothed loss at each rate (centered moving average; plot it against ``rates`` on a
        log axis).
    raw_losses : ndarray (M,)
        Batch losses before smoothing.
    suggestion : float
        Suggested learning rate (steepest descent of ``losses``; see the module docstring).
    rule : {"steepest", "min_loss/10"}
        Which rule gave ``suggestion``.
    min_loss_rate : float
        Rate with the lowest smoothed loss (``min_loss_rate / 10`` is the other common rule).
    stopped_early : bool
        Whether the sweep stopped because the loss exploded.
    """

    rates: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    suggestion: float
    min_loss_rate: float
    stopped_early: bool
    rule: str = field(default="steepest")

    def __repr__(self) -> str:
        return (
            f"LRFinderResult(suggestion={self.suggestion:.3g}, min_loss_rate="
            f"{self.min_loss_rate:.3g}, points={len(self.rates)}, rule={self.rule!r}, "
            f"stopped_early={self.stopped_early})"
        )


def _check_arguments(start, end, num, smoothing, divergence_threshold):
    start = V.check_number(start, "start", strict=True)
    end = V.check_number(end, "end", strict=True)
    if end <= start:
        raise ValueError(f"end must be greater than start, got start={start:g}, end={end:g}")
    if isinstance(num, bool) or not isinstance(num, numbers.Integral) or num < 5:
        raise ValueError(f"num must be an int >= 5 (rates to try), got {num!r}")
    if (
        isinstance(smoothing, bool)
        or not isinstance(smoothing, numbers.Real)
        or not (0 <= smoothing < 1)
    ):
        raise ValueError(f"smoothing must be a number in [0, 1), got {smoothing!r}")
    divergence_threshold = V.check_number(divergence_threshold, "divergence_threshold", strict=True)
    if divergence_threshold <= 1:
        raise ValueError(f"divergence_threshold must be > 1, got {divergence_threshold}")
    return start, end, int(num), float(smoothing), divergence_threshold


def centered_average(values: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``values[i - k : i + k + 1]`` at every ``i`` (the window shrinks at the ends)."""
    csum = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    i = np.arange(len(values))
    lo, hi = np.maximum(i - k, 0), np.minimum(i + k + 1, len(values))
    return (csum[hi] - csum[lo]) / (hi - lo)


def suggest_rate(rates: np.ndarray, losses: np.ndarray, k: int) -> tuple[float, str]:
    """Steepest descent of ``losses`` before its minimum, skipping ``k`` edge points."""
    best = int(np.argmin(losses))
    if best - k < 2:
        return float(rates[best] / 10), "min_loss/10"
    slopes = np.gradient(losses[: best + 1], np.log10(rates[: best + 1]))
    return float(rates[k + int(np.argmin(slopes[k:]))]), "steepest"


def _batches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """Endless mini-batch indices: a fresh permutation for every pass over the data."""
    while True:
        perm = rng.permutation(n)
        for lo in range(0, n, batch_size):
            yield perm[lo : lo + batch_size]


def find_learning_rate(
    model: Any,
    x: Any,
    y: Any,
    start: float = 1e-6,
    end: float = 1.0,
    num: int = 100,
    batch_size: int | None = 32,
    sample_weight: Any = None,
    smoothing: float = 0.9,
    divergence_threshold: float = 4.0,
) -> LRFinderResult:
    """Learning-rate range test on ``(x, y)``; the model is left exactly as it was.

    Parameters
    ----------
    model : Sequential
        A compiled model, with any optimizer; its current weights are the starting point.
    x, y : arrays
        Training data, as for ``fit``.
    start, end : float
        First and last rate (``0 < start < end``); rates grow geometrically between them.
    num : int
        Number of rates, one mini-batch each (the data is reshuffled after every pass).
    batch_size : int or None
        Mini-batch size (``None``: the whole set every step).
    sample_weight : array (N,), optional
    smoothing : float in [0, 1)
        ``beta`` of the exponential moving average used by the stop rule (0: raw losses).
    divergence_threshold : float > 1
        Stop once the moving average exceeds this multiple of its minimum.

    Returns
    -------
    LRFinderResult
        ``rates``, ``losses`` (smoothed), ``raw_losses``, ``suggestion``, ``min_loss_rate``.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> (X, y), _ = hg.datasets.moons(n_samples=200, seed=0)
    >>> model = hg.Sequential([hg.layers.Dense(16, "relu", input_dim=2),
    ...                        hg.layers.Dense(2, "softmax")], seed=0)
    >>> model.compile("categorical_crossentropy", hg.optimizers.SGD(0.1))
    >>> result = model.find_learning_rate(X, y, start=1e-4, end=10, num=50)
    >>> 1e-4 <= result.suggestion <= 10
    True
    >>> model.optimizer.set_learning_rate(result.suggestion)
    """
    V.require_compiled(model, "find_learning_rate")
    start, end, num, beta, threshold = _check_arguments(
        start, end, num, smoothing, divergence_threshold
    )
    batch_size = V.check_batch_size(batch_size)
    xs, ys = V.check_xy(model, x, y)
    sw = V.check_sample_weight(sample_weight, len(xs))
    n = len(xs)
    bs = n if batch_size is None else min(batch_size, n)
    rates = start * (end / start) ** (np.arange(num) / (num - 1))
    batches = _batches(n, bs, np.random.default_rng([model.seed, 5]))
    recorded: list[float] = []
    avg, best, stopped = 0.0, math.inf, False
    optimizer = model.optimizer
    # The sweep pushes the rate until training blows up: overflow is expected and is detected
    # on the loss, so NumPy's floating-point warnings are silenced for the sweep only.
    session = model.session
    with session.preserved(), np.errstate(all="ignore"):
        session.prepare()
        for i, rate in enumerate(rates):
            idx = next(batches)
            optimizer.set_learning_rate(rate, persistent=False)
            loss, _ = session.step(xs[idx], ys[idx], None if sw is None else sw[idx])
            if not math.isfinite(loss):
                stopped = True
                break
            avg = beta * avg + (1 - beta) * loss
            ema = avg / (1 - beta ** (i + 1))
            recorded.append(float(loss))
            best = min(best, ema)
            if ema > threshold * best:
                stopped = True
                break
    rates = rates[: len(recorded)]
    if len(recorded) == 0:
        raise ValueError(
            f"the loss was not finite even at start={start:g}; check the data and the model "
            "(or lower start)"
        )
    k = max(1, num // 20)
    losses = centered_average(np.array(recorded), k)
    suggestion, rule = suggest_rate(rates, losses, k)
    return LRFinderResult(
        rates=rates,
        losses=losses,
        raw_losses=np.array(recorded),
        suggestion=suggestion,
        min_loss_rate=float(rates[int(np.argmin(losses))]),
        stopped_early=stopped,
        rule=rule,
    )
