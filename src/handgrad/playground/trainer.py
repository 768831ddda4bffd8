"""One network training in the server process, in slices, while the page watches.

A :class:`Run` owns a handgrad model and a thread. Training happens in slices of about
``SLICE_SECONDS``: each slice is one ``model.fit(..., initial_epoch=e)`` call that a callback
ends after the slice's time (or at a stop condition, or when a command is waiting). Between
slices the thread applies commands (play, pause, step, a weight edit) and publishes a snapshot
of everything the page draws, so the page gets about ten updates a second.

Consecutive ``fit`` calls with ``initial_epoch`` continue exactly where the previous one
stopped (the model keeps its optimizer state and random generators), so a run trained in
slices ends with the same bits as one ``fit`` over all its epochs; the generated code relies
on that, and a test checks it.

Only one run trains at a time (``TRAIN_LOCK``): two runs side by side take turns, and the
machine keeps a core free for the server and the browser whatever the page asks for.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import handgrad as hg

from . import doctor, limits, network, views
from .datasets import Dataset
from .features import feature_matrix
from .spec import ModelSpec

TRAIN_LOCK = threading.Lock()


@dataclass(frozen=True)
class Edit:
    """A weight set by hand: ``model.layers[layer].params[name][index] = value`` at ``epoch``."""

    epoch: int
    layer: int
    name: str
    index: tuple[int, ...]
    value: float


class _Slice(hg.callbacks.Callback):
    """Ends a ``fit`` call at the end of the slice and records every epoch's logs."""

    def __init__(self, run: Run, one_epoch: bool) -> None:
        super().__init__()
        self.run = run
        self.one_epoch = one_epoch
        self.start = time.perf_counter()
        self.epoch_start = self.start
        self.epochs = 0
        self.reached_target = False
        self.last_weights = run.model.get_weights()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        run = self.run
        self.epochs += 1
        run.record_epoch(logs or {}, now - self.epoch_start)
        self.last_weights = run.model.get_weights()
        target = run.spec.target_loss
        if target and (logs or {}).get("loss", math.inf) <= target:
            self.reached_target = True
        if (
            self.reached_target
            or self.one_epoch
            or now - self.start >= limits.SLICE_SECONDS
            or run.has_commands()
        ):
            self.model.stop_training = True


