"""Initializers: shapes, dtypes, the spread each formula promises, defaults and seeding."""

import numpy as np
import pytest

import handgrad as hg
from handgrad import initializers as I

SHAPE = (200, 300)  # fan_in 200, fan_out 300: 60,000 draws, so sample stds are within ~1%
FAN_IN, FAN_OUT = SHAPE


def _draw(name, shape=SHAPE, seed=0, dtype=np.float64):
    return I.get(name)(shape, np.random.default_rng(seed), np.dtype(dtype))


def test_registry_holds_the_design_names():
    assert I.names() == sorted(
        [
            "zeros",
            "ones",
            "small_normal",
            "uniform_fan_in",
            "glorot_normal",
            "glorot_uniform",
            "he_normal",
            "he_uniform",
        ]
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", I.names())
def test_shape_and_dtype(name, dtype):
    w = _draw(name, (7, 5), dtype=dtype)
    assert w.shape == (7, 5)
    assert w.dtype == dtype


def test_constants():
    np.testing.assert_array_equal(_draw("zeros", (3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(_draw("ones", (4,)), np.ones(4))


@pytest.mark.parametrize(
    "name, std",
    [
        ("small_normal", 0.01),
        ("glorot_normal", np.sqrt(2 / (FAN_IN + FAN_OUT))),
        ("he_normal", np.sqrt(2 / FAN_IN)),
    ],
)
def test_normal_initializers_have_the_formula_std(name, std):
    w = _draw(name)
    assert w.std() == pytest.approx(std, rel=0.02)
    assert abs(w.mean()) < 0.02 * std
    # an untruncated Gaussian has samples beyond 3 std (about 160 of 60,000)
    assert np.abs(w).max() > 3.5 * std


@pytest.mark.parametrize(
    "name, limit",
    [
        ("uniform_fan_in", 1 / np.sqrt(FAN_IN)),
        ("glorot_uniform", np.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("he_uniform", np.sqrt(6 / FAN_IN)),
    ],
)
def test_uniform_initializers_have_the_formula_limit(name, limit):
    w = _draw(name)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.999 * limit
    assert w.min() < -0.999 * limit
    assert w.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)


def test_convolution_kernel_fans_count_the_kernel_area():
    # (filters, channels, kh, kw): fan_in = C*kh*kw, fan_out = filters*kh*kw
    assert I.compute_fans((16, 3, 5, 5)) == (75, 400)
    assert I.compute_fans((400, 25)) == (400, 25)
    w = _draw("he_normal", (64, 8, 5, 5))  # fan_in 200
    assert w.shape == (64, 8, 5, 5)
    assert w.std() == pytest.approx(np.sqrt(2 / 200), rel=0.02)
    w = _draw("glorot_uniform", (64, 8, 5, 5))  # fan_in 200, fan_out 1600
    assert np.abs(w).max() <= np.sqrt(6 / 1800)
    assert np.abs(w).max() > 0.999 * np.sqrt(6 / 1800)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu"])
def test_relu_family_defaults_to_he(activation):
    layer = hg.layers.Dense(300, activation=activation)
    assert layer.kernel_initializer == "he_normal"
    layer.build((400,), np.random.default_rng(0), "float64")
    assert layer.params["W"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    np.testing.assert_array_equal(layer.params["b"], np.zeros(300))


@pytest.mark.parametrize(
    "activation", [None, "linear", "sigmoid", "tanh", "softmax", "step", "sign", "hard_sigmoid"]
)
def test_other_activations_default_to_glorot(activation):
    layer = hg.layers.Dense(300, activation=activation)
    assert layer.kernel_initializer == "glorot_uniform"
    layer.build((400,), np.random.default_rng(0), "float64")
    limit = np.sqrt(6 / 700)
    assert limit * 0.999 < np.abs(layer.params["W"]).max() <= limit


def test_explicit_initializers_override_the_default():
    layer = hg.layers.Dense(
        50, "relu", kernel_initializer="small_normal", bias_initializer="ones", input_dim=400
    )
    layer.build((400,), np.random.default_rng(0), "float32")
    assert layer.params["W"].dtype == np.float32
    assert layer.params["W"].std() == pytest.approx(0.01, rel=0.03)
    np.testing.assert_array_equal(layer.params["b"], np.ones(50, dtype=np.float32))


@pytest.mark.parametrize("name", ["small_normal", "glorot_uniform", "he_normal"])
def test_seeded_draws_are_reproducible(name):
    np.testing.assert_array_equal(_draw(name, seed=5), _draw(name, seed=5))
    assert not np.array_equal(_draw(name, seed=5), _draw(name, seed=6))


def test_model_seed_drives_initialization():
    def weights(seed):
        model = hg.Sequential(
            [hg.layers.Dense(4, "relu", input_dim=3), hg.layers.Dense(2, "softmax")], seed=seed
        )
        return model.get_weights()

    assert all(np.array_equal(a, b) for a, b in zip(weights(7), weights(7), strict=True))
    assert not np.array_equal(weights(7)[0], weights(8)[0])


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(
        ValueError,
        match=r"unknown initializer 'xavier'; expected one of: glorot_normal, glorot_uniform, "
        r"he_normal, he_uniform, ones, small_normal, uniform_fan_in, zeros",
    ):
        I.get("xavier")
    with pytest.raises(ValueError, match="unknown initializer 'random'"):
        hg.layers.Dense(3, kernel_initializer="random")
    with pytest.raises(ValueError, match="unknown initializer 'one'"):
        hg.layers.Dense(3, bias_initializer="one")
    with pytest.raises(TypeError, match="initializer must be a string name, got float"):
        I.get(0.5)
