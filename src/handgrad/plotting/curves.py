"""Curves: cost against iteration, a training history panel by panel, activation functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations as _activations
from ._figure import PathLike, figure_axes, finish, panel_grid, pyplot
from ._inputs import as_curve, check_positive_int

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_cost_curves", "plot_history", "plot_activations"]


# ------------------------------------------------------------------------------ cost curves
def _history_curve(history: Any, key: str, argument: str) -> np.ndarray:
    logs = history.history
    if key not in logs:
        raise ValueError(
            f"{argument} has no {key!r} values; it records: {', '.join(sorted(logs)) or 'nothing'}"
        )
    return as_curve(logs[key], f"{argument}.history[{key!r}]")


def _history_label(history: Any, index: int) -> str:
    """``lr=0.5`` from the recorded learning rate, else ``run i``."""
    rates = history.history.get("lr") or []
    if rates and min(rates) == max(rates):
        return f"lr={rates[0]:g}"
    if rates:
        return f"lr={rates[0]:g}..{rates[-1]:g}"
    return f"run {index + 1}"


def _is_history(obj: Any) -> bool:
    return isinstance(getattr(obj, "history", None), Mapping)


def _collect_runs(runs: Any, key: str) -> list[tuple[str | None, np.ndarray]]:
    if _is_history(runs):
        runs = [runs]
    if isinstance(runs, Mapping):
        items = [(str(label), curve) for label, curve in runs.items()]
    elif isinstance(runs, (Sequence, np.ndarray)) and not isinstance(runs, str):
        if len(runs) and all(isinstance(v, (int, float, np.number)) for v in runs):
            return [(None, as_curve(runs, "runs"))]  # one unlabelled run
        items = []
        for i, run in enumerate(runs):
            if isinstance(run, tuple) and len(run) == 2 and isinstance(run[0], str):
                items.append(run)
            elif _is_history(run):
                items.append((_history_label(run, i), run))
            else:
                items.append((f"run {i + 1}", run))
    else:
        raise TypeError(
            "runs must map labels to costs (e.g. {'lr=0.5': costs}) or be a list of History "
            f"objects or (label, costs) pairs, got {type(runs).__name__}"
        )
    if not items:
        raise ValueError("runs is empty; give at least one run")
    out = []
    for label, curve in items:
        argument = f"runs[{label!r}]"
        arr = (
            _history_curve(curve, key, argument)
            if _is_history(curve)
            else as_curve(curve, argument)
        )
        out.append((label, arr))
    return out


def plot_cost_curves(
    runs: Any,
    xlabel: str = "iteration",
    ylabel: str = "cost",
    title: str | None = None,
    log_y: bool = False,
    *,
    key: str = "loss",
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Cost against iteration for several runs on one axes, one labelled curve per run.

    The assignment's "cost vs iteration for several learning rates": run ``r`` is drawn as
    the points ``(i, cost_r[i-1])`` for ``i = 1..len(cost_r)``.

    Parameters
    ----------
    runs : mapping, list or History
        ``{label: costs}`` where ``costs`` is a sequence of numbers or a
        :class:`handgrad.callbacks.History`; or a list of History objects (labelled by their
        recorded learning rate, ``lr=0.5``) or of ``(label, costs)`` pairs; or one sequence of
        costs. NaN / inf costs (a diverged run) leave a gap.
    xlabel, ylabel, title : str
        Axis labels and an optional title.
    log_y : bool
        Logarithmic cost axis (every run needs a positive cost).
    key : str
        Which History entry to draw (``"loss"``, ``"val_loss"``, ``"accuracy"``...).
    ax : matplotlib Axes, optional
        Draw into this axes instead of a new figure.
    path : str or PathLike, optional
        Save the figure there (PNG unless the suffix says otherwise).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_cost_curves({"lr=0.1": [2.3, 1.9, 1.6], "lr=1": [2.3, 1.1, 0.7]})
    >>> len(fig.axes[0].lines)
    2
    """
    curves = _collect_runs(runs, key)
    if log_y:
        for label, arr in curves:
            if not np.any(np.isfinite(arr) & (arr > 0)):
                raise ValueError(f"log_y=True needs positive costs, but run {label!r} has none")
    plt = pyplot()
    fig, ax = figure_axes(plt, ax, (6.4, 4.2))
    for label, arr in curves:
        ax.plot(np.arange(1, len(arr) + 1), arr, label=label)
    if log_y:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if any(label is not None for label, _ in curves):
        ax.legend()
    ax.grid(True, alpha=0.3)
    return finish(fig, path)


# ---------------------------------------------------------------------------------- history
def _history_panels(logs: Mapping[str, Any], metrics: Any) -> list[str]:
    bases = list(dict.fromkeys(k[4:] if k.startswith("val_") else k for k in logs))
    if metrics is None:
        chosen = [b for b in bases if b not in ("loss", "lr")]
    else:
        chosen = [metrics] if isinstance(metrics, str) else list(metrics)
        for name in chosen:
            if name not in bases:
                raise ValueError(
                    f"metric {name!r} is not in the history; it records: {', '.join(bases)}"
                )
    panels = (["loss"] if "loss" in bases else []) + [m for m in chosen if m != "loss"]
    if not panels:
        raise ValueError("history is empty: it records no loss and no metrics")
    return panels


