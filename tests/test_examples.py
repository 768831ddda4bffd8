"""The worked tasks in ``examples/``: each script's ``main(["--quick", "--out", tmp])`` runs and
reproduces the numbers its docstring and the README claim, and writes its figures.

BLAS is pinned to one thread while these run: the examples multiply small matrices, which one
thread does as fast as two on an idle machine and far faster on a busy one (where two BLAS
threads spend their time waiting for each other).
"""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        limits = contextlib.nullcontext()
    else:
        limits = threadpool_limits(1, user_api="blas")
    with limits:
        yield


def run_example(name: str, out: Path, monkeypatch) -> dict:
    """Import ``examples/<name>.py`` (as a uniquely named module) and run it in quick mode."""
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the scripts import _example_kit
    spec = importlib.util.spec_from_file_location(
        f"handgrad_example_{name}", EXAMPLES / f"{name}.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    results = module.main(["--quick", "--out", str(out)])
    assert results["figures"], f"{name} wrote no figure"
    for figure in results["figures"]:
        path = Path(figure)
        assert path.parent == out
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
        assert path.stat().st_size > 5_000, f"{path} is suspiciously small"
    return results


def test_assignment3_pipeline_and_column_convention(tmp_path, monkeypatch):
    results = run_example("assignment3", tmp_path, monkeypatch)
    check = results["check"]
    # Notes' plain-NumPy functions (column convention) vs the library, float64, same init.
    assert check["iterations"] == 5
    assert check["max_cost_diff"] < 1e-6
    assert check["max_weight_diff"] < 1e-6
    assert check["first_cost"] == pytest.approx(2.3026, abs=2e-3)  # about log(10) at 0.01*randn
    assert check["last_cost"] < check["first_cost"]
    # The assignment's pipeline reaches >= 0.90 test accuracy on mnist20.
    assert results["best"]["test_accuracy"] >= 0.90
    assert results["best"]["learning_rate"] == 4.0
    rows = results["runs"]
    assert [(r["learning_rate"], r["iterations"]) for r in rows] == [
        (0.5, 100),
        (0.5, 200),
        (4.0, 100),
        (4.0, 200),
    ]
    for lo, hi in ((rows[0], rows[1]), (rows[2], rows[3])):
        assert hi["cost"] < lo["cost"]
    # The higher rate gets further in the same number of iterations.
    assert rows[3]["cost"] < rows[1]["cost"]
    assert rows[3]["train_accuracy"] > rows[1]["train_accuracy"]
    assert len(results["figures"]) == 4


def test_assignment3_functions_follow_the_notes():
    spec = importlib.util.spec_from_file_location("a3_functions", EXAMPLES / "assignment3.py")
    sys.path.insert(0, str(EXAMPLES))
    try:
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    Y = module.one_hot(np.array([2, 0, 1]), 3)
    assert Y.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]  # (classes, m): one column per sample
    params = module.initialize_parameters(400, 25, 10, seed=1)
    # The assignment's own words: np.random.seed(1), then 0.01 * randn (global state restored).
    state = np.random.get_state()  # noqa: NPY002
    try:
        np.random.seed(1)  # noqa: NPY002
        expected_W1 = 0.01 * np.random.randn(25, 400)  # noqa: NPY002
    finally:
        np.random.set_state(state)  # noqa: NPY002
    assert np.array_equal(params["W1"], expected_W1)
    assert params["b1"].shape == (25, 1) and not params["b1"].any()
    assert params["W2"].shape == (10, 25)
    Z = np.array([[1000.0, -1000.0], [0.0, 0.0]])
    assert np.allclose(module.softmax(Z).sum(axis=0), 1.0)
    assert module.sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]


def test_toy_problems_reproduce_the_notes_gap(tmp_path, monkeypatch):
    results = run_example("toy_problems", tmp_path, monkeypatch)
    runs = {(r["data"], r["model"] == "network"): r for r in results["runs"]}
    for data in ("moons", "circles", "spirals"):
        network, linear = runs[(data, True)], runs[(data, False)]
        assert network["test_accuracy"] >= 0.99, data
        assert network["train_accuracy"] >= 0.99, data
        assert network["test_accuracy"] - linear["test_accuracy"] >= 0.05, data
    # The notes: logistic regression 86% on moons, 50% on circles, softmax ~50% on spirals.
    assert 0.83 <= runs[("moons", False)]["train_accuracy"] <= 0.90
    assert runs[("circles", False)]["test_accuracy"] <= 0.6
    assert runs[("spirals", False)]["test_accuracy"] <= 0.6
    assert runs[("spirals", True)]["architecture"] == "2-64-32-16-3"
    assert runs[("moons", True)]["architecture"] == "2-4-2-1"


def test_universal_approximation_error_falls_with_width(tmp_path, monkeypatch):
    results = run_example("universal_approximation", tmp_path, monkeypatch)
    mse = {width: results["mse"][("sin(2 pi x)", width)] for width in (1, 2, 4, 8, 32)}
    assert mse[1] > 0.05  # one monotone unit cannot follow a full sine period
    assert mse[4] < mse[1] / 100
    assert mse[32] < mse[1] / 10
    assert results["max_error"][("sin(2 pi x)", 4)] < 0.1


