"""The ``handgrad`` command line, run end to end in temporary folders."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import handgrad as hg
from handgrad.cli import main


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def moons_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    code = main(
        [
            "train",
            "--data",
            "moons",
            "--hidden",
            "8,4",
            "--activation",
            "tanh",
            "--lr",
            "0.5,1",
            "--epochs",
            "300",
            "--init",
            "glorot_uniform",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    assert code == 0
    return out


def test_train_writes_models_metrics_and_plot(moons_run):
    files = {p.name for p in moons_run.iterdir()}
    assert {
        "metrics.json",
        "cost.png",
        "model_lr0.5.hgz",
        "model_lr1.hgz",
        "history_lr0.5.json",
        "history_lr1.json",
    } <= files
    summary = json.loads((moons_run / "metrics.json").read_text())
    assert [r["learning_rate"] for r in summary["results"]] == [0.5, 1.0]
    assert summary["best"]["test_accuracy"] >= 0.95
    assert all(r["epochs"] == 300 for r in summary["results"])
    assert (moons_run / "cost.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model = hg.load_model(moons_run / summary["best"]["model"])
    (_, _), (X_test, y_test) = hg.datasets.moons()
    assert model.evaluate(X_test, y_test)["accuracy"] == pytest.approx(
        summary["best"]["test_accuracy"]
    )


def test_evaluate_and_predict_on_csv(moons_run, tmp_path, capsys):
    (_, _), (X_test, y_test) = hg.datasets.moons()
    data = tmp_path / "test.csv"
    with open(data, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["0", "1", "y"])
        for row, label in zip(X_test, y_test, strict=True):
            w.writerow([repr(float(v)) for v in row] + [int(label)])
    model_path = str(moons_run / "model_lr1.hgz")
    code, out, _ = _run(capsys, "evaluate", model_path, str(data))
    assert code == 0
    result = json.loads(out)
    expected = hg.load_model(model_path).evaluate(X_test, y_test)
    assert result["accuracy"] == pytest.approx(expected["accuracy"])

    pred_path = tmp_path / "pred.csv"
    code, out, _ = _run(capsys, "predict", model_path, str(data), "-o", str(pred_path), "--proba")
    assert code == 0 and "wrote" in out
    with open(pred_path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["prediction", "p0", "p1"]
    predicted = np.array([int(r[0]) for r in rows[1:]])
    probs = hg.load_model(model_path).predict(X_test)
    np.testing.assert_array_equal(predicted, probs.argmax(axis=1))


def test_plot_command(moons_run, capsys):
    code, out, _ = _run(capsys, "plot", str(moons_run))
    assert code == 0
    for name in ("history.png", "cost.png", "boundary.png"):
        assert (moons_run / name).stat().st_size > 1000
        assert f"wrote {moons_run / name}" in out


def test_datasets_lists_every_builtin(capsys):
    code, out, _ = _run(capsys, "datasets")
    assert code == 0
    for name in ("mnist20", "mnist5k", "digits", "moons", "circles", "spirals"):
        assert name in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--data", "nope"], "neither a built-in name"),
        (["evaluate", "missing.hgz", "moons"], "no model file"),
        (["train", "--data", "moons", "--schedule", "weird"], "is not understood"),
    ],
)
def test_user_errors_exit_2_with_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert err.startswith("handgrad: error:") and message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "--lr", "abc"],
        ["train", "--epochs", "0"],
        ["train", "--batch-size", "-3"],
        ["train", "--dropout", "1.5"],
        ["bogus"],
    ],
)
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_unreadable_model_file_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.hgz"
    bad.write_text("not a zip")
    code, _, err = _run(capsys, "evaluate", str(bad), "moons")
    assert code == 2 and "not a valid handgrad model file" in err


def test_console_script_help():
    result = subprocess.run(
        [sys.executable, "-m", "handgrad.cli", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--lr" in result.stdout and "mnist20" in result.stdout


def test_default_train_is_the_assignment(tmp_path, capsys):
    """`handgrad train` defaults: mnist20, 400-25-10 sigmoid/softmax, several rates (short run)."""
    code, out, _ = _run(
        capsys, "train", "--epochs", "30", "--lr", "1.0", "--out", str(tmp_path), "--quiet"
    )
    assert code == 0
    assert "train (4000, 400)" in out and "test (1000, 400)" in out
    model = hg.load_model(tmp_path / "model_lr1.hgz")
    assert [lay.output_shape for lay in model.layers] == [(25,), (10,)]
    assert model.layers[0].activation.name == "sigmoid"
    assert model.count_params() == 400 * 25 + 25 + 25 * 10 + 10
    summary = json.loads((tmp_path / "metrics.json").read_text())
    assert summary["config"]["batch_size"] is None and summary["config"]["seed"] == 1
