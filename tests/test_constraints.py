"""MaxNorm: exact projections, and every column norm <= c after each update through fit."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad import constraints
from handgrad.constraints import MaxNorm


def test_long_columns_are_rescaled_short_ones_kept():
    w = np.array([[3.0, 0.3], [4.0, 0.4]])  # column norms 5 and 0.5
    np.testing.assert_allclose(MaxNorm(1.0)(w), [[0.6, 0.3], [0.8, 0.4]], rtol=1e-15)
    np.testing.assert_array_equal(MaxNorm(5.0)(w), w)


def test_conv_kernels_are_constrained_per_filter():
    w = np.zeros((2, 1, 2, 2))
    w[0] = 2.0  # norm 4
    w[1] = 0.25  # norm 0.5
    out = MaxNorm(2.0)(w)
    np.testing.assert_allclose(out[0], np.ones((1, 2, 2)), rtol=1e-15)
    np.testing.assert_array_equal(out[1], w[1])


def test_zero_columns_and_float32():
    w = np.zeros((3, 2), dtype=np.float32)
    w[:, 1] = [10.0, 0.0, 0.0]
    out = MaxNorm(2.0)(w)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[0, 2], [0, 0], [0, 0]])


class _ColumnNorms(hg.callbacks.Callback):
    """Record the largest column norm of a layer's W after every batch."""

    def __init__(self, layer):
        super().__init__()
        self.layer, self.norms = layer, []

    def on_batch_end(self, batch, logs=None):
        self.norms.append(np.linalg.norm(self.layer.params["W"], axis=0).max())


def _train(constraint):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 6)) * 3
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    model = hg.Sequential(
        [
            hg.layers.Dense(8, activation="relu", input_dim=6, kernel_constraint=constraint),
            hg.layers.Dense(1, activation="sigmoid"),
        ],
        seed=0,
        dtype="float64",
    )
    model.compile("binary_crossentropy", hg.optimizers.SGD(0.5, momentum=0.9), ["accuracy"])
    recorder = _ColumnNorms(model.layers[0])
    history = model.fit(X, y, epochs=5, batch_size=16, verbose=0, callbacks=[recorder])
    return np.array(recorder.norms), history


def test_max_norm_holds_after_every_update_in_fit():
    free, _ = _train(None)
    assert free.max() > 1.5  # without the constraint the columns grow past the bound
    norms, history = _train(MaxNorm(0.75))
    assert len(norms) == 5 * 4
    assert norms.max() <= 0.75 * (1 + 1e-12)
    assert np.isclose(norms, 0.75, rtol=1e-12).sum() >= 10  # the bound is active
    assert history.history["accuracy"][-1] > 0.9


def test_config_and_get():
    layer = hg.layers.Dense(2, kernel_constraint=MaxNorm(3))
    assert layer.get_config()["kernel_constraint"] == {"class_name": "MaxNorm", "max_value": 3.0}
    assert constraints.get({"class_name": "MaxNorm", "max_value": 3.0}).max_value == 3.0
    assert constraints.get("max_norm").max_value == 2.0
    assert constraints.get(None) is None


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: MaxNorm(0), ValueError, "max_value must be a positive finite number, got 0"),
        (lambda: MaxNorm(-1.0), ValueError, "max_value must be a positive"),
        (lambda: MaxNorm(float("inf")), ValueError, "max_value must be a positive"),
        (lambda: MaxNorm("2"), TypeError, "max_value must be a positive number"),
        (lambda: constraints.get("unit_norm"), TypeError, "kernel_constraint must be"),
        (lambda: constraints.get({"class_name": "NonNeg"}), ValueError, "unknown constraint"),
    ],
)
def test_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()
