"""Fully connected layer.

Forward, for a batch ``X`` of shape ``(N, fan_in)``::

    Z = X @ W + b          W: (fan_in, units), b: (units,), Z: (N, units)
    A = g(Z)               g: the activation

Backward, from ``dA = dL/dA`` of shape ``(N, units)``::

    dZ = g'(Z) * dA        (the activation's vector-Jacobian product, from A)
    dW = X.T @ dZ          (fan_in, units)
    db = sum_n dZ          (units,)
    dX = dZ @ W.T          (N, fan_in)

The notes write the same layer in the column convention ``Z = W X + b`` with ``W`` of shape
``(units, fan_in)`` and ``X`` of shape ``(fan_in, N)``: handgrad's ``W`` is its transpose. The
``1/m`` of the notes' ``dW = 1/m dZ A.T`` lives in the loss gradient, which is already divided
by the batch size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import initializers
from ..validation import check_positive_int
from ._kernel import configure_kernel, kernel_config
from .base import Layer


class Dense(Layer):
    """Densely connected layer ``A = g(X @ W + b)``.

    Parameters
    ----------
    units : int
        Number of output units.
    activation : str, optional
        Activation name (see ``handgrad.activations.names()``); ``None`` is linear.
    use_bias : bool
        Whether to add the bias ``b``.
    kernel_initializer : str, optional
        Initializer name; by default He normal after ReLU-family activations, Glorot uniform
        otherwise.
    bias_initializer : str
        Initializer for ``b`` (default ``"zeros"``).
    kernel_regularizer : Regularizer, optional
        Penalty on ``W`` (``regularizers.L1``, ``L2``, ``L1L2``).
    kernel_constraint : Constraint, optional
        Projection of ``W`` after each update (``constraints.MaxNorm``).
    input_dim, input_shape, name, trainable, seed
        See :class:`Layer`.

    Examples
    --------
    >>> import numpy as np, handgrad as hg
    >>> layer = hg.layers.Dense(2, activation="sigmoid")
    >>> layer.build((3,)); layer.set_weights([np.zeros((3, 2)), np.zeros(2)])
    >>> layer.forward(np.ones((1, 3), dtype=np.float32))
    array([[0.5, 0.5]], dtype=float32)
    """

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str | None = None,
        bias_initializer: str = "zeros",
        kernel_regularizer: Any = None,
        kernel_constraint: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.units = check_positive_int(units, f"Dense {self.name!r} units")
        configure_kernel(
            self,
            "Dense",
            activation,
            use_bias,
            kernel_initializer,
            bias_initializer,
            kernel_regularizer,
            kernel_constraint,
        )
        self._x: np.ndarray | None = None
        self._a: np.ndarray | None = None

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(
                f"Dense layer {self.name!r} expects inputs of shape (N, features), got samples "
                f"of shape {tuple(input_shape)}; add a Flatten() layer before it"
            )
        return (self.units,)

    def _build(self, input_shape, rng, dtype):
        fan_in = input_shape[0]
        self.params["W"] = initializers.get(self.kernel_initializer)(
            (fan_in, self.units), rng, dtype
        )
        if self.use_bias:
            self.params["b"] = initializers.get(self.bias_initializer)((self.units,), rng, dtype)

    # ------------------------------------------------------------------ forward
    def forward_logits(self, x, training=False):
        self.ensure_built(x)
        self._x = x
        w = self.params["W"]
        if self.reuse_buffers and training:
            z = np.matmul(x, w, out=self._scratch_array("z", (len(x), self.units), w.dtype))
        else:
            z = x @ w
        if self.use_bias:
            z += self.params["b"]
        return z

    def forward(self, x, training=False):
        z = self.forward_logits(x, training)
        act = self.activation
        # z is this layer's own array, so the activation may overwrite it.
        a = act.forward(z) if act.forward_inplace is None else act.forward_inplace(z)
        self._a = a
        return a

    # ----------------------------------------------------------------- backward
    def backward_logits(self, dz):
        np.matmul(self._x.T, dz, out=self.grads["W"])
        if self.use_bias:
            np.add.reduce(dz, axis=0, out=self.grads["b"])
        if self.regularizers:
            self._add_regularization_grads()
        if not self.need_input_grad:
            return None
        w_t = self.params["W"].T
        if self.reuse_buffers:
            dx = self._scratch_array("dx", (len(dz), w_t.shape[1]), dz.dtype)
            return np.matmul(dz, w_t, out=dx)
        return dz @ w_t

    def backward(self, dy):
        return self.backward_logits(
            self.activation.backward_owned(self._a, dy, overwrite=self.reuse_buffers)
        )

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            **kernel_config(self),
        )
        return config
