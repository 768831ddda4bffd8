"""Plots of training and of what a network learned, drawn with matplotlib.

matplotlib is an optional extra (``pip install "handgrad[plot]"``): ``import handgrad`` never
imports it, and this module only imports it when a plot is drawn. On a machine without a
display (no ``DISPLAY`` / ``WAYLAND_DISPLAY`` on Linux) the non-interactive ``Agg`` backend is
selected, unless the user chose a backend (``MPLBACKEND``, ``matplotlibrc``, ``matplotlib.use``)
or pyplot is already imported; with a display matplotlib picks its usual GUI backend.

Every function returns the :class:`matplotlib.figure.Figure` it drew on (close it with
``plt.close(fig)`` when drawing many) and saves it when given ``path=``: as PNG, or as the
format the suffix names (``.pdf``, ``.svg``...). The file is written to a temporary name in the
same folder and then moved into place with ``os.replace``, so a reader never sees half a file;
missing parent folders are created. Functions that draw on one axes also accept ``ax=`` to
draw into an existing figure.

=========================  ==========================================================
function                   draws
=========================  ==========================================================
plot_cost_curves           one cost curve per run (e.g. per learning rate) on one axes
plot_history               loss and each metric, train and validation, one panel each
plot_decision_boundary     class regions of a 2-D classifier and the data points
plot_activations           each activation g(z) and its derivative g'(z) on [-5, 5]
plot_weight_images         the columns of a Dense kernel W as image tiles
plot_confusion_matrix      the confusion matrix with annotated cells
plot_digits                a grid of sample images with labels / predictions
plot_misclassified         a grid of misclassified images, "true -> predicted"
plot_lr_finder             loss against learning rate (log axis) with the suggestion
plot_search_history        a hyperparameter search's score by trial, and the best so far
plot_search_params         a hyperparameter search's score against each parameter
=========================  ==========================================================
"""

from __future__ import annotations

import json
import math
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations as _activations
from .. import metrics as _metrics
from .._validation import as_real_array

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_cost_curves",
    "plot_history",
    "plot_decision_boundary",
    "plot_activations",
    "plot_weight_images",
    "plot_confusion_matrix",
    "plot_digits",
    "plot_misclassified",
    "plot_lr_finder",
    "plot_search_history",
    "plot_search_params",
]

PathLike = str | os.PathLike
#: Image shapes inferred from the number of features of flattened images.
KNOWN_IMAGE_SHAPES = {400: (20, 20), 784: (28, 28), 64: (8, 8)}
_WRONG = "tab:red"


# ------------------------------------------------------------------------ matplotlib plumbing
def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _backend_is_automatic(matplotlib: Any) -> bool:
    """True when nobody chose a backend, so matplotlib would pick one itself."""
    if os.environ.get("MPLBACKEND"):
        return False
    getter = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        return getter() is None
    # Older matplotlib: read the raw entry without triggering backend resolution.
    raw = dict.get(matplotlib.rcParams, "backend")
    return raw is getattr(matplotlib.rcsetup, "_auto_backend_sentinel", None)


