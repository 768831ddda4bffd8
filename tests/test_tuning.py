"""Tests for handgrad.tuning: search spaces, the three strategies, pruning, parallel trials,
resume from storage, the results table, plots and ``handgrad tune``."""

from __future__ import annotations

import csv
import doctest
import importlib
import json
import subprocess
import sys

import numpy as np
import pytest

import handgrad as hg
from handgrad.cli import main
from handgrad.tuning import (
    BayesianSearch,
    Choice,
    FloatRange,
    GridSearch,
    IntRange,
    MedianPruner,
    RandomSearch,
    read_spec,
    space_from_spec,
)

TEMPLATE = {"hidden": [8], "activation": "tanh", "optimizer": "adam"}
# 0.05 trains a 2-8-2 tanh network on the moons in a few epochs; 1e-5 leaves it near chance.
GOOD_AND_BAD = {"learning_rate": Choice([0.05, 0.02, 1e-5]), "hidden": Choice([[8], [16]])}


@pytest.fixture(scope="module")
def moons():
    (X, y), (X_test, y_test) = hg.datasets.moons(n_samples=300)
    return X, y, X_test, y_test


def strip_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


# Module-level build functions: picklable, so they also run in worker processes.
def build_moons(params, seed):
    model = hg.Sequential(
        [
            hg.layers.Dense(params.get("units", 8), "tanh", input_dim=2),
            hg.layers.Dense(2, "softmax"),
        ],
        seed=seed,
    )
    model.compile(
        "categorical_crossentropy",
        hg.optimizers.Adam(params["learning_rate"]),
        metrics=["accuracy"],
    )
    return model


CALLS: list[float] = []
INTERRUPT_AT: list[int] = []  # raise KeyboardInterrupt on this call number (1-based)


def counting_build(params, seed):
    CALLS.append(params["learning_rate"])
    if INTERRUPT_AT and len(CALLS) == INTERRUPT_AT[0]:
        raise KeyboardInterrupt
    return build_moons(params, seed)


@pytest.fixture
def calls():
    CALLS.clear()
    INTERRUPT_AT.clear()
    yield CALLS
    CALLS.clear()
    INTERRUPT_AT.clear()


# ------------------------------------------------------------------------------ the space
def test_space_from_spec_reads_every_kind_and_round_trips():
    spec = {
        "learning_rate": {"float": [1e-4, 1e-1], "log": True},
        "hidden": {"choice": [[32], [64, 32]]},
        "units": {"int": [8, 64], "step": 8},
        "activation": ["tanh", "relu"],
    }
    space = space_from_spec(spec)
    assert space["learning_rate"] == FloatRange(1e-4, 0.1, log=True)
    assert space["hidden"] == Choice([[32], [64, 32]])
    assert space["units"] == IntRange(8, 64, step=8)
    assert space["activation"] == Choice(["tanh", "relu"])
    assert space_from_spec({k: d.to_spec() for k, d in space.items()}) == space
    assert Choice([(1, 2), 3]).values == [[1, 2], 3]  # tuples stored as JSON lists


