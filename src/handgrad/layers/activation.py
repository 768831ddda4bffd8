"""A layer that applies an activation function element-wise: ``A = g(X)``.

Backward: ``dX = g'(X) * dA`` (for softmax, the Jacobian-vector product
``A * (dA - sum(dA * A))`` per row), computed from the cached output ``A``.
"""

from __future__ import annotations

from typing import Any

from .. import activations
from .base import Layer


class Activation(Layer):
    """Apply an activation by name, e.g. ``Activation("relu")``.

    Parameters
    ----------
    activation : str
        One of ``handgrad.activations.names()``.
    """

    def __init__(self, activation: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        if self.activation.name in ("sigmoid", "softmax"):
            self.fused_activation = self.activation.name
        self._a = None

    def forward(self, x, training=False):
        self.ensure_built(x)
        self._a = self.activation.forward(x)
        return self._a

    def backward(self, dy):
        return self.activation.backward(self._a, dy)

    def forward_logits(self, x, training=False):
        self.ensure_built(x)
        return x

    def backward_logits(self, dz):
        return dz

    def get_config(self):
        config = super().get_config()
        config["activation"] = self.activation.name
        return config
