"""Tests for handgrad.plotting: every plot renders to a real PNG, and its content is right."""

from __future__ import annotations

import ast
import doctest
import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import handgrad as hg
from handgrad import plotting
from handgrad.plotting import _figure

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # files only: never open windows, even on a desktop
mpimg = pytest.importorskip("matplotlib.image")
plt = pytest.importorskip("matplotlib.pyplot")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def assert_png(path):
    """A non-empty PNG with more than one colour, and no temporary file left beside it."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    assert image.ndim == 3 and min(image.shape[:2]) >= 100
    assert image.std() > 0
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def history_of(**logs):
    h = hg.callbacks.History()
    for epoch, values in enumerate(zip(*logs.values(), strict=True)):
        h.on_epoch_end(epoch, dict(zip(logs, values, strict=True)))
    return h


# ----------------------------------------------------------------------- import and backend
def test_import_handgrad_does_not_import_matplotlib_and_plots_headless(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        import handgrad as hg
        assert "matplotlib" not in sys.modules, "import handgrad imported matplotlib"
        plotting = hg.plotting
        assert "matplotlib" not in sys.modules, "hg.plotting imported matplotlib"
        plotting.plot_cost_curves({{"a": [3, 2, 1]}}, path={str(tmp_path / "c.png")!r})
        import matplotlib
        print(matplotlib.get_backend())
        """
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("MPLBACKEND", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().lower() == "agg"
    assert_png(tmp_path / "c.png")


def test_missing_matplotlib_raises_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "handgrad\[plot\]"'):
        plotting.plot_cost_curves({"a": [1.0, 0.5]})


def test_display_detection_and_user_backend_choice(monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not _figure.has_display()
    monkeypatch.setenv("DISPLAY", ":0")
    assert _figure.has_display()
    monkeypatch.setenv("MPLBACKEND", "svg")
    assert not _figure.backend_is_automatic(matplotlib)


def test_every_old_public_name_still_imports():
    """Every public name of handgrad/plotting.py before it became a package."""
    old = [
        "plot_cost_curves",
        "plot_history",
        "plot_decision_boundary",
        "plot_activations",
        "plot_weight_images",
        "plot_confusion_matrix",
        "plot_digits",
        "plot_misclassified",
        "plot_lr_finder",
        "plot_search_history",
        "plot_search_params",
        "KNOWN_IMAGE_SHAPES",
        "PathLike",
    ]
    assert all(callable(getattr(hg.plotting, name)) for name in old[:11])
    assert hg.plotting.KNOWN_IMAGE_SHAPES[784] == (28, 28) and hg.plotting.PathLike
    assert set(old[:11]) <= set(plotting.__all__)


# ----------------------------------------------------------------------------- saving
def test_save_creates_folders_and_rejects_unknown_suffix(tmp_path):
    fig = plotting.plot_cost_curves({"a": [3.0, 2.0, 1.0]}, path=tmp_path / "out" / "cost")
    assert (tmp_path / "out" / "cost").read_bytes()[:8] == PNG_MAGIC
    with pytest.raises(ValueError, match=r"suffix '\.xyz'"):
        _figure.finish(fig, tmp_path / "cost.xyz")
    with pytest.raises(TypeError, match="path must be a str"):
        _figure.finish(fig, 3)


def test_failed_save_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "cost.png"
    target.write_bytes(b"old")
    fig = plotting.plot_cost_curves({"a": [3.0, 2.0]})

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _figure.finish(fig, target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cost.png"]


# ------------------------------------------------------------------------------ cost curves
def test_cost_curves_one_labelled_line_per_run(tmp_path):
    runs = {f"lr={lr}": 2.3 * np.exp(-lr * np.arange(50)) for lr in (0.01, 0.1, 1.0)}
    fig = plotting.plot_cost_curves(runs, title="cost", log_y=True, path=tmp_path / "cost.png")
    ax = fig.axes[0]
    assert len(ax.lines) == 3
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(runs)
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), np.arange(1, 51))
    np.testing.assert_allclose(ax.lines[2].get_ydata(), runs["lr=1.0"])
    assert ax.get_yscale() == "log" and ax.get_xlabel() == "iteration"
    assert_png(tmp_path / "cost.png")


def test_cost_curves_from_histories_are_labelled_by_learning_rate():
    h1 = history_of(loss=[1.0, 0.5, 0.25], lr=[0.5, 0.5, 0.5])
    h2 = history_of(loss=[1.0, 0.9], lr=[0.1, 0.05])
    h3 = history_of(loss=[2.0, 1.0])
    fig = plotting.plot_cost_curves([h1, h2, h3, ("custom", [4.0, 3.0])])
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert labels == ["lr=0.5", "lr=0.1..0.05", "run 3", "custom"]
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [1.0, 0.5, 0.25])
    fig = plotting.plot_cost_curves({"run": h1}, key="lr", ylabel="lr")
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), [0.5, 0.5, 0.5])


