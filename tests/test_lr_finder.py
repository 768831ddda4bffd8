"""Learning-rate finder: exponential sweep, early stop on explosion, exact restoration of the
model and optimizer, and a suggestion that trains well."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.lr_finder import LRFinderResult, centered_average, suggest_rate

L = hg.layers


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    return X, y


def _model(optimizer, layers=None, dtype="float32"):
    layers = layers or [L.Dense(16, "relu", input_dim=4), L.Dense(2, "softmax")]
    model = hg.Sequential(layers, seed=0, dtype=dtype)
    model.compile("categorical_crossentropy", optimizer)
    return model


OPTIMIZERS = {
    "sgd": lambda: hg.optimizers.SGD(0.1),
    "momentum": lambda: hg.optimizers.Momentum(0.1),
    "rmsprop": lambda: hg.optimizers.RMSprop(0.01),
    "adam": lambda: hg.optimizers.Adam(0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_finder_suggests_a_rate_that_trains_well(name):
    X, y = _data()
    model = _model(OPTIMIZERS[name]())
    result = model.find_learning_rate(X, y, start=1e-5, end=10.0)
    assert isinstance(result, LRFinderResult)
    assert 1e-3 < result.suggestion < result.min_loss_rate < 10
    # training with the suggestion beats the sweep's starting rate by far
    losses = {}
    for rate in (result.suggestion, 1e-5):
        fresh = _model(type(model.optimizer)(rate))
        losses[rate] = fresh.fit(X, y, epochs=3, verbose=0).history["loss"][-1]
    assert losses[result.suggestion] < 0.5 * losses[1e-5]


def test_rates_grow_geometrically_and_the_sweep_stops_when_the_loss_explodes():
    X, y = _data()
    model = _model(hg.optimizers.SGD(0.1))
    result = model.find_learning_rate(X, y, start=1e-4, end=1e4, num=60, batch_size=16)
    full = 1e-4 * (1e8) ** (np.arange(60) / 59)
    m = len(result.rates)
    np.testing.assert_allclose(result.rates, full[:m], rtol=1e-12)
    assert result.stopped_early and m < 60
    assert len(result.losses) == len(result.raw_losses) == m
    np.testing.assert_allclose(result.losses, centered_average(result.raw_losses, 3))
    assert result.raw_losses[-1] > 4 * result.raw_losses.min()


def test_model_and_optimizer_are_restored_exactly():
    X, y = _data(200)
    layers = [
        L.Dense(16, "relu", input_dim=4),
        L.BatchNormalization(),
        L.Dropout(0.2),
        L.Dense(2, "softmax"),
    ]
    model = _model(hg.optimizers.Adam(0.01), layers)
    model.fit(X, y, epochs=2, batch_size=32, verbose=0)
    weights = model.get_weights()
    state = model.optimizer.get_state()
    model.find_learning_rate(X, y, start=1e-4, end=100.0, num=40)
    for a, b in zip(model.get_weights(), weights, strict=True):  # including batch-norm statistics
        np.testing.assert_array_equal(a, b)
    after = model.optimizer.get_state()
    assert after["iterations"] == state["iterations"]
    assert after["current_learning_rate"] == state["current_learning_rate"] == 0.01
    for slot in ("m", "v"):
        for a, b in zip(after["slots"][slot], state["slots"][slot], strict=True):
            np.testing.assert_array_equal(a, b)


def test_training_after_the_finder_is_bit_identical():
    X, y = _data(200)

    def train(use_finder):
        model = _model(
            hg.optimizers.Adam(0.01),
            [L.Dense(16, "relu", input_dim=4), L.Dropout(0.3), L.Dense(2, "softmax")],
        )
        if use_finder:
            model.find_learning_rate(X, y, num=30)
        model.fit(X, y, epochs=2, batch_size=32, verbose=0)
        return model.get_weights()

    for a, b in zip(train(False), train(True), strict=True):
        np.testing.assert_array_equal(a, b)


def test_fresh_optimizer_state_stays_empty():
    X, y = _data(100)
    model = _model(hg.optimizers.SGD(0.1, momentum=0.9))
    model.find_learning_rate(X, y, num=20, batch_size=None)
    assert model.optimizer.get_state()["slots"] == {} and model.optimizer.iterations == 0


def test_suggestion_rule():
    rates = 10.0 ** np.arange(-5, 1.5, 0.5)  # 14 points
    # flat, then falling fastest between 1e-3 and 1e-2, minimum at 1e-1, then rising
    losses = np.array([1, 1, 1, 1, 0.95, 0.6, 0.3, 0.2, 0.15, 0.1, 0.3, 0.9, 2.0, 4.0])
    rate, rule = suggest_rate(rates, losses, k=2)
    assert rule == "steepest" and rate == pytest.approx(10**-2.5)
    # the minimum comes too early for a slope: fall back to min-loss rate / 10
    rate, rule = suggest_rate(rates, losses[::-1], k=3)  # minimum at index 4
    assert rule == "min_loss/10" and rate == pytest.approx(rates[4] / 10)
    np.testing.assert_allclose(centered_average(np.array([1.0, 2, 3, 10]), 1), [1.5, 2, 5, 6.5])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": 0.0}, ValueError, "start must be a finite number > 0, got 0.0"),
        ({"start": 1.0, "end": 0.5}, ValueError, "end must be greater than start"),
        ({"num": 3}, ValueError, r"num must be an int >= 5 \(rates to try\), got 3"),
        ({"smoothing": 1.0}, ValueError, r"smoothing must be a number in \[0, 1\)"),
        ({"divergence_threshold": 1.0}, ValueError, "divergence_threshold must be > 1"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int or None, got 0"),
        ({"end": "1"}, TypeError, "end must be a number"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    X, y = _data(50)
    model = _model(hg.optimizers.SGD(0.1))
    with pytest.raises(error, match=match):
        model.find_learning_rate(X, y, **kwargs)


def test_needs_a_compiled_model():
    X, y = _data(50)
    model = hg.Sequential([L.Dense(2, "softmax", input_dim=4)])
    with pytest.raises(ValueError, match="find_learning_rate needs a compiled model"):
        model.find_learning_rate(X, y)
