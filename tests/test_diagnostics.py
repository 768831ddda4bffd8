"""The training report: every finding is triggered by a run built to show it, and a healthy run
gives none."""

from __future__ import annotations

import numpy as np
import pytest

import handgrad as hg
from handgrad.diagnostics import Finding, TrainingReport, diagnose, record_input_stats

L = hg.layers


def _data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    y = (X[:, 0] * X[:, 1] + X[:, 2] > 0).astype(int)
    return X, y


def _model(layers, optimizer, loss="categorical_crossentropy", dtype="float32"):
    model = hg.Sequential(layers, seed=0, dtype=dtype)
    model.compile(loss, optimizer)
    return model


@pytest.fixture(scope="module")
def healthy():
    X, y = _data(300)
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(16, "relu"), L.Dense(2, "softmax")],
        hg.optimizers.Adam(0.01),
    )
    history = model.fit(X, y, epochs=30, batch_size=32, validation_split=0.25, verbose=0)
    return model, history


def test_healthy_run_has_no_findings(healthy):
    model, history = healthy
    report = history.diagnose()
    assert isinstance(report, TrainingReport) and report == []
    assert report.text().splitlines()[1] == "  no problems found"
    assert report.text().startswith("Training report: 30 epochs, loss ")
    assert set(report.measurements["gradient_rms"]) == {layer.name for layer in model.layers}
    assert all(v == 0 for v in report.measurements["dead_fraction"].values())
    assert report.measurements["input_rms_max"] < 2


def test_diagnose_leaves_the_model_exactly_as_it_was():
    X, y = _data(120)

    def run(with_report):
        model = _model(
            [L.Dense(8, "relu", input_dim=4), L.Dropout(0.3), L.Dense(2, "softmax")],
            hg.optimizers.Adam(0.01),
        )
        history = model.fit(X, y, epochs=2, batch_size=16, verbose=0)
        grads = [g.copy() for layer in model.layers for g in layer.grads.values()]
        if with_report:
            history.diagnose()
            after = [g for layer in model.layers for g in layer.grads.values()]
            for g, layer_g in zip(grads, after, strict=True):
                np.testing.assert_array_equal(g, layer_g)
        model.fit(X, y, epochs=2, batch_size=16, verbose=0)
        return model.get_weights(), model.optimizer.get_state()

    (w1, s1), (w2, s2) = run(False), run(True)
    for a, b in zip(w1, w2, strict=True):
        np.testing.assert_array_equal(a, b)
    assert s1["iterations"] == s2["iterations"]
    for a, b in zip(s1["slots"]["m"], s2["slots"]["m"], strict=True):
        np.testing.assert_array_equal(a, b)


def test_loss_not_decreasing():
    X, y = _data(200)
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(2, "softmax")], hg.optimizers.SGD(1e-5)
    )
    report = model.fit(X, y, epochs=5, verbose=0).diagnose()
    assert report.codes == ["loss_not_decreasing"]
    assert report[0].severity == "warning"
    assert "did not decrease over 5 epochs" in report[0].message
    assert report[0].details["relative_decrease"] < 0.01


def test_loss_diverging_after_fit_stopped_on_a_non_finite_loss():
    X, y = _data(200)
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(1)], hg.optimizers.SGD(2.0), loss="mse"
    )
    with pytest.warns(hg.DivergenceWarning):
        history = model.fit(X, y.astype(float), epochs=20, verbose=0)
    report = history.diagnose()
    assert "loss_diverging" in report.codes
    finding = report[report.codes.index("loss_diverging")]
    assert finding.severity == "error"
    assert "became non-finite in the first epoch of the run" in finding.message
    assert report.summary.endswith("stopped: diverged")


def test_loss_diverging_when_the_loss_grows():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)) * 3
    y = X @ np.array([1.0, -2.0, 0.5])
    model = _model([L.Dense(1, input_dim=3)], hg.optimizers.SGD(0.2), loss="mse")
    history = model.fit(X, y, epochs=4, batch_size=16, verbose=0)  # grows, still finite
    assert history.stopped_reason is None
    report = history.diagnose()
    assert report.codes[0] == "loss_diverging"
    assert "lower the learning rate" in report[0].message
    assert "loss_not_decreasing" not in report.codes


def test_inputs_not_scaled():
    X, y = _data(200)
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(2, "softmax")], hg.optimizers.Adam(1e-3)
    )
    report = model.fit(X * 300 + 1000, y, epochs=3, verbose=0).diagnose()
    assert "inputs_not_scaled" in report.codes
    finding = report[report.codes.index("inputs_not_scaled")]
    assert finding.details["large_features"] == [0, 1, 2, 3]
    assert "4 of 4 input features" in finding.message and "StandardScaler" in finding.message
    # tiny features are flagged too
    X_tiny = X.copy()
    X_tiny[:, 1] *= 1e-3
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(2, "softmax")], hg.optimizers.Adam(1e-2)
    )
    report = model.fit(X_tiny, y, epochs=3, verbose=0).diagnose()
    finding = report[report.codes.index("inputs_not_scaled")]
    assert finding.details == {
        "large_features": [],
        "tiny_features": [1],
        "rms_max": pytest.approx(finding.details["rms_max"]),
    }


def test_dead_relu_units():
    X, y = _data(200)
    model = _model(
        [L.Dense(16, "relu", input_dim=4), L.Dense(2, "softmax")], hg.optimizers.Adam(1e-3)
    )
    W, b, W2, b2 = model.get_weights()
    b[:8] = -50.0  # half of the units can never become active
    model.set_weights([W, b, W2, b2])
    report = model.fit(X, y, epochs=3, verbose=0).diagnose()
    assert report.codes == ["dead_relu"]
    assert report[0].details["dead"] == {model.layers[0].name: (8, 16)}
    assert f"{model.layers[0].name} 8/16" in report[0].message