def test_cost_curves_single_run_and_existing_axes():
    fig, ax = plt.subplots()
    out = plotting.plot_cost_curves([3.0, 2.0, np.inf], ax=ax)
    assert out is fig and len(ax.lines) == 1 and ax.get_legend() is None
    sub_ax = plt.figure().subfigures(1, 2)[1].subplots()
    assert plotting.plot_cost_curves({"a": [1.0]}, ax=sub_ax) is sub_ax.figure.figure


@pytest.mark.parametrize(
    ("runs", "kwargs", "error", "match"),
    [
        ({}, {}, ValueError, "runs is empty"),
        ({"a": [[1.0, 2.0]]}, {}, ValueError, r"runs\['a'\] must be a 1-D sequence"),
        ({"a": []}, {}, ValueError, "is empty"),
        ({"a": [0.0, -1.0]}, {"log_y": True}, ValueError, "log_y=True needs positive costs"),
        ("costs", {}, TypeError, "runs must map labels to costs"),
        (None, {}, TypeError, "runs must map labels to costs"),
    ],
)
def test_cost_curves_bad_input(runs, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_cost_curves(runs, **kwargs)


def test_cost_curves_history_without_the_key():
    with pytest.raises(ValueError, match=r"runs\['h'\] has no 'val_loss' values; it records: loss"):
        plotting.plot_cost_curves({"h": history_of(loss=[1.0])}, key="val_loss")


def test_cost_curves_rejects_non_axes():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plotting.plot_cost_curves({"a": [1.0]}, ax="left")


# ---------------------------------------------------------------------------------- history
def test_history_panel_per_metric_with_train_and_validation(tmp_path):
    h = history_of(
        loss=[1.0, 0.6, 0.4],
        accuracy=[0.5, 0.7, 0.8],
        val_loss=[1.1, 0.8, 0.7],
        val_accuracy=[0.4, 0.6, 0.7],
        lr=[0.1, 0.1, 0.1],
    )
    fig = plotting.plot_history(h, path=tmp_path / "history.png")
    assert [a.get_title() for a in fig.axes] == ["loss", "accuracy"]
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "validation"]
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), [0.4, 0.6, 0.7])
    assert_png(tmp_path / "history.png")
    fig = plotting.plot_history(h.history, metrics=["lr"])
    assert [a.get_title() for a in fig.axes] == ["loss", "lr"]
    assert len(fig.axes[1].lines) == 1


def test_history_from_real_fit():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] > 0).astype(int)
    model = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=2)], seed=0)
    model.compile(
        loss="categorical_crossentropy", optimizer=hg.optimizers.SGD(0.5), metrics=["accuracy"]
    )
    history = model.fit(X, y, epochs=5, validation_data=(X, y), verbose=0)
    fig = plotting.plot_history(history)
    assert [a.get_title() for a in fig.axes] == ["loss", "accuracy"]
    assert len(fig.axes[0].lines[0].get_ydata()) == 5


def test_history_bad_input():
    with pytest.raises(ValueError, match="metric 'f1' is not in the history"):
        plotting.plot_history({"loss": [1.0]}, metrics=["f1"])
    with pytest.raises(ValueError, match="history is empty"):
        plotting.plot_history({})
    with pytest.raises(TypeError, match="history must be a History"):
        plotting.plot_history([1.0, 2.0])