def test_read_spec_json_and_yaml_agree(tmp_path):
    spec = {"learning_rate": {"float": [1e-4, 0.1], "log": True}, "hidden": [[8], [16, 8]]}
    (tmp_path / "s.json").write_text(json.dumps(spec))
    (tmp_path / "s.yaml").write_text(
        "learning_rate: {float: [1.0e-4, 0.1], log: true}\nhidden:\n  - [8]\n  - [16, 8]\n"
    )
    assert read_spec(tmp_path / "s.json") == read_spec(tmp_path / "s.yaml") == spec


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ([], TypeError, "must be a dict of parameter name"),
        ({}, ValueError, "search space is empty"),
        ({"lr": 0.1}, TypeError, r"space\['lr'\]: must be a dimension.*fixed settings belong"),
        ({"lr": {"flaot": [0, 1]}}, ValueError, r"space\['lr'\]: must have exactly one of"),
        ({"lr": {"float": [0.1]}}, ValueError, r"'float' must be \[low, high\], got \[0.1\]"),
        ({"lr": {"float": [0.1, 1e-4]}}, ValueError, "needs low < high, got low=0.1"),
        ({"lr": {"float": [0, 1], "log": True}}, ValueError, "log FloatRange needs low > 0"),
        ({"lr": {"float": [0, 1], "step": 0.1}}, ValueError, r"unknown key\(s\) \['step'\]"),
        ({"lr": {"float": ["1e-4", 0.1]}}, TypeError, "write 1.0e-4"),
        ({"lr": {"float": [0, 1], "log": "yes"}}, TypeError, "log must be true or false"),
        ({"n": {"int": [1, 10], "step": 4}}, ValueError, "multiple of step"),
        ({"n": {"int": [1.5, 10]}}, TypeError, "IntRange low must be an int, got 1.5"),
        ({"n": {"int": [0, 10], "log": True}}, ValueError, "log IntRange needs low >= 1"),
        ({"a": {"choice": []}}, ValueError, "at least one value"),
        ({"a": {"choice": [1, 1]}}, ValueError, "distinct; 1 appears twice"),
        ({"a": [{1, 2}]}, TypeError, "must be JSON data"),
        ({3: [1, 2]}, TypeError, "names must be non-empty strings"),
    ],
)
def test_malformed_space_is_refused(spec, error, match):
    with pytest.raises(error, match=match):
        space_from_spec(spec)


def test_read_spec_refuses_malformed_files(tmp_path):
    (tmp_path / "bad.json").write_text('{"lr": {"float": [0.1, ')
    (tmp_path / "bad.yaml").write_text("lr: {float: [0.1, 1]\n")
    (tmp_path / "s.toml").write_text("lr = 1")
    with pytest.raises(ValueError, match="is not valid JSON"):
        read_spec(tmp_path / "bad.json")
    with pytest.raises(ValueError, match="is not valid YAML"):
        read_spec(tmp_path / "bad.yaml")
    with pytest.raises(ValueError, match=r"expected a .json, .yaml or .yml file, got '.toml'"):
        read_spec(tmp_path / "s.toml")
    with pytest.raises(FileNotFoundError, match="no search space file"):
        read_spec(tmp_path / "missing.json")


def test_grid_values_of_each_dimension():
    assert FloatRange(1e-4, 1e-1, log=True).grid(4) == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])
    assert FloatRange(0.0, 0.5).grid(3) == [0.0, 0.25, 0.5]
    assert IntRange(8, 64, step=8).grid(3) == [8, 40, 64]
    assert IntRange(1, 3).grid(5) == [1, 2, 3]
    assert IntRange(1, 1000, log=True).grid(4) == [1, 10, 100, 1000]
    assert Choice(["a", "b", "c"]).grid(2) == ["a", "b", "c"]


def test_log_ranges_sample_every_decade_equally():
    rng = np.random.default_rng(0)
    lr = np.array([FloatRange(1e-4, 1.0, log=True).sample(rng) for _ in range(4000)])
    decades = np.histogram(np.log10(lr), bins=[-4, -3, -2, -1, 0])[0] / len(lr)
    assert np.abs(decades - 0.25).max() < 0.03
    units = [IntRange(1, 1000, log=True).sample(rng) for _ in range(4000)]
    assert min(units) >= 1 and max(units) <= 1000 and all(isinstance(u, int) for u in units)
    assert 20 < np.median(units) < 45  # sqrt(1000) = 31.6; uniform draws would give ~500
    assert set(IntRange(8, 64, step=8).sample(rng) for _ in range(400)) == set(range(8, 65, 8))