def _pyplot() -> Any:
    """Import pyplot, choosing Agg when there is no display (see the module docstring)."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            "handgrad.plotting needs matplotlib, an optional extra; install it with "
            'pip install "handgrad[plot]" (or pip install matplotlib)'
        ) from err
    if (
        "matplotlib.pyplot" not in sys.modules
        and _backend_is_automatic(matplotlib)
        and not _has_display()
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _axes(plt: Any, ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure.figure, ax  # the root figure, also when ax sits in a subfigure


def _grid(plt: Any, count: int, ncols: int, tile: tuple[float, float]) -> tuple[Figure, list]:
    """A figure with ``count`` panels in rows of ``ncols`` (the last row may be short)."""
    ncols = max(1, min(ncols, count))
    nrows = math.ceil(count / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(tile[0] * ncols, tile[1] * nrows + 0.4),
        squeeze=False,
        layout="constrained",
    )
    flat = list(axes.ravel())
    for extra in flat[count:]:
        extra.remove()
    return fig, flat[:count]


def _finish(fig: Figure, path: PathLike | None) -> Figure:
    """Save ``fig`` atomically to ``path`` (PNG unless the suffix names another format)."""
    if path is None:
        return fig
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    target = Path(path)
    fmt = target.suffix[1:].lower() or "png"
    supported = fig.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise ValueError(
            f"path {str(target)!r} has suffix {target.suffix!r}; expected one of: "
            f"{', '.join('.' + k for k in sorted(supported))} (or no suffix for PNG)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as handle:
            fig.savefig(handle, format=fmt)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return fig


# --------------------------------------------------------------------------- input helpers
def _check_positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{argument} must be a positive int, got {value!r}")
    return int(value)


def _as_curve(values: Any, argument: str) -> np.ndarray:
    """A 1-D float curve; NaN/inf are kept (a diverged run shows as a gap)."""
    arr = as_real_array(values, argument).astype(np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{argument} must be a 1-D sequence of numbers, got shape {arr.shape}")
    return arr


def _as_labels(y: Any, argument: str) -> np.ndarray:
    """Integer class labels from labels ``(N,)`` / ``(N, 1)``, scores ``(N, K)`` or
    binary probabilities (thresholded at 0.5)."""
    arr = as_real_array(y, argument)
    if arr.ndim == 2 and arr.shape[1] > 1:
        return arr.argmax(axis=1)
    if arr.ndim > 2 or (arr.ndim == 2 and arr.shape[1] != 1):
        raise ValueError(f"{argument} must be labels (N,) or scores (N, K), got shape {arr.shape}")
    flat = arr.reshape(-1)
    if not np.isfinite(flat).all():
        raise ValueError(f"{argument} contains NaN or inf")
    if np.all(flat == np.round(flat)):
        if flat.min() < 0:
            raise ValueError(f"{argument} labels must be >= 0, got a minimum of {flat.min()}")
        return flat.astype(np.intp)
    if flat.min() >= 0 and flat.max() <= 1:
        return (flat > 0.5).astype(np.intp)
    raise ValueError(
        f"{argument} must hold integer class labels (or probabilities in [0, 1]), "
        f"got non-integer values in [{flat.min()}, {flat.max()}]"
    )


def _check_same_length(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same length, got {len(a)} and {len(b)}"
        )


def _class_name(names: Sequence[str] | None, label: int) -> str:
    return str(label) if names is None else str(names[label])


def _check_class_names(names: Any, labels: Sequence[np.ndarray]) -> list[str] | None:
    if names is None:
        return None
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"class_names must be a list of names, got {type(names).__name__}")
    top = max(int(lab.max()) for lab in labels)
    if top >= len(names):
        raise ValueError(f"class_names has {len(names)} names but the labels go up to {top}")
    return [str(n) for n in names]


def _class_colors(k: int) -> list:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if k <= 10 else "tab20" if k <= 20 else "viridis"]
    if k > 20:
        return [cmap(i / (k - 1)) for i in range(k)]
    return [cmap(i) for i in range(k)]


# ------------------------------------------------------------------------------ cost curves
def _history_curve(history: Any, key: str, argument: str) -> np.ndarray:
    logs = history.history
    if key not in logs:
        raise ValueError(
            f"{argument} has no {key!r} values; it records: {', '.join(sorted(logs)) or 'nothing'}"
        )
    return _as_curve(logs[key], f"{argument}.history[{key!r}]")


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
            return [(None, _as_curve(runs, "runs"))]  # one unlabelled run
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
            else _as_curve(curve, argument)
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
    plt = _pyplot()
    fig, ax = _axes(plt, ax, (6.4, 4.2))
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
    return _finish(fig, path)


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
    ncols = _check_positive_int(ncols, "ncols")
    curves = {
        name: {
            split: _as_curve(logs[key], f"history[{key!r}]")
            for split, key in (("train", name), ("validation", "val_" + name))
            if key in logs
        }
        for name in panels
    }
    plt = _pyplot()
    fig, axes = _grid(plt, len(panels), ncols, (4.2, 3.2))
    for ax, name in zip(axes, panels, strict=True):
        for split, arr in curves[name].items():
            ax.plot(np.arange(1, len(arr) + 1), arr, label=split)
        ax.set_title(name)
        ax.set_xlabel(xlabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    return _finish(fig, path)


# ------------------------------------------------------------------------ decision boundary
def _predict_fn(model: Any) -> Callable[[np.ndarray], Any]:
    predict = getattr(model, "predict", None)
    if callable(predict):
        return predict
    if callable(model):
        return model
    raise TypeError(
        "model must be a handgrad Sequential (anything with .predict) or a callable mapping "
        f"an (N, 2) array to scores (N, K), got {type(model).__name__}"
    )


def _grid_scores(predict, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    points = np.column_stack([xx.ravel(), yy.ravel()])
    scores = as_real_array(predict(points), "the model's output").astype(np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or len(scores) != len(points):
        raise ValueError(
            f"the model must map an ({len(points)}, 2) grid to scores ({len(points)},) or "
            f"({len(points)}, K), got shape {scores.shape}"
        )
    if not np.isfinite(scores).all():
        raise ValueError("the model's output on the plotting grid contains NaN or inf")
    return scores


def _check_points(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray | None]:
    X = as_real_array(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"X must be 2-D data of shape (N, 2) (two features), got shape {X.shape}; "
            "the decision boundary can only be drawn in two dimensions"
        )
    if not np.isfinite(X).all():
        raise ValueError("X contains NaN or inf")
    if y is None:
        return X, None
    labels = _as_labels(y, "y")
    _check_same_length(X, labels, "X", "y")
    return X, labels


def plot_decision_boundary(
    model: Any,
    X: Any,
    y: Any = None,
    resolution: int = 200,
    *,
    threshold: float = 0.5,
    probability: bool = False,
    padding: float = 0.1,
    class_names: Sequence[str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Class regions of a classifier of 2-D inputs, with the data points on top.

    The model is evaluated on a ``resolution x resolution`` grid covering the data (plus
    ``padding`` times its range on every side). With one output (a sigmoid unit, or scores
    of shape ``(N,)``) a point is class 1 when ``score > threshold``, and ``probability=True``
    shades the score itself with the line ``score = threshold``; with ``K >= 2`` outputs the
    class is ``argmax_k score_k``.

    Parameters
    ----------
    model : Sequential or callable
        A handgrad model (its ``predict`` is used) or any function mapping an ``(N, 2)``
        array to scores ``(N,)`` or ``(N, K)``, e.g. a logistic-regression baseline's
        ``predict_proba``.
    X : array (N, 2)
        The data points.
    y : array (N,) or (N, K), optional
        Their labels (or one-hot rows); points are coloured by class.
    resolution : int
        Grid points per axis (at least 2).
    threshold : float
        Decision threshold of a one-output model.
    probability : bool
        For a one-output model, shade the score in [0, 1] instead of the two regions.
    padding : float
        Margin around the data, as a fraction of its range.
    class_names : list of str, optional
        Legend names of the classes.
    title : str, optional
    ax : matplotlib Axes, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 0.0], [1.0, 1.0]]); y = np.array([0, 1])
    >>> fig = plot_decision_boundary(lambda p: p.sum(axis=1) / 2, X, y, resolution=20)
    """
    X, labels = _check_points(X, y)
    resolution = _check_positive_int(resolution, "resolution")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    predict = _predict_fn(model)
    span = np.ptp(X, axis=0)
    margin = padding * np.where(span > 0, span, 1.0)
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    scores = _grid_scores(predict, xx, yy)
    binary = scores.shape[1] == 1
    k = max(2 if binary else scores.shape[1], 0 if labels is None else int(labels.max()) + 1)
    names = _check_class_names(class_names, [np.array([k - 1])])
    plt = _pyplot()
    fig, ax = _axes(plt, ax, (6.0, 5.0))
    colors = _class_colors(k)
    if binary:
        _draw_binary(
            plt, fig, ax, xx, yy, scores[:, 0].reshape(xx.shape), threshold, probability, colors
        )
    else:
        classes = scores.argmax(axis=1).reshape(xx.shape)
        _draw_regions(ax, xx, yy, classes, colors)
    if labels is not None:
        for c in np.unique(labels):
            pts = X[labels == c]
            ax.scatter(
                pts[:, 0],
                pts[:, 1],
                color=colors[c],
                edgecolors="k",
                linewidths=0.5,
                s=18,
                label=_class_name(names, int(c)),
            )
        ax.legend(loc="best")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return _finish(fig, path)


