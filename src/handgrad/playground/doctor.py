"""The training doctor on the page: handgrad's report, plus saturated sigmoid and tanh units.

:func:`handgrad.diagnostics.diagnose` checks the loss curves (divergence, no progress,
overfitting), the inputs' scale, dead ReLUs and vanishing or exploding gradients. It has no
check for saturated sigmoid or tanh units, the classic reason a sigmoid network stops learning
(the derivative is near 0 at both ends), so this module adds one, measured the same way: on a
fixed sample of training rows, in inference mode.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

import handgrad as hg
from handgrad.diagnostics import diagnose

from .network import Layout

#: Fewest epochs before the curve checks mean anything (one epoch cannot show a trend).
MIN_EPOCHS = 10
#: A unit is saturated when at least this share of the samples put it within ``MARGIN`` of an
#: end of its range; a layer is flagged when at least ``LAYER_SHARE`` of its units are.
SAMPLE_SHARE = 0.9
MARGIN = 0.02
LAYER_SHARE = 0.5
SAMPLE_ROWS = 256
#: Saturation is only a problem while the loss is still high: a trained classifier's last
#: layer is often saturated on purpose (it is sure). Flagged while the training loss is above
#: this share of its first epoch's value.
STALLED_SHARE = 0.5
#: (low, high) of each saturating activation.
RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


def saturation(
    model: hg.Sequential, layout: Layout, activations: Sequence[str], x: np.ndarray
) -> list[dict[str, Any]]:
    """Findings for hidden layers whose sigmoid / tanh units sit at the ends of their range."""
    wanted = {i: a for i, a in zip(layout.outputs[:-1], activations, strict=True) if a in RANGES}
    if not wanted:
        return []
    findings, a = [], x[:SAMPLE_ROWS]
    with np.errstate(all="ignore"):
        for i, layer in enumerate(model.layers[: max(wanted) + 1]):
            a = layer.forward(a, False)
            if i not in wanted:
                continue
            low, high = RANGES[wanted[i]]
            margin = MARGIN * (high - low)
            at_end = (a <= low + margin) | (a >= high - margin)
            saturated = int(np.sum(at_end.mean(axis=0) >= SAMPLE_SHARE))
            units = a.shape[1]
            if saturated / units >= LAYER_SHARE:
                column = layout.outputs.index(i) + 1
                findings.append(
                    {
                        "code": "saturated_units",
                        "severity": "warning",
                        "message": (
                            f"hidden layer {column}: {saturated} of {units} {wanted[i]} units are "
                            f"saturated (within {MARGIN:.0%} of an end of their range for "
                            f"{SAMPLE_SHARE:.0%}+ of the samples), so their gradients are near "
                            "zero and they barely learn; lower the learning rate, use Glorot "
                            "initialization, scale the inputs or add batch normalization"
                        ),
                    }
                )
    return findings


def _picture_names(model: hg.Sequential, layout: Layout) -> dict[str, str]:
    """handgrad's layer names (``dense_7``) -> the page's (``hidden layer 1``, ``output layer``)."""
    layers = model.layers
    names = {}
    for column, (dense, out) in enumerate(zip(layout.dense, layout.outputs, strict=True)):
        label = "output layer" if column == len(layout.dense) - 1 else f"hidden layer {column + 1}"
        for index in range(dense, out + 1):
            names[layers[index].name] = label
    return names


def _rename(message: str, names: dict[str, str]) -> str:
    for name in sorted(names, key=len, reverse=True):
        message = re.sub(rf"\b{re.escape(name)}\b", names[name], message)
    return message


def examine(
    model: hg.Sequential,
    curves: Mapping[str, list[float]],
    stopped_reason: str | None,
    layout: Layout,
    activations: Sequence[str],
    x: np.ndarray,
    y: np.ndarray,
) -> list[dict[str, Any]]:
    """Every finding for the page: ``code``, ``severity`` ("error" / "warning"), ``message``.

    Parameters
    ----------
    model : Sequential
        Trained (left unchanged: diagnose restores everything it touches).
    curves : dict
        The run's per-epoch logs (``loss``, ``val_loss``, ...) over all its training slices.
    stopped_reason : str or None
        ``"diverged"`` when training stopped on a non-finite loss.
    x, y : arrays
        Training features and targets; the first rows are the sample.
    """
    epochs = len(curves.get("loss", []))
    if epochs < MIN_EPOCHS and stopped_reason != "diverged":
        return []
    history = hg.callbacks.History()
    history.history = {key: list(values) for key, values in curves.items()}
    history.epoch = list(range(epochs))
    history.stopped_reason = stopped_reason
    with np.errstate(all="ignore"):
        report = diagnose(model, history, x[:SAMPLE_ROWS], y[:SAMPLE_ROWS])
    names = _picture_names(model, layout)
    found = [
        {"code": f.code, "severity": f.severity, "message": _rename(f.message, names)}
        for f in report
    ]
    loss = [v for v in curves.get("loss", []) if np.isfinite(v)]
    if loss and loss[-1] > STALLED_SHARE * loss[0]:
        found += saturation(model, layout, activations, x)
    return found