# --------------------------------------------------------------------- the three strategies
def test_grid_search_finds_a_good_configuration(moons):
    X, y, X_test, y_test = moons
    search = GridSearch(TEMPLATE, GOOD_AND_BAD, pruner=None)
    search.search(X, y, validation_data=(X_test, y_test), epochs=20, monitor="val_accuracy")
    assert [r["number"] for r in search.results_] == list(range(6))
    assert [r["params"] for r in search.results_[:2]] == [
        {"learning_rate": 0.05, "hidden": [8]},
        {"learning_rate": 0.05, "hidden": [16]},
    ]
    assert search.best_params_["learning_rate"] == 0.05
    assert search.best_score_ >= 0.97
    bad = [r["score"] for r in search.results_ if r["params"]["learning_rate"] == 1e-5]
    assert max(bad) <= search.best_score_ - 0.15  # an untrained network already gets ~0.8
    assert all(r["state"] == "complete" and r["epochs"] == 20 for r in search.results_)
    # Retraining the best configuration with its seed reproduces its score exactly.
    assert search.best_model_.evaluate(X_test, y_test)["accuracy"] == search.best_score_


def test_random_search_finds_a_good_configuration(moons):
    X, y, _, _ = moons
    space = {"learning_rate": FloatRange(1e-5, 0.3, log=True), "units": IntRange(2, 16)}
    search = RandomSearch({"activation": "tanh"}, space, seed=0, pruner=None)
    search.search(X, y, epochs=20, n_trials=8, monitor="val_loss")
    assert len(search.results_) == 8
    assert min(r["params"]["learning_rate"] for r in search.results_) < 1e-3  # bad ones drawn
    assert search.best_params_["learning_rate"] > 0.01
    assert search.best_score_ < 0.05
    assert search.best_score_ == min(r["score"] for r in search.results_)
    assert search.best_model_.history.history["val_loss"][-1] == search.best_score_
    assert search.best_model_.history.history["val_accuracy"][-1] >= 0.95
    again = RandomSearch({"activation": "tanh"}, space, seed=0, pruner=None)
    again.search(X, y, epochs=20, n_trials=8, monitor="val_loss", refit=False)
    assert strip_seconds(again.results_) == strip_seconds(search.results_)


def test_bayesian_search_finds_a_good_configuration_and_prunes(moons):
    X, y, X_test, y_test = moons
    space = {"learning_rate": FloatRange(1e-5, 0.1, log=True), "hidden": Choice([[8], [4, 4]])}
    kwargs = dict(seed=0, n_startup_trials=4, pruner=MedianPruner(3, 2))
    search = BayesianSearch(TEMPLATE, space, **kwargs)
    search.search(
        X, y, validation_data=(X_test, y_test), epochs=20, n_trials=10, monitor="val_accuracy"
    )
    assert len(search.results_) == len(search.study_.trials) == 10
    assert search.best_score_ >= 0.95
    assert search.best_model_.evaluate(X_test, y_test)["accuracy"] == search.best_score_
    pruned = [r for r in search.results_ if r["state"] == "pruned"]
    assert pruned and all(r["epochs"] < 20 for r in pruned)
    assert {t.state.name for t in search.study_.trials} == {"COMPLETE", "PRUNED"}
    again = BayesianSearch(TEMPLATE, space, **kwargs)
    again.search(
        X,
        y,
        validation_data=(X_test, y_test),
        epochs=20,
        n_trials=10,
        monitor="val_accuracy",
        refit=False,
    )
    assert strip_seconds(again.results_) == strip_seconds(search.results_)  # seeded TPE


def test_median_pruning_stops_an_obviously_bad_trial(moons):
    X, y, _, _ = moons
    space = {"learning_rate": Choice([0.05, 0.04, 0.03, 1e-5])}
    search = GridSearch(TEMPLATE, space, pruner=MedianPruner(n_startup_trials=3, n_warmup_epochs=2))
    search.search(X, y, epochs=20, monitor="val_accuracy")
    states = [(r["state"], r["epochs"]) for r in search.results_]
    assert states[:3] == [("complete", 20)] * 3  # the startup trials always finish
    assert states[3] == ("pruned", 3)  # first checked after epoch 3 (warm-up: 2 epochs)
    assert search.best_params_ != {"learning_rate": 1e-5}
    unpruned = GridSearch(TEMPLATE, space, pruner=None).search(
        X, y, epochs=20, monitor="val_accuracy"
    )
    assert unpruned.results_[3]["epochs"] == 20
    # Pruning changes only how long the bad trial trains: its first epochs are the same.
    assert unpruned.results_[3]["curve"][:3] == search.results_[3]["curve"]


