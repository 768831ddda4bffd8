"""Extreme but valid inputs still train, and no NumPy warning escapes (issue 8).

Every test here runs with Python warnings turned into errors *and* NumPy's overflow, divide and
invalid floating-point errors raised as ``FloatingPointError`` (the ``strict_numpy`` fixture), so
an overflow anywhere in a public call fails the test even where a library silences warnings
differently. Expected warnings (``DivergenceWarning``) are asserted with ``pytest.warns``.

Inputs: features of scale 1e6, constant features, batches (and datasets) of a single class, tiny
(1e-12) and huge learning rates, huge logits, a batch of one sample, labels given as float
integers or bools, in float32 and float64.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import handgrad as hg
from handgrad import activations, losses
from handgrad.data.preprocessing import MinMaxScaler, StandardScaler
from handgrad.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPooling2D
from handgrad.optimizers import SGD, Adam, Momentum, RMSprop

DTYPES = ["float32", "float64"]


@pytest.fixture(autouse=True)
def strict_numpy():
    """Warnings are errors and NumPy floating-point errors raise (underflow is harmless)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
            yield


def blobs(n: int = 120, k: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``k`` Gaussian blobs in 2-D (unit variance, centers 3 apart), labels ``0..k-1`` in turn."""
    centers = np.array([[-1.5, 0.0], [1.5, 0.0], [0.0, 2.6]])[:k]
    y = np.arange(n) % k
    return centers[y] + np.random.default_rng(seed).normal(size=(n, 2)), y


X2, Y2 = blobs()  # two classes
X3, Y3 = blobs(k=3)  # three classes


def mlp(activation="tanh", out=1, dtype="float32", optimizer=None, n_in=2, extra=()):
    head = Dense(out, "sigmoid" if out == 1 else "softmax")
    model = hg.Sequential([Dense(8, activation, input_dim=n_in), *extra, head], seed=0, dtype=dtype)
    loss = "binary_crossentropy" if out == 1 else "categorical_crossentropy"
    model.compile(loss, optimizer or Adam(0.05), metrics=["accuracy"])
    return model


def finite(model: hg.Sequential) -> bool:
    return all(np.isfinite(w).all() for w in model.get_weights())


# --------------------------------------------------------------------------- no warnings
def test_the_suite_turns_every_warning_into_an_error(pytestconfig):
    """pyproject.toml: ``filterwarnings = ["error"]`` and no exception to it.

    Add an exception only with a comment in pyproject.toml saying why, and list it here.
    """
    assert pytestconfig.inipath.name == "pyproject.toml"
    assert pytestconfig.getini("filterwarnings") == ["error"]


def test_an_overflow_outside_the_library_would_fail():
    """The fixture is live: a bare float32 overflow raises instead of warning."""
    with pytest.raises(FloatingPointError, match="overflow"):
        np.float32(3e38) * np.float32(10)


# ---------------------------------------------------------------------- unscaled inputs
@pytest.mark.parametrize("dtype", DTYPES)
def test_features_of_scale_1e6_train_and_the_report_flags_them(dtype):
    """tanh saturates but training stays finite and still separates the blobs."""
    model = mlp("tanh", dtype=dtype, optimizer=SGD(0.1))
    history = model.fit(X2 * 1e6, Y2, epochs=20, batch_size=16, verbose=0)
    assert history.stopped_reason is None and finite(model)
    assert history.history["accuracy"][-1] >= 0.85
    report = history.diagnose()
    assert "inputs_not_scaled" in report.codes
    finding = next(f for f in report if f.code == "inputs_not_scaled")
    assert "StandardScaler" in finding.message or "scale" in finding.message


@pytest.mark.parametrize("dtype", DTYPES)
def test_features_of_scale_1e6_with_relu_and_sgd_stop_cleanly(dtype):
    """ReLU passes the 1e6 scale on: SGD blows up and fit stops on the first non-finite loss.

    float32 overflows in the first epoch (the initial weights are kept); float64 lasts four
    epochs whose losses are finite but astronomical, and keeps the weights of the fourth.
    """
    model = mlp("relu", dtype=dtype, optimizer=SGD(0.1))
    before = model.get_weights()
    with pytest.warns(hg.DivergenceWarning, match="training diverged.*scale the inputs"):
        history = model.fit(X2 * 1e6, Y2, epochs=20, batch_size=16, verbose=0)
    assert history.stopped_reason == "diverged" and finite(model)
    codes = history.diagnose().codes
    assert "inputs_not_scaled" in codes and "loss_diverging" in codes
    if dtype == "float32":
        assert history.epoch == [] and all(map(np.array_equal, before, model.get_weights()))
        assert np.isfinite(model.predict(X2 * 1e6)).all()
    else:
        assert history.epoch == [0, 1, 2, 3] and history.history["loss"][-1] > 1e100


def test_scaling_the_same_features_fixes_it():
    x = StandardScaler().fit_transform(X2 * 1e6)
    model = mlp("relu", optimizer=SGD(0.1))
    history = model.fit(x, Y2, epochs=20, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] >= 0.9
    assert "inputs_not_scaled" not in history.diagnose().codes


# --------------------------------------------------------------------- constant features
def test_constant_features_train_like_the_informative_ones_alone():
    x = np.hstack([X2, np.full((len(X2), 1), 5.0), np.zeros((len(X2), 1))])
    model = mlp(n_in=4)
    history = model.fit(x, Y2, epochs=30, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] >= 0.9
    report = history.diagnose()
    assert "inputs_not_scaled" not in report.codes  # a constant column is not "unscaled"


@pytest.mark.parametrize("dtype", DTYPES)
def test_all_features_constant_learns_the_class_prior(dtype):
    y = (np.arange(40) % 4 == 0).astype(int)  # 25% positives
    model = hg.Sequential([Dense(1, "sigmoid", input_dim=3)], seed=0, dtype=dtype)
    model.compile("binary_crossentropy", Adam(0.1))
    model.fit(np.ones((40, 3)), y, epochs=100, batch_size=None, verbose=0)
    assert model.predict(np.ones((1, 3)))[0, 0] == pytest.approx(0.25, abs=0.01)


def test_scalers_on_constant_features_give_finite_zeros():
    x = np.hstack([X2, np.full((len(X2), 1), 7.0)])
    standard = StandardScaler().fit_transform(x)
    minmax = MinMaxScaler().fit_transform(x)
    assert np.array_equal(standard[:, 2], np.zeros(len(x)))
    assert np.array_equal(minmax[:, 2], np.zeros(len(x)))
    assert np.isfinite(standard).all() and np.isfinite(minmax).all()


def test_batch_norm_on_a_constant_feature_trains():
    """var = 0 in every batch: epsilon keeps x_hat = 0 finite and the gradients finite."""
    x = np.hstack([X2, np.full((len(X2), 1), 3.0)])
    model = hg.Sequential(
        [
            BatchNormalization(input_dim=3),
            Dense(8, "relu"),
            BatchNormalization(),
            Dense(1, "sigmoid"),
        ],
        seed=0,
    )
    model.compile("binary_crossentropy", Adam(0.05), metrics=["accuracy"])
    history = model.fit(x, Y2, epochs=20, batch_size=16, verbose=0)
    assert finite(model) and history.history["accuracy"][-1] >= 0.9


# ---------------------------------------------------------------------- a single class
def test_batches_of_a_single_class_still_train():
    """Sorted labels, no shuffling: every batch holds one class only."""
    order = np.argsort(Y3, kind="stable")
    model = mlp(out=3, optimizer=SGD(0.05))
    history = model.fit(X3[order], Y3[order], epochs=30, batch_size=8, shuffle=False, verbose=0)
    assert finite(model) and np.isfinite(history.history["loss"]).all()
    assert model.evaluate(X3, Y3)["accuracy"] >= 0.8


def test_batch_norm_with_single_class_batches():
    order = np.argsort(Y3, kind="stable")
    model = mlp(out=3, extra=[BatchNormalization()])
    model.fit(X3[order], Y3[order], epochs=10, batch_size=8, shuffle=False, verbose=0)
    assert finite(model) and np.isfinite(model.predict(X3)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_dataset_of_one_class_drives_the_loss_to_zero_without_log_zero(dtype):
    softmax = mlp(out=3, dtype=dtype, optimizer=SGD(5.0))
    history = softmax.fit(X3, np.zeros(len(X3), int), epochs=60, batch_size=None, verbose=0)
    assert history.history["loss"][-1] < 1e-3
    assert softmax.evaluate(X3, np.zeros(len(X3), int))["loss"] >= 0
    sigmoid = mlp(dtype=dtype, optimizer=SGD(5.0))
    history = sigmoid.fit(X2, np.ones(len(X2)), epochs=60, batch_size=None, verbose=0)
    assert 0 <= history.history["loss"][-1] < 1e-3
    assert (softmax.predict(X3).argmax(axis=1) == 0).all() and (sigmoid.predict(X2) > 0.5).all()


# ----------------------------------------------------------------------- learning rates
OPTIMIZERS = [SGD, Momentum, RMSprop, Adam]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=lambda o: o.__name__)
def test_a_learning_rate_of_1e_12_changes_nothing(optimizer, dtype):
    model = mlp(out=3, dtype=dtype, optimizer=optimizer(1e-12))
    before = model.get_weights()
    history = model.fit(X3, Y3, epochs=3, batch_size=16, verbose=0)
    change = max(
        float(np.abs(a - b).max()) for a, b in zip(before, model.get_weights(), strict=True)
    )
    assert change < 1e-9  # Adam and RMSprop normalize steps to about the rate itself
    loss = history.history["loss"]
    assert max(loss) - min(loss) < 1e-6 and history.stopped_reason is None


LARGE_RATES = [(SGD, 1e30), (Momentum, 1e30), (RMSprop, 1e200), (Adam, 1e200)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("optimizer", "rate"), LARGE_RATES, ids=[o.__name__ for o, _ in LARGE_RATES]
)
def test_a_huge_learning_rate_stops_cleanly(optimizer, rate, dtype):
    model = mlp("relu", out=3, dtype=dtype, optimizer=optimizer(rate))
    before = model.get_weights()
    with pytest.warns(hg.DivergenceWarning, match=r"Try a lower learning rate \(it was 1e\+"):
        history = model.fit(X3, Y3, epochs=5, batch_size=16, verbose=0)
    assert history.stopped_reason == "diverged" and history.epoch == []
    # Diverged in the first epoch: the initial weights are kept, not NaN.
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True))
    assert "loss_diverging" in history.diagnose().codes
    assert np.isfinite(model.predict(X3)).all()


# ---------------------------------------------------------------------------- huge logits
def _huge(dtype) -> list[float]:
    """Magnitudes up to about max**0.75: 1e28 in float32, 1e230 in float64."""
    return [1e4, 1e20, float(np.finfo(dtype).max) ** 0.75]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", activations.names())
def test_every_activation_on_huge_inputs(name, dtype):
    values = [v for m in _huge(dtype) for v in (m, -m)] + [0.0, 1.0, -1.0]
    z = np.array([values, values[::-1]], dtype=dtype)
    fn = activations.get(name)
    a = fn.forward(z.copy())
    assert a.dtype == np.dtype(dtype) and np.isfinite(a).all()
    dz = fn.backward(a, np.ones_like(a))
    assert np.isfinite(dz).all()
    if name == "softmax":
        assert np.allclose(a.sum(axis=1), 1.0)
    if name in ("sigmoid", "softmax", "hard_sigmoid", "step"):
        assert ((0 <= a) & (a <= 1)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_cross_entropies_on_huge_logits_are_exact(dtype):
    m = _huge(dtype)[-1]
    bce = losses.get("binary_crossentropy")
    z = np.array([[m], [-m], [1e4]], dtype=dtype)
    a, loss = bce.fused_forward(np.array([[0.0], [1.0], [1.0]], dtype=dtype), z)
    assert a.ravel().tolist() == [1.0, 0.0, 1.0]
    assert loss == pytest.approx((m + m + 0.0) / 3, rel=1e-6)  # log(1 + e^-1e4) is 0
    cce = losses.get("categorical_crossentropy")
    z = np.array([[m, 0.0, -m], [0.0, 1e4, 0.0]], dtype=dtype)
    a, loss = cce.fused_forward(np.array([1, 1]), z)
    assert np.isfinite(a).all() and loss == pytest.approx(m / 2, rel=1e-6)
    grad = cce.logits_gradient(np.array([1, 1]), a)
    assert np.isfinite(grad).all() and np.allclose(grad.sum(axis=1), 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_model_with_huge_logits_predicts_evaluates_and_trains(dtype):
    model = hg.Sequential([Dense(3, "softmax", input_dim=2)], seed=0, dtype=dtype)
    model.compile("categorical_crossentropy", SGD(0.1), metrics=["accuracy"])
    model.set_weights([np.array([[1e5, 0.0, -1e5], [0.0, 1e5, 0.0]]), np.zeros(3)])
    probs = model.predict(X3)
    assert np.isfinite(probs).all() and np.allclose(probs.sum(axis=1), 1.0)
    result = model.evaluate(X3, Y3)
    assert np.isfinite(result["loss"]) and result["loss"] > 1e3  # confidently wrong somewhere
    assert np.isfinite(model.train_on_batch(X3, Y3))
    history = model.fit(X3, Y3, epochs=3, batch_size=16, verbose=0)
    assert finite(model) and np.isfinite(history.history["loss"]).all()


def test_huge_outputs_with_mse_up_to_the_square_root_of_the_float_range():
    model = hg.Sequential([Dense(1, input_dim=2)], seed=0)
    model.compile("mse", SGD(0.0))
    model.set_weights([np.array([[1e15], [0.0]]), np.zeros(1)])
    assert np.isfinite(model.evaluate(X2, np.zeros(len(X2)))["loss"])


# ----------------------------------------------------------------- a batch of one sample
def test_stochastic_gradient_descent_with_batches_of_one():
    model = mlp(optimizer=SGD(0.05), extra=[Dropout(0.2)])
    history = model.fit(X2[:40], Y2[:40], epochs=5, batch_size=1, verbose=0)
    assert model.optimizer.iterations == 5 * 40
    assert np.isfinite(history.history["loss"]).all()
    assert model.evaluate(X2, Y2)["accuracy"] >= 0.85


def test_a_cnn_on_batches_of_one_image():
    rng = np.random.default_rng(1)
    y = np.arange(16) % 2
    x = rng.normal(size=(16, 1, 6, 6)) * 0.1
    x[y == 1, :, :3, :] += 1.0  # class 1: a bright top half
    model = hg.Sequential(
        [
            Conv2D(2, 3, activation="relu", input_shape=(1, 6, 6)),
            MaxPooling2D(2),
            Flatten(),
            Dense(1, "sigmoid"),
        ],
        seed=0,
    )
    model.compile("binary_crossentropy", SGD(0.1), metrics=["accuracy"])
    model.fit(x, y, epochs=10, batch_size=1, verbose=0)
    assert model.evaluate(x, y)["accuracy"] == 1.0


# ------------------------------------------------------------------ labels in other types
@pytest.mark.parametrize("dtype", DTYPES)
def test_float_integer_labels_and_bool_targets_train(dtype):
    softmax = mlp(out=3, dtype=dtype)
    softmax.fit(X3, Y3.astype(np.float64), epochs=30, batch_size=16, verbose=0)
    assert softmax.evaluate(X3, Y3.astype(np.float32))["accuracy"] >= 0.85
    sigmoid = mlp(dtype=dtype)
    sigmoid.fit(X2, Y2.astype(bool), epochs=30, batch_size=16, verbose=0)
    assert sigmoid.evaluate(X2, Y2.astype(bool))["accuracy"] >= 0.9
    assert sigmoid.predict(X2).dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_float64_inputs_to_a_float32_model_and_back(dtype):
    model = mlp(dtype=dtype)
    other = "float32" if dtype == "float64" else "float64"
    model.fit(X2.astype(other), Y2, epochs=2, batch_size=16, verbose=0)
    assert all(w.dtype == np.dtype(dtype) for w in model.get_weights())
    assert model.predict(X2.astype(other)).dtype == np.dtype(dtype)
