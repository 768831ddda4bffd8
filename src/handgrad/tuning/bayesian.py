"""Bayesian optimization with Optuna's Tree-structured Parzen Estimator (TPE).

TPE splits the finished trials into the best ``gamma`` fraction and the rest, fits densities
``l(x)`` and ``g(x)`` to their parameters and proposes the candidate maximizing
``l(x) / g(x)``. Optuna is an optional extra (``pip install "handgrad[tune]"``), imported
when a search runs.
"""

from __future__ import annotations

import math
import os
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._checks import check_positive, require
from .pruning import MedianPruner
from .runner import TrialContext, collect, spawn_pool, train_trial, trial_seed, worker_threads
from .search import BaseSearch
from .space import Dimension
from .storage import compare_headers, open_optuna_storage

__all__ = ["BayesianSearch"]

_WORKER: dict[str, Any] = {}  # what the initializer gave this worker process


def _optuna() -> Any:
    return require("optuna", "BayesianSearch")


class _QuietOptuna:
    """Optuna logs every trial at INFO level; the search reports trials itself."""

    def __init__(self, optuna: Any) -> None:
        self.optuna = optuna

    def __enter__(self):
        self.level = self.optuna.logging.get_verbosity()
        self.optuna.logging.set_verbosity(self.optuna.logging.WARNING)

    def __exit__(self, *exc):
        self.optuna.logging.set_verbosity(self.level)


