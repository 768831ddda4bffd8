"""Optimizers against hand-computed updates, an independent scalar re-implementation, Keras'
formulas and (when installed) torch.optim, all in float64 to 1e-12."""

from __future__ import annotations

import math

import numpy as np
import pytest

import handgrad as hg
from handgrad import optimizers, schedules

# A small problem: f(W, b) = 1/2 sum a * (theta - c)^2 per parameter, so grad = a * (theta - c).
# Different curvatures per entry make adaptive methods (RMSprop, Adam) take different steps.
START = [np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]]), np.array([0.7, -0.3])]
CURVATURE = [np.array([[1.0, 0.5, 2.0], [3.0, 0.1, 1.5]]), np.array([0.8, 4.0])]
CENTER = [np.array([[0.0, 1.0, -1.0], [2.0, 0.0, 0.5]]), np.array([-1.0, 1.0])]
STEPS = 6


def _gradient(param, k):
    return CURVATURE[k] * (param - CENTER[k])


def run_handgrad(optimizer, steps=STEPS):
    """Trajectory (a list per step of [W, b]) of ``optimizer`` on the quadratic problem."""
    params = [p.copy() for p in START]
    grads = [np.zeros_like(p) for p in params]
    trajectory = []
    for _ in range(steps):
        for k, (p, g) in enumerate(zip(params, grads, strict=True)):
            g[...] = _gradient(p, k)
        optimizer.step(list(zip(params, grads, strict=True)))
        trajectory.append([p.copy() for p in params])
    return trajectory


# ----------------------------------------------------------- independent reference
def _scalar_reference(kind, lr, steps=STEPS, **h):
    """The same updates, one Python float at a time, written from the formulas."""
    out = [[np.empty_like(p) for p in START] for _ in range(steps)]
    for k, start in enumerate(START):
        for idx in np.ndindex(start.shape):
            w, a, c = float(start[idx]), float(CURVATURE[k][idx]), float(CENTER[k][idx])
            v = s = 0.0
            for t in range(1, steps + 1):
                g = a * (w - c)
                if kind == "sgd":
                    w = w - lr * g
                elif kind == "heavy_ball":  # PyTorch: v = mu v + g; w -= lr v
                    v = h["mu"] * v + g
                    w = w - lr * v
                elif kind == "nesterov":  # PyTorch: v = mu v + g; w -= lr (g + mu v)
                    v = h["mu"] * v + g
                    w = w - lr * (g + h["mu"] * v)
                elif kind == "keras_momentum":  # Keras: v = mu v - lr g; w += v
                    v = h["mu"] * v - lr * g
                    w = w + v
                elif kind == "keras_nesterov":  # Keras: v = mu v - lr g; w += mu v - lr g
                    v = h["mu"] * v - lr * g
                    w = w + h["mu"] * v - lr * g
                elif kind == "notes_momentum":
                    v = h["beta"] * v + (1 - h["beta"]) * g
                    corrected = v / (1 - h["beta"] ** t) if h["bias_correction"] else v
                    w = w - lr * corrected
                elif kind == "rmsprop":
                    s = h["rho"] * s + (1 - h["rho"]) * g * g
                    w = w - lr * g / (math.sqrt(s) + h["eps"])
                elif kind == "adam":
                    v = h["b1"] * v + (1 - h["b1"]) * g
                    s = h["b2"] * s + (1 - h["b2"]) * g * g
                    m_hat = v / (1 - h["b1"] ** t)
                    s_hat = s / (1 - h["b2"] ** t)
                    w = w - lr * m_hat / (math.sqrt(s_hat) + h["eps"])
                out[t - 1][k][idx] = w
    return out


def assert_trajectories_equal(actual, expected, tol=1e-12):
    assert len(actual) == len(expected)
    for t, (got, want) in enumerate(zip(actual, expected, strict=True), start=1):
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"step {t}")


