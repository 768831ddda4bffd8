"""One browser tab's state: its setup, its data, its one or two training runs.

The HTTP handler threads call a :class:`Session`'s methods (apply a setup, upload points, edit
a weight, export); the runs' threads publish snapshots into it; the event-stream threads wait on
it (:meth:`Session.wait`) and send what changed. One condition variable guards it all.

A change of the data rebuilds both runs; a change of one network's settings rebuilds that run
only; display options rebuild nothing. Rebuilding starts the run again from epoch 0 with its
seed, so that the run, the link and the generated code always describe the same training.
"""

from __future__ import annotations

import secrets
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

import handgrad as hg

from . import codegen, limits
from .csvdata import DataError, check_labels, parse_csv, parse_points
from .datasets import CUSTOM, Dataset, build, split_flags
from .spec import (
    DataSpec,
    Setup,
    SpecError,
    check_model,
    make_custom,
    setup_from_dict,
    setup_to_dict,
)
from .trainer import TRAIN_LOCK, Run
from .urlstate import setup_from_query, setup_to_query
from .views import b64


def dataset_for(setup: Setup) -> Dataset:
    """The points of ``setup.data``; a missing optional package becomes a :class:`SpecError`."""
    try:
        return build(setup.data)
    except ImportError as err:
        raise SpecError("data.dataset", f"{err} (or pick xor, gauss or spiral)") from None


def check_setup(setup: Setup, dataset: Dataset | None = None) -> Dataset:
    """Checks that need the points (network size, updates per epoch); returns the points."""
    dataset = dataset or dataset_for(setup)
    for i, model in enumerate(setup.models):
        check_model(model, setup.data, len(dataset.x_train), f"models[{i}]")
    return dataset


