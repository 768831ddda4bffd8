"""matplotlib plumbing shared by the plots (internal to the package): choosing a backend,
making a figure or a grid of panels, class colours, and saving a figure atomically.

matplotlib is imported only inside these functions, when a plot is drawn.
"""

from __future__ import annotations

import math
import os
import sys
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "PathLike",
    "WRONG",
    "has_display",
    "backend_is_automatic",
    "pyplot",
    "figure_axes",
    "panel_grid",
    "finish",
    "class_colors",
]

PathLike = str | os.PathLike
WRONG = "tab:red"  # the colour of errors: misclassified titles, the suggested rate, the best trial


def has_display() -> bool:
    """False on Linux without ``DISPLAY`` / ``WAYLAND_DISPLAY``; True on Windows and macOS."""
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def backend_is_automatic(matplotlib: Any) -> bool:
    """True when nobody chose a backend, so matplotlib would pick one itself."""
    if os.environ.get("MPLBACKEND"):
        return False
    getter = getattr(matplotlib.rcParams, "_get_backend_or_none", None)
    if getter is not None:
        return getter() is None
    # Older matplotlib: read the raw entry without triggering backend resolution.
    raw = dict.get(matplotlib.rcParams, "backend")
    return raw is getattr(matplotlib.rcsetup, "_auto_backend_sentinel", None)


def pyplot() -> Any:
    """Import pyplot, choosing Agg when there is no display (see :mod:`handgrad.plotting`)."""
    try:
        import matplotlib
    except ImportError as err:
        raise ImportError(
            "handgrad.plotting needs matplotlib, an optional extra; install it with "
            'pip install "handgrad[plot]" (or pip install matplotlib)'
        ) from err
    if (
        "matplotlib.pyplot" not in sys.modules
        and backend_is_automatic(matplotlib)
        and not has_display()
    ):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_axes(plt: Any, ax: Any, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A new figure of ``figsize`` and its axes, or ``ax`` (checked) and its root figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    return ax.figure.figure, ax  # the root figure, also when ax sits in a subfigure


def panel_grid(plt: Any, count: int, ncols: int, tile: tuple[float, float]) -> tuple[Figure, list]:
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


def finish(fig: Figure, path: PathLike | None) -> Figure:
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


def class_colors(k: int) -> list:
    """``k`` distinct colours: tab10 up to 10 classes, tab20 up to 20, then viridis."""
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if k <= 10 else "tab20" if k <= 20 else "viridis"]
    if k > 20:
        return [cmap(i / (k - 1)) for i in range(k)]
    return [cmap(i) for i in range(k)]
