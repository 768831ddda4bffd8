"""Dense and the Layer protocol: shapes, forward formula, exact gradients for every activation."""

import numpy as np
import pytest

import handgrad as hg
from handgrad import activations as A
from handgrad.gradcheck import check_layer

ALL = A.names()


def _layer(units=3, activation=None, seed=0, dtype="float64", **kwargs):
    layer = hg.layers.Dense(units, activation, **kwargs)
    layer.build((4,), np.random.default_rng(seed), dtype)
    return layer


def test_params_and_grads_share_keys_and_shapes():
    layer = _layer(5, "relu")
    assert list(layer.params) == ["W", "b"]
    assert layer.params["W"].shape == (4, 5)  # (fan_in, units)
    assert layer.params["b"].shape == (5,)
    for key, value in layer.params.items():
        assert layer.grads[key].shape == value.shape
        assert layer.grads[key].dtype == value.dtype
    assert layer.output_shape == (5,)
    assert layer.count_params() == 4 * 5 + 5


def test_without_bias():
    layer = _layer(5, use_bias=False)
    assert list(layer.params) == ["W"]
    x = np.random.default_rng(0).normal(size=(2, 4))
    np.testing.assert_allclose(layer.forward(x), x @ layer.params["W"])
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "W"}
    assert max(errors.values()) < 1e-6


@pytest.mark.parametrize("name", ALL)
def test_forward_is_g_of_x_w_plus_b(name):
    layer = _layer(3, name)
    x = np.random.default_rng(1).normal(size=(6, 4))
    z = x @ layer.params["W"] + layer.params["b"]
    np.testing.assert_allclose(layer.forward(x), A.get(name).forward(z), rtol=1e-14)


@pytest.mark.parametrize("name", ALL)
def test_dense_gradient_for_every_activation(name):
    layer = _layer(3, name, seed=3)
    layer.set_weights([layer.params["W"], np.full(3, 0.1)])
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5, 4))
    z = x @ layer.params["W"] + layer.params["b"]
    assert np.all(np.abs(z) > 1e-3) and np.all(np.abs(np.abs(z) - 0.5) > 1e-3)  # no kinks
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < 1e-6, errors
    layer.forward(x)
    layer.backward(rng.normal(size=(5, 3)))
    if name in ("step", "sign"):
        # zero gradient everywhere: the analytic gradient is exactly zero
        assert not layer.grads["W"].any() and not layer.grads["b"].any()
    else:
        assert np.abs(layer.grads["W"]).max() > 1e-3


def test_backward_formulas():
    layer = _layer(2, "linear")
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 2))
    layer.forward(x, training=True)
    dx = layer.backward(dy)
    np.testing.assert_allclose(layer.grads["W"], x.T @ dy)
    np.testing.assert_allclose(layer.grads["b"], dy.sum(axis=0))
    np.testing.assert_allclose(dx, dy @ layer.params["W"].T)


def test_standalone_layer_builds_in_the_dtype_of_its_input():
    layer = hg.layers.Dense(3, "tanh", seed=0)
    out = layer.forward(np.ones((2, 4), dtype=np.float32))
    assert layer.params["W"].dtype == np.float32
    assert out.dtype == np.float32
    layer.backward(np.ones((2, 3), dtype=np.float32))
    assert layer.grads["W"].dtype == np.float32
    same = hg.layers.Dense(3, "tanh", seed=0)
    same.forward(np.ones((2, 4), dtype=np.float32))
    np.testing.assert_array_equal(layer.params["W"], same.params["W"])


def test_input_dim_and_input_shape():
    assert hg.layers.Dense(2, input_dim=7).declared_input_shape == (7,)
    assert hg.layers.Dense(2, input_shape=(7,)).declared_input_shape == (7,)
    with pytest.raises(ValueError, match="give either input_dim or input_shape, not both"):
        hg.layers.Dense(2, input_dim=7, input_shape=(7,))
    layer = hg.layers.Dense(2, input_dim=7, name="d7")
    with pytest.raises(ValueError, match=r"layer 'd7' declared input_shape \(7,\) but receives"):
        layer.build((6,))


def test_dense_refuses_images():
    layer = hg.layers.Dense(2, name="flat")
    with pytest.raises(ValueError, match="Dense layer 'flat' expects inputs of shape"):
        layer.build((1, 8, 8))


@pytest.mark.parametrize("units, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError)])
def test_units_must_be_a_positive_int(units, error):
    with pytest.raises(error, match="units must be a positive int"):
        hg.layers.Dense(units)


def test_set_weights_checks_shapes():
    layer = _layer(3, name="dd")
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"layer 'dd' weight 'W' must have shape \(4, 3\)"):
        layer.set_weights([np.zeros((3, 4)), np.zeros(3)])
    with pytest.raises(ValueError, match=r"layer 'dd' expects 2 weight arrays \(W, b\), got 1"):
        layer.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match="layer 'dd' weight 'b' contains NaN or inf"):
        layer.set_weights([np.zeros((4, 3)), np.array([0.0, np.nan, 0.0])])
    for a, b in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_get_config_round_trip():
    layer = hg.layers.Dense(
        6, "relu", use_bias=False, kernel_initializer="he_uniform", input_dim=3, name="cfg"
    )
    config = layer.get_config()
    assert config == {
        "name": "cfg",
        "trainable": True,
        "input_shape": [3],
        "units": 6,
        "activation": "relu",
        "use_bias": False,
        "kernel_initializer": "he_uniform",
        "bias_initializer": "zeros",
        "kernel_regularizer": None,
        "kernel_constraint": None,
    }
    clone = hg.layers.Dense.from_config({**config, "name": "cfg_clone"})
    assert clone.units == 6 and clone.activation.name == "relu" and not clone.use_bias
    act = hg.layers.Activation("elu", name="act_cfg")
    assert act.get_config() == {"name": "act_cfg", "trainable": True, "activation": "elu"}


def test_first_layer_skips_the_input_gradient():
    layer = _layer(3, "sigmoid")
    layer.need_input_grad = False
    layer.forward(np.ones((2, 4)), training=True)
    assert layer.backward(np.ones((2, 3))) is None
    assert layer.grads["W"].any()
