"""Whole-model gradients against central finite differences, for every activation x loss pair.

Also checks that the gradient checker itself catches wrong gradients (so a pass means something).
"""

import numpy as np
import pytest

import handgrad as hg
from handgrad import gradcheck as gc

ACTIVATIONS = hg.activations.names()
LOSSES = hg.losses.names()
NATURAL_OUTPUT = {
    "binary_crossentropy": "sigmoid",
    "categorical_crossentropy": "softmax",
    "mse": "linear",
    "mae": "linear",
    "quadratic": "linear",
}
# Probability losses need outputs in [0, 1]; regression losses take any output activation.
PROBABILITY_OUTPUTS = ["sigmoid", "softmax", "hard_sigmoid"]
OUTPUT_PAIRS = [
    (act, loss)
    for loss in LOSSES
    for act in (PROBABILITY_OUTPUTS if "cross" in loss else ACTIVATIONS)
]
ZERO_GRADIENT = {"step", "sign"}

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 3))
SAMPLE_WEIGHT = np.array([1.0, 0.5, 2.0, 0.0, 1.5, 1.0])


def _targets(loss, k=3):
    rng = np.random.default_rng(1)
    if loss == "categorical_crossentropy":
        return np.arange(6) % k
    if loss == "binary_crossentropy":
        return rng.uniform(size=(6, k))
    return rng.normal(size=(6, k))


def _model(layers, loss):
    model = hg.Sequential(layers, seed=3, dtype="float64")
    model.compile(loss, hg.optimizers.SGD(learning_rate=0.0))
    return model


def _assert_all_below(errors, bound=1e-6):
    worst = max(errors, key=errors.get)
    assert errors[worst] < bound, f"{worst}: relative error {errors[worst]:.3g}"


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_hidden_activation_x_loss_in_a_three_layer_network(activation, loss):
    model = _model(
        [
            hg.layers.Dense(5, activation, input_dim=3, name="first"),
            hg.layers.Dense(4, activation, name="middle"),
            hg.layers.Dense(3, NATURAL_OUTPUT[loss], name="last"),
        ],
        loss,
    )
    errors = gc.check_model(model, X, _targets(loss))
    assert set(errors) == {f"{n}/{k}" for n in ("first", "middle", "last") for k in ("W", "b")}
    _assert_all_below(errors)
    middle = model.layers[1].grads["W"]
    if activation in ZERO_GRADIENT:
        assert not middle.any() and not model.layers[0].grads["W"].any()
    else:
        assert np.abs(middle).max() > 1e-4  # a real gradient flowed through the middle layer


@pytest.mark.parametrize("activation, loss", OUTPUT_PAIRS)
def test_output_activation_x_loss(activation, loss):
    model = _model(
        [
            hg.layers.Dense(5, "tanh", input_dim=3, name="hidden"),
            hg.layers.Dense(3, activation, name="out"),
        ],
        loss,
    )
    errors = gc.check_model(model, X, _targets(loss))
    _assert_all_below(errors)
    assert model.session.fused == (NATURAL_OUTPUT[loss] == activation and "cross" in loss)
    if activation in ZERO_GRADIENT:
        assert all(not g.any() for layer in model.layers for g in layer.grads.values())


@pytest.mark.parametrize("targets", ["labels", "one_hot"])
def test_fused_softmax_as_a_separate_activation_layer(targets):
    y = np.arange(6) % 3
    model = _model(
        [
            hg.layers.Dense(4, "relu", input_dim=3),
            hg.layers.Dense(3),
            hg.layers.Activation("softmax"),
        ],
        "categorical_crossentropy",
    )
    _assert_all_below(gc.check_model(model, X, y if targets == "labels" else np.eye(3)[y]))
    assert model.session.fused


@pytest.mark.parametrize("loss", LOSSES)
def test_sample_weights_in_the_model_gradient(loss):
    model = _model(
        [hg.layers.Dense(4, "elu", input_dim=3), hg.layers.Dense(3, NATURAL_OUTPUT[loss])], loss
    )
    _assert_all_below(gc.check_model(model, X, _targets(loss), sample_weight=SAMPLE_WEIGHT))


