"""Learning-rate schedules: functions of the 1-based epoch, as in the notes' decay table.

=========================================  ===============================================
schedule                                   learning rate at epoch ``e`` (``e = 1, 2, ...``)
=========================================  ===============================================
``InverseTimeDecay(initial, decay_rate)``  ``initial / (1 + decay_rate * e)``
``ExponentialDecay(initial, base=0.95)``   ``initial * base ** e``
``InverseSqrtDecay(initial, k=1.0)``       ``k / sqrt(e) * initial``
``StepDecay(initial, factor, every)``      ``initial * factor ** ((e - 1) // every)`` (staircase)
``ManualSchedule(rates)``                  ``rates[e - 1]`` (the last rate after the list ends)
``LambdaSchedule(fn)``                     ``fn(e)``
=========================================  ===============================================

The notes' example: ``InverseTimeDecay(0.2, 1)`` gives 0.1, 0.0667, 0.05, 0.04 for epochs 1-4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .validation import check_epoch, check_number

__all__ = [
    "Schedule",
    "InverseTimeDecay",
    "ExponentialDecay",
    "InverseSqrtDecay",
    "StepDecay",
    "ManualSchedule",
    "LambdaSchedule",
    "get",
]


class Schedule:
    """Base class: ``schedule(epoch) -> learning rate`` for ``epoch >= 1``."""

    def __call__(self, epoch: int) -> float:
        return float(self.rate(check_epoch(epoch)))

    def rate(self, epoch: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"class_name": type(self).__name__, **vars(self)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class InverseTimeDecay(Schedule):
    """``initial / (1 + decay_rate * epoch)``, the notes' first decay formula.

    Examples
    --------
    >>> from handgrad.schedules import InverseTimeDecay
    >>> schedule = InverseTimeDecay(0.2, decay_rate=1)
    >>> [round(schedule(epoch), 4) for epoch in (1, 2, 3, 4)]
    [0.1, 0.0667, 0.05, 0.04]
    """

    def __init__(self, initial: float, decay_rate: float) -> None:
        self.initial = check_number(initial, "initial")
        self.decay_rate = check_number(decay_rate, "decay_rate")

    def rate(self, epoch):
        return self.initial / (1 + self.decay_rate * epoch)


class ExponentialDecay(Schedule):
    """``initial * base ** epoch`` (the notes use ``base = 0.95``)."""

    def __init__(self, initial: float, base: float = 0.95) -> None:
        self.initial = check_number(initial, "initial")
        self.base = check_number(base, "base", strict=True)

    def rate(self, epoch):
        return self.initial * self.base**epoch


class InverseSqrtDecay(Schedule):
    """``k / sqrt(epoch) * initial``."""

    def __init__(self, initial: float, k: float = 1.0) -> None:
        self.initial = check_number(initial, "initial")
        self.k = check_number(k, "k")

    def rate(self, epoch):
        return self.k / np.sqrt(epoch) * self.initial


class StepDecay(Schedule):
    """Staircase ``initial * factor ** ((epoch - 1) // every)``: epochs 1..every use ``initial``.

    The notes' "discrete staircase": e.g. ``StepDecay(0.1, factor=0.5, every=10)`` halves the
    rate after epochs 10, 20, 30, ...
    """

    def __init__(self, initial: float, factor: float = 0.5, every: int = 10) -> None:
        self.initial = check_number(initial, "initial")
        self.factor = check_number(factor, "factor")
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
            raise TypeError(f"every must be an int >= 1, got {every!r}")
        if every < 1:
            raise ValueError(f"every must be an int >= 1, got {every!r}")
        self.every = int(every)

    def rate(self, epoch):
        return self.initial * self.factor ** ((epoch - 1) // self.every)


class ManualSchedule(Schedule):
    """Rates given by hand, one per epoch; the last one is kept after the list ends."""

    def __init__(self, rates: Sequence[float]) -> None:
        rates = list(rates)
        if not rates:
            raise ValueError("rates must contain at least one learning rate")
        self.rates = [check_number(r, f"rates[{i}]") for i, r in enumerate(rates)]

    def rate(self, epoch):
        return self.rates[min(epoch, len(self.rates)) - 1]


class LambdaSchedule(Schedule):
    """Any callable ``fn(epoch) -> rate`` (not serializable to a model file)."""

    def __init__(self, fn: Callable[[int], float]) -> None:
        if not callable(fn):
            raise TypeError(f"fn must be callable, got {type(fn).__name__}")
        self.fn = fn

    def rate(self, epoch):
        return check_number(self.fn(epoch), f"the schedule's rate at epoch {epoch}")

    def get_config(self):
        raise ValueError(
            "a LambdaSchedule wraps Python code and cannot be saved; use a "
            "ManualSchedule or one of the decay classes"
        )


_CLASSES = {
    cls.__name__: cls
    for cls in (InverseTimeDecay, ExponentialDecay, InverseSqrtDecay, StepDecay, ManualSchedule)
}


def get(spec: Any) -> Schedule:
    """A Schedule, a list of rates, a callable, or a config dict."""
    if isinstance(spec, Schedule):
        return spec
    if isinstance(spec, dict):
        spec = dict(spec)
        cls = _CLASSES.get(spec.pop("class_name", None))
        if cls is None:
            raise ValueError(f"unknown schedule config; expected one of: {sorted(_CLASSES)}")
        return cls(**spec)
    if isinstance(spec, (list, tuple)):
        return ManualSchedule(spec)
    if callable(spec):
        return LambdaSchedule(spec)
    raise TypeError(f"a schedule must be a Schedule, list of rates or callable, got {spec!r}")