def test_two_processes_give_the_same_table_as_one(moons):
    X, y, _, _ = moons
    space = {"units": Choice([4, 8]), "learning_rate": Choice([0.05, 0.01, 1e-5])}
    pruner = MedianPruner(n_startup_trials=2, n_warmup_epochs=2)
    one = GridSearch(build_moons, space, pruner=pruner).search(
        X, y, epochs=15, monitor="val_accuracy", refit=False
    )
    two = GridSearch(build_moons, space, pruner=pruner).search(
        X, y, epochs=15, monitor="val_accuracy", n_jobs=2
    )
    assert strip_seconds(two.results_) == strip_seconds(one.results_)
    assert any(r["state"] == "pruned" for r in one.results_)
    assert two.best_model_.history.history["val_accuracy"][-1] == two.best_score_


def test_bayesian_search_in_two_processes(moons):
    pytest.importorskip("optuna")
    X, y, X_test, y_test = moons
    space = {"learning_rate": FloatRange(1e-3, 0.1, log=True), "units": IntRange(4, 8)}
    search = BayesianSearch(build_moons, space, n_startup_trials=2)
    search.search(
        X,
        y,
        validation_data=(X_test, y_test),
        epochs=10,
        n_trials=4,
        n_jobs=2,
        monitor="val_accuracy",
    )
    assert [r["number"] for r in search.results_] == [0, 1, 2, 3]
    assert len({r["seed"] for r in search.results_}) == 4
    assert len({json.dumps(r["params"]) for r in search.results_}) == 4  # workers draw apart
    assert len(search.study_.trials) == 4  # still readable: copied out of the temporary file
    assert search.best_model_.evaluate(X_test, y_test)["accuracy"] == search.best_score_


def test_diverging_trials_are_recorded_not_raised(moons):
    X, y, _, _ = moons
    template = {"hidden": [8], "activation": "relu", "optimizer": "sgd"}
    search = GridSearch(template, {"learning_rate": [0.5, 1e9]}, pruner=None)
    search.search(X, y, epochs=10, monitor="val_loss")  # no DivergenceWarning escapes
    good, bad = search.results_
    assert (good["state"], good["epochs"]) == ("complete", 10)
    assert (bad["state"], bad["score"], bad["epochs"]) == ("diverged", None, 0)
    assert search.best_params_ == {"learning_rate": 0.5}


def test_ctrl_c_inside_fit_stops_the_search(moons, monkeypatch, tmp_path):
    X, y, _, _ = moons
    real_run_epoch = hg.Sequential._run_epoch
    epochs_run = []

    def run_epoch(self, *args, **kwargs):
        epochs_run.append(1)
        if len(epochs_run) == 7:  # 2nd trial, 2nd epoch: fit catches it and returns
            raise KeyboardInterrupt
        return real_run_epoch(self, *args, **kwargs)

    monkeypatch.setattr(hg.Sequential, "_run_epoch", run_epoch)
    search = GridSearch(TEMPLATE, {"learning_rate": [0.05, 0.01]}, storage=tmp_path / "s.jsonl")
    with pytest.raises(KeyboardInterrupt):
        search.search(X, y, epochs=5)
    assert [r["number"] for r in search.results_] == [0]
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 2


