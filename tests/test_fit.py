"""Sequential.fit features: validation split, sample and class weights (checked against hand
computations), divergence, Ctrl-C, the logged learning rate and early stopping on a task built
to overfit."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.callbacks import Callback, EarlyStopping

L = hg.layers


class WeightRecorder(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_train_begin(self, logs=None):
        self.params_seen = dict(self.params)

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch] = self.model.get_weights()


class Interrupt(Callback):
    """Raises KeyboardInterrupt (what Ctrl-C does) at a chosen hook, epoch and batch."""

    def __init__(self, hook, epoch, batch=0):
        super().__init__()
        self.hook, self.epoch, self.batch = hook, epoch, batch

    def on_batch_end(self, batch, logs=None):
        if self.hook == "batch" and self.model.current_epoch == self.epoch and batch == self.batch:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        if self.hook == "epoch" and epoch == self.epoch:
            raise KeyboardInterrupt


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected, strict=True):
        np.testing.assert_array_equal(a, e)


def _classification(n=90, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = rng.integers(0, k, n)
    return X, y


def _softmax_model(k=3, optimizer=None, seed=1):
    model = hg.Sequential([L.Dense(k, "softmax", input_dim=4)], seed=seed, dtype="float64")
    model.compile("categorical_crossentropy", optimizer or hg.optimizers.SGD(0.0))
    return model


def _per_sample_ce(model, X, y):
    """Hand computation of -log softmax(X W + b)[y] from the model's weights."""
    W, b = model.get_weights()
    Z = X @ W + b
    m = Z.max(axis=1, keepdims=True)
    lse = (m + np.log(np.exp(Z - m).sum(axis=1, keepdims=True)))[:, 0]
    return lse - Z[np.arange(len(y)), y]


# --------------------------------------------------------------- validation split
def _spy_validation(model, monkeypatch):
    captured = {}
    original = model.session.evaluate

    def spy(xs, ys, sw=None, batch_size=1024):
        captured.update(x=xs.copy(), y=ys.copy(), sw=None if sw is None else sw.copy())
        return original(xs, ys, sw, batch_size)

    monkeypatch.setattr(model.session, "evaluate", spy)
    return captured


def test_validation_split_is_stratified_and_shuffled(monkeypatch):
    n = 100
    X = np.c_[np.arange(n), np.zeros((n, 3))]  # column 0 identifies the row
    y = np.r_[np.zeros(80, int), np.ones(20, int)]  # the last rows are all class 1
    model = _softmax_model(k=2)
    captured = _spy_validation(model, monkeypatch)
    recorder = WeightRecorder()
    model.fit(X, y, epochs=1, verbose=0, validation_split=0.2, callbacks=[recorder])
    ids = captured["x"][:, 0].astype(int)
    assert len(ids) == 20 and len(set(ids)) == 20
    np.testing.assert_array_equal(captured["y"], y[ids])
    assert np.bincount(captured["y"]).tolist() == [16, 4]  # the class proportions, 80/20
    assert set(ids) != set(range(80, 100))  # not the last rows
    assert not np.all(np.diff(ids) > 0)  # shuffled
    assert recorder.params_seen["samples"] == 80
    # the same seed gives the same split
    other = _softmax_model(k=2)
    captured2 = _spy_validation(other, monkeypatch)
    other.fit(X, y, epochs=1, verbose=0, validation_split=0.2)
    np.testing.assert_array_equal(captured2["x"][:, 0], captured["x"][:, 0])


def test_validation_split_for_regression_is_random_and_carries_sample_weights(monkeypatch):
    n = 50
    X = np.c_[np.arange(n), np.zeros((n, 3))]
    y = np.linspace(0, 1, n)
    sw = np.linspace(0.5, 2.0, n)
    model = hg.Sequential([L.Dense(1, input_dim=4)], seed=0, dtype="float64")
    model.compile("mse", hg.optimizers.SGD(0.0))
    captured = _spy_validation(model, monkeypatch)
    h = model.fit(X, y, epochs=1, verbose=0, validation_split=0.3, sample_weight=sw)
    ids = captured["x"][:, 0].astype(int)
    assert len(ids) == 15 and set(ids) != set(range(35, 50))
    np.testing.assert_array_equal(captured["sw"], sw[ids])
    expected = model.evaluate(X[ids], y[ids], sample_weight=sw[ids])["loss"]
    assert h.history["val_loss"][0] == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------- sample and class weights
