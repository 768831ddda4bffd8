"""Images: sample digits, misclassified ones, a Dense kernel's columns, the confusion matrix."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import metrics as _metrics
from .._validation import as_real_array
from ._figure import WRONG, PathLike, figure_axes, finish, panel_grid, pyplot
from ._inputs import as_labels, check_class_names, check_positive_int, check_same_length, class_name

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "KNOWN_IMAGE_SHAPES",
    "plot_digits",
    "plot_misclassified",
    "plot_weight_images",
    "plot_confusion_matrix",
]

#: Image shapes inferred from the number of features of flattened images.
KNOWN_IMAGE_SHAPES = {400: (20, 20), 784: (28, 28), 64: (8, 8)}


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
    fig, axes = panel_grid(plt, len(images), ncols, (1.3, 1.45 if titles else 1.3))
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
    n = check_positive_int(n, "n")
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
    true = None if y is None else as_labels(y, "y")
    pred = None if predictions is None else as_labels(predictions, "predictions")
    for arr, name in ((true, "y"), (pred, "predictions")):
        if arr is not None:
            check_same_length(images, arr, "X", name)
    names = check_class_names(class_names, [a for a in (true, pred) if a is not None])
    ncols = None if ncols is None else check_positive_int(ncols, "ncols")
    idx = _pick(len(images), n, seed)
    titles, colors = _digit_titles(idx, true, pred, names)
    return finish(_show_images(pyplot(), images[idx], titles, colors, ncols, cmap, title), path)


def _digit_titles(idx, true, pred, names) -> tuple[list[str] | None, list[str]]:
    colors = ["black"] * len(idx)
    if true is None and pred is None:
        return None, colors
    titles = []
    for j, i in enumerate(idx):
        if pred is None:
            titles.append(class_name(names, true[i]))
        elif true is None:
            titles.append(f"pred {class_name(names, pred[i])}")
        else:
            titles.append(f"{class_name(names, true[i])} -> {class_name(names, pred[i])}")
            colors[j] = "black" if true[i] == pred[i] else WRONG
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

    Examples
    --------
    >>> import numpy as np
    >>> X = np.random.default_rng(0).random((4, 64))
    >>> fig = plot_misclassified(X, [0, 1, 2, 3], [0, 2, 2, 0])
    >>> [a.get_title() for a in fig.axes]
    ['1 -> 2', '3 -> 0']
    """
    images = _as_images(X, image_shape, order)
    true, pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    check_same_length(true, pred, "y_true", "y_pred")
    check_same_length(images, true, "X", "y_true")
    names = check_class_names(class_names, [true, pred])
    ncols = None if ncols is None else check_positive_int(ncols, "ncols")
    wrong = np.flatnonzero(true != pred)
    idx = wrong[: check_positive_int(n, "n")]
    plt = pyplot()
    header = f"{len(wrong)} of {len(true)} misclassified"
    if len(idx) == 0:
        fig, ax = figure_axes(plt, None, (4.0, 1.5))
        ax.set_axis_off()
        ax.text(0.5, 0.5, header, ha="center", va="center", transform=ax.transAxes)
        return finish(fig, path)
    if len(idx) < len(wrong):
        header += f" (first {len(idx)} shown)"
    titles = [f"{class_name(names, true[i])} -> {class_name(names, pred[i])}" for i in idx]
    fig = _show_images(plt, images[idx], titles, [WRONG] * len(idx), ncols, cmap, header)
    return finish(fig, path)


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
    ncols = check_positive_int(ncols, "ncols")
    tiles = (
        W.T.reshape(-1, w, h).transpose(0, 2, 1)
        if _check_order(order) == "F"
        else (W.T.reshape(-1, h, w))
    )
    plt = pyplot()
    fig, axes = panel_grid(plt, len(tiles), ncols, (1.3, 1.3))
    for ax, tile in zip(axes, tiles, strict=True):
        m = float(np.abs(tile).max()) or 1.0
        ax.imshow(tile, cmap=cmap, vmin=-m, vmax=m, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{len(tiles)} units: columns of W as {h}x{w} images")
    return finish(fig, path)


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
    true, pred = as_labels(y_true, "y_true"), as_labels(y_pred, "y_pred")
    check_same_length(true, pred, "y_true", "y_pred")
    names = check_class_names(class_names, [true, pred])
    k = len(names) if names is not None else int(max(true.max(), pred.max())) + 1
    cm = _metrics.confusion_matrix(true, pred, num_classes=k)
    values = _normalized(cm, normalize)
    plt = pyplot()
    fig, ax = figure_axes(plt, ax, (1.0 + 0.55 * max(k, 4), 0.6 + 0.55 * max(k, 4)))
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
    return finish(fig, path)