CASES = [
    (lambda: optimizers.SGD(0.1), "sgd", 0.1, {}),
    (lambda: optimizers.SGD(0.05, momentum=0.9), "heavy_ball", 0.05, {"mu": 0.9}),
    (lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True), "nesterov", 0.05, {"mu": 0.8}),
    (lambda: optimizers.SGD(0.05, momentum=0.9), "keras_momentum", 0.05, {"mu": 0.9}),
    (
        lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
        "keras_nesterov",
        0.05,
        {"mu": 0.8},
    ),
    (
        lambda: optimizers.Momentum(0.2, beta=0.9),
        "notes_momentum",
        0.2,
        {"beta": 0.9, "bias_correction": False},
    ),
    (
        lambda: optimizers.Momentum(0.2, beta=0.8, bias_correction=True),
        "notes_momentum",
        0.2,
        {"beta": 0.8, "bias_correction": True},
    ),
    (
        lambda: optimizers.RMSprop(0.01, rho=0.9, epsilon=1e-8),
        "rmsprop",
        0.01,
        {"rho": 0.9, "eps": 1e-8},
    ),
    (
        lambda: optimizers.RMSprop(0.05, rho=0.5, epsilon=1e-3),
        "rmsprop",
        0.05,
        {"rho": 0.5, "eps": 1e-3},
    ),
    (
        lambda: optimizers.Adam(0.1),
        "adam",
        0.1,
        {"b1": 0.9, "b2": 0.999, "eps": 1e-8},
    ),
    (
        lambda: optimizers.Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
        "adam",
        0.02,
        {"b1": 0.5, "b2": 0.9, "eps": 1e-4},
    ),
]


@pytest.mark.parametrize(
    "make, kind, lr, hyper", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_matches_scalar_reference_for_several_steps(make, kind, lr, hyper):
    expected = _scalar_reference(kind, lr, **hyper)
    assert_trajectories_equal(run_handgrad(make()), expected)
    # The problem moves: the final point is far from the start (the test can fail).
    assert np.abs(expected[-1][0] - START[0]).max() > 0.05


# ------------------------------------------------------------ literal numbers
def _one_dim(optimizer, steps):
    """Iterates of ``optimizer`` on f(w) = w^2 / 2 (gradient w) from w = 1."""
    w, g = np.array([1.0]), np.zeros(1)
    out = []
    for _ in range(steps):
        g[...] = w
        optimizer.step([(w, g)])
        out.append(float(w[0]))
    return out


def test_sgd_literal_values():
    assert _one_dim(optimizers.SGD(0.1), 3) == pytest.approx([0.9, 0.81, 0.729], abs=1e-15)
    # v = 1, 1.8, 2.34 -> w = 0.9, 0.72, 0.486
    assert _one_dim(optimizers.SGD(0.1, momentum=0.9), 3) == pytest.approx(
        [0.9, 0.72, 0.486], abs=1e-15
    )
    # v = 1, 1.71, 2.1141 -> w = 1 - 0.19, 0.81 - 0.2349, 0.5751 - 0.247779
    assert _one_dim(optimizers.SGD(0.1, momentum=0.9, nesterov=True), 3) == pytest.approx(
        [0.81, 0.5751, 0.327321], abs=1e-15
    )


def test_notes_momentum_literal_values():
    # v = 0.1, 0.189, 0.26721 -> w = 0.99, 0.9711, 0.944379
    assert _one_dim(optimizers.Momentum(0.1, beta=0.9), 3) == pytest.approx(
        [0.99, 0.9711, 0.944379], abs=1e-15
    )
    # bias-corrected: v_hat = 0.1/0.1 = 1, then 0.18/0.19
    assert _one_dim(optimizers.Momentum(0.1, beta=0.9, bias_correction=True), 2) == pytest.approx(
        [0.9, 0.9 - 0.1 * 0.18 / 0.19], abs=1e-15
    )


def test_rmsprop_and_adam_first_steps():
    # RMSprop: S = 0.1 -> w = 1 - 0.1 / (sqrt(0.1) + 1e-8)
    assert _one_dim(optimizers.RMSprop(0.1), 1) == pytest.approx(
        [1 - 0.1 / (math.sqrt(0.1) + 1e-8)], abs=1e-15
    )
    # Adam's first step has m_hat = g and v_hat = g^2: a step of lr * g / (|g| + eps).
    assert _one_dim(optimizers.Adam(0.1), 1) == pytest.approx([1 - 0.1 / (1 + 1e-8)], abs=1e-15)


def test_momentum_is_sgd_momentum_with_scaled_rate():
    beta, lr = 0.9, 0.2
    assert_trajectories_equal(
        run_handgrad(optimizers.Momentum(lr, beta=beta)),
        run_handgrad(optimizers.SGD(lr * (1 - beta), momentum=beta)),
    )


# -------------------------------------------------------------- against PyTorch
def _torch_trajectory(torch, make, steps=STEPS):
    params = [torch.tensor(p.copy(), dtype=torch.float64, requires_grad=True) for p in START]
    optimizer = make(params)
    trajectory = []
    for _ in range(steps):
        for k, p in enumerate(params):
            p.grad = torch.from_numpy(_gradient(p.detach().numpy(), k))
        optimizer.step()
        trajectory.append([p.detach().numpy().copy() for p in params])
    return trajectory


TORCH_CASES = [
    (lambda: optimizers.SGD(0.1), lambda o, p: o.SGD(p, lr=0.1)),
    (lambda: optimizers.SGD(0.05, momentum=0.9), lambda o, p: o.SGD(p, lr=0.05, momentum=0.9)),
    (
        lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
        lambda o, p: o.SGD(p, lr=0.05, momentum=0.8, nesterov=True),
    ),
    (
        lambda: optimizers.RMSprop(0.01, rho=0.9, epsilon=1e-8),
        lambda o, p: o.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-8),
    ),
    (
        lambda: optimizers.RMSprop(0.05, rho=0.5, epsilon=1e-3),
        lambda o, p: o.RMSprop(p, lr=0.05, alpha=0.5, eps=1e-3),
    ),
    (lambda: optimizers.Adam(0.1), lambda o, p: o.Adam(p, lr=0.1)),
    (
        lambda: optimizers.Adam(0.02, beta_1=0.5, beta_2=0.9, epsilon=1e-4),
        lambda o, p: o.Adam(p, lr=0.02, betas=(0.5, 0.9), eps=1e-4),
    ),
]


