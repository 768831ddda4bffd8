"""The callback protocol, the list ``fit`` dispatches through, and the monitoring rule.

* :class:`Callback`: the hooks and their contract (what ``logs`` holds, who may read ``grads``);
* :class:`CallbackList`: calls each hook on every callback, in order, and tells ``fit`` whether
  the gradients may be used as scratch space (``reads_grads``);
* :class:`MonitorCallback`: "did the monitored value improve?", written once for
  ``EarlyStopping``, ``ReduceLROnPlateau`` and ``ModelCheckpoint``.
"""

from __future__ import annotations

from typing import Any

from ..validation import check_monitor

__all__ = [
    "Callback",
    "CallbackList",
    "MonitorCallback",
    "resolve_mode",
    "monitor_value",
    "check_monitor_logged",
]


class Callback:
    """Base class; ``self.model`` is set by ``fit`` before ``on_train_begin``.

    Hooks (all optional): ``on_train_begin(logs)``, ``on_epoch_begin(epoch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_epoch_end(epoch, logs)``, ``on_train_end(logs)``.
    Epochs are counted from 0 in hooks (as Keras); ``logs`` at epoch end holds ``loss``, the
    metrics, their ``val_`` twins and ``lr``; at batch end ``loss`` (the batch loss before the
    update) and ``size``. ``on_batch_end`` is only called when the class overrides it.
    """

    #: Whether ``on_batch_end`` may look at the layers' ``grads``. While no per-batch hook
    #: does, ``fit`` lets the optimizer use the gradient arrays as scratch space between
    #: batches (the last batch of an epoch always keeps them). True unless a class says
    #: otherwise, so a user's ``on_batch_end`` always sees true gradients.
    reads_grads: bool = True

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
        #: Whether some per-batch hook may look at the layers' ``grads`` (``reads_grads``);
        #: if none does, ``fit`` lets the optimizer overwrite them.
        self.batch_callbacks_may_read_grads = any(cb.reads_grads for cb in self.batch_callbacks)

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


# ------------------------------------------------------------------ monitoring
_MAX_MODE_NAMES = ("acc", "auc", "precision", "recall", "f1")


def resolve_mode(monitor: str, mode: Any, owner: str) -> str:
    """``"min"`` or ``"max"``; ``"auto"`` is max for accuracy-like names, min otherwise."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{owner} mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    base = monitor[4:] if monitor.startswith("val_") else monitor
    return "max" if any(name in base for name in _MAX_MODE_NAMES) else "min"


def monitor_value(logs: dict | None, monitor: str, owner: str) -> float:
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


def check_monitor_logged(monitor: str, keys: list[str], owner: str) -> None:
    """The error :func:`monitor_value` would raise after the first epoch, raised up front."""
    monitor_value(dict.fromkeys(keys, 0.0), monitor, owner)


class MonitorCallback(Callback):
    """Base of callbacks that watch one value of the epoch logs (Keras' ``MonitorCallback``).

    An epoch *improves* on a reference value when ``current < reference - min_delta`` (mode
    ``"min"``) or ``current > reference + min_delta`` (mode ``"max"``); anything improves on no
    reference (``None``). Subclasses set ``min_delta`` (0 by default) and keep their own
    ``best``.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs, e.g. ``"val_loss"``, ``"val_accuracy"``, ``"loss"``. A name
        ``fit`` will not log raises before training (:meth:`check_log_keys`).
    mode : {"auto", "min", "max"}
        ``"auto"`` maximizes accuracy-like names (``acc``, ``auc``, ``precision``, ``recall``,
        ``f1``) and minimizes everything else.

    Examples
    --------
    >>> from handgrad.callbacks import MonitorCallback
    >>> class BestSoFar(MonitorCallback):
    ...     def on_train_begin(self, logs=None):
    ...         self.best = None
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         value = self.get_monitor_value(logs)
    ...         if self.is_improvement(value, self.best):
    ...             self.best = value
    >>> cb = BestSoFar("val_accuracy")
    >>> cb.mode
    'max'
    >>> cb.on_train_begin(); cb.on_epoch_end(0, {"val_accuracy": 0.8}); cb.best
    0.8
    """

    #: Smallest change that counts as an improvement.
    min_delta: float = 0.0

    def __init__(self, monitor: str = "val_loss", mode: str = "auto") -> None:
        super().__init__()
        self.monitor = check_monitor(monitor, type(self).__name__)
        self.mode = resolve_mode(self.monitor, mode, type(self).__name__)

    def check_log_keys(self, keys):
        check_monitor_logged(self.monitor, keys, type(self).__name__)

    def get_monitor_value(self, logs: dict | None) -> float:
        """The monitored value of these epoch logs (a clear error if it is missing)."""
        return monitor_value(logs, self.monitor, type(self).__name__)

    def is_improvement(self, value: float, reference: float | None) -> bool:
        """Whether ``value`` improves on ``reference`` by more than ``min_delta``."""
        if reference is None:
            return True
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta
