"""Callbacks: code that runs at fixed points of ``Sequential.fit``.

Hooks (all optional): ``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
``on_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_end(logs)``. Epochs
are counted from 0 in hooks (as Keras); ``logs`` at epoch end holds ``loss``, the metrics, their
``val_`` twins and ``lr``; at batch end ``loss`` (the batch loss before the update) and ``size``.
A callback stops training by setting ``self.model.stop_training``; training then ends after the
current epoch. ``on_batch_end`` is only called when some callback overrides it, so a plain
``fit`` pays nothing per batch. ``on_train_end`` runs however training ends (all epochs done,
stopped by a callback, diverged, or interrupted with Ctrl-C).

=========================  ==================================================================
callback                   what it does
=========================  ==================================================================
``History``                records every epoch's logs; ``history.diagnose()`` for a report
``ProgressBar``            a bar per epoch on a terminal, one line per epoch otherwise
``EarlyStopping``          stops when ``monitor`` stops improving; restores the best weights
``LearningRateScheduler``  sets the rate of each epoch from ``schedule(epoch, lr)``
``ReduceLROnPlateau``      multiplies the rate by ``factor`` when ``monitor`` plateaus
``CSVLogger``              appends one row per epoch to a CSV file (flushed every epoch)
``TerminateOnNaN``         stops training at the first non-finite loss or logged value
=========================  ==================================================================

``ModelCheckpoint`` belongs with model saving (``handgrad.io``).
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import schedules

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "ProgressBar",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "CSVLogger",
    "TerminateOnNaN",
]


class Callback:
    """Base class; ``self.model`` is set by ``fit`` before ``on_train_begin``."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def check_log_keys(self, keys: list[str]) -> None:
        """Raise before training if the callback needs an epoch log ``fit`` will not produce.

        ``keys`` are the names the epoch logs will hold (``loss``, the metrics, their ``val_``
        twins when there is validation data, ``lr``). The default accepts anything.
        """

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None: ...


class CallbackList:
    """Dispatches each hook to every callback, in order."""

    def __init__(self, callbacks: list[Callback], model: Any, params: dict[str, Any]) -> None:
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be handgrad.callbacks.Callback instances, got {cb!r}"
                )
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)
        #: Only callbacks that override on_batch_end are called per batch.
        self.batch_callbacks = [
            cb for cb in self.callbacks if type(cb).on_batch_end is not Callback.on_batch_end
        ]
        #: Whether some per-batch hook may look at the layers' ``grads`` (any but handgrad's own
        #: progress bar and NaN check); if not, ``fit`` lets the optimizer overwrite them.
        self.batch_callbacks_may_read_grads = any(
            type(cb).on_batch_end not in _GRADIENT_BLIND_HOOKS for cb in self.batch_callbacks
        )

    def on_train_begin(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs=None):
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs)

    def on_batch_end(self, batch, logs=None):
        for cb in self.batch_callbacks:
            cb.on_batch_end(batch, logs)