@pytest.mark.parametrize("make, make_torch", TORCH_CASES)
def test_agrees_with_torch_step_for_step(make, make_torch):
    torch = pytest.importorskip("torch")
    expected = _torch_trajectory(torch, lambda p: make_torch(torch.optim, p))
    assert_trajectories_equal(run_handgrad(make()), expected)


# ------------------------------------------------------------ learning rate
@pytest.mark.parametrize(
    "optimizer",
    [
        optimizers.SGD(0.0),
        optimizers.SGD(0.0, momentum=0.9, nesterov=True),
        optimizers.Momentum(0.0, bias_correction=True),
        optimizers.RMSprop(0.0),
        optimizers.Adam(0.0),
    ],
    ids=repr,
)
def test_zero_learning_rate_leaves_parameters_unchanged(optimizer):
    trajectory = run_handgrad(optimizer, steps=3)
    for params in trajectory:
        for p, start in zip(params, START, strict=True):
            np.testing.assert_array_equal(p, start)
    assert optimizer.iterations == 3


def _linear_problem():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    return X, y


def test_schedule_sets_the_rate_of_each_epoch_in_fit():
    X, y = _linear_problem()
    model = hg.Sequential([hg.layers.Dense(1, input_dim=3)], seed=0, dtype="float64")
    W, b = (w.copy() for w in model.get_weights())
    model.compile("mse", optimizers.SGD(schedules.InverseTimeDecay(0.2, 1)))
    history = model.fit(X, y, epochs=4, batch_size=None, verbose=0, shuffle=False)
    rates = [0.2 / (1 + e) for e in (1, 2, 3, 4)]
    assert history.history["lr"] == pytest.approx(rates, abs=1e-15)
    # Replay full-batch gradient descent on the mse by hand with those rates.
    for lr in rates:
        dz = 2 * (X @ W + b - y[:, None]) / len(X)
        W, b = W - lr * X.T @ dz, b - lr * dz.sum(axis=0)
    np.testing.assert_allclose(model.layers[0].params["W"], W, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(model.layers[0].params["b"], b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rates", [[0.05, 0.0, 0.0], lambda epoch: 0.05 if epoch == 1 else 0.0])
def test_list_or_callable_learning_rate_is_a_schedule(rates):
    X, y = _linear_problem()
    model = hg.Sequential([hg.layers.Dense(1, input_dim=3)], seed=0, dtype="float64")
    model.compile("mse", optimizers.Adam(rates))
    start = model.get_weights()
    model.fit(X, y, epochs=1, batch_size=5, verbose=0)
    after_one = model.get_weights()
    history = model.fit(X, y, epochs=3, batch_size=5, verbose=0, initial_epoch=1)
    assert history.history["lr"] == [0.0, 0.0]
    assert not np.array_equal(start[0], after_one[0])
    for got, want in zip(model.get_weights(), after_one, strict=True):
        np.testing.assert_array_equal(got, want)


def test_begin_epoch_with_a_constant_rate():
    optimizer = optimizers.RMSprop(0.003)
    assert optimizer.begin_epoch(7) == 0.003
    assert optimizer.current_learning_rate == 0.003


# ------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("name", optimizers.names())
def test_float32_parameters_and_state_stay_float32(name):
    optimizer = optimizers.get(name)
    w = np.ones((2, 3), dtype=np.float32)
    g = np.full((2, 3), 0.5, dtype=np.float32)
    optimizer.step([(w, g)])
    optimizer.step([(w, g)])
    assert w.dtype == np.float32
    assert (w < 1).all()
    for arrays in optimizer.state.values():
        assert all(a.dtype == np.float32 for a in arrays)


# ------------------------------------------------------------- bad arguments
@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: optimizers.SGD(-0.1), ValueError, r"learning_rate must be a number >= 0"),
        (lambda: optimizers.Adam(float("nan")), ValueError, "learning_rate must be finite"),
        (lambda: optimizers.SGD("0.1"), TypeError, "learning_rate must be a number"),
        (lambda: optimizers.SGD(True), TypeError, "learning_rate must be a number"),
        (lambda: optimizers.SGD(0.1, momentum=1.0), ValueError, r"momentum must be .*\[0, 1\)"),
        (lambda: optimizers.SGD(0.1, momentum=-0.5), ValueError, "momentum"),
        (lambda: optimizers.SGD(0.1, nesterov=True), ValueError, "nesterov=True requires"),
        (lambda: optimizers.SGD(0.1, 0.9, nesterov="yes"), TypeError, "nesterov must be"),
        (lambda: optimizers.Momentum(0.1, beta=1.5), ValueError, "beta"),
        (lambda: optimizers.RMSprop(0.1, rho=1.0), ValueError, "rho"),
        (lambda: optimizers.RMSprop(0.1, epsilon=0), ValueError, "epsilon must be > 0"),
        (lambda: optimizers.Adam(0.1, epsilon=-1e-8), ValueError, "epsilon must be > 0"),
        (lambda: optimizers.Adam(0.1, beta_1=1.0), ValueError, "beta_1"),
        (lambda: optimizers.Adam(0.1, beta_2=-0.1), ValueError, "beta_2"),
        (lambda: optimizers.SGD([0.1, -0.1]), ValueError, r"rates\[1\]"),
        (lambda: optimizers.get("adamw"), ValueError, "unknown optimizer 'adamw'"),
        (lambda: optimizers.get({"class_name": "Nadam"}), ValueError, "unknown optimizer"),
        (lambda: optimizers.get(3), TypeError, "optimizer must be a name"),
    ],
)
def test_bad_arguments_raise(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_compile_with_unknown_optimizer_name_raises():
    model = hg.Sequential([hg.layers.Dense(1, input_dim=2)], seed=0)
    with pytest.raises(ValueError, match="expected one of: adam, momentum, rmsprop, sgd"):
        model.compile("mse", "adagrad")


# ------------------------------------------------------------ state and config
@pytest.mark.parametrize("name", optimizers.names())
def test_get_state_set_state_round_trip(name):
    first = optimizers.get({"class_name": name, "learning_rate": 0.05})
    params = [p.copy() for p in START]
    grads = [np.zeros_like(p) for p in params]

    def steps(optimizer, params, n):
        for _ in range(n):
            for k, (p, g) in enumerate(zip(params, grads, strict=True)):
                g[...] = _gradient(p, k)
            optimizer.step(list(zip(params, grads, strict=True)))

    steps(first, params, 3)
    saved = first.get_state()
    saved_params = [p.copy() for p in params]
    steps(first, params, 2)  # must not alter the saved copy

    second = optimizers.get({"class_name": name, "learning_rate": 0.05})
    second.set_state(saved)
    assert second.iterations == 3
    resumed = [p.copy() for p in saved_params]
    steps(second, resumed, 2)
    for got, want in zip(resumed, params, strict=True):
        np.testing.assert_array_equal(got, want)


def test_adam_state_holds_moments_per_parameter():
    optimizer = optimizers.Adam(0.1)
    run_handgrad(optimizer, steps=1)
    state = optimizer.get_state()
    assert state["iterations"] == 1
    assert sorted(state["slots"]) == ["m", "v"]
    g0 = _gradient(START[0], 0)
    np.testing.assert_allclose(state["slots"]["m"][0], 0.1 * g0, rtol=1e-15)
    np.testing.assert_allclose(state["slots"]["v"][0], 0.001 * g0**2, rtol=1e-15)
    assert [a.shape for a in state["slots"]["v"]] == [(2, 3), (2,)]


def test_set_state_refuses_wrong_slots_and_step_refuses_other_models():
    optimizer = optimizers.Adam(0.1)
    with pytest.raises(ValueError, match=r"Adam state must have slots \['m', 'v'\]"):
        optimizer.set_state({"iterations": 1, "slots": {"velocity": [np.zeros(2)]}})
    with pytest.raises(ValueError, match="iterations must be an int >= 0"):
        optimizer.set_state({"iterations": -1, "slots": {}})
    run_handgrad(optimizer, steps=1)
    w, g = np.zeros(3), np.ones(3)
    with pytest.raises(ValueError, match="holds state for 2 parameters but was given 1"):
        optimizer.step([(w, g)])
    optimizer.reset()
    optimizer.step([(w, g)])
    assert optimizer.iterations == 1


@pytest.mark.parametrize(
    "optimizer",
    [
        optimizers.SGD(0.1, momentum=0.9, nesterov=True),
        optimizers.Momentum(schedules.StepDecay(0.1, 0.5, 2), beta=0.8, bias_correction=True),
        optimizers.RMSprop([0.1, 0.01], rho=0.8, epsilon=1e-6),
        optimizers.Adam(schedules.InverseTimeDecay(0.01, 0.5), beta_1=0.8),
    ],
    ids=lambda o: type(o).__name__,
)
def test_config_round_trip(optimizer):
    config = optimizer.get_config()
    rebuilt = optimizers.get(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == config
    for epoch in (1, 2, 3):
        assert rebuilt.begin_epoch(epoch) == optimizer.begin_epoch(epoch)


def test_names_give_default_settings():
    adam = optimizers.get("Adam")
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-8)
    assert optimizers.get("sgd").get_config() == {
        "class_name": "SGD",
        "learning_rate": 0.01,
        "momentum": 0.0,
        "nesterov": False,
    }


# ------------------------------------------------------------------ explicit contracts
def test_set_learning_rate_on_a_float_rate():
    opt = optimizers.SGD(0.1)
    opt.set_learning_rate(0.05, persistent=False)  # this epoch only
    assert (opt.learning_rate, opt.current_learning_rate) == (0.1, 0.05)
    assert opt.begin_epoch(2) == 0.1
    opt.set_learning_rate(0.02)  # from now on
    assert (opt.learning_rate, opt.current_learning_rate, opt.begin_epoch(3)) == (0.02, 0.02, 0.02)


def test_set_learning_rate_on_a_schedule_scales_it():
    opt = optimizers.SGD(schedules.ExponentialDecay(1.0, base=0.5))
    assert opt.begin_epoch(1) == 0.5
    opt.set_learning_rate(0.25)  # persistent: every later epoch is halved as well
    assert opt.lr_multiplier == 0.5 and opt.begin_epoch(2) == 0.125
    opt.set_learning_rate(1.0, persistent=False)
    assert opt.lr_multiplier == 0.5 and opt.begin_epoch(3) == 0.0625


def test_bind_keeps_state_that_fits_and_resets_state_that_does_not():
    opt = optimizers.Adam(0.1)
    p, g = np.zeros(4), np.ones(4)
    opt.step([(p, g)])
    opt.bind([(p, g)])
    assert opt.iterations == 1 and opt.state["m"][0].shape == (4,)
    opt.bind([(np.zeros(5), np.ones(5))])  # another model: start afresh
    assert opt.iterations == 0 and opt.state == {}
    opt.bind([(np.zeros(5), np.ones(5))])  # nothing to reset
    assert opt.state == {}


def test_a_model_binds_its_optimizer_before_training():
    opt = optimizers.Momentum(0.1)
    first = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=3)], seed=0)
    first.compile("categorical_crossentropy", opt)
    first.train_on_batch(np.eye(3), [0, 1, 1])
    second = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=4)], seed=0)
    second.compile("categorical_crossentropy", opt)  # state shaped for 8 parameters, not 10
    second.train_on_batch(np.eye(4), [0, 1, 1, 0])
    assert opt.iterations == 1 and opt.state["velocity"][0].shape == (10,)


def test_get_class_names_the_known_optimizers():
    assert optimizers.get_class("ADAM") is optimizers.Adam
    with pytest.raises(ValueError, match="expected one of: adam, momentum, rmsprop, sgd"):
        optimizers.get_class("nadam")
