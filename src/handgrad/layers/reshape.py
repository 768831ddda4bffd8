"""``Flatten``: ``(N, d1, d2, ...) -> (N, d1*d2*...)`` in C (row-major) order.

Backward reshapes ``dy`` back to the input shape; no values change, so ``dx = dy.reshape(x.shape)``.
For images ``(N, C, H, W)`` the feature index is ``c*H*W + h*W + w`` (channels-first).
"""

from __future__ import annotations

import numpy as np

from .base import Layer

__all__ = ["Flatten"]


class Flatten(Layer):
    """Flatten every sample to one axis, e.g. before a Dense layer.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> hg.layers.Flatten().forward(np.zeros((2, 3, 4, 4))).shape
    (2, 48)
    """

    def compute_output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=False):
        self.ensure_built(x)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"Flatten layer {self.name!r} was built for samples of shape {self.input_shape} "
                f"but got a batch of shape {x.shape}"
            )
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(dy.shape[0], *self.input_shape)