def _draw_regions(ax, xx, yy, classes, colors) -> None:
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(colors)
    ax.pcolormesh(
        xx, yy, classes, cmap=cmap, vmin=-0.5, vmax=len(colors) - 0.5, alpha=0.3, shading="nearest"
    )


def _draw_binary(plt, fig, ax, xx, yy, score, threshold, probability, colors) -> None:
    if not probability:
        _draw_regions(ax, xx, yy, (score > threshold).astype(int), colors)
    else:
        from matplotlib.colors import LinearSegmentedColormap

        cmap = LinearSegmentedColormap.from_list("handgrad_binary", [colors[0], "white", colors[1]])
        lo, hi = min(0.0, score.min()), max(1.0, score.max())
        mesh = ax.pcolormesh(
            xx, yy, score, cmap=cmap, vmin=lo, vmax=hi, alpha=0.6, shading="nearest"
        )
        fig.colorbar(mesh, ax=ax, label="score (P(class 1))")
    if score.min() < threshold < score.max():  # contour warns when the level is out of range
        ax.contour(xx, yy, score, levels=[threshold], colors="k", linewidths=1.0)


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
    ncols = _check_positive_int(ncols, "ncols")
    z = np.linspace(lo, hi, 1001)
    plt = _pyplot()
    fig, axes = _grid(plt, len(funcs), ncols, (3.2, 2.8))
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
    return _finish(fig, path)