class _OptunaReporter:
    """Pruning by an Optuna trial (its study's pruner decides)."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def report(self, epoch: int, curve: list[float]) -> None:
        if curve[-1] is not None and math.isfinite(curve[-1]):
            self.trial.report(curve[-1], epoch)

    def should_prune(self, epoch: int, curve: list[float]) -> bool:
        return bool(self.trial.should_prune())

    def close(self, curve: list[float]) -> None:
        pass


def _optuna_pruner(optuna: Any, pruner: MedianPruner | None) -> Any:
    if pruner is None:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=pruner.n_startup_trials, n_warmup_steps=pruner.n_warmup_epochs
    )


@dataclass(frozen=True)
class _OptunaPlan:
    """How a process reaches the study and draws the next trial."""

    storage: Any
    study_name: str
    direction: str
    space: dict[str, Dimension]
    seed: int
    n_startup_trials: int


def _optuna_trial(optuna: Any, study: Any, ctx: TrialContext, plan: _OptunaPlan) -> dict:
    """Ask the study for a trial, train it, tell the outcome; returns the results row."""
    trial = study.ask()
    # Parameters are drawn at suggest time by ``study.sampler``: a fresh sampler seeded by the
    # trial number makes the same history give the same proposal in any process and after a
    # resume (Optuna does not store its samplers' random state), while two workers asking at
    # once still draw differently.
    sampler_seed = int(np.random.SeedSequence([plan.seed, trial.number, 1]).generate_state(1)[0])
    study.sampler = optuna.samplers.TPESampler(
        seed=sampler_seed, n_startup_trials=plan.n_startup_trials
    )
    state = optuna.trial.TrialState
    try:
        params = {name: dim.suggest(trial, name) for name, dim in plan.space.items()}
        row = train_trial(
            ctx, trial.number, params, trial_seed(plan.seed, trial.number), _OptunaReporter(trial)
        )
    except BaseException:
        study.tell(trial, state=state.FAIL)
        raise
    trial.set_user_attr("handgrad_row", row)
    if row["state"] == "pruned":
        study.tell(trial, state=state.PRUNED)
    elif row["score"] is None:
        study.tell(trial, state=state.FAIL)
    else:
        study.tell(trial, row["score"])
    return row


def _init_optuna_worker(ctx: TrialContext, plan: _OptunaPlan, pruner: MedianPruner | None) -> None:
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=plan.study_name,
        storage=open_optuna_storage(optuna, plan.storage),
        pruner=_optuna_pruner(optuna, pruner),
    )
    _WORKER.update(ctx=ctx, plan=plan, study=study, optuna=optuna)


def _optuna_worker_trial(_: int) -> dict:
    w = _WORKER
    return _optuna_trial(w["optuna"], w["study"], w["ctx"], w["plan"])


class BayesianSearch(BaseSearch):
    """Bayesian optimization with Optuna's TPE sampler (needs ``pip install "handgrad[tune]"``).

    Parameters
    ----------
    build, space, seed, pruner
        See :class:`BaseSearch`; pruning uses Optuna's ``MedianPruner`` with the
        same ``n_startup_trials`` / ``n_warmup_epochs``.
    storage : str, optional
        An Optuna storage URL, e.g. ``"sqlite:///search.db"``: the study lives there and a
        new search on it resumes. Without it the study is kept in memory (in a temporary
        file while ``n_jobs > 1``). One search process per storage: trials left running by
        an interrupted search are marked failed when it resumes.
    study_name : str
        The study's name inside the storage.
    n_startup_trials : int
        Random trials before TPE starts modelling (Optuna's default is 10).

    Attributes
    ----------
    study_ : optuna.Study
        The study after ``search()``.

    Notes
    -----
    With ``n_jobs=1`` the search is reproducible from its seed, across resumes too. With
    ``n_jobs > 1`` the proposals depend on which trials have finished when a worker asks
    (Optuna's constant liar treats the running ones as bad), so they vary from run to run.

    Examples
    --------
    >>> import handgrad as hg
    >>> from handgrad.tuning import BayesianSearch, FloatRange
    >>> (X, y), _ = hg.datasets.moons(n_samples=200)
    >>> search = BayesianSearch({"hidden": [8], "activation": "tanh"},
    ...                         {"learning_rate": FloatRange(1e-2, 1e-1, log=True)},
    ...                         n_startup_trials=2, pruner=None)
    >>> search = search.search(X, y, epochs=15, n_trials=4, monitor="val_accuracy")
    >>> len(search.study_.trials), search.best_score_ > 0.8
    (4, True)
    """

    strategy = "bayes"

    def __init__(
        self,
        build,
        space,
        *,
        seed: int = 0,
        pruner: Any = "median",
        storage: str | None = None,
        study_name: str = "handgrad-search",
        n_startup_trials: int = 10,
    ) -> None:
        super().__init__(build, space, seed=seed, pruner=pruner, storage=None)
        if storage is not None and not isinstance(storage, str):
            raise TypeError(
                f"storage must be an Optuna storage URL such as 'sqlite:///search.db', got "
                f"{type(storage).__name__}"
            )
        self.storage = storage
        if not isinstance(study_name, str) or not study_name:
            raise TypeError(f"study_name must be a non-empty string, got {study_name!r}")
        self.study_name = study_name
        self.n_startup_trials = check_positive(n_startup_trials, "n_startup_trials")
        self.study_ = None

    def _header_extra(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials}

    def search(self, X: Any, y: Any, **kwargs: Any):
        _optuna()  # fail before any work when optuna is missing
        return super().search(X, y, **kwargs)

    search.__doc__ = BaseSearch.search.__doc__

    def _run(
        self, ctx: TrialContext, n_trials: int, n_jobs: int, header: dict, verbose: int
    ) -> None:
        optuna = _optuna()
        with _QuietOptuna(optuna), tempfile.TemporaryDirectory(prefix="handgrad-tune-") as tmp:
            spec = self.storage
            if spec is None and n_jobs > 1:
                spec = ("journal", os.path.join(tmp, "study.log"))
            plan = _OptunaPlan(
                spec,
                self.study_name,
                "maximize" if ctx.mode == "max" else "minimize",
                self.space,
                self.seed,
                self.n_startup_trials,
            )
            study = optuna.create_study(
                storage=open_optuna_storage(optuna, spec),
                study_name=self.study_name,
                direction=plan.direction,
                pruner=_optuna_pruner(optuna, ctx.pruner),
                load_if_exists=True,
            )
            self.study_ = study
            self._prepare_study(optuna, study, header)
            try:
                self._trials(optuna, study, ctx, plan, n_trials, n_jobs, verbose)
            finally:
                self.results_[:] = self._study_rows(study)
                if isinstance(spec, tuple):  # keep the study readable once the file is gone
                    memory = optuna.storages.InMemoryStorage()
                    optuna.copy_study(
                        from_study_name=self.study_name,
                        from_storage=open_optuna_storage(optuna, spec),
                        to_storage=memory,
                    )
                    self.study_ = optuna.load_study(study_name=self.study_name, storage=memory)

    def _prepare_study(self, optuna: Any, study: Any, header: dict) -> None:
        stored = study.user_attrs.get("handgrad_search")
        if stored is None:
            study.set_user_attr("handgrad_search", header)
        else:
            compare_headers(stored, header, f"Optuna study {self.study_name!r}")
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)

    def _trials(self, optuna, study, ctx, plan, n_trials, n_jobs, verbose) -> None:
        done = len(self._study_rows(study))
        self.results_.extend(self._study_rows(study))
        remaining = max(n_trials - done, 0)

        def record(row: dict) -> None:
            self._record(row, n_trials, verbose)

        if n_jobs == 1 or remaining <= 1:
            for _ in range(remaining):
                record(_optuna_trial(optuna, study, ctx, plan))
            return
        n_workers = min(n_jobs, remaining)
        with spawn_pool(n_workers, _init_optuna_worker, (ctx, plan, ctx.pruner)) as pool:
            with worker_threads(n_workers):
                futures = [pool.submit(_optuna_worker_trial, i) for i in range(remaining)]
            collect(pool, futures, record)

    @staticmethod
    def _study_rows(study: Any) -> list[dict]:
        rows = []
        for t in study.get_trials(deepcopy=False):
            row = t.user_attrs.get("handgrad_row")
            if row is not None:
                rows.append({**row, "number": t.number})
        return rows
