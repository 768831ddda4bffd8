"""Pooling layers over channels-first images ``(N, C, H, W)``; each channel is pooled alone.

With a ``ph x pw`` window and strides ``(sh, sw)`` (default: the pool size)::

    max:      y[n, c, i, j] = max_{u, v}  x[n, c, i*sh + u, j*sw + v]
    average:  y[n, c, i, j] = mean_{u, v} x[n, c, i*sh + u, j*sw + v]
    global:   y[n, c]       = mean_{h, w} x[n, c, h, w]                  (N, C)

Backward::

    max:      dx[n, c, i*sh + u*, j*sw + v*] += dy[n, c, i, j]   at the window's argmax (u*, v*)
    average:  dx[n, c, i*sh + u, j*sw + v]   += dy[n, c, i, j] / count[i, j]   for every (u, v)
    global:   dx[n, c, h, w] = dy[n, c] / (H W)

Ties in max pooling: the whole gradient goes to the *first* maximal element of the window in
row-major order (top row first, then left to right), as PyTorch does; the other tied elements
get zero. ``"same"`` padding pads with ``-inf`` for max pooling and leaves padding out of the
average (``count`` is the number of real pixels in the window), as TensorFlow does.

Everything loops over the ``ph * pw`` window offsets only (see :mod:`._im2col`). When the
windows tile the image exactly (stride equal to the pool size, sizes divisible; the usual
``MaxPooling2D(2)``) the reduction is separable: across each window's columns, then across its
rows, each step a whole-batch operation; max pooling also remembers which candidate won each
comparison, so its backward pass only routes ``dy`` (no comparisons with the output again).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._parallel import map_samples
from ._im2col import Geometry, pair
from .base import Layer
from .conv import check_batch, check_image_shape

__all__ = ["MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D"]


class _Pooling2D(Layer):
    """Shared arguments, shape logic and configuration of max and average pooling."""

    def __init__(
        self,
        pool_size: int | tuple[int, int] = 2,
        strides: int | tuple[int, int] | None = None,
        padding: str = "valid",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        kind = type(self).__name__
        self.pool_size = pair(pool_size, f"{kind} {self.name!r} pool_size")
        self.strides = (
            self.pool_size if strides is None else pair(strides, f"{kind} {self.name!r} strides")
        )
        if padding not in ("valid", "same"):
            raise ValueError(
                f"{kind} {self.name!r} padding must be 'valid' or 'same', got {padding!r}"
            )
        self.padding = padding
        self.geometry: Geometry | None = None
        self._tiles = False

    def sample_work(self) -> int:
        # Every sample is pooled alone: the input and the column-stage maxima of one sample.
        if self.geometry is None:
            return 0
        c, h, w = self.input_shape
        return c * h * w + c * h * self.geometry.out_width

    def compute_output_shape(self, input_shape):
        check_image_shape(input_shape, self)
        c, h, w = input_shape
        try:
            g = Geometry.create(h, w, self.pool_size, self.strides, self.padding)
        except ValueError as err:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r}: pool {err}, padding {self.padding!r}"
            ) from None
        return (c, g.out_height, g.out_width)

    def _build(self, input_shape, rng, dtype):
        _, h, w = input_shape
        g = self.geometry = Geometry.create(h, w, self.pool_size, self.strides, self.padding)
        (ph, pw), (sh, sw) = g.kernel, g.strides
        self._tiles = (ph, pw) == (sh, sw) and g.out_height * ph == h and g.out_width * pw == w

    def _tile_sum(self, x: np.ndarray, y: np.ndarray) -> None:
        """Sum over windows that tile ``x`` into ``y``: across window rows, then columns.

        ``x.reshape(n, c, OH, ph, OW, pw).sum(axis=(3, 5))`` computes the same, but numpy
        reduces such tiny axes many times slower than these whole-array additions.
        """
        n, c, h, w = x.shape
        (ph, pw), oh = self.geometry.kernel, self.geometry.out_height
        rows = x.reshape(n, c, oh, ph, w)
        m = rows[:, :, :, 0].copy()
        for u in range(1, ph):
            m += rows[:, :, :, u]
        np.copyto(y, m[..., ::pw])
        for v in range(1, pw):
            y += m[..., v::pw]

    def get_config(self):
        config = super().get_config()
        config.update(
            pool_size=list(self.pool_size), strides=list(self.strides), padding=self.padding
        )
        return config


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows of each channel.

    Parameters
    ----------
    pool_size : int or (int, int)
        Window height and width (default 2).
    strides : int or (int, int), optional
        Step between windows; defaults to ``pool_size`` (non-overlapping windows).
    padding : {"valid", "same"}
        ``"same"`` pads with ``-inf`` so that ``out = ceil(in / stride)``.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> hg.layers.MaxPooling2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", **kwargs: Any) -> None:
        super().__init__(pool_size, strides, padding, **kwargs)
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None
        self._winners = None

    def forward(self, x, training=False):
        self.ensure_built(x)
        check_batch(x, self)
        self._x, self._winners = x, None
        if self._tiles:
            y, winners = self._tile_max(x, record=training)
            self._winners = winners if training else None
        else:
            g = self.geometry
            y = np.full((*x.shape[:2], g.out_height, g.out_width), -np.inf, dtype=x.dtype)

            def run(s: slice) -> None:
                xs, ys = x[s], y[s]
                for _, _, o_r, o_c, i_r, i_c in g.offsets:
                    np.maximum(ys[:, :, o_r, o_c], xs[:, :, i_r, i_c], out=ys[:, :, o_r, o_c])

            map_samples(run, len(x), x.size + y.size)
        self._y = y
        return y

    def _tile_max(self, x: np.ndarray, record: bool):
        """Max over windows that tile ``x``: across each window row, then across the rows.

        Column stage: ``m[n, c, h, j] = max_v x[n, c, h, j*pw + v]``; row stage:
        ``y[n, c, i, j] = max_u m[n, c, i*ph + u, j]``. With ``record``, each stage also keeps
        where a candidate strictly beat all earlier ones, which pins down the winner (the
        first maximal element in row-major order) for the backward pass. Samples are
        independent, so shares of the batch run on separate threads.
        """
        n, c, h, _ = x.shape
        (ph, pw), oh, ow = self.geometry.kernel, self.geometry.out_height, self.geometry.out_width
        m = np.empty((n, c, h, ow), dtype=x.dtype)
        y = np.empty((n, c, oh, ow), dtype=x.dtype)
        col_better = [np.empty(m.shape, dtype=bool) for _ in range(pw - 1)] if record else []
        row_better = [np.empty(y.shape, dtype=bool) for _ in range(ph - 1)] if record else []

        def run(s: slice) -> None:
            xs = x[s]
            _running_max([xs[..., v::pw] for v in range(pw)], m[s], [b[s] for b in col_better])
            rows = m[s].reshape(-1, c, oh, ph, ow)
            _running_max([rows[:, :, :, u] for u in range(ph)], y[s], [b[s] for b in row_better])

        map_samples(run, n, x.size + m.size)
        return y, (col_better, row_better)

    def backward(self, dy):
        if self._tiles:
            return self._tile_backward(dy)
        x, y = self._x, self._y
        dx = np.zeros(x.shape, dtype=dy.dtype)
        map_samples(
            lambda s: self._window_backward(x[s], y[s], dy[s], dx[s]), len(x), x.size + dy.size
        )
        return dx

    def _window_backward(self, x, y, dy, dx) -> None:
        """Route ``dy`` to each window's first maximal element, for any windows (adds to dx)."""
        # Offsets are visited in row-major order and an element only receives dy where it
        # equals the max and no earlier offset of its window did: one winner per window.
        g = self.geometry
        last = len(g.offsets) - 1
        taken = None if g.full else np.zeros(y.shape, dtype=bool)
        for k, (_, _, o_r, o_c, i_r, i_c) in enumerate(g.offsets):
            if taken is None:  # first offset of full windows: nothing is taken yet
                hit = taken = x[:, :, i_r, i_c] == y
            elif k == last and g.full:  # the max is somewhere: wherever nobody took it
                hit = ~taken
            else:
                hit = x[:, :, i_r, i_c] == y[:, :, o_r, o_c]
                seen = taken[:, :, o_r, o_c]
                hit &= ~seen
                seen |= hit
            if g.overlapping:
                dx[:, :, i_r, i_c] += hit * dy[:, :, o_r, o_c]
            else:
                np.multiply(hit, dy[:, :, o_r, o_c], out=dx[:, :, i_r, i_c])

    def _tile_backward(self, dy):
        x = self._x
        if self._winners is None:  # the forward pass was in inference mode
            self._winners = self._tile_max(x, record=True)[1]
        col_better, row_better = self._winners
        n, c, h, _ = x.shape
        (ph, pw), oh, ow = self.geometry.kernel, self.geometry.out_height, self.geometry.out_width
        dm = np.empty((n, c, oh, ph, ow), dtype=dy.dtype)
        dx = np.empty(x.shape, dtype=dy.dtype)

        def run(s: slice) -> None:
            dms, dxs = dm[s], dx[s]
            _route(dy[s], [b[s] for b in row_better], [dms[:, :, :, u] for u in range(ph)])
            dm_rows = dms.reshape(-1, c, h, ow)
            _route(dm_rows, [b[s] for b in col_better], [dxs[..., v::pw] for v in range(pw)])

        map_samples(run, n, dm.size + dx.size)
        return dx


