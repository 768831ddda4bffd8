"""Decision boundaries: the class regions of a classifier of 2-D inputs, with the data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import as_real_array
from ._figure import PathLike, class_colors, figure_axes, finish, pyplot
from ._inputs import as_labels, check_class_names, check_positive_int, check_same_length, class_name

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_decision_boundary"]


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
    labels = as_labels(y, "y")
    check_same_length(X, labels, "X", "y")
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
    resolution = check_positive_int(resolution, "resolution")
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
    names = check_class_names(class_names, [np.array([k - 1])])
    plt = pyplot()
    fig, ax = figure_axes(plt, ax, (6.0, 5.0))
    colors = class_colors(k)
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
                label=class_name(names, int(c)),
            )
        ax.legend(loc="best")
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return finish(fig, path)


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
