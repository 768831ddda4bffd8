"""Recipes: the one multilayer perceptron and the one optimizer-by-name.

``handgrad train``, ``handgrad tune`` (through :mod:`handgrad.tuning`'s template) and the
scikit-learn estimators all build their networks here, so a network described by CLI flags, a
tuning trial and an estimator's parameters cannot drift apart::

    X (N, d) -> [Dense(h_i, activation) (or Dense -> BatchNormalization -> Activation)
                 (-> Dropout)] * len(hidden) -> Dense(n_outputs, output activation of the loss)

=============================  ===================================================
loss                           output activation
=============================  ===================================================
``categorical_crossentropy``   softmax (one unit per class)
``binary_crossentropy``        sigmoid (one unit, or one per label)
anything else                  linear (regression)
=============================  ===================================================

Initialization: ``kernel_initializer=None`` (the default) is each layer's own rule, He normal
after the ReLU family and Glorot uniform otherwise (what Keras users expect); with
``batch_norm`` the hidden Dense layers are linear and get the initializer of the activation that
follows them. Any name of :mod:`handgrad.initializers` overrides it for every Dense layer.

Optimizers by name (:func:`optimizer_from_name`): ``momentum`` is SGD's ``momentum`` and the
notes' ``Momentum`` optimizer's ``beta``; settings left at ``None`` keep the optimizer's own
default, settings an optimizer does not have are ignored, and an unknown name raises
``ValueError`` listing the known ones.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from . import layers, optimizers, regularizers
from .initializers import default_kernel_initializer
from .sequential import Sequential

__all__ = [
    "CLASSIFICATION_LOSSES",
    "OUTPUT_ACTIVATIONS",
    "build_mlp",
    "check_optimizer_name",
    "optimizer_from_name",
]

#: Output activation of each loss (a loss not listed gets a linear output).
OUTPUT_ACTIVATIONS = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}
#: Losses whose models also report ``accuracy``.
CLASSIFICATION_LOSSES = ("categorical_crossentropy", "binary_crossentropy")

#: The recipe's optimizer settings each optimizer takes, and its own name for them.
_SETTINGS = {
    "sgd": {"momentum": "momentum", "nesterov": "nesterov"},
    "momentum": {"momentum": "beta"},
    "rmsprop": {"rho": "rho", "epsilon": "epsilon"},
    "adam": {"beta_1": "beta_1", "beta_2": "beta_2", "epsilon": "epsilon"},
}


def check_optimizer_name(name: Any) -> str:
    """``name`` in lower case if it names an optimizer; else ``ValueError`` listing them."""
    optimizers.get_class(name)
    return name.lower()


def optimizer_from_name(
    name: str,
    learning_rate: Any = 0.01,
    *,
    momentum: float | None = None,
    nesterov: bool | None = None,
    rho: float | None = None,
    beta_1: float | None = None,
    beta_2: float | None = None,
    epsilon: float | None = None,
) -> optimizers.Optimizer:
    """The optimizer called ``name`` with ``learning_rate`` (a float or a schedule).

    Examples
    --------
    >>> from handgrad.recipes import optimizer_from_name
    >>> optimizer_from_name("momentum", 0.1)
    Momentum(learning_rate=0.1, beta=0.9, bias_correction=False)
    >>> optimizer_from_name("sgd", 0.1, momentum=0.9, nesterov=True)
    SGD(learning_rate=0.1, momentum=0.9, nesterov=True)
    >>> optimizer_from_name("nadam")
    Traceback (most recent call last):
    ...
    ValueError: unknown optimizer 'nadam'; expected one of: adam, momentum, rmsprop, sgd
    """
    cls = optimizers.get_class(name)
    given = {
        "momentum": momentum,
        "nesterov": nesterov,
        "rho": rho,
        "beta_1": beta_1,
        "beta_2": beta_2,
        "epsilon": epsilon,
    }
    kwargs = {
        own: given[setting]
        for setting, own in _SETTINGS[name.lower()].items()
        if given[setting] is not None
    }
    return cls(learning_rate, **kwargs)


def _hidden_sizes(hidden: Any) -> list[int]:
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        return [hidden]  # one hidden layer, as in the tuning template and scikit-learn
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a list of layer sizes, got {hidden!r}")
    return list(hidden)


def build_mlp(
    n_features: int,
    n_outputs: int,
    *,
    hidden: int | Sequence[int] = (32,),
    activation: str = "relu",
    loss: str = "categorical_crossentropy",
    kernel_initializer: str | None = None,
    l2: float = 0.0,
    dropout: float = 0.0,
    batch_norm: bool = False,
    layer_names: bool = False,
    seed: int | None = 0,
    dtype: Any = "float32",
    name: str = "sequential",
    optimizer: Any = None,
) -> Sequential:
    """A multilayer perceptron ``n_features -> hidden... -> n_outputs`` (see the module).

    Parameters
    ----------
    n_features, n_outputs : int
        Input features; units of the output layer.
    hidden : int or sequence of int
        Hidden layer sizes (an int is one hidden layer, ``[]`` none).
    activation : str
        Hidden activation (a name of :mod:`handgrad.activations`).
    loss : str
        Decides the output activation; also the loss of ``compile`` when ``optimizer`` is given.
    kernel_initializer : str, optional
        ``None``: each layer's default (He after ReLU, Glorot uniform otherwise).
    l2 : float
        ``L2(l2)`` on every hidden kernel (not the output layer's) when ``> 0``.
    dropout : float
        ``Dropout(dropout)`` after every hidden layer when ``> 0``.
    batch_norm : bool
        ``Dense -> BatchNormalization -> Activation`` for every hidden layer.
    layer_names : bool
        Name the layers ``hidden_1``, ``batch_norm_1``, ``activation_1``, ``dropout_1``, ...,
        ``output`` (otherwise each class's automatic names).
    seed, dtype, name
        Of the :class:`~handgrad.Sequential`.
    optimizer : Optimizer or str, optional
        When given, the model comes back compiled with ``loss``, this optimizer and, for
        classification losses, the ``accuracy`` metric.

    Examples
    --------
    >>> from handgrad.recipes import build_mlp
    >>> model = build_mlp(4, 3, hidden=[8], batch_norm=True, layer_names=True, seed=0)
    >>> [layer.name for layer in model.layers]
    ['hidden_1', 'batch_norm_1', 'activation_1', 'output']
    >>> model.layers[0].kernel_initializer, model.layers[-1].activation.name
    ('he_normal', 'softmax')
    """
    sizes = _hidden_sizes(hidden)

    def named(kind: str, i: int | None = None) -> dict[str, str]:
        if not layer_names:
            return {}
        return {"name": kind if i is None else f"{kind}_{i}"}

    stack: list[layers.Layer] = []
    for i, units in enumerate(sizes, start=1):
        kwargs: dict[str, Any] = {"input_dim": n_features} if i == 1 else {}
        if l2:
            kwargs["kernel_regularizer"] = regularizers.L2(l2)
        if batch_norm:
            init = kernel_initializer or default_kernel_initializer(activation)
            stack += [
                layers.Dense(units, kernel_initializer=init, **kwargs, **named("hidden", i)),
                layers.BatchNormalization(**named("batch_norm", i)),
                layers.Activation(activation, **named("activation", i)),
            ]
        else:
            stack.append(
                layers.Dense(
                    units,
                    activation,
                    kernel_initializer=kernel_initializer,
                    **kwargs,
                    **named("hidden", i),
                )
            )
        if dropout:
            stack.append(layers.Dropout(dropout, **named("dropout", i)))
    out_kwargs: dict[str, Any] = {} if sizes else {"input_dim": n_features}
    output = OUTPUT_ACTIVATIONS.get(loss, "linear")
    stack.append(
        layers.Dense(
            n_outputs,
            output,
            kernel_initializer=kernel_initializer,
            **out_kwargs,
            **named("output"),
        )
    )
    model = Sequential(stack, seed=seed, dtype=dtype, name=name)
    if optimizer is not None:
        metrics = ["accuracy"] if loss in CLASSIFICATION_LOSSES else []
        model.compile(loss, optimizer, metrics=metrics)
    return model
