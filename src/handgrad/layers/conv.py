"""2-D convolution (cross-correlation, as every deep-learning library computes it).

Forward, for images ``x`` of shape ``(N, C, H, W)`` and kernels ``W`` of shape ``(F, C, kh, kw)``,
after zero-padding ``x`` (see :mod:`handgrad.layers._im2col` for the padding rules)::

    z[n, f, i, j] = sum_{c, u, v} x[n, c, i*sh + u, j*sw + v] * W[f, c, u, v] + b[f]
    a = g(z)                                         z, a: (N, F, OH, OW)

computed as one matrix product over the im2col matrix ``cols`` of shape ``(C kh kw, N OH OW)``::

    Z2 = W.reshape(F, C kh kw) @ cols                (F, N OH OW), then moved to (N, F, OH, OW)

Backward, from ``dA = dL/da``::

    dZ = g'(z) * dA                                  (the activation's vector-Jacobian product)
    dW = (dZ2 @ cols.T).reshape(F, C, kh, kw)        dZ2 = dZ moved to (F, N OH OW)
    db[f] = sum_{n, i, j} dZ[n, f, i, j]
    dx = col2im(W.reshape(F, C kh kw).T @ dZ2)       (scatter-add over the kh*kw offsets)

Sparse connections and weight sharing are what make this cheaper than a Dense layer: each
output sees only a ``kh x kw`` patch, and all positions share the same ``F`` kernels, so the
layer has ``F (C kh kw + 1)`` parameters whatever the image size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations, constraints, initializers, regularizers
from ._im2col import Geometry, col2im, im2col, pair
from .base import Layer, check_positive_int

__all__ = ["Conv2D"]


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
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = kernel_initializer or initializers.default_kernel_initializer(
            self.activation.name
        )
        initializers.get(self.kernel_initializer)
        self.bias_initializer = bias_initializer
        initializers.get(self.bias_initializer)
        reg = regularizers.get(kernel_regularizer)
        if reg is not None:
            self.regularizers["W"] = reg
        con = constraints.get(kernel_constraint)
        if con is not None:
            self.constraints["W"] = con
        if self.activation.name in ("sigmoid", "softmax"):
            self.fused_activation = self.activation.name
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

    def _columns_buffer(self, n: int, dtype) -> np.ndarray:
        """A zero-initialized im2col buffer reused across batches of the same size.

        Entries that see padding are never written, so they stay zero from the first fill.
        A few sizes are kept (training batches, the last short batch, evaluation batches).
        """
        key = (n, np.dtype(dtype))
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) >= 3:
                self._buffers.clear()
            g = self.geometry
            shape = (self.input_shape[0], *g.kernel, n, g.out_height, g.out_width)
            buf = self._buffers[key] = np.zeros(shape, dtype=dtype)
        return buf

    # ------------------------------------------------------------------ forward
    def forward_logits(self, x, training=False):
        self._ensure_built(x)
        check_batch(x, self)
        n = x.shape[0]
        g = self.geometry
        cols = im2col(x, g, self._columns_buffer(n, x.dtype))
        cols2 = cols.reshape(-1, n * g.out_height * g.out_width)
        kernel = self.params["W"].reshape(self.filters, -1)
        z2 = kernel @ cols2  # (F, N*OH*OW): one BLAS call for the whole batch
        zt = z2.reshape(self.filters, n, g.out_height, g.out_width).transpose(1, 0, 2, 3)
        z = np.empty(zt.shape, dtype=z2.dtype)
        if self.use_bias:
            np.add(zt, self.params["b"][:, None, None], out=z)  # bias added while transposing
        else:
            np.copyto(z, zt)
        self._cols = cols2
        return z

    def forward(self, x, training=False):
        z = self.forward_logits(x, training)
        name = self.activation.name
        if name == "relu":
            a = np.maximum(z, 0, out=z)  # z is ours and not needed again: no new array
        elif name == "softmax":
            a = np.moveaxis(self.activation.forward(np.moveaxis(z, 1, -1)), -1, 1)
        else:
            a = self.activation.forward(z)
        self._a = a
        return a

    # ----------------------------------------------------------------- backward
    def backward_logits(self, dz):
        f = self.filters
        # (N, F, OH, OW) -> (F, N*OH*OW), the layout of the forward product
        dz2 = np.ascontiguousarray(dz.transpose(1, 0, 2, 3)).reshape(f, -1)
        np.matmul(dz2, self._cols.T, out=self.grads["W"].reshape(f, -1))
        if self.use_bias:
            np.sum(dz2, axis=1, out=self.grads["b"])
        if self.regularizers:
            self._add_regularization_grads()
        if not self.need_input_grad:
            return None
        g = self.geometry
        n = dz.shape[0]
        dcols = self.params["W"].reshape(f, -1).T @ dz2
        dcols = dcols.reshape(self.input_shape[0], *g.kernel, n, g.out_height, g.out_width)
        dx = np.empty((n, *self.input_shape), dtype=dcols.dtype)
        return col2im(dcols, g, dx)

    def backward(self, dy):
        a = self._a
        if self.activation.name == "softmax":
            dz = np.moveaxis(
                self.activation.backward(np.moveaxis(a, 1, -1), np.moveaxis(dy, 1, -1)), -1, 1
            )
        else:
            dz = self.activation.backward(a, dy)
        return self.backward_logits(dz)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=list(self.kernel_size),
            strides=list(self.strides),
            padding=self.padding if isinstance(self.padding, str) else list(self.padding),
            activation=self.activation.name,
            use_bias=self.use_bias,
            kernel_initializer=self.kernel_initializer,
            bias_initializer=self.bias_initializer,
            kernel_regularizer=(
                self.regularizers["W"].get_config() if "W" in self.regularizers else None
            ),
            kernel_constraint=(
                self.constraints["W"].get_config() if "W" in self.constraints else None
            ),
        )
        return config
