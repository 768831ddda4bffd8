"""Networks a search trains: :func:`build_mlp` and the template builder.

A *template* is a dict of :data:`TEMPLATE_DEFAULTS` settings; :class:`TemplateBuilder` turns
it, overridden by a trial's parameters, into a compiled :func:`build_mlp` network sized for
the data (``n_features`` inputs, one output per class or target column).
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import layers, optimizers, regularizers
from ..model import Sequential
from ._checks import check_positive, json_value
from .data import TrialData
from .space import Dimension

__all__ = [
    "TEMPLATE_DEFAULTS",
    "FIT_KEYS",
    "build_mlp",
    "check_template",
    "Targets",
    "TemplateBuilder",
    "template_builder",
]

#: Settings a template may fix and a search space may tune (see :func:`build_mlp`).
TEMPLATE_DEFAULTS: dict[str, Any] = {
    "hidden": [32],
    "units": None,
    "layers": None,
    "activation": "relu",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "momentum": 0.0,
    "l2": 0.0,
    "dropout": 0.0,
    "batch_norm": False,
    "kernel_initializer": "glorot_uniform",
    "loss": "categorical_crossentropy",
    "dtype": "float32",
    "batch_size": None,
    "epochs": None,
}
FIT_KEYS = ("batch_size", "epochs")
_CLASS_LOSSES = ("categorical_crossentropy", "binary_crossentropy")


def _optimizer(name: str, learning_rate: float, momentum: float) -> optimizers.Optimizer:
    if name == "sgd":
        return optimizers.SGD(learning_rate, momentum=momentum)
    if name == "momentum":
        return optimizers.Momentum(learning_rate, beta=momentum or 0.9)
    if name == "rmsprop":
        return optimizers.RMSprop(learning_rate)
    if name == "adam":
        return optimizers.Adam(learning_rate)
    raise ValueError(f"optimizer must be 'sgd', 'momentum', 'rmsprop' or 'adam', got {name!r}")


def build_mlp(
    n_features: int,
    n_outputs: int,
    *,
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    optimizer: str = "adam",
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    l2: float = 0.0,
    dropout: float = 0.0,
    batch_norm: bool = False,
    kernel_initializer: str = "glorot_uniform",
    loss: str = "categorical_crossentropy",
    seed: int | None = 0,
    dtype: str = "float32",
) -> Sequential:
    """A compiled multilayer perceptron ``n_features -> hidden... -> n_outputs``.

    ``hidden`` lists the hidden layer sizes (an int is one hidden layer, ``[]`` none).

    Each hidden layer is ``Dense(units, activation)`` (or ``Dense -> BatchNormalization ->
    Activation`` with ``batch_norm``), followed by ``Dropout(dropout)`` when ``dropout > 0``;
    its kernel gets ``L2(l2)`` when ``l2 > 0``. The output layer is softmax for categorical
    cross-entropy, sigmoid for binary cross-entropy and linear otherwise. ``optimizer`` is
    ``"sgd"`` (``SGD(learning_rate, momentum)``), ``"momentum"`` (``Momentum(learning_rate,
    beta=momentum or 0.9)``), ``"rmsprop"`` or ``"adam"``. Classification losses also
    compute ``accuracy``.

    Examples
    --------
    >>> model = build_mlp(4, 3, hidden=[16, 8], dropout=0.2)
    >>> [type(layer).__name__ for layer in model.layers]
    ['Dense', 'Dropout', 'Dense', 'Dropout', 'Dense']
    >>> model.layers[-1].units, type(model.optimizer).__name__
    (3, 'Adam')
    """

    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = [hidden]  # one hidden layer, as in the template and scikit-learn
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a list of layer sizes, got {hidden!r}")
    stack: list[Any] = []
    for i, units in enumerate(hidden):
        kwargs: dict[str, Any] = {"kernel_initializer": kernel_initializer}
        if i == 0:
            kwargs["input_dim"] = n_features
        if l2:
            kwargs["kernel_regularizer"] = regularizers.L2(l2)
        if batch_norm:
            stack += [
                layers.Dense(units, **kwargs),
                layers.BatchNormalization(),
                layers.Activation(activation),
            ]
        else:
            stack.append(layers.Dense(units, activation, **kwargs))
        if dropout:
            stack.append(layers.Dropout(dropout))
    output = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}
    out_kwargs: dict[str, Any] = {"kernel_initializer": kernel_initializer}
    if not hidden:
        out_kwargs["input_dim"] = n_features
    stack.append(layers.Dense(n_outputs, output.get(loss, "linear"), **out_kwargs))
    model = Sequential(stack, seed=seed, dtype=dtype)
    metrics = ["accuracy"] if loss in _CLASS_LOSSES else []
    model.compile(loss, _optimizer(optimizer, learning_rate, momentum), metrics=metrics)
    return model


def check_template(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as JSON data; an error naming any setting not in TEMPLATE_DEFAULTS."""
    unknown = sorted(set(template) - set(TEMPLATE_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown template setting(s) {unknown}; settings are: {', '.join(TEMPLATE_DEFAULTS)}"
        )
    return {k: json_value(v, f"template[{k!r}]") for k, v in template.items()}


@dataclass(frozen=True)
class Targets:
    """What a template needs to know about ``y`` to size the output layer."""

    ndim: int
    width: int  # y.shape[1] for 2-D targets, else 1
    n_classes: int  # max label + 1 for 1-D integer labels, else 0

    @classmethod
    def of(cls, data: TrialData) -> Targets:
        """The targets of a search's training and validation labels."""
        y, yv = data.y, data.y_val
        if y.ndim == 1 and y.dtype.kind in "biu":
            return cls(1, 1, int(max(y.max(), yv.max())) + 1)
        return cls(y.ndim, 1 if y.ndim == 1 else int(y.shape[1]), 0)


class TemplateBuilder:
    """``build(params, seed)`` for a template: template settings overridden by the params.

    ``units`` / ``layers`` (when set) replace ``hidden`` by ``layers`` hidden layers of
    ``units`` each; the output layer has one unit per class (integer labels) or target column.

    Examples
    --------
    >>> build = TemplateBuilder({"hidden": [8]}, n_features=2, targets=Targets(1, 1, 3))
    >>> model = build({"units": 4, "layers": 2}, seed=0)
    >>> [layer.units for layer in model.layers]
    [4, 4, 3]
    """

    def __init__(self, template: dict[str, Any], n_features: int, targets: Targets) -> None:
        self.template = template
        self.n_features = n_features
        self.targets = targets

    def settings(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {**TEMPLATE_DEFAULTS, **self.template, **params}

    def _outputs(self, loss: str) -> int:
        t = self.targets
        if loss == "categorical_crossentropy":
            if t.ndim == 1 and t.n_classes < 2:
                raise ValueError(
                    "categorical_crossentropy needs integer class labels 0..K-1 (K >= 2) or "
                    "one-hot targets; for real-valued targets set the template's loss to 'mse'"
                )
            return t.n_classes if t.ndim == 1 else t.width
        return t.width

    def __call__(self, params: Mapping[str, Any], seed: int) -> Sequential:
        s = self.settings(params)
        hidden = [s["hidden"]] if isinstance(s["hidden"], int) else s["hidden"]
        if s["units"] is not None or s["layers"] is not None:
            units = s["units"] if s["units"] is not None else (hidden[0] if hidden else 32)
            n_layers = s["layers"] if s["layers"] is not None else len(hidden)
            hidden = [units] * n_layers
        return build_mlp(
            self.n_features,
            self._outputs(s["loss"]),
            hidden=hidden,
            activation=s["activation"],
            optimizer=s["optimizer"],
            learning_rate=s["learning_rate"],
            momentum=s["momentum"],
            l2=s["l2"],
            dropout=s["dropout"],
            batch_norm=s["batch_norm"],
            kernel_initializer=s["kernel_initializer"],
            loss=s["loss"],
            seed=seed,
            dtype=s["dtype"],
        )


def template_builder(
    template: dict[str, Any], space: Mapping[str, Dimension], data: TrialData
) -> TemplateBuilder:
    """The builder of a template for ``data``, checked now rather than in the middle of a search.

    The template alone must build, and so must each of a few example values of every
    dimension of ``space`` (its ends, or every choice).
    """
    if data.x.ndim != 2:
        raise ValueError(
            f"a template builds a Dense network for X of shape (N, features), got X of shape "
            f"{data.x.shape}; pass a build function for other inputs"
        )
    builder = TemplateBuilder(template, int(data.x.shape[1]), Targets.of(data))
    try:
        builder({}, 0)
    except (TypeError, ValueError) as err:
        raise type(err)(f"template {template}: {err}") from None
    for name, dim in space.items():
        for value in dim.examples():
            try:
                if name in FIT_KEYS:
                    check_positive(value, name, allow_none=name == "batch_size")
                else:
                    builder({name: value}, 0)
            except (TypeError, ValueError) as err:
                raise type(err)(f"space[{name!r}] value {value!r}: {err}") from None
    return builder
