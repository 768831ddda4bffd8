"""Data augmentation for image batches ``(N, C, H, W)``, and test-time augmentation (TTA).

Training-time augmentation draws a random transform per sample (the notes: "sample rotation
angle from a range, e.g. [-15, 15]; crop at random position; resize to random size and then
crop"). Test-time augmentation applies a *fixed* set of transforms to every test image and
averages the predicted probabilities ("no random operations; crop at fixed position; fixed
angles 15, 0 and -15; fixed sizes; aggregate the results").

Geometry (``p`` an output pixel, ``c = ((H-1)/2, (W-1)/2)`` the image center, rows down)::

    rotation by theta (counter-clockwise as displayed, as scipy.ndimage.rotate / np.rot90):
        source = R(theta) (p - c) + c,     R = [[cos, sin], [-sin, cos]]
    zoom by s (s > 1 enlarges, then the center H x W is kept; s < 1 shrinks and pads):
        source = (p - c) / s + c
    shift by (dy, dx) (content moves dy rows down, dx columns right; crop of a padded image):
        out[i, j] = x[i - dy, j - dx]
    horizontal flip:  out[..., j] = x[..., W - 1 - j]

Rotation and zoom sample the source bilinearly; pixels that come from outside the image take
``fill`` (default 0, the background of digit images). Everything is vectorized over the batch:
one gather per transform, whatever the number of samples.

Building blocks:

* fixed transforms (callables ``t(x) -> x``): :class:`Identity`, :class:`Rotate`,
  :class:`Zoom`, :class:`Shift`, :class:`Flip`;
* random transforms (``t(x, rng) -> x``): :class:`RandomRotation`, :class:`RandomZoom`,
  :class:`RandomShift`, :class:`RandomCrop`, :class:`RandomFlip`, :class:`GaussianNoise`;
* :class:`Compose` (alias :data:`Pipeline`): a seeded list of transforms, called on a batch;
  what ``Sequential.fit(..., augment=...)`` expects;
* :func:`tta_transforms` and :func:`tta_predict` for test-time augmentation.

Examples
--------
>>> import numpy as np
>>> from handgrad.data import augmentation as aug
>>> pipeline = aug.Compose([aug.RandomRotation(15), aug.RandomShift(2)], seed=0)
>>> x = np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32)
>>> pipeline(x).shape, pipeline(x).dtype
((4, 1, 8, 8), dtype('float32'))
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = [
    "Transform",
    "RandomTransform",
    "Identity",
    "Rotate",
    "Zoom",
    "Shift",
    "Flip",
    "RandomRotation",
    "RandomZoom",
    "RandomShift",
    "RandomCrop",
    "RandomFlip",
    "GaussianNoise",
    "Compose",
    "Pipeline",
    "digit_pipeline",
    "tta_transforms",
    "tta_predict",
]


# ----------------------------------------------------------------------------- validation
def _check_images(x: Any, argument: str = "x") -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 4:
        raise ValueError(
            f"{argument} must be a batch of images (N, channels, height, width), got an array "
            f"of shape {arr.shape}; reshape flat images first or give image_shape="
        )
    if arr.dtype.kind != "f":
        raise TypeError(f"{argument} must be a float array, got dtype {arr.dtype}")
    return arr


def _number(value: Any, argument: str, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise TypeError(f"{argument} must be a finite number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{argument} must be >= {minimum}, got {value}")
    return float(value)


def _range(value: Any, argument: str, symmetric_about: float = 0.0) -> tuple[float, float]:
    """``v`` means ``[center - v, center + v]``; a pair ``(lo, hi)`` is taken as is."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{argument} must be a number or a (low, high) pair, got {value!r}")
        lo, hi = (_number(v, argument) for v in value)
        if lo > hi:
            raise ValueError(f"{argument} low must not exceed high, got {value!r}")
        return lo, hi
    v = _number(value, argument, minimum=0.0)
    return symmetric_about - v, symmetric_about + v


def _flag(value: Any, argument: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument} must be True or False, got {value!r}")
    return bool(value)


def _int_pair(value: Any, argument: str) -> tuple[int, int]:
    items = value if isinstance(value, (tuple, list)) else (value, value)
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0 for v in items
    ):
        raise ValueError(f"{argument} must be a non-negative int or a pair of them, got {value!r}")
    return int(items[0]), int(items[1])