def _activation_curves(f, z: np.ndarray):
    if f.derivative is not None:
        return f.forward(z), f.derivative(z), None
    zz = np.column_stack([z, np.zeros_like(z)])
    a = f.forward(zz)
    # Row of the Jacobian for output 1: backward with da = e_1 gives da_1/dz_j.
    jac_row = f.backward(a, np.tile([1.0, 0.0], (len(z), 1)))
    return a[:, 0], jac_row[:, 0], ("softmax([z, 0])$_1$", "$\\partial a_1/\\partial z_1$")


# -------------------------------------------------------------------------------- images
def _infer_image_shape(features: int) -> tuple[int, int]:
    if features in KNOWN_IMAGE_SHAPES:
        return KNOWN_IMAGE_SHAPES[features]
    side = math.isqrt(features)
    if side * side == features:
        return side, side
    raise ValueError(
        f"cannot infer the image shape from {features} features (not a square number); "
        "pass image_shape=(height, width)"
    )


def _check_image_shape(image_shape: Any, features: int, argument: str) -> tuple[int, int]:
    if image_shape is None:
        return _infer_image_shape(features)
    try:
        h, w = (int(v) for v in image_shape)
    except (TypeError, ValueError):
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}") from None
    if h <= 0 or w <= 0 or h * w != features:
        raise ValueError(
            f"image_shape {(h, w)} holds {h * w} pixels but {argument} has {features} "
            "features per image"
        )
    return h, w


def _check_order(order: str) -> str:
    if order not in ("C", "F"):
        raise ValueError(
            f"order must be 'C' (row by row) or 'F' (column by column, as MATLAB), got {order!r}"
        )
    return order


def _as_images(X: Any, image_shape: Any, order: str) -> np.ndarray:
    """Images ``(N, H, W)`` or ``(N, H, W, 3)`` from ``(N, H*W)``, ``(N, H, W)`` or
    ``(N, C, H, W)`` with ``C`` in {1, 3}."""
    arr = as_real_array(X, "X").astype(np.float64)
    order = _check_order(order)
    if arr.ndim == 2:
        h, w = _check_image_shape(image_shape, arr.shape[1], "X")
        if order == "F":
            return arr.reshape(len(arr), w, h).transpose(0, 2, 1)
        return arr.reshape(len(arr), h, w)
    if arr.ndim == 4 and arr.shape[1] in (1, 3):
        arr = arr[:, 0] if arr.shape[1] == 1 else arr.transpose(0, 2, 3, 1)
    elif arr.ndim != 3:
        raise ValueError(
            "X must be flattened images (N, H*W), images (N, H, W) or channels-first images "
            f"(N, C, H, W) with C = 1 or 3, got shape {arr.shape}"
        )
    if image_shape is not None and tuple(image_shape) != arr.shape[1:3]:
        raise ValueError(
            f"image_shape {tuple(image_shape)} does not match X's images {arr.shape[1:3]}"
        )
    return arr


def _show_images(plt, images, titles, colors, ncols, cmap, suptitle) -> Figure:
    ncols = ncols or math.ceil(math.sqrt(len(images)))
    fig, axes = _grid(plt, len(images), ncols, (1.3, 1.45 if titles else 1.3))
    lo, hi = float(images.min()), float(images.max())
    scale = {"cmap": cmap, "vmin": lo, "vmax": hi}
    if images.ndim == 4:  # RGB must be in [0, 1] and takes no colormap
        images, scale = (images - lo) / ((hi - lo) or 1.0), {}
    for i, ax in enumerate(axes):
        ax.imshow(images[i], interpolation="nearest", **scale)
        ax.set_xticks([])
        ax.set_yticks([])
        if titles:
            ax.set_title(titles[i], fontsize=8, color=colors[i])
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _pick(count: int, n: int, seed: int | None) -> np.ndarray:
    n = _check_positive_int(n, "n")
    if seed is None:
        return np.arange(min(n, count))
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(count, size=min(n, count), replace=False))


