"""Callbacks that stop training: ``EarlyStopping`` (the monitored value stopped improving)
and ``TerminateOnNaN`` (a value became NaN or infinite)."""

from __future__ import annotations

import math
import numbers
import sys

from ..validation import check_count, check_number
from .base import Callback, MonitorCallback

__all__ = ["EarlyStopping", "TerminateOnNaN"]


class EarlyStopping(MonitorCallback):
    """Stop training when ``monitor`` has stopped improving (Keras semantics).

    An epoch *improves* when ``current < best - min_delta`` (mode ``"min"``) or
    ``current > best + min_delta`` (mode ``"max"``; the rule of :class:`MonitorCallback`).
    Training stops once ``patience`` epochs in a
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
    >>> import handgrad as hg
    >>> (X, y), _ = hg.datasets.moons(n_samples=200, seed=0)
    >>> model = hg.Sequential([hg.layers.Dense(8, "relu", input_dim=2),
    ...                        hg.layers.Dense(2, "softmax")], seed=0)
    >>> model.compile("categorical_crossentropy", hg.optimizers.Adam(0.05))
    >>> stop = EarlyStopping(monitor="val_loss", min_delta=0.01, patience=3)
    >>> history = model.fit(X, y, validation_split=0.2, epochs=500, callbacks=[stop], verbose=0)
    >>> len(history.epoch) < 500, history.stopped_reason
    (True, 'early_stopping')
    """

    reads_grads = False

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
        super().__init__(monitor, mode)
        if isinstance(min_delta, bool) or not isinstance(min_delta, numbers.Real):
            raise TypeError(f"min_delta must be a number, got {min_delta!r}")
        self.min_delta = check_number(abs(min_delta), "min_delta")
        self.patience = check_count(patience, "patience")
        self.verbose = check_count(verbose, "verbose")
        self.baseline = (
            None if baseline is None else check_number(baseline, "baseline", minimum=-math.inf)
        )
        if not isinstance(restore_best_weights, bool):
            raise TypeError(f"restore_best_weights must be a bool, got {restore_best_weights!r}")
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = check_count(start_from_epoch, "start_from_epoch")
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best: float | None = None
        self.best_epoch = 0
        self.best_weights: list | None = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        current = self.get_monitor_value(logs)
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the first monitored epoch is the best one.
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            # The wait restarts only when the baseline is beaten as well.
            if self.baseline is None or self.is_improvement(current, self.baseline):
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

    reads_grads = False

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
