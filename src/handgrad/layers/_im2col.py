"""Window geometry and the im2col / col2im rearrangements shared by convolution and pooling.

A ``kh x kw`` window moved with strides ``(sh, sw)`` over an input of ``H x W`` pixels padded
by ``pt`` / ``pb`` rows (top / bottom) and ``pl`` / ``pr`` columns (left / right) stops at

    OH = (H + pt + pb - kh) // sh + 1        OW = (W + pl + pr - kw) // sw + 1

positions. ``"same"`` padding follows TensorFlow: ``OH = ceil(H / sh)``, the total padding is
``max((OH - 1) sh + kh - H, 0)`` and the odd row (column) goes to the bottom (right).

Everything is written as a loop over the ``kh * kw`` *kernel offsets* ``(u, v)``, never over
samples or pixels: offset ``(u, v)`` sees, at output position ``(i, j)``, the input pixel
``(i sh + u - pt, j sw + v - pl)``, so for all samples, channels and positions at once it is one
strided slice of the input. :class:`Geometry` precomputes, per offset, the slice of output
positions whose pixel lies inside the input and the matching strided slice of the input;
positions that fall in the padding are simply absent, so padding is never materialized.

im2col gathers those slices into a matrix of shape ``(C kh kw, N OH OW)``::

    cols[c, u, v, n, i, j] = xpad[n, c, i sh + u, j sw + v]

so that a convolution is one matrix product ``W.reshape(F, C kh kw) @ cols``. col2im is its
adjoint (transpose), which scatter-adds every offset's slice back::

    dx[n, c, i sh + u - pt, j sw + v - pl] += dcols[c, u, v, n, i, j]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Geometry", "pair", "im2col", "col2im"]


def pair(value, argument: str, *, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each ``>= minimum``, as ``(rows, columns)``."""
    items = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        raise TypeError(f"{argument} must be an int or a pair of ints, got {value!r}") from None
    if len(items) != 2 or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in items
    ):
        raise TypeError(f"{argument} must be an int or a pair of ints, got {value!r}")
    if any(v < minimum for v in items):
        raise ValueError(f"{argument} must be >= {minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def _axis_padding(size: int, kernel: int, stride: int, padding) -> tuple[int, int]:
    if padding == "valid":
        return 0, 0
    if padding == "same":
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2
    return padding, padding


def _axis_slices(size: int, offset: int, stride: int, pad: int, out: int):
    """Output positions ``i`` whose pixel ``i*stride + offset - pad`` is inside ``[0, size)``.

    Returns ``(output slice, input slice)``, or None when the offset only ever sees padding.
    """
    first = max(0, -((offset - pad) // stride))  # ceil((pad - offset) / stride)
    last = min(out, (size - 1 - offset + pad) // stride + 1)
    if last <= first:
        return None
    start = first * stride + offset - pad
    return slice(first, last), slice(start, start + (last - first - 1) * stride + 1, stride)


@dataclass(frozen=True)
class Geometry:
    """Where a ``kernel`` window with ``strides`` and ``padding`` visits an ``H x W`` image.

    ``padding`` is ``"valid"``, ``"same"`` or a pair of non-negative ints (rows, columns)
    added on both sides. ``offsets`` lists, for each kernel offset ``(u, v)`` in row-major
    order, ``(u, v, out_rows, out_cols, in_rows, in_cols)`` slices (see the module docstring);
    ``full`` is True when every offset covers all output positions (no padding is ever seen).
    """

    height: int
    width: int
    kernel: tuple[int, int]
    strides: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    out_height: int
    out_width: int
    offsets: tuple
    full: bool

    @classmethod
    def create(cls, height: int, width: int, kernel, strides, padding) -> Geometry:
        kh, kw = kernel
        sh, sw = strides
        pad_rows, pad_cols = (padding, padding) if isinstance(padding, str) else padding
        pt, pb = _axis_padding(height, kh, sh, pad_rows)
        pl, pr = _axis_padding(width, kw, sw, pad_cols)
        if height + pt + pb < kh or width + pl + pr < kw:
            raise ValueError(
                f"kernel {kh}x{kw} is larger than the padded input "
                f"{height + pt + pb}x{width + pl + pr} (input {height}x{width})"
            )
        oh = (height + pt + pb - kh) // sh + 1
        ow = (width + pl + pr - kw) // sw + 1
        offsets = []
        full = True
        for u in range(kh):
            rows = _axis_slices(height, u, sh, pt, oh)
            for v in range(kw):
                cols = _axis_slices(width, v, sw, pl, ow)
                if rows is None or cols is None:
                    full = False
                    continue
                full = full and rows[0] == slice(0, oh) and cols[0] == slice(0, ow)
                offsets.append((u, v, rows[0], cols[0], rows[1], cols[1]))
        return cls(height, width, (kh, kw), (sh, sw), (pt, pb, pl, pr), oh, ow, tuple(offsets), full)

    @property
    def overlapping(self) -> bool:
        """Whether an input pixel can fall in two windows (stride smaller than the kernel)."""
        return self.strides[0] < self.kernel[0] or self.strides[1] < self.kernel[1]

    def window_counts(self) -> np.ndarray:
        """``(OH, OW)`` number of real (non-padding) pixels in each window."""
        counts = np.zeros((self.out_height, self.out_width), dtype=np.int64)
        for _, _, o_r, o_c, _, _ in self.offsets:
            counts[o_r, o_c] += 1
        return counts

    def __str__(self) -> str:
        return f"{self.height}x{self.width} -> {self.out_height}x{self.out_width}"


def padding_description(padding) -> str:
    return repr(padding) if isinstance(padding, str) else str(tuple(padding))


def im2col(x: np.ndarray, geometry: Geometry, out: np.ndarray) -> np.ndarray:
    """Fill ``out`` (shape ``(C, kh, kw, N, OH, OW)``) with the windows of ``x`` ``(N, C, H, W)``.

    Only the in-image entries are written: ``out`` must be zero where the windows see padding
    (allocate it with ``np.zeros`` once and reuse it for inputs of the same shape).
    """
    xt = x.transpose(1, 0, 2, 3)  # (C, N, H, W): copying into out then streams per channel
    for u, v, o_r, o_c, i_r, i_c in geometry.offsets:
        out[:, u, v, :, o_r, o_c] = xt[:, :, i_r, i_c]
    return out


def col2im(dcols: np.ndarray, geometry: Geometry, out: np.ndarray) -> np.ndarray:
    """Scatter-add ``dcols`` ``(C, kh, kw, N, OH, OW)`` into ``out`` ``(N, C, H, W)``; returns it.

    ``out`` is overwritten. Offsets are added in row-major order; when windows do not overlap and
    cover the image, each pixel is written exactly once and the first offset needs no zeroing.
    """
    out_t = out.transpose(1, 0, 2, 3)
    if not (geometry.full and not geometry.overlapping and _covers(geometry)):
        out.fill(0)
        for u, v, o_r, o_c, i_r, i_c in geometry.offsets:
            out_t[:, :, i_r, i_c] += dcols[:, u, v, :, o_r, o_c]
        return out
    for u, v, o_r, o_c, i_r, i_c in geometry.offsets:
        out_t[:, :, i_r, i_c] = dcols[:, u, v, :, o_r, o_c]
    return out


def _covers(geometry: Geometry) -> bool:
    """Whether the windows tile the whole image (stride equal to the kernel, sizes divide)."""
    (kh, kw), (sh, sw) = geometry.kernel, geometry.strides
    return (
        (kh, kw) == (sh, sw)
        and geometry.out_height * sh == geometry.height
        and geometry.out_width * sw == geometry.width
    )


def same_output(size: int, stride: int) -> int:
    """``ceil(size / stride)``: the output size of ``"same"`` padding."""
    return math.ceil(size / stride)
