"""Callbacks that change the learning rate between epochs (through
``Optimizer.set_learning_rate``): ``LearningRateScheduler`` and ``ReduceLROnPlateau``."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

from .. import schedules
from ..validation import check_count, check_number
from .base import Callback, MonitorCallback

__all__ = ["LearningRateScheduler", "ReduceLROnPlateau"]


class LearningRateScheduler(Callback):
    """Set each epoch's learning rate from ``schedule(epoch, lr)`` (Keras signature).

    At the start of every epoch (after the optimizer has taken its own rate, from a float or a
    schedule) the callback calls ``schedule(epoch, lr)`` with the 0-based ``epoch`` and the rate
    the optimizer is about to use, and the optimizer uses the returned rate for that epoch. With
    a float ``learning_rate`` the new rate replaces it (so ``lr`` is the previous epoch's rate,
    as in Keras, and the optimizer keeps the last rate after ``fit``); when the optimizer's
    ``learning_rate`` is a schedule, ``lr`` is that schedule's rate and the override lasts one
    epoch. ``schedule`` may also be a :class:`handgrad.schedules.Schedule`, evaluated at the
    1-based epoch ``epoch + 1``. The rate used is logged as ``"lr"``.

    Examples
    --------
    >>> def halve_every_10(epoch, lr):
    ...     return lr * 0.5 if epoch and epoch % 10 == 0 else lr
    >>> cb = LearningRateScheduler(halve_every_10)
    """

    reads_grads = False

    def __init__(
        self,
        schedule: Callable[[int, float], float] | schedules.Schedule,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = check_count(verbose, "verbose")

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        lr = optimizer.current_learning_rate
        if isinstance(self.schedule, schedules.Schedule):
            new = self.schedule(epoch + 1)
        else:
            new = self.schedule(epoch, lr)
        if (
            isinstance(new, bool)
            or not isinstance(new, numbers.Real)
            or not (math.isfinite(new) and new >= 0)
        ):
            raise ValueError(
                f"LearningRateScheduler: schedule(epoch={epoch}, lr={lr:g}) must return a finite "
                f"number >= 0, got {new!r}"
            )
        persistent = not isinstance(optimizer.learning_rate, schedules.Schedule)
        optimizer.set_learning_rate(float(new), persistent=persistent)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new:g}.")


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has stopped improving.

    Keras semantics: an epoch improves when ``current < best - min_delta`` (mode ``"min"``;
    ``> best + min_delta`` for ``"max"``). After ``patience`` epochs without improvement the rate
    becomes ``max(lr * factor, min_lr)`` (only if ``lr > min_lr``), then ``cooldown`` epochs
    pass before the waiting starts again.

    With a float ``learning_rate`` the optimizer's ``learning_rate`` is replaced by the new
    rate. With a schedule, the schedule stays in charge and is multiplied by a factor
    (``Optimizer.set_learning_rate(..., persistent=True)`` keeps it in ``lr_multiplier``,
    applied by ``begin_epoch``): each reduction scales all later
    epochs' rates by ``new / old``. ``min_lr`` bounds the reductions, not the schedule's own
    decay.

    Parameters
    ----------
    monitor : str
        Key of the epoch logs (an unknown name raises at the end of the first epoch).
    factor : float in (0, 1)
    patience : int
        Epochs without improvement before reducing.
    verbose : int
    mode : {"auto", "min", "max"}
    min_delta : float
    cooldown : int
        Epochs to wait after a reduction before counting again.
    min_lr : float
        Lower bound of the rate.

    Attributes
    ----------
    reductions : list of (epoch, old_rate, new_rate)
        Every reduction made, 0-based epoch (the new rate applies from the next epoch).

    Examples
    --------
    >>> cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=1e-5)
    """

    reads_grads = False

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode)
        factor = check_number(factor, "factor")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.factor = factor
        self.patience = check_count(patience, "patience")
        self.verbose = check_count(verbose, "verbose")
        self.min_delta = check_number(min_delta, "min_delta")
        self.cooldown = check_count(cooldown, "cooldown")
        self.min_lr = check_number(min_lr, "min_lr")
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0
        self.reductions: list[tuple[int, float, float]] = []

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        optimizer = self.model.optimizer
        old = optimizer.current_learning_rate
        if old > self.min_lr:
            new = max(old * self.factor, self.min_lr)
            optimizer.set_learning_rate(new, persistent=True)
            self.reductions.append((epoch, old, new))
            self.cooldown_counter = self.cooldown
            self.wait = 0
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new:g}.")