def plot_history(
    history: Any,
    metrics: Sequence[str] | str | None = None,
    *,
    xlabel: str = "epoch",
    ncols: int = 3,
    path: PathLike | None = None,
) -> Figure:
    """Training history: the loss and each metric in its own panel, train and validation.

    Panel ``m`` draws ``history[m]`` (label "train") and ``history["val_" + m]`` (label
    "validation") against the epoch ``1..E``, whichever of the two were recorded.

    Parameters
    ----------
    history : History or mapping
        A :class:`handgrad.callbacks.History` (what ``fit`` returns) or its ``.history``
        dict ``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``.
    metrics : list of str, optional
        Metrics to draw after the loss; default every recorded one except the learning rate
        ``lr`` (name ``"lr"`` explicitly to draw it).
    xlabel : str
        Label of the x axes.
    ncols : int
        Panels per row.
    path : str or PathLike, optional
        Save the figure there.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7],
    ...                     "accuracy": [0.6, 0.8], "val_accuracy": [0.5, 0.7]})
    >>> [a.get_title() for a in fig.axes]
    ['loss', 'accuracy']
    """
    logs = history.history if _is_history(history) else history
    if not isinstance(logs, Mapping):
        raise TypeError(
            f"history must be a History or a dict of lists, got {type(history).__name__}"
        )
    panels = _history_panels(logs, metrics)
    ncols = check_positive_int(ncols, "ncols")
    curves = {
        name: {
            split: as_curve(logs[key], f"history[{key!r}]")
            for split, key in (("train", name), ("validation", "val_" + name))
            if key in logs
        }
        for name in panels
    }
    plt = pyplot()
    fig, axes = panel_grid(plt, len(panels), ncols, (4.2, 3.2))
    for ax, name in zip(axes, panels, strict=True):
        for split, arr in curves[name].items():
            ax.plot(np.arange(1, len(arr) + 1), arr, label=split)
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return finish(fig, path)


# ------------------------------------------------------------------------------ activations
def plot_activations(
    names: Sequence[str] | str | None = None,
    *,
    z_range: tuple[float, float] = (-5.0, 5.0),
    ncols: int = 4,
    path: PathLike | None = None,
) -> Figure:
    """Each activation ``g(z)`` (solid) and its derivative ``g'(z)`` (dashed), one panel each.

    The curves come from the registry, ``handgrad.activations.get(name).forward`` and
    ``.derivative``, on 1001 points of ``z_range``. Softmax has no element-wise derivative;
    its panel shows the first output of the two-class softmax ``a_1 = softmax([z, 0])_1``
    (which equals ``sigmoid(z)``) and the diagonal Jacobian entry ``da_1/dz_1 = a_1 (1 - a_1)``
    computed with the registry's backward rule.

    Parameters
    ----------
    names : list of str, optional
        Activation names (default: all of ``handgrad.activations.names()``).
    z_range : (float, float)
        Interval of ``z``.
    ncols : int
        Panels per row.
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_activations(["sigmoid", "relu"])
    >>> [a.get_title().splitlines()[0] for a in fig.axes]
    ['sigmoid', 'relu']
    """
    if names is None:
        names = _activations.names()
    elif isinstance(names, str):
        names = [names]
    funcs = [_activations.get(name) for name in names]  # unknown names raise ValueError
    if not funcs:
        raise ValueError("names is empty; give at least one activation name")
    lo, hi = (float(v) for v in z_range)
    if not lo < hi:
        raise ValueError(f"z_range must be (low, high) with low < high, got {z_range}")
    ncols = check_positive_int(ncols, "ncols")
    z = np.linspace(lo, hi, 1001)
    plt = pyplot()
    fig, axes = panel_grid(plt, len(funcs), ncols, (3.2, 2.8))
    for ax, f in zip(axes, funcs, strict=True):
        a, da, label = _activation_curves(f, z)
        ax.axhline(0, color="0.7", linewidth=0.8)
        ax.axvline(0, color="0.7", linewidth=0.8)
        ax.plot(z, a, label="g(z)" if label is None else label[0])
        ax.plot(z, da, "--", label="g'(z)" if label is None else label[1])
        ax.set_title(f"{f.name}\n{f.formula}", fontsize=9)
        ax.set_xlabel("z")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    return finish(fig, path)


def _activation_curves(f, z: np.ndarray):
    if f.derivative is not None:
        return f.forward(z), f.derivative(z), None
    zz = np.column_stack([z, np.zeros_like(z)])
    a = f.forward(zz)
    # Row of the Jacobian for output 1: backward with da = e_1 gives da_1/dz_j.
    jac_row = f.backward(a, np.tile([1.0, 0.0], (len(z), 1)))
    return a[:, 0], jac_row[:, 0], ("softmax([z, 0])$_1$", "$\\partial a_1/\\partial z_1$")
