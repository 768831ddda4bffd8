"""Checks of arrays: features, targets, sample weights, finiteness (one BLAS pass)."""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..losses import Loss

__all__ = [
    "as_real_array",
    "check_finite",
    "check_features",
    "check_batch_size",
    "check_fraction",
    "prepare_targets",
    "check_output_activation",
    "class_labels",
    "check_sample_weight",
    "check_estimator_sample_weight",
    "PROBABILITY_OUTPUTS",
]


def as_real_array(value: Any, argument: str) -> np.ndarray:
    """``np.asarray(value)`` refusing object, string, complex and empty arrays."""
    if value is None:
        raise TypeError(f"{argument} must be an array, got None")
    try:
        arr = np.asarray(value)
    except ValueError as err:  # ragged nested lists
        raise ValueError(f"{argument} must be a rectangular array: {err}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument} must hold real numbers (bool, int or float), got dtype {arr.dtype}"
        )
    if arr.size == 0 or arr.ndim == 0:
        raise ValueError(f"{argument} is empty (shape {arr.shape}); expected at least one sample")
    return arr


def check_finite(arr: np.ndarray, argument: str) -> None:
    """Raise naming the first NaN or inf of a float array."""
    if arr.dtype.kind != "f":
        return
    # Fast path: NaN and inf propagate into sums, so finite sums prove a finite array without
    # allocating a mask; only a non-finite sum (which may also be a harmless overflow) pays for
    # the exact element-wise scan.
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(_row_sums(arr)).all():
            return
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        kind = "NaN" if np.isnan(arr[tuple(bad)]) else "inf"
        raise ValueError(
            f"{argument} contains {kind} (first at index {tuple(int(i) for i in bad)}); "
            "remove or impute non-finite values before training"
        )


def _row_sums(arr: np.ndarray) -> np.ndarray:
    """Sums that are finite exactly when ``arr`` is (up to overflow, which gives false alarms).

    A C-contiguous array of 2**16 or more elements is summed per sample by one BLAS product
    with a vector of ones (it reads the data once and may use every BLAS thread: 60000x784
    float32 in 9.7 ms, against 27.7 ms for ``np.add.reduce`` of everything). The vector has no
    zeros, so no BLAS may skip a column; ``0 * inf`` never occurs.
    """
    blas = arr.dtype in (np.float32, np.float64)
    if blas and arr.ndim >= 2 and arr.size >= 2**16 and arr.flags.c_contiguous:
        flat = arr.reshape(len(arr), -1)
        return flat @ np.ones(flat.shape[1], dtype=arr.dtype)
    return np.add.reduce(arr, axis=None)


def check_features(
    x: Any, argument: str, input_shape: tuple[int, ...] | None, first_layer: str, dtype
) -> np.ndarray:
    """Validate a batch-first feature array and cast it to the model dtype."""
    arr = as_real_array(x, argument)
    if arr.ndim < 2:
        raise ValueError(
            f"{argument} must be batch-first with shape (N, features), got a {arr.ndim}-D array "
            f"of shape {arr.shape}; use {argument}.reshape(-1, 1) for one feature or "
            f"{argument}.reshape(1, -1) for one sample"
        )
    if input_shape is not None and arr.shape[1:] != tuple(input_shape):
        expected = ", ".join(["N", *map(str, input_shape)])
        raise ValueError(
            f"{argument} has shape {arr.shape} but layer {first_layer!r} expects ({expected})"
        )
    check_finite(arr, argument)
    return arr.astype(dtype, copy=False)


def check_batch_size(batch_size: Any, argument: str = "batch_size", allow_none: bool = True):
    """A positive int, or ``None`` (the whole set) when ``allow_none``."""
    if batch_size is None and allow_none:
        return None
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{argument} must be a positive int or None, got {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"{argument} must be a positive int or None, got {batch_size}")
    return int(batch_size)