def _running_max(candidates: list[np.ndarray], best: np.ndarray, better: list[np.ndarray]):
    """Write the element-wise max of the candidates into ``best`` and, unless ``better`` is
    empty, the masks ``better[k - 1] = candidates[k] > max(candidates[:k])`` (ties keep the
    earlier one)."""
    if len(candidates) == 1:
        np.copyto(best, candidates[0])
        return
    # The first comparison reads the first two candidates directly (no copy pass).
    first, second = candidates[:2]
    if better:
        np.greater(second, first, out=better[0])
    np.maximum(first, second, out=best)
    for k, cand in enumerate(candidates[2:], start=1):
        if better:
            np.greater(cand, best, out=better[k])
        np.maximum(best, cand, out=best)


def _route(grad: np.ndarray, better: list[np.ndarray], outs: list[np.ndarray]) -> None:
    """Write ``grad`` into ``outs[k]`` where candidate ``k`` won the running max, 0 elsewhere.

    The winner is the last candidate that beat all earlier ones: walking back from the last,
    candidate ``k`` wins where it did so and no later candidate did.
    """
    free = None  # where no later candidate won
    for k in range(len(outs) - 1, 0, -1):
        won = better[k - 1] if free is None else better[k - 1] & free
        np.multiply(won, grad, out=outs[k])
        free = ~better[k - 1] if free is None else free & ~better[k - 1]
    if free is None:
        np.copyto(outs[0], grad)
    else:
        np.multiply(free, grad, out=outs[0])


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows of each channel (padding excluded from the mean).

    Parameters
    ----------
    pool_size, strides, padding
        As for :class:`MaxPooling2D`.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> hg.layers.AveragePooling2D(2).forward(np.arange(16.0).reshape(1, 1, 4, 4))[0, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]])
    """

    def _build(self, input_shape, rng, dtype):
        super()._build(input_shape, rng, dtype)
        self._inv_counts = (1.0 / self.geometry.window_counts()).astype(dtype)

    def forward(self, x, training=False):
        self.ensure_built(x)
        check_batch(x, self)
        g = self.geometry
        inv_counts = self._inv_counts.astype(x.dtype, copy=False)
        y = np.empty((*x.shape[:2], g.out_height, g.out_width), dtype=x.dtype)

        def run(s: slice) -> None:
            xs, ys = x[s], y[s]
            if self._tiles:
                self._tile_sum(xs, ys)
            else:
                ys.fill(0)
                for _, _, o_r, o_c, i_r, i_c in g.offsets:
                    ys[:, :, o_r, o_c] += xs[:, :, i_r, i_c]
            ys *= inv_counts

        map_samples(run, len(x), x.size + y.size)
        return y

    def backward(self, dy):
        g = self.geometry
        inv_counts = self._inv_counts.astype(dy.dtype, copy=False)
        dx = np.empty((*dy.shape[:2], *self.input_shape[1:]), dtype=dy.dtype)

        def run(s: slice) -> None:
            dyc = dy[s] * inv_counts
            dxs = dx[s]
            dxs.fill(0)
            for _, _, o_r, o_c, i_r, i_c in g.offsets:
                dxs[:, :, i_r, i_c] += dyc[:, :, o_r, o_c]

        map_samples(run, len(dy), dy.size + dx.size)
        return dx


class GlobalAveragePooling2D(Layer):
    """Mean of each channel over all positions: ``(N, C, H, W) -> (N, C)``.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> hg.layers.GlobalAveragePooling2D().forward(np.arange(8.0).reshape(1, 2, 2, 2))
    array([[1.5, 5.5]])
    """

    def compute_output_shape(self, input_shape):
        check_image_shape(input_shape, self)
        return (input_shape[0],)

    def forward(self, x, training=False):
        self.ensure_built(x)
        check_batch(x, self)
        return x.mean(axis=(2, 3))

    def backward(self, dy):
        _, h, w = self.input_shape
        dx = np.empty((*dy.shape, h, w), dtype=dy.dtype)
        dx[...] = (dy / (h * w))[:, :, None, None]
        return dx
