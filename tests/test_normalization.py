"""BatchNormalization: forward values, running statistics, inference, the full backward pass
under finite differences (alone and mid-network, (N, d) and (N, C, H, W)), and training."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.gradcheck import check_layer, check_model
from handgrad.layers import Activation, BatchNormalization, Conv2D, Dense, Flatten


def _bn(features, **kwargs):
    layer = BatchNormalization(**kwargs)
    layer.build(features, dtype="float64")
    return layer


def test_training_forward_normalizes_each_unit():
    x = np.array([[1.0, 10.0, -4.0], [3.0, 30.0, -4.5], [8.0, 20.0, -3.0], [0.0, 0.0, -5.0]])
    layer = _bn((3,), epsilon=1e-3)
    layer.params["gamma"][:] = [2.0, 0.5, -1.0]
    layer.params["beta"][:] = [0.1, 0.2, 0.3]
    y = layer.forward(x, training=True)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + 1e-3)  # biased variance
    np.testing.assert_allclose(y, x_hat * [2.0, 0.5, -1.0] + [0.1, 0.2, 0.3], rtol=1e-14)
    np.testing.assert_allclose(((y - [0.1, 0.2, 0.3]) / [2.0, 0.5, -1.0]).mean(0), 0, atol=1e-15)


def test_running_statistics_after_known_batches():
    rng = np.random.default_rng(0)
    batches = [rng.normal(loc=3.0, scale=2.0, size=(8, 2)) for _ in range(3)]
    layer = _bn((2,), momentum=0.9)
    mean, var = np.zeros(2), np.ones(2)
    for batch in batches:
        layer.forward(batch, training=True)
        mean = 0.9 * mean + 0.1 * batch.mean(axis=0)
        var = 0.9 * var + 0.1 * batch.var(axis=0)  # biased, as Keras
    np.testing.assert_allclose(layer.buffers["moving_mean"], mean, rtol=1e-14)
    np.testing.assert_allclose(layer.buffers["moving_variance"], var, rtol=1e-14)
    # The first batch alone: 0.1 * mu (the notes' beta = 1 - momentum)
    first = _bn((2,), momentum=0.9)
    first.forward(batches[0], training=True)
    np.testing.assert_allclose(first.buffers["moving_mean"], 0.1 * batches[0].mean(0), rtol=1e-15)


def test_inference_uses_the_running_statistics_and_leaves_them():
    layer = _bn((2,), epsilon=0.01)
    layer.set_weights(
        [np.array([2.0, 3.0]), np.array([1.0, -1.0]), np.array([5.0, -2.0]), np.array([4.0, 0.25])]
    )
    x = np.array([[5.0, -2.0], [7.0, -1.0], [1.0, 0.0]])
    y = layer.forward(x, training=False)
    expected = [2.0, 3.0] * (x - [5.0, -2.0]) / np.sqrt(np.array([4.0, 0.25]) + 0.01) + [1, -1]
    np.testing.assert_allclose(y, expected, rtol=1e-14)
    np.testing.assert_array_equal(layer.buffers["moving_mean"], [5.0, -2.0])
    np.testing.assert_array_equal(layer.buffers["moving_variance"], [4.0, 0.25])
    assert layer.forward(x[:1], training=False).shape == (1, 2)  # one sample is fine here


def test_images_are_normalized_per_channel():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 3, 5, 6)) * [[[2.0]], [[0.5]], [[7.0]]] + [[[1.0]], [[-2.0]], [[3.0]]]
    layer = _bn((3, 5, 6), momentum=0.5)
    assert layer.params["gamma"].shape == (3,)
    y = layer.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-14)
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y.var(axis=(0, 2, 3)), var / (var + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(layer.buffers["moving_mean"], 0.5 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(layer.buffers["moving_variance"], 0.5 + 0.5 * var)


def test_a_training_batch_of_one_raises():
    layer = _bn((3,))
    with pytest.raises(
        ValueError,
        match=r"needs more than one value per feature in training, "
        r"got an input of shape \(1, 3\)",
    ):
        layer.forward(np.ones((1, 3)), training=True)
    images = _bn((2, 1, 1))
    with pytest.raises(ValueError, match="Use a batch size of at least 2"):
        images.forward(np.ones((1, 2, 1, 1)), training=True)
    # One image with several pixels has statistics over (H, W).
    assert _bn((2, 2, 2)).forward(np.arange(8.0).reshape(1, 2, 2, 2), training=True).shape == (
        1,
        2,
        2,
        2,
    )


def _random_bn(features, **kwargs):
    rng = np.random.default_rng(3)
    layer = _bn(features, **kwargs)
    channels = features[0]
    for key in layer.params:
        layer.params[key][:] = rng.normal(size=channels)
    layer.buffers["moving_mean"][:] = rng.normal(size=channels)
    layer.buffers["moving_variance"][:] = rng.uniform(0.5, 2.0, size=channels)
    return layer


@pytest.mark.parametrize("shape", [(7, 4), (3, 2, 4, 3)])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("flags", [{}, {"center": False}, {"scale": False}])
def test_check_layer(shape, training, flags):
    x = np.random.default_rng(9).normal(size=shape) * 2.5 + 1.0
    layer = _random_bn(shape[1:], **flags)
    errors = check_layer(layer, x, training=training, seed=4)
    assert set(errors) == {"x"} | set(layer.params)
    assert max(errors.values()) < 1e-6, errors


def test_backward_matches_the_papers_step_by_step_formulas():
    """The compact dx equals the chain rule through mu and var written out (Ioffe & Szegedy)."""
    x = np.random.default_rng(2).normal(size=(6, 3)) * 2 + 1
    dy = np.random.default_rng(3).normal(size=(6, 3))
    layer = _random_bn((3,))
    gamma, eps, m = layer.params["gamma"].copy(), layer.epsilon, len(x)
    layer.forward(x, training=True)
    dx = layer.backward(dy)
    mu, var = x.mean(0), x.var(0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    dx_hat = dy * gamma
    dvar = (dx_hat * (x - mu)).sum(0) * -0.5 * (var + eps) ** -1.5
    dmu = (-dx_hat / np.sqrt(var + eps)).sum(0) + dvar * (-2 * (x - mu)).mean(0)
    expected = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    np.testing.assert_allclose(dx, expected, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dx.sum(axis=0), 0, atol=1e-13)  # the mean's dependence on x
    np.testing.assert_allclose(layer.grads["beta"], dy.sum(0), rtol=1e-14)
    np.testing.assert_allclose(layer.grads["gamma"], (dy * x_hat).sum(0), rtol=1e-13)


def test_mid_network_finite_differences_2d():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 4)) * 3
    y = rng.integers(0, 3, size=12)
    model = hg.Sequential(
        [
            Dense(6, input_dim=4, use_bias=False),  # a bias before BN would cancel out
            BatchNormalization(momentum=0.8),
            Activation("tanh"),
            Dense(3, "softmax"),
        ],
        seed=1,
        dtype="float64",
    )
    model.compile("categorical_crossentropy", "sgd")
    errors = check_model(model, X, y)
    assert len(errors) == 5 and max(errors.values()) < 1e-6, errors


def test_a_bias_before_batch_norm_gets_no_gradient():
    X = np.random.default_rng(0).normal(size=(8, 4))
    model = hg.Sequential(
        [Dense(3, input_dim=4), BatchNormalization(), Dense(1)], seed=0, dtype="float64"
    )
    model.compile("mse", hg.optimizers.SGD(0.0))
    model.train_on_batch(X, X[:, 0])
    np.testing.assert_allclose(model.layers[0].grads["b"], 0, atol=1e-14)
    assert np.abs(model.layers[0].grads["W"]).max() > 1e-3


def test_mid_network_finite_differences_4d():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3, 2, 5, 5))
    y = rng.integers(0, 3, size=3)
    model = hg.Sequential(
        [
            Conv2D(3, 3, use_bias=False, input_shape=(2, 5, 5)),
            BatchNormalization(),
            Activation("tanh"),
            BatchNormalization(momentum=0.5),
            Flatten(),
            Dense(3, "softmax"),
        ],
        seed=2,
        dtype="float64",
    )
    model.layers[1].params["gamma"][:] = [1.3, -0.6, 0.8]
    model.layers[1].params["beta"][:] = [0.2, 0.5, -0.1]
    model.compile("categorical_crossentropy", "sgd")
    errors = check_model(model, X, y)
    assert len(errors) == 7 and max(errors.values()) < 1e-6, errors


def _spirals(n_per_class=100, seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for k in range(3):
        t = np.linspace(0.05, 1, n_per_class)
        angle = 4 * t + 2 * np.pi * k / 3 + rng.normal(scale=0.15, size=n_per_class)
        X.append(np.c_[t * np.sin(angle), t * np.cos(angle)])
        y.append(np.full(n_per_class, k))
    return np.vstack(X), np.concatenate(y)


def _spiral_model(batch_norm, seed=0):
    def bn(**kwargs):
        # Few updates (600): a lower momentum lets the running statistics forget their
        # initial values (moving_variance = 1 decays as momentum**steps).
        return [BatchNormalization(momentum=0.9, **kwargs)] if batch_norm else []

    first = {"input_dim": 2}
    return hg.Sequential(
        [
            *bn(**first),
            Dense(32, use_bias=not batch_norm, **({} if batch_norm else first)),
            *bn(),
            Activation("relu"),
            Dense(32, use_bias=not batch_norm),
            *bn(),
            Activation("relu"),
            Dense(3, "softmax"),
        ],
        seed=seed,
    )


def test_a_network_with_batch_norm_learns_badly_scaled_spirals():
    X, y = _spirals()
    X = X * [1000.0, 0.01] + [5000.0, -3.0]  # features on wildly different scales
    accuracies = []
    for batch_norm in (True, False):
        model = _spiral_model(batch_norm)
        model.compile("categorical_crossentropy", hg.optimizers.Adam(0.01), ["accuracy"])
        model.fit(X, y, epochs=60, batch_size=30, verbose=0)
        # evaluate runs in inference mode, i.e. on the running statistics
        accuracies.append(model.evaluate(X, y)["accuracy"])
    assert accuracies[0] >= 0.97, accuracies
    assert accuracies[1] < 0.6, accuracies  # the same network without batch norm fails


def test_weights_summary_and_dtype():
    model = hg.Sequential([Dense(4, input_dim=3), BatchNormalization()], seed=0)
    bn = model.layers[1]
    assert list(bn.params) == ["gamma", "beta"]
    assert list(bn.buffers) == ["moving_mean", "moving_variance"]
    weights = bn.get_weights()
    np.testing.assert_array_equal(weights[0], np.ones(4))
    np.testing.assert_array_equal(weights[1], np.zeros(4))
    np.testing.assert_array_equal(weights[2], np.zeros(4))
    np.testing.assert_array_equal(weights[3], np.ones(4))
    assert all(w.dtype == np.float32 for w in weights)
    text = model.summary(print_fn=None)
    assert "Trainable params: 24" in text and "Non-trainable params: 8" in text
    out = bn.forward(np.ones((2, 4), dtype=np.float32), training=True)
    assert out.dtype == np.float32
    # Optimizers update gamma and beta only.
    assert [p.shape for p, _ in model.parameters()] == [(3, 4), (4,), (4,), (4,)]


def test_frozen_layer_uses_running_statistics():
    layer = _random_bn((2,), trainable=False)
    before = [w.copy() for w in layer.get_weights()]
    x = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(layer.forward(x, True), layer.forward(x, False))
    for a, b in zip(layer.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip():
    layer = BatchNormalization(momentum=0.9, epsilon=1e-5, center=False, name="bn")
    config = layer.get_config()
    assert config == {
        "name": "bn",
        "trainable": True,
        "momentum": 0.9,
        "epsilon": 1e-5,
        "center": False,
        "scale": True,
    }
    rebuilt = BatchNormalization.from_config(config)
    rebuilt.build((3,))
    assert list(rebuilt.params) == ["gamma"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"momentum": 1.0},
            ValueError,
            r"BatchNormalization momentum must be in \[0, 1\), got 1.0",
        ),
        ({"momentum": -0.1}, ValueError, "momentum"),
        ({"momentum": "0.9"}, TypeError, "BatchNormalization momentum must be a number"),
        ({"epsilon": 0}, ValueError, r"epsilon must be in \(0, 1\), got 0"),
        ({"epsilon": float("nan")}, ValueError, "epsilon"),
        ({"epsilon": None}, TypeError, "epsilon must be a number"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    with pytest.raises(error, match=message):
        BatchNormalization(**kwargs)


def test_wrong_number_of_features_raises():
    layer = _bn((3,))
    with pytest.raises(
        ValueError,
        match=r"was built for 3 features on axis 1, got an input of "
        r"shape \(4, 5\)",
    ):
        layer.forward(np.ones((4, 5)), training=True)


def test_fit_refuses_a_last_batch_of_one_before_training():
    import handgrad as hg

    model = hg.Sequential(
        [hg.layers.Dense(3, input_dim=2), hg.layers.BatchNormalization(), hg.layers.Dense(1)],
        seed=0,
    )
    model.compile("mse", "sgd")
    before = model.get_weights()
    X = np.ones((9, 2), dtype="float32")
    with pytest.raises(ValueError, match="leave a batch of 1; choose another batch_size"):
        model.fit(X, np.zeros(9), batch_size=4, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.fit(X, np.zeros(9), batch_size=3, epochs=1, verbose=0)  # 3 batches of 3: fine
