"""Activations: values and derivatives as the lecture notes give them, and numerical safety."""

import numpy as np
import pytest

import handgrad as hg
from handgrad import activations as A
from handgrad.gradcheck import check_layer

ALL = A.names()
DTYPES = [np.float32, np.float64]
# Points away from every kink (relu/leaky/elu at 0, hard_sigmoid at +-0.5).
Z = np.array([-3.0, -0.7, -0.3, -0.01, 0.02, 0.4, 0.6, 2.5])


def test_registry_holds_the_design_names():
    assert ALL == sorted(
        [
            "linear",
            "sigmoid",
            "tanh",
            "relu",
            "leaky_relu",
            "elu",
            "softmax",
            "step",
            "sign",
            "hard_sigmoid",
        ]
    )
    assert A.get(None).name == "linear"


# ------------------------------------------------------------------------- values
def test_linear_is_identity():
    np.testing.assert_array_equal(A.linear(Z), Z)
    np.testing.assert_array_equal(A.derivative("linear", Z), np.ones_like(Z))


def test_sigmoid_values_and_derivative():
    z = np.array([-2.0, 0.0, 1.3, 1.5])
    expected = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(A.sigmoid(z), expected, rtol=1e-15)
    # the notes' forward example: h(1.3) = 0.7858, h(1.5) = 0.8176
    np.testing.assert_allclose(A.sigmoid(np.array([1.3, 1.5])), [0.7858, 0.8176], atol=5e-5)
    np.testing.assert_allclose(A.derivative("sigmoid", z), expected * (1 - expected), rtol=1e-14)
    assert A.sigmoid(np.array([0.0]))[0] == 0.5


def test_tanh_is_a_scaled_sigmoid():
    z = np.linspace(-6, 6, 101)
    np.testing.assert_allclose(A.tanh(z), 2 * A.sigmoid(2 * z) - 1, atol=1e-15)
    np.testing.assert_allclose(A.derivative("tanh", z), 1 - np.tanh(z) ** 2, rtol=1e-14)


def test_relu_and_its_documented_slope_at_zero():
    z = np.array([-2.0, -1e-9, 0.0, 1e-9, 3.0])
    np.testing.assert_array_equal(A.relu(z), [0, 0, 0, 1e-9, 3])
    # notes: 0 for z < 0, 1 for z > 0; at z = 0 handgrad documents slope 0 (as PyTorch)
    np.testing.assert_array_equal(A.derivative("relu", z), [0, 0, 0, 1, 1])


