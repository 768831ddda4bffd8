"""Property-based tests (hypothesis): random architectures, shapes and data.

What the properties guarantee, for every generated case:

* gradients: random MLPs (1-4 Dense layers, widths 1-16, every activation, Dropout with a
  frozen mask, BatchNormalization, Activation layers) and small conv stacks (Conv2D
  valid/same, stride 1/2, max/average/global pooling, Flatten) under every loss that fits
  their output pass ``gradcheck.check_model`` in float64 with relative error < 1e-6 (or, for
  a gradient that vanishes, an absolute error at the rounding-noise floor: see
  ``check_gradients``); step and sign hidden layers give an analytic gradient of exactly 0
  upstream; a linear layer's bias right before batch norm gets a gradient of 0;
* ``predict`` does not depend on ``batch_size`` (to a few ulps: see that test);
* ``save`` / ``load_model`` round trips weights, predictions, config, optimizer state and
  history bit for bit, and training resumes exactly;
* the same seed gives bit-identical training; different seeds give different initial weights;
* layers: forward output shapes equal ``compute_output_shape`` and an independent formula;
  ``check_layer`` passes for Dense, Conv2D, BatchNormalization and pooling.

Each property draws a *description* of a case (plain tuples, printed by hypothesis when a
property fails) plus integer seeds for the numbers: hypothesis shrinks the architecture,
NumPy draws the arrays. Settings are derandomized (the same examples on every run) with no
example database, so CI is reproducible. Categorical choices that must all be exercised
(activation, layer kind, optimizer, model family) are pytest parameters rather than draws:
derandomized hypothesis favours the first elements of a ``sampled_from``.

Kinks. Central differences across a point where the function is not differentiable (ReLU at
0, hard sigmoid at +-1/2, a near-tie in a max-pooling window, ``|a - y|`` at 0 for mae) do
not approximate the one-sided derivative the backward pass uses, so such failures would not
be bugs. Every gradient property therefore runs the training-mode forward pass first (with
the same frozen dropout masks the check uses) and rejects the example with ``assume`` when a
pre-activation, a pooling gap or an mae residual lies within ``MARGIN = 1e-4`` of a kink. A
finite-difference step of ``eps = 1e-6`` moves those quantities by about ``1e-6 * |input|``,
far less than the margin, so no evaluation crosses a kink. Exact ties in a pooling window are
allowed: continuous values never tie exactly, so an exact tie comes from a flat region (ReLU
zeros, hard-sigmoid saturation), where every tied value has zero derivative and stays
exactly tied under the perturbation.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

import handgrad as hg
from handgrad import gradcheck as gc

L = hg.layers

# derandomize: examples come from a hash of the test, not the clock; database=None: nothing
# replayed from earlier runs either. deadline=None: example run times vary with the
# architecture drawn and with the machine, which says nothing about correctness.
PROPERTY = settings(deadline=None, derandomize=True, database=None, print_blob=False)
# max_examples per parametrized case, by the cost of one example (whole file: ~10 s). For a
# longer hunt, multiply them: HANDGRAD_PROPERTY_SCALE=20 pytest tests/test_properties.py
_SCALE = int(os.environ.get("HANDGRAD_PROPERTY_SCALE", "1"))
FEW, SOME, MANY = 10 * _SCALE, 20 * _SCALE, 30 * _SCALE

HIDDEN_ACTIVATIONS = (
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softmax",
    "hard_sigmoid",
)
ZERO_GRADIENT_ACTIVATIONS = ("step", "sign")
# Where each activation is not differentiable (elu is C1 at 0 but not C2: kept away too).
KINKS = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "elu": (0.0,),
    "hard_sigmoid": (-0.5, 0.5),
    "step": (0.0,),
    "sign": (0.0,),
}
REGRESSION_OUTPUTS = ("linear", "tanh", "sigmoid")
LOSSES = ("categorical_crossentropy", "binary_crossentropy", "mse", "mae", "quadratic")
MARGIN = 1e-4
EPS = 1e-6  # finite-difference step
GRADIENT_TOLERANCE = 1e-6  # on the relative error
NOISE_FLOOR = 1e-8  # on the absolute error of a vanishing gradient (see check_gradients)


def test_the_properties_cover_every_activation_and_loss():
    """A new activation or loss must be added to the properties below (this fails otherwise)."""
    covered = set(HIDDEN_ACTIVATIONS) | set(ZERO_GRADIENT_ACTIVATIONS)
    assert covered == set(hg.activations.names())
    assert set(LOSSES) == set(hg.losses.names())


# ----------------------------------------------------------------------------- cases
@dataclass(frozen=True)
class Case:
    """A model and its data, as plain values.

    ``layers`` entries: ``("dense", units, activation, use_bias)``, ``("activation", name)``,
    ``("dropout", rate)``, ``("batchnorm",)``, ``("conv", filters, kernel, stride, padding,
    activation, use_bias)``, ``("pool", "max"|"avg", size, strides, padding)``,
    ``("global_pool",)``, ``("flatten",)``. ``labels`` is ``"int"`` or ``"onehot"`` for
    categorical cross-entropy.
    """

    input_shape: tuple[int, ...]
    layers: tuple[tuple, ...]
    loss: str
    labels: str | None
    n: int


def _layer(entry: tuple, i: int) -> L.Layer:
    kind, *args = entry
    name = f"{kind}_{i}"
    if kind == "dense":
        units, act, use_bias = args
        return L.Dense(units, act, use_bias=use_bias, name=name)
    if kind == "activation":
        return L.Activation(args[0], name=name)
    if kind == "dropout":
        return L.Dropout(args[0], name=name)
    if kind == "batchnorm":
        return L.BatchNormalization(name=name)
    if kind == "conv":
        filters, kernel, stride, padding, act, use_bias = args
        return L.Conv2D(
            filters,
            kernel,
            strides=stride,
            padding=padding,
            activation=act,
            use_bias=use_bias,
            name=name,
        )
    if kind == "pool":
        kind_, size, strides, padding = args
        cls = L.MaxPooling2D if kind_ == "max" else L.AveragePooling2D
        return cls(size, strides=strides, padding=padding, name=name)
    if kind == "global_pool":
        return L.GlobalAveragePooling2D(name=name)
    assert kind == "flatten", kind
    return L.Flatten(name=name)


def build(case: Case, seed: int, dtype: str = "float64") -> hg.Sequential:
    model = hg.Sequential([_layer(e, i) for i, e in enumerate(case.layers)], seed=seed, dtype=dtype)
    model.build(case.input_shape)
    return model


def make_data(case: Case, seed: int, n: int | None = None):
    """Standard-normal features and targets that fit the loss and the output layer."""
    rng = np.random.default_rng(seed)
    n = case.n if n is None else n
    x = rng.standard_normal((n, *case.input_shape))
    units = case.layers[-1][1]
    if case.loss == "categorical_crossentropy":
        labels = rng.integers(0, units, n)
        return x, labels if case.labels == "int" else np.eye(units)[labels]
    if case.loss == "binary_crossentropy":
        return x, rng.uniform(size=(n, units))
    return x, rng.standard_normal((n, units))


@st.composite
def heads(draw):
    """The output layer and a loss that fits it (the case's last layer, loss and labels)."""
    loss = draw(st.sampled_from(LOSSES))
    if loss == "categorical_crossentropy":
        units = draw(st.integers(2, 5))
        return ("dense", units, "softmax", True), loss, draw(st.sampled_from(["int", "onehot"]))
    units = draw(st.integers(1, 4))
    if loss == "binary_crossentropy":
        return ("dense", units, "sigmoid", True), loss, None
    return ("dense", units, draw(st.sampled_from(REGRESSION_OUTPUTS)), True), loss, None


def _units(draw, activation: str) -> int:
    # Softmax over one unit always outputs 1 (Sequential refuses it).
    return draw(st.integers(2 if activation == "softmax" else 1, 16))


@st.composite
def dense_cases(draw, hidden=HIDDEN_ACTIVATIONS, max_hidden=3, first=None):
    """1-4 Dense layers (0-3 hidden), each hidden one optionally with Dropout or batch norm.

    ``"bn_activation"`` is the Dense -> BatchNormalization -> Activation ordering. ``first``
    fixes the activation of the first hidden layer (when there is one).
    """
    layers: list[tuple] = []
    for i in range(draw(st.integers(0, max_hidden))):
        act = first if first and i == 0 else draw(st.sampled_from(hidden))
        units = _units(draw, act)
        style = draw(st.sampled_from(["plain", "dropout", "batchnorm", "bn_activation"]))
        use_bias = draw(st.booleans())
        if style == "bn_activation":
            layers += [("dense", units, "linear", use_bias), ("batchnorm",), ("activation", act)]
            continue
        layers.append(("dense", units, act, use_bias))
        if style == "dropout":
            layers.append(("dropout", draw(st.sampled_from([0.1, 0.3, 0.5]))))
        elif style == "batchnorm":
            layers.append(("batchnorm",))
    head, loss, labels = draw(heads())
    return Case((draw(st.integers(1, 6)),), (*layers, head), loss, labels, draw(st.integers(2, 8)))


def out_size(size: int, kernel: int, stride: int, padding) -> int | None:
    """Output length of a window sweep (independent of the library), None when invalid."""
    if padding == "same":
        return -(-size // stride)
    pad = 0 if padding == "valid" else padding
    return None if size + 2 * pad < kernel else (size + 2 * pad - kernel) // stride + 1


@st.composite
def conv_cases(draw, first=None):
    """Conv2D, then optional pooling / batch norm / dropout / second Conv2D, then a head.

    Layers whose window would not fit the current image are skipped, so every case is valid.
    ``first`` fixes the activation of the first Conv2D.
    """
    c, h0, w0 = draw(st.integers(1, 2)), draw(st.integers(4, 8)), draw(st.integers(4, 8))

    def conv(act=None):
        act = act or draw(st.sampled_from(HIDDEN_ACTIVATIONS))
        filters = draw(st.integers(2 if act == "softmax" else 1, 3))
        return (
            "conv",
            filters,
            draw(st.integers(1, 3)),
            draw(st.sampled_from([1, 2])),
            draw(st.sampled_from(["valid", "same"])),
            act,
            draw(st.booleans()),
        )

    def fits(entry, h, w):
        if entry[0] == "conv":
            k, s, p = entry[2], entry[3], entry[4]
        elif entry[0] == "pool":
            k, s, p = entry[2], entry[3] or entry[2], entry[4]
        else:
            return h, w
        oh, ow = out_size(h, k, s, p), out_size(w, k, s, p)
        return (oh, ow) if oh and ow else None

    candidates = [conv(first)]
    if draw(st.booleans()):
        kind = draw(st.sampled_from(["max", "avg"]))
        strides = draw(st.sampled_from([None, 1]))
        candidates.append(("pool", kind, 2, strides, draw(st.sampled_from(["valid", "same"]))))
    extra = draw(st.sampled_from([None, "batchnorm", "dropout"]))
    if extra == "batchnorm":
        candidates.append(("batchnorm",))
    elif extra == "dropout":
        candidates.append(("dropout", 0.3))
    if draw(st.booleans()):
        candidates.append(conv())
    layers, h, w = [], h0, w0
    for entry in candidates:
        size = fits(entry, h, w)
        if size is not None:
            layers.append(entry)
            h, w = size
    layers.append(draw(st.sampled_from([("flatten",), ("global_pool",)])))
    head, loss, labels = draw(heads())
    return Case((c, h0, w0), (*layers, head), loss, labels, draw(st.integers(2, 3)))


# ------------------------------------------------------------------------- kinks
def _kink_distance(activation: str, z: np.ndarray) -> float:
    """Smallest distance from an entry of ``z`` to a kink of ``activation`` (inf if smooth)."""
    return min((float(np.abs(z - k).min()) for k in KINKS.get(activation, ())), default=np.inf)


def _pool_gap(layer: L.MaxPooling2D, x: np.ndarray) -> float:
    """Smallest positive gap between the largest and second-largest value of a window.

    Computed by brute force over every window (independent of the layer's own code).
    """
    g = layer.geometry
    if g.kernel == (1, 1):
        return np.inf
    pt, pb, pl, pr = g.padding
    padded = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)), constant_values=-np.inf)
    windows = sliding_window_view(padded, g.kernel, axis=(2, 3))
    windows = windows[:, :, :: g.strides[0], :: g.strides[1]][:, :, : g.out_height, : g.out_width]
    top2 = np.sort(windows.reshape(*windows.shape[:4], -1), axis=-1)[..., -2:]
    gaps = top2[..., 1] - top2[..., 0]  # the top value is always a real pixel: no inf - inf
    positive = gaps[gaps > 0]
    return float(positive.min()) if positive.size else np.inf


