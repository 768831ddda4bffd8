"""Window geometry and the im2col / col2im rearrangements shared by convolution and pooling.

A ``kh x kw`` window moved with strides ``(sh, sw)`` over an input of ``H x W`` pixels padded
by ``pt`` / ``pb`` rows (top / bottom) and ``pl`` / ``pr`` columns (left / right) stops at

    OH = (H + pt + pb - kh) // sh + 1        OW = (W + pl + pr - kw) // sw + 1

positions. ``"same"`` padding follows TensorFlow: ``OH = ceil(H / sh)``, the total padding is
``max((OH - 1) sh + kh - H, 0)`` and the odd row (column) goes to the bottom (right).

Nothing loops over samples or pixels. Offset ``(u, v)`` of the window sees, at output
position ``(i, j)``, the input pixel ``(i sh + u - pt, j sw + v - pl)``, so for all samples,
channels and positions at once it is one strided slice of the input. :class:`Geometry`
precomputes, per offset, the slice of output positions whose pixel lies inside the input and
the matching strided slice of the input (positions in the padding are simply absent); pooling
and col2im loop over these ``kh * kw`` offsets only.

im2col gathers the windows into one matrix per sample, of shape ``(C kh kw, OH OW)``::

    cols[n, c, u, v, i, j] = xpad[n, c, i sh + u, j sw + v]

(one copy from a ``sliding_window_view``), so that a convolution is one matrix product per
sample, ``W.reshape(F, C kh kw) @ cols[n]``, landing directly in the ``(N, F, OH, OW)``
layout. col2im is its adjoint (transpose), which scatter-adds every offset's slice back::

    dx[n, c, i sh + u - pt, j sw + v - pl] += dcols[n, c, u, v, i, j]

For stride 1, :func:`stride1_input_gradient` computes the same ``dx`` with contiguous
operations only (a flat shift per offset), which is faster on small images.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["Geometry", "pair", "im2col", "col2im", "stride1_input_gradient"]


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
        return cls(
            height, width, (kh, kw), (sh, sw), (pt, pb, pl, pr), oh, ow, tuple(offsets), full
        )

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


def im2col(
    x: np.ndarray, geometry: Geometry, out: np.ndarray, padded: np.ndarray | None = None
) -> np.ndarray:
    """Fill ``out`` ``(N, C, kh, kw, OH, OW)`` with the windows of ``x`` ``(N, C, H, W)``.

    ``out[n, c, u, v, i, j] = xpad[n, c, i sh + u, j sw + v]``: one copy from a strided
    ``sliding_window_view`` (faster than a loop over the offsets, whose inner loops only run
    ``OW`` long). With padding, ``padded`` is a ``(N, C, H + pt + pb, W + pl + pr)`` buffer
    whose border is zero (allocate it with ``np.zeros`` once and reuse it); only its interior
    is written.
    """
    pt, pb, pl, pr = geometry.padding
    if pt or pb or pl or pr:
        padded[:, :, pt : pt + geometry.height, pl : pl + geometry.width] = x
        x = padded
    (sh, sw), oh, ow = geometry.strides, geometry.out_height, geometry.out_width
    windows = sliding_window_view(x, geometry.kernel, axis=(2, 3))  # (N, C, Hp-kh+1, .., kh, kw)
    windows = windows[:, :, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]
    np.copyto(out, windows.transpose(0, 1, 4, 5, 2, 3))
    return out


def col2im(dcols: np.ndarray, geometry: Geometry, out: np.ndarray) -> np.ndarray:
    """Scatter-add ``dcols`` ``(N, C, kh, kw, OH, OW)`` into ``out`` ``(N, C, H, W)``; returns it.

    The adjoint of :func:`im2col`. ``out`` is overwritten.
    """
    out.fill(0)
    for u, v, o_r, o_c, i_r, i_c in geometry.offsets:
        out[:, :, i_r, i_c] += dcols[:, :, u, v, o_r, o_c]
    return out


def stride1_input_gradient(
    dz: np.ndarray, per_offset: np.ndarray, geometry: Geometry, wide: np.ndarray, out: np.ndarray
) -> np.ndarray:
    """``dL/dx`` of a stride-1 convolution, without materializing ``dcols``; returns ``out``.

    With stride 1, output ``(i, j)`` of offset ``(u, v)`` reads padded pixel ``(i + u, j + v)``.
    Laying ``dz`` out on rows as wide as the padded input (``Wp``, the extra ``kw - 1``
    columns being zero) turns that into a flat shift by ``u Wp + v``, so::

        dxpad.flat[u Wp + v + q] += (W[:, :, u, v].T @ dz_wide)[q]      for every offset (u, v)

    one small product and one contiguous add per offset; then the padding is cropped.

    Parameters
    ----------
    dz : (N, F, OH, OW)
    per_offset : (kh, kw, C, F)
        The kernel ``W`` ``(F, C, kh, kw)`` as ``W.transpose(2, 3, 1, 0)``, C-contiguous.
    geometry : Geometry with strides (1, 1)
    wide : (N, F, OH, Wp) buffer whose columns ``OW:`` are zero (they are never written)
    out : (N, C, H, W) array, overwritten
    """
    n, f, oh, ow = dz.shape
    c = per_offset.shape[2]
    pt, pb, pl, pr = geometry.padding
    hp, wp = geometry.height + pt + pb, geometry.width + pl + pr
    length = (oh - 1) * wp + ow  # last wide row without its zero tail: stays inside dxpad
    wide[..., :ow] = dz
    dz_wide = wide.reshape(n, f, oh * wp)[:, :, :length]
    padding = pt or pb or pl or pr
    if padding:
        dxpad = np.zeros((n, c, hp * wp), dtype=dz.dtype)
    else:  # the padded input is the input: accumulate in out directly
        dxpad = out.reshape(n, c, hp * wp)
        dxpad.fill(0)
    part = np.empty((n, c, length), dtype=dz.dtype)
    for u, v, *_ in geometry.offsets:
        shift = u * wp + v
        np.matmul(per_offset[u, v], dz_wide, out=part)
        dxpad[:, :, shift : shift + length] += part
    if padding:
        dxpad = dxpad.reshape(n, c, hp, wp)
        out[...] = dxpad[:, :, pt : pt + geometry.height, pl : pl + geometry.width]
    return out