def test_leaky_relu_has_slope_one_hundredth():
    z = np.array([-200.0, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(A.leaky_relu(z), [-2.0, -0.01, 0.0, 2.0], rtol=1e-15)
    # notes: g'(z) = 0.01 if z < 0, 1 if z >= 0
    np.testing.assert_array_equal(A.derivative("leaky_relu", z), [0.01, 0.01, 1.0, 1.0])


def test_elu_with_alpha_one():
    z = np.array([-30.0, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(A.elu(z), [np.exp(-30.0) - 1, np.exp(-1.0) - 1, 0.0, 2.0])
    # notes: g'(z) = alpha exp(z) if z < 0, 1 if z >= 0
    np.testing.assert_allclose(A.derivative("elu", z), [np.exp(-30.0), np.exp(-1.0), 1.0, 1.0])
    assert A.elu(np.array([1e4]))[0] == 1e4  # exp of large z is never evaluated


def test_step_is_one_half_at_zero():
    z = np.array([-5.0, -1e-12, 0.0, 1e-12, 5.0])
    np.testing.assert_array_equal(A.step(z), [0, 0, 0.5, 1, 1])
    np.testing.assert_array_equal(A.derivative("step", z), np.zeros(5))


def test_sign():
    z = np.array([-5.0, -1e-12, 0.0, 1e-12, 5.0])
    np.testing.assert_array_equal(A.sign(z), [-1, -1, 0, 1, 1])
    np.testing.assert_array_equal(A.derivative("sign", z), np.zeros(5))


def test_hard_sigmoid_is_the_notes_piecewise_linear_unit():
    z = np.array([-3.0, -0.5, -0.25, 0.0, 0.3, 0.5, 4.0])
    np.testing.assert_allclose(A.hard_sigmoid(z), [0, 0, 0.25, 0.5, 0.8, 1, 1])
    # slope 1 strictly inside (-1/2, 1/2), 0 outside; 0 at the kinks themselves
    np.testing.assert_array_equal(A.derivative("hard_sigmoid", z), [0, 0, 1, 1, 1, 0, 0])


def test_softmax_rows_sum_to_one_and_match_the_formula():
    z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]])
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(A.softmax(z), expected, rtol=1e-14)
    np.testing.assert_allclose(A.softmax(z + 1000).sum(axis=1), [1, 1], rtol=1e-15)
    with pytest.raises(ValueError, match="no element-wise derivative"):
        A.derivative("softmax", z)


@pytest.mark.parametrize("name", [n for n in ALL if n != "softmax"])
def test_backward_from_output_equals_derivative_times_upstream(name):
    f = A.get(name)
    rng = np.random.default_rng(1)
    da = rng.standard_normal(Z.shape)
    np.testing.assert_allclose(f.backward(f.forward(Z), da), f.derivative(Z) * da, rtol=1e-12)


def test_backward_at_kinks_uses_the_documented_slopes():
    z = np.array([0.0, -0.5, 0.5])
    ones = np.ones(3)
    assert A.get("relu").backward(A.relu(z[:1]), ones[:1])[0] == 0.0
    assert A.get("leaky_relu").backward(A.leaky_relu(z[:1]), ones[:1])[0] == 1.0
    assert A.get("elu").backward(A.elu(z[:1]), ones[:1])[0] == 1.0
    np.testing.assert_array_equal(
        A.get("hard_sigmoid").backward(A.hard_sigmoid(z), ones), [1.0, 0.0, 0.0]
    )


def test_integer_inputs_are_not_truncated():
    z = np.array([-1, 0, 2])
    np.testing.assert_array_equal(A.step(z), [0, 0.5, 1])
    np.testing.assert_allclose(A.sigmoid(z), 1 / (1 + np.exp(-z.astype(float))))
    np.testing.assert_allclose(A.leaky_relu(z), [-0.01, 0, 2])
    np.testing.assert_allclose(A.elu(z), [np.exp(-1) - 1, 0, 2])
    assert A.sigmoid(z).dtype == np.float64


# --------------------------------------------------------------------- numerics
@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_never_overflows_and_reaches_exact_limits(dtype):
    z = np.array([-1e4, -800.0, 0.0, 800.0, 1e4], dtype=dtype)
    a = A.sigmoid(z)  # filterwarnings=error turns any overflow warning into a failure
    assert a.dtype == dtype
    assert a[0] == 0.0 and a[-1] == 1.0 and a[2] == 0.5
    assert np.all(np.isfinite(A.derivative("sigmoid", z)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_never_overflows_and_reaches_exact_limits(dtype):
    z = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]], dtype=dtype)
    a = A.softmax(z)
    assert a.dtype == dtype
    np.testing.assert_array_equal(a[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(a[1], [1 / 3] * 3, rtol=1e-6)
    np.testing.assert_array_equal(a[2], [0.5, 0.5, 0.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ALL)
def test_every_activation_keeps_the_float_dtype_and_stays_finite(name, dtype):
    z = np.array([[-1e4, -3.0, 0.25, 1e4]], dtype=dtype)
    a = A.get(name).forward(z)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    assert A.get(name).backward(a, np.ones_like(a)).dtype == dtype


def test_unknown_activation_lists_the_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; expected one of: elu, "):
        A.get("swish")
    with pytest.raises(ValueError, match="hard_sigmoid, leaky_relu, linear, relu"):
        hg.layers.Dense(3, activation="Relu")
    with pytest.raises(TypeError, match="activation must be a string name, got int"):
        A.get(3)


# --------------------------------------------------- the Activation layer, checked
@pytest.mark.parametrize("name", ALL)
def test_activation_layer_gradient(name):
    x = np.random.default_rng(2).uniform(-2, 2, size=(4, 5))
    x[np.abs(x) < 0.05] += 0.2  # keep away from the kink at 0
    x[np.abs(np.abs(x) - 0.5) < 0.05] += 0.2  # and from hard_sigmoid's at +-0.5
    layer = hg.layers.Activation(name)
    errors = check_layer(layer, x)
    assert set(errors) == {"x"}
    assert errors["x"] < 1e-6
    if name in ("step", "sign"):
        # zero gradient everywhere: the analytic gradient is exactly zero
        layer.forward(x)
        np.testing.assert_array_equal(layer.backward(np.ones_like(x)), np.zeros_like(x))
