"""The learning-rate finder's curve: loss against learning rate, with the suggested rate.

:func:`plot_lr_finder` takes two sequences, or one result that has ``rates`` and ``losses``
and optionally ``suggestion``, as attributes (``handgrad.lr_finder.LRFinderResult``) or as
dict keys; it reads nothing else from it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._figure import WRONG, PathLike, figure_axes, finish, pyplot
from ._inputs import as_curve, check_same_length

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["plot_lr_finder"]


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
    r, loss = as_curve(rates, "rates"), as_curve(losses, "losses")
    check_same_length(r, loss, "rates", "losses")
    if not (np.isfinite(r).all() and (r > 0).all()):
        raise ValueError("rates must all be positive and finite (they are drawn on a log axis)")
    if not np.isfinite(loss).any():
        raise ValueError("losses has no finite value to draw")
    if suggestion is not None:
        if isinstance(suggestion, bool) or not isinstance(suggestion, (int, float, np.number)):
            raise TypeError(f"suggestion must be a number, got {type(suggestion).__name__}")
        if not (math.isfinite(suggestion) and suggestion > 0):
            raise ValueError(f"suggestion must be a positive finite rate, got {suggestion}")
    plt = pyplot()
    fig, ax = figure_axes(plt, ax, (6.4, 4.2))
    ax.plot(r, loss, label="loss")
    if suggestion is not None:
        ax.axvline(suggestion, color=WRONG, linestyle="--", linewidth=1.0)
        nearest = int(np.argmin(np.abs(np.log(r) - math.log(suggestion))))
        if np.isfinite(loss[nearest]):
            ax.plot(
                [suggestion],
                [loss[nearest]],
                "o",
                color=WRONG,
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
    return finish(fig, path)