class Session:
    """A tab's setup, data and runs (see the module docstring)."""

    def __init__(self, query: str = "") -> None:
        self.id = secrets.token_urlsafe(12)
        self.changed = threading.Condition()
        self.version = 0
        self.clients = 0
        self.last_used = time.monotonic()
        setup, self.notes = setup_from_query(query, check=lambda s: check_setup(s) and None)
        try:
            dataset = check_setup(setup)
        except SpecError as err:
            # Only when the default itself cannot be made (the moons need scikit-learn): the
            # spiral needs NumPy alone.
            setup = replace(setup, data=DataSpec(dataset="spiral"))
            self.notes.append(f"{err.message}; showing the spiral instead")
            dataset = check_setup(setup)
        self.setup, self.dataset = setup, dataset
        self.runs: list[Run] = []
        self.snapshots: list[dict[str, Any] | None] = []
        self.setup_version = 0
        with self.changed:
            self._rebuild(range(len(setup.models)))

    # ------------------------------------------------------------ setup changes
    def _rebuild(self, indices: Any) -> None:
        """New runs for ``indices`` (old ones closed), and runs beyond the setup's removed."""
        count = len(self.setup.models)
        for run in self.runs[count:]:
            run.close()
        self.runs = self.runs[:count]
        self.snapshots = (self.snapshots + [None] * count)[:count]
        for i in indices:
            if i < len(self.runs):
                self.runs[i].close()
            run = Run(i, self.setup.models[i], self.dataset, self._publish)
            if i < len(self.runs):
                self.runs[i] = run
            else:
                self.runs.append(run)
            self.snapshots[i] = None
        self.setup_version += 1
        self.version += 1
        self.changed.notify_all()

    def apply(self, source: Any) -> Setup:
        """Validate and apply the page's setup JSON; rebuild what it changes.

        Raises
        ------
        SpecError
        """
        with self.changed:
            setup = setup_from_dict(source, self.setup)
            return self._apply(setup)

    def _apply(self, setup: Setup) -> Setup:
        old = self.setup
        data = setup.data
        if (
            data.dataset == CUSTOM
            and data.custom is not None
            and (data.train_percent, data.seed) != (old.data.train_percent, old.data.seed)
        ):
            custom = data.custom
            flags = split_flags(custom.x, custom.y, data.problem, data.train_percent, data.seed)
            data = replace(data, custom=make_custom(custom.x, custom.y, flags))
            setup = replace(setup, data=data)
        dataset = self.dataset if setup.data == old.data else dataset_for(setup)
        check_setup(setup, dataset)
        self.setup, self.dataset = setup, dataset
        if setup.data != old.data:
            changed = range(len(setup.models))
        else:
            changed = [
                i
                for i, model in enumerate(setup.models)
                if i >= len(old.models) or model != old.models[i]
            ]
        self._rebuild(changed)
        return setup

    def upload(self, raw: bytes) -> Setup:
        """Make the uploaded CSV the data (problem type as set now).

        Raises
        ------
        DataError, SpecError
        """
        with self.changed:
            data = self.setup.data
            x, y = parse_csv(raw, data.problem)
            flags = split_flags(x, y, data.problem, data.train_percent, data.seed)
            return self._set_custom(make_custom(x, y, flags))

    def add_points(self, items: Any) -> Setup:
        """Add clicked points to the training part (the data becomes custom)."""
        with self.changed:
            data, dataset = self.setup.data, self.dataset
            new = parse_points(items, data.problem, dataset.domain)
            x = np.concatenate([dataset.x_train, dataset.x_test, new[:, :2]])
            y = np.concatenate([dataset.y_train, dataset.y_test, new[:, 2]]).astype(np.float32)
            if len(x) > limits.MAX_POINTS:
                raise DataError(f"the playground takes up to {limits.MAX_POINTS:,} points")
            check_labels(y.astype(np.float64), data.problem)
            test = np.concatenate(
                [np.zeros(len(dataset.x_train), bool), np.ones(len(dataset.x_test), bool)]
            )
            return self._set_custom(make_custom(x, y, np.concatenate([test, np.zeros(len(new))])))

    def _set_custom(self, custom: Any) -> Setup:
        old = self.setup.data
        # As setup_from_dict makes custom data specs: the generator's settings at their defaults.
        data = DataSpec(
            problem=old.problem,
            dataset=CUSTOM,
            train_percent=old.train_percent,
            seed=old.seed,
            custom=custom,
        )
        return self._apply(replace(self.setup, data=data))

    # ----------------------------------------------------------------- commands
    def control(self, action: str, index: int | None = None) -> None:
        """``play``, ``pause``, ``step`` for one run or all; ``reset`` rebuilds them."""
        with self.changed:
            targets = range(len(self.runs)) if index is None else [index]
            if action == "reset":
                self._rebuild(targets)
                return
            for i in targets:
                self.runs[i].command(action)

    def edit(self, index: int, column: int, source: int, target: int, value: float) -> None:
        """Set one weight (``source`` -1: the bias of unit ``target``) of picture column
        ``column`` (0: first hidden layer's Dense, ..., last: the output layer).

        Raises
        ------
        SpecError
        """
        with self.changed:
            run = self.run(index)
            if not 0 <= column < len(run.layout.dense):
                raise SpecError("edit.layer", f"no layer {column} in this network")
            layer = run.model.layers[run.layout.dense[column]]
            fan_in, units = layer.params["W"].shape
            if not (-1 <= source < fan_in and 0 <= target < units):
                raise SpecError("edit", f"no weight from {source} to {target} in layer {column}")
            if not (np.isfinite(value) and abs(value) <= 100):
                raise SpecError("edit.value", "a weight must be a number from -100 to 100")
            if source == -1:
                run.command("edit", run.layout.dense[column], "b", (target,), value)
            else:
                run.command("edit", run.layout.dense[column], "W", (source, target), value)

    def run(self, index: int) -> Run:
        if not isinstance(index, int) or not 0 <= index < len(self.runs):
            raise SpecError("run", f"no network {index!r} on this page")
        return self.runs[index]

    # ----------------------------------------------------------------- export
    def export(self, index: int, kind: str) -> tuple[bytes, str, str]:
        """``(content, file name, media type)`` of a run's model (``hgz``, ``onnx``) or code."""
        with self.changed:
            run = self.run(index)
            name = f"playground-{self.setup.data.dataset}-{'ab'[index]}"
            if kind == "py":
                with TRAIN_LOCK:
                    epoch, edits = run.epoch, list(run.edits)
                code = codegen.python_code(
                    self.setup.data,
                    run.spec,
                    self.dataset.n_classes,
                    len(self.dataset.x_train),
                    len(self.dataset.x_test),
                    epoch,
                    edits,
                    setup_to_query(self.setup),
                )
                return code.encode(), f"{name}.py", "text/x-python; charset=utf-8"
            if kind not in ("hgz", "onnx"):
                raise SpecError("format", "export formats are hgz, onnx and py")
            # Between two training slices (TRAIN_LOCK), so the file holds one epoch's weights;
            # the file lives in a temporary folder that is removed at once.
            with TRAIN_LOCK, tempfile.TemporaryDirectory(prefix="handgrad-playground-") as folder:
                path = Path(folder) / f"{name}.{kind}"
                if kind == "hgz":
                    hg.save_model(run.model, path)
                else:
                    hg.export_onnx(run.model, path)
                return path.read_bytes(), path.name, "application/octet-stream"

    # ------------------------------------------------------------ publishing
    def _publish(self, run: Run, snapshot: dict[str, Any]) -> None:
        with self.changed:
            if run.index < len(self.runs) and self.runs[run.index] is run:
                self.snapshots[run.index] = snapshot
                self.version += 1
                self.changed.notify_all()

    def setup_message(self) -> dict[str, Any]:
        """The setup, its link and its points, for the page (call with the lock held)."""
        d = self.dataset
        return {
            "type": "setup",
            "setup": setup_to_dict(self.setup),
            "query": setup_to_query(self.setup),
            "notes": list(self.notes),
            "problem": d.problem,
            "n_classes": d.n_classes,
            "domain": list(d.domain),
            "resolution": [limits.BOUNDARY_RESOLUTION, limits.NEURON_RESOLUTION],
            "train": {"x": b64(d.x_train), "y": b64(d.y_train.astype(np.float32))},
            "test": {"x": b64(d.x_test), "y": b64(d.y_test.astype(np.float32))},
            "target_scale": float(max(np.abs(np.r_[d.y_train, d.y_test]).max(initial=0), 1e-12)),
        }

    def wait(self, seen: int, timeout: float) -> int:
        """Block until the version differs from ``seen`` (or ``timeout``); the version."""
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            self.last_used = time.monotonic()
            return self.version

    def attach(self) -> None:
        with self.changed:
            self.clients += 1

    def detach(self) -> None:
        """A page went away: with no page left, pause training (nobody is watching)."""
        with self.changed:
            self.clients -= 1
            if self.clients <= 0:
                for run in self.runs:
                    run.command("pause")

    def close(self) -> None:
        with self.changed:
            for run in self.runs:
                run.close()
            self.version += 1
            self.changed.notify_all()


class SessionStore:
    """The open sessions, the least recently used one closed beyond ``MAX_SESSIONS``."""

    def __init__(self, limit: int = limits.MAX_SESSIONS) -> None:
        self.limit = limit
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self._lock = threading.Lock()

    def create(self, query: str) -> Session:
        session = Session(query)
        with self._lock:
            self._sessions[session.id] = session
            while len(self._sessions) > self.limit:
                _, old = self._sessions.popitem(last=False)
                old.close()
        return session

    def get(self, session_id: str) -> Session | None:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is not None:
                self._sessions.move_to_end(session_id)
                session.last_used = time.monotonic()
            return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()