def test_check_model_leaves_the_weights_unchanged():
    model = _model([hg.layers.Dense(3, "tanh", input_dim=3), hg.layers.Dense(2)], "mse")
    before = model.get_weights()
    gc.check_model(model, X, np.ones((6, 2)))
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def test_max_entries_checks_a_sample_of_each_parameter():
    model = _model([hg.layers.Dense(30, "sigmoid", input_dim=3), hg.layers.Dense(2)], "mse")
    errors = gc.check_model(model, X, np.ones((6, 2)), max_entries=5)
    _assert_all_below(errors)


# ----------------------------------------------------------- the checker catches bugs
class _ForgetsTheActivation(hg.layers.Dense):
    """A Dense whose backward skips the activation derivative (a classic bug)."""

    def backward(self, dy):
        return self.backward_logits(dy)


def test_check_layer_catches_a_wrong_backward():
    x = RNG.normal(size=(4, 3))
    errors = gc.check_layer(_ForgetsTheActivation(3, "tanh", seed=0), x)
    assert errors["W"] > 1e-2 and errors["x"] > 1e-2
    _assert_all_below(gc.check_layer(hg.layers.Dense(3, "tanh", seed=0), x))


def test_check_model_catches_a_wrong_backward_in_a_middle_layer():
    model = _model(
        [
            hg.layers.Dense(4, "tanh", input_dim=3, name="first"),
            _ForgetsTheActivation(4, "sigmoid", name="broken"),
            hg.layers.Dense(2, name="last"),
        ],
        "mse",
    )
    errors = gc.check_model(model, X, np.ones((6, 2)))
    assert errors["broken/W"] > 1e-2
    assert errors["first/W"] > 1e-2  # the error propagates to the layers before it
    assert errors["last/W"] < 1e-6


def test_check_loss_catches_a_wrong_gradient():
    class HalfMSE(hg.losses.MeanSquaredError):
        def gradient(self, y_true, y_pred, sample_weight=None):
            return super().gradient(y_true, y_pred, sample_weight) / 2

    y, p = np.zeros((4, 2)), RNG.normal(size=(4, 2))
    assert gc.check_loss(HalfMSE(), y, p) == pytest.approx(1 / 3, rel=1e-6)
    assert gc.check_loss("mse", y, p) < 1e-8


def test_gradient_checks_need_float64():
    model = hg.Sequential([hg.layers.Dense(2, input_dim=3)], seed=0)
    model.compile("mse", "sgd")
    with pytest.raises(TypeError, match="gradient checks need a float64 model"):
        gc.check_model(model, X, np.ones((6, 2)))
    layer = hg.layers.Dense(2, seed=0)
    layer.forward(np.ones((1, 3), dtype=np.float32))
    with pytest.raises(TypeError, match="gradient checks need float64 parameters"):
        gc.check_layer(layer, X)


def test_check_model_needs_a_compiled_model():
    model = hg.Sequential([hg.layers.Dense(2, input_dim=3)], seed=0, dtype="float64")
    with pytest.raises(ValueError, match="check_model needs a compiled model"):
        gc.check_model(model, X, np.ones((6, 2)))


def test_relative_error_and_numerical_gradient():
    assert gc.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gc.relative_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(
        np.sqrt(2) / 2
    )
    w = np.array([1.0, -2.0, 3.0])
    grad = gc.numerical_gradient(lambda: float((w**3).sum()), w)
    np.testing.assert_allclose(grad, 3 * w**2, rtol=1e-8)
    np.testing.assert_array_equal(w, [1.0, -2.0, 3.0])  # restored after perturbing
    partial = gc.numerical_gradient(lambda: float((w**3).sum()), w, entries=np.array([1]))
    np.testing.assert_allclose(partial, [0.0, 12.0, 0.0], rtol=1e-8)