class History(Callback):
    """Records every epoch's logs: ``history.history["loss"]`` has one value per epoch.

    Attributes
    ----------
    history : dict[str, list[float]]
        ``loss``, each metric, their ``val_`` twins, and ``lr``.
    epoch : list[int]
        The 0-based indices of the recorded epochs.
    stopped_reason : str or None
        Why training ended early: ``"diverged"``, ``"interrupted"``, ``"early_stopping"`` or
        ``"nan"`` (``TerminateOnNaN``); ``None`` when every epoch ran.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stopped_reason: str | None = None

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def diagnose(self, x: Any = None, y: Any = None):
        """A training report: the problems this run shows, with what to try.

        Looks at the recorded curves (loss not decreasing, diverging, overfitting), the input
        statistics ``fit`` recorded (inputs not scaled) and, on a sample batch of the training
        data (or ``x, y`` when given), at dead ReLU units and per-layer gradient norms.
        The model is left exactly as it was. See :mod:`handgrad.diagnostics`.

        Returns
        -------
        handgrad.diagnostics.TrainingReport
            A list of ``Finding`` (``code``, ``severity``, ``message``, ``details``);
            ``print(report)`` shows it as text.
        """
        from .diagnostics import diagnose

        if self.model is None:
            raise ValueError(
                "this History is not attached to a model; diagnose the History returned by "
                "model.fit(...), or call handgrad.diagnostics.diagnose(model, history)"
            )
        return diagnose(self.model, self, x, y)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())


def _format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.0f}s"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


class ProgressBar(Callback):
    """Prints progress: a bar per epoch on a terminal, one line per epoch elsewhere.

    On a terminal the bar is redrawn in place at most 10 times a second and shows the running
    mean loss and the estimated time left; at the end of the epoch it is replaced by the epoch's
    line (time and every logged value). When the stream is not a terminal (a file, CI logs,
    captured output) only the epoch lines are written. ``fit(verbose=1)`` adds one,
    ``verbose=2`` forces one line per epoch, ``verbose=0`` is silent (a ``ProgressBar`` passed
    in ``callbacks`` is silent too at ``verbose=0``).

    Parameters
    ----------
    stream : file-like, optional
        Where to write (default: ``sys.stdout`` at the time of writing).
    one_line_per_epoch : bool, optional
        Force (True) or forbid (False) the one-line mode; ``None`` decides from
        ``stream.isatty()``.
    width : int
        Characters of the bar.

    Examples
    --------
    Epoch 3/20 [=============>................] 14/30 - ETA 0.41s - loss: 0.3121
    Epoch 3/20 - 0.88s - loss: 0.3015 - accuracy: 0.9 - val_loss: 0.3342 - lr: 0.01
    """

    def __init__(self, stream=None, one_line_per_epoch: bool | None = None, width: int = 30):
        super().__init__()
        if one_line_per_epoch is not None and not isinstance(one_line_per_epoch, bool):
            raise TypeError(
                f"one_line_per_epoch must be a bool or None, got {one_line_per_epoch!r}"
            )
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
            raise ValueError(f"width must be a positive int, got {width!r}")
        self.stream = stream
        self.one_line_per_epoch = one_line_per_epoch
        self.width = width
        self._one_line = True
        self._silent = False
        self._last = self._start = 0.0
        self._seen = 0
        self._loss_sum = 0.0
        self._drawn = 0

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, logs=None):
        verbose = self.params.get("verbose", 1)
        self._silent = verbose == 0
        if self.one_line_per_epoch is not None:
            self._one_line = self.one_line_per_epoch
        else:
            isatty = getattr(self._out(), "isatty", lambda: False)
            self._one_line = verbose == 2 or not isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()
        self._seen, self._loss_sum, self._drawn = 0, 0.0, 0

    def on_batch_end(self, batch, logs=None):
        if self._one_line or self._silent:
            return
        logs = logs or {}
        size = logs.get("size", 1)
        self._seen += size
        self._loss_sum += logs.get("loss", 0.0) * size
        now = time.perf_counter()
        steps = self.params.get("steps", 1)
        if now - self._last < 0.1 and batch + 1 < steps:
            return
        self._last = now
        done = batch + 1
        filled = int(self.width * done / steps)
        bar = "=" * filled + (">" if filled < self.width else "")
        bar = bar.ljust(self.width, ".")
        eta = (now - self._start) / done * (steps - done)
        line = (
            f"\rEpoch {self.model.current_epoch + 1}/{self.params.get('epochs', '?')} [{bar}] "
            f"{done}/{steps} - ETA {_format_seconds(eta)} - loss: "
            f"{self._loss_sum / max(self._seen, 1):.4g}"
        )
        self._drawn = len(line) - 1
        self._out().write(line)
        self._out().flush()

    def on_epoch_end(self, epoch, logs=None):
        if self._silent:
            return
        seconds = time.perf_counter() - self._start
        epochs = self.params.get("epochs", "?")
        line = f"Epoch {epoch + 1}/{epochs} - {_format_seconds(seconds)}"
        if logs:
            line += f" - {_format_logs(logs)}"
        if not self._one_line:
            # Pad so no character of the longer bar line survives the carriage return.
            line = "\r" + line.ljust(self._drawn)
        self._out().write(line + "\n")
        self._out().flush()


# ------------------------------------------------------------------ monitoring
_MAX_MODE_NAMES = ("acc", "auc", "precision", "recall", "f1")


def _check_monitor(monitor: Any, owner: str) -> str:
    if not isinstance(monitor, str) or not monitor:
        raise TypeError(f"{owner} monitor must be a log name such as 'val_loss', got {monitor!r}")
    return monitor


def _resolve_mode(monitor: str, mode: Any, owner: str) -> str:
    """``"min"`` or ``"max"``; ``"auto"`` is max for accuracy-like names, min otherwise."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner} mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if any(name in base for name in _MAX_MODE_NAMES) else "min"