def plot_digits(
    X: Any,
    y: Any = None,
    image_shape: tuple[int, int] | None = None,
    n: int = 25,
    predictions: Any = None,
    *,
    ncols: int | None = None,
    class_names: Sequence[str] | None = None,
    seed: int | None = None,
    order: str = "C",
    cmap: str = "gray",
    title: str | None = None,
    path: PathLike | None = None,
) -> Figure:
    """A grid of sample images, titled with their labels and/or predictions.

    Titles read ``"7"`` (label), ``"pred 7"`` (prediction) or ``"7 -> 1"`` (label ->
    prediction, red when they differ).

    Parameters
    ----------
    X : array
        Flattened images ``(N, H*W)`` (the shape is inferred for 400 = 20x20, 784 = 28x28,
        64 = 8x8 and any square count), images ``(N, H, W)`` or ``(N, 1, H, W)`` / ``(N, 3, H, W)``.
    y : array (N,) or (N, K), optional
        Labels or one-hot rows.
    image_shape : (int, int), optional
        ``(height, width)`` when it cannot be inferred.
    n : int
        How many images (at most ``N``).
    predictions : array (N,) or (N, K), optional
        Predicted labels or the model's scores (argmax is taken).
    ncols : int, optional
        Images per row (default about ``sqrt(n)``).
    class_names : list of str, optional
    seed : int, optional
        Draw a reproducible random sample instead of the first ``n``.
    order : {"C", "F"}
        How rows were flattened: "C" row by row (NumPy), "F" column by column (MATLAB).
    cmap : str
    title : str, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_digits(np.random.default_rng(0).random((4, 64)), y=[0, 1, 2, 3])
    >>> [a.get_title() for a in fig.axes]
    ['0', '1', '2', '3']
    """
    images = _as_images(X, image_shape, order)
    true = None if y is None else _as_labels(y, "y")
    pred = None if predictions is None else _as_labels(predictions, "predictions")
    for arr, name in ((true, "y"), (pred, "predictions")):
        if arr is not None:
            _check_same_length(images, arr, "X", name)
    names = _check_class_names(class_names, [a for a in (true, pred) if a is not None])
    ncols = None if ncols is None else _check_positive_int(ncols, "ncols")
    idx = _pick(len(images), n, seed)
    titles, colors = _digit_titles(idx, true, pred, names)
    return _finish(_show_images(_pyplot(), images[idx], titles, colors, ncols, cmap, title), path)


def _digit_titles(idx, true, pred, names) -> tuple[list[str] | None, list[str]]:
    colors = ["black"] * len(idx)
    if true is None and pred is None:
        return None, colors
    titles = []
    for j, i in enumerate(idx):
        if pred is None:
            titles.append(_class_name(names, true[i]))
        elif true is None:
            titles.append(f"pred {_class_name(names, pred[i])}")
        else:
            titles.append(f"{_class_name(names, true[i])} -> {_class_name(names, pred[i])}")
            colors[j] = "black" if true[i] == pred[i] else _WRONG
    return titles, colors


