"""Pooling layers and Flatten: forward/backward against direct loops and finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.gradcheck import check_layer

L = hg.layers
TOL = 1e-6


# ----------------------------------------------------------------------------- references
def windows(h, w, pool, strides, padding):
    """Yield ((i, j), rows, cols) of every window, clipped to the real pixels."""
    (ph, pw), (sh, sw) = pool, strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        pt = max((oh - 1) * sh + ph - h, 0) // 2
        pl = max((ow - 1) * sw + pw - w, 0) // 2
    else:
        oh, ow = (h - ph) // sh + 1, (w - pw) // sw + 1
        pt = pl = 0
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - pt, j * sw - pl
            rows = range(max(r0, 0), min(r0 + ph, h))
            cols = range(max(c0, 0), min(c0 + pw, w))
            yield (i, j), rows, cols, (oh, ow)


def pool_loops(x, pool, strides, padding, kind):
    """Max or mean (over real pixels only) of every window, plus the backward routing."""
    n, c, h, w = x.shape
    cells = list(windows(h, w, pool, strides, padding))
    oh, ow = cells[0][3]
    y = np.zeros((n, c, oh, ow))
    for b in range(n):
        for ch in range(c):
            for (i, j), rows, cols, _ in cells:
                patch = x[b, ch][np.ix_(rows, cols)]
                y[b, ch, i, j] = patch.max() if kind == "max" else patch.mean()
    return y


def pool_backward_loops(x, dy, pool, strides, padding, kind):
    """max: each window's dy to its first maximal pixel in row-major order; mean: dy/count each."""
    n, c, h, w = x.shape
    dx = np.zeros_like(x)
    for b in range(n):
        for ch in range(c):
            for (i, j), rows, cols, _ in windows(h, w, pool, strides, padding):
                if kind == "max":
                    best = max((x[b, ch, r, q], -r, -q) for r in rows for q in cols)
                    dx[b, ch, -best[1], -best[2]] += dy[b, ch, i, j]
                else:
                    count = len(rows) * len(cols)
                    for r in rows:
                        for q in cols:
                            dx[b, ch, r, q] += dy[b, ch, i, j] / count
    return dx


CASES = [
    # (input shape, pool_size, strides, padding)
    ((2, 3, 6, 6), 2, None, "valid"),  # windows tile the image: the fast path
    ((2, 2, 7, 5), 2, None, "valid"),  # leftover row/column ignored
    ((2, 2, 7, 7), 3, 2, "valid"),  # overlapping windows
    ((2, 2, 5, 6), 2, 1, "valid"),
    ((2, 2, 7, 6), 3, 2, "same"),
    ((1, 3, 5, 5), 2, None, "same"),
    ((2, 1, 6, 9), (2, 3), (2, 3), "valid"),
    ((2, 2, 6, 5), (3, 2), (1, 2), "same"),
]
POOLS = {"max": L.MaxPooling2D, "mean": L.AveragePooling2D}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", ["max", "mean"])
def test_forward_and_backward_match_direct_loops(case, kind):
    shape, pool, strides, padding = case
    layer = POOLS[kind](pool, strides, padding)
    x = np.random.default_rng(0).standard_normal(shape)
    y = layer.forward(x, training=True)
    pool2 = layer.pool_size
    ref = pool_loops(x, pool2, layer.strides, padding, kind)
    assert y.shape == ref.shape == (shape[0], *layer.output_shape)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    dy = np.random.default_rng(1).standard_normal(y.shape)
    dx = layer.backward(dy)
    np.testing.assert_allclose(
        dx, pool_backward_loops(x, dy, pool2, layer.strides, padding, kind), atol=1e-12
    )


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", ["max", "mean"])
def test_gradients_match_finite_differences(case, kind):
    shape, pool, strides, padding = case
    layer = POOLS[kind](pool, strides, padding)
    x = np.random.default_rng(2).standard_normal(shape)
    assert check_layer(layer, x)["x"] < TOL


def test_max_pool_ties_route_the_gradient_to_the_first_element_row_major():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 1, 0] = 5.0  # a tie in the top-left window's bottom row
    layer = L.MaxPooling2D(2)
    layer.forward(x, training=True)
    dx = layer.backward(np.ones((1, 1, 2, 2)))
    expected = np.zeros((4, 4))
    expected[1, 0] = 1  # the tie: (1, 0) comes first in row-major order
    expected[0, 2] = expected[2, 0] = expected[2, 2] = 1  # all-zero windows: top-left
    np.testing.assert_array_equal(dx[0, 0], expected)
    assert dx.sum() == 4  # each window passes its gradient exactly once


def test_max_pool_backward_after_an_inference_forward():
    x = np.maximum(np.random.default_rng(5).standard_normal((2, 3, 6, 6)), 0)  # ties at 0
    dy = np.random.default_rng(6).standard_normal((2, 3, 3, 3))
    layer = L.MaxPooling2D(2)
    layer.forward(x, training=True)
    expected = layer.backward(dy)
    layer.forward(x, training=False)  # winners are not recorded in inference mode
    np.testing.assert_array_equal(layer.backward(dy), expected)
    np.testing.assert_allclose(expected, pool_backward_loops(x, dy, (2, 2), (2, 2), "valid", "max"))


