"""Conv2D: forward/backward against direct loops and finite differences; shapes; errors."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.gradcheck import check_layer, check_model

L = hg.layers
TOL = 1e-6


# ----------------------------------------------------------------------------- references
def pad_input(x, padding, kernel, strides):
    """Zero-pad as the layer documents: 'same' puts the odd row/column at the bottom/right."""
    (kh, kw), (sh, sw) = kernel, strides
    h, w = x.shape[2:]
    if padding == "valid":
        pads = (0, 0, 0, 0)
    elif padding == "same":
        th = max((-(-h // sh) - 1) * sh + kh - h, 0)
        tw = max((-(-w // sw) - 1) * sw + kw - w, 0)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    else:
        p = (padding, padding) if isinstance(padding, int) else padding
        pads = (p[0], p[0], p[1], p[1])
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[1]), (pads[2], pads[3])))
    return xp, pads


def conv_loops(x, w, b, strides, padding):
    """y[n,f,i,j] = sum_{c,u,v} xpad[n,c,i*sh+u,j*sw+v] W[f,c,u,v] + b[f], by plain loops."""
    f_, c_, kh, kw = w.shape
    sh, sw = strides
    xp, _ = pad_input(x, padding, (kh, kw), strides)
    oh = (xp.shape[2] - kh) // sh + 1
    ow = (xp.shape[3] - kw) // sw + 1
    y = np.zeros((x.shape[0], f_, oh, ow))
    for n in range(x.shape[0]):
        for f in range(f_):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    y[n, f, i, j] = (patch * w[f]).sum() + (0 if b is None else b[f])
    return y


def conv_backward_loops(x, w, dy, strides, padding):
    """dx, dW, db of the loop convolution, by scattering every output's gradient."""
    f_, c_, kh, kw = w.shape
    sh, sw = strides
    xp, pads = pad_input(x, padding, (kh, kw), strides)
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    for n in range(x.shape[0]):
        for f in range(f_):
            for i in range(dy.shape[2]):
                for j in range(dy.shape[3]):
                    g = dy[n, f, i, j]
                    dxp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw] += g * w[f]
                    dw[f] += g * xp[n, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
    h, w_ = x.shape[2:]
    dx = dxp[:, :, pads[0] : pads[0] + h, pads[2] : pads[2] + w_]
    return dx, dw, dy.sum(axis=(0, 2, 3))


CASES = [
    # (input (N, C, H, W), filters, kernel, strides, padding)
    ((2, 1, 5, 5), 2, 3, 1, "valid"),
    ((2, 3, 7, 6), 4, 3, 1, "same"),
    ((2, 2, 7, 7), 3, 3, 2, "valid"),
    ((2, 2, 7, 6), 3, 3, 2, "same"),
    ((1, 3, 6, 9), 2, (2, 3), (1, 2), "same"),
    ((2, 2, 5, 6), 2, (3, 2), 1, 1),
    ((2, 2, 5, 4), 3, 2, (2, 1), (2, 0)),
    ((3, 2, 4, 4), 2, 4, 1, "valid"),
    ((2, 4, 6, 6), 5, 1, 1, "valid"),
]


def _layer_and_input(case, dtype="float64", use_bias=True, activation=None, seed=0):
    shape, filters, kernel, strides, padding = case
    layer = L.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding=padding,
        activation=activation,
        use_bias=use_bias,
        seed=seed,
    )
    layer.build(shape[1:], np.random.default_rng(seed), dtype)
    if use_bias:  # non-zero biases so that the bias path is exercised
        layer.params["b"][...] = np.random.default_rng(seed + 1).standard_normal(filters)
    x = np.random.default_rng(seed + 2).standard_normal(shape).astype(dtype)
    return layer, x


# ------------------------------------------------------------------------------- forward
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("use_bias", [True, False])
def test_forward_matches_direct_loops(case, use_bias):
    layer, x = _layer_and_input(case, use_bias=use_bias)
    w = layer.params["W"]
    b = layer.params.get("b")
    expected = conv_loops(x, w, b, layer.strides, layer.padding)
    out = layer.forward(x)
    assert out.shape == expected.shape == (x.shape[0], *layer.output_shape)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_backward_matches_direct_loops(case):
    layer, x = _layer_and_input(case)
    out = layer.forward(x, training=True)
    dy = np.random.default_rng(5).standard_normal(out.shape)
    dx = layer.backward(dy)
    dx_ref, dw_ref, db_ref = conv_backward_loops(
        x, layer.params["W"], dy, layer.strides, layer.padding
    )
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["W"], dw_ref, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer.grads["b"], db_ref, rtol=1e-10, atol=1e-12)