# ---------------------------------------------------------------------- vectorized kernels
def affine_sample(x: np.ndarray, matrices: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """Bilinear resampling of every image about its center by a per-sample 2x2 matrix.

    ``out[n, :, p] = x[n, :, A_n (p - c) + c]`` with ``A_n = matrices[n]`` (or one matrix for
    the whole batch), sampled bilinearly; source points outside the image blend with ``fill``.
    """
    n, _, h, w = x.shape
    a = np.broadcast_to(np.asarray(matrices, dtype=np.float64), (n, 2, 2))
    cy, cx = (h - 1) / 2.0, (w - 1) / 2.0
    ii = (np.arange(h) - cy)[None, :, None]
    jj = (np.arange(w) - cx)[None, None, :]
    sy = a[:, 0, 0, None, None] * ii + a[:, 0, 1, None, None] * jj + cy  # (N, H, W)
    sx = a[:, 1, 0, None, None] * ii + a[:, 1, 1, None, None] * jj + cx
    # Round away float noise so exact grid points (e.g. 90-degree turns) stay exact.
    sy, sx = np.round(sy, 9), np.round(sx, 9)
    y0, x0 = np.floor(sy), np.floor(sx)
    wy, wx = (sy - y0).astype(x.dtype), (sx - x0).astype(x.dtype)
    # Indices into x padded by one `fill` pixel on each side; anything further out is clipped
    # onto that border, so it reads `fill` too.
    y0 = np.clip(y0, -1, h).astype(np.intp) + 1
    x0 = np.clip(x0, -1, w).astype(np.intp) + 1
    y1 = np.minimum(y0 + 1, h + 1)
    x1 = np.minimum(x0 + 1, w + 1)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=fill)
    b = np.arange(n)[:, None, None]
    # Advanced indices on axes 0, 2, 3 around the channel slice give (N, H, W, C).
    top = xp[b, :, y0, x0] * (1 - wx)[..., None] + xp[b, :, y0, x1] * wx[..., None]
    bottom = xp[b, :, y1, x0] * (1 - wx)[..., None] + xp[b, :, y1, x1] * wx[..., None]
    out = top * (1 - wy)[..., None] + bottom * wy[..., None]
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2), dtype=x.dtype)


def _rotation_matrices(degrees: np.ndarray) -> np.ndarray:
    t = np.deg2rad(np.asarray(degrees, dtype=np.float64))
    c, s = np.cos(t), np.sin(t)
    return np.stack([np.stack([c, s], -1), np.stack([-s, c], -1)], -2)


def _zoom_matrices(scales: np.ndarray) -> np.ndarray:
    inv = 1.0 / np.asarray(scales, dtype=np.float64)
    zero = np.zeros_like(inv)
    return np.stack([np.stack([inv, zero], -1), np.stack([zero, inv], -1)], -2)


def shift_images(x: np.ndarray, dy: Any, dx: Any, fill: float = 0.0) -> np.ndarray:
    """Integer shifts ``out[i, j] = x[i - dy, j - dx]`` (per sample if ``dy``, ``dx`` are arrays).

    Equivalent to padding by ``max |shift|`` and cropping ``H x W`` at a (per-sample) offset.
    """
    n, _, h, w = x.shape
    dy = np.broadcast_to(np.asarray(dy, dtype=np.intp), (n,))
    dx = np.broadcast_to(np.asarray(dx, dtype=np.intp), (n,))
    my, mx = int(np.abs(dy).max(initial=0)), int(np.abs(dx).max(initial=0))
    xp = np.pad(x, ((0, 0), (0, 0), (my, my), (mx, mx)), constant_values=fill)
    windows = sliding_window_view(xp, (h, w), axis=(2, 3))  # (N, C, 2my+1, 2mx+1, H, W)
    out = windows[np.arange(n), :, my - dy, mx - dx]
    return np.ascontiguousarray(out, dtype=x.dtype)


