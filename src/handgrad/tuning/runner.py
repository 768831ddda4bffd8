"""Running trials: build, train and score one trial, in this process or in worker processes.

A trial's row records ``number``, ``state`` ("complete", "pruned" or "diverged"), ``score``
(the best monitored value), ``best_epoch`` (1-based), ``epochs`` trained, ``seconds``,
``seed``, ``params`` and the learning ``curve`` (one monitored value per epoch, None where it
was not finite). Trial ``k`` trains with the seed ``SeedSequence([seed, k])``.

Worker processes use the ``spawn`` start method (the same on Linux, macOS and Windows):
everything a trial needs travels once to each worker in a :class:`TrialContext`.
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import math
import multiprocessing
import os
import pickle
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..callbacks import Callback, _check_monitor_logged, _monitor_value  # TODO(arch): public API
from ..model import DivergenceWarning, Sequential
from .data import TrialData
from .pruning import Board, BoardReporter, MedianPruner, TrialReporter, best_index

__all__ = [
    "TrialContext",
    "make_model",
    "fit_settings",
    "train_trial",
    "trial_seed",
    "run_board_trials",
    "spawn_pool",
    "worker_threads",
    "collect",
]


@dataclass(frozen=True)
class TrialContext:
    """Everything a trial needs; pickled once to every worker process."""

    build: Callable[..., Sequential]
    data: TrialData
    monitor: str
    mode: str
    epochs: int
    batch_size: int | None
    pruner: MedianPruner | None


def _accepts_seed(build: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(build).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def make_model(build: Callable[..., Any], params: dict[str, Any], seed: int) -> Sequential:
    """``build(params, seed=seed)`` (or ``build(params)``), checked to be a compiled Sequential."""
    model = (
        build(copy.deepcopy(params), seed=seed)
        if _accepts_seed(build)
        else build(copy.deepcopy(params))
    )
    if not isinstance(model, Sequential):
        raise TypeError(
            f"build must return a handgrad Sequential, got {type(model).__name__} for params "
            f"{params}"
        )
    if model.loss is None:
        raise ValueError(
            "build returned a model that is not compiled; call model.compile(loss, optimizer, "
            "metrics) inside build"
        )
    return model


def fit_settings(ctx: TrialContext, params: Mapping[str, Any]) -> tuple[int, int | None]:
    """Epochs and batch size: a trial's params override the context's (template or search())."""
    epochs = params["epochs"] if params.get("epochs") is not None else ctx.epochs
    batch_size = params["batch_size"] if "batch_size" in params else ctx.batch_size
    return epochs, batch_size


class _TrialCallback(Callback):
    """Records the monitored value each epoch and stops the fit when the trial is pruned."""

    def __init__(self, monitor: str, reporter: TrialReporter) -> None:
        super().__init__()
        self.monitor, self.reporter = monitor, reporter
        self.curve: list[float] = []
        self.pruned = False

    def check_log_keys(self, keys):
        # TODO(arch): public API (callbacks.check_monitor_logged)
        _check_monitor_logged(self.monitor, keys, "the search")

    def on_epoch_end(self, epoch, logs=None):
        # TODO(arch): public API (callbacks.monitor_value)
        value = _monitor_value(logs, self.monitor, "the search")
        self.curve.append(value if math.isfinite(value) else None)
        self.reporter.report(epoch, self.curve)
        last = epoch + 1 >= self.params["epochs"]
        if not last and self.reporter.should_prune(epoch, self.curve):
            self.pruned = True
            self.model.stop_training = True


def train_trial(
    ctx: TrialContext, number: int, params: dict[str, Any], seed: int, reporter: TrialReporter
) -> dict:
    """Build, train and score one trial; returns its results row."""
    start = time.perf_counter()
    callback = _TrialCallback(ctx.monitor, reporter)
    try:
        model = make_model(ctx.build, params, seed)
        epochs, batch_size = fit_settings(ctx, params)
        d = ctx.data
        with warnings.catch_warnings():
            # A diverging configuration is an expected outcome of a search, shown as its state.
            warnings.simplefilter("ignore", DivergenceWarning)
            history = model.fit(
                d.x,
                d.y,
                epochs=epochs,
                batch_size=batch_size,
                verbose=0,
                validation_data=(d.x_val, d.y_val),
                callbacks=[callback],
            )
    finally:
        reporter.close(callback.curve)
    if history.stopped_reason == "interrupted":  # fit caught Ctrl-C: stop the whole search
        raise KeyboardInterrupt
    curve = callback.curve
    best = best_index(curve, ctx.mode)
    state = (
        "pruned"
        if callback.pruned
        else ("diverged" if history.stopped_reason == "diverged" else "complete")
    )
    return {
        "number": number,
        "state": state,
        "score": None if best is None else curve[best],
        "best_epoch": None if best is None else best + 1,
        "epochs": len(curve),
        "seconds": round(time.perf_counter() - start, 4),
        "seed": int(model.seed),
        "params": params,
        "curve": curve,
    }


def trial_seed(seed: int, number: int) -> int:
    """The model seed of trial ``number``: ``SeedSequence([seed, number])``."""
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


# ------------------------------------------------------------------------ worker processes
_WORKER: dict[str, Any] = {}  # what the initializer gave this worker process


def _init_board_worker(ctx: TrialContext, store: Any) -> None:
    _WORKER.update(ctx=ctx, board=Board(store, wait=True))


def _board_worker_trial(job: tuple[int, dict[str, Any], int]) -> dict:
    number, params, seed = job
    ctx, board = _WORKER["ctx"], _WORKER["board"]
    return train_trial(
        ctx, number, params, seed, BoardReporter(board, number, ctx.pruner, ctx.mode)
    )


def spawn_pool(n_workers: int, initializer, initargs) -> ProcessPoolExecutor:
    build = initargs[0].build
    try:
        pickle.dumps(build)
    except (pickle.PicklingError, TypeError, AttributeError) as err:
        raise TypeError(
            f"n_jobs > 1 runs trials in other processes, so build must be picklable: a "
            f"module-level function, not a lambda or a nested function (got {build!r}: {err})"
        ) from None
    return ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def worker_threads(n_workers: int):
    """Share the CPUs among the workers' BLAS thread pools (unless the user set a limit).

    The variables are read when a worker starts, which happens while the jobs are submitted.
    """
    threads = str(max(1, (os.cpu_count() or 1) // n_workers))
    added = [name for name in _THREAD_VARIABLES if name not in os.environ]
    os.environ.update(dict.fromkeys(added, threads))
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def collect(pool: ProcessPoolExecutor, futures: list, record: Callable[[dict], None]) -> None:
    """Record each finished trial; on an error or Ctrl-C cancel the trials not yet started."""
    try:
        for future in as_completed(futures):
            record(future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise


def run_board_trials(
    ctx: TrialContext,
    jobs: Sequence[tuple[int, dict[str, Any], int]],
    curves: dict[int, tuple[list, bool]],
    n_jobs: int,
    record: Callable[[dict], None],
) -> None:
    """Train the ``(number, params, seed)`` jobs, pruned against a board; ``record`` each row.

    ``curves`` holds the stored trials' finished curves. With ``n_jobs > 1`` the jobs run in
    that many spawned processes sharing the board through a ``multiprocessing.Manager``.
    """
    if n_jobs == 1 or len(jobs) <= 1:
        board = Board(curves, wait=False)
        for number, params, seed in jobs:
            reporter = BoardReporter(board, number, ctx.pruner, ctx.mode)
            record(train_trial(ctx, number, params, seed, reporter))
        return
    n_workers = min(n_jobs, len(jobs))
    with contextlib.ExitStack() as stack:
        store: Any = curves  # without pruning, no trial reads the others' curves
        if ctx.pruner is not None:
            manager = stack.enter_context(multiprocessing.get_context("spawn").Manager())
            store = manager.dict(curves)
        pool = stack.enter_context(spawn_pool(n_workers, _init_board_worker, (ctx, store)))
        with worker_threads(n_workers):
            # Submitted in trial order: a trial only waits for lower-numbered ones, which
            # started before it, so the workers never wait on each other in a cycle.
            futures = [pool.submit(_board_worker_trial, job) for job in jobs]
        collect(pool, futures, record)
