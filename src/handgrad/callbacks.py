"""Callbacks: code that runs at fixed points of ``Sequential.fit``.

Hooks (all optional): ``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
``on_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_end(logs)``. Epochs
are counted from 0 in hooks (as Keras); ``logs`` at epoch end holds ``loss``, the metrics, their
``val_`` twins and ``lr``. A callback stops training by setting ``self.model.stop_training``.
``on_batch_end`` is only called when some callback overrides it, so a plain ``fit`` pays
nothing per batch.
"""

from __future__ import annotations

import sys
import time
from typing import Any

__all__ = ["Callback", "CallbackList", "History", "ProgressBar"]


class Callback:
    """Base class; ``self.model`` is set by ``fit`` before ``on_train_begin``."""

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

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
        Why training ended early (``"diverged"``, ``"interrupted"``, ``"early_stopping"``...).
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

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={sorted(self.history)})"


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())


class ProgressBar(Callback):
    """Prints progress: on a terminal, a bar per epoch updated at most 10 times a second;
    elsewhere (files, notebooks' captured output, CI) one line per epoch.

    ``fit(verbose=1)`` adds one; ``verbose=2`` forces one line per epoch; ``verbose=0`` is silent.
    """

    def __init__(self, stream=None, one_line_per_epoch: bool | None = None, width: int = 30):
        super().__init__()
        self.stream = stream
        self.one_line_per_epoch = one_line_per_epoch
        self.width = width
        self._last = 0.0
        self._start = 0.0

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, logs=None):
        if self.one_line_per_epoch is None:
            isatty = getattr(self._out(), "isatty", lambda: False)
            self.one_line_per_epoch = not isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()

    def on_batch_end(self, batch, logs=None):
        if self.one_line_per_epoch:
            return
        now = time.perf_counter()
        steps = self.params.get("steps", 1)
        if now - self._last < 0.1 and batch + 1 < steps:
            return
        self._last = now
        done = int(self.width * (batch + 1) / steps)
        bar = "=" * done + "." * (self.width - done)
        epochs = self.params.get("epochs", "?")
        self._out().write(f"\rEpoch {self.model.current_epoch + 1}/{epochs} [{bar}] "
                          f"{batch + 1}/{steps}")
        self._out().flush()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        epochs = self.params.get("epochs", "?")
        prefix = "" if self.one_line_per_epoch else "\r"
        self._out().write(
            f"{prefix}Epoch {epoch + 1}/{epochs} - {seconds:.2f}s - {_format_logs(logs or {})}\n"
        )
        self._out().flush()