# ------------------------------------------------------------------------------- resume
def test_interrupted_random_search_resumes_without_repeating_trials(moons, calls, tmp_path):
    X, y, _, _ = moons
    storage = tmp_path / "search.jsonl"
    space = {"learning_rate": FloatRange(1e-3, 0.1, log=True)}
    settings = dict(epochs=10, n_trials=6, monitor="val_accuracy")
    INTERRUPT_AT.append(4)  # Ctrl-C while building the 4th trial
    first = RandomSearch(counting_build, space, seed=5, storage=storage)
    with pytest.raises(KeyboardInterrupt):
        first.search(X, y, **settings)
    assert [r["number"] for r in first.results_] == [0, 1, 2]
    assert len(storage.read_text().splitlines()) == 1 + 3  # header and three trials
    tried = list(calls)
    calls.clear()
    INTERRUPT_AT.clear()
    resumed = RandomSearch(counting_build, space, seed=5, storage=storage).search(X, y, **settings)
    assert [r["number"] for r in resumed.results_] == list(range(6))
    assert calls[:3] == [r["params"]["learning_rate"] for r in resumed.results_[3:]]
    assert calls[3:] == [resumed.best_params_["learning_rate"]]  # the refit
    assert tried[3] == calls[0]  # the interrupted trial ran again, the finished ones did not
    assert not set(tried[:3]) & set(calls[:3])
    straight = RandomSearch(build_moons, space, seed=5).search(X, y, refit=False, **settings)
    assert strip_seconds(resumed.results_) == strip_seconds(straight.results_)


def test_grid_search_resumes_to_more_trials_and_checks_the_storage(moons, calls, tmp_path):
    X, y, _, _ = moons
    storage = tmp_path / "grid.jsonl"
    space = {"learning_rate": Choice([0.05, 0.03, 0.01, 0.005, 0.002, 1e-4])}
    GridSearch(counting_build, space, storage=storage).search(
        X, y, epochs=5, n_trials=3, refit=False
    )
    assert calls == [0.05, 0.03, 0.01]
    with open(storage, "a") as f:
        f.write('{"number": 3, "state": "compl')  # a write cut short by a crash
    calls.clear()
    search = GridSearch(counting_build, space, storage=storage)
    search.search(X, y, epochs=5, n_trials=6, refit=False)
    assert calls == [0.005, 0.002, 1e-4]
    assert [r["number"] for r in search.results_] == list(range(6))
    assert len(storage.read_text().splitlines()) == 7
    other = {"learning_rate": Choice([0.05, 0.01])}
    with pytest.raises(ValueError, match=r"holds a different search \(space: stored"):
        GridSearch(counting_build, other, storage=storage).search(X, y, epochs=5)
    with pytest.raises(ValueError, match=r"holds a different search \(epochs: stored 5, now 6"):
        GridSearch(counting_build, space, storage=storage).search(X, y, epochs=6)
    lines = storage.read_text().splitlines()
    storage.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + "\n")
    with pytest.raises(ValueError, match="line 2 is malformed"):
        GridSearch(counting_build, space, storage=storage).search(X, y, epochs=5)
    storage.write_text("\n".join([lines[0], '{"number": 0}', *lines[1:]]) + "\n")
    with pytest.raises(ValueError, match=r"line 2 is not a trial row \(missing \['best_epoch'"):
        GridSearch(counting_build, space, storage=storage).search(X, y, epochs=5)


