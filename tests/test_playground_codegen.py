"""Training in slices, and the generated code: run, it ends with the page's weights exactly."""

import threading
import time

import numpy as np
import pytest

from handgrad.playground import codegen, features
from handgrad.playground.datasets import build, split_flags
from handgrad.playground.network import build as build_model
from handgrad.playground.spec import DataSpec, LayerSpec, ModelSpec, make_custom
from handgrad.playground.trainer import Run


class Recorder:
    """The publish callback of a run: keeps the snapshots, signals each one."""

    def __init__(self):
        self.snapshots = []
        self.event = threading.Event()

    def __call__(self, run, snapshot):
        self.snapshots.append(snapshot)
        self.event.set()

    def send(self, run, *command):
        """Send a command; later waits look only at the snapshots published after it."""
        self.mark = len(self.snapshots)
        run.command(*command)

    def wait_for(self, test, timeout=20.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            fresh = self.snapshots[getattr(self, "mark", 0) :]
            for snapshot in fresh:
                if test(snapshot):
                    return snapshot
            self.event.wait(0.05)
            self.event.clear()
        raise AssertionError(f"timed out; last snapshot status {self.snapshots[-1]['status']!r}")


FINISHED = ("done", "diverged", "error")


def train(data, spec, epochs_at_least, edits=()):
    """A run trained (in slices, with pauses and edits) to at least ``epochs_at_least``."""
    dataset = build(data)
    recorder = Recorder()
    run = Run(0, spec, dataset, recorder)
    try:
        recorder.wait_for(lambda s: True)
        for count, (at, layer, source, target, value) in enumerate(edits, start=1):
            recorder.send(run, "play")
            recorder.wait_for(lambda s, at=at: s["epoch"] >= at)
            recorder.send(run, "pause")
            recorder.wait_for(lambda s: s["status"] == "paused")
            index = run.layout.dense[layer]
            key, where = ("b", (target,)) if source < 0 else ("W", (source, target))
            recorder.send(run, "edit", index, key, where, value)
            recorder.wait_for(lambda s, count=count: s["edits"] == count)
        recorder.send(run, "play")
        recorder.wait_for(lambda s: s["epoch"] >= epochs_at_least or s["status"] in FINISHED)
        recorder.send(run, "pause")
        recorder.wait_for(lambda s: s["status"] != "training")
    finally:
        run.close()
        run.join(5)
    return run, dataset, recorder


def reproduce(run, dataset, data, spec):
    code = codegen.python_code(
        data,
        spec,
        dataset.n_classes,
        len(dataset.x_train),
        len(dataset.x_test),
        run.epoch,
        run.edits,
    )
    compile(code, "generated.py", "exec")  # it is valid Python
    namespace = {"__name__": "generated"}
    exec(compile(code, "generated.py", "exec"), namespace)
    return code, namespace["model"]


def same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(np.array_equal(x, y) for x, y in zip(wa, wb, strict=True))


def test_features_expressions_match_the_functions():
    X = np.random.default_rng(0).normal(size=(50, 2)).astype(np.float32)
    names = list(features.FEATURES)
    namespace = {"np": np, "X": X}
    expected = eval(features.expression(names), namespace)  # the generated code's text
    got = features.feature_matrix(X, names)
    assert got.dtype == np.float32 and np.array_equal(got, expected)


def test_fit_in_slices_equals_one_fit():
    data = DataSpec(dataset="moons", points=400)
    dataset = build(data)
    spec = ModelSpec(layers=(LayerSpec(6, "relu", dropout=0.2, batchnorm=True),), batch_size=16)
    whole = build_model(spec, "classification", 2)
    whole.fit(dataset.x_train, dataset.y_train, epochs=12, batch_size=16, verbose=0)
    sliced = build_model(spec, "classification", 2)
    for start, stop in [(0, 5), (5, 6), (6, 12)]:
        sliced.fit(
            dataset.x_train,
            dataset.y_train,
            epochs=stop,
            initial_epoch=start,
            batch_size=16,
            verbose=0,
        )
    assert same_weights(whole, sliced)


def test_generated_code_reproduces_a_run_with_edits_batchnorm_dropout_and_a_schedule():
    data = DataSpec(dataset="spiral", classes=3, noise=0.2, points=450)
    spec = ModelSpec(
        features=("x1", "x2", "sin(x1)"),
        layers=(
            LayerSpec(8, "relu", batchnorm=True, dropout=0.1),
            LayerSpec(5, "tanh", "glorot_normal"),
        ),
        regularization="L2",
        regularization_rate=0.001,
        schedule="exponential",
        schedule_value=0.99,
        batch_size=16,
        seed=7,
    )
    run, dataset, recorder = train(
        data, spec, 60, edits=[(20, 1, 2, 3, 0.75), (30, 2, -1, 1, -0.5)]
    )
    assert len(run.edits) == 2 and run.edits[0].epoch >= 20
    code, model = reproduce(run, dataset, data, spec)
    assert 'model.layers[4].params["W"][2, 3] = 0.75' in code
    assert code.count("model.fit(") == 3
    assert same_weights(model, run.model)
    # The page's readouts are the model's numbers.
    last = recorder.snapshots[-1]
    assert last["metrics"]["test_accuracy"] == pytest.approx(
        model.evaluate(features.feature_matrix(dataset.x_test, spec.features), dataset.y_test)[
            "accuracy"
        ]
    )


def test_generated_code_reproduces_xor_and_a_regression():
    for data, spec in [
        (
            DataSpec(dataset="xor", noise=0.05, points=300, train_percent=50, seed=4),
            ModelSpec(
                features=("x1", "x2", "x1x2"),
                layers=(LayerSpec(3, "sigmoid"),),
                optimizer="momentum",
            ),
        ),
        (
            DataSpec(problem="regression", dataset="gauss", points=300),
            ModelSpec(
                layers=(LayerSpec(6, "elu"),), optimizer="rmsprop", learning_rate=0.01, batch_size=0
            ),
        ),
    ]:
        run, dataset, _ = train(data, spec, 25)
        _, model = reproduce(run, dataset, data, spec)
        assert same_weights(model, run.model), data


def test_generated_code_reproduces_custom_points():
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, size=(120, 2)).astype(np.float32)
    y = ((x[:, 0] > 0) + (x[:, 1] > 0.3)).astype(np.float32)
    custom = make_custom(x, y, split_flags(x, y, "classification", 80, 0))
    data = DataSpec(dataset="custom", custom=custom)
    spec = ModelSpec(
        layers=(LayerSpec(5, "leaky_relu", "he_normal"),), optimizer="sgd", momentum=0.9
    )
    run, dataset, _ = train(data, spec, 15)
    code, model = reproduce(run, dataset, data, spec)
    assert "X_train = np.array([" in code
    assert same_weights(model, run.model)


