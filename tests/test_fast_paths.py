"""The performance paths give the same bits as the plain NumPy they replace (issue 7).

- ``_rowops.row_max`` / ``row_sum``: reductions over short rows done on the transposed array;
- optimizers updating large parameters a chunk at a time;
- the input check's proof of finiteness through per-sample BLAS sums.
"""

from __future__ import annotations

import numpy as np
import pytest

from handgrad import _rowops, activations, losses, optimizers, validation

SHAPES = [(1, 10), (63, 10), (64, 2), (64, 33), (1023, 16), (1024, 7), (1024, 8), (1024, 10)]
SHAPES += [(1024, 17), (3000, 10), (3000, 200), (2048, 1), (5, 3, 10)]


def _values(shape, dtype, seed=0):
    """Mixed signs and magnitudes spread over 8 decades, so that summation order shows."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) * 10.0 ** rng.uniform(-4, 4, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_row_reductions_are_numpys_bit_for_bit(shape, dtype):
    x = _values(shape, dtype)
    max_, sum_ = _rowops.row_max(x), _rowops.row_sum(x)
    assert max_.shape == sum_.shape == (*shape[:-1], 1)
    assert max_.dtype == sum_.dtype == dtype
    np.testing.assert_array_equal(max_, np.max(x, axis=-1, keepdims=True))
    np.testing.assert_array_equal(sum_, np.sum(x, axis=-1, keepdims=True))


def test_the_sum_replica_is_active_and_exact_beyond_128_columns():
    assert _rowops._check_sum_order(), "NumPy sums rows in another order: row_sum falls back"
    for k in (129, 300, 1000):
        x = _values((64, k), np.float32, seed=k)
        got = _rowops._pairwise_columns(np.ascontiguousarray(x.T))
        np.testing.assert_array_equal(got, x.sum(axis=1))
        # The order matters for these values: a left-to-right sum differs somewhere.
        assert not np.array_equal(got, np.cumsum(x, axis=1)[:, -1])


def test_row_sum_falls_back_when_numpy_sums_differently(monkeypatch):
    monkeypatch.setattr(_rowops, "_sum_matches_numpy", False)
    monkeypatch.setattr(
        _rowops, "_pairwise_columns", lambda xt: pytest.fail("the replica must not be used")
    )
    x = _values((4096, 10), np.float32)
    np.testing.assert_array_equal(_rowops.row_sum(x), x.sum(axis=1, keepdims=True))


def test_row_max_propagates_nan_and_inf():
    x = _values((256, 10), np.float32)
    x[3, 4], x[7, 0], x[9, 9] = np.nan, np.inf, -np.inf
    got = _rowops.row_max(x)[:, 0]
    assert np.isnan(got[3]) and got[7] == np.inf and np.isfinite(got[9])
    np.testing.assert_array_equal(got, x.max(axis=1))


@pytest.mark.parametrize("rows", [32, 5000])
def test_softmax_and_fused_cross_entropy_are_the_plain_formulas(rows):
    rng = np.random.default_rng(1)
    z = (rng.standard_normal((rows, 10)) * 5).astype(np.float32)
    y = rng.integers(0, 10, rows)
    e = np.exp(z - z.max(axis=1, keepdims=True))
    s = e.sum(axis=1, keepdims=True)
    expected = e / s
    np.testing.assert_array_equal(activations.softmax(z), expected)
    np.testing.assert_array_equal(activations.get("softmax").forward_inplace(z.copy()), expected)
    probabilities, loss = losses.CategoricalCrossentropy().fused_forward(y, z)
    np.testing.assert_array_equal(probabilities, expected)
    lse = (np.log(s) + z.max(axis=1, keepdims=True))[:, 0]
    assert loss == float((lse - z[np.arange(rows), y]).mean())


OPTIMIZERS = {
    "sgd": lambda: optimizers.SGD(0.1),
    "sgd-momentum": lambda: optimizers.SGD(0.05, momentum=0.9),
    "nesterov": lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
    "momentum-notes": lambda: optimizers.Momentum(0.1, beta=0.8, bias_correction=True),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "adam": lambda: optimizers.Adam(0.01),
}


def _trajectory(optimizer, dtype, steps=4, size=150_001, overwrite_grads=False):
    """Parameters after each of ``steps`` updates on f = sum a*w^2/2 (gradient a*w)."""
    rng = np.random.default_rng(5)
    w = rng.standard_normal((size // 7, 7)).astype(dtype)  # 2-D, one ragged final chunk
    curvature = rng.uniform(0.1, 3.0, w.shape).astype(dtype)
    bias = rng.standard_normal(3).astype(dtype)
    g, gb = np.zeros_like(w), np.zeros_like(bias)
    out = []
    for _ in range(steps):
        np.multiply(curvature, w, out=g)
        gb[...] = bias
        optimizer.step([(w, g), (bias, gb)], overwrite_grads)
        out.append((w.copy(), bias.copy()))
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_chunked_update_is_the_whole_array_update(name, dtype):
    chunked = OPTIMIZERS[name]()
    assert chunked.update_chunk < 150_001 // 2  # at least three chunks
    whole = OPTIMIZERS[name]()
    whole.update_chunk = 10**9
    for (w1, b1), (w2, b2) in zip(
        _trajectory(chunked, dtype), _trajectory(whole, dtype), strict=True
    ):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(w1, _trajectory(OPTIMIZERS[name](), dtype, steps=1)[0][0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_update_with_the_gradient_as_scratch_is_the_same_update(name, dtype):
    safe, fast = OPTIMIZERS[name](), OPTIMIZERS[name]()
    for (w1, b1), (w2, b2) in zip(
        _trajectory(safe, dtype), _trajectory(fast, dtype, overwrite_grads=True), strict=True
    ):
        np.testing.assert_array_equal(w1, w2)
        np.testing.assert_array_equal(b1, b2)
    for slot in safe.state:
        for a, b in zip(safe.state[slot], fast.state[slot], strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_only_overwrite_grads_lets_the_update_touch_them(name):
    for overwrite in (False, True):
        opt = OPTIMIZERS[name]()
        w = np.linspace(-1, 1, 100_000, dtype=np.float32)  # two chunks
        g = np.linspace(2, 3, 100_000, dtype=np.float32)
        opt.step([(w, g)], overwrite_grads=overwrite)
        untouched = np.array_equal(g, np.linspace(2, 3, 100_000, dtype=np.float32))
        # Nesterov's update writes its scratch before it reads g: it never borrows g.
        assert untouched == (not overwrite or name == "nesterov")


def test_new_arrays_get_a_new_update_plan():
    opt = optimizers.SGD(0.5)
    w1, w2 = np.ones(100_000, np.float32), np.ones(100_000, np.float32)
    g = np.ones(100_000, np.float32)
    opt.step([(w1, g)])
    opt.step([(w2, g)])  # another parameter array: it is the one updated
    np.testing.assert_array_equal(w1, 0.5)
    np.testing.assert_array_equal(w2, 0.5)


def test_chunked_adam_state_round_trips_mid_training():
    first = optimizers.Adam(0.01)
    ref = _trajectory(first, np.float32, steps=2)
    resumed = optimizers.Adam(0.01)
    resumed.set_state(first.get_state())
    w, b = (a.copy() for a in ref[-1])
    g, gb = np.full_like(w, 0.5), np.full_like(b, 0.5)
    continued = optimizers.Adam(0.01)
    continued.set_state(first.get_state())
    w2, b2 = w.copy(), b.copy()
    resumed.step([(w, g), (b, gb)])
    continued.update_chunk = 10**9
    continued.step([(w2, g), (b2, gb)])
    np.testing.assert_array_equal(w, w2)
    assert resumed.iterations == 3


@pytest.mark.parametrize("name", ["adam", "sgd-momentum", "momentum-notes", "rmsprop"])
def test_state_that_decays_to_subnormal_is_flushed_without_changing_weights(name):
    """Gradients that stop (dead units) let the state decay geometrically; x86 arithmetic on
    subnormal floats is 10-100x slower, so the optimizers flush it, and the weights stay the
    same bits as without flushing."""
    rng = np.random.default_rng(3)
    start = rng.standard_normal(2000).astype(np.float32)
    runs = []
    for flush_every in (16, 10**9):
        opt = OPTIMIZERS[name]()
        opt.flush_every = flush_every
        w, g = start.copy(), np.zeros_like(start)
        for step in range(1500):
            g[...] = 0.01 * (w - 1) if step < 5 else 0.0  # then all gradients stop
            g[:100] = 0.01  # except a few that keep the state normal
            opt.step([(w, g)])
        runs.append((w, [a[0] for a in opt.state.values()]))
    (w_flushed, state_flushed), (w_plain, state_plain) = runs
    np.testing.assert_array_equal(w_flushed, w_plain)
    tiny = np.finfo(np.float32).tiny
    for flushed, plain in zip(state_flushed, state_plain, strict=True):
        np.testing.assert_array_equal(flushed[:100], plain[:100])  # normal entries untouched
        assert not np.any((flushed != 0) & (np.abs(flushed) < tiny))
    if name != "rmsprop":  # its square average decays by 0.9 per step too, but from g^2
        assert np.any((state_plain[0] != 0) & (np.abs(state_plain[0]) < tiny)), "test too weak"


def test_zero_learning_rate_does_not_flush_the_state():
    opt = optimizers.SGD(0.0, momentum=0.9)
    w, g = np.ones(10, np.float32), np.full(10, 1e-30, np.float32)
    for _ in range(32):
        opt.step([(w, g)])
    assert np.all(opt.state["velocity"][0] > 0)


def test_row_reductions_and_label_picks_on_non_contiguous_arrays():
    x = _values((10, 3000), np.float32).T  # (3000, 10), Fortran-ordered
    assert not x.flags.c_contiguous
    np.testing.assert_array_equal(_rowops.row_max(x), x.max(axis=1, keepdims=True))
    np.testing.assert_array_equal(_rowops.row_sum(x), x.sum(axis=1, keepdims=True))
    y = np.random.default_rng(2).integers(0, 10, 3000).astype(np.uint8)  # not intp
    cce = losses.CategoricalCrossentropy()
    probabilities, loss = cce.fused_forward(y, x)
    _, loss_c = cce.fused_forward(y.astype(np.intp), np.ascontiguousarray(x))
    assert loss == loss_c
    gradient = cce.logits_gradient(y, probabilities)
    expected = probabilities.copy()
    expected[np.arange(3000), y] -= 1
    np.testing.assert_array_equal(gradient, expected * np.float32(1.0 / 3000))


@pytest.mark.parametrize("name", activations.names())
def test_backward_owned_overwrites_only_when_allowed(name):
    act = activations.get(name)
    rng = np.random.default_rng(4)
    a = act.forward(rng.standard_normal((6, 5)))
    da = rng.standard_normal((6, 5))
    expected = act.backward(a, da.copy())
    kept = da.copy()
    np.testing.assert_array_equal(act.backward_owned(a, da, overwrite=False), expected)
    np.testing.assert_array_equal(da, kept)  # not the layer's to overwrite
    got = act.backward_owned(a, da, overwrite=True)
    np.testing.assert_array_equal(got, expected)
    if act.backward_inplace is not None:
        assert got is da  # computed in place: no batch-sized allocation
    assert act.owned_backward_inplace(False) is None
    assert act.owned_backward_inplace(True) is act.backward_inplace


FINITE_SHAPES = [(300, 300), (100, 3, 20, 20), (70000, 1), (4, 5)]


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("shape", FINITE_SHAPES, ids=str)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_finite_check_finds_every_non_finite_value(shape, dtype, bad):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(dtype)
    where = tuple(int(rng.integers(n)) for n in shape)
    x[where] = bad
    kind = "NaN" if np.isnan(bad) else "inf"
    with pytest.raises(ValueError, match=rf"x contains {kind} \(first at index \({where[0]}, "):
        validation.check_finite(x, "x")
    with pytest.raises(ValueError, match=f"x contains {kind}"):  # not C-contiguous
        validation.check_finite(np.asfortranarray(x), "x")
    for corner in (0, -1):  # the first and the last element are read too
        y = rng.standard_normal(shape).astype(dtype)
        y.reshape(-1)[corner] = bad
        with pytest.raises(ValueError, match=f"x contains {kind}"):
            validation.check_finite(y, "x")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_finite_check_accepts_sums_that_overflow(dtype):
    """Huge finite values overflow the sums; the exact scan then clears them, silently."""
    x = np.full((300, 300), np.finfo(dtype).max / 4, dtype=dtype)
    x[::2] *= -1
    with np.errstate(all="raise"):
        validation.check_finite(x, "x")


def test_finite_check_sums_per_sample_only_where_blas_reads_the_data_in_place():
    x = np.ones((300, 300), np.float32)
    assert validation.arrays._row_sums(x).tolist() == [300.0] * 300  # one BLAS product
    assert validation.arrays._row_sums(x.reshape(300, 3, 10, 10)).shape == (300,)
    assert validation.arrays._row_sums(x[:, ::2]).shape == ()  # not contiguous: no copy made
    assert validation.arrays._row_sums(x[:10]).shape == ()  # small
    assert validation.arrays._row_sums((x / 2).astype(np.float16)).shape == ()  # no BLAS in float16