def check_fraction(value: Any, argument: str) -> float:
    """A number in ``[0, 1)``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{argument} must be a number in [0, 1), got {value!r}")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{argument} must be in [0, 1), got {value}")
    return float(value)


def _prepare_labels(arr: np.ndarray, loss: Loss, n_out: int, dtype, argument: str):
    """Targets of a loss that accepts integer labels: labels ``(N,)`` or one-hot ``(N, K)``."""
    if n_out < 2:
        raise ValueError(
            f"{loss.name} needs an output layer with at least 2 units (one per class), "
            "got 1; for two classes use one sigmoid unit with binary_crossentropy"
        )
    if arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1):
        labels = arr.reshape(-1)
        if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
            raise ValueError(
                f"{argument} holds class labels for {loss.name} and must be integers, "
                "got non-integer values"
            )
        if labels.dtype.kind == "b" or labels.min() < 0 or labels.max() >= n_out:
            raise ValueError(
                f"{argument} labels must be integers in [0, {n_out}) for a {n_out}-unit "
                f"output, got values in [{labels.min()}, {labels.max()}]"
            )
        return labels.astype(np.intp)
    if arr.ndim != 2 or arr.shape[1] != n_out:
        raise ValueError(
            f"{argument} one-hot targets must have shape (N, {n_out}) to match the output "
            f"layer, got {arr.shape}"
        )
    sums = arr.sum(axis=1)
    if arr.min() < 0 or arr.max() > 1 or not np.allclose(sums, 1, atol=1e-3):
        raise ValueError(
            f"{argument} one-hot targets must be in [0, 1] with rows summing to 1, got values "
            f"in [{arr.min()}, {arr.max()}] and row sums in [{sums.min()}, {sums.max()}]"
        )
    return arr.astype(dtype)


def prepare_targets(y: Any, n: int, loss: Loss, n_out: int, dtype, argument: str = "y"):
    """Validate targets for ``loss`` and an output layer of ``n_out`` units.

    Returns integer labels ``(N,)`` (categorical cross-entropy with labels) or a float array
    ``(N, n_out)`` in the model dtype.
    """
    arr = as_real_array(y, argument)
    if len(arr) != n:
        raise ValueError(
            f"x and {argument} must have the same number of samples, got {n} and {len(arr)}"
        )
    check_finite(arr, argument)
    if loss.accepts_integer_labels:
        return _prepare_labels(arr, loss, n_out, dtype, argument)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[1:] != (n_out,):
        raise ValueError(
            f"{argument} must have shape (N, {n_out}) to match the output layer "
            f"(or (N,) for one unit), got {arr.shape}"
        )
    if loss.name == "binary_crossentropy" and (arr.min() < 0 or arr.max() > 1):
        raise ValueError(
            f"{argument} targets for binary_crossentropy must be in [0, 1], got values in "
            f"[{arr.min()}, {arr.max()}]"
        )
    return arr.astype(dtype)


#: Output activations whose values a cross-entropy can take the log of (probabilities in
#: [0, 1]), the natural one first.
PROBABILITY_OUTPUTS = {
    "binary_crossentropy": ("sigmoid", "softmax", "hard_sigmoid"),
    "categorical_crossentropy": ("softmax", "sigmoid", "hard_sigmoid"),
}


def check_output_activation(loss: Loss, last_layer: Any) -> None:
    """Refuse a cross-entropy on an output layer that does not produce probabilities.

    A linear or ReLU output would be clipped to ``[eps, 1 - eps]`` inside the loss and train
    on garbage; layers without an activation (e.g. a final Dropout) are not judged.
    """
    allowed = PROBABILITY_OUTPUTS.get(loss.name)
    name = getattr(getattr(last_layer, "activation", None), "name", None)
    if allowed is None or name is None or name in allowed:
        return
    raise ValueError(
        f"{loss.name} needs probabilities from the output layer, but layer "
        f"{last_layer.name!r} ends with activation {name!r}; give it activation="
        f"{allowed[0]!r}" + (" (or use the loss 'mse' for regression)" if name == "linear" else "")
    )


def class_labels(y: np.ndarray, loss: Loss) -> np.ndarray | None:
    """Integer class of each prepared target, or None when the task is not classification."""
    if y.ndim == 1:
        return y
    if loss.accepts_integer_labels:
        return y.argmax(axis=1)
    if loss.name == "binary_crossentropy" and y.shape[1] == 1:
        return (y[:, 0] > 0.5).astype(np.intp)
    return None


def check_sample_weight(sample_weight: Any, n: int, argument: str = "sample_weight"):
    """``None`` or ``n`` finite non-negative weights as float64."""
    if sample_weight is None:
        return None
    arr = as_real_array(sample_weight, argument)
    if arr.shape != (n,):
        raise ValueError(
            f"{argument} must have shape ({n},), one weight per sample, got {arr.shape}"
        )
    check_finite(arr, argument)
    if arr.min() < 0:
        raise ValueError(f"{argument} must be non-negative, got a minimum of {arr.min()}")
    return arr.astype(np.float64)


def check_estimator_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """scikit-learn's sample weights: ``None``, or ``(n,)`` finite weights ``>= 0``, not all 0.

    A scalar is one weight for every sample. Returns float64.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n, float(sample_weight))
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"sample_weight must be an array of numbers: {err}") from None
    if sw.shape != (n,):
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n},): one weight per sample"
        )
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight must be finite, got NaN or inf")
    if sw.min() < 0:
        raise ValueError(f"sample_weight must be non-negative, got a minimum of {sw.min()}")
    if not sw.any():
        raise ValueError("sample_weight must contain at least one non-zero weight, got all zeros")
    return sw