@pytest.mark.parametrize("batch_size", [None, 7])
def test_sample_weight_loss_is_weighted_sum_over_n(batch_size):
    X, y = _classification()
    w = np.random.default_rng(5).uniform(0, 3, len(y))
    model = _softmax_model()  # learning rate 0: the weights stay put during the epoch
    h = model.fit(X, y, epochs=1, verbose=0, sample_weight=w, batch_size=batch_size)
    expected = np.sum(w * _per_sample_ce(model, X, y)) / len(y)
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-12)
    unweighted = np.mean(_per_sample_ce(model, X, y))
    assert abs(expected - unweighted) > 1e-3  # the weights did matter


def test_sample_weight_scales_the_gradient_step():
    X, y = _classification()
    w = np.random.default_rng(6).uniform(0, 3, len(y))
    model = _softmax_model(optimizer=hg.optimizers.SGD(0.5))
    W0, b0 = model.get_weights()
    model.fit(X, y, epochs=1, verbose=0, sample_weight=w, batch_size=None)
    Z = X @ W0 + b0
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    dZ = (P - np.eye(3)[y]) * (w / len(y))[:, None]
    W1, b1 = model.get_weights()
    np.testing.assert_allclose(W1, W0 - 0.5 * X.T @ dZ, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(b1, b0 - 0.5 * dZ.sum(axis=0), rtol=1e-12, atol=1e-15)


def test_class_weight_dict_multiplies_sample_weight():
    X, y = _classification()
    sw = np.random.default_rng(7).uniform(0.5, 1.5, len(y))
    model = _softmax_model()
    h = model.fit(X, y, epochs=1, verbose=0, class_weight={0: 2.0, 2: 0.25}, sample_weight=sw)
    cw = np.array([2.0, 1.0, 0.25])[y]  # classes not listed keep weight 1
    expected = np.sum(cw * sw * _per_sample_ce(model, X, y)) / len(y)
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_class_weight_balanced_is_n_over_k_times_class_count():
    X, _ = _classification(n=60)
    y = np.r_[np.zeros(40, int), np.ones(15, int), np.full(5, 2)]
    model = _softmax_model()
    h = model.fit(X, y, epochs=1, verbose=0, class_weight="balanced")
    table = 60 / (3 * np.array([40, 15, 5]))  # scikit-learn's "balanced" rule
    expected = np.sum(table[y] * _per_sample_ce(model, X, y)) / 60
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_class_weight_with_binary_crossentropy():
    X, _ = _classification(n=40)
    y = (X[:, 0] > 0).astype(float)
    model = hg.Sequential([L.Dense(1, "sigmoid", input_dim=4)], seed=0, dtype="float64")
    model.compile("binary_crossentropy", hg.optimizers.SGD(0.0))
    h = model.fit(X, y, epochs=1, verbose=0, class_weight={1: 3.0})
    W, b = model.get_weights()
    z = (X @ W + b)[:, 0]
    per_sample = np.logaddexp(0, z) - z * y
    expected = np.sum(np.where(y == 1, 3.0, 1.0) * per_sample) / 40
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    ("class_weight", "error", "match"),
    [
        ({5: 1.0}, ValueError, r"class_weight key 5 is not a class; classes are 0\.\.\.2"),
        ({"a": 1.0}, ValueError, "class_weight key 'a' is not a class"),
        ({-1: 1.0}, ValueError, "class_weight key -1 is not a class"),
        ({0: -2.0}, ValueError, r"class_weight\[0\] must be a non-negative number, got -2.0"),
        ("balance", ValueError, "class_weight must be a dict or 'balanced', got 'balance'"),
        ([1.0, 2.0], TypeError, "class_weight must be a dict or 'balanced'"),
    ],
)
def test_bad_class_weight_raises(class_weight, error, match):
    X, y = _classification()
    model = _softmax_model()
    W0 = model.get_weights()
    with pytest.raises(error, match=match):
        model.fit(X, y, epochs=1, verbose=0, class_weight=class_weight)
    _assert_weights_equal(model.get_weights(), W0)  # refused before any work