class Run:
    """A network of the page (index 0, or 1 in compare mode) and its training thread.

    Parameters
    ----------
    index : int
        Which network of the setup.
    spec : ModelSpec
    dataset : Dataset
    publish : callable
        ``publish(run, snapshot)``, called from the run's thread after every change.
    """

    def __init__(
        self,
        index: int,
        spec: ModelSpec,
        dataset: Dataset,
        publish: Callable[[Run, dict[str, Any]], None],
    ) -> None:
        self.index = index
        self.spec = spec
        self.dataset = dataset
        problem, classes = dataset.problem, dataset.n_classes
        self.model = network.build(spec, problem, classes)
        self.layout = network.layout(spec, problem, classes)
        self.activations = [layer.activation for layer in spec.layers]
        self.f_train = feature_matrix(dataset.x_train, spec.features)
        self.f_test = feature_matrix(dataset.x_test, spec.features)
        self.grids = views.Grids(dataset, spec.features)
        self.scale = views.target_scale(dataset)
        self.curves: dict[str, list[float]] = {}
        self.epoch = 0
        self.edits: list[Edit] = []
        self.status = "paused"
        self.stop_reason: str | None = None
        self.error: str | None = None
        self.seconds_per_epoch: float | None = None
        self._publish = publish
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._doctor: list[dict[str, Any]] = []
        self._doctor_at = (-1, 0.0)
        self._thread = threading.Thread(
            target=self._loop, name=f"handgrad-playground-run{index}", daemon=True
        )
        self._thread.start()

    # ----------------------------------------------------------- from other threads
    def command(self, name: str, *args: Any) -> None:
        """Queue ``play``, ``pause``, ``step`` or ``edit`` (layer, name, index, value)."""
        self._commands.put((name, args))

    def close(self) -> None:
        """Stop the thread (after its current slice); the run publishes nothing more."""
        self._closed = True
        self._commands.put(("close", ()))

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def has_commands(self) -> bool:
        return not self._commands.empty()

    # ---------------------------------------------------------------- the thread
    def _loop(self) -> None:
        self._emit()
        stepping = False
        while not self._closed:
            idle = self.status != "training" and not stepping
            try:
                name, args = self._commands.get(block=idle)
            except queue.Empty:
                name, args = None, ()
            if name == "close":
                return
            if name is not None:
                stepping = self._handle(name, args) or stepping
                self._emit()
                continue
            self._slice(one_epoch=stepping)
            stepping = False
            self._emit()

    def _handle(self, name: str, args: tuple) -> bool:
        """Apply a command; True when it asks for one epoch."""
        finished = self.status in ("done", "diverged", "error")
        if name == "play" and not finished:
            self.status = "training"
        elif name == "pause" and self.status == "training":
            self.status = "paused"
        elif name == "step" and not finished:
            self.status = "paused"
            return True
        elif name == "edit":
            layer, key, index, value = args
            with TRAIN_LOCK:  # an export sees the weight and the list of edits together
                self.model.layers[layer].params[key][index] = value
                self.edits.append(Edit(self.epoch, layer, key, tuple(index), float(value)))
        return False

    def record_epoch(self, logs: dict[str, float], seconds: float) -> None:
        """Called by the slice callback: one epoch's logs and duration."""
        for key, value in logs.items():
            self.curves.setdefault(key, []).append(float(value))
        # A moving average, so the readout is steady but follows a change of speed.
        previous = self.seconds_per_epoch
        self.seconds_per_epoch = seconds if previous is None else 0.8 * previous + 0.2 * seconds

    def _slice(self, one_epoch: bool) -> None:
        spec = self.spec
        n = len(self.f_train)
        batch = None if spec.batch_size == 0 else min(spec.batch_size, n)
        last = spec.max_epochs or min(limits.MAX_EPOCHS, self.epoch + limits.MAX_EPOCHS)
        if self.epoch >= last:
            self.status, self.stop_reason = "done", "epoch limit reached"
            return
        validation = (self.f_test, self.dataset.y_test) if len(self.f_test) else None
        callback = _Slice(self, one_epoch)
        diverged = False
        # NumPy's error state is per thread: overflow in a diverging run's validation pass is
        # caught on the loss (DivergenceWarning), not raised as floating-point warnings.
        with TRAIN_LOCK, np.errstate(all="ignore"):
            try:
                history = self.model.fit(
                    self.f_train,
                    self.dataset.y_train,
                    epochs=last,
                    initial_epoch=self.epoch,
                    batch_size=batch,
                    verbose=0,
                    validation_data=validation,
                    callbacks=[callback],
                )
                diverged = history.stopped_reason == "diverged"
            except hg.DivergenceWarning:
                # Warnings are errors here (python -W error, pytest): fit stopped without
                # restoring, so put back the last epoch's weights as fit would have.
                self.model.set_weights(callback.last_weights)
                diverged = True
            except Exception as err:  # the run reports it and the server keeps going
                self.status, self.error = "error", f"training failed: {err}"
                return
            # Still under the lock: an export sees the weights and the epoch count together.
            self.epoch += callback.epochs
        if diverged:
            self.status, self.stop_reason = "diverged", "the loss became NaN or infinite"
        elif callback.reached_target:
            self.status, self.stop_reason = "done", "target loss reached"
        elif self.epoch >= last:
            self.status, self.stop_reason = "done", "epoch limit reached"

    def _doctor_findings(self) -> list[dict[str, Any]]:
        """The doctor's findings, recomputed at most once a second while training."""
        now = time.monotonic()
        stale = self._doctor_at[0] != self.epoch
        interval = limits.DOCTOR_INTERVAL_SECONDS
        due = self.status != "training" or now - self._doctor_at[1] >= interval
        if stale and due:
            self._doctor = doctor.examine(
                self.model,
                self.curves,
                "diverged" if self.status == "diverged" else None,
                self.layout,
                self.activations,
                self.f_train,
                self.dataset.y_train,
            )
            self._doctor_at = (self.epoch, now)
        return self._doctor

    def snapshot(self) -> dict[str, Any]:
        """Everything the page draws for this run, as JSON-ready data."""
        model, problem = self.model, self.dataset.problem
        with np.errstate(all="ignore"):
            return self._snapshot(model, problem)

    def _snapshot(self, model: hg.Sequential, problem: str) -> dict[str, Any]:
        # Weights kept after a divergence can still overflow on the grid: paint those cells as
        # undecided (0.5, or 0 for regression) instead of failing.
        undecided = 0.0 if problem == "regression" else 0.5
        out_big = np.nan_to_num(model.predict(self.grids.big), nan=undecided)
        out_small = np.nan_to_num(model.predict(self.grids.small), nan=undecided)
        return {
            "run": self.index,
            "status": self.status,
            "stop_reason": self.stop_reason,
            "error": self.error,
            "epoch": self.epoch,
            "ms_per_epoch": None
            if self.seconds_per_epoch is None
            else 1000 * self.seconds_per_epoch,
            "learning_rate": self.curves["lr"][-1] if self.curves.get("lr") else None,
            "metrics": views.metrics(
                model, self.f_train, self.dataset.y_train, self.f_test, self.dataset.y_test, problem
            ),
            "curves": {
                "epochs": self.epoch,
                "loss": views.curve(self.curves.get("loss", [])),
                "test_loss": views.curve(self.curves.get("val_loss", [])),
            },
            "boundary": views.quantize_boundary(out_big, problem, self.scale),
            "inputs": views.input_maps(self.grids),
            "neurons": views.neuron_maps(model, self.layout, self.activations, self.grids),
            "outputs": views.output_maps(out_small, problem, self.scale),
            "weights": views.weights(model, self.layout),
            "doctor": self._doctor_findings(),
            "edits": len(self.edits),
        }

    def _emit(self) -> None:
        if self._closed:
            return
        try:
            snapshot = self.snapshot()
        except Exception as err:  # a drawing problem is shown on the page, not fatal
            snapshot = {"run": self.index, "status": "error", "error": f"cannot draw: {err}"}
        if not self._closed:
            self._publish(self, snapshot)