def _monitor_value(logs: dict | None, monitor: str, owner: str) -> float:
    """The monitored value from the epoch logs; a clear error if it is not logged."""
    logs = logs or {}
    if monitor not in logs:
        hint = ""
        if monitor.startswith("val_") and not any(k.startswith("val_") for k in logs):
            hint = " (val_ values need fit(validation_data=...) or validation_split=)"
        raise ValueError(
            f"{owner} monitors {monitor!r}, which is not in the epoch logs{hint}; available: "
            f"{', '.join(sorted(logs)) or 'none'}"
        )
    return float(logs[monitor])


def _check_monitor_logged(monitor: str, keys: list[str], owner: str) -> None:
    """The error :func:`_monitor_value` would raise after the first epoch, raised up front."""
    _monitor_value(dict.fromkeys(keys, 0.0), monitor, owner)


def _check_number(value: Any, argument: str, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{argument} must be a finite number >= {minimum:g}, got {value}")
    return value


def _check_count(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{argument} must be an int >= 0, got {value!r}")
    return int(value)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has stopped improving (Keras semantics).

    An epoch *improves* when ``current < best - min_delta`` (mode ``"min"``) or
    ``current > best + min_delta`` (mode ``"max"``). Training stops once ``patience`` epochs in a
    row did not improve. With ``restore_best_weights=True`` the weights of the best epoch are put
    back when training ends, however it ends (patience ran out, all epochs done, divergence or
    Ctrl-C); with False the model keeps the weights of its last epoch.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"``, ``"val_accuracy"``, ``"loss"``.
        An unknown name raises ``ValueError`` at the end of the first epoch.
    min_delta : float
        Smallest change that counts as an improvement (its absolute value is used).
    patience : int
        Epochs without improvement before stopping (0: stop at the first one).
    mode : {"auto", "min", "max"}
        ``"auto"`` maximizes accuracy-like names (``acc``, ``auc``, ``precision``, ``recall``,
        ``f1``) and minimizes everything else.
    restore_best_weights : bool
        Restore the best epoch's weights (and batch-norm statistics) at the end of training.
    baseline : float, optional
        Until the monitored value beats ``baseline``, improvements do not restart the wait, so
        training stops ``patience`` epochs after the last epoch that beat it (or the start)
        unless every epoch improves.
    start_from_epoch : int
        Epochs (0-based index) before this one are not monitored (warm-up).
    verbose : int
        1 prints a line when stopping and when restoring weights.

    Attributes
    ----------
    best : float or None
        Best monitored value seen.
    best_epoch : int
        0-based epoch of ``best``.
    stopped_epoch : int
        0-based epoch at which training was stopped (0 if it was not).

    Examples
    --------
    >>> stop = EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    >>> # history = model.fit(X, y, validation_split=0.2, epochs=500, callbacks=[stop])
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = True,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__()
        self.monitor = _check_monitor(monitor, "EarlyStopping")
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise TypeError(f"min_delta must be a number, got {min_delta!r}")
        self.min_delta = _check_number(abs(min_delta), "min_delta")
        self.patience = _check_count(patience, "patience")
        self.verbose = _check_count(verbose, "verbose")
        self.mode = _resolve_mode(self.monitor, mode, "EarlyStopping")
        self.baseline = (
            None
            if baseline is None
            else float(_check_number(baseline, "baseline", minimum=-math.inf))
        )
        if not isinstance(restore_best_weights, bool):
            raise TypeError(f"restore_best_weights must be a bool, got {restore_best_weights!r}")
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = _check_count(start_from_epoch, "start_from_epoch")
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list | None = None

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def check_log_keys(self, keys):
        _check_monitor_logged(self.monitor, keys, "EarlyStopping")

    def on_epoch_end(self, epoch, logs=None):
        current = _monitor_value(logs, self.monitor, "EarlyStopping")
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the first monitored epoch is the best one.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only when the baseline is beaten as well.
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.model.history is not None:
                self.model.history.stopped_reason = "early_stopping"

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}."
                )
            self.model.set_weights(self.best_weights)


