"""``ModelCheckpoint``: save the model (``model.save``, an atomic ``.hgz``) at epoch ends."""

from __future__ import annotations

import os

from ..validation import check_count
from .base import MonitorCallback

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(MonitorCallback):
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
        always holds the best model); any improvement counts (``min_delta = 0``).
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
    >>> import pathlib, tempfile, handgrad as hg
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "best.hgz"
    >>> (X, y), _ = hg.datasets.moons(n_samples=200, seed=0)
    >>> model = hg.Sequential([hg.layers.Dense(8, "relu", input_dim=2),
    ...                        hg.layers.Dense(2, "softmax")], seed=0)
    >>> model.compile("categorical_crossentropy", hg.optimizers.Adam(0.05), metrics=["accuracy"])
    >>> ckpt = ModelCheckpoint(path, monitor="val_accuracy", save_best_only=True)
    >>> _ = model.fit(X, y, validation_split=0.2, epochs=20, callbacks=[ckpt], verbose=0)
    >>> best = hg.load_model(path)   # resume with fit(..., initial_epoch=best.epochs_trained)
    >>> best.evaluate(X, y)["accuracy"] > 0.8
    True
    """

    reads_grads = False

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        mode: str = "auto",
    ) -> None:
        if not isinstance(filepath, (str, os.PathLike)):
            raise TypeError(f"filepath must be a path, got {filepath!r}")
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose = check_count(verbose, "verbose")
        if not isinstance(save_best_only, bool):
            raise TypeError(f"save_best_only must be a bool, got {save_best_only!r}")
        self.save_best_only = save_best_only
        self.best: float | None = None
        self.saved: list[str] = []

    def on_train_begin(self, logs=None):
        self.best = None

    def check_log_keys(self, keys):
        if self.save_best_only:
            super().check_log_keys(keys)
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
            current = self.get_monitor_value(logs)
            if not self.is_improvement(current, self.best):
                return
            self.best = current
        path = self._path(epoch, logs)
        self.model.save(path)
        self.saved.append(path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved model to {path}")
