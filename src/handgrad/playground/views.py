"""What the page draws, computed from the model: heat maps, neurons, weights, metrics.

Everything is measured on the current weights (inference mode, so dropout is off and batch
norm uses its running statistics). Heat maps travel as base64 bytes: the decision boundary as
``uint8`` (probability, class and confidence, or scaled target), each neuron's map as ``int8``
on the scale of its layer, so that one update of a large network stays near 100 kB.

Colour scale of a neuron map: activations with a range ([0, 1] for sigmoid-like, [-1, 1] for
tanh-like) use it; unbounded ones (ReLU, linear, ...) are scaled by the largest magnitude in
their layer, so the neurons of a layer can be compared with each other.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

import numpy as np

import handgrad as hg

from . import limits
from .datasets import Dataset
from .features import FEATURES, feature_matrix, grid
from .network import Layout

#: Activations whose outputs lie in [0, 1] and in [-1, 1].
UNIT_RANGE = frozenset({"sigmoid", "hard_sigmoid", "step", "softmax"})
SYMMETRIC_RANGE = frozenset({"tanh", "sign"})


def b64(array: np.ndarray) -> str:
    """The bytes of ``array`` as base64 text."""
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


def _to_int8(values: np.ndarray, activation: str) -> tuple[np.ndarray, float]:
    """Values on [-1, 1] as int8 (-127..127), and the magnitude that maps to 127."""
    if activation in UNIT_RANGE:
        scaled, scale = (values - 0.5) * 2, 1.0
    elif activation in SYMMETRIC_RANGE:
        scaled, scale = values, 1.0
    else:
        scale = float(np.max(np.abs(values), initial=0.0))
        scale = scale if np.isfinite(scale) and scale > 1e-12 else 1.0
        scaled = values / scale
    clipped = np.clip(np.nan_to_num(scaled, nan=0.0), -1.0, 1.0)
    return np.rint(clipped * 127).astype(np.int8), scale


def target_scale(dataset: Dataset) -> float:
    """The magnitude a regression heat map maps to full colour: the largest |target|."""
    top = float(np.max(np.abs(np.concatenate([dataset.y_train, dataset.y_test])), initial=0.0))
    return top if top > 1e-12 else 1.0


def quantize_boundary(out: np.ndarray, problem: str, scale: float = 1.0) -> dict[str, Any]:
    """The model's outputs on the big grid, as the page paints them.

    ``binary``: ``p`` in 0..255 (probability of class 1). ``multi``: ``cls`` (argmax) and
    ``p`` (its probability) in 0..255. ``regression``: ``p`` = target / scale on 0..255,
    127.5 being 0.
    """
    out = np.clip(out, -1e30, 1e30)  # infinities would not convert to bytes
    if problem == "regression":
        value = np.clip(out[:, 0] / scale, -1.0, 1.0)
        return {"kind": "regression", "p": b64(np.rint((value + 1) * 127.5).astype(np.uint8))}
    if out.shape[1] == 1:
        return {"kind": "binary", "p": b64(np.rint(out[:, 0] * 255).astype(np.uint8))}
    return {
        "kind": "multi",
        "cls": b64(out.argmax(axis=1).astype(np.uint8)),
        "p": b64(np.rint(out.max(axis=1) * 255).astype(np.uint8)),
    }


class Grids:
    """The two grids of a dataset's domain and their feature matrices, computed once per run.

    ``every`` holds all the features on the small grid (the page shows the unused ones too).
    """

    def __init__(self, dataset: Dataset, features: Sequence[str]) -> None:
        self.domain = dataset.domain
        self.big = feature_matrix(grid(dataset.domain, limits.BOUNDARY_RESOLUTION), features)
        small = grid(dataset.domain, limits.NEURON_RESOLUTION)
        self.small = feature_matrix(small, features)
        self.every = feature_matrix(small, list(FEATURES))


def input_maps(grids: Grids) -> list[dict[str, Any]]:
    """Every feature (used or not, in the page's order) on the small grid, scaled by its
    largest magnitude."""
    maps = []
    for column in grids.every.T:
        values, scale = _to_int8(column, "linear")
        maps.append({"map": b64(values), "scale": scale})
    return maps


def neuron_maps(
    model: hg.Sequential, layout: Layout, activations: Sequence[str], grids: Grids
) -> list[dict[str, Any]]:
    """Every hidden neuron's output on the small grid, one entry per hidden layer.

    ``activations`` names each hidden layer's activation (it sets the colour scale). Each
    entry holds ``maps`` (units x res x res int8, unit by unit) and ``scale``.
    """
    layers = model.layers
    wanted = dict(zip(layout.outputs[:-1], activations, strict=True))
    out = []
    a = grids.small
    with np.errstate(all="ignore"):
        for i, layer in enumerate(layers[: layout.outputs[-1]]):
            a = layer.forward(a, False)
            if i in wanted:
                values, scale = _to_int8(a.T, wanted[i])
                out.append({"maps": b64(values), "scale": scale})
    return out


def output_maps(out_small: np.ndarray, problem: str, scale: float) -> dict[str, Any]:
    """The output units on the small grid (probabilities on [0, 1], targets on the data scale)."""
    if problem == "regression":
        values, _ = _to_int8(np.clip(out_small.T / scale, -1, 1), "tanh")
    else:
        values, _ = _to_int8(out_small.T, "sigmoid")
    return {"maps": b64(values), "scale": 1.0}


def weights(model: hg.Sequential, layout: Layout) -> list[dict[str, Any]]:
    """Each Dense layer's ``W`` (fan_in x units) and ``b``, rounded for the page."""
    out = []
    for index in layout.dense:
        params = model.layers[index].params
        out.append(
            {
                "W": np.round(params["W"].astype(np.float64), 5).tolist(),
                "b": np.round(params["b"].astype(np.float64), 5).tolist(),
            }
        )
    return out


def metrics(
    model: hg.Sequential, f_train: np.ndarray, y_train: np.ndarray, f_test, y_test, problem: str
) -> dict[str, Any]:
    """Loss (and accuracy) on both parts; the test part's confusion matrix for classes."""
    with np.errstate(all="ignore"):
        train = model.evaluate(f_train, y_train)
        test = model.evaluate(f_test, y_test) if len(f_test) else {}
    result: dict[str, Any] = {
        "loss": train.get("loss"),
        "test_loss": test.get("loss"),
        "accuracy": train.get("accuracy"),
        "test_accuracy": test.get("accuracy"),
        "confusion": None,
    }
    if problem == "classification" and len(f_test):
        scores = model.predict(f_test)
        predicted = (scores[:, 0] > 0.5).astype(np.int64) if scores.shape[1] == 1 else scores
        k = max(2, scores.shape[1])
        result["confusion"] = hg.metrics.confusion_matrix(y_test, predicted, k).tolist()
    for key in ("loss", "test_loss", "accuracy", "test_accuracy"):
        value = result[key]
        result[key] = None if value is None or not np.isfinite(value) else float(value)
    return result


def curve(values: Sequence[float]) -> list[float | None]:
    """A loss curve subsampled to at most ``MAX_CURVE_POINTS`` (always keeping the last)."""
    n = len(values)
    if n > limits.MAX_CURVE_POINTS:
        index = np.linspace(0, n - 1, limits.MAX_CURVE_POINTS).round().astype(int)
        values = [values[i] for i in index]
    return [float(v) if np.isfinite(v) else None for v in values]