def plot_misclassified(
    X: Any,
    y_true: Any,
    y_pred: Any,
    n: int = 25,
    image_shape: tuple[int, int] | None = None,
    *,
    ncols: int | None = None,
    class_names: Sequence[str] | None = None,
    order: str = "C",
    cmap: str = "gray",
    path: PathLike | None = None,
) -> Figure:
    """A grid of the first ``n`` misclassified images, each titled ``"true -> predicted"``.

    The figure's title counts the errors, ``"m of N misclassified"``; with no errors the
    figure says so instead of showing a grid.

    Parameters
    ----------
    X : array
        Images, as for :func:`plot_digits`.
    y_true : array (N,) or (N, K)
        True labels or one-hot rows.
    y_pred : array (N,) or (N, K)
        Predicted labels or the model's scores (argmax is taken; one sigmoid output is
        thresholded at 0.5).
    n, image_shape, ncols, class_names, order, cmap, path
        As for :func:`plot_digits`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    images = _as_images(X, image_shape, order)
    true, pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    _check_same_length(true, pred, "y_true", "y_pred")
    _check_same_length(images, true, "X", "y_true")
    names = _check_class_names(class_names, [true, pred])
    ncols = None if ncols is None else _check_positive_int(ncols, "ncols")
    wrong = np.flatnonzero(true != pred)
    idx = wrong[: _check_positive_int(n, "n")]
    plt = _pyplot()
    header = f"{len(wrong)} of {len(true)} misclassified"
    if len(idx) == 0:
        fig, ax = _axes(plt, None, (4.0, 1.5))
        ax.set_axis_off()
        ax.text(0.5, 0.5, header, ha="center", va="center", transform=ax.transAxes)
        return _finish(fig, path)
    if len(idx) < len(wrong):
        header += f" (first {len(idx)} shown)"
    titles = [f"{_class_name(names, true[i])} -> {_class_name(names, pred[i])}" for i in idx]
    fig = _show_images(plt, images[idx], titles, [_WRONG] * len(idx), ncols, cmap, header)
    return _finish(fig, path)


def plot_weight_images(
    W: Any,
    image_shape: tuple[int, int] | None = (20, 20),
    ncols: int = 5,
    *,
    order: str = "C",
    cmap: str = "gray",
    path: PathLike | None = None,
) -> Figure:
    """The incoming weights of each unit, column ``W[:, j]`` of a Dense kernel, as an image.

    For the 400-25-10 network this shows the 25 hidden units as 20x20 images: a unit
    responds most to inputs shaped like its image. Each tile is scaled on its own,
    symmetric around 0 (``[-max|w_j|, +max|w_j|]``), so 0 is mid-grey.

    Parameters
    ----------
    W : array (fan_in, units) or Dense
        A kernel, or a built Dense layer (its ``params["W"]``).
    image_shape : (int, int) or None
        ``(height, width)`` with ``height * width = fan_in``; None infers a square.
    ncols : int
        Tiles per row.
    order : {"C", "F"}
        How the input images were flattened (see :func:`plot_digits`).
    cmap : str
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> fig = plot_weight_images(np.random.default_rng(0).normal(size=(400, 25)))
    >>> sum(len(a.images) for a in fig.axes)
    25
    """
    W = _kernel(W)
    h, w = _check_image_shape(image_shape, W.shape[0], "W")
    ncols = _check_positive_int(ncols, "ncols")
    tiles = (
        W.T.reshape(-1, w, h).transpose(0, 2, 1)
        if _check_order(order) == "F"
        else (W.T.reshape(-1, h, w))
    )
    plt = _pyplot()
    fig, axes = _grid(plt, len(tiles), ncols, (1.3, 1.3))
    for ax, tile in zip(axes, tiles, strict=True):
        m = float(np.abs(tile).max()) or 1.0
        ax.imshow(tile, cmap=cmap, vmin=-m, vmax=m, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{len(tiles)} units: columns of W as {h}x{w} images")
    return _finish(fig, path)


def _kernel(W: Any) -> np.ndarray:
    params = getattr(W, "params", None)
    if isinstance(params, Mapping):
        if "W" not in params:
            raise ValueError(
                f"layer {getattr(W, 'name', W)!r} has no kernel W (is it built? build it or "
                "fit the model first)"
            )
        W = params["W"]
    arr = as_real_array(W, "W").astype(np.float64)
    if arr.ndim != 2:
        raise ValueError(f"W must be a Dense kernel of shape (fan_in, units), got {arr.shape}")
    return arr


# -------------------------------------------------------------------------- confusion matrix
def _normalized(cm: np.ndarray, normalize: Any) -> np.ndarray:
    mode = "true" if normalize is True else normalize
    if mode is False or mode is None:
        return cm
    axes = {"true": 1, "pred": 0, "all": None}
    if mode not in axes:
        raise ValueError(
            f"normalize must be False, True, 'true', 'pred' or 'all', got {normalize!r}"
        )
    totals = cm.sum(axis=axes[mode], keepdims=axes[mode] is not None)
    # An empty row (a class never seen) stays 0 instead of dividing by zero.
    return np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool | str = False,
    *,
    cmap: str = "Blues",
    title: str | None = None,
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """The confusion matrix ``C[i, j]`` (true class ``i`` predicted as ``j``), annotated.

    Counts come from :func:`handgrad.metrics.confusion_matrix`. ``normalize=True`` (or
    ``"true"``) divides each row by its total (per-class recall on the diagonal), ``"pred"``
    each column (precision), ``"all"`` the whole matrix. The default title gives the accuracy
    ``trace(C) / N``.

    Parameters
    ----------
    y_true : array (N,) or (N, K)
        True labels or one-hot rows.
    y_pred : array (N,) or (N, K)
        Predicted labels or scores (argmax is taken).
    class_names : list of str, optional
        Names of the classes ``0..K-1`` (also fixes ``K``).
    normalize : bool or {"true", "pred", "all"}
    cmap : str
    title : str, optional
    ax : matplotlib Axes, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    >>> [t.get_text() for t in fig.axes[0].texts][:3]
    ['1', '0', '0']
    """
    true, pred = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    _check_same_length(true, pred, "y_true", "y_pred")
    names = _check_class_names(class_names, [true, pred])
    k = len(names) if names is not None else int(max(true.max(), pred.max())) + 1
    cm = _metrics.confusion_matrix(true, pred, num_classes=k)
    values = _normalized(cm, normalize)
    plt = _pyplot()
    fig, ax = _axes(plt, ax, (1.0 + 0.55 * max(k, 4), 0.6 + 0.55 * max(k, 4)))
    image = ax.imshow(values, cmap=cmap, vmin=0, interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    threshold = values.max() / 2
    fmt = "{:d}" if values is cm else "{:.2f}"
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j,
            i,
            fmt.format(v),
            ha="center",
            va="center",
            fontsize=8 if k > 10 else 10,
            color="white" if v > threshold else "black",
        )
    ticks = np.arange(k)
    labels = names if names is not None else [str(t) for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_yticks(ticks, labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title or f"confusion matrix (accuracy {np.trace(cm) / len(true):.1%})")
    return _finish(fig, path)


# --------------------------------------------------------------------------------- LR finder
def _finder_fields(rates: Any, losses: Any, suggestion: Any):
    if isinstance(rates, Mapping) or (hasattr(rates, "rates") and hasattr(rates, "losses")):
        source = rates
        get = source.get if isinstance(source, Mapping) else lambda k: getattr(source, k, None)
        missing = [k for k in ("rates", "losses") if get(k) is None]
        if missing:
            raise ValueError(f"the LR finder result has no {' or '.join(missing)}")
        rates, losses = get("rates"), get("losses")
        suggestion = get("suggestion") if suggestion is None else suggestion
    elif losses is None:
        raise TypeError(
            "plot_lr_finder needs rates and losses: two sequences, or one object / dict with "
            "rates, losses and optionally suggestion"
        )
    return rates, losses, suggestion


def plot_lr_finder(
    rates: Any,
    losses: Sequence[float] | None = None,
    suggestion: float | None = None,
    *,
    clip_divergence: bool = True,
    title: str | None = "learning-rate finder",
    ax: Axes | None = None,
    path: PathLike | None = None,
) -> Figure:
    """Loss against learning rate on a logarithmic rate axis, with the suggested rate marked.

    Parameters
    ----------
    rates : sequence of float, or an LR-finder result
        The learning rates tried (all > 0), or an object with ``.rates``, ``.losses`` and
        ``.suggestion`` attributes, or a dict with those keys.
    losses : sequence of float, optional
        The loss recorded at each rate (same length); NaN / inf (divergence) leave a gap.
    suggestion : float, optional
        The suggested rate: a dashed vertical line and a marker on the curve at the nearest
        rate tried.
    clip_divergence : bool
        When the loss climbs above twice its first value (divergence at high rates), cap
        the y axis at that level so the descent stays readable.
    title : str, optional
    ax : matplotlib Axes, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_lr_finder([1e-4, 1e-3, 1e-2, 1e-1], [2.3, 2.1, 1.2, 5.0], suggestion=1e-2)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    rates, losses, suggestion = _finder_fields(rates, losses, suggestion)
    r, loss = _as_curve(rates, "rates"), _as_curve(losses, "losses")
    _check_same_length(r, loss, "rates", "losses")
    if not (np.isfinite(r).all() and (r > 0).all()):
        raise ValueError("rates must all be positive and finite (they are drawn on a log axis)")
    if not np.isfinite(loss).any():
        raise ValueError("losses has no finite value to draw")
    if suggestion is not None:
        if isinstance(suggestion, bool) or not isinstance(suggestion, (int, float, np.number)):
            raise TypeError(f"suggestion must be a number, got {type(suggestion).__name__}")
        if not (math.isfinite(suggestion) and suggestion > 0):
            raise ValueError(f"suggestion must be a positive finite rate, got {suggestion}")
    plt = _pyplot()
    fig, ax = _axes(plt, ax, (6.4, 4.2))
    ax.plot(r, loss, label="loss")
    if suggestion is not None:
        ax.axvline(suggestion, color=_WRONG, linestyle="--", linewidth=1.0)
        nearest = int(np.argmin(np.abs(np.log(r) - math.log(suggestion))))
        if np.isfinite(loss[nearest]):
            ax.plot(
                [suggestion],
                [loss[nearest]],
                "o",
                color=_WRONG,
                label=f"suggested lr = {suggestion:.3g}",
            )
        ax.legend()
    ax.set_xscale("log")
    finite = loss[np.isfinite(loss)]
    if clip_divergence and finite[0] > 0 and finite.max() > 2 * finite[0]:
        # A diverging tail would squash the interesting part of the curve.
        ax.set_ylim(finite.min() - 0.05 * (2 * finite[0] - finite.min()), 2 * finite[0])
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