def _rng_states(model):
    return [layer.rng.bit_generator.state for layer in model.layers]


def _restore_rng_states(model, states) -> None:
    for layer, state in zip(model.layers, states, strict=True):
        layer.rng.bit_generator.state = state


def closest_kink(model: hg.Sequential, x: np.ndarray, y: np.ndarray) -> float:
    """Distance of the training-mode forward pass on ``(x, y)`` from its nearest kink.

    Walks the layers as the training loss does, with the dropout masks the gradient check
    will use (the layers' generator states are restored afterwards), and measures every
    pre-activation, every max-pooling gap and, for mae, every residual ``a - y``.
    """
    states = _rng_states(model)
    a = np.asarray(x, dtype=np.float64)
    gap = np.inf
    try:
        for layer in model.layers:
            act = getattr(layer, "activation", None)
            if act is not None and act.name in KINKS:
                gap = min(gap, _kink_distance(act.name, layer.forward_logits(a, True)))
            if isinstance(layer, L.MaxPooling2D):
                gap = min(gap, _pool_gap(layer, a))
            a = layer.forward(a, True)
    finally:
        _restore_rng_states(model, states)
    if model.loss.name == "mae":
        gap = min(gap, float(np.abs(a - y).min()))
    return gap


def compiled(case: Case, seed: int, dtype: str = "float64", optimizer=None) -> hg.Sequential:
    model = build(case, seed, dtype)
    model.compile(case.loss, optimizer or hg.optimizers.SGD(0.0))
    return model