# -------------------------------------------------------------- learning rate
def _set_learning_rate(optimizer: Any, new_rate: float, *, persistent: bool) -> None:
    """Make ``new_rate`` the optimizer's rate now; ``persistent`` keeps it for later epochs.

    A float ``learning_rate`` is replaced (``begin_epoch`` then keeps using it). A schedule
    stays in charge: a persistent change scales it through ``optimizer.lr_multiplier`` so that
    later epochs follow the schedule times the same factor.
    """
    old_rate = optimizer.current_learning_rate
    if persistent:
        if isinstance(optimizer.learning_rate, schedules.Schedule):
            if old_rate > 0:
                optimizer.lr_multiplier *= new_rate / old_rate
        else:
            optimizer.learning_rate = new_rate
    optimizer.current_learning_rate = new_rate


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

    def __init__(
        self,
        schedule: Callable[[int, float], float] | schedules.Schedule,
        verbose: int = 0,
    ) -> None:
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule must be callable as schedule(epoch, lr), got {schedule!r}")
        self.schedule = schedule
        self.verbose = _check_count(verbose, "verbose")

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
        _set_learning_rate(optimizer, float(new), persistent=persistent)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {new:g}.")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has stopped improving.

    Keras semantics: an epoch improves when ``current < best - min_delta`` (mode ``"min"``;
    ``> best + min_delta`` for ``"max"``). After ``patience`` epochs without improvement the rate
    becomes ``max(lr * factor, min_lr)`` (only if ``lr > min_lr``), then ``cooldown`` epochs
    pass before the waiting starts again.

    With a float ``learning_rate`` the optimizer's ``learning_rate`` is replaced by the new
    rate. With a schedule, the schedule stays in charge and is multiplied by a factor
    (``optimizer.lr_multiplier``, applied by ``begin_epoch``): each reduction scales all later
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
        super().__init__()
        self.monitor = _check_monitor(monitor, "ReduceLROnPlateau")
        factor = _check_number(factor, "factor")
        if not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau factor must be in (0, 1), got {factor}")
        self.factor = factor
        self.patience = _check_count(patience, "patience")
        self.verbose = _check_count(verbose, "verbose")
        self.mode = _resolve_mode(self.monitor, mode, "ReduceLROnPlateau")
        self.min_delta = _check_number(min_delta, "min_delta")
        self.cooldown = _check_count(cooldown, "cooldown")
        self.min_lr = _check_number(min_lr, "min_lr")
        self._reset()

    def _reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0
        self.reductions: list[tuple[int, float, float]] = []

    def _improves(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, logs=None):
        self._reset()

    def check_log_keys(self, keys):
        _check_monitor_logged(self.monitor, keys, "ReduceLROnPlateau")

    def on_epoch_end(self, epoch, logs=None):
        current = _monitor_value(logs, self.monitor, "ReduceLROnPlateau")
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current):
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
            _set_learning_rate(optimizer, new, persistent=True)
            self.reductions.append((epoch, old, new))
            self.cooldown_counter = self.cooldown
            self.wait = 0
            if self.verbose:
                print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new:g}.")


# -------------------------------------------------------------------- logging
class CSVLogger(Callback):
    """Write the epoch logs to a CSV file: a header ``epoch,<sorted keys>``, then one row per epoch.

    The file is opened when training begins and flushed after every row, so the rows written
    so far survive a crash or Ctrl-C; it is closed when training ends. With ``append=True``
    rows are added to an existing file (no second header if it is not empty).

    Parameters
    ----------
    filename : str or path
    separator : str
        One character between fields.
    append : bool

    Examples
    --------
    >>> logger = CSVLogger("training.csv")   # doctest: +SKIP
    >>> # model.fit(X, y, epochs=20, callbacks=[logger]) writes
    >>> # epoch,accuracy,loss,lr
    >>> # 0,0.71,0.58203125,0.01
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"filename must be a str or path, got {filename!r}")
        if not isinstance(separator, str) or len(separator) != 1 or separator in '\r\n"':
            raise ValueError(f"separator must be a single character, got {separator!r}")
        if not isinstance(append, bool):
            raise TypeError(f"append must be a bool, got {append!r}")
        self.filename = Path(filename)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None
        self._keys: list[str] | None = None

    def on_train_begin(self, logs=None):
        if self.filename.parent and not self.filename.parent.exists():
            raise FileNotFoundError(
                f"CSVLogger: the folder of {str(self.filename)!r} does not exist"
            )
        has_rows = self.append and self.filename.exists() and self.filename.stat().st_size > 0
        self._write_header = not has_rows
        self._file = open(  # noqa: SIM115 - closed in on_train_end
            self.filename, "a" if self.append else "w", newline="", encoding="utf-8"
        )
        self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")
        self._keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            if self._write_header:
                self._writer.writerow(["epoch", *self._keys])
        row = [epoch] + [_csv_value(logs[k]) if k in logs else "NA" for k in self._keys]
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None


def _csv_value(value: Any) -> str:
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return repr(float(value))
    return str(value)


class TerminateOnNaN(Callback):
    """Stop training as soon as a loss or logged value is NaN or infinite.

    Checks the loss of every batch (``on_batch_end``) and every value of the epoch logs
    (``loss``, metrics, ``val_loss``...). On a non-finite value it prints where it happened to
    stderr, sets ``model.stop_training`` and ``history.stopped_reason = "nan"``; training ends
    after the current epoch. ``fit`` itself already stops at the first non-finite *training*
    loss (``DivergenceWarning``, weights of the last finite epoch kept); this callback adds the
    check on validation losses and metrics, and makes the stop explicit for custom loops.

    Attributes
    ----------
    stopped_epoch : int or None
        0-based epoch where a non-finite value was seen.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stopped_epoch: int | None = None

    def on_train_begin(self, logs=None):
        self.stopped_epoch = None

    def _terminate(self, epoch: int, where: str) -> None:
        print(
            f"TerminateOnNaN: {where} at epoch {epoch + 1}; terminating training.", file=sys.stderr
        )
        self.stopped_epoch = epoch
        self.model.stop_training = True
        if getattr(self.model, "history", None) is not None:
            self.model.history.stopped_reason = "nan"

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self._terminate(self.model.current_epoch, f"invalid loss {loss} in batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        bad = {
            k: v
            for k, v in (logs or {}).items()
            if isinstance(v, numbers.Real) and not math.isfinite(v)
        }
        if bad:
            self._terminate(epoch, "non-finite " + ", ".join(f"{k}={v}" for k, v in bad.items()))