# ------------------------------------------------------------------------ decision boundary
def _linear_softmax_model():
    """Two classes split by the vertical line x1 = 0: class 0 on the right."""
    model = hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=2)], seed=0, dtype="float64")
    model.set_weights([np.array([[4.0, -4.0], [0.0, 0.0]]), np.zeros(2)])
    return model


def test_decision_boundary_of_a_sequential_uses_its_predictions(tmp_path):
    X = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    y = np.array([1, 1, 0, 0])
    fig = plotting.plot_decision_boundary(
        _linear_softmax_model(),
        X,
        y,
        resolution=21,
        class_names=["right", "left"],
        path=tmp_path / "boundary.png",
    )
    ax = fig.axes[0]
    regions = np.asarray(ax.collections[0].get_array()).reshape(21, 21)
    # Grid x1 runs over [-1.2, 1.2]: columns left of 0 are class 1, right of 0 class 0.
    assert (regions[:, :10] == 1).all() and (regions[:, 11:] == 0).all()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["right", "left"]
    assert_png(tmp_path / "boundary.png")


def test_decision_boundary_multiclass_callable_and_one_hot_labels():
    centers = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])

    def nearest_center(points):
        return -((points[:, None, :] - centers[None]) ** 2).sum(axis=2)

    fig = plotting.plot_decision_boundary(nearest_center, centers, np.eye(3), resolution=30)
    ax = fig.axes[0]
    regions = np.asarray(ax.collections[0].get_array())
    assert set(np.unique(regions)) == {0, 1, 2}
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2"]
    assert len(ax.collections) == 4  # regions + one scatter per class


def test_decision_boundary_binary_threshold_and_probability_map(tmp_path):
    X = np.array([[-2.0, -1.0], [-1.0, -2.0], [2.0, 1.0], [1.0, 2.0]])
    y = np.array([[0], [0], [1], [1]])

    def sigmoid_unit(points):
        return hg.activations.sigmoid(points.sum(axis=1, keepdims=True))

    fig = plotting.plot_decision_boundary(sigmoid_unit, X, y, resolution=25)
    regions = np.asarray(fig.axes[0].collections[0].get_array()).reshape(25, 25)
    assert regions[0, 0] == 0 and regions[-1, -1] == 1
    fig = plotting.plot_decision_boundary(
        sigmoid_unit, X, y, resolution=25, probability=True, path=tmp_path / "p.png"
    )
    assert len(fig.axes) == 2  # the plot and its colorbar
    shaded = np.asarray(fig.axes[0].collections[0].get_array())
    assert 0 < shaded.min() < 0.5 < shaded.max() < 1
    assert_png(tmp_path / "p.png")


def test_decision_boundary_of_logistic_regression_baseline():
    # Logistic regression is one sigmoid unit trained with binary cross-entropy.
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 2))
    y = (X[:, 1] > 0).astype(int)
    model = hg.Sequential([hg.layers.Dense(1, "sigmoid", input_dim=2)], seed=0)
    model.compile(loss="binary_crossentropy", optimizer=hg.optimizers.SGD(1.0))
    model.fit(X, y, epochs=200, verbose=0)
    fig = plotting.plot_decision_boundary(model, X, y, resolution=20)
    regions = np.asarray(fig.axes[0].collections[0].get_array()).reshape(20, 20)
    assert (regions[0] == 0).all() and (regions[-1] == 1).all()  # bottom row 0, top row 1