def test_max_pool_same_padding_never_picks_the_padding():
    x = -np.ones((1, 1, 3, 3))  # all negative: a zero pad would win if it were zeros
    layer = L.MaxPooling2D(2, padding="same")
    y = layer.forward(x, training=True)
    np.testing.assert_array_equal(y, -np.ones((1, 1, 2, 2)))
    assert layer.backward(np.ones_like(y)).sum() == 4


def test_average_pool_same_padding_averages_real_pixels_only():
    x = np.ones((1, 1, 3, 3))
    y = L.AveragePooling2D(2, padding="same").forward(x)
    np.testing.assert_array_equal(y, np.ones((1, 1, 2, 2)))


def test_fast_path_equals_the_general_path_on_a_large_batch():
    rng = np.random.default_rng(3)
    x = np.maximum(rng.standard_normal((8, 4, 12, 12)), 0).astype(np.float32)  # many ties at 0
    fast = L.MaxPooling2D(2)  # tiles the image
    general = L.MaxPooling2D(2, strides=2, padding="same", name="general")
    general.build((4, 12, 12))
    general._tiles = False  # force the offset loop
    np.testing.assert_array_equal(fast.forward(x, True), general.forward(x, True))
    dy = rng.standard_normal((8, 4, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(fast.backward(dy), general.backward(dy))
    for cls in (L.AveragePooling2D,):
        a, b = cls(2), cls(2, name="avg_general")
        b.build((4, 12, 12))
        b._tiles = False
        np.testing.assert_allclose(a.forward(x), b.forward(x), rtol=1e-6)


def test_dtype_is_kept():
    x = np.random.default_rng(0).random((2, 3, 6, 6), dtype=np.float32)
    for layer in (
        L.MaxPooling2D(2),
        L.AveragePooling2D(3, 1, "same"),
        L.GlobalAveragePooling2D(),
        L.Flatten(),
    ):
        y = layer.forward(x, training=True)
        assert y.dtype == np.float32
        assert layer.backward(np.ones_like(y)).dtype == np.float32


def test_global_average_pooling():
    layer = L.GlobalAveragePooling2D()
    x = np.random.default_rng(4).standard_normal((3, 4, 5, 6))
    np.testing.assert_allclose(layer.forward(x), x.mean(axis=(2, 3)))
    assert layer.output_shape == (4,)
    dx = layer.backward(np.ones((3, 4)))
    np.testing.assert_allclose(dx, np.full(x.shape, 1 / 30))
    assert check_layer(layer, x)["x"] < TOL


def test_flatten_is_row_major_and_invertible():
    layer = L.Flatten()
    x = np.arange(2 * 3 * 2 * 2, dtype=np.float64).reshape(2, 3, 2, 2)
    y = layer.forward(x)
    assert y.shape == (2, 12) and layer.output_shape == (12,)
    np.testing.assert_array_equal(y[1], np.arange(12, 24))  # index c*H*W + h*W + w
    np.testing.assert_array_equal(layer.backward(y), x)
    assert check_layer(layer, x)["x"] < TOL


def test_pooling_network_summary_and_parameter_free_layers():
    model = hg.Sequential(
        [
            L.Conv2D(4, 3, padding="same", input_shape=(2, 9, 9)),
            L.MaxPooling2D(3, 2),
            L.AveragePooling2D(2, padding="same"),
            L.GlobalAveragePooling2D(),
            L.Dense(2),
        ],
        seed=0,
    )
    assert [layer.output_shape for layer in model.layers] == [
        (4, 9, 9),
        (4, 4, 4),
        (4, 2, 2),
        (4,),
        (2,),
    ]
    assert sum(layer.count_params() for layer in model.layers[1:4]) == 0
    assert "(None, 4, 4, 4)" in model.summary(print_fn=None)


def test_shape_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'mp' expects images .* \(10,\)"):
        hg.Sequential([L.Dense(10, input_dim=3), L.MaxPooling2D(name="mp")])
    with pytest.raises(
        ValueError,
        match=r"AveragePooling2D layer 'ap': pool kernel 3x3 is larger "
        r"than the padded input 2x2",
    ):
        L.AveragePooling2D(3, name="ap").build((1, 2, 2))
    with pytest.raises(ValueError, match="GlobalAveragePooling2D layer 'g' expects images"):
        L.GlobalAveragePooling2D(name="g").build((5,))
    layer = L.Flatten(name="fl")
    layer.build((2, 3))
    with pytest.raises(ValueError, match=r"Flatten layer 'fl' was built for samples of shape"):
        layer.forward(np.ones((1, 3, 2)))


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"pool_size": 0}, ValueError, "pool_size must be >= 1"),
        ({"pool_size": "2"}, TypeError, "pool_size must be an int or a pair"),
        ({"strides": (1, 0)}, ValueError, "strides must be >= 1"),
        ({"padding": "full"}, ValueError, "padding must be 'valid' or 'same'"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    for cls in (L.MaxPooling2D, L.AveragePooling2D):
        with pytest.raises(error, match=message):
            cls(**kwargs)


def test_config_round_trip():
    layer = L.MaxPooling2D((3, 2), strides=1, padding="same", name="p1")
    clone = L.MaxPooling2D.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert (clone.pool_size, clone.strides, clone.padding) == ((3, 2), (1, 1), "same")