def test_class_weight_needs_class_targets():
    X, y = _classification()
    model = hg.Sequential([L.Dense(1, input_dim=4)], seed=0)
    model.compile("mse", "sgd")
    with pytest.raises(ValueError, match="class_weight needs class targets"):
        model.fit(X, y.astype(float), verbose=0, class_weight={0: 2.0})


# ---------------------------------------------------------------------- divergence
def test_divergence_stops_and_keeps_the_last_finite_epoch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)) * 3  # unscaled inputs and a too-large rate
    y = X @ np.array([1.0, -2.0, 0.5])
    model = hg.Sequential([L.Dense(1, input_dim=3)], seed=0)
    model.compile("mse", hg.optimizers.SGD(0.5))
    recorder = WeightRecorder()
    with pytest.warns(
        hg.DivergenceWarning,
        match=r"the loss became inf at epoch 5 \(batch 4 of "
        r"4\); stopped and kept the weights from the end of epoch 4\. Try a lower "
        r"learning rate \(it was 0.5\) or scale the inputs",
    ):
        h = model.fit(X, y, epochs=50, batch_size=16, verbose=0, callbacks=[recorder])
    assert h.stopped_reason == "diverged" and h.epoch == [0, 1, 2, 3]
    assert np.all(np.isfinite(h.history["loss"]))
    _assert_weights_equal(model.get_weights(), recorder.weights[3])
    assert all(np.isfinite(w).all() for w in model.get_weights())
    assert np.isfinite(model.predict(X)).all()


def test_divergence_in_the_first_epoch_keeps_the_initial_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)) * 100
    y = X @ np.array([1.0, -2.0, 0.5])
    model = hg.Sequential([L.Dense(1, input_dim=3)], seed=0)
    model.compile("mse", hg.optimizers.SGD(10.0))
    initial = model.get_weights()
    with pytest.warns(
        hg.DivergenceWarning,
        match=r"epoch 1 .*end of epoch 0 \(the initial "
        r"weights\)",
    ):
        h = model.fit(X, y, epochs=5, batch_size=8, verbose=0)
    assert h.epoch == [] and h.stopped_reason == "diverged"
    _assert_weights_equal(model.get_weights(), initial)


def test_divergence_when_the_last_update_overflows_the_weights():
    # loss (x w)^2 = 1e38 is finite in float32, its gradient 2 x^2 w = 2e39 is not
    X, y = np.full((1, 1), 1e20, dtype=np.float32), np.zeros(1)
    model = hg.Sequential([L.Dense(1, input_dim=1)], seed=0)
    model.compile("mse", hg.optimizers.SGD(0.01))
    initial = [np.array([[0.1]], dtype=np.float32), np.array([0.0], dtype=np.float32)]
    model.set_weights(initial)
    with pytest.warns(hg.DivergenceWarning, match="the update overflowed the weights at epoch 1"):
        h = model.fit(X, y, epochs=3, batch_size=None, verbose=0)
    assert h.stopped_reason == "diverged" and h.epoch == []
    _assert_weights_equal(model.get_weights(), initial)