@pytest.mark.parametrize(
    ("model", "X", "y", "kwargs", "error", "match"),
    [
        (np.sum, np.zeros((4, 3)), [0, 1, 0, 1], {}, ValueError, r"shape \(N, 2\)"),
        (np.sum, np.zeros(4), [0, 1, 0, 1], {}, ValueError, r"shape \(N, 2\)"),
        (np.sum, np.zeros((4, 2)), [0, 1, 0], {}, ValueError, "same length, got 4 and 3"),
        (np.sum, np.zeros((4, 2)), [0, -1, 0, 1], {}, ValueError, "labels must be >= 0"),
        (np.sum, np.zeros((4, 2)), [0.3, 1.5, 0, 1], {}, ValueError, "integer class labels"),
        ("model", np.zeros((4, 2)), None, {}, TypeError, "model must be a handgrad Sequential"),
        (lambda p: p[:3], np.zeros((4, 2)), None, {}, ValueError, "must map an"),
        (lambda p: p * np.nan, np.zeros((4, 2)), None, {}, ValueError, "NaN or inf"),
        (lambda p: p, np.zeros((4, 2)), None, {"resolution": 1}, ValueError, "at least 2"),
        (
            lambda p: p,
            np.zeros((4, 2)),
            [0, 1, 2, 1],
            {"class_names": ["a"]},
            ValueError,
            "class_names has 1 names",
        ),
    ],
)
def test_decision_boundary_bad_input(model, X, y, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_decision_boundary(model, X, y, **kwargs)


# ------------------------------------------------------------------------------ activations
def test_activations_panel_per_name_with_function_and_derivative():
    names = hg.activations.names()
    fig = plotting.plot_activations()
    assert [a.get_title().splitlines()[0] for a in fig.axes] == names
    z = np.linspace(-5, 5, 1001)
    sig = fig.axes[names.index("sigmoid")]
    g, dg = (line for line in sig.lines if line.get_label() in ("g(z)", "g'(z)"))
    np.testing.assert_allclose(g.get_ydata(), hg.activations.sigmoid(z))
    np.testing.assert_allclose(
        dg.get_ydata(), hg.activations.sigmoid(z) * (1 - hg.activations.sigmoid(z))
    )
    soft = fig.axes[names.index("softmax")]
    a, da = soft.lines[-2].get_ydata(), soft.lines[-1].get_ydata()
    np.testing.assert_allclose(a, hg.activations.sigmoid(z), atol=1e-12)
    np.testing.assert_allclose(da, a * (1 - a), atol=1e-12)


def test_activations_render(tmp_path):
    fig = plotting.plot_activations(["relu", "tanh", "softmax"], path=tmp_path / "act.png")
    assert len(fig.axes) == 3
    assert_png(tmp_path / "act.png")


def test_activations_bad_input():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        plotting.plot_activations(["relu", "swish"])
    with pytest.raises(ValueError, match="names is empty"):
        plotting.plot_activations([])
    with pytest.raises(ValueError, match="low < high"):
        plotting.plot_activations("relu", z_range=(1, -1))


# ---------------------------------------------------------------------------- weight images
def test_weight_images_one_tile_per_unit(tmp_path):
    W = np.random.default_rng(0).normal(size=(400, 25))
    fig = plotting.plot_weight_images(W, path=tmp_path / "w.png")
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 25
    np.testing.assert_array_equal(images[7].get_array(), W[:, 7].reshape(20, 20))
    assert images[7].get_clim() == (-np.abs(W[:, 7]).max(), np.abs(W[:, 7]).max())
    assert_png(tmp_path / "w.png")


def test_weight_images_from_dense_layer_and_column_major_order():
    layer = hg.layers.Dense(7, input_dim=64)
    layer.build((64,), np.random.default_rng(0), "float64")
    fig = plotting.plot_weight_images(layer, image_shape=None, ncols=4, order="F")
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 7 and len(fig.axes) == 7  # 2 rows of 4, the last slot empty
    W = layer.params["W"]
    np.testing.assert_array_equal(images[2].get_array(), W[:, 2].reshape((8, 8), order="F"))


def test_weight_images_bad_input():
    with pytest.raises(ValueError, match="is it built"):
        plotting.plot_weight_images(hg.layers.Dense(3))
    with pytest.raises(ValueError, match=r"image_shape \(20, 20\) holds 400 pixels but W has 64"):
        plotting.plot_weight_images(np.ones((64, 3)))
    with pytest.raises(ValueError, match=r"shape \(fan_in, units\)"):
        plotting.plot_weight_images(np.ones(400))
    with pytest.raises(ValueError, match="cannot infer the image shape from 10"):
        plotting.plot_weight_images(np.ones((10, 2)), image_shape=None)
    with pytest.raises(ValueError, match="order must be 'C'"):
        plotting.plot_weight_images(np.ones((4, 2)), image_shape=None, order="K")


# ------------------------------------------------------------------------- confusion matrix
def test_confusion_matrix_cells_are_the_counts(tmp_path):
    y_true = [0, 0, 1, 1, 1, 2, 2, 2, 2]
    y_pred = [0, 1, 1, 1, 2, 2, 2, 0, 2]
    fig = plotting.plot_confusion_matrix(
        y_true, y_pred, class_names=["a", "b", "c"], path=tmp_path / "cm.png"
    )
    ax = fig.axes[0]
    expected = hg.metrics.confusion_matrix(y_true, y_pred)
    assert [t.get_text() for t in ax.texts] == [str(v) for v in expected.ravel()]
    assert [t.get_text() for t in ax.texts] == ["1", "1", "0", "0", "2", "1", "1", "0", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_title() == "confusion matrix (accuracy 66.7%)"
    assert_png(tmp_path / "cm.png")


def test_confusion_matrix_normalized_rows_and_scores():
    scores = np.eye(3)[[0, 1, 1, 1]]
    fig = plotting.plot_confusion_matrix(
        [0, 0, 1, 1], scores, class_names=["a", "b", "c"], normalize=True
    )
    texts = [t.get_text() for t in fig.axes[0].texts]
    # Row 2 ("c") never occurs: it stays 0 instead of 0/0.
    assert texts == ["0.50", "0.50", "0.00", "0.00", "1.00", "0.00", "0.00", "0.00", "0.00"]
    fig = plotting.plot_confusion_matrix([0, 0, 1, 1], [0, 1, 1, 1], normalize="pred")
    assert [t.get_text() for t in fig.axes[0].texts] == ["1.00", "0.33", "0.00", "0.67"]


def test_confusion_matrix_bad_input():
    with pytest.raises(ValueError, match="same length, got 3 and 2"):
        plotting.plot_confusion_matrix([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="class_names has 2 names but the labels go up to 2"):
        plotting.plot_confusion_matrix([0, 1, 2], [0, 1, 1], class_names=["a", "b"])
    with pytest.raises(ValueError, match="normalize must be"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], normalize="rows")
    with pytest.raises(TypeError, match="class_names must be a list"):
        plotting.plot_confusion_matrix([0, 1], [0, 1], class_names="ab")


# --------------------------------------------------------------------------- digits grids
@pytest.mark.parametrize(
    ("shape", "image"),
    [
        ((6, 400), (20, 20)),
        ((6, 784), (28, 28)),
        ((6, 64), (8, 8)),
        ((6, 1, 5, 7), (5, 7)),
        ((6, 9, 4), (9, 4)),
        ((6, 36), (6, 6)),
    ],
)
def test_digits_infer_the_image_shape(shape, image):
    X = np.arange(np.prod(shape), dtype=float).reshape(shape)
    fig = plotting.plot_digits(X, n=4)
    assert len(fig.axes) == 4
    assert fig.axes[0].images[0].get_array().shape == image
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array().ravel(), X[1].ravel())


def test_digits_titles_with_labels_and_predictions(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.random((30, 64))
    y = np.arange(30) % 10
    pred = y.copy()
    pred[1] = 7
    fig = plotting.plot_digits(X, y, predictions=pred, n=25, path=tmp_path / "digits.png")
    assert len([a for a in fig.axes if a.images]) == 25
    assert [a.get_title() for a in fig.axes[:3]] == ["0 -> 0", "1 -> 7", "2 -> 2"]
    assert fig.axes[1].title.get_color() == _figure.WRONG
    assert_png(tmp_path / "digits.png")
    fig = plotting.plot_digits(X, y, n=3, class_names=[f"c{i}" for i in range(10)])
    assert [a.get_title() for a in fig.axes] == ["c0", "c1", "c2"]
    fig = plotting.plot_digits(X, predictions=np.eye(10)[y], n=2)
    assert [a.get_title() for a in fig.axes] == ["pred 0", "pred 1"]


def test_digits_random_sample_is_reproducible():
    X = np.random.default_rng(0).random((100, 64))
    y = np.arange(100)
    titles = [
        [a.get_title() for a in plotting.plot_digits(X, y, n=5, seed=3).axes] for _ in range(2)
    ]
    assert titles[0] == titles[1] and titles[0] != ["0", "1", "2", "3", "4"]


@pytest.mark.parametrize(
    ("X", "kwargs", "match"),
    [
        (np.ones((3, 10)), {}, "cannot infer the image shape from 10 features"),
        (np.ones((3, 64)), {"image_shape": (4, 4)}, r"holds 16 pixels but X has 64"),
        (np.ones((3, 64)), {"y": [1, 2]}, "X and y must have the same length, got 3 and 2"),
        (np.ones((3, 2, 4, 4)), {}, r"C = 1 or 3, got shape \(3, 2, 4, 4\)"),
        (np.ones((3, 64)), {"n": 0}, "n must be a positive int"),
    ],
)
def test_digits_bad_input(X, kwargs, match):
    with pytest.raises(ValueError, match=match):
        plotting.plot_digits(X, **kwargs)


def test_misclassified_shows_only_the_errors(tmp_path):
    X = np.random.default_rng(0).random((10, 400))
    y_true = np.arange(10)
    y_pred = y_true.copy()
    y_pred[[2, 5, 9]] = [3, 1, 4]
    fig = plotting.plot_misclassified(X, y_true, y_pred, path=tmp_path / "mis.png")
    assert [a.get_title() for a in fig.axes] == ["2 -> 3", "5 -> 1", "9 -> 4"]
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), X[5].reshape(20, 20))
    assert fig.get_suptitle() == "3 of 10 misclassified"
    assert_png(tmp_path / "mis.png")
    fig = plotting.plot_misclassified(X, y_true, np.eye(10)[y_pred], n=2)
    assert fig.get_suptitle() == "3 of 10 misclassified (first 2 shown)"
    fig = plotting.plot_misclassified(X, y_true, y_true)
    assert fig.axes[0].texts[0].get_text() == "0 of 10 misclassified"


