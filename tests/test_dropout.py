"""Dropout: the notes' inverted dropout, its statistics, its backward pass under finite
differences (mask fixed) alone and mid-network, for (N, d) and (N, C, H, W) inputs."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.gradcheck import check_layer, check_model
from handgrad.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten


@pytest.mark.parametrize("rate", [0.1, 0.3, 0.5, 0.8])
def test_fraction_dropped_and_expectation(rate):
    x = np.ones((400, 500))
    y = Dropout(rate, seed=0).forward(x, training=True)
    kept = y != 0
    # 200,000 draws: the standard error of the dropped fraction is below 0.0012.
    assert abs(1 - kept.mean() - rate) < 0.005
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-15)
    assert abs(y.mean() - 1.0) < 0.02  # inverted dropout preserves the expectation


def test_matches_the_notes_code_with_the_same_draws():
    rate, x = 0.4, np.random.default_rng(5).normal(size=(6, 7))
    layer = Dropout(rate, seed=11)
    layer.build(x.shape[1:], dtype="float64")
    state = layer.rng.bit_generator.state
    y = layer.forward(x, training=True)
    replay = np.random.default_rng()
    replay.bit_generator.state = state
    u = replay.random(x.shape)
    keep_prob = 1 - rate
    D1 = np.where(u >= rate, 1, 0)  # keep with probability keep_prob
    np.testing.assert_array_equal(y, np.multiply(D1, x) / keep_prob)
    dy = np.random.default_rng(6).normal(size=x.shape)
    np.testing.assert_array_equal(layer.backward(dy), np.multiply(D1, dy) / keep_prob)


def test_identity_at_inference():
    x = np.random.default_rng(0).normal(size=(5, 3))
    layer = Dropout(0.5, seed=0)
    assert layer.forward(x, training=False) is x
    dy = np.ones_like(x)
    assert layer.backward(dy) is dy
    assert Dropout(0.0, seed=0).forward(x, training=True) is x


def test_new_mask_each_pass_reproducible_from_the_seed():
    x = np.ones((4, 50))
    a, b = Dropout(0.5, seed=7), Dropout(0.5, seed=7)
    first, second = a.forward(x, True), a.forward(x, True)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(b.forward(x, True), first)
    assert not np.array_equal(Dropout(0.5, seed=8).forward(x, True), first)


def test_four_dimensional_inputs():
    x = np.ones((8, 3, 10, 10), dtype=np.float32)
    y = Dropout(0.25, seed=0).forward(x, training=True)
    assert y.shape == x.shape and y.dtype == np.float32
    assert abs((y == 0).mean() - 0.25) < 0.03
    assert set(np.unique(y)) == {np.float32(0), np.float32(1 / 0.75)}


@pytest.mark.parametrize("shape", [(6, 5), (3, 2, 4, 4)])
def test_check_layer_with_a_fixed_mask(shape):
    x = np.random.default_rng(1).normal(size=shape)
    layer = Dropout(0.4, seed=2)
    errors = check_layer(layer, x, training=True)
    assert errors["x"] < 1e-6
    assert (layer.forward(x, True) == 0).any()  # a mask is really applied


def _labels(n, seed):
    return np.random.default_rng(seed).integers(0, 3, size=n)


def test_mid_network_finite_differences_2d():
    X = np.random.default_rng(0).normal(size=(10, 4))
    y = _labels(10, 1)
    model = hg.Sequential(
        [Dense(6, "tanh", input_dim=4), Dropout(0.5), Dense(3, "softmax")], seed=2, dtype="float64"
    )
    model.compile("categorical_crossentropy", "sgd")
    errors = check_model(model, X, y)
    assert len(errors) == 4 and max(errors.values()) < 1e-6, errors
    # Dropout is active in training mode: the outputs differ from predict's.
    a = X
    for layer in model.layers:
        a = layer.forward(a, training=True)
    assert np.abs(a - model.predict(X)).max() > 1e-2


def test_mid_network_finite_differences_4d():
    X = np.random.default_rng(0).normal(size=(4, 2, 5, 5))
    y = _labels(4, 2)
    model = hg.Sequential(
        [
            Conv2D(3, 3, activation="tanh", input_shape=(2, 5, 5)),
            Dropout(0.3),
            BatchNormalization(),
            Flatten(),
            Dense(3, "softmax"),
        ],
        seed=4,
        dtype="float64",
    )
    model.compile("categorical_crossentropy", "sgd")
    errors = check_model(model, X, y)
    assert len(errors) == 6 and max(errors.values()) < 1e-6, errors


def test_masks_come_from_the_model_seed():
    X = np.random.default_rng(0).normal(size=(16, 4))
    y = _labels(16, 1)

    def train(seed):
        model = hg.Sequential(
            [Dense(8, "relu", input_dim=4), Dropout(0.5), Dense(3, "softmax")], seed=seed
        )
        model.compile("categorical_crossentropy", hg.optimizers.SGD(0.1))
        model.fit(X, y, epochs=2, batch_size=4, verbose=0)
        return model.get_weights()

    for a, b in zip(train(3), train(3), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(train(3)[0], train(4)[0])


def test_no_parameters_and_config_round_trip():
    layer = Dropout(0.25, seed=5, name="drop")
    layer.build((4,))
    assert layer.count_params() == 0 and layer.get_weights() == []
    config = layer.get_config()
    assert config == {"name": "drop", "trainable": True, "rate": 0.25, "seed": 5}
    rebuilt = Dropout.from_config(config)
    x = np.ones((3, 4))
    np.testing.assert_array_equal(rebuilt.forward(x, True), Dropout(0.25, seed=5).forward(x, True))


@pytest.mark.parametrize(
    "rate, error, message",
    [
        (-0.1, ValueError, r"Dropout rate must be in \[0, 1\)"),
        (
            1.0,
            ValueError,
            r"Dropout rate must be in \[0, 1\) \(the fraction of units dropped\), "
            r"got 1.0",
        ),
        (1.5, ValueError, "got 1.5"),
        (float("nan"), ValueError, "got nan"),
        ("0.5", TypeError, r"Dropout rate must be a number in \[0, 1\), got '0.5'"),
        (True, TypeError, "got True"),
        (None, TypeError, "got None"),
    ],
)
def test_bad_rate_raises(rate, error, message):
    with pytest.raises(error, match=message):
        Dropout(rate)
