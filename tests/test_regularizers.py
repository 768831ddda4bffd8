"""L1, L2 and L1L2 penalties: exact values and gradients, finite differences mid-network, the
loss reported by fit/evaluate, and the mapping from the notes' lambda/(2m)."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad import regularizers
from handgrad.gradcheck import check_model, numerical_gradient, relative_error
from handgrad.regularizers import L1, L1L2, L2

W = np.array([[1.0, -2.0], [3.0, 0.0], [-0.5, 0.25]])  # sum|W| = 6.75, sum W^2 = 14.3125


def test_penalty_values():
    assert L1(0.1)(W) == pytest.approx(0.675, abs=1e-15)
    assert L2(0.01)(W) == pytest.approx(0.143125, abs=1e-15)
    assert L1L2(l1=0.1, l2=0.01)(W) == pytest.approx(0.675 + 0.143125, abs=1e-15)
    assert regularizers.ElasticNet is L1L2


def test_penalty_gradients():
    np.testing.assert_array_equal(
        L1(0.1).gradient(W), 0.1 * np.array([[1, -1], [1, 0], [-1, 1]], dtype=float)
    )
    np.testing.assert_array_equal(L2(0.01).gradient(W), 0.02 * W)
    np.testing.assert_allclose(
        L1L2(0.1, 0.01).gradient(W), L1(0.1).gradient(W) + L2(0.01).gradient(W), rtol=1e-15
    )


@pytest.mark.parametrize("reg", [L1(0.3), L2(0.2), L1L2(0.3, 0.2)], ids=repr)
def test_penalty_gradient_matches_finite_differences(reg):
    w = np.random.default_rng(1).normal(size=(4, 3))  # no entry within eps of the L1 kink
    numeric = numerical_gradient(lambda: reg(w), w)
    assert relative_error(reg.gradient(w), numeric) < 1e-8


def test_float32_weights_keep_their_dtype():
    w = W.astype(np.float32)
    assert L1L2(0.1, 0.1).gradient(w).dtype == np.float32


def _data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int) + (X[:, 3] > 1)
    return X, y


def _model(reg=None, seed=3):
    return hg.Sequential(
        [
            hg.layers.Dense(5, activation="tanh", input_dim=4),
            hg.layers.Dense(4, activation="tanh", kernel_regularizer=reg),
            hg.layers.Dense(3, activation="softmax"),
        ],
        seed=seed,
        dtype="float64",
    )


@pytest.mark.parametrize("reg", [L1(0.05), L2(0.1), L1L2(0.05, 0.1)], ids=repr)
def test_gradients_mid_network_match_finite_differences(reg):
    X, y = _data()
    model, plain = _model(reg), _model(None)  # same seed: same initial weights
    for net in (model, plain):
        net.compile("categorical_crossentropy", hg.optimizers.SGD(0.0))
    errors = check_model(model, X, y)
    assert set(errors) == {f"{layer.name}/{k}" for layer in model.layers for k in ("W", "b")}
    assert max(errors.values()) < 1e-6, errors
    # The penalty's gradient is really part of what was checked.
    model.train_on_batch(X, y)
    plain.train_on_batch(X, y)
    np.testing.assert_allclose(
        model.layers[1].grads["W"] - plain.layers[1].grads["W"],
        reg.gradient(model.layers[1].params["W"]),
        atol=1e-14,
    )


def test_fit_and_evaluate_report_the_loss_including_the_penalty():
    X, y = _data()
    reg = L1L2(0.01, 0.05)
    model, plain = _model(reg), _model(None)  # same seed: same initial weights
    for m in (model, plain):
        m.compile("categorical_crossentropy", hg.optimizers.SGD(0.0))
    W_mid = model.layers[1].params["W"]
    penalty = 0.01 * np.abs(W_mid).sum() + 0.05 * np.square(W_mid).sum()
    assert penalty > 0.05
    loss = model.evaluate(X, y)["loss"]
    assert loss == pytest.approx(plain.evaluate(X, y)["loss"] + penalty, abs=1e-12)
    history = model.fit(X, y, epochs=1, batch_size=None, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss, abs=1e-12)
    # With mini-batches the penalty is added to every batch's mean loss.
    history = model.fit(X, y, epochs=1, batch_size=8, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss, abs=1e-12)


def test_notes_lambda_over_2m_is_l2_of_lambda_over_2m():
    """The notes' J + lambda/(2m) sum||W||^2 with dW += (lambda/m) W is L2(l2=lambda/(2m))."""
    X, y = _data(n=20)
    lam, m = 0.7, len(X)
    model, plain = _model(L2(lam / (2 * m))), _model(None)
    for net in (model, plain):
        net.compile("categorical_crossentropy", hg.optimizers.SGD(0.0))
    W_mid = model.layers[1].params["W"].copy()
    loss = model.train_on_batch(X, y)  # full batch: the mean runs over m samples
    plain_loss = plain.train_on_batch(X, y)
    assert loss - plain_loss == pytest.approx(lam / (2 * m) * np.square(W_mid).sum(), abs=1e-14)
    np.testing.assert_allclose(
        model.layers[1].grads["W"], plain.layers[1].grads["W"] + lam / m * W_mid, atol=1e-14
    )


def test_l2_shrinks_weights_during_training():
    X, y = _data(n=60)
    norms = []
    for reg in (None, L2(0.05)):
        model = _model(reg)
        model.compile("categorical_crossentropy", hg.optimizers.Adam(0.05))
        model.fit(X, y, epochs=40, batch_size=None, verbose=0)
        norms.append(np.linalg.norm(model.layers[1].params["W"]))
    assert norms[1] < 0.6 * norms[0], norms


def test_regularizer_through_dense_config():
    layer = hg.layers.Dense(3, kernel_regularizer=L1L2(0.1, 0.2))
    config = layer.get_config()
    assert config["kernel_regularizer"] == {"class_name": "L1L2", "l1": 0.1, "l2": 0.2}
    rebuilt = regularizers.get(config["kernel_regularizer"])
    assert (type(rebuilt), rebuilt.l1, rebuilt.l2) == (L1L2, 0.1, 0.2)
    assert regularizers.get(L2(0.3).get_config()).l2 == 0.3
    assert regularizers.get(L1(0.3).get_config()).l1 == 0.3


def test_names_give_default_factors():
    assert isinstance(regularizers.get("l1"), L1) and regularizers.get("l1").l1 == 0.01
    assert isinstance(regularizers.get("L2"), L2) and regularizers.get("L2").l2 == 0.01
    assert type(regularizers.get("l1_l2")) is L1L2
    assert regularizers.get(None) is None


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: L1(-0.1), ValueError, "l1 must be a non-negative finite number"),
        (lambda: L2(float("nan")), ValueError, "l2 must be a non-negative finite number"),
        (lambda: L2("0.1"), TypeError, "l2 must be a non-negative number"),
        (lambda: L1L2(0.1, True), TypeError, "l2"),
        (lambda: regularizers.get("l3"), ValueError, "unknown regularizer 'l3'"),
        (lambda: regularizers.get({"class_name": "L3"}), ValueError, "unknown regularizer"),
        (lambda: regularizers.get(0.1), TypeError, "kernel_regularizer must be"),
        (lambda: hg.layers.Dense(2, kernel_regularizer="ridge"), ValueError, "unknown regularizer"),
    ],
)
def test_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()