class ModelCheckpoint(Callback):
    """Save the model (``model.save``, atomic ``.hgz``) at the end of epochs.

    Parameters
    ----------
    filepath : str or path
        Where to save. May contain ``str.format`` fields filled from the epoch (1-based) and
        the epoch logs, e.g. ``"ckpt-{epoch:03d}-{val_loss:.3f}.hgz"``.
    monitor : str
        Log key compared with ``save_best_only`` (default ``"val_loss"``).
    save_best_only : bool
        Only save when ``monitor`` improved on the best value so far (so a fixed ``filepath``
        always holds the best model).
    mode : {"auto", "min", "max"}
        As in :class:`EarlyStopping`.
    verbose : int
        1 prints a line for every save.

    Attributes
    ----------
    best : float or None
        Best monitored value seen.
    saved : list of str
        Paths written, in order.

    Examples
    --------
    >>> ckpt = ModelCheckpoint("best.hgz", monitor="val_accuracy", save_best_only=True)
    >>> # model.fit(X, y, validation_split=0.2, epochs=50, callbacks=[ckpt])
    >>> # best = handgrad.load_model("best.hgz")   # resume with fit(..., initial_epoch=...)
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a path, got {filepath!r}")
        self.filepath = os.fspath(filepath)
        self.monitor = _check_monitor(monitor, "ModelCheckpoint")
        self.verbose = _check_count(verbose, "verbose")
        if not isinstance(save_best_only, bool):
            raise TypeError(f"save_best_only must be a bool, got {save_best_only!r}")
        self.save_best_only = save_best_only
        self.mode = _resolve_mode(self.monitor, mode, "ModelCheckpoint")
        self.best: float | None = None
        self.saved: list[str] = []

    def on_train_begin(self, logs=None):
        self.best = None

    def check_log_keys(self, keys):
        if self.save_best_only:
            _check_monitor_logged(self.monitor, keys, "ModelCheckpoint")
        self._path(0, dict.fromkeys(keys, 0.0))  # placeholders the logs cannot fill

    def _path(self, epoch: int, logs: dict) -> str:
        try:
            return self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(
                f"ModelCheckpoint filepath {self.filepath!r} cannot be filled from epoch and "
                f"logs {sorted(logs)}: {err}"
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = _monitor_value(logs, self.monitor, "ModelCheckpoint")
            better = self.best is None or (
                current < self.best if self.mode == "min" else current > self.best
            )
            if not better:
                return
            self.best = current
        path = self._path(epoch, logs)
        self.model.save(path)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")


#: Per-batch hooks of handgrad's own callbacks, none of which reads ``grads``.
_GRADIENT_BLIND_HOOKS = (ProgressBar.on_batch_end, TerminateOnNaN.on_batch_end)