def test_stop_conditions_and_divergence():
    data = DataSpec(dataset="moons", points=200)
    run, _, recorder = train(data, ModelSpec(max_epochs=7), 1000)
    assert run.epoch == 7 and recorder.snapshots[-1]["stop_reason"] == "epoch limit reached"
    run, _, recorder = train(data, ModelSpec(target_loss=0.3, learning_rate=0.1), 100000)
    assert recorder.snapshots[-1]["stop_reason"] == "target loss reached"
    assert run.curves["loss"][-1] <= 0.3 < min(run.curves["loss"][:-1])
    # Warnings are errors under pytest: fit stops by raising DivergenceWarning, and the run
    # puts back the last finite epoch's weights itself.
    run, _, recorder = train(data, WILD, 200)
    last = recorder.snapshots[-1]
    assert last["status"] == "diverged" and last["stop_reason"].startswith("the loss became")
    assert all(np.isfinite(w).all() for w in run.model.get_weights())
    assert [f["code"] for f in last["doctor"]][:1] == ["loss_diverging"]


WILD = ModelSpec(
    features=("x1", "x2", "x1^2"),
    layers=(LayerSpec(8, "linear"),) * 2,
    optimizer="sgd",
    learning_rate=10.0,
    momentum=0.99,
    batch_size=0,
)


@pytest.mark.filterwarnings("ignore::handgrad.DivergenceWarning")
def test_divergence_when_warnings_are_only_warnings():
    run, _, recorder = train(DataSpec(dataset="moons", points=200), WILD, 200)
    assert recorder.snapshots[-1]["status"] == "diverged"
    assert all(np.isfinite(w).all() for w in run.model.get_weights())


def test_the_doctor_reports_dead_relus_and_saturated_sigmoids():
    data = DataSpec(dataset="moons", points=200)
    dead = ModelSpec(
        features=("x1", "x2", "x1^2"),
        layers=(LayerSpec(8, "relu"),) * 3,
        optimizer="sgd",
        learning_rate=10.0,
        momentum=0.99,
        batch_size=0,
    )
    _, _, recorder = train(data, dead, 60)
    assert "dead_relu" in [f["code"] for f in recorder.snapshots[-1]["doctor"]]
    saturated = ModelSpec(
        layers=(LayerSpec(16, "sigmoid", "ones"), LayerSpec(4, "sigmoid", "ones")),
        optimizer="sgd",
        learning_rate=0.001,
        batch_size=0,
    )
    _, _, recorder = train(data, saturated, 30)
    findings = recorder.snapshots[-1]["doctor"]
    assert "saturated_units" in [f["code"] for f in findings], findings
