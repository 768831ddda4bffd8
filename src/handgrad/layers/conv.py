"""2-D convolution (cross-correlation, as every deep-learning library computes it).

Forward, for images ``x`` of shape ``(N, C, H, W)`` and kernels ``W`` of shape ``(F, C, kh, kw)``,
after zero-padding ``x`` (see :mod:`handgrad.layers._im2col` for the padding rules)::

    z[n, f, i, j] = sum_{c, u, v} xpad[n, c, i*sh + u, j*sw + v] * W[f, c, u, v] + b[f]
    a = g(z)                                         z, a: (N, F, OH, OW)

computed as one matrix product per sample over its im2col matrix ``cols[n]`` of shape
``(C kh kw + 1, OH OW)``, whose last row is the constant 1 that the bias multiplies::

    K = [W.reshape(F, C kh kw) | b]                   (F, C kh kw + 1)
    z[n] = K @ cols[n]                                (F, OH OW), already in (N, F, ...) layout

Backward, from ``dA = dL/da``::

    dZ = g'(z) * dA                                   (the activation's vector-Jacobian product)
    [dW | db] = sum_n dZ[n] @ cols[n].T               (the ones row gives db = sum_{n,i,j} dZ)
    dx = col2im(W.reshape(F, C kh kw).T @ dZ[n])      (scatter-add over the kh*kw offsets)

Sparse connections and weight sharing are what make this cheaper than a Dense layer: each
output sees only a ``kh x kw`` patch, and all positions share the same ``F`` kernels, so the
layer has ``F (C kh kw + 1)`` parameters whatever the image size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from .._parallel import map_samples
from ..validation import check_positive_int
from ._im2col import Geometry, col2im, im2col, pair, stride1_input_gradient
from ._kernel import configure_kernel, kernel_config
from .base import Layer

__all__ = ["Conv2D"]

#: Multiply-adds per product above which OpenBLAS may use several threads (65536 * 4).
_BLAS_THREADING_SIZE = 2**18


def _check_padding(padding: Any, name: str):
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(
                f"Conv2D {name!r} padding must be 'valid', 'same' or a non-negative int, "
                f"got {padding!r}"
            )
        return padding
    return pair(padding, f"Conv2D {name!r} padding", minimum=0)


def check_image_shape(input_shape: tuple[int, ...], layer: Layer) -> None:
    """Raise unless one sample is ``(channels, height, width)``."""
    if len(input_shape) != 3:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r} expects images of shape "
            f"(N, channels, height, width), got samples of shape {tuple(input_shape)}; "
            "reshape flat images first, e.g. x.reshape(-1, 1, 28, 28)"
        )


def check_batch(x: np.ndarray, layer: Layer) -> None:
    """Raise when a batch does not match the shape the layer was built for."""
    if x.shape[1:] != layer.input_shape:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r} was built for samples of shape "
            f"{layer.input_shape} but got a batch of shape {x.shape}"
        )


class Conv2D(Layer):
    """2-D convolution ``a = g(W * x + b)`` over channels-first images.

    Parameters
    ----------
    filters : int
        Number of kernels ``F`` (output channels).
    kernel_size : int or (int, int)
        Kernel height and width.
    strides : int or (int, int)
        Step between windows (default 1).
    padding : {"valid", "same"} or int or (int, int)
        ``"valid"``: no padding; ``"same"``: zero-pad so that ``out = ceil(in / stride)`` (the
        odd row/column goes to the bottom/right, as TensorFlow); an int ``p``: ``p`` zero rows
        and columns on every side.
    activation : str, optional
        Activation name; ``None`` is linear. Softmax normalizes over the channel axis.
    use_bias : bool
        Whether to add one bias per filter.
    kernel_initializer : str, optional
        By default He normal after ReLU-family activations, Glorot uniform otherwise; fans
        count the kernel area (``fan_in = C kh kw``, ``fan_out = F kh kw``).
    bias_initializer : str
        Initializer of ``b`` (default ``"zeros"``).
    kernel_regularizer, kernel_constraint
        As for :class:`~handgrad.layers.Dense` (``MaxNorm`` bounds each filter's norm).
    input_shape, name, trainable, seed
        See :class:`~handgrad.layers.Layer`; ``input_shape`` is ``(C, H, W)``.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> conv = hg.layers.Conv2D(1, 2, use_bias=False)
    >>> conv.build((1, 3, 3)); conv.set_weights([np.ones((1, 1, 2, 2))])
    >>> conv.forward(np.arange(9.0).reshape(1, 1, 3, 3))[0, 0]
    array([[ 8., 12.],
           [20., 24.]])
    """

    def __init__(
        self,
        filters: int,
        kernel_size: int | tuple[int, int],
        strides: int | tuple[int, int] = 1,
        padding: str | int | tuple[int, int] = "valid",
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str | None = None,
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        kernel_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        name = self.name
        self.filters = check_positive_int(filters, f"Conv2D {name!r} filters")
        self.kernel_size = pair(kernel_size, f"Conv2D {name!r} kernel_size")
        self.strides = pair(strides, f"Conv2D {name!r} strides")
        self.padding = _check_padding(padding, name)
        configure_kernel(
            self,
            "Conv2D",
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            kernel_constraint,
        )
        self.geometry: Geometry | None = None
        self._cols: np.ndarray | None = None
        self._a: np.ndarray | None = None
        self._buffers: dict[tuple, np.ndarray] = {}

    # ------------------------------------------------------------------ building
    def compute_output_shape(self, input_shape):
        check_image_shape(input_shape, self)
        _, h, w = input_shape
        try:
            g = Geometry.create(h, w, self.kernel_size, self.strides, self.padding)
        except ValueError as err:
            raise ValueError(
                f"Conv2D layer {self.name!r}: {err}, padding {self.padding!r}"
            ) from None
        return (self.filters, g.out_height, g.out_width)

    def _build(self, input_shape, rng, dtype):
        channels, h, w = input_shape
        self.geometry = Geometry.create(h, w, self.kernel_size, self.strides, self.padding)
        shape = (self.filters, channels, *self.kernel_size)
        self.params["W"] = initializers.get(self.kernel_initializer)(shape, rng, dtype)
        if self.use_bias:
            self.params["b"] = initializers.get(self.bias_initializer)((self.filters,), rng, dtype)
        self._buffers = {}

    def _buffer(self, kind: str, shape: tuple[int, ...], dtype, reuse: bool = True) -> np.ndarray:
        """A zero-filled work array; with ``reuse``, kept across batches of the same shape.

        Training reuses its buffers (no allocation per batch); inference, which may run on
        large batches, gets temporary ones. Reused buffers rely on entries that are never
        written staying zero (the border of the padded input, the extra columns of the wide
        gradient, the bias row of ones). A few shapes are kept at once (training batches and
        the last, shorter one).
        """
        key = (kind, shape, np.dtype(dtype))
        buf = self._buffers.get(key) if reuse else None
        if buf is None:
            buf = np.zeros(shape, dtype=dtype)
            if kind == "cols" and self.use_bias:
                buf[:, -1] = 1  # the constant input whose weight is the bias
            if reuse:
                if len(self._buffers) >= 9:
                    self._buffers.clear()
                self._buffers[key] = buf
        return buf

    def _column_rows(self) -> int:
        """Rows of one sample's im2col matrix: ``C kh kw``, plus the constant 1 of the bias."""
        g = self.geometry
        return self.input_shape[0] * g.kernel[0] * g.kernel[1] + self.use_bias

    def _columns_buffer(self, n: int, dtype, reuse: bool) -> np.ndarray:
        """The im2col matrix ``(N, C kh kw [+ 1], OH OW)``; with a bias the last row is 1."""
        shape = (n, self._column_rows(), self.geometry.out_height * self.geometry.out_width)
        return self._buffer("cols", shape, dtype, reuse)

    def _kernel_matrix(self, dtype) -> np.ndarray:
        """``[W.reshape(F, C kh kw) | b]``: the weights of one output against one column."""
        w = self.params["W"].reshape(self.filters, -1)
        if not self.use_bias:
            return w.astype(dtype, copy=False)
        k = np.empty((self.filters, w.shape[1] + 1), dtype=dtype)
        k[:, :-1] = w
        k[:, -1] = self.params["b"]
        return k

    def sample_work(self) -> int:
        if self.geometry is None:
            return 0
        g = self.geometry
        rows = self._column_rows()
        positions = g.out_height * g.out_width
        forward = (rows + self.filters) * positions  # cols and z
        # cols, the dW products, dZ twice (activation, products) and dx: see _backward.
        backward = (rows + 2 * self.filters) * positions + rows * self.filters
        if self.need_input_grad:
            backward += int(np.prod(self.input_shape))
        return max(forward, backward)

    # ------------------------------------------------------------------ forward
    def forward_logits(self, x, training=False):
        return self._forward(x, training, activate=None)

    def _forward(self, x, training, activate):
        """``z`` (or ``activate(z)`` in place), computed per sample on several threads."""
        self.ensure_built(x)
        check_batch(x, self)
        n, c = x.shape[:2]
        g = self.geometry
        cols = self._columns_buffer(n, x.dtype, reuse=training)
        patches = cols[:, : cols.shape[1] - self.use_bias]  # a view, also after the reshape
        patches = patches.reshape(n, c, *g.kernel, g.out_height, g.out_width)
        pt, pb, pl, pr = g.padding
        padded = None
        if pt or pb or pl or pr:
            shape = (n, c, g.height + pt + pb, g.width + pl + pr)
            padded = self._buffer("padded", shape, x.dtype, reuse=training)
        kernel = self._kernel_matrix(x.dtype)
        z = np.empty((n, self.filters, cols.shape[2]), dtype=x.dtype)

        def run(s: slice) -> None:
            im2col(x[s], g, patches[s], None if padded is None else padded[s])
            # One small matrix product per sample, (F, CKK+1) @ (CKK+1, OH OW), which lands
            # directly in the (N, F, OH, OW) layout: no transpose of the output is needed.
            np.matmul(kernel, cols[s], out=z[s])
            if activate is not None:
                activate(z[s])

        map_samples(run, n, cols.size + z.size)
        self._cols = cols
        return z.reshape(n, self.filters, g.out_height, g.out_width)

    def forward(self, x, training=False):
        act = self.activation
        if act.name == "softmax":  # over the channel axis
            z = self._forward(x, training, activate=None)
            a = np.moveaxis(act.forward(np.moveaxis(z, 1, -1)), -1, 1)
        elif act.forward_inplace is not None:  # z is ours and not needed again
            a = self._forward(x, training, activate=act.forward_inplace)
        else:
            a = act.forward(self._forward(x, training, activate=None))
        self._a = a
        return a

    # ----------------------------------------------------------------- backward
    def backward_logits(self, dz):
        return self._backward(dz, activation_share=None)

    def backward(self, dy):
        act = self.activation
        a = self._a
        if act.name == "softmax":
            dz = np.moveaxis(act.backward(np.moveaxis(a, 1, -1), np.moveaxis(dy, 1, -1)), -1, 1)
            return self._backward(dz, activation_share=None)
        inplace = act.owned_backward_inplace(self.reuse_buffers)
        if inplace is not None:
            # dy is ours to overwrite during fit: dZ = g'(z) * dA is computed per sample, in
            # place, in the same shares as the products that read it.
            return self._backward(dy, activation_share=lambda s: inplace(a[s], dy[s]))
        return self._backward(act.backward(a, dy), activation_share=None)

    def _backward(self, dz, activation_share):
        """Gradients from ``dz`` in one split of the batch (see :mod:`handgrad._parallel`).

        Each share of samples runs ``activation_share`` (which turns its rows of ``dz`` into
        dZ, when given), its per-sample products for ``dW`` and its rows of ``dx``; the sum of
        the products over the batch comes after, on the calling thread. One split instead of
        three: waking the other thread costs ~0.1-0.2 ms on a virtual machine.
        """
        n = len(dz)
        params_share, per_sample = self._parameter_share(dz)
        input_share, dx = (None, None)
        if self.need_input_grad:
            input_share, dx = self._input_share(dz)

        def run(s: slice) -> None:
            if activation_share is not None:
                activation_share(s)
            params_share(s)
            if input_share is not None:
                input_share(s)

        work = self._cols.size + per_sample.size + (0 if dx is None else 2 * dz.size + dx.size)
        map_samples(run, n, work)
        self._finish_parameter_gradients(per_sample)
        return dx

    def _parameter_share(self, dz):
        """``cols[n] @ dZ[n].T`` for a share of samples, written into ``(N, C kh kw [+1], F)``."""
        n, f = dz.shape[:2]
        dz3 = dz.reshape(n, f, -1)
        cols = self._cols
        # OpenBLAS may split a product this large across threads, and its threaded kernel
        # with a transposed operand stalls badly on busy cores: give it a contiguous one.
        contiguous = cols.shape[1] * dz3.shape[1] * dz3.shape[2] > _BLAS_THREADING_SIZE
        per_sample = np.empty((n, cols.shape[1], f), dtype=np.result_type(cols, dz))

        def run(s: slice) -> None:
            dz_t = dz3[s].transpose(0, 2, 1)
            if contiguous:
                dz_t = np.ascontiguousarray(dz_t)
            np.matmul(cols[s], dz_t, out=per_sample[s])

        return run, per_sample

    def _finish_parameter_gradients(self, per_sample: np.ndarray) -> None:
        """``[dW | db] = sum_n cols[n] @ dZ[n].T``; the last row (the constant input) is db."""
        f = per_sample.shape[2]
        dk = per_sample.sum(axis=0)
        if self.use_bias:
            self.grads["W"].reshape(f, -1)[...] = dk[:-1].T
            self.grads["b"][...] = dk[-1]
        else:
            self.grads["W"].reshape(f, -1)[...] = dk.T
        if self.regularizers:
            self._add_regularization_grads()

    def _input_share(self, dz):
        """Rows of ``dx`` for a share of samples, and the ``(N, C, H, W)`` array they fill."""
        n, f = dz.shape[:2]
        g = self.geometry
        kernel = self.params["W"]
        dx = np.empty((n, *self.input_shape), dtype=dz.dtype)
        if g.strides == (1, 1):
            pl, pr = g.padding[2:]
            wide = self._buffer("wide", (n, f, g.out_height, g.width + pl + pr), dz.dtype)
            per_offset = np.ascontiguousarray(kernel.transpose(2, 3, 1, 0), dtype=dz.dtype)

            def run(s: slice) -> None:
                stride1_input_gradient(dz[s], per_offset, g, wide[s], dx[s])

            return run, dx
        flat_kernel = kernel.reshape(f, -1).T.astype(dz.dtype, copy=False)
        dz3 = dz.reshape(n, f, -1)
        window = (self.input_shape[0], *g.kernel, g.out_height, g.out_width)

        def run(s: slice) -> None:
            dcols = np.matmul(flat_kernel, dz3[s])
            col2im(dcols.reshape(len(dcols), *window), g, dx[s])

        return run, dx

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding if isinstance(self.padding, str) else list(self.padding),
            **kernel_config(self),
        )
        return config