def test_misclassified_bad_input():
    with pytest.raises(ValueError, match="y_true and y_pred must have the same length"):
        plotting.plot_misclassified(np.ones((3, 64)), [0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="X and y_true must have the same length"):
        plotting.plot_misclassified(np.ones((2, 64)), [0, 1, 2], [0, 1, 1])


# -------------------------------------------------------------------------------- LR finder
def test_lr_finder_log_axis_and_marker(tmp_path):
    rates = np.logspace(-4, 1, 30)
    losses = 2.3 - np.tanh(np.log10(rates) + 2) + np.where(rates > 3, 100.0, 0.0)
    fig = plotting.plot_lr_finder(rates, losses, suggestion=0.011, path=tmp_path / "lr.png")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    marker = ax.lines[-1]
    nearest = np.argmin(np.abs(np.log(rates) - np.log(0.011)))
    assert marker.get_xdata()[0] == 0.011 and marker.get_ydata()[0] == losses[nearest]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "loss",
        "suggested lr = 0.011",
    ]
    assert ax.get_ylim()[1] == pytest.approx(2 * losses[0])  # the diverging tail is clipped
    assert_png(tmp_path / "lr.png")


def test_lr_finder_accepts_result_objects_and_dicts():
    result = SimpleNamespace(rates=[1e-3, 1e-2, 1e-1], losses=[2.0, 1.0, 3.0], suggestion=1e-2)
    for source in (result, vars(result)):
        ax = plotting.plot_lr_finder(source).axes[0]
        np.testing.assert_allclose(ax.lines[0].get_ydata(), [2.0, 1.0, 3.0])
        assert ax.lines[-1].get_xdata()[0] == 1e-2
    ax = plotting.plot_lr_finder(result, suggestion=1e-1).axes[0]
    assert ax.lines[-1].get_ydata()[0] == 3.0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        (([1e-3, 1e-2],), {}, TypeError, "needs rates and losses"),
        (([1e-3, 1e-2], [1.0]), {}, ValueError, "same length, got 2 and 1"),
        (([0.0, 1e-2], [1.0, 2.0]), {}, ValueError, "rates must all be positive"),
        (([1e-3, 1e-2], [np.nan, np.inf]), {}, ValueError, "no finite value"),
        (([1e-3, 1e-2], [1.0, 2.0]), {"suggestion": -1.0}, ValueError, "positive finite rate"),
        (([1e-3, 1e-2], [1.0, 2.0]), {"suggestion": "1e-3"}, TypeError, "must be a number"),
        (({"rates": [1e-3]},), {}, ValueError, "has no losses"),
    ],
)
def test_lr_finder_bad_input(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_lr_finder(*args, **kwargs)


# ------------------------------------------------------------------ hyperparameter search
TRIALS = [
    {"number": 1, "state": "pruned", "score": 0.7, "params": {"lr": 1e-4, "hidden": [8]}},
    {"number": 0, "state": "complete", "score": 0.5, "params": {"lr": 1e-1, "hidden": [8]}},
    {"number": 2, "state": "diverged", "score": None, "params": {"lr": 1.0, "hidden": [4]}},
    {"number": 3, "state": "complete", "score": 0.4, "params": {"lr": 1e-2, "hidden": [4]}},
]


def test_search_plots_draw_plain_trial_records():
    data = plotting.SearchTrials(TRIALS, monitor="val_loss", mode="min", log_params={"lr"})
    ax = plotting.plot_search_history(data).axes[0]
    assert ax.get_ylabel() == "val_loss" and ax.get_title() == "best val_loss 0.4 (trial 3)"
    best = next(line for line in ax.lines if line.get_label() == "best so far")
    assert list(best.get_xdata()) == [0, 1, 2, 3] and list(best.get_ydata()) == [0.5, 0.5, 0.5, 0.4]
    fig = plotting.plot_search_params(data)
    assert [a.get_xlabel() for a in fig.axes] == ["lr", "hidden"]
    assert [a.get_xscale() for a in fig.axes] == ["log", "linear"]
    assert [t.get_text() for t in fig.axes[1].get_xticklabels()] == ["[8]", "[4]"]
    # A bare list of records: the score is called "score", the mode must be given.
    assert plotting.plot_search_history(TRIALS, mode="max").axes[0].get_ylabel() == "score"
    assert plotting.plot_search_params(TRIALS, mode="max").axes[0].get_xscale() == "linear"


class _FakeSearch:
    def __init__(self, trials):
        self.trials = trials

    def search_trials(self):
        return self.trials


@pytest.mark.parametrize(
    ("search", "kwargs", "error", "match"),
    [
        ([], {"mode": "min"}, ValueError, "no results yet"),
        (TRIALS, {}, ValueError, "mode must be 'min' or 'max'"),
        ([{"number": 0}], {"mode": "min"}, ValueError, r"results\[0\] must be a dict with"),
        ({"number": 0}, {"mode": "min"}, TypeError, "search_trials\\(\\) method"),
        (_FakeSearch(TRIALS), {}, TypeError, r"search_trials\(\) must return a SearchTrials"),
    ],
)
def test_search_plots_bad_input(search, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_search_history(search, **kwargs)


def test_plotting_imports_neither_tuning_nor_the_lr_finder():
    """The dependency runs one way: tuning and the LR finder hand plotting plain data."""
    package = Path(plotting.__file__).parent
    imported = set()
    for source in package.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                imported.add("." * node.level + (node.module or ""))
                imported.update("." * node.level + a.name for a in node.names if not node.module)
            elif isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
    assert imported, "no imports found: wrong folder?"
    for name in imported:
        assert not any(part in ("tuning", "lr_finder", "tools") for part in name.split(".")), name


@pytest.mark.parametrize("name", ["curves", "boundaries", "images", "lr", "search"])
def test_docstring_examples_run(name):
    module = importlib.import_module(f"handgrad.plotting.{name}")
    result = doctest.testmod(module, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0