def test_bayesian_search_resumes_from_sqlite(moons, calls, tmp_path):
    pytest.importorskip("optuna")
    X, y, _, _ = moons
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    space = {"learning_rate": FloatRange(1e-3, 0.1, log=True)}
    settings = dict(epochs=4, n_trials=6, monitor="val_accuracy", refit=False)
    kwargs = dict(seed=2, storage=storage, n_startup_trials=2)
    first = BayesianSearch(counting_build, space, **kwargs)
    first.search(X, y, **{**settings, "n_trials": 3})
    assert len(calls) == 3
    INTERRUPT_AT.append(5)  # Ctrl-C in the 2nd trial of the next session
    with pytest.raises(KeyboardInterrupt):
        BayesianSearch(counting_build, space, **kwargs).search(X, y, **settings)
    # A trial left RUNNING by a killed process is marked failed when the search resumes.
    import optuna

    optuna.load_study(study_name="handgrad-search", storage=storage).ask()
    calls.clear()
    INTERRUPT_AT.clear()
    resumed = BayesianSearch(counting_build, space, **kwargs).search(X, y, **settings)
    assert len(calls) == 2  # 3 from the first session + 1 from the second are kept
    assert len(resumed.results_) == 6
    assert strip_seconds(resumed.results_[:3]) == strip_seconds(first.results_)
    states = [t.state.name for t in resumed.study_.trials]
    assert states.count("FAIL") == 2 and len(states) == 8
    with pytest.raises(
        ValueError,
        match=r"Optuna study 'handgrad-search' holds a different "
        r"search \(monitor",
    ):
        BayesianSearch(counting_build, space, **kwargs).search(
            X, y, **{**settings, "monitor": "val_loss"}
        )


# ---------------------------------------------------------------------- results and errors
def test_results_table_as_csv_dataframe_and_summary(moons, tmp_path, monkeypatch):
    X, y, _, _ = moons
    search = GridSearch(TEMPLATE, GOOD_AND_BAD, pruner=None).search(
        X, y, epochs=5, monitor="val_accuracy", refit=False
    )
    search.to_csv(tmp_path / "results.csv")
    with open(tmp_path / "results.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == [
        "number",
        "state",
        "score",
        "best_epoch",
        "epochs",
        "seconds",
        "seed",
        "params_learning_rate",
        "params_hidden",
    ]
    assert [float(r["score"]) for r in rows] == [r["score"] for r in search.results_]
    assert json.loads(rows[1]["params_hidden"]) == [16]
    assert [p.name for p in tmp_path.iterdir()] == ["results.csv"]  # no temporary file left
    pytest.importorskip("pandas")
    frame = search.to_dataframe()
    assert frame.shape == (6, 9) and list(frame["number"]) == list(range(6))
    text = search.summary(print_fn=None)
    assert text.splitlines()[0].split() == [
        "trial",
        "state",
        "val_accuracy",
        "epochs",
        "seconds",
        "learning_rate",
        "hidden",
    ]
    assert f"{search.best_trial_['number']}*" in text
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="to_dataframe\\(\\) needs pandas"):
        search.to_dataframe()


def build_without_seed(params):
    return build_moons(params, None)


def build_uncompiled(params, seed):
    return hg.Sequential([hg.layers.Dense(2, "softmax", input_dim=2)], seed=seed)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (
            lambda: GridSearch(lambda p: None, {"learning_rate": [0.1]}),
            TypeError,
            "build must return a handgrad Sequential, got NoneType",
        ),
        (
            lambda: GridSearch(build_uncompiled, {"learning_rate": [0.1]}),
            ValueError,
            "not compiled",
        ),
        (
            lambda: GridSearch(build_without_seed, {"learning_rate": [0.1]}),
            ValueError,
            "accept a seed argument",
        ),
        (
            lambda: GridSearch({"hiden": [8]}, {"learning_rate": [0.1]}),
            ValueError,
            r"unknown template setting\(s\) \['hiden'\]",
        ),
        (
            lambda: GridSearch(TEMPLATE, {"lr": [0.1]}),
            ValueError,
            r"parameter\(s\) \['lr'\] are not template settings",
        ),
        (
            lambda: GridSearch(TEMPLATE, {"activation": ["tanh", "swish"]}),
            ValueError,
            r"space\['activation'\] value 'swish': .*swish",
        ),
        (
            lambda: GridSearch(TEMPLATE, {"batch_size": [16, 0]}),
            ValueError,
            r"space\['batch_size'\] value 0: batch_size must be a positive int",
        ),
        (
            lambda: GridSearch(TEMPLATE, {"learning_rate": [0.1]}, pruner="mean"),
            ValueError,
            "pruner must be 'median', a MedianPruner or None",
        ),
        (lambda: GridSearch(42, {"learning_rate": [0.1]}), TypeError, "build must be a function"),
    ],
)
def test_bad_objectives_are_refused_with_clear_errors(moons, make, error, match):
    X, y, _, _ = moons
    with pytest.raises(error, match=match):
        make().search(X, y, epochs=2)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n_trials": 3}, ValueError, "n_trials=3 exceeds the 2 grid points"),
        ({"n_jobs": 0}, ValueError, "n_jobs .* must be a positive int, got 0"),
        ({"validation_split": 0.0}, ValueError, r"validation_split must be in \(0, 1\)"),
        ({"monitor": "val_auc"}, ValueError, "monitors 'val_auc', which is not in the epoch logs"),
        ({"mode": "best"}, ValueError, "mode must be 'auto', 'min' or 'max'"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
    ],
)
def test_bad_search_arguments_are_refused(moons, kwargs, error, match):
    X, y, _, _ = moons
    search = GridSearch(TEMPLATE, {"learning_rate": [0.05, 0.01]})
    with pytest.raises(error, match=match):
        search.search(X, y, **{"epochs": 2, **kwargs})


