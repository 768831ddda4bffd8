"""The input features a network can see: x1, x2, their squares, their product, their sines.

Each feature has a label for the page and the NumPy expression that computes it from the
points ``X`` of shape ``(N, 2)``. The generated Python code writes the same expressions, so the
code and the page feed a network the same bits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: name -> (label shown on the page, expression in ``X`` written into generated code).
FEATURES: dict[str, tuple[str, str]] = {
    "x1": ("X₁", "X[:, 0]"),
    "x2": ("X₂", "X[:, 1]"),
    "x1^2": ("X₁²", "X[:, 0] ** 2"),
    "x2^2": ("X₂²", "X[:, 1] ** 2"),
    "x1x2": ("X₁X₂", "X[:, 0] * X[:, 1]"),
    "sin(x1)": ("sin(X₁)", "np.sin(X[:, 0])"),
    "sin(x2)": ("sin(X₂)", "np.sin(X[:, 1])"),
}

# The same expressions as functions (written out rather than evaluated from the strings above,
# so that no text is ever executed; a test checks that the two agree bit for bit).
_FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda X: X[:, 0],
    "x2": lambda X: X[:, 1],
    "x1^2": lambda X: X[:, 0] ** 2,
    "x2^2": lambda X: X[:, 1] ** 2,
    "x1x2": lambda X: X[:, 0] * X[:, 1],
    "sin(x1)": lambda X: np.sin(X[:, 0]),
    "sin(x2)": lambda X: np.sin(X[:, 1]),
}


def feature_matrix(X: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's inputs: one column per feature in ``names``, in that order.

    Parameters
    ----------
    X : ndarray of shape (N, 2)
        Points (float32 for data, float64 for grids; the dtype is kept).
    names : sequence of str
        Keys of :data:`FEATURES`.

    Returns
    -------
    ndarray of shape (N, len(names))
    """
    return np.column_stack([_FUNCTIONS[name](X) for name in names])


def expression(names: Sequence[str]) -> str:
    """The ``np.column_stack`` call that :func:`feature_matrix` performs, as Python source."""
    return "np.column_stack([" + ", ".join(FEATURES[name][1] for name in names) + "])"


def grid(domain: Sequence[float], resolution: int) -> np.ndarray:
    """Cell centres of a ``resolution`` x ``resolution`` grid over ``domain``, row by row.

    Row 0 is the top of the picture (largest x2), so the page can paint the values in order.

    Parameters
    ----------
    domain : (x1_min, x1_max, x2_min, x2_max)
    resolution : int

    Returns
    -------
    ndarray of shape (resolution**2, 2), float32
    """
    x0, x1, y0, y1 = (float(v) for v in domain)
    step_x, step_y = (x1 - x0) / resolution, (y1 - y0) / resolution
    xs = x0 + step_x * (np.arange(resolution) + 0.5)
    ys = y1 - step_y * (np.arange(resolution) + 0.5)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