def _numeric_gradient(model, x, y, param: np.ndarray, states) -> tuple[np.ndarray, float]:
    """Central differences of the training loss for every entry of ``param``, and the loss.

    Built on public API only: ``train_on_batch`` with ``SGD(0.0)`` returns the training-mode
    loss and leaves the weights unchanged. The layers' generators are set to ``states`` (those
    ``check_model`` used) before every call, so dropout draws the same masks, and left there.
    """

    def loss() -> float:
        _restore_rng_states(model, states)
        return model.train_on_batch(x, y)

    numeric = gc.numerical_gradient(loss, param, EPS)
    value = loss()
    _restore_rng_states(model, states)
    return numeric, value


def check_gradients(model, x, y, max_entries: int | None = None) -> dict[str, float]:
    """``gradcheck.check_model`` must report a relative error below 1e-6 for every parameter.

    The one exception is a gradient at the noise floor of central differences. A true
    gradient can be exactly 0 by symmetry (a bias or beta followed, through affine layers
    only, by batch norm, which subtracts any constant shift; mae residuals whose signs cancel
    over the batch), or tiny compared with the loss, and then the *relative* error compares
    two rounding noises. Central differences carry a rounding error of about
    ``u |L| / eps = 1e-16 |L| / 1e-6 = 1e-10 |L|`` per entry (a few times that, as the loss
    itself is rounded in several places), so for such a parameter all of its entries are
    recomputed and the *absolute* difference must be below ``NOISE_FLOOR * max(1, |L|) *
    sqrt(size)``: a wrong gradient of any consequence (1e-6 or more) still fails.
    """
    errors = gc.check_model(model, x, y, eps=EPS, max_entries=max_entries)
    assert errors, "no trainable parameter was checked"
    states = _rng_states(model)  # check_model leaves the generators as it used them
    analytic = {
        f"{layer.name}/{k}": g.copy() for layer in model.layers for k, g in layer.grads.items()
    }
    layers = {layer.name: layer for layer in model.layers}
    for key, error in errors.items():
        if error < GRADIENT_TOLERANCE:
            continue
        layer_name, param = key.split("/")
        numeric, loss = _numeric_gradient(model, x, y, layers[layer_name].params[param], states)
        difference = float(np.linalg.norm(analytic[key] - numeric))
        floor = NOISE_FLOOR * max(1.0, abs(loss)) * np.sqrt(numeric.size)
        assert difference < floor, (
            f"{key}: relative error {error:.3g}, absolute difference {difference:.3g} above "
            f"the noise floor {floor:.3g} (all relative errors: {errors})"
        )
    return errors