# ------------------------------------------------------------------- hyperparameter search
_SEARCH_STYLES = {  # state -> (marker, color, label)
    "complete": ("o", "tab:blue", "complete"),
    "diverged": ("v", _WRONG, "diverged"),
    "pruned": ("x", "tab:gray", "pruned"),
}


def _search_results(search: Any, mode: str | None) -> tuple[list[Mapping], str, str, Mapping]:
    """Rows, monitor name, mode and space of a search object (or of a list of result rows)."""
    rows = getattr(search, "results_", search)
    if isinstance(rows, (str, Mapping)) or not isinstance(rows, Sequence):
        raise TypeError(
            "search must be a GridSearch / RandomSearch / BayesianSearch or a list of result "
            f"rows (dicts), got {type(search).__name__}"
        )
    if not rows:
        raise ValueError("the search has no results yet; call search() first")
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping) or not {"number", "state", "score", "params"} <= set(row):
            raise ValueError(
                f"results[{i}] must be a dict with number, state, score and params, got {row!r}"
            )
    mode = getattr(search, "mode_", None) if mode is None else mode
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max' (lower or higher is better), got {mode!r}")
    monitor = getattr(search, "monitor_", "score")
    return sorted(rows, key=lambda r: r["number"]), monitor, mode, getattr(search, "space", {})