# ------------------------------------------------------------------------- Ctrl-C
@pytest.mark.parametrize(
    ("hook", "epoch", "batch", "kept_epochs"),
    [("batch", 2, 1, 2), ("epoch", 2, 0, 3), ("batch", 0, 0, 0)],
)
def test_ctrl_c_returns_history_and_keeps_the_last_completed_epoch(
    hook, epoch, batch, kept_epochs, capsys
):
    X, y = _classification()
    model = _softmax_model(optimizer=hg.optimizers.Adam(0.05))
    initial = model.get_weights()
    recorder = WeightRecorder()
    h = model.fit(
        X,
        y,
        epochs=10,
        batch_size=16,
        verbose=0,
        callbacks=[recorder, Interrupt(hook, epoch, batch)],
    )
    assert h.stopped_reason == "interrupted"
    assert h.epoch == list(range(kept_epochs))
    assert len(h.history.get("loss", [])) == kept_epochs
    expected = recorder.weights[kept_epochs - 1] if kept_epochs else initial
    _assert_weights_equal(model.get_weights(), expected)
    proba = model.predict(X)
    assert proba.shape == (90, 3) and np.allclose(proba.sum(axis=1), 1)
    assert f"kept the weights after epoch {kept_epochs}" in capsys.readouterr().err
    # the model is usable: training can continue
    h2 = model.fit(X, y, epochs=2, verbose=0)
    assert len(h2.epoch) == 2 and h2.stopped_reason is None


# -------------------------------------------------------------------- logged rates
def test_history_lr_follows_a_schedule():
    X, y = _classification()
    model = _softmax_model(optimizer=hg.optimizers.SGD(hg.schedules.InverseTimeDecay(0.2, 1.0)))
    h = model.fit(X, y, epochs=4, verbose=0)
    np.testing.assert_allclose(h.history["lr"], [0.1, 0.2 / 3, 0.05, 0.04], rtol=1e-15)
    model = _softmax_model(optimizer=hg.optimizers.Adam(hg.schedules.StepDecay(0.1, 0.5, 2)))
    h = model.fit(X, y, epochs=5, verbose=0)
    assert h.history["lr"] == [0.1, 0.1, 0.05, 0.05, 0.025]
    h = model.fit(X, y, epochs=7, initial_epoch=5, verbose=0)  # resumed: epochs 6 and 7
    assert h.history["lr"] == [0.025, 0.0125]


# ---------------------------------------------------------------- early stopping
def _overfitting_task():
    """20 noisy training points, a wide network: validation loss is lowest at epoch 8."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((220, 4))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(int)
    y_train = y[:20].copy()
    y_train[:4] = 1 - y_train[:4]  # label noise to memorize
    model = hg.Sequential(
        [L.Dense(64, "relu", input_dim=4), L.Dense(64, "relu"), L.Dense(2, "softmax")],
        seed=0,
        dtype="float64",
    )
    model.compile("categorical_crossentropy", hg.optimizers.Adam(0.002))
    return model, (X[:20], y_train), (X[20:], y[20:])


@pytest.mark.parametrize("patience", [5, 1000])
def test_early_stopping_restores_the_best_validation_weights(patience):
    model, (X, y), val = _overfitting_task()
    recorder = WeightRecorder()
    stop = EarlyStopping(monitor="val_loss", patience=patience)
    h = model.fit(
        X, y, epochs=40, batch_size=None, verbose=0, validation_data=val, callbacks=[recorder, stop]
    )
    val_loss = h.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert best == 8 and val_loss[-1] > val_loss[best]
    assert stop.best_epoch == best
    _assert_weights_equal(model.get_weights(), recorder.weights[best])
    assert model.evaluate(*val)["loss"] == pytest.approx(val_loss[best], rel=1e-12)
    if patience == 5:
        assert h.stopped_reason == "early_stopping" and stop.stopped_epoch == best + 5
        assert len(h.epoch) == best + 6
    else:  # patience never ran out: the best weights are restored when training ends
        assert h.stopped_reason is None and len(h.epoch) == 40
        assert val_loss[-1] > 1.5 * val_loss[best]  # it overfitted badly


def test_early_stopping_without_restore_keeps_the_last_epoch():
    model, (X, y), val = _overfitting_task()
    recorder = WeightRecorder()
    h = model.fit(
        X,
        y,
        epochs=40,
        batch_size=None,
        verbose=0,
        validation_data=val,
        callbacks=[recorder, EarlyStopping(patience=5, restore_best_weights=False)],
    )
    _assert_weights_equal(model.get_weights(), recorder.weights[h.epoch[-1]])
