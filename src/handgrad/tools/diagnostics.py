"""Training report: what went wrong in a ``fit`` run, and what to try.

``history.diagnose()`` (or ``diagnose(model, history)``) runs every check below and returns a
:class:`TrainingReport`, a list of :class:`Finding` that prints as text. A healthy run gives an
empty report.

=======================  =========  ==========================================================
code                     severity   flagged when
=======================  =========  ==========================================================
``loss_diverging``       error      ``fit`` stopped on a non-finite loss, or the last epoch's
                                    loss is above both the first epoch's and twice the lowest
``loss_not_decreasing``  warning    the lowest loss after the first epoch is not at least 1%
                                    below the first epoch's loss (needs 2+ epochs)
``overfitting``          warning    ``val_loss`` ended 10%+ above its minimum, reached 3+
                                    epochs before the end, while ``loss`` kept falling (1%+)
``inputs_not_scaled``    warning    a feature's RMS ``sqrt(mean^2 + std^2)`` is above 10, or a
                                    non-constant feature never exceeds 0.01 in absolute value
``dead_relu``            warning    20%+ of a ReLU layer's units output 0 for every sample of a
                                    batch (up to 256 training samples)
``vanishing_gradients``  warning    a layer's gradient RMS is below 1e-3 times the output
                                    layer's (on that batch)
``exploding_gradients``  error      a layer's gradient is not finite, its RMS exceeds 1e3 times
                                    the output layer's, or exceeds 1e3 in absolute value
=======================  =========  ==========================================================

The input statistics are recorded by ``fit`` once, before training (:func:`record_input_stats`:
per-feature mean, standard deviation, min and max in float64 over up to 4096 random training
rows, and a fixed random sample of 256 of them, drawn from ``default_rng([seed, 4])``). Dead
units and gradient norms are measured on that sample after training: a forward pass in inference
mode for the ReLU outputs, and one training-mode forward/backward pass for the gradients, after
which the weights, batch-norm statistics, gradients, optimizer state and random generators are
restored, so diagnosing never changes the model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import validation as V

__all__ = [
    "Finding",
    "TrainingReport",
    "InputStats",
    "diagnose",
    "record_input_stats",
    "THRESHOLDS",
]

#: Every threshold the checks use (see the module docstring).
THRESHOLDS: dict[str, float] = {
    "min_relative_decrease": 0.01,
    "diverging_factor": 2.0,
    "overfit_rise": 0.10,
    "overfit_min_epochs_after_best": 3,
    "overfit_train_decrease": 0.01,
    "input_rms_max": 10.0,
    "input_abs_min": 0.01,
    "dead_fraction": 0.2,
    "vanishing_ratio": 1e-3,
    "exploding_ratio": 1e3,
    "exploding_rms": 1e3,
}

SAMPLE_SIZE = 256
STATS_ROWS = 512


@dataclass(frozen=True)
class Finding:
    """One problem found in a training run.

    Attributes
    ----------
    code : str
        Stable identifier, e.g. ``"overfitting"`` (see the module docstring's table).
    severity : {"error", "warning"}
    message : str
        What was measured and what to try.
    details : dict
        The numbers behind the finding (per-layer values, epochs, ...).
    """

    code: str
    severity: str
    message: str
    details: dict = field(default_factory=dict, compare=False)

    def __str__(self) -> str:
        return f"[{self.severity}] {self.code}: {self.message}"


class TrainingReport(list):
    """A list of :class:`Finding`, printable as a short text report.

    Attributes
    ----------
    summary : str
        One line about the run (epochs, first and last losses, why it stopped).
    measurements : dict
        Everything measured, flagged or not: ``gradient_rms`` and ``dead_fraction`` per layer,
        ``input_rms_max``.
    """

    def __init__(self, findings=(), summary: str = "", measurements: dict | None = None):
        super().__init__(findings)
        self.summary = summary
        self.measurements = measurements or {}

    @property
    def codes(self) -> list[str]:
        return [f.code for f in self]

    def text(self) -> str:
        lines = [f"Training report: {self.summary}" if self.summary else "Training report"]
        if not self:
            lines.append("  no problems found")
        lines += [f"  {finding}" for finding in self]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"TrainingReport({self.codes})"


# ------------------------------------------------------------------ input stats
@dataclass
class InputStats:
    """Per-feature statistics of the training inputs and a small sample of rows."""

    mean: np.ndarray
    std: np.ndarray
    min: np.ndarray
    max: np.ndarray
    n_samples: int  # rows of the training set (the statistics may use fewer)
    sample_x: np.ndarray
    sample_y: np.ndarray


def record_input_stats(x: np.ndarray, y: np.ndarray, seed: int) -> InputStats:
    """Per-feature mean, standard deviation, min and max of ``x`` (flattened per sample).

    Cheap by design (``fit`` calls it once, before training): the statistics are computed in
    float64 on at most ``STATS_ROWS`` = 512 rows (fewer for very wide inputs, to stay under
    about 8 MB; enough to tell unit scale from 1e3), drawn without replacement by
    ``default_rng([seed, 4])`` -- all rows when there are fewer. Its own random stream, so
    training randomness is unchanged. The first 256 drawn rows are kept (in data order) as the
    sample batch for dead-unit and gradient checks.
    """
    n = len(x)
    flat = x.reshape(n, -1)
    rows_cap = max(SAMPLE_SIZE, min(STATS_ROWS, 2**20 // max(flat.shape[1], 1)))
    rows = np.random.default_rng([seed, 4]).choice(n, min(n, rows_cap), replace=False)
    sub = flat[np.sort(rows)].astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        mean, std = sub.mean(axis=0), sub.std(axis=0)
    sample = np.sort(rows[:SAMPLE_SIZE])
    return InputStats(
        mean=mean,
        std=std,
        min=sub.min(axis=0),
        max=sub.max(axis=0),
        n_samples=n,
        sample_x=x[sample].copy(),
        sample_y=y[sample].copy(),
    )


# ----------------------------------------------------------------- loss curves
def _finite_curve(history: Any, key: str) -> list[float]:
    return [float(v) for v in history.history.get(key, [])]


def _check_diverging(history: Any) -> list[Finding]:
    loss = _finite_curve(history, "loss")
    if history.stopped_reason == "diverged":
        epoch = history.epoch[-1] + 1 if history.epoch else 0  # 0-based, the one that diverged
        where = f"epoch {epoch + 1}" if history.epoch else "the first epoch of the run"
        return [
            Finding(
                "loss_diverging",
                "error",
                f"the loss became non-finite in {where} and training stopped; lower the "
                "learning rate (model.find_learning_rate helps pick one) or scale the inputs",
                {"epoch": epoch},
            )
        ]
    if any(not math.isfinite(v) for v in loss):
        return [
            Finding(
                "loss_diverging",
                "error",
                "the recorded loss contains NaN or inf; lower the learning rate",
                {"loss": loss},
            )
        ]
    if len(loss) >= 2:
        lowest = min(loss)
        if loss[-1] > loss[0] and loss[-1] > THRESHOLDS["diverging_factor"] * lowest:
            return [
                Finding(
                    "loss_diverging",
                    "error",
                    f"the loss rose to {loss[-1]:.4g}, above its first value {loss[0]:.4g} and "
                    f"{loss[-1] / lowest:.1f}x its lowest {lowest:.4g} (epoch "
                    f"{loss.index(lowest) + 1}); lower the learning rate",
                    {"first": loss[0], "lowest": lowest, "last": loss[-1]},
                )
            ]
    return []


def _check_not_decreasing(history: Any) -> list[Finding]:
    loss = _finite_curve(history, "loss")
    if len(loss) < 2 or not all(math.isfinite(v) for v in loss):
        return []
    best_later = min(loss[1:])
    decrease = (loss[0] - best_later) / abs(loss[0]) if loss[0] else 0.0
    if decrease >= THRESHOLDS["min_relative_decrease"]:
        return []
    return [
        Finding(
            "loss_not_decreasing",
            "warning",
            f"the training loss did not decrease over {len(loss)} epochs ({loss[0]:.4g} -> best "
            f"{best_later:.4g}, {100 * decrease:.2g}%); raise the learning rate (try "
            "model.find_learning_rate), check the inputs are scaled and the labels match the loss, "
            "or look for dead units / vanishing gradients below",
            {"first": loss[0], "best_after_first": best_later, "relative_decrease": decrease},
        )
    ]


def _check_overfitting(history: Any) -> list[Finding]:
    loss = _finite_curve(history, "loss")
    val = _finite_curve(history, "val_loss")
    if len(val) < 2 or not all(math.isfinite(v) for v in val + loss):
        return []
    best = int(np.argmin(val))
    epochs_after = len(val) - 1 - best
    rise = (val[-1] - val[best]) / abs(val[best]) if val[best] else math.inf
    train_fall = (loss[best] - loss[-1]) / abs(loss[best]) if loss[best] else 0.0
    if (
        epochs_after >= THRESHOLDS["overfit_min_epochs_after_best"]
        and rise > THRESHOLDS["overfit_rise"]
        and train_fall > THRESHOLDS["overfit_train_decrease"]
    ):
        epoch = history.epoch[best] if len(history.epoch) == len(val) else best
        if history.stopped_reason == "early_stopping":
            advice = (
                "EarlyStopping ended the run (with restore_best_weights=True the model holds "
                f"the epoch-{epoch + 1} weights); more data or regularization (L2, Dropout) "
                "would help"
            )
        else:
            advice = (
                "use EarlyStopping(restore_best_weights=True), more data, or "
                "regularization (L2, Dropout)"
            )
        return [
            Finding(
                "overfitting",
                "warning",
                f"validation loss rose {100 * rise:.0f}% from its minimum {val[best]:.4g} at epoch "
                f"{epoch + 1} while the training loss fell {100 * train_fall:.0f}% "
                f"({loss[best]:.4g} -> {loss[-1]:.4g}); {advice}",
                {"best_epoch": epoch, "val_rise": rise, "train_fall": train_fall},
            )
        ]
    return []


# ---------------------------------------------------------------------- inputs
def _check_inputs(stats: InputStats | None) -> list[Finding]:
    if stats is None:
        return []
    rms = np.sqrt(stats.mean**2 + stats.std**2)
    peak = np.maximum(np.abs(stats.min), np.abs(stats.max))
    constant = stats.max == stats.min
    large = np.flatnonzero(~(rms <= THRESHOLDS["input_rms_max"]))
    tiny = np.flatnonzero(~constant & (peak < THRESHOLDS["input_abs_min"]))
    if not len(large) and not len(tiny):
        return []
    parts = []
    if len(large):
        worst = int(large[np.argmax(rms[large])])
        parts.append(
            f"{len(large)} with RMS above {THRESHOLDS['input_rms_max']:g} (largest "
            f"{rms[worst]:.3g}, feature {worst})"
        )
    if len(tiny):
        parts.append(f"{len(tiny)} never above {THRESHOLDS['input_abs_min']:g} in absolute value")
    return [
        Finding(
            "inputs_not_scaled",
            "warning",
            f"{len(large) + len(tiny)} of {len(rms)} input features are far from unit scale: "
            f"{'; '.join(parts)}; standardize them (subtract the mean, divide by the standard "
            "deviation, fitted on the training set), e.g. with "
            "handgrad.data.preprocessing.StandardScaler",
            {
                "large_features": large.tolist(),
                "tiny_features": tiny.tolist(),
                "rms_max": float(np.nanmax(rms)) if len(rms) else 0.0,
            },
        )
    ]


# ----------------------------------------------------------------- sample pass
def _activation_name(layer: Any) -> str | None:
    return getattr(getattr(layer, "activation", None), "name", None)


def _dead_fractions(model: Any, x: np.ndarray) -> dict[str, tuple[int, int]]:
    """``{layer name: (dead units, units)}`` for ReLU layers, on an inference forward pass.

    A unit (axis 1: a Dense unit or a conv channel) is dead when its output is 0 for every
    sample (and every position).
    """
    result = {}
    a = x
    with np.errstate(all="ignore"):
        for layer in model.layers:
            a = layer.forward(a, False)
            if _activation_name(layer) == "relu":
                axes = tuple(i for i in range(a.ndim) if i != 1)
                active = np.any(a > 0, axis=axes)
                result[layer.name] = (int(np.sum(~active)), int(active.size))
    return result


def _check_dead(dead: dict[str, tuple[int, int]]) -> list[Finding]:
    bad = {k: v for k, v in dead.items() if v[1] and v[0] / v[1] >= THRESHOLDS["dead_fraction"]}
    if not bad:
        return []
    desc = ", ".join(f"{name} {d}/{u}" for name, (d, u) in bad.items())
    return [
        Finding(
            "dead_relu",
            "warning",
            f"dead ReLU units (output 0 for every sample of the batch): {desc}; lower the learning "
            "rate, use He initialization, scale the inputs, or try leaky_relu / elu",
            {"dead": bad},
        )
    ]


def _gradient_rms(model: Any, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Root mean square of each trainable layer's gradients after one forward/backward pass."""
    session = model.session
    with session.preserved(), np.errstate(all="ignore"):
        session.prepare()
        session.forward_backward(x, y, None)
        rms = {}
        for layer in model.layers:
            if layer.trainable and layer.grads:
                sq = sum(
                    float(np.sum(np.square(g, dtype=np.float64))) for g in layer.grads.values()
                )
                size = sum(g.size for g in layer.grads.values())
                rms[layer.name] = math.sqrt(sq / size)
    return rms


def _check_gradients(rms: dict[str, float]) -> list[Finding]:
    if not rms:
        return []
    names = list(rms)
    out_name = names[-1]
    reference = rms[out_name]
    findings = []
    nonfinite = [n for n in names if not math.isfinite(rms[n])]
    ratios = {n: rms[n] / reference for n in names[:-1]} if reference > 0 else {}
    huge = [
        n
        for n in names
        if math.isfinite(rms[n])
        and (
            rms[n] > THRESHOLDS["exploding_rms"] or ratios.get(n, 0) > THRESHOLDS["exploding_ratio"]
        )
    ]
    if nonfinite or huge:
        desc = ", ".join(
            [f"{n} not finite" for n in nonfinite] + [f"{n} RMS {rms[n]:.3g}" for n in huge]
        )
        findings.append(
            Finding(
                "exploding_gradients",
                "error",
                f"exploding gradients: {desc} (output layer {out_name} RMS {reference:.3g}); lower "
                "the learning rate, scale the inputs, use Glorot/He initialization or "
                "BatchNormalization, or clip with a MaxNorm constraint",
                {"gradient_rms": rms, "layers": nonfinite + huge},
            )
        )
    small = [n for n, r in ratios.items() if math.isfinite(r) and r < THRESHOLDS["vanishing_ratio"]]
    if small:
        desc = ", ".join(f"{n} {ratios[n]:.2g}x" for n in small)
        findings.append(
            Finding(
                "vanishing_gradients",
                "warning",
                f"vanishing gradients: relative to the output layer {out_name}, the gradient "
                f"RMS of {desc}; use ReLU-family activations with He initialization, fewer "
                "layers or BatchNormalization",
                {"gradient_rms": rms, "layers": small},
            )
        )
    return findings


# --------------------------------------------------------------------- report
def _summary(history: Any) -> str:
    loss = history.history.get("loss", [])
    text = f"{len(history.epoch)} epochs"
    if loss:
        text += f", loss {loss[0]:.4g} -> {loss[-1]:.4g}"
    val = history.history.get("val_loss", [])
    if val:
        text += f", val_loss {val[0]:.4g} -> {val[-1]:.4g} (best {min(val):.4g})"
    if history.stopped_reason:
        text += f", stopped: {history.stopped_reason}"
    return text


def _sample(model: Any, x: Any, y: Any) -> tuple[np.ndarray, np.ndarray] | None:
    if x is not None or y is not None:
        if x is None or y is None:
            raise ValueError("diagnose needs both x and y (or neither, to use the training sample)")
        xs, ys = V.check_xy(model, x, y)
        return xs[:SAMPLE_SIZE], ys[:SAMPLE_SIZE]
    stats = model.input_stats
    if stats is None:
        return None
    return stats.sample_x, stats.sample_y


def diagnose(model: Any, history: Any, x: Any = None, y: Any = None) -> TrainingReport:
    """Run every check on a trained ``model`` and its ``history``; see the module docstring.

    Parameters
    ----------
    model : Sequential
        The model ``fit`` trained (left unchanged).
    history : History
        What ``fit`` returned.
    x, y : arrays, optional
        A batch to measure dead units and gradients on (its first 256 rows); by default the
        sample of training rows recorded by ``fit``.

    Returns
    -------
    TrainingReport
    """
    findings: list[Finding] = []
    findings += _check_diverging(history)
    if not findings:
        findings += _check_not_decreasing(history)
    findings += _check_overfitting(history)
    stats = model.input_stats
    findings += _check_inputs(stats)
    measurements: dict[str, Any] = {}
    sample = _sample(model, x, y)
    if sample is not None and model.built and model.loss is not None:
        dead = _dead_fractions(model, sample[0])
        rms = _gradient_rms(model, *sample)
        measurements = {
            "dead_fraction": {k: d / u for k, (d, u) in dead.items()},
            "gradient_rms": rms,
        }
        findings += _check_dead(dead)
        findings += _check_gradients(rms)
    if stats is not None:
        measurements["input_rms_max"] = float(np.max(np.sqrt(stats.mean**2 + stats.std**2)))
    return TrainingReport(findings, _summary(history), measurements)