def test_regression_matches_the_linear_model(tmp_path, monkeypatch):
    results = run_example("regression", tmp_path, monkeypatch)
    runs = {(r["model"], r["loss"]): r for r in results["runs"]}
    reference = runs[("least squares (closed form)", "-")]
    assert 50 < reference["rmse"] < 57
    linear_mse = runs[("linear (Dense(1))", "mse")]
    assert linear_mse["rmse"] == pytest.approx(reference["rmse"], rel=0.01)
    for (model, loss), run in runs.items():
        assert run["rmse"] < 1.1 * reference["rmse"], (model, loss)
        assert run["mae"] < run["rmse"]
    early = runs[("10-16-1 tanh, early stopping", "mse")]
    assert early["epochs"] < 300


def test_optimizers_beat_plain_gradient_descent(tmp_path, monkeypatch):
    results = run_example("optimizers", tmp_path, monkeypatch)
    best = {label: run["final_cost"] for label, run in results["best"].items()}
    gd = best["GD"]
    for label in ("SGD momentum 0.9", "Momentum beta 0.9 (notes)", "RMSprop", "Adam"):
        assert best[label] < gd, label
    assert best["Adam"] < gd / 2
    # Momentum(lr / (1 - beta)) is SGD(lr, momentum=beta) up to float32 rounding.
    assert results["momentum_forms_max_diff"] < 1e-5
    grid = results["grid"]
    assert grid["Momentum beta 0.9 (notes)"][1.0] == pytest.approx(
        grid["SGD momentum 0.9"][0.1], rel=1e-4
    )


def test_activations_sigmoid_vanishes_in_the_deep_network(tmp_path, monkeypatch):
    results = run_example("activations", tmp_path, monkeypatch)
    runs = {(r["activation"], r["depth"]): r for r in results["runs"]}
    deep_sigmoid = runs[("sigmoid", 3)]
    assert deep_sigmoid["final_cost"] > 2.2  # still near log(10)
    assert deep_sigmoid["test_accuracy"] < 0.2
    for activation in ("tanh", "relu", "leaky_relu", "elu"):
        assert runs[(activation, 3)]["test_accuracy"] > 0.85, activation
        assert deep_sigmoid["gradient_norm"] < runs[(activation, 3)]["gradient_norm"] / 10
    # With one hidden layer sigmoid is slower but learns.
    assert 0.5 < runs[("sigmoid", 1)]["test_accuracy"] < runs[("tanh", 1)]["test_accuracy"]
    assert len(results["figures"]) == 2


def test_regularization_fixes_the_overfit_network(tmp_path, monkeypatch):
    results = run_example("regularization", tmp_path, monkeypatch)
    runs = results["runs"]
    none = runs["none"]
    assert none["train_accuracy"] == 1.0  # memorized the 60 points
    for method in ("L2(0.01)", "dropout 0.5", "early stopping"):
        assert runs[method]["test_accuracy"] > none["test_accuracy"] + 0.02, method
        assert runs[method]["test_loss"] < 0.6 * none["test_loss"], method
        assert runs[method]["train_accuracy"] < 1.0, method
    assert runs["early stopping"]["epochs"] < results["epochs"]


def test_initialization_zero_weights_keep_units_identical(tmp_path, monkeypatch):
    results = run_example("initialization", tmp_path, monkeypatch)
    runs = {(r["network"].split()[0], r["initializer"]): r for r in results["runs"]}
    for network in ("shallow", "deep"):
        assert runs[(network, "zeros")]["unit_spread"] == 0.0
        for init in ("small_normal", "glorot_uniform", "he_normal"):
            assert runs[(network, init)]["unit_spread"] > 0.01
    # Zero weights in the sigmoid network do move, all in lockstep.
    assert runs[("shallow", "zeros")]["first_layer_norm"] > 0
    assert runs[("shallow", "zeros")]["test_accuracy"] < 0.3
    # 0.01 * randn starves the deep ReLU network; He and Glorot train it.
    assert runs[("deep", "small_normal")]["final_cost"] > 2.2
    assert runs[("deep", "he_normal")]["test_accuracy"] > 0.9
    assert runs[("deep", "glorot_uniform")]["test_accuracy"] > 0.9


def test_gradient_free_methods_lose_to_backpropagation(tmp_path, monkeypatch):
    results = run_example("gradient_free", tmp_path, monkeypatch)
    runs = {(r["problem"].split()[0], r["method"]): r for r in results["runs"]}
    budget = results["budget"]
    for problem in ("moons", "digits"):
        backprop = runs[(problem, "backpropagation")]
        assert backprop["steps"] == budget // 3
        assert backprop["final_cost"] < runs[(problem, "random search")]["final_cost"] / 10
        assert backprop["final_cost"] < runs[(problem, "random local search")]["final_cost"]
        assert backprop["final_cost"] < runs[(problem, "numerical gradient")]["final_cost"]
    # 33 weights: one centered-difference gradient costs 66 evaluations.
    assert runs[("moons", "numerical gradient")]["steps"] == budget // 66
    assert runs[("digits", "numerical gradient")]["steps"] == budget // 1300
    assert runs[("digits", "random search")]["test_accuracy"] < 0.5


def test_example_runs_as_a_script(tmp_path):
    completed = subprocess.run(
        [
            sys.executable,
            str(EXAMPLES / "universal_approximation.py"),
            "--quick",
            "--threads",
            "1",
            "--out",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| hidden units |" in completed.stdout
    assert (tmp_path / "universal_approximation.png").read_bytes()[:8] == PNG_SIGNATURE
