"""Median pruning: stop a trial whose best score so far is worse than the earlier trials'.

Grid and random search keep every trial's learning curve on a :class:`Board`; a trial at
epoch ``t`` compares its best value so far with the median of the values the earlier trials
(lower numbers, pruned ones included) reached at epoch ``t``. A trial waits for the earlier
ones to get there, so ``n_jobs=2`` prunes exactly as ``n_jobs=1`` does.

Examples
--------
>>> board = Board({}, wait=False)
>>> for number, curve in enumerate([[0.9, 0.5], [0.8, 0.6], [0.7, 0.4]]):
...     board.update(number, curve, finished=True)
>>> board.values_at(3, epoch=1)
[0.5, 0.6, 0.4]
>>> reporter = BoardReporter(board, 3, MedianPruner(n_startup_trials=3, n_warmup_epochs=1), "min")
>>> reporter.should_prune(1, [1.0, 0.55])  # 0.55 is worse than the median 0.5
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ._checks import check_int

__all__ = [
    "MedianPruner",
    "check_pruner",
    "worse",
    "best_index",
    "TrialReporter",
    "Board",
    "BoardReporter",
]

_POLL_SECONDS = 0.002


@dataclass(frozen=True)
class MedianPruner:
    """Stop a trial whose best score so far is worse than the earlier trials' median.

    At epoch ``t`` (0-based) with ``t >= n_warmup_epochs``, a trial is pruned when its best
    monitored value so far is worse than the median of the values that at least
    ``n_startup_trials`` earlier trials had at epoch ``t``. So the first ``n_warmup_epochs``
    epochs of a trial, and the first ``n_startup_trials`` trials, always run.

    Examples
    --------
    >>> MedianPruner(n_startup_trials=2).to_spec()
    {'n_startup_trials': 2, 'n_warmup_epochs': 3}
    """

    n_startup_trials: int = 5
    n_warmup_epochs: int = 3

    def __post_init__(self) -> None:
        for name in ("n_startup_trials", "n_warmup_epochs"):
            value = check_int(getattr(self, name), f"MedianPruner {name}")
            if value < 0:
                raise ValueError(f"MedianPruner {name} must be >= 0, got {value}")

    def to_spec(self) -> dict[str, int]:
        return {"n_startup_trials": self.n_startup_trials, "n_warmup_epochs": self.n_warmup_epochs}


def check_pruner(pruner: Any) -> MedianPruner | None:
    if pruner is None or isinstance(pruner, MedianPruner):
        return pruner
    if pruner == "median":
        return MedianPruner()
    raise ValueError(f"pruner must be 'median', a MedianPruner or None, got {pruner!r}")


def worse(a: float, b: float, mode: str) -> bool:
    """True when score ``a`` is worse than ``b`` (``mode`` "max": higher is better)."""
    return a < b if mode == "max" else a > b


def best_index(curve: Sequence[float | None], mode: str) -> int | None:
    """Index of the best finite value (the first one on ties), or None."""
    best = None
    for i, v in enumerate(curve):
        if v is not None and math.isfinite(v) and (best is None or worse(curve[best], v, mode)):
            best = i
    return best


class TrialReporter(Protocol):
    """How a training trial tells its pruner each epoch's value and asks whether to stop.

    ``curve`` is the trial's monitored value per epoch so far (None where not finite).
    """

    def report(self, epoch: int, curve: list[float]) -> None: ...

    def should_prune(self, epoch: int, curve: list[float]) -> bool: ...

    def close(self, curve: list[float]) -> None: ...


class Board:
    """Learning curves of all trials of a search, shared with the worker processes.

    ``store`` maps a trial number to ``(curve, finished)``: a plain dict in one process, a
    ``multiprocessing.Manager`` dict across processes. A trial asking for the earlier trials'
    values at epoch ``t`` waits (``wait=True``) until each of them has reached epoch ``t`` or
    finished, so the answer is the same whatever the timing.
    """

    def __init__(self, store: Any, wait: bool) -> None:
        self.store = store
        self.wait = wait
        self.finished: dict[int, tuple[list, bool]] = {}

    def update(self, number: int, curve: list[float], finished: bool) -> None:
        self.store[number] = (list(curve), finished)

    def _entry(self, number: int) -> tuple[list | None, bool]:
        entry = self.finished.get(number)
        if entry is None:
            entry = self.store.get(number, (None, False))
            if entry[1]:  # a finished curve never changes: fetch it once
                self.finished[number] = entry
        return entry

    def values_at(self, number: int, epoch: int) -> list[float]:
        """Finite values at ``epoch`` of the trials numbered below ``number``."""
        while True:
            values, pending = [], False
            for j in range(number):
                curve, finished = self._entry(j)
                if curve is not None and len(curve) > epoch:
                    if curve[epoch] is not None and math.isfinite(curve[epoch]):
                        values.append(curve[epoch])
                elif not finished and (curve is not None or self.wait):
                    pending = True
            if not (pending and self.wait):
                return values
            time.sleep(_POLL_SECONDS)


class BoardReporter:
    """A :class:`TrialReporter` pruning with the median rule against the board (grid, random)."""

    def __init__(self, board: Board, number: int, pruner: MedianPruner | None, mode: str):
        self.board, self.number, self.pruner, self.mode = board, number, pruner, mode
        board.update(number, [], False)

    def report(self, epoch: int, curve: list[float]) -> None:
        self.board.update(self.number, curve, False)

    def should_prune(self, epoch: int, curve: list[float]) -> bool:
        p = self.pruner
        if p is None or epoch < p.n_warmup_epochs or self.number < p.n_startup_trials:
            return False
        values = self.board.values_at(self.number, epoch)
        if len(values) < max(p.n_startup_trials, 1):
            return False
        best = best_index(curve, self.mode)
        return best is None or worse(curve[best], float(np.median(values)), self.mode)

    def close(self, curve: list[float]) -> None:
        self.board.update(self.number, curve, True)