def test_parallel_search_needs_a_module_level_build(moons):
    X, y, _, _ = moons
    search = GridSearch(
        lambda params, seed: build_moons(params, seed), {"learning_rate": [0.05, 0.01]}
    )
    with pytest.raises(TypeError, match="build must be picklable: a module-level function"):
        search.search(X, y, epochs=2, n_jobs=2)


def test_import_handgrad_loads_no_optional_dependency():
    code = (
        "import sys, handgrad as hg; hg.tuning.GridSearch; "
        "print(sorted({'optuna', 'yaml', 'pandas', 'matplotlib'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_optuna_or_yaml_names_the_extra(moons, monkeypatch, tmp_path):
    X, y, _, _ = moons
    monkeypatch.setitem(sys.modules, "optuna", None)
    monkeypatch.setitem(sys.modules, "yaml", None)
    with pytest.raises(ImportError, match=r'BayesianSearch needs optuna.*"handgrad\[tune\]"'):
        BayesianSearch(TEMPLATE, {"learning_rate": [0.1]}).search(X, y)
    (tmp_path / "s.yaml").write_text("lr: [0.1]\n")
    with pytest.raises(ImportError, match=r'needs yaml.*"handgrad\[tune\]"'):
        read_spec(tmp_path / "s.yaml")


# ---------------------------------------------------------------------------------- plots
def test_search_plots(moons, tmp_path):
    plt = pytest.importorskip("matplotlib.pyplot")
    X, y, _, _ = moons
    space = {"learning_rate": FloatRange(1e-5, 0.1, log=True), "hidden": Choice([[8], [4, 4]])}
    search = RandomSearch(TEMPLATE, space, pruner=MedianPruner(2, 1)).search(
        X, y, epochs=8, n_trials=6, monitor="val_accuracy", refit=False
    )
    fig = search.plot_history(path=tmp_path / "history.png")
    ax = fig.axes[0]
    markers = [line for line in ax.lines if line.get_linestyle() == "None"]
    assert sum(len(line.get_xdata()) for line in markers) == 6
    best_line = next(line for line in ax.lines if line.get_label() == "best so far")
    assert best_line.get_ydata()[-1] == search.best_score_
    fig2 = search.plot_params(path=tmp_path / "params.png")
    assert [a.get_xlabel() for a in fig2.axes] == ["learning_rate", "hidden"]
    assert fig2.axes[0].get_xscale() == "log"
    assert [t.get_text() for t in fig2.axes[1].get_xticklabels()] == sorted(
        {json.dumps(r["params"]["hidden"]) for r in search.results_},
        key=[json.dumps(r["params"]["hidden"]) for r in search.results_].index,
    )
    for name in ("history.png", "params.png"):
        assert (tmp_path / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['units'\]"):
        search.plot_params(params=["units"])
    with pytest.raises(ValueError, match="no results yet"):
        hg.plotting.plot_search_history(GridSearch(TEMPLATE, space))
    plt.close("all")


def test_search_trials_are_the_plain_data_the_plots_draw(moons):
    X, y, _, _ = moons
    space = {"learning_rate": FloatRange(1e-3, 0.1, log=True), "hidden": Choice([[8], [4]])}
    search = RandomSearch(TEMPLATE, space, pruner=None)
    with pytest.raises(ValueError, match="no results yet"):
        search.search_trials()
    search.search(X, y, epochs=2, n_trials=3, refit=False)
    data = search.search_trials()
    assert isinstance(data, hg.plotting.SearchTrials)
    assert data.trials == search.results_ and data.params == ("learning_rate", "hidden")
    assert (data.monitor, data.mode, set(data.log_params)) == ("val_loss", "min", {"learning_rate"})


# Every public name of handgrad/tuning.py before it became a package.
OLD_PUBLIC_NAMES = [
    "BaseSearch",
    "BayesianSearch",
    "Choice",
    "Dimension",
    "FloatRange",
    "GridSearch",
    "IntRange",
    "MedianPruner",
    "RandomSearch",
    "TEMPLATE_DEFAULTS",
    "build_mlp",
    "read_spec",
    "space_from_spec",
]


def test_every_old_public_name_still_imports():
    import handgrad.tuning as tuning

    for name in OLD_PUBLIC_NAMES:
        assert getattr(hg.tuning, name) is getattr(tuning, name)
    assert set(tuning.__all__) <= set(OLD_PUBLIC_NAMES)


@pytest.mark.parametrize(
    "name", ["space", "builders", "data", "pruning", "storage", "search", "bayesian", "report"]
)
def test_docstring_examples_run(name):
    if name == "bayesian":
        pytest.importorskip("optuna")
    module = importlib.import_module(f"handgrad.tuning.{name}")
    result = doctest.testmod(module, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0


# ------------------------------------------------------------------------------------ CLI
def test_cli_tune_end_to_end(tmp_path, capsys):
    space = tmp_path / "space.yaml"
    space.write_text(
        "template:\n  hidden: [8]\n  activation: tanh\n"
        "space:\n  learning_rate: {choice: [0.05, 1.0e-5]}\n"
    )
    out = tmp_path / "run"
    argv = [
        "tune",
        "--space",
        str(space),
        "--data",
        "moons",
        "--strategy",
        "grid",
        "--epochs",
        "10",
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "best: trial 0  val_accuracy" in text and '{"learning_rate": 0.05}' in text
    assert {"results.csv", "best_model.hgz", "best.json", "search.jsonl"} <= {
        p.name for p in out.iterdir()
    }
    with open(out / "results.csv", newline="") as f:
        assert [r["params_learning_rate"] for r in csv.DictReader(f)] == ["0.05", "1e-05"]
    best = json.loads((out / "best.json").read_text())
    _, (X_test, y_test) = hg.datasets.moons()
    model = hg.load_model(out / "best_model.hgz")
    assert model.evaluate(X_test, y_test)["accuracy"] == pytest.approx(best["test"]["accuracy"])
    assert best["test"]["accuracy"] >= 0.85
    assert main(argv[:-1]) == 0  # run again, not quiet: everything comes from the storage
    text = capsys.readouterr().out
    assert "best: trial 0" in text and "/2  complete" not in text


def test_cli_tune_reports_bad_space_files(tmp_path, capsys):
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"learning_rate": {"float": [0.1, 0.001], "log": True}}))
    assert main(["tune", "--space", str(space), "--out", str(tmp_path / "o")]) == 2
    assert "space['learning_rate']: FloatRange needs low < high" in capsys.readouterr().err
    space.write_text(json.dumps({"space": {"lr": [0.1]}, "templates": {}}))
    assert main(["tune", "--space", str(space), "--out", str(tmp_path / "o")]) == 2
    assert "unknown top-level key(s) ['templates']" in capsys.readouterr().err
