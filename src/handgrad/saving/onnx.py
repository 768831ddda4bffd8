"""Export a trained :class:`~handgrad.Sequential` model to ONNX, for inference elsewhere.

The graph is built node by node with ``onnx.helper`` (no converter library). It has one input
``"input"`` of shape ``(N, *model.input_shape)`` and one output ``"output"`` of shape
``(N, *model.output_shape)``; ``N`` is a dynamic batch dimension. Every layer becomes the
inference form of its forward pass::

    Dense               Gemm(x, W, b) = x @ W + b          (MatMul when use_bias=False)
    Conv2D              Conv(x, W, b), pads = [top, left, bottom, right] exactly as handgrad
                        pads ("same": the odd row/column at the bottom/right, as TensorFlow)
    MaxPooling2D        MaxPool (padding never wins the max, as handgrad's -inf padding)
    AveragePooling2D    AveragePool, count_include_pad=0 (padding left out of the mean)
    GlobalAveragePool.  GlobalAveragePool, then Flatten to (N, C)
    Flatten             Flatten(axis=1), row-major as handgrad
    BatchNormalization  BatchNormalization with the moving statistics (inference form):
                        y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
    Dropout             Identity (inverted dropout is the identity at inference)
    Activation          the activation's node(s), below

Activations::

    linear        (no node)                  sigmoid       Sigmoid
    tanh          Tanh                       relu          Relu
    leaky_relu    LeakyRelu(alpha=0.01)      elu           Elu(alpha=1)
    softmax       Softmax over the last axis (Dense, Activation) or the channel axis 1 (Conv2D)
    sign          Sign                       hard_sigmoid  HardSigmoid(alpha=1, beta=0.5)
    step          0.5 * (Sign(z) + 1)        (ONNX has no step; this is exact: 0, 0.5, 1)

The graph is always float32: a float64 model's weights are rounded to float32 (ONNX runtimes
compute in float32 first; onnxruntime has no float64 kernels for several of the ops above).
onnx is an optional dependency, imported only when a function here is called.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import activations
from .._atomic import atomic_write
from .._version import __version__
from ..layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPooling2D,
)
from ..sequential import Sequential

if TYPE_CHECKING:
    import onnx

__all__ = ["export_onnx", "to_onnx", "DEFAULT_OPSET", "MIN_OPSET"]

#: Opset used by default: supported by every onnxruntime since 1.12.
DEFAULT_OPSET = 17
#: Oldest opset accepted: Softmax's ``axis`` means "this axis only" from opset 13 on.
MIN_OPSET = 13

INPUT_NAME = "input"
OUTPUT_NAME = "output"


def _import_onnx():
    try:
        import onnx
    except ImportError as err:
        raise ImportError(
            'ONNX export needs the onnx package; install it with pip install "handgrad[onnx]"'
        ) from err
    return onnx


class _GraphBuilder:
    """Collects the nodes and float32 initializers of the graph, with unique tensor names."""

    def __init__(self, onnx) -> None:
        self.onnx = onnx
        self.nodes: list = []
        self.initializers: list = []
        self._names: set[str] = {INPUT_NAME, OUTPUT_NAME}

    def _unique(self, name: str) -> str:
        candidate, k = name, 1
        while candidate in self._names:
            candidate, k = f"{name}_{k}", k + 1
        self._names.add(candidate)
        return candidate

    def const(self, name: str, value: Any) -> str:
        """Add ``value`` as a float32 initializer; returns its tensor name."""
        array = np.asarray(value, dtype=np.float32)
        name = self._unique(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], prefix: str, **attributes: Any) -> str:
        """Add one ``op`` node named ``prefix/op``; returns the name of its output."""
        name = self._unique(f"{prefix}/{op}")
        self.nodes.append(self.onnx.helper.make_node(op, inputs, [name], name=name, **attributes))
        return name


# ----------------------------------------------------------------------------- activations
def _activation(g: _GraphBuilder, layer, x: str, softmax_axis: int) -> str:
    """Nodes computing ``layer.activation`` of ``x``; returns the output name."""
    name, prefix = layer.activation.name, layer.name
    known = activations.get(name) if name in activations.names() else None
    if known is not layer.activation:
        raise ValueError(
            f"cannot export layer {prefix!r}: activation {name!r} is not a built-in handgrad "
            f"activation (exportable: {', '.join(activations.names())})"
        )
    if name == "linear":
        return x
    if name == "softmax":
        return g.node("Softmax", [x], prefix, axis=softmax_axis)
    if name == "leaky_relu":
        return g.node("LeakyRelu", [x], prefix, alpha=activations.LEAKY_RELU_SLOPE)
    if name == "elu":
        return g.node("Elu", [x], prefix, alpha=activations.ELU_ALPHA)
    if name == "hard_sigmoid":  # clip(alpha z + beta, 0, 1) with alpha 1, beta 1/2
        return g.node("HardSigmoid", [x], prefix, alpha=1.0, beta=0.5)
    if name == "step":  # sign(z) + 1 is 0, 1 or 2 exactly; halving it is exact too
        s = g.node("Sign", [x], prefix)
        s = g.node("Add", [s, g.const(f"{prefix}/one", 1.0)], prefix)
        return g.node("Mul", [s, g.const(f"{prefix}/half", 0.5)], prefix)
    simple = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "sign": "Sign"}
    if name in simple:
        return g.node(simple[name], [x], prefix)
    raise ValueError(f"cannot export layer {prefix!r}: no ONNX form for activation {name!r}")


# ---------------------------------------------------------------------------------- layers
def _dense(g: _GraphBuilder, layer: Dense, x: str) -> str:
    w = g.const(f"{layer.name}/W", layer.params["W"])
    if layer.use_bias:
        z = g.node("Gemm", [x, w, g.const(f"{layer.name}/b", layer.params["b"])], layer.name)
    else:
        z = g.node("MatMul", [x, w], layer.name)
    return _activation(g, layer, z, softmax_axis=-1)


def _conv2d(g: _GraphBuilder, layer: Conv2D, x: str) -> str:
    top, bottom, left, right = layer.geometry.padding
    inputs = [x, g.const(f"{layer.name}/W", layer.params["W"])]
    if layer.use_bias:
        inputs.append(g.const(f"{layer.name}/b", layer.params["b"]))
    z = g.node(
        "Conv",
        inputs,
        layer.name,
        kernel_shape=list(layer.kernel_size),
        strides=list(layer.strides),
        pads=[top, left, bottom, right],
    )
    return _activation(g, layer, z, softmax_axis=1)


def _pool_attributes(layer) -> dict[str, Any]:
    top, bottom, left, right = layer.geometry.padding
    return {
        "kernel_shape": list(layer.pool_size),
        "strides": list(layer.strides),
        "pads": [top, left, bottom, right],
    }


def _max_pool(g: _GraphBuilder, layer: MaxPooling2D, x: str) -> str:
    return g.node("MaxPool", [x], layer.name, **_pool_attributes(layer))


def _average_pool(g: _GraphBuilder, layer: AveragePooling2D, x: str) -> str:
    return g.node("AveragePool", [x], layer.name, count_include_pad=0, **_pool_attributes(layer))


def _global_average_pool(g: _GraphBuilder, layer: GlobalAveragePooling2D, x: str) -> str:
    y = g.node("GlobalAveragePool", [x], layer.name)  # (N, C, 1, 1)
    return g.node("Flatten", [y], layer.name, axis=1)


def _flatten(g: _GraphBuilder, layer: Flatten, x: str) -> str:
    return g.node("Flatten", [x], layer.name, axis=1)


def _batch_norm(g: _GraphBuilder, layer: BatchNormalization, x: str) -> str:
    # ONNX BatchNormalization takes (N, C, D1, ...) with statistics per C: (N, d) vectors
    # and (N, C, H, W) maps both have the feature axis at 1, as in handgrad.
    channels = layer.input_shape[0]
    gamma = layer.params["gamma"] if layer.scale else np.ones(channels)
    beta = layer.params["beta"] if layer.center else np.zeros(channels)
    p = layer.name
    inputs = [
        x,
        g.const(f"{p}/gamma", gamma),
        g.const(f"{p}/beta", beta),
        g.const(f"{p}/moving_mean", layer.buffers["moving_mean"]),
        g.const(f"{p}/moving_variance", layer.buffers["moving_variance"]),
    ]
    return g.node("BatchNormalization", inputs, p, epsilon=layer.epsilon)


def _dropout(g: _GraphBuilder, layer: Dropout, x: str) -> str:
    return x


def _activation_layer(g: _GraphBuilder, layer: Activation, x: str) -> str:
    # handgrad's Activation layer applies softmax over the last axis whatever the rank.
    return _activation(g, layer, x, softmax_axis=-1)


# Exact types: a subclass may change forward(), so it is not exported as its parent.
_CONVERTERS = {
    Dense: _dense,
    Activation: _activation_layer,
    Dropout: _dropout,
    BatchNormalization: _batch_norm,
    Conv2D: _conv2d,
    MaxPooling2D: _max_pool,
    AveragePooling2D: _average_pool,
    GlobalAveragePooling2D: _global_average_pool,
    Flatten: _flatten,
}


def _convert_layer(g: _GraphBuilder, layer, x: str) -> str:
    converter = _CONVERTERS.get(type(layer))
    if converter is None:
        supported = ", ".join(cls.__name__ for cls in _CONVERTERS)
        raise ValueError(
            f"cannot export layer {layer.name!r} of type {type(layer).__name__} to ONNX; "
            f"supported layer types: {supported}"
        )
    y = converter(g, layer, x)
    # Layers that compute nothing at inference still get a node, so every layer (and the
    # graph's output) has a tensor of its own.
    return g.node("Identity", [x], layer.name) if y == x else y


# -------------------------------------------------------------------------------- checking
def _check_model(model: Any) -> None:
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a handgrad Sequential, got {type(model).__name__}")
    if not model.built:
        raise ValueError(
            "model is not built, so its input shape is unknown; call model.build(input_shape) "
            "or fit it before exporting"
        )


def _check_opset(opset: Any, onnx) -> int:
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an int, got {opset!r}")
    latest = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= latest:
        raise ValueError(
            f"opset must be between {MIN_OPSET} and {latest} (the newest this onnx "
            f"{onnx.__version__} knows), got {opset}"
        )
    return int(opset)


def _check_path(path: Any) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot export to {str(path)!r}: folder {str(folder)!r} does not exist"
        )
    return path


# ---------------------------------------------------------------------------------- public
def to_onnx(model: Any, opset: int = DEFAULT_OPSET) -> onnx.ModelProto:
    """Build the ONNX model of a built :class:`~handgrad.Sequential` (see the module docstring).

    Parameters
    ----------
    model : Sequential
        A built model made of exportable layers (Dense, Activation, Dropout,
        BatchNormalization, Conv2D, MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D,
        Flatten).
    opset : int
        ONNX operator set version, from 13 (default 17).

    Returns
    -------
    onnx.ModelProto
        Checked with ``onnx.checker.check_model(..., full_check=True)``; float32 input
        ``"input"`` ``(N, *input_shape)`` and output ``"output"`` ``(N, *output_shape)``.

    Raises
    ------
    ImportError
        When onnx is not installed.
    TypeError, ValueError
        For a model that is not a built Sequential, a bad opset, or a layer or activation
        that has no ONNX form (the message names the layer).
    """
    _check_model(model)
    onnx = _import_onnx()
    opset = _check_opset(opset, onnx)
    helper = onnx.helper
    g = _GraphBuilder(onnx)
    x = INPUT_NAME
    for layer in model.layers:
        x = _convert_layer(g, layer, x)
    g.nodes[-1].output[0] = OUTPUT_NAME  # x is the last node's output: give it its public name
    float32 = onnx.TensorProto.FLOAT
    graph = helper.make_graph(
        g.nodes,
        model.name,
        [helper.make_tensor_value_info(INPUT_NAME, float32, ["N", *model.input_shape])],
        [helper.make_tensor_value_info(OUTPUT_NAME, float32, ["N", *model.output_shape])],
        initializer=g.initializers,
    )
    opset_ids = [helper.make_opsetid("", opset)]
    proto = helper.make_model(
        graph,
        opset_imports=opset_ids,
        producer_name="handgrad",
        producer_version=__version__,
        doc_string=f"handgrad Sequential {model.name!r} ({model.dtype.name} weights as float32)",
        # The oldest IR version that carries this opset, so older runtimes can load the file.
        ir_version=helper.find_min_ir_version_for(opset_ids),
    )
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(model: Any, path: str | os.PathLike, opset: int = DEFAULT_OPSET) -> None:
    """Write ``model`` as an ONNX file at ``path``, atomically.

    Parameters
    ----------
    model : Sequential
        A built model (see :func:`to_onnx` for the exportable layers and the graph's form).
    path : str or os.PathLike
        Destination file, conventionally ``*.onnx``; its folder must exist. The file is
        written to a temporary name in that folder and renamed over ``path`` once complete,
        so a failed export leaves any previous file untouched.
    opset : int
        ONNX operator set version, from 13 (default 17).

    Examples
    --------
    >>> import pathlib, tempfile, numpy as np, handgrad as hg
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
    >>> model = hg.Sequential([hg.layers.Dense(3, "softmax", input_dim=4)], seed=0)
    >>> hg.export_onnx(model, path)
    >>> import onnxruntime as ort
    >>> session = ort.InferenceSession(str(path))
    >>> x = np.ones((2, 4), dtype=np.float32)
    >>> bool(np.allclose(session.run(None, {"input": x})[0], model.predict(x), atol=1e-5))
    True
    """
    target = _check_path(path)
    data = to_onnx(model, opset).SerializeToString()
    atomic_write(target, lambda f: f.write(data))
