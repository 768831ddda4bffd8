"""Callbacks that report on training: ``History`` (every fit has one), ``ProgressBar``
(added by ``verbose=1``) and ``CSVLogger``."""

from __future__ import annotations

import csv
import numbers
import os
import sys
import time
from pathlib import Path
from typing import Any

from ..tools.diagnostics import diagnose
from .base import Callback

__all__ = ["History", "ProgressBar", "CSVLogger"]


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

    reads_grads = False

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
        The model is left exactly as it was. See :mod:`handgrad.tools.diagnostics`.

        Returns
        -------
        handgrad.tools.diagnostics.TrainingReport
            A list of ``Finding`` (``code``, ``severity``, ``message``, ``details``);
            ``print(report)`` shows it as text.
        """
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

    reads_grads = False

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
    >>> import pathlib, tempfile, numpy as np, handgrad as hg
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "training.csv"
    >>> model = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=3)], seed=0)
    >>> model.compile("categorical_crossentropy", hg.optimizers.SGD(0.01), metrics=["accuracy"])
    >>> _ = model.fit(np.eye(3), [0, 1, 1], epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    >>> print(path.read_text().splitlines()[0])
    epoch,accuracy,loss,lr
    """

    reads_grads = False

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
