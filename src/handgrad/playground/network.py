"""A :class:`~handgrad.playground.spec.ModelSpec` as a real handgrad network.

One function per object the spec names: the layers, the optimizer (with its schedule), the
loss. The layer list mirrors the page's picture: each hidden layer is ``Dense`` with its
activation, or ``Dense`` + ``BatchNormalization`` + ``Activation`` when batch norm is on,
then ``Dropout`` when its rate is above zero; the output layer is one sigmoid unit for two
classes, a softmax unit per class for more, and one linear unit for regression.

:class:`Layout` records which of the handgrad layers hold each picture column's weights and
outputs, so that the page's neurons and edges can be read from the model and edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import handgrad as hg

from .spec import ModelSpec


@dataclass(frozen=True)
class Layout:
    """Where the picture's columns live in ``model.layers``.

    Attributes
    ----------
    dense : tuple of int
        Index of the ``Dense`` layer of each hidden layer, then of the output layer.
    outputs : tuple of int
        Index of the layer whose output is each hidden layer's neurons (after the activation,
        before dropout), then of the output layer.
    """

    dense: tuple[int, ...]
    outputs: tuple[int, ...]


def output_kind(problem: str, n_classes: int) -> tuple[int, str, str]:
    """Output units, activation and loss for a problem: sigmoid/BCE, softmax/CCE or linear/MSE."""
    if problem == "regression":
        return 1, "linear", "mse"
    if n_classes == 2:
        return 1, "sigmoid", "binary_crossentropy"
    return n_classes, "softmax", "categorical_crossentropy"


def _regularizer(spec: ModelSpec) -> Any:
    if spec.regularization == "L1":
        return hg.regularizers.L1(spec.regularization_rate)
    if spec.regularization == "L2":
        return hg.regularizers.L2(spec.regularization_rate)
    return None


def layer_arguments(spec: ModelSpec, problem: str, n_classes: int) -> list[tuple[str, dict]]:
    """The layers as ``(class name, keyword arguments)``: what :func:`build` creates and what
    the generated code writes, from one list."""
    out: list[tuple[str, dict]] = []
    n_features = len(spec.features)
    regularize = spec.regularization != "none"
    for i, layer in enumerate(spec.layers):
        dense: dict[str, Any] = {"units": layer.units}
        if not layer.batchnorm:
            dense["activation"] = layer.activation
        if layer.initializer != "default":
            dense["kernel_initializer"] = layer.initializer
        elif layer.batchnorm:
            # Without an activation on the Dense layer handgrad would pick Glorot; keep the
            # choice it makes for the activation that follows (He after ReLUs).
            dense["kernel_initializer"] = hg.initializers.default_kernel_initializer(
                layer.activation
            )
        if regularize:
            dense["kernel_regularizer"] = True
        if i == 0:
            dense["input_dim"] = n_features
        out.append(("Dense", dense))
        if layer.batchnorm:
            out.append(("BatchNormalization", {}))
            out.append(("Activation", {"activation": layer.activation}))
        if layer.dropout:
            out.append(("Dropout", {"rate": layer.dropout}))
    units, activation, _ = output_kind(problem, n_classes)
    final: dict[str, Any] = {"units": units, "activation": activation}
    if regularize:
        final["kernel_regularizer"] = True
    if not spec.layers:
        final["input_dim"] = n_features
    out.append(("Dense", final))
    return out


def layout(spec: ModelSpec, problem: str, n_classes: int) -> Layout:
    """The :class:`Layout` of the network :func:`build` makes."""
    dense, outputs = [], []
    for i, (name, _) in enumerate(layer_arguments(spec, problem, n_classes)):
        if name == "Dense":
            dense.append(i)
            outputs.append(i)
        elif name == "Activation":
            outputs[-1] = i
    return Layout(tuple(dense), tuple(outputs))


def _schedule(spec: ModelSpec) -> Any:
    rate = spec.learning_rate
    if spec.schedule == "inverse_time":
        return hg.schedules.InverseTimeDecay(rate, spec.schedule_value)
    if spec.schedule == "exponential":
        return hg.schedules.ExponentialDecay(rate, spec.schedule_value)
    if spec.schedule == "inverse_sqrt":
        return hg.schedules.InverseSqrtDecay(rate, spec.schedule_value)
    if spec.schedule == "step":
        return hg.schedules.StepDecay(rate, spec.schedule_value, spec.schedule_every)
    return rate


def optimizer(spec: ModelSpec) -> Any:
    """The optimizer the spec names, with its learning rate or schedule."""
    rate = _schedule(spec)
    if spec.optimizer == "sgd":
        return hg.optimizers.SGD(rate, momentum=spec.momentum)
    if spec.optimizer == "momentum":
        return hg.optimizers.Momentum(rate, beta=spec.momentum)
    if spec.optimizer == "rmsprop":
        return hg.optimizers.RMSprop(rate)
    return hg.optimizers.Adam(rate)


_LAYERS = {
    "Dense": hg.layers.Dense,
    "BatchNormalization": hg.layers.BatchNormalization,
    "Activation": hg.layers.Activation,
    "Dropout": hg.layers.Dropout,
}


def build(spec: ModelSpec, problem: str, n_classes: int) -> hg.Sequential:
    """A compiled, freshly initialized network for ``spec`` (seeded by ``spec.seed``).

    Raises
    ------
    ValueError
        When handgrad refuses a setting (e.g. a schedule parameter); the message is handgrad's.
    """
    layers = []
    for name, kwargs in layer_arguments(spec, problem, n_classes):
        kwargs = dict(kwargs)
        if kwargs.get("kernel_regularizer") is True:
            kwargs["kernel_regularizer"] = _regularizer(spec)
        if name == "Activation":
            layers.append(hg.layers.Activation(kwargs["activation"]))
        else:
            layers.append(_LAYERS[name](**kwargs))
    model = hg.Sequential(layers, seed=spec.seed)
    _, _, loss = output_kind(problem, n_classes)
    metrics = [] if problem == "regression" else ["accuracy"]
    model.compile(loss=loss, optimizer=optimizer(spec), metrics=metrics)
    return model