def test_same_padding_keeps_size_and_puts_extra_pixel_bottom_right():
    # 4x4 input, 2x2 kernel, stride 1: one padding row/column in total, on the bottom/right.
    layer = L.Conv2D(1, 2, padding="same", use_bias=False)
    layer.build((1, 4, 4), dtype="float64")
    layer.set_weights([np.ones((1, 1, 2, 2))])
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out = layer.forward(x)[0, 0]
    assert out.shape == (4, 4)
    assert out[0, 0] == 0 + 1 + 4 + 5
    assert out[3, 3] == 15  # bottom-right window sees 15 and three padding zeros
    # stride 2 on a 5x5 input: out = ceil(5 / 2) = 3
    assert L.Conv2D(1, 3, strides=2, padding="same").compute_output_shape((1, 5, 5)) == (1, 3, 3)


def test_cross_correlation_not_flipped():
    # The notes' y_t = sum_i w_i x_{t+i}: a kernel [1, 0, 0] picks x_t, not x_{t+2}.
    layer = L.Conv2D(1, (1, 3), use_bias=False)
    layer.build((1, 1, 5), dtype="float64")
    layer.set_weights([np.array([1.0, 0.0, 0.0]).reshape(1, 1, 1, 3)])
    x = np.arange(5.0).reshape(1, 1, 1, 5)
    np.testing.assert_array_equal(layer.forward(x)[0, 0, 0], [0.0, 1.0, 2.0])


# ------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_gradients_match_finite_differences(case, activation):
    layer, x = _layer_and_input(case, activation=activation)
    errors = check_layer(layer, x)
    assert set(errors) == {"x", "W", "b"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("activation", ["sigmoid", "softmax", "elu"])
def test_gradients_with_other_activations(activation):
    layer, x = _layer_and_input(((2, 2, 5, 5), 3, 3, 1, "same"), activation=activation)
    assert max(check_layer(layer, x).values()) < TOL


def test_softmax_normalizes_over_channels_and_fused_hooks_agree():
    layer, x = _layer_and_input(((2, 2, 5, 5), 4, 3, 1, "same"), activation="softmax")
    a = layer.forward(x, training=True)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert layer.fused_activation == "softmax"
    dy = np.random.default_rng(0).standard_normal(a.shape)
    dx = layer.backward(dy)
    dw = layer.grads["W"].copy()
    z = layer.forward_logits(x, training=True)
    np.testing.assert_allclose(hg.activations.softmax(np.moveaxis(z, 1, -1)), np.moveaxis(a, 1, -1))
    dz = np.moveaxis(
        hg.activations.get("softmax").backward(np.moveaxis(a, 1, -1), np.moveaxis(dy, 1, -1)), -1, 1
    )
    np.testing.assert_allclose(layer.backward_logits(dz), dx)
    np.testing.assert_allclose(layer.grads["W"], dw)


def test_conv_in_the_middle_of_a_network_gradcheck():
    model = hg.Sequential(
        [
            L.Conv2D(3, 3, padding="same", activation="tanh", input_shape=(2, 7, 6)),
            L.Conv2D(4, 3, strides=2, activation="relu"),  # its dx feeds the first conv
            L.MaxPooling2D(2, padding="same"),
            L.Flatten(),
            L.Dense(3, activation="softmax"),
        ],
        seed=3,
        dtype="float64",
    )
    model.compile("categorical_crossentropy", "sgd")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 2, 7, 6)), rng.integers(0, 3, 4)
    errors = check_model(model, x, y)
    assert len(errors) == 6
    assert max(errors.values()) < TOL, errors