# -------------------------------------------------------------- gradient properties
# Parametrized by the (first) hidden activation; the rest of the case is drawn.
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@settings(PROPERTY, max_examples=MANY)
@given(data=st.data(), seed=st.integers(0, 2**16), data_seed=st.integers(0, 2**16))
def test_random_mlp_gradients_match_finite_differences(activation, data, seed, data_seed):
    case = data.draw(dense_cases(first=activation), label="case")
    model = compiled(case, seed)
    x, y = make_data(case, data_seed)
    assume(closest_kink(model, x, y) > MARGIN)  # see the module docstring
    check_gradients(model, x, y)
    # A linear layer's bias right before batch norm is cancelled by the batch mean: its
    # analytic gradient must vanish (up to rounding), not merely match noisy differences.
    for layer, after in zip(model.layers[:-1], model.layers[1:], strict=True):
        if isinstance(after, L.BatchNormalization) and "b" in layer.params:
            if layer.activation.name == "linear":
                assert np.abs(layer.grads["b"]).max() < 1e-12, layer.grads["b"]


@pytest.mark.parametrize("zero", ZERO_GRADIENT_ACTIVATIONS)
@settings(PROPERTY, max_examples=SOME)
@given(
    case=dense_cases(max_hidden=2),
    units=st.integers(1, 8),
    seed=st.integers(0, 2**16),
    data_seed=st.integers(0, 2**16),
)
def test_step_and_sign_layers_stop_the_gradient_exactly(case, zero, units, seed, data_seed):
    """A step/sign hidden layer: every parameter at or before it gets a gradient of exactly 0.

    (Their derivative is 0 wherever it exists.) The finite differences agree (also exactly 0,
    as no pre-activation crosses the jump), and so do those of the layers after it. (Those
    may vanish too, e.g. when every sample gets the same step output and a balanced label,
    so no "downstream is nonzero" claim is made.)
    """
    # Insert the step/sign layer before a Dense layer (between two hidden blocks, or before
    # the output layer), near the middle of the stack.
    starts = [i for i, entry in enumerate(case.layers) if entry[0] == "dense"]
    at = starts[len(starts) // 2]
    layers = (*case.layers[:at], ("dense", units, zero, True), *case.layers[at:])
    case = Case(case.input_shape, layers, case.loss, case.labels, case.n)
    model = compiled(case, seed)
    x, y = make_data(case, data_seed)
    assume(closest_kink(model, x, y) > MARGIN)
    check_gradients(model, x, y)
    upstream = model.layers[: at + 1]
    for layer in upstream:
        for key, grad in layer.grads.items():
            assert not grad.any(), f"{layer.name}/{key} has a nonzero gradient"


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@settings(PROPERTY, max_examples=FEW)
@given(data=st.data(), seed=st.integers(0, 2**16), data_seed=st.integers(0, 2**16))
def test_random_conv_stack_gradients_match_finite_differences(activation, data, seed, data_seed):
    case = data.draw(conv_cases(first=activation), label="case")
    model = compiled(case, seed)
    x, y = make_data(case, data_seed)
    assume(closest_kink(model, x, y) > MARGIN)
    # At most 40 entries per parameter array (a random subset): the Flatten -> Dense head
    # can have hundreds of weights, and each entry costs two forward passes.
    check_gradients(model, x, y, max_entries=40)


# ------------------------------------------------------------- inference properties
def randomize_buffers(model: hg.Sequential, seed: int) -> None:
    """Give batch-norm running statistics non-trivial values (means ~0.5, variances 0.5-2)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if "moving_mean" in layer.buffers:
            size = layer.buffers["moving_mean"].size
            layer.buffers["moving_mean"][...] = 0.5 * rng.standard_normal(size)
            layer.buffers["moving_variance"][...] = rng.uniform(0.5, 2.0, size)


FAMILIES = {"dense": dense_cases(), "conv": conv_cases()}
DTYPES = ("float32", "float64")
seeds = st.integers(0, 2**16)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", FAMILIES)
@settings(PROPERTY, max_examples=SOME)
@given(
    data=st.data(),
    seed=seeds,
    n=st.integers(1, 12),
    batch_sizes=st.lists(st.integers(1, 14), min_size=1, max_size=4),
)
def test_predict_does_not_depend_on_the_batch_size(family, dtype, data, seed, n, batch_sizes):
    """``predict(x, batch_size=k)`` equals the one-batch prediction, for every ``k``.

    Equal to a few ulps, not bit for bit, even in float64: BLAS picks its kernels by the
    number of rows (a matrix-vector product for a single sample, other blockings and
    summation orders for other sizes), so ``x[:k] @ W`` and ``(x @ W)[:k]`` may differ in
    the last bits. Measured over 400 generated models x 5 batch sizes: 29% (float64) and
    12% (float32) of the predictions differ from the one-batch result, by at most 8.9e-16
    and 9.5e-7; the tolerances below are 230x (float64) and 23x (float32) above the worst
    case and still catch any real dependence (state leaking between batches, batch
    statistics used at inference, wrong slicing).
    """
    case = data.draw(FAMILIES[family], label="case")
    model = build(case, seed, dtype)
    randomize_buffers(model, seed)
    x, _ = make_data(case, seed + 1, n)
    whole = model.predict(x, batch_size=n)
    assert whole.shape == (n, *model.output_shape) and whole.dtype == np.dtype(dtype)
    rtol, atol = (1e-12, 1e-13) if dtype == "float64" else (1e-4, 1e-6)
    for k in batch_sizes:
        part = model.predict(x, batch_size=k)
        assert part.shape == whole.shape and part.dtype == whole.dtype
        np.testing.assert_allclose(part, whole, rtol=rtol, atol=atol, err_msg=f"batch_size={k}")


# ------------------------------------------------------ persistence and seed properties
OPTIMIZERS = (
    ("SGD", {"learning_rate": 0.05}),
    ("SGD", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True}),
    ("Momentum", {"learning_rate": 0.05, "beta": 0.9, "bias_correction": True}),
    ("RMSprop", {"learning_rate": 0.005}),
    ("Adam", {"learning_rate": 0.01}),
)


def make_optimizer(spec) -> hg.optimizers.Optimizer:
    name, kwargs = spec
    return getattr(hg.optimizers, name)(**kwargs)


def trained(case, optimizer, dtype, seed, x, y, batch_size):
    metrics = ["accuracy"] if case.loss == "categorical_crossentropy" else []
    model = build(case, seed, dtype)
    model.compile(case.loss, make_optimizer(optimizer), metrics)
    model.fit(x, y, epochs=2, batch_size=batch_size, verbose=0)
    return model


def fit_batch_size(n: int, batch_size: int | None) -> int | None:
    # Batch norm on vectors cannot train on a last batch of one sample (fit refuses it).
    return None if batch_size is None or n % batch_size == 1 else batch_size


def assert_same_arrays(a: list[np.ndarray], b: list[np.ndarray]) -> None:
    assert len(a) == len(b)
    for i, (u, v) in enumerate(zip(a, b, strict=True)):
        assert u.dtype == v.dtype and u.shape == v.shape, (i, u.dtype, v.dtype, u.shape, v.shape)
        assert u.tobytes() == v.tobytes(), f"array {i} differs (max |diff| {np.abs(u - v).max()})"


def assert_same_optimizer_state(a: hg.optimizers.Optimizer, b: hg.optimizers.Optimizer) -> None:
    assert type(a) is type(b) and a.get_config() == b.get_config()
    sa, sb = a.get_state(), b.get_state()
    assert {k: v for k, v in sa.items() if k != "slots"} == {
        k: v for k, v in sb.items() if k != "slots"
    }
    assert sorted(sa["slots"]) == sorted(sb["slots"])
    for key in sa["slots"]:
        assert_same_arrays(sa["slots"][key], sb["slots"][key])


training = {
    "data": st.data(),
    "dtype": st.sampled_from(DTYPES),
    "seed": seeds,
    "n": st.integers(4, 12),
    "batch_size": st.sampled_from([None, 2, 3, 5]),
}
OPTIMIZER_IDS = ["sgd", "nesterov", "momentum", "rmsprop", "adam"]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=OPTIMIZER_IDS)
@settings(PROPERTY, max_examples=FEW)
@given(**training)
def test_save_and_load_round_trip_bit_for_bit(optimizer, family, data, dtype, seed, n, batch_size):
    """Weights, predictions, config, compile settings, optimizer state and history survive
    ``save`` / ``load_model`` exactly, and one more epoch of training is identical on both."""
    case = data.draw(FAMILIES[family], label="case")
    x, y = make_data(case, seed + 1, n)
    batch_size = fit_batch_size(n, batch_size)
    model = trained(case, optimizer, dtype, seed, x, y, batch_size)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.hgz")
        model.save(path)
        loaded = hg.load_model(path)
    assert loaded.get_config() == model.get_config()
    assert loaded.dtype == model.dtype and loaded.seed == model.seed
    assert_same_arrays(loaded.get_weights(), model.get_weights())
    assert_same_arrays([loaded.predict(x)], [model.predict(x)])
    assert loaded.loss.name == model.loss.name
    assert list(loaded.metric_fns) == list(model.metric_fns)
    assert_same_optimizer_state(loaded.optimizer, model.optimizer)
    assert model.optimizer.iterations == 2 * -(-n // (batch_size or n))
    assert loaded.history.history == model.history.history
    assert loaded.history.epoch == model.history.epoch
    # Resuming: shuffling, dropout masks and optimizer moments continue where they stopped.
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
    assert_same_arrays(loaded.get_weights(), model.get_weights())
    assert loaded.history.history == model.history.history
    assert_same_optimizer_state(loaded.optimizer, model.optimizer)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=OPTIMIZER_IDS)
@settings(PROPERTY, max_examples=FEW)
@given(**training)
def test_the_same_seed_trains_bit_for_bit_identically(
    optimizer, family, data, dtype, seed, n, batch_size
):
    """Two fits of the same model, data and seed (shuffling, dropout) agree in every bit."""
    case = data.draw(FAMILIES[family], label="case")
    x, y = make_data(case, seed + 1, n)
    batch_size = fit_batch_size(n, batch_size)
    a = trained(case, optimizer, dtype, seed, x, y, batch_size)
    b = trained(case, optimizer, dtype, seed, x, y, batch_size)
    assert_same_arrays(a.get_weights(), b.get_weights())
    assert a.history.history == b.history.history
    assert all(np.isfinite(v).all() for v in a.history.history.values())
    assert_same_optimizer_state(a.optimizer, b.optimizer)
    assert_same_arrays([a.predict(x)], [b.predict(x)])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", FAMILIES)
@settings(PROPERTY, max_examples=SOME)
@given(data=st.data(), seed=seeds, other=seeds)
def test_different_seeds_give_different_initial_weights(family, dtype, data, seed, other):
    assume(seed != other)
    case = data.draw(FAMILIES[family], label="case")
    a, b = build(case, seed, dtype), build(case, other, dtype)
    assert a.get_config()["layers"] == b.get_config()["layers"]
    kernels = [
        (la.name, la.params["W"], lb.params["W"])
        for la, lb in zip(a.layers, b.layers, strict=True)
        if "W" in la.params
    ]
    assert kernels
    for name, wa, wb in kernels:
        assert not np.array_equal(wa, wb), f"{name}: same kernel for seeds {seed} and {other}"
    # ... while the same seed gives the same initial weights.
    assert_same_arrays(build(case, seed, dtype).get_weights(), a.get_weights())


# ------------------------------------------------------------------ layer properties
paddings = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2))
pairs = st.tuples(st.integers(1, 4), st.integers(1, 4))


@pytest.mark.parametrize("kind", ["conv", "max", "avg"])
@settings(PROPERTY, max_examples=MANY)
@given(
    image=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 9), st.integers(1, 9)),
    kernel=pairs,
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=paddings,
    filters=st.integers(1, 4),
    training=st.booleans(),
)
def test_window_layers_output_shapes(kind, image, kernel, strides, padding, filters, training):
    """Conv2D / pooling: forward shape == compute_output_shape == an independent formula.

    ``valid``: ``(H - k) // s + 1``; ``same``: ``ceil(H / s)``; an int ``p`` (Conv2D only):
    ``(H + 2p - k) // s + 1``. When the window does not fit, both raise the same ValueError.
    """
    n, c, h, w = image
    if kind == "conv":
        layer = L.Conv2D(filters, kernel, strides=strides, padding=padding)
        channels = filters
    else:
        padding = padding if isinstance(padding, str) else "valid"  # pooling: no int padding
        cls = L.MaxPooling2D if kind == "max" else L.AveragePooling2D
        layer, channels = cls(kernel, strides=strides, padding=padding), c
    x = np.random.default_rng(n * h * w).standard_normal((n, c, h, w))
    oh = out_size(h, kernel[0], strides[0], padding)
    ow = out_size(w, kernel[1], strides[1], padding)
    if oh is None or ow is None:
        with pytest.raises(ValueError, match="larger than the padded input"):
            layer.compute_output_shape((c, h, w))
        with pytest.raises(ValueError, match="larger than the padded input"):
            layer.forward(x, training)
        return
    expected = (channels, oh, ow)
    assert layer.compute_output_shape((c, h, w)) == expected
    y = layer.forward(x, training)
    assert y.shape == (n, *expected) and y.dtype == x.dtype
    assert layer.output_shape == expected
    assert layer.backward(np.ones_like(y)).shape == x.shape


@pytest.mark.parametrize(
    "kind", ["dense", "flatten", "global_pool", "batchnorm", "dropout", "activation"]
)
@settings(PROPERTY, max_examples=SOME)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    n=st.integers(2, 5),
    units=st.integers(1, 16),
    activation=st.sampled_from(HIDDEN_ACTIVATIONS + ZERO_GRADIENT_ACTIVATIONS),
)
def test_other_layers_output_shapes(kind, shape, n, units, activation):
    """Dense, Flatten, GlobalAveragePooling2D, BatchNormalization, Dropout, Activation:
    forward (training and inference) and backward shapes agree with compute_output_shape."""
    sample = tuple(shape)
    if kind == "dense":
        layer, expected = L.Dense(units, activation), (units,)
        if len(sample) != 1:
            with pytest.raises(ValueError, match="add a Flatten"):
                layer.compute_output_shape(sample)
            return
    elif kind == "flatten":
        layer, expected = L.Flatten(), (int(np.prod(sample)),)
    elif kind == "global_pool":
        sample = (*sample, 2, 3)[:3]
        layer, expected = L.GlobalAveragePooling2D(), (sample[0],)
    else:
        layer = {
            "batchnorm": lambda: L.BatchNormalization(),
            "dropout": lambda: L.Dropout(0.5, seed=0),
            "activation": lambda: L.Activation(activation),
        }[kind]()
        expected = sample
    assert tuple(layer.compute_output_shape(sample)) == expected
    x = np.random.default_rng(units).standard_normal((n, *sample))
    for training in (True, False):
        y = layer.forward(x, training)
        assert y.shape == (n, *expected) and y.dtype == x.dtype
        assert layer.backward(np.ones_like(y)).shape == x.shape
    assert layer.output_shape == expected


def input_rng(seed: int) -> np.random.Generator:
    """Generator for a layer test's inputs: the stream ``[seed, 1]``, never the one
    ``check_layer`` draws its output weights ``R`` from (``default_rng(0)``). (With the same
    stream, ``R`` is proportional to batch norm's ``x_hat`` and its gradient vanishes.)"""
    return np.random.default_rng([seed, 1])


def assert_layer_gradients(errors: dict[str, float]) -> None:
    worst = max(errors, key=errors.get)
    assert errors[worst] < GRADIENT_TOLERANCE, f"{worst}: relative error {errors[worst]:.3g}"


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@settings(PROPERTY, max_examples=FEW)
@given(
    n=st.integers(1, 6),
    fan_in=st.integers(1, 12),
    units=st.integers(2, 12),
    use_bias=st.booleans(),
    seed=seeds,
)
def test_dense_check_layer(activation, n, fan_in, units, use_bias, seed):
    layer = L.Dense(units, activation, use_bias=use_bias, seed=seed)
    x = input_rng(seed).standard_normal((n, fan_in))
    layer.build((fan_in,), dtype="float64")
    assume(_kink_distance(activation, layer.forward_logits(x)) > MARGIN)
    errors = gc.check_layer(layer, x)
    assert set(errors) == ({"x", "W", "b"} if use_bias else {"x", "W"})
    assert_layer_gradients(errors)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@settings(PROPERTY, max_examples=FEW)
@given(
    image=st.tuples(st.integers(1, 2), st.integers(1, 3), st.integers(3, 7), st.integers(3, 7)),
    filters=st.integers(1, 3),
    kernel=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 1)),
    use_bias=st.booleans(),
    seed=seeds,
)
def test_conv2d_check_layer(activation, image, filters, kernel, strides, padding, use_bias, seed):
    layer = L.Conv2D(
        filters,
        kernel,
        strides=strides,
        padding=padding,
        activation=activation,
        use_bias=use_bias,
        seed=seed,
    )
    x = input_rng(seed).standard_normal(image)
    layer.build(image[1:], dtype="float64")
    assume(_kink_distance(activation, layer.forward_logits(x)) > MARGIN)
    # A random subset of 30 entries per array (x and W can have a few hundred).
    assert_layer_gradients(gc.check_layer(layer, x, max_entries=30))