def test_vanishing_gradients_in_a_deep_sigmoid_network():
    X, y = _data(200)
    layers = [L.Dense(16, "sigmoid", input_dim=4, kernel_initializer="small_normal")]
    layers += [L.Dense(16, "sigmoid", kernel_initializer="small_normal") for _ in range(5)]
    model = _model(layers + [L.Dense(2, "softmax")], hg.optimizers.SGD(0.1))
    report = model.fit(X, y, epochs=2, verbose=0).diagnose()
    assert "vanishing_gradients" in report.codes
    finding = report[report.codes.index("vanishing_gradients")]
    names = [layer.name for layer in model.layers]
    assert finding.details["layers"][0] == names[0]  # the first layers get the least
    rms = finding.details["gradient_rms"]
    assert rms[names[0]] < 1e-6 * rms[names[-1]]


def test_exploding_gradients_in_a_deep_network_with_large_weights():
    X, y = _data(200)
    model = _model(
        [L.Dense(16, input_dim=4)] + [L.Dense(16) for _ in range(5)] + [L.Dense(1)],
        hg.optimizers.SGD(0.0),
        loss="mse",
    )
    model.set_weights([4 * w for w in model.get_weights()])
    report = model.fit(X, y.astype(float), epochs=1, verbose=0).diagnose()
    assert "exploding_gradients" in report.codes
    finding = report[report.codes.index("exploding_gradients")]
    assert finding.severity == "error"
    assert min(finding.details["gradient_rms"].values()) > 1e3


def test_overfitting():
    X, y = _data(330, seed=1)
    y_train = y[:30].copy()
    y_train[:8] = 1 - y_train[:8]
    model = _model(
        [L.Dense(64, "relu", input_dim=4), L.Dense(64, "relu"), L.Dense(2, "softmax")],
        hg.optimizers.Adam(0.01),
        dtype="float64",
    )
    history = model.fit(
        X[:30], y_train, epochs=40, batch_size=None, validation_data=(X[30:], y[30:]), verbose=0
    )
    report = history.diagnose()
    assert report.codes == ["overfitting"]
    best = int(np.argmin(history.history["val_loss"]))
    assert report[0].details["best_epoch"] == best
    assert f"at epoch {best + 1} while the training loss fell" in report[0].message
    assert "use EarlyStopping(restore_best_weights=True)" in report[0].message
    # stopped by EarlyStopping: still reported, with the epoch whose weights were restored
    model = _model(
        [L.Dense(64, "relu", input_dim=4), L.Dense(64, "relu"), L.Dense(2, "softmax")],
        hg.optimizers.Adam(0.01),
        dtype="float64",
    )
    history = model.fit(
        X[:30],
        y_train,
        epochs=40,
        batch_size=None,
        verbose=0,
        validation_data=(X[30:], y[30:]),
        callbacks=[hg.callbacks.EarlyStopping(patience=7)],
    )
    report = history.diagnose()
    assert report.codes == ["overfitting"]
    assert f"the model holds the epoch-{best + 1} weights" in report[0].message


def test_report_text_lists_findings():
    report = TrainingReport(
        [Finding("overfitting", "warning", "validation loss rose")], summary="3 epochs"
    )
    assert str(report) == (
        "Training report: 3 epochs\n  [warning] overfitting: validation loss rose"
    )
    assert repr(report) == "TrainingReport(['overfitting'])"


def test_diagnose_on_given_data_and_bad_arguments(healthy):
    model, history = healthy
    X, y = _data(50, seed=9)
    report = diagnose(model, history, X, y)
    assert report == []
    with pytest.raises(ValueError, match="diagnose needs both x and y"):
        history.diagnose(X)
    with pytest.raises(ValueError, match=r"x has shape \(50, 3\) but layer"):
        history.diagnose(X[:, :3], y)


def test_record_input_stats_matches_numpy():
    rng = np.random.default_rng(0)
    scales = np.repeat([1.0, 100.0, 1e-3], 4)  # per-feature scales, channels-first images
    x = (rng.standard_normal((500, 12)) * scales + 7).reshape(500, 3, 2, 2).astype(np.float32)
    y = rng.integers(0, 2, 500)
    stats = record_input_stats(x, y, seed=3)  # up to 512 rows: every row is used
    flat = x.reshape(500, -1).astype(np.float64)
    np.testing.assert_allclose(stats.mean, flat.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.std, flat.std(axis=0), rtol=1e-12)
    np.testing.assert_array_equal(stats.min, flat.min(axis=0))
    np.testing.assert_array_equal(stats.max, flat.max(axis=0))
    assert stats.sample_x.shape == (256, 3, 2, 2) and stats.n_samples == 500
    again = record_input_stats(x, y, seed=3)
    np.testing.assert_array_equal(again.sample_x, stats.sample_x)
    rows = [int(np.flatnonzero((x == s).all(axis=(1, 2, 3)))[0]) for s in stats.sample_x]
    assert rows == sorted(rows) and len(set(rows)) == 256
    np.testing.assert_array_equal(stats.sample_y, y[rows])


def test_record_input_stats_subsamples_large_inputs():
    rng = np.random.default_rng(1)
    x = rng.uniform(-3, 5, (20000, 5))
    stats = record_input_stats(x, np.zeros(20000, int), seed=0)
    assert stats.n_samples == 20000
    # 512 rows estimate the moments: the mean to about 2.31 / sqrt(512) = 0.1 (3.5 sigma here)
    np.testing.assert_allclose(stats.mean, 1.0, atol=0.36)
    np.testing.assert_allclose(stats.std, 8 / np.sqrt(12), rtol=0.1)
    assert np.all(stats.min > -3) and np.all(stats.max < 5)