def test_conv_relu_pool_flatten_dense_softmax_gradcheck_with_regularizer():
    model = hg.Sequential(
        [
            L.Conv2D(
                4,
                3,
                activation="relu",
                input_shape=(1, 9, 9),
                kernel_regularizer=hg.regularizers.L2(0.01),
            ),
            L.MaxPooling2D(2),
            L.Conv2D(3, 2, padding="same"),
            L.Activation("relu"),
            L.AveragePooling2D(2, strides=1),
            L.Flatten(),
            L.Dense(4, activation="softmax"),
        ],
        seed=1,
        dtype="float64",
    )
    model.compile("categorical_crossentropy", "sgd")
    rng = np.random.default_rng(2)
    x, y = rng.random((5, 1, 9, 9)), rng.integers(0, 4, 5)
    errors = check_model(model, x, y)
    assert max(errors.values()) < TOL, errors


# ------------------------------------------------------------- parameters, shapes, errors
def test_parameter_count_and_summary_for_a_conv_network():
    model = hg.Sequential(
        [
            L.Conv2D(16, 3, padding="same", activation="relu", input_shape=(1, 28, 28)),
            L.MaxPooling2D(2),
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
        seed=0,
    )
    assert model.layers[0].count_params() == 16 * (1 * 9 + 1)
    assert model.layers[2].count_params() == 32 * (16 * 9 + 1)
    assert model.count_params() == 160 + 4640 + 1152 * 10 + 10
    text = model.summary(print_fn=None)
    for shape in [
        "(None, 16, 28, 28)",
        "(None, 16, 14, 14)",
        "(None, 32, 12, 12)",
        "(None, 32, 6, 6)",
        "(None, 1152)",
        "(None, 10)",
    ]:
        assert shape in text
    assert "Total params: 16,330" in text
    assert model.layers[0].params["W"].shape == (16, 1, 3, 3)
    assert model.layers[0].params["W"].dtype == np.float32


def test_he_initialization_counts_the_kernel_area():
    layer = L.Conv2D(512, 5, activation="relu", seed=0)
    layer.build((8, 12, 12))
    fan_in = 8 * 5 * 5
    assert layer.kernel_initializer == "he_normal"
    assert layer.params["W"].std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.02)
    glorot = L.Conv2D(512, 5, seed=0)
    glorot.build((8, 12, 12))
    limit = np.sqrt(6 / (fan_in + 512 * 25))
    assert glorot.params["W"].max() <= limit and glorot.params["W"].max() > 0.95 * limit


def test_float32_stays_float32_and_float64_stays_float64():
    for dtype in ("float32", "float64"):
        layer, x = _layer_and_input(((2, 3, 6, 6), 4, 3, 2, "same"), dtype=dtype)
        out = layer.forward(x, training=True)
        assert out.dtype == dtype
        assert layer.backward(np.ones_like(out)).dtype == dtype
        assert layer.grads["W"].dtype == dtype


def test_max_norm_constraint_bounds_each_filter():
    layer = L.Conv2D(3, 3, kernel_constraint=hg.constraints.MaxNorm(0.5), seed=0)
    layer.build((2, 5, 5))
    layer.params["W"] *= 10
    layer.apply_constraints()
    norms = np.sqrt((layer.params["W"] ** 2).sum(axis=(1, 2, 3)))
    np.testing.assert_allclose(norms, 0.5, rtol=1e-5)


def test_config_round_trip_rebuilds_the_same_layer():
    layer = L.Conv2D(
        4,
        (3, 2),
        strides=(2, 1),
        padding=1,
        activation="relu",
        use_bias=False,
        kernel_regularizer=hg.regularizers.L2(0.1),
        name="c1",
    )
    clone = L.Conv2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.kernel_size, clone.strides, clone.padding) == ((3, 2), (2, 1), (1, 1))


def test_non_image_input_names_the_layer():
    with pytest.raises(ValueError, match=r"Conv2D layer 'conv_a' expects images .*\(784,\)"):
        L.Conv2D(4, 3, name="conv_a").build((784,))
    with pytest.raises(ValueError, match="Conv2D layer 'conv_b' expects images"):
        hg.Sequential([L.Dense(8, input_dim=4), L.Conv2D(2, 3, name="conv_b")])


