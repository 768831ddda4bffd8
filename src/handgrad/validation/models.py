"""Checks of what a model is given: compile state, data (which builds an unbuilt model
from its shape), validation data, class weights."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .arrays import (
    check_features,
    check_output_activation,
    check_sample_weight,
    class_labels,
    prepare_targets,
)

if TYPE_CHECKING:
    from ..losses import Loss

__all__ = [
    "require_compiled",
    "require_built",
    "check_x",
    "check_xy",
    "check_validation_data",
    "class_weight_vector",
]


def require_compiled(model: Any, what: str) -> None:
    """Raise unless ``model.compile(...)`` has run; ``what`` names the caller."""
    if model.loss is None:
        raise ValueError(
            f"{what} needs a compiled model: call model.compile(loss, optimizer) first"
        )


def require_built(model: Any, what: str) -> None:
    """Raise unless the model knows its input shape."""
    if not model.built:
        raise ValueError(
            f"{what} needs a built model: give the first layer input_dim= or input_shape=, "
            "call model.build(input_shape), or fit it on data"
        )


def check_x(model: Any, x: Any, argument: str = "x") -> np.ndarray:
    """Features for ``model`` in its dtype; an unbuilt model is built from their shape."""
    layers = model.layers
    if not layers:
        raise ValueError("the model has no layers; add some before using it")
    arr = check_features(x, argument, model.input_shape, layers[0].name, model.dtype)
    if not model.built:
        model.build(arr.shape[1:])
    return arr


def check_xy(model: Any, x: Any, y: Any, argument_x: str = "x", argument_y: str = "y"):
    """Features and targets for a compiled ``model`` (see :func:`prepare_targets`)."""
    xs = check_x(model, x, argument_x)
    n_out = int(np.prod(model.output_shape))
    ys = prepare_targets(y, len(xs), model.loss, n_out, model.dtype, argument_y)
    check_output_activation(model.loss, model.layers[-1])
    return xs, ys


def check_validation_data(model: Any, validation_data: Any):
    """``(x_val, y_val)`` or ``(x_val, y_val, sample_weight_val)``, checked like ``fit``'s."""
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise TypeError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val)"
        )
    xv, yv = check_xy(model, validation_data[0], validation_data[1], "x_val", "y_val")
    swv = None
    if len(validation_data) == 3:
        swv = check_sample_weight(validation_data[2], len(xv), "validation sample_weight")
    return xv, yv, swv


def class_weight_vector(class_weight: Any, y: np.ndarray, loss: Loss, n_outputs: int):
    """Per-sample weights from ``class_weight`` (a dict ``{class: weight}`` or ``"balanced"``).

    ``"balanced"`` gives class ``c`` the weight ``N / (n_classes * N_c)`` (scikit-learn's rule).
    """
    labels = class_labels(y, loss)
    if labels is None:
        raise ValueError(
            "class_weight needs class targets (categorical cross-entropy, or "
            "binary cross-entropy with one output unit)"
        )
    present = np.unique(labels)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
        counts = np.bincount(labels)
        table = np.zeros(len(counts))
        table[present] = len(labels) / (len(present) * counts[present])
        return table[labels]
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
    n_classes = n_outputs if loss.accepts_integer_labels else 2
    table = np.ones(n_classes)
    for key, weight in class_weight.items():
        if (
            isinstance(key, bool)
            or not isinstance(key, (int, np.integer))
            or not (0 <= key < n_classes)
        ):
            raise ValueError(
                f"class_weight key {key!r} is not a class; classes are 0...{n_classes - 1}"
            )
        if not isinstance(weight, (int, float, np.number)) or not weight >= 0:
            raise ValueError(f"class_weight[{key}] must be a non-negative number, got {weight!r}")
        table[key] = float(weight)
    return table[labels]