@settings(PROPERTY, max_examples=SOME)
@given(
    # At least 3 values per feature: with 2, x_hat = +-d / sqrt(d^2 + epsilon) is +-1 up to
    # ~epsilon / d^2 whatever x, a true gradient ~1e-5 that central differences cannot
    # resolve to 1e-6 relative (their rounding error, ~1e-10, is what is then measured).
    shape=st.one_of(
        st.tuples(st.integers(3, 6), st.integers(1, 8)),
        st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(3, 4)),
    ),
    training=st.booleans(),
    center=st.booleans(),
    scale=st.booleans(),
    seed=seeds,
)
def test_batch_normalization_check_layer(shape, training, center, scale, seed):
    """Training mode (batch statistics, their dependence on x included) and inference mode."""
    layer = L.BatchNormalization(center=center, scale=scale)
    rng = input_rng(seed)
    x = 2.0 * rng.standard_normal(shape) + 1.0
    layer.build(shape[1:], dtype="float64")
    if scale:
        layer.params["gamma"][...] = rng.uniform(0.5, 2.0, shape[1])
    if center:
        layer.params["beta"][...] = rng.standard_normal(shape[1])
    layer.buffers["moving_mean"][...] = rng.standard_normal(shape[1])
    layer.buffers["moving_variance"][...] = rng.uniform(0.5, 2.0, shape[1])
    errors = gc.check_layer(layer, x, training=training)
    assert set(errors) == {"x", *["gamma"] * scale, *["beta"] * center}
    assert_layer_gradients(errors)


@pytest.mark.parametrize("kind", ["max", "avg", "global"])
@settings(PROPERTY, max_examples=SOME)
@given(
    image=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(2, 7), st.integers(2, 7)),
    pool=pairs,
    strides=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    padding=st.sampled_from(["valid", "same"]),
    training=st.booleans(),
    seed=seeds,
)
def test_pooling_check_layer(kind, image, pool, strides, padding, training, seed):
    """Max pooling is checked on inputs whose values are all at least 0.01 apart, so no
    window holds a near-tie (a kink) that a perturbation of 1e-6 could cross."""
    n, c, h, w = image
    stride = strides or pool
    assume(out_size(h, pool[0], stride[0], padding) and out_size(w, pool[1], stride[1], padding))
    if kind == "global":
        layer = L.GlobalAveragePooling2D()
    else:
        cls = L.MaxPooling2D if kind == "max" else L.AveragePooling2D
        layer = cls(pool, strides=strides, padding=padding)
    rng = input_rng(seed)
    x = (rng.permutation(n * c * h * w).reshape(image) - n * c * h * w / 2) * 0.01
    assert_layer_gradients(gc.check_layer(layer, x, training=training))
