"""The searches: :class:`BaseSearch` (the shared interface), :class:`GridSearch` and
:class:`RandomSearch`.

A search checks its arguments, prepares the data once (:mod:`.data`), turns a template into a
builder (:mod:`.builders`), runs the trials (:mod:`.runner`), keeps them in storage
(:mod:`.storage`) and picks the best: the finished (not pruned) trial with the best score, the
lowest number on ties. Subclasses provide the trials through two hooks: ``_run(ctx, n_trials,
n_jobs, header, verbose)`` runs them, calling ``_record(row, n_trials, verbose)`` for each
finished one, and ``_header_extra()`` adds their settings to the storage header.
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..callbacks import _check_monitor, _resolve_mode  # TODO(arch): public API
from ..io import atomic_write
from ..model import Sequential
from ..plotting import SearchTrials, plot_search_history, plot_search_params
from ._checks import check_positive, check_seed, require
from .builders import TEMPLATE_DEFAULTS, check_template, template_builder
from .data import TrialData, prepare_data
from .pruning import check_pruner, worse
from .report import csv_text, flat_rows, summary_table
from .runner import TrialContext, fit_settings, make_model, run_board_trials, trial_seed
from .space import Choice, space_from_spec, space_spec
from .storage import STORAGE_FORMAT, STORAGE_VERSION, JsonlStorage, objective_name

__all__ = ["BaseSearch", "GridSearch", "RandomSearch"]


class BaseSearch:
    """The interface shared by :class:`GridSearch`, :class:`RandomSearch`, :class:`BayesianSearch`.

    Parameters
    ----------
    build : callable or dict
        ``build(params, seed) -> compiled Sequential`` (a module-level function; the ``seed``
        argument is optional but needed to reproduce a trial), or a template: a dict of
        :data:`TEMPLATE_DEFAULTS` settings (hidden sizes, activation, optimizer,
        learning_rate, l2, dropout, batch_size, epochs...) that :func:`build_mlp` turns into a
        network sized for the data. A trial's parameters override the template's settings;
        ``epochs`` / ``batch_size`` in the parameters or template override ``search()``'s.
    space : dict
        Parameter name -> :class:`Choice` / :class:`IntRange` / :class:`FloatRange`, or the
        JSON form accepted by :func:`space_from_spec`.
    seed : int
        Drives the trials' parameters (random / Bayesian), their model seeds and the
        validation split.
    pruner : "median", MedianPruner or None
        Early stopping of bad trials (see :mod:`handgrad.tuning`); None trains every trial to
        the end.
    storage : str or PathLike, optional
        Where finished trials are kept so an interrupted search resumes without repeating
        them.
    """

    strategy = ""

    def __init__(
        self,
        build: Callable[..., Sequential] | Mapping[str, Any],
        space: Mapping[str, Any],
        *,
        seed: int = 0,
        pruner: Any = "median",
        storage: Any = None,
    ) -> None:
        if isinstance(build, Mapping):
            build = check_template(build)
        elif not callable(build):
            raise TypeError(
                f"build must be a function build(params, seed) -> compiled Sequential or a "
                f"template dict, got {type(build).__name__}"
            )
        self.build = build
        self.space = space_from_spec(space)
        if isinstance(build, dict):
            unknown = sorted(set(self.space) - set(TEMPLATE_DEFAULTS))
            if unknown:
                raise ValueError(
                    f"search space parameter(s) {unknown} are not template settings; settings "
                    f"are: {', '.join(TEMPLATE_DEFAULTS)} (or pass a build function)"
                )
        self.seed = check_seed(seed)
        self.pruner = check_pruner(pruner)
        if storage is not None and not isinstance(storage, (str, os.PathLike)):
            raise TypeError(f"storage must be a path or None, got {type(storage).__name__}")
        self.storage = storage
        self.results_: list[dict] = []
        self.best_params_: dict[str, Any] | None = None
        self.best_score_: float | None = None
        self.best_trial_: dict | None = None
        self.best_model_: Sequential | None = None

    # ------------------------------------------------------------------------ the search
    def search(
        self,
        X: Any,
        y: Any,
        *,
        validation_data: tuple | None = None,
        validation_split: float = 0.2,
        epochs: int = 10,
        batch_size: int | None = 32,
        n_trials: int | None = None,
        n_jobs: int = 1,
        monitor: str = "val_loss",
        mode: str = "auto",
        refit: bool = True,
        verbose: int = 0,
    ):
        """Run the trials not yet in storage, up to ``n_trials`` in all; returns ``self``.

        Parameters
        ----------
        X, y : arrays
            Training data, batch-first.
        validation_data : (X_val, y_val), optional
            Scores every trial; otherwise ``validation_split`` of ``(X, y)`` is held out
            (stratified by class, the same split for every trial).
        epochs, batch_size : int
            Fit settings (a trial's parameters or the template may override them).
        n_trials : int, optional
            Total number of trials, stored ones included (grid: default the whole grid).
        n_jobs : int
            Worker processes (``-1``: one per CPU).
        monitor : str
            The epoch log that scores a trial, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode : {"auto", "min", "max"}
            ``"auto"``: max for accuracy-like names, min otherwise.
        refit : bool
            Retrain the best trial (same seed, ``best_epoch`` epochs) into ``best_model_``.
        verbose : {0, 1}
            1 prints a line per finished trial.
        """
        # TODO(arch): public API (callbacks.check_monitor, callbacks.resolve_mode)
        monitor = _check_monitor(monitor, "search")
        mode = _resolve_mode(monitor, mode, "search")
        epochs = check_positive(epochs, "epochs")
        batch_size = check_positive(batch_size, "batch_size", allow_none=True)
        n_jobs = self._check_n_jobs(n_jobs)
        n_trials = self._check_n_trials(n_trials)
        if verbose not in (0, 1):
            raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
        data = prepare_data(X, y, validation_data, validation_split, self.seed)
        build = self._objective(data)
        if isinstance(self.build, dict):  # the template's fit settings replace search()'s
            if self.build.get("epochs") is not None:
                epochs = check_positive(self.build["epochs"], "template['epochs']")
            if "batch_size" in self.build:
                batch_size = check_positive(
                    self.build["batch_size"], "template['batch_size']", allow_none=True
                )
        ctx = TrialContext(build, data, monitor, mode, epochs, batch_size, self.pruner)
        self.monitor_, self.mode_ = monitor, mode
        header = self._header(ctx)
        self.results_, self.best_model_ = [], None
        self._ctx = ctx
        try:
            self._run(ctx, n_trials, n_jobs, header, verbose)
        finally:
            self.results_.sort(key=lambda r: r["number"])
        self._set_best()
        if refit:
            self.best_model_ = self.refit_best()
        return self

    def _objective(self, data: TrialData) -> Callable[..., Sequential]:
        if not isinstance(self.build, dict):
            return self.build
        return template_builder(self.build, self.space, data)

    def _header(self, ctx: TrialContext) -> dict[str, Any]:
        """What storage records about the search, so a resume can check it is the same one."""
        return {
            "format": STORAGE_FORMAT,
            "version": STORAGE_VERSION,
            "strategy": self.strategy,
            "space": space_spec(self.space),
            "seed": self.seed,
            "objective": objective_name(self.build),
            "monitor": ctx.monitor,
            "mode": ctx.mode,
            "epochs": ctx.epochs,
            "batch_size": ctx.batch_size,
            "pruner": None if self.pruner is None else self.pruner.to_spec(),
            "data": ctx.data.fingerprint(),
            **self._header_extra(),
        }

    def _check_n_jobs(self, n_jobs: Any) -> int:
        if n_jobs == -1:
            return os.cpu_count() or 1
        return check_positive(n_jobs, "n_jobs (or -1 for one per CPU)")

    def _check_n_trials(self, n_trials: Any) -> int:
        return check_positive(10 if n_trials is None else n_trials, "n_trials")

    def _header_extra(self) -> dict[str, Any]:
        return {}

    def _record(self, row: dict, n_trials: int, verbose: int) -> None:
        self.results_.append(row)
        if verbose:
            score = "-" if row["score"] is None else f"{row['score']:.4f}"
            print(
                f"trial {row['number'] + 1}/{n_trials}  {row['state']:<8}  {self.monitor_}="
                f"{score}  {row['epochs']} epochs  {row['seconds']:.2f}s  "
                f"{json.dumps(row['params'])}",
                flush=True,
            )

    # -------------------------------------------------------------------------- the best
    def _set_best(self) -> None:
        eligible = [r for r in self.results_ if r["state"] != "pruned" and r["score"] is not None]
        if not eligible:
            self.best_trial_ = self.best_params_ = self.best_score_ = None
            return
        best = eligible[0]
        for row in eligible[1:]:
            if worse(best["score"], row["score"], self.mode_):
                best = row
        self.best_trial_ = best
        self.best_params_ = copy.deepcopy(best["params"])
        self.best_score_ = best["score"]

    def refit_best(self) -> Sequential:
        """Retrain the best trial: same parameters and seed, ``best_epoch`` epochs.

        The returned model's validation score equals ``best_score_``.
        """
        if self.best_trial_ is None:
            raise ValueError("no trial finished with a finite score; nothing to refit")
        ctx, best = self._ctx, self.best_trial_
        model = make_model(ctx.build, best["params"], best["seed"])
        if model.seed != best["seed"]:
            raise ValueError(
                f"build gave a model with seed {model.seed} but the best trial used seed "
                f"{best['seed']}; accept a seed argument, build(params, seed), and pass it to "
                "Sequential(seed=seed) so trials can be retrained"
            )
        _, batch_size = fit_settings(ctx, best["params"])
        d = ctx.data
        model.fit(
            d.x,
            d.y,
            epochs=best["best_epoch"],
            batch_size=batch_size,
            verbose=0,
            validation_data=(d.x_val, d.y_val),
        )
        return model

    # --------------------------------------------------------------------------- reports
    def _rows(self) -> list[dict]:
        if not self.results_:
            raise ValueError("the search has no results yet; call search() first")
        return self.results_

    def _flat_rows(self) -> list[dict[str, Any]]:
        return flat_rows(self._rows(), list(self.space))

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the results table (one row per trial, ``params_<name>`` columns) atomically."""
        text = csv_text(self._flat_rows())
        atomic_write(path, lambda f: f.write(text.encode()))

    def to_dataframe(self):
        """The results table as a pandas DataFrame (needs pandas)."""
        pandas = require("pandas", "to_dataframe()", "pip install pandas")
        return pandas.DataFrame(self._flat_rows())

    def summary(self, print_fn: Callable[[str], Any] | None = print) -> str:
        """Print (and return) the results table, best trial marked with ``*``."""
        best = None if self.best_trial_ is None else self.best_trial_["number"]
        text = summary_table(self._flat_rows(), list(self.space), self.monitor_, best)
        if print_fn is not None:
            print_fn(text)
        return text

    # ----------------------------------------------------------------------------- plots
    def search_trials(self) -> SearchTrials:
        """The trials as plain data, what :mod:`handgrad.plotting`'s search plots draw."""
        return SearchTrials(
            trials=self._rows(),
            monitor=self.monitor_,
            mode=self.mode_,
            params=tuple(self.space),
            log_params=frozenset(name for name, dim in self.space.items() if dim.log),
        )

    def plot_history(self, **kwargs: Any):
        """Score by trial and best so far: :func:`handgrad.plotting.plot_search_history`."""
        return plot_search_history(self.search_trials(), **kwargs)

    def plot_params(self, **kwargs: Any):
        """Score against each parameter: :func:`handgrad.plotting.plot_search_params`."""
        return plot_search_params(self.search_trials(), **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(space={list(self.space)}, seed={self.seed})"


class _IndexedSearch(BaseSearch):
    """Grid and random search: trial ``k``'s parameters are a function of ``k`` alone."""

    def _params(self, number: int) -> dict[str, Any]:
        raise NotImplementedError

    def _run(
        self, ctx: TrialContext, n_trials: int, n_jobs: int, header: dict, verbose: int
    ) -> None:
        storage = None if self.storage is None else JsonlStorage(self.storage, header)
        stored: dict[int, dict] = {}
        for row in storage.load() if storage else []:
            stored.setdefault(row["number"], row)  # a trial stored twice counts once
        self.results_.extend(stored.values())
        jobs = [
            (k, self._params(k), trial_seed(self.seed, k))
            for k in range(n_trials)
            if k not in stored
        ]

        def record(row: dict) -> None:
            if storage:
                storage.append(row)
            self._record(row, n_trials, verbose)

        curves = {number: (row["curve"], True) for number, row in stored.items()}
        run_board_trials(ctx, jobs, curves, n_jobs, record)


class GridSearch(_IndexedSearch):
    """Try every combination of the space's values (exhaustive search).

    Parameters
    ----------
    build, space, seed, pruner, storage
        See :class:`BaseSearch`; ``storage`` is a JSON-lines file path.
    grid_points : int
        Values per range: evenly spaced (geometrically when ``log=True``), ends included;
        an integer range with fewer values contributes all of them.

    Examples
    --------
    >>> import handgrad as hg
    >>> from handgrad.tuning import GridSearch, Choice
    >>> (X, y), _ = hg.datasets.moons(n_samples=200)
    >>> search = GridSearch({"hidden": [8], "activation": "tanh"},
    ...                     {"learning_rate": Choice([0.05, 1e-5])}, pruner=None)
    >>> search.search(X, y, epochs=15, monitor="val_accuracy").best_params_
    {'learning_rate': 0.05}
    """

    strategy = "grid"

    def __init__(
        self,
        build,
        space,
        *,
        grid_points: int = 3,
        seed: int = 0,
        pruner: Any = "median",
        storage: Any = None,
    ) -> None:
        super().__init__(build, space, seed=seed, pruner=pruner, storage=storage)
        self.grid_points = check_positive(grid_points, "grid_points")
        if self.grid_points < 2 and any(not isinstance(d, Choice) for d in self.space.values()):
            raise ValueError(f"grid_points must be >= 2 for ranges, got {self.grid_points}")
        self.axes = {name: dim.grid(self.grid_points) for name, dim in self.space.items()}

    @property
    def n_points(self) -> int:
        """Number of grid points (combinations)."""
        return math.prod(len(v) for v in self.axes.values())

    def _params(self, number: int) -> dict[str, Any]:
        params, rest = {}, number
        for name, values in reversed(list(self.axes.items())):  # last axis varies fastest
            rest, i = divmod(rest, len(values))
            params[name] = copy.deepcopy(values[i])
        return {name: params[name] for name in self.axes}

    def _check_n_trials(self, n_trials: Any) -> int:
        if n_trials is None:
            return self.n_points
        n_trials = check_positive(n_trials, "n_trials")
        if n_trials > self.n_points:
            raise ValueError(f"n_trials={n_trials} exceeds the {self.n_points} grid points")
        return n_trials

    def _header_extra(self) -> dict[str, Any]:
        return {"grid_points": self.grid_points}


class RandomSearch(_IndexedSearch):
    """Draw each trial's parameters at random (uniform, log-uniform for ``log`` ranges).

    Trial ``k`` draws from ``default_rng([seed, 1, k])``, so it gets the same parameters in any
    run, in any process and after a resume. ``storage`` is a JSON-lines file path.

    Examples
    --------
    >>> import handgrad as hg
    >>> from handgrad.tuning import RandomSearch, FloatRange
    >>> (X, y), _ = hg.datasets.moons(n_samples=200)
    >>> search = RandomSearch({"hidden": [8], "activation": "tanh"},
    ...                       {"learning_rate": FloatRange(1e-2, 1e-1, log=True)}, seed=1)
    >>> search = search.search(X, y, epochs=15, n_trials=3, monitor="val_accuracy")
    >>> [row["state"] for row in search.results_], search.best_score_ > 0.8
    (['complete', 'complete', 'complete'], True)
    >>> sorted(search.best_params_)
    ['learning_rate']
    """

    strategy = "random"

    def _params(self, number: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, 1, number])
        return {name: dim.sample(rng) for name, dim in self.space.items()}
