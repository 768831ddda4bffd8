"""Options shared by the layers that own a kernel ``W`` and a bias ``b`` (Dense, Conv2D)."""

from __future__ import annotations

from typing import Any

from .. import activations, constraints, initializers, regularizers
from ..validation import check_bool
from .base import Layer


def configure_kernel(
    layer: Layer,
    kind: str,
    activation: Any,
    use_bias: Any,
    kernel_initializer: Any,
    bias_initializer: Any,
    kernel_regularizer: Any,
    kernel_constraint: Any,
) -> None:
    """Validate and store the activation, bias, initializer, regularizer and constraint options.

    The kernel initializer defaults to He after the ReLU family and Glorot uniform otherwise;
    sigmoid and softmax outputs can be fused with their cross-entropy loss.
    """
    layer.activation = activations.get(activation)
    layer.use_bias = check_bool(use_bias, f"{kind} {layer.name!r} use_bias")
    layer.kernel_initializer = kernel_initializer or initializers.default_kernel_initializer(
        layer.activation.name
    )
    initializers.get(layer.kernel_initializer)
    layer.bias_initializer = bias_initializer
    initializers.get(layer.bias_initializer)
    reg = regularizers.get(kernel_regularizer)
    if reg is not None:
        layer.regularizers["W"] = reg
    con = constraints.get(kernel_constraint)
    if con is not None:
        layer.constraints["W"] = con
    if layer.activation.name in ("sigmoid", "softmax"):
        layer.fused_activation = layer.activation.name


def kernel_config(layer: Layer) -> dict[str, Any]:
    """The options of :func:`configure_kernel` as JSON-compatible values."""
    return {
        "activation": layer.activation.name,
        "use_bias": layer.use_bias,
        "kernel_initializer": layer.kernel_initializer,
        "bias_initializer": layer.bias_initializer,
        "kernel_regularizer": (
            layer.regularizers["W"].get_config() if "W" in layer.regularizers else None
        ),
        "kernel_constraint": (
            layer.constraints["W"].get_config() if "W" in layer.constraints else None
        ),
    }
