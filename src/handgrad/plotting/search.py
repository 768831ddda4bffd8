"""Hyperparameter search plots: each trial's score by trial number and against its parameters.

The plots read plain data, never a search object's attributes: a :class:`SearchTrials`, a
list of trial records, or any object with a ``search_trials()`` method that returns a
:class:`SearchTrials` (handgrad's ``GridSearch``, ``RandomSearch`` and ``BayesianSearch``
have one).

Examples
--------
>>> trials = [{"number": 0, "state": "complete", "score": 0.9, "params": {"lr": 0.1}},
...           {"number": 1, "state": "pruned", "score": 0.6, "params": {"lr": 1e-4}},
...           {"number": 2, "state": "complete", "score": 0.95, "params": {"lr": 0.01}}]
>>> data = SearchTrials(trials, monitor="val_accuracy", mode="max", log_params={"lr"})
>>> fig = plot_search_history(data)
>>> fig.axes[0].get_title()
'best val_accuracy 0.95 (trial 2)'
>>> fig = plot_search_params(data)
>>> fig.axes[0].get_xscale(), fig.axes[0].get_xlabel()
('log', 'lr')
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._figure import WRONG, PathLike, figure_axes, finish, panel_grid, pyplot
from ._inputs import check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["SearchTrials", "plot_search_history", "plot_search_params"]

_RECORD_KEYS = {"number", "state", "score", "params"}
_SEARCH_STYLES = {  # state -> (marker, color, label)
    "complete": ("o", "tab:blue", "complete"),
    "diverged": ("v", WRONG, "diverged"),
    "pruned": ("x", "tab:gray", "pruned"),
}


@dataclass(frozen=True)
class SearchTrials:
    """A hyperparameter search's trials as plain data: what the search plots draw.

    Parameters
    ----------
    trials : sequence of dict
        One record per trial: ``number`` (int), ``state`` (``"complete"``, ``"pruned"`` or
        ``"diverged"``), ``score`` (a float, or None when no epoch gave a finite value) and
        ``params`` (the values tried, by name); other keys are ignored.
    monitor : str
        What the score is, e.g. ``"val_loss"`` (the y axis label).
    mode : {"min", "max"}, optional
        Whether lower or higher scores are better (a plot's ``mode=`` may give it instead).
    params : sequence of str
        The parameter names, in order; default the first record's.
    log_params : collection of str
        The parameters drawn on a logarithmic axis (a search's ``log=True`` ranges).
    """

    trials: Sequence[Mapping[str, Any]]
    monitor: str = "score"
    mode: str | None = None
    params: Sequence[str] = ()
    log_params: Collection[str] = frozenset()


def _search_trials(search: Any) -> SearchTrials:
    if isinstance(search, SearchTrials):
        return search
    to_trials = getattr(search, "search_trials", None)
    if callable(to_trials):
        trials = to_trials()  # a search without results says so here
        if not isinstance(trials, SearchTrials):
            raise TypeError(
                f"{type(search).__name__}.search_trials() must return a SearchTrials, got "
                f"{type(trials).__name__}"
            )
        return trials
    if isinstance(search, (str, Mapping)) or not isinstance(search, Sequence):
        raise TypeError(
            "search must be a search with a search_trials() method (GridSearch, RandomSearch, "
            f"BayesianSearch), a SearchTrials or a list of trial records (dicts), got "
            f"{type(search).__name__}"
        )
    return SearchTrials(search)


def _search_results(search: Any, mode: str | None) -> tuple[list[Mapping], SearchTrials, str]:
    """The trial records sorted by number, the plain data they came in, and the mode."""
    data = _search_trials(search)
    rows = data.trials
    if not rows:
        raise ValueError("the search has no results yet; call search() first")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not _RECORD_KEYS <= set(row):
            raise ValueError(
                f"results[{i}] must be a dict with number, state, score and params, got {row!r}"
            )
    mode = data.mode if mode is None else mode
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max' (lower or higher is better), got {mode!r}")
    return sorted(rows, key=lambda r: r["number"]), data, mode


def _best_so_far(rows: Sequence[Mapping], mode: str) -> list[Mapping | None]:
    """For each trial, in order, the best finished (not pruned, scored) trial up to it.

    None before the first one; on ties the earlier trial stays the best.
    """
    best, leaders = None, []
    for row in rows:
        if row["state"] != "pruned" and row["score"] is not None:
            if best is None or (
                row["score"] > best["score"] if mode == "max" else row["score"] < best["score"]
            ):
                best = row
        leaders.append(best)
    return leaders


def plot_search_history(
    search: Any,
    *,
    mode: str | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Each trial's score in trial order, marked by state, with the best score so far.

    Parameters
    ----------
    search : GridSearch, RandomSearch, BayesianSearch, SearchTrials or list of dict
        A search after ``search()`` (anything with a ``search_trials()`` method), its
        :class:`SearchTrials`, or trial records with ``number``, ``state``, ``score`` and
        ``params`` (the y axis is then labelled ``score``).
    mode : {"min", "max"}, optional
        Whether lower or higher scores are better; taken from the search when omitted.
    title : str, optional
    ax : matplotlib Axes, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
        Complete trials are dots, pruned ones grey crosses, diverged ones red triangles;
        the step line is ``max`` (or ``min``) of the finished trials' scores up to each trial.
    """
    rows, data, mode = _search_results(search, mode)
    monitor = data.monitor
    plt = pyplot()
    fig, ax = figure_axes(plt, ax, (6.4, 4.2))
    for state, (marker, color, label) in _SEARCH_STYLES.items():
        points = [
            (r["number"], r["score"])
            for r in rows
            if r["state"] == state and r["score"] is not None
        ]
        if points:
            x, y = zip(*points, strict=True)
            ax.plot(x, y, marker, color=color, label=label, linestyle="none")
    leaders = _best_so_far(rows, mode)
    steps = [(r["number"], best["score"]) for r, best in zip(rows, leaders, strict=True) if best]
    if steps:
        numbers, running = zip(*steps, strict=True)
        ax.step(numbers, running, where="post", color="black", linewidth=1.0, label="best so far")
    winner = leaders[-1]
    ax.set_xlabel("trial")
    ax.set_ylabel(monitor)
    if title is None and winner is not None:
        title = f"best {monitor} {winner['score']:.4g} (trial {winner['number']})"
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(True, alpha=0.3)
    return finish(fig, path)


def _param_label(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def plot_search_params(
    search: Any,
    params: Sequence[str] | None = None,
    *,
    mode: str | None = None,
    ncols: int = 3,
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """One panel per parameter: each trial's score against the value it tried.

    Numeric parameters get a numeric axis (logarithmic for the ``log_params`` of
    :class:`SearchTrials`: a search's ``log=True`` ranges); choices of other values (strings,
    lists such as hidden layer sizes) get one tick per value. Pruned trials are grey crosses,
    the best trial a red star.

    Parameters
    ----------
    search : GridSearch, RandomSearch, BayesianSearch, SearchTrials or list of dict
        As for :func:`plot_search_history`.
    params : sequence of str, optional
        The parameters to draw (default: all of them, in the search space's order).
    mode : {"min", "max"}, optional
    ncols : int
        Panels per row.
    title : str, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows, data, mode = _search_results(search, mode)
    monitor = data.monitor
    ncols = check_positive_int(ncols, "ncols")
    known = list(data.params) or list(rows[0]["params"])
    if params is None:
        params = known
    elif isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise TypeError(f"params must be a non-empty list of parameter names, got {params!r}")
    missing = [p for p in params if p not in known]
    if missing:
        raise ValueError(f"unknown parameter(s) {missing}; the search has: {', '.join(known)}")
    scored = [r for r in rows if r["score"] is not None]
    winner = _best_so_far(rows, mode)[-1]
    plt = pyplot()
    fig, axes = panel_grid(plt, len(params), ncols, (4.0, 3.2))
    for ax, name in zip(axes, params, strict=True):
        values = [r["params"].get(name) for r in scored]
        numeric = all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        )
        if numeric:
            position = {i: float(v) for i, v in enumerate(values)}
            if name in data.log_params:
                ax.set_xscale("log")
        else:
            labels = list(dict.fromkeys(_param_label(v) for v in values))
            position = {i: labels.index(_param_label(v)) for i, v in enumerate(values)}
            ax.set_xticks(range(len(labels)), labels, rotation=30 if len(labels) > 3 else 0)
            ax.set_xlim(-0.5, len(labels) - 0.5)
        for state, (marker, color, label) in _SEARCH_STYLES.items():
            idx = [i for i, r in enumerate(scored) if r["state"] == state]
            if idx:
                ax.plot(
                    [position[i] for i in idx],
                    [scored[i]["score"] for i in idx],
                    marker,
                    color=color,
                    label=label,
                    linestyle="none",
                    alpha=0.8,
                )
        if winner is not None and winner in scored:
            i = scored.index(winner)
            ax.plot([position[i]], [winner["score"]], "*", color=WRONG, markersize=14, label="best")
        ax.set_xlabel(name)
        ax.set_ylabel(monitor)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return finish(fig, path)