def test_kernel_larger_than_padded_input_names_the_layer():
    with pytest.raises(
        ValueError,
        match=r"Conv2D layer 'big'.*kernel 5x5 is larger than the "
        r"padded input 4x4",
    ):
        hg.Sequential([L.Conv2D(2, 5, name="big", input_shape=(1, 4, 4))])
    # with padding it fits
    assert L.Conv2D(2, 5, padding=1).compute_output_shape((1, 4, 4)) == (2, 2, 2)


def test_batch_of_the_wrong_shape_names_the_layer():
    layer = L.Conv2D(2, 3, name="c_shape")
    layer.build((1, 6, 6))
    with pytest.raises(ValueError, match=r"'c_shape' was built for samples of shape \(1, 6, 6\)"):
        layer.forward(np.ones((2, 1, 7, 7)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"filters": 0, "kernel_size": 3}, ValueError, "filters must be a positive int"),
        ({"filters": 2.5, "kernel_size": 3}, TypeError, "filters must be a positive int"),
        ({"filters": 2, "kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
        (
            {"filters": 2, "kernel_size": (3, 3, 3)},
            TypeError,
            "kernel_size must be an int or a pair",
        ),
        ({"filters": 2, "kernel_size": 3, "strides": 0}, ValueError, "strides must be >= 1"),
        (
            {"filters": 2, "kernel_size": 3, "padding": "full"},
            ValueError,
            "padding must be 'valid'",
        ),
        ({"filters": 2, "kernel_size": 3, "padding": -1}, ValueError, "padding must be >= 0"),
        ({"filters": 2, "kernel_size": 3, "activation": "nope"}, ValueError, "unknown activation"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        L.Conv2D(**kwargs)


def test_layer_works_alone_and_builds_from_the_first_batch():
    layer = L.Conv2D(2, 3, padding="same", seed=0)
    out = layer.forward(np.ones((3, 2, 5, 5), dtype=np.float32))
    assert layer.input_shape == (2, 5, 5) and out.shape == (3, 2, 5, 5)
    assert out.dtype == np.float32


def test_need_input_grad_false_skips_dx_but_fills_grads():
    layer, x = _layer_and_input(((2, 2, 5, 5), 3, 3, 1, "valid"))
    out = layer.forward(x, training=True)
    layer.need_input_grad = False
    assert layer.backward(np.ones_like(out)) is None
    np.testing.assert_allclose(layer.grads["b"], np.full(3, out[0, 0].size * 2))


def test_batch_sizes_can_change_between_calls():
    # training reuses work buffers per batch size; results must not leak between sizes
    layer, x = _layer_and_input(((5, 2, 6, 6), 3, 3, 1, "same"))
    full = layer.forward(x)
    dx_full = layer.backward(np.ones_like(full))
    for n in (2, 5, 1, 3, 5):
        for training in (True, False):
            np.testing.assert_allclose(layer.forward(x[:n], training), full[:n])
            np.testing.assert_allclose(layer.backward(np.ones_like(full[:n])), dx_full[:n])


# -------------------------------------------------------------------- a real small CNN
def test_small_cnn_on_sklearn_digits_reaches_98_percent():
    datasets = pytest.importorskip("sklearn.datasets")
    from sklearn.model_selection import train_test_split

    digits = datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # (1797, 1, 8, 8) in [0, 1]
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    model = hg.Sequential(
        [
            L.Conv2D(16, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            L.MaxPooling2D(2),
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(10, activation="softmax"),
        ],
        seed=0,
    )
    model.compile("categorical_crossentropy", hg.optimizers.Adam(0.005), metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=15, batch_size=32, verbose=0)  # ~1 s of CPU
    accuracy = model.evaluate(x_test, y_test)["accuracy"]
    assert accuracy >= 0.98, accuracy  # 0.9956 (448 of 450) with this seed


def test_conv_network_saves_and_loads(tmp_path):
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
            L.MaxPooling2D(2),
            L.Conv2D(3, 2, strides=2, padding=1, use_bias=False),
            L.AveragePooling2D(2, padding="same"),
            L.GlobalAveragePooling2D(),
            L.Dense(3, activation="softmax"),
        ],
        seed=0,
    )
    model.compile("categorical_crossentropy", "adam")
    x = np.random.default_rng(0).random((5, 1, 8, 8), dtype=np.float32)
    model.save(tmp_path / "cnn.hgz")
    loaded = hg.load_model(tmp_path / "cnn.hgz")
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