def _search_best(rows: Sequence[Mapping], mode: str) -> Mapping | None:
    best = None
    for row in rows:
        if row["state"] == "pruned" or row["score"] is None:
            continue
        if best is None or (
            row["score"] > best["score"] if mode == "max" else row["score"] < best["score"]
        ):
            best = row
    return best


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
    search : GridSearch, RandomSearch, BayesianSearch or list of dict
        A search after ``search()`` (its ``results_``, ``monitor_`` and ``mode_`` are used),
        or result rows with ``number``, ``state``, ``score`` and ``params``.
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
    rows, monitor, mode, _ = _search_results(search, mode)
    plt = _pyplot()
    fig, ax = _axes(plt, ax, (6.4, 4.2))
    for state, (marker, color, label) in _SEARCH_STYLES.items():
        points = [
            (r["number"], r["score"])
            for r in rows
            if r["state"] == state and r["score"] is not None
        ]
        if points:
            x, y = zip(*points, strict=True)
            ax.plot(x, y, marker, color=color, label=label, linestyle="none")
    running, numbers, best = [], [], None
    for row in rows:
        if row["state"] != "pruned" and row["score"] is not None:
            if best is None or (row["score"] > best if mode == "max" else row["score"] < best):
                best = row["score"]
        if best is not None:
            numbers.append(row["number"])
            running.append(best)
    if running:
        ax.step(numbers, running, where="post", color="black", linewidth=1.0, label="best so far")
    winner = _search_best(rows, mode)
    ax.set_xlabel("trial")
    ax.set_ylabel(monitor)
    if title is None and winner is not None:
        title = f"best {monitor} {winner['score']:.4g} (trial {winner['number']})"
    if title:
        ax.set_title(title)
    ax.legend()
    ax.grid(True, alpha=0.3)
    return _finish(fig, path)


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

    Numeric parameters get a numeric axis (logarithmic for ``log=True`` ranges of the
    search's space); choices of other values (strings, lists such as hidden layer sizes) get
    one tick per value. Pruned trials are grey crosses, the best trial a red star.

    Parameters
    ----------
    search : GridSearch, RandomSearch, BayesianSearch or list of dict
        As for :func:`plot_search_history`.
    params : sequence of str, optional
        The parameters to draw (default: all of them, in the space's order).
    mode : {"min", "max"}, optional
    ncols : int
        Panels per row.
    title : str, optional
    path : str or PathLike, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    rows, monitor, mode, space = _search_results(search, mode)
    ncols = _check_positive_int(ncols, "ncols")
    known = list(space) or list(rows[0]["params"])
    if params is None:
        params = known
    elif isinstance(params, str) or not isinstance(params, Sequence) or not params:
        raise TypeError(f"params must be a non-empty list of parameter names, got {params!r}")
    missing = [p for p in params if p not in known]
    if missing:
        raise ValueError(f"unknown parameter(s) {missing}; the search has: {', '.join(known)}")
    scored = [r for r in rows if r["score"] is not None]
    winner = _search_best(rows, mode)
    plt = _pyplot()
    fig, axes = _grid(plt, len(params), ncols, (4.0, 3.2))
    for ax, name in zip(axes, params, strict=True):
        values = [r["params"].get(name) for r in scored]
        numeric = all(
            isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values
        )
        if numeric:
            position = {i: float(v) for i, v in enumerate(values)}
            if getattr(space.get(name), "log", False):
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
            ax.plot(
                [position[i]], [winner["score"]], "*", color=_WRONG, markersize=14, label="best"
            )
        ax.set_xlabel(name)
        ax.set_ylabel(monitor)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize="small")
    if title:
        fig.suptitle(title)
    return _finish(fig, path)