# ------------------------------------------------------------------------ fixed transforms
class Transform:
    """A deterministic transform: ``t(x) -> x`` on a batch ``(N, C, H, W)``, same shape."""

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.apply(_check_images(x))

    def apply(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Identity(Transform):
    """Returns the batch unchanged (a copy), e.g. the "original image" member of a TTA set."""

    def apply(self, x):
        return x.copy()


class Rotate(Transform):
    """Rotate every image by ``angle`` degrees, counter-clockwise as displayed."""

    def __init__(self, angle: float, fill: float = 0.0) -> None:
        self.angle = _number(angle, "angle")
        self.fill = _number(fill, "fill")

    def apply(self, x):
        return affine_sample(x, _rotation_matrices(self.angle), self.fill)


class Zoom(Transform):
    """Scale every image by ``scale`` about its center, keeping ``H x W`` (crop or pad back)."""

    def __init__(self, scale: float, fill: float = 0.0) -> None:
        self.scale = _number(scale, "scale")
        if self.scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.fill = _number(fill, "fill")

    def apply(self, x):
        return affine_sample(x, _zoom_matrices(self.scale), self.fill)


class Shift(Transform):
    """Move the content ``dy`` rows down and ``dx`` columns right (a crop at a fixed position)."""

    def __init__(self, dy: int, dx: int, fill: float = 0.0) -> None:
        for name, v in (("dy", dy), ("dx", dx)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name} must be an int, got {v!r}")
        self.dy, self.dx = int(dy), int(dx)
        self.fill = _number(fill, "fill")

    def apply(self, x):
        return shift_images(x, self.dy, self.dx, self.fill)


class Flip(Transform):
    """Mirror every image left-right (``horizontal``) and/or top-bottom (``vertical``)."""

    def __init__(self, horizontal: bool = True, vertical: bool = False) -> None:
        self.horizontal = _flag(horizontal, "horizontal")
        self.vertical = _flag(vertical, "vertical")

    def apply(self, x):
        return np.ascontiguousarray(
            x[..., :: -1 if self.vertical else 1, :: -1 if self.horizontal else 1]
        )


# ----------------------------------------------------------------------- random transforms
class RandomTransform:
    """A random transform: ``t(x, rng) -> x``, drawing one parameter set per sample.

    Called without ``rng`` it uses its own generator, seeded by ``seed``.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._rng = np.random.default_rng(seed)

    def __call__(self, x: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        return self.apply(_check_images(x), self._rng if rng is None else rng)

    def apply(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class RandomRotation(RandomTransform):
    """Rotate each image by an angle drawn uniformly from ``[-degrees, degrees]`` (or a pair)."""

    def __init__(self, degrees: float | tuple[float, float], fill: float = 0.0, seed=None):
        super().__init__(seed)
        self.degrees = _range(degrees, "degrees")
        self.fill = _number(fill, "fill")

    def apply(self, x, rng):
        angles = rng.uniform(*self.degrees, size=len(x))
        return affine_sample(x, _rotation_matrices(angles), self.fill)


class RandomZoom(RandomTransform):
    """Scale each image by ``s`` drawn uniformly from ``[1 - zoom, 1 + zoom]`` (or a pair).

    The notes' "resize to a random size, then crop": ``s > 1`` enlarges and keeps the center,
    ``s < 1`` shrinks and pads with ``fill``.
    """

    def __init__(self, zoom: float | tuple[float, float], fill: float = 0.0, seed=None):
        super().__init__(seed)
        self.zoom = _range(zoom, "zoom", symmetric_about=1.0)
        if self.zoom[0] <= 0:
            raise ValueError(f"zoom must keep scales positive, got the range {self.zoom}")
        self.fill = _number(fill, "fill")

    def apply(self, x, rng):
        scales = rng.uniform(*self.zoom, size=len(x))
        return affine_sample(x, _zoom_matrices(scales), self.fill)


class RandomShift(RandomTransform):
    """Shift each image by integers ``dy, dx`` drawn uniformly from ``[-max_shift, max_shift]``.

    ``max_shift`` is an int or a pair ``(rows, columns)``; uncovered pixels take ``fill``.
    """

    def __init__(self, max_shift: int | tuple[int, int], fill: float = 0.0, seed=None):
        super().__init__(seed)
        self.max_shift = _int_pair(max_shift, "max_shift")
        self.fill = _number(fill, "fill")

    def apply(self, x, rng):
        my, mx = self.max_shift
        dy = rng.integers(-my, my + 1, size=len(x))
        dx = rng.integers(-mx, mx + 1, size=len(x))
        return shift_images(x, dy, dx, self.fill)


class RandomCrop(RandomShift):
    """Pad by ``padding`` pixels of ``fill``, then crop ``H x W`` at a random position.

    The crop's top-left corner is uniform over the ``(2 padding + 1)^2`` positions, which is
    exactly a :class:`RandomShift` with ``max_shift=padding``.
    """

    def __init__(self, padding: int | tuple[int, int], fill: float = 0.0, seed=None):
        super().__init__(_int_pair(padding, "padding"), fill, seed)


class RandomFlip(RandomTransform):
    """Mirror each image with probability ``probability`` (left-right and/or top-bottom).

    Off for digits (a mirrored 2 is not a 2): :func:`digit_pipeline` leaves it out.
    """

    def __init__(
        self, horizontal: bool = True, vertical: bool = False, probability: float = 0.5, seed=None
    ):
        super().__init__(seed)
        self.horizontal = _flag(horizontal, "horizontal")
        self.vertical = _flag(vertical, "vertical")
        if not (self.horizontal or self.vertical):
            raise ValueError("RandomFlip needs horizontal=True and/or vertical=True")
        self.probability = _number(probability, "probability", minimum=0.0)
        if self.probability > 1:
            raise ValueError(f"probability must be in [0, 1], got {probability}")

    def apply(self, x, rng):
        out = x.copy()
        for axis, active in ((-1, self.horizontal), (-2, self.vertical)):
            if active:
                chosen = rng.random(len(x)) < self.probability
                out[chosen] = np.flip(out[chosen], axis=axis)
        return out


class GaussianNoise(RandomTransform):
    """Add ``N(0, std^2)`` noise to every pixel, optionally clipped to ``clip=(low, high)``."""

    def __init__(self, std: float, clip: tuple[float, float] | None = None, seed=None):
        super().__init__(seed)
        self.std = _number(std, "std", minimum=0.0)
        self.clip = None if clip is None else _range(tuple(clip), "clip")

    def apply(self, x, rng):
        out = x + rng.normal(0.0, self.std, size=x.shape).astype(x.dtype)
        if self.clip is not None:
            np.clip(out, *self.clip, out=out)
        return out


# -------------------------------------------------------------------------------- pipeline
class Compose:
    """Apply transforms in order to a batch, with one seeded generator: ``pipeline(x) -> x``.

    Parameters
    ----------
    transforms : list
        Random transforms (drawn with the pipeline's generator) and/or fixed ones.
    seed : int, optional
        Seed of the pipeline's ``numpy.random.Generator``: two pipelines with the same seed
        produce the same sequence of batches, bit for bit.
    image_shape : (C, H, W), optional
        Accept flat batches ``(N, C*H*W)`` (e.g. for an MLP): they are reshaped to images,
        transformed and flattened back.

    Examples
    --------
    >>> import numpy as np
    >>> from handgrad.data.augmentation import Compose, RandomShift
    >>> x = np.zeros((2, 1, 5, 5), dtype=np.float32); x[:, 0, 2, 2] = 1
    >>> out = Compose([RandomShift(1)], seed=0)(x)
    >>> out.shape, float(out.sum())
    ((2, 1, 5, 5), 2.0)
    """

    def __init__(
        self,
        transforms: Iterable[Any],
        seed: int | None = None,
        image_shape: Sequence[int] | None = None,
    ) -> None:
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"transforms must be callables, got {t!r}")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.image_shape = None if image_shape is None else tuple(int(s) for s in image_shape)
        if self.image_shape is not None and len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be (channels, height, width), got {image_shape}")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        flat_shape = None
        if self.image_shape is not None and x.ndim == 2:
            flat_shape = x.shape
            x = _reshape_flat(x, self.image_shape)
        x = _check_images(x)
        for t in self.transforms:
            x = t(x, self.rng) if isinstance(t, RandomTransform) else t(x)
        return x if flat_shape is None else x.reshape(flat_shape)

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r}, seed={self.seed!r})"


#: Alias of :class:`Compose`.
Pipeline = Compose


def _reshape_flat(x: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    if x.shape[1] != int(np.prod(image_shape)):
        raise ValueError(
            f"flat images of {x.shape[1]} features cannot be reshaped to image_shape {image_shape}"
        )
    return x.reshape(len(x), *image_shape)


def digit_pipeline(
    degrees: float = 10.0,
    max_shift: int = 1,
    zoom: float = 0.1,
    noise: float = 0.0,
    seed: int | None = None,
    image_shape: Sequence[int] | None = None,
) -> Compose:
    """A pipeline for digit images: random rotation, zoom and shift (no flips), optional noise."""
    transforms: list[Any] = []
    if degrees:
        transforms.append(RandomRotation(degrees))
    if zoom:
        transforms.append(RandomZoom(zoom))
    if max_shift:
        transforms.append(RandomShift(max_shift))
    if noise:
        transforms.append(GaussianNoise(noise))
    return Compose(transforms, seed=seed, image_shape=image_shape)


# ------------------------------------------------------------------ test-time augmentation
def tta_transforms(
    crops: Iterable[tuple[int, int]] = ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)),
    angles: Iterable[float] = (-15, 0, 15),
    scales: Iterable[float] = (0.9, 1.0, 1.1),
    combine: str = "union",
    fill: float = 0.0,
) -> list[Transform]:
    """The fixed transform set of test-time augmentation.

    Parameters
    ----------
    crops : iterable of (dy, dx)
        Fixed crop positions, as shifts of the content (``(0, 0)`` is the centered crop).
    angles : iterable of float
        Fixed rotation angles in degrees (the notes: -15, 0 and 15).
    scales : iterable of float
        Fixed sizes, as zoom factors (1 is the original size).
    combine : {"union", "product"}
        ``"union"``: the identity plus each crop, angle and scale alone (``0``, ``1`` and
        ``(0, 0)`` are the identity, listed once): ``1 + (#crops-1) + (#angles-1) +
        (#scales-1)`` transforms with the defaults' neutral members. ``"product"``: every
        combination (scale, then rotation, then crop), ``#crops * #angles * #scales``.
    fill : float
        Value of pixels that come from outside the image.

    Returns
    -------
    list of Transform
        Deterministic callables ``t(x) -> x``; the identity comes first.
    """
    crops = [tuple(c) for c in crops]
    angles, scales = [float(a) for a in angles], [float(s) for s in scales]
    if combine not in ("union", "product"):
        raise ValueError(f"combine must be 'union' or 'product', got {combine!r}")
    if combine == "union":
        out: list[Transform] = [Identity()]
        out += [Shift(dy, dx, fill) for dy, dx in crops if (dy, dx) != (0, 0)]
        out += [Rotate(a, fill) for a in angles if a != 0]
        out += [Zoom(s, fill) for s in scales if s != 1]
        return out
    return [
        _Chain([Zoom(s, fill), Rotate(a, fill), Shift(dy, dx, fill)])
        for s, a, (dy, dx) in itertools.product(scales, angles, crops)
    ]


class _Chain(Transform):
    """Fixed transforms applied in order (members that do nothing are skipped)."""

    def __init__(self, steps: list[Transform]) -> None:
        self.steps = [
            t
            for t in steps
            if not (
                (isinstance(t, Zoom) and t.scale == 1)
                or (isinstance(t, Rotate) and t.angle == 0)
                or (isinstance(t, Shift) and (t.dy, t.dx) == (0, 0))
            )
        ]

    def apply(self, x):
        for t in self.steps:
            x = t.apply(x)
        return x if self.steps else x.copy()


def tta_predict(
    model: Any,
    x: Any,
    transforms: Sequence[Callable[[np.ndarray], np.ndarray]] | None = None,
    batch_size: int = 1024,
    image_shape: Sequence[int] | None = None,
) -> np.ndarray:
    """Average of ``model.predict(t(x))`` over the fixed ``transforms``.

    ``mean_t model.predict(t(x))``: the averaged class probabilities (for a softmax output),
    whose argmax is the TTA prediction.

    Parameters
    ----------
    model
        Anything with ``predict(x, batch_size=...)`` (a :class:`~handgrad.Sequential`).
    x : array (N, C, H, W), or (N, C*H*W) with ``image_shape``
    transforms : list of callables, optional
        Default :func:`tta_transforms()`.
    batch_size : int
        Passed to ``model.predict``.
    image_shape : (C, H, W), optional
        For models on flat inputs: ``x`` is reshaped to images for the transforms and each
        transformed batch is flattened back before ``predict``.
    """
    transforms = list(tta_transforms() if transforms is None else transforms)
    if not transforms:
        raise ValueError("tta_predict needs at least one transform")
    for t in transforms:
        if not callable(t):
            raise TypeError(f"transforms must be callables t(x) -> x, got {t!r}")
    arr = np.asarray(x)
    flat_shape = None
    if image_shape is not None:
        if arr.ndim != 2:
            raise ValueError(f"with image_shape, x must be flat (N, features), got {arr.shape}")
        flat_shape = arr.shape
        arr = _reshape_flat(arr, tuple(int(s) for s in image_shape))
    images = _check_images(arr.astype(np.float32) if arr.dtype.kind != "f" else arr)
    total, dtype = None, None
    for t in transforms:
        batch = t(images)
        if flat_shape is not None:
            batch = batch.reshape(flat_shape)
        p = np.asarray(model.predict(batch, batch_size=batch_size))
        dtype = p.dtype
        total = p.astype(np.float64) if total is None else total + p
    return (total / len(transforms)).astype(dtype, copy=False)
