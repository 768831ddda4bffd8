"""The ``handgrad`` command line.

``handgrad train`` with no arguments runs the lecture notes' assignment: the 20x20 MNIST digits,
a 400-25-10 network (sigmoid hidden layer, softmax output, 0.01*randn weights, zero biases,
seed 1), full-batch gradient descent at several learning rates; it prints train and test
accuracy per rate and the best, and writes the cost plot, one model file per rate and a JSON
of metrics to the output folder. Every other command is listed by ``handgrad --help``.

Errors in arguments or files end the program with exit code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from ._parallel import set_num_threads
from .playground.command import add_parser as add_playground_parser

BUILTIN = ("mnist20", "mnist5k", "digits", "moons", "circles", "spirals")


class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


# --------------------------------------------------------------------------- data
def _load_data(spec: str, test_spec: str | None, label: str, seed: int, test_size: float):
    """Return (X_train, y_train), (X_test, y_test) for a built-in name, a CSV or an IDX folder."""
    from . import datasets
    from .data.preprocessing import train_test_split

    if spec in BUILTIN:
        return getattr(datasets, spec)()
    path = Path(spec)
    if not path.exists():
        raise CLIError(
            f"dataset {spec!r} is neither a built-in name ({', '.join(BUILTIN)}) nor an existing "
            "file or folder"
        )
    if path.is_dir():
        return datasets.mnist(path, download=False)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        X, y = datasets.load_csv(path, label=label)
    else:
        raise CLIError(f"cannot read {spec!r}: expected a .csv file or a folder of IDX files")
    if test_spec:
        Xt, yt = datasets.load_csv(test_spec, label=label)
        return (X, y), (Xt, yt)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=seed)
    return (X_train, y_train), (X_test, y_test)


def _read_features(spec: str, label: str):
    """Features (and labels if present) of an input file for evaluate / predict."""
    from . import datasets

    if spec in BUILTIN:
        _, (X, y) = getattr(datasets, spec)()
        return X, y
    path = Path(spec)
    if not path.is_file():
        raise CLIError(f"cannot read {spec!r}: no such file")
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False), None
    try:
        return datasets.load_csv(path, label=label)
    except ValueError as err:
        if "label" not in str(err):
            raise
        return datasets.load_csv(path, label=None), None


# ------------------------------------------------------------------------ parsing
def _parsed(text: str, convert, ok, bad_syntax: str, bad_value: str):
    """``convert(text)``, or an argparse error: ``bad_syntax`` if it fails, ``bad_value`` if
    ``ok(result)`` is false (both formatted with ``text`` and the converted ``value``)."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(bad_syntax.format(text=text)) from None
    if not ok(value):
        raise argparse.ArgumentTypeError(bad_value.format(text=text, value=value))
    return value


def _items(convert):
    return lambda text: [convert(v) for v in text.split(",") if v.strip()]


def _int_list(text: str) -> list[int]:
    return _parsed(
        text,
        _items(int),
        lambda vs: all(v > 0 for v in vs),
        "expected comma-separated integers, got {text!r}",
        "layer sizes must be positive, got {text!r}",
    )


def _positive_int(text: str) -> int:
    message = "expected a positive integer, got {text!r}"
    return _parsed(text, int, lambda v: v > 0, message, message)


def _float_list(text: str) -> list[float]:
    return _parsed(
        text,
        _items(float),
        lambda vs: bool(vs) and all(math.isfinite(v) and v >= 0 for v in vs),
        "expected comma-separated numbers, got {text!r}",
        "learning rates must be finite and >= 0, got {text!r}",
    )


def _batch_size(text: str) -> int | None:
    if text in ("full", "none", "None"):
        return None
    return _parsed(
        text,
        int,
        lambda v: v > 0,
        "batch size must be 'full' or a positive int, got {text!r}",
        "batch size must be positive, got {value}",
    )


def _fraction(text: str) -> float:
    message = "expected a number in [0, 1), got {text!r}"
    return _parsed(text, float, lambda v: 0 <= v < 1, message, message)


def _schedule(spec: str | None, lr: float):
    """``none``, ``inverse_time:D``, ``exponential:B``, ``inverse_sqrt:K``, ``step:F:EVERY``."""
    from . import schedules

    if spec in (None, "none"):
        return lr
    name, *args = spec.split(":")
    try:
        nums = [float(a) for a in args]
        if name == "inverse_time" and len(nums) == 1:
            return schedules.InverseTimeDecay(lr, nums[0])
        if name == "exponential" and len(nums) <= 1:
            return schedules.ExponentialDecay(lr, *nums)
        if name == "inverse_sqrt" and len(nums) <= 1:
            return schedules.InverseSqrtDecay(lr, *nums)
        if name == "step" and len(nums) == 2:
            return schedules.StepDecay(lr, nums[0], int(nums[1]))
    except ValueError as err:
        raise CLIError(f"--schedule {spec!r}: {err}") from None
    raise CLIError(
        f"--schedule {spec!r} is not understood; use none, inverse_time:DECAY, exponential:BASE, "
        "inverse_sqrt:K or step:FACTOR:EVERY"
    )


# ------------------------------------------------------------------------- model
def _build_model(args, n_features: int, n_classes: int):
    import handgrad as hg

    layers: list[Any] = []
    for i, units in enumerate(args.hidden):
        kwargs: dict[str, Any] = {"input_dim": n_features} if i == 0 else {}
        if args.init:
            kwargs["kernel_initializer"] = args.init
        if args.l2:
            kwargs["kernel_regularizer"] = hg.regularizers.L2(args.l2)
        if args.batch_norm:
            layers.append(hg.layers.Dense(units, **kwargs))
            layers.append(hg.layers.BatchNormalization())
            layers.append(hg.layers.Activation(args.activation))
        else:
            layers.append(hg.layers.Dense(units, args.activation, **kwargs))
        if args.dropout:
            layers.append(hg.layers.Dropout(args.dropout))
    out_kwargs: dict[str, Any] = {} if args.hidden else {"input_dim": n_features}
    if args.init:
        out_kwargs["kernel_initializer"] = args.init
    binary = n_classes == 2 and args.loss == "binary_crossentropy"
    layers.append(
        hg.layers.Dense(
            1 if binary else n_classes, "sigmoid" if binary else "softmax", **out_kwargs
        )
    )
    return hg.Sequential(layers, seed=args.seed, dtype=args.dtype)


def _optimizer(args, lr):
    import handgrad as hg

    rate = _schedule(args.schedule, lr)
    name = args.optimizer
    if name == "sgd":
        return hg.optimizers.SGD(rate, momentum=args.momentum)
    if name == "momentum":
        return hg.optimizers.Momentum(rate, beta=args.momentum or 0.9)
    if name == "rmsprop":
        return hg.optimizers.RMSprop(rate)
    return hg.optimizers.Adam(rate)


class _EpochProgress:
    """A one-line progress bar over epochs (a callback; quiet off a terminal except every 10%)."""

    def __new__(cls, label: str, stream=None):
        from .callbacks import Callback

        class EpochProgress(Callback):
            def __init__(self) -> None:
                super().__init__()
                self.stream = stream or sys.stderr
                self.tty = getattr(self.stream, "isatty", lambda: False)()
                self.start = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                total = self.params["epochs"]
                done = epoch + 1
                step = max(1, total // 10)
                if not self.tty and done % step and done != total:
                    return
                width = 24
                filled = int(width * done / total)
                bar = "#" * filled + "-" * (width - filled)
                text = (
                    f"{label} [{bar}] epoch {done}/{total} loss {logs['loss']:.4f} "
                    f"({time.perf_counter() - self.start:.1f}s)"
                )
                end = "" if self.tty and done != total else "\n"
                self.stream.write(("\r" if self.tty else "") + text + end)
                self.stream.flush()

        return EpochProgress()


# ---------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    import handgrad as hg

    (X_train, y_train), (X_test, y_test) = _load_data(
        args.data, args.test_data, args.label, args.seed, args.test_size
    )
    n_classes = int(max(y_train.max(), y_test.max()) + 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"data: {args.data}  train {X_train.shape}  test {X_test.shape}  classes {n_classes}")
    results, curves = [], {}
    for lr in args.lr:
        model = _build_model(args, X_train.shape[1], n_classes)
        model.compile(args.loss, _optimizer(args, lr), metrics=["accuracy"])
        callbacks = [] if args.quiet else [_EpochProgress(f"lr={lr:g}")]
        if args.early_stopping:
            callbacks.append(hg.callbacks.EarlyStopping(patience=args.early_stopping))
        start = time.perf_counter()
        fit_kwargs: dict[str, Any] = {}
        if args.early_stopping or args.validation_split:
            fit_kwargs["validation_split"] = args.validation_split or 0.1
        history = model.fit(
            X_train,
            y_train,
            epochs=args.epochs,
            batch_size=args.batch_size,
            verbose=0,
            callbacks=callbacks,
            **fit_kwargs,
        )
        seconds = time.perf_counter() - start
        train_acc = model.evaluate(X_train, y_train)["accuracy"]
        test = model.evaluate(X_test, y_test)
        name = f"model_lr{lr:g}.hgz"
        model.save(out / name)
        curves[f"lr={lr:g}"] = history.history.get("loss", [])
        results.append(
            {
                "learning_rate": lr,
                "train_accuracy": train_acc,
                "test_accuracy": test["accuracy"],
                "test_loss": test["loss"],
                "final_train_loss": curves[f"lr={lr:g}"][-1] if curves[f"lr={lr:g}"] else None,
                "epochs": len(history.epoch),
                "seconds": round(seconds, 3),
                "stopped_reason": history.stopped_reason,
                "model": name,
            }
        )
        print(
            f"lr={lr:<8g} train accuracy {train_acc:.4f}  test accuracy {test['accuracy']:.4f}"
            f"  ({len(history.epoch)} epochs, {seconds:.1f}s)"
        )
        with open(out / f"history_lr{lr:g}.json", "w") as f:
            json.dump(history.history, f)
    best = max(results, key=lambda r: r["test_accuracy"])
    print(f"best: lr={best['learning_rate']:g} with test accuracy {best['test_accuracy']:.4f}")
    summary = {"data": args.data, "config": _config(args), "results": results, "best": best}
    _write_json(out / "metrics.json", summary)
    try:
        from . import plotting

        plotting.plot_cost_curves(
            curves,
            xlabel="iteration" if args.batch_size is None else "epoch",
            ylabel="cost",
            title=f"{args.data}: cost per learning rate",
            path=out / "cost.png",
        )
        print(f"wrote {out / 'cost.png'}, {out / 'metrics.json'} and {len(results)} model file(s)")
    except ImportError as err:
        print(f"(no plot: {err})")
        print(f"wrote {out / 'metrics.json'} and {len(results)} model file(s)")
    return 0


def _config(args) -> dict[str, Any]:
    return {k: v for k, v in vars(args).items() if k not in ("func",)}


def _write_json(path: Path, data: Any) -> None:
    from .io import atomic_write

    atomic_write(path, lambda f: f.write(json.dumps(data, indent=2, default=str).encode()))


def _load(path: str):
    import handgrad as hg

    return hg.load_model(path)


def cmd_evaluate(args) -> int:
    model = _load(args.model)
    X, y = _read_features(args.data, args.label)
    if y is None:
        raise CLIError(f"{args.data!r} has no label column {args.label!r} to evaluate against")
    if model.loss is None:
        raise CLIError(f"model {args.model!r} was saved without compile settings")
    result = model.evaluate(X, y)
    print(json.dumps(result))
    return 0


def cmd_predict(args) -> int:
    model = _load(args.model)
    X, _ = _read_features(args.input, args.label)
    proba = model.predict(X)
    labels = (proba[:, 0] > 0.5).astype(int) if proba.shape[1] == 1 else proba.argmax(axis=1)
    header = ["prediction"] + ([f"p{k}" for k in range(proba.shape[1])] if args.proba else [])
    rows = [
        [str(lab)] + ([f"{p:.6g}" for p in row] if args.proba else [])
        for lab, row in zip(labels, proba, strict=True)
    ]
    text = "\n".join([",".join(header)] + [",".join(r) for r in rows]) + "\n"
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        from .io import atomic_write

        atomic_write(args.output, lambda f: f.write(text.encode()))
        print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def cmd_datasets(args) -> int:
    from . import datasets

    for entry in datasets.list_datasets():
        print("  ".join(f"{k}={v}" for k, v in entry.items()))
    return 0


def cmd_plot(args) -> int:
    from . import plotting

    run = Path(args.run)
    metrics_path = run / "metrics.json"
    if not metrics_path.is_file():
        raise CLIError(f"{str(run)!r} is not a handgrad run folder (no metrics.json)")
    summary = json.loads(metrics_path.read_text())
    best = summary["best"]
    written = []
    if args.kind in ("history", "all"):
        hist = json.loads((run / f"history_lr{best['learning_rate']:g}.json").read_text())
        written.append(
            plotting.plot_history(hist, path=run / "history.png") and run / "history.png"
        )
    if args.kind in ("cost", "all"):
        curves = {}
        for r in summary["results"]:
            curves[f"lr={r['learning_rate']:g}"] = json.loads(
                (run / f"history_lr{r['learning_rate']:g}.json").read_text()
            )["loss"]
        plotting.plot_cost_curves(curves, path=run / "cost.png")
        written.append(run / "cost.png")
    if args.kind in ("boundary", "all"):
        data = summary["data"]
        if data not in ("moons", "circles", "spirals"):
            if args.kind == "boundary":
                raise CLIError(
                    f"decision boundaries need 2-D data (moons, circles, spirals), "
                    f"this run used {data!r}"
                )
        else:
            from . import datasets

            (X, y), _ = getattr(datasets, data)()
            plotting.plot_decision_boundary(
                _load(run / best["model"]), X, y, path=run / "boundary.png"
            )
            written.append(run / "boundary.png")
    for w in written:
        print(f"wrote {w}")
    return 0


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value == 0 or value < -1:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer or -1 (all CPUs), got {text!r}"
        )
    return value


def cmd_tune(args) -> int:
    """Hyperparameter search over a space file; writes results.csv, best_model.hgz, plots."""
    from . import tuning

    spec = tuning.read_spec(args.space)
    template: Any = {}
    if isinstance(spec, dict) and "space" in spec:
        extra = sorted(set(spec) - {"space", "template"})
        if extra:
            raise CLIError(
                f"{args.space}: unknown top-level key(s) {extra}; expected 'space' "
                "and optionally 'template'"
            )
        template, spec = spec.get("template") or {}, spec["space"]
    if not isinstance(template, dict):
        raise CLIError(f"{args.space}: 'template' must be a mapping of settings, got {template!r}")
    space = tuning.space_from_spec(spec)
    (X_train, y_train), (X_test, y_test) = _load_data(
        args.data, args.test_data, args.label, args.seed, args.test_size
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    storage = args.storage or (
        f"sqlite:///{(out / 'search.db').resolve()}"
        if args.strategy == "bayes"
        else str(out / "search.jsonl")
    )
    searches = {
        "grid": tuning.GridSearch,
        "random": tuning.RandomSearch,
        "bayes": tuning.BayesianSearch,
    }
    extra_kwargs = {"grid_points": args.grid_points} if args.strategy == "grid" else {}
    searcher = searches[args.strategy](
        template,
        space,
        seed=args.seed,
        storage=storage,
        pruner=None if args.no_pruning else "median",
        **extra_kwargs,
    )
    print(
        f"data: {args.data}  train {X_train.shape}  test {X_test.shape}  {args.strategy} search "
        f"over {', '.join(space)} (storage {storage})"
    )
    searcher.search(
        X_train,
        y_train,
        validation_split=args.validation_split,
        epochs=args.epochs,
        batch_size=args.batch_size,
        n_trials=args.trials,
        n_jobs=args.jobs,
        monitor=args.monitor,
        mode=args.mode,
        verbose=0 if args.quiet else 1,
    )
    searcher.summary()
    if searcher.best_model_ is None:
        raise CLIError("no trial finished with a finite score; try other ranges")
    best = searcher.best_trial_
    test = searcher.best_model_.evaluate(X_test, y_test)
    print(
        f"best: trial {best['number']}  {args.monitor} {best['score']:.4f}  params "
        f"{json.dumps(best['params'])}"
    )
    print("best model on the test split: " + "  ".join(f"{k} {v:.4f}" for k, v in test.items()))
    searcher.to_csv(out / "results.csv")
    searcher.best_model_.save(out / "best_model.hgz")
    _write_json(out / "best.json", {"trial": best, "test": test, "config": _config(args)})
    written = ["results.csv", "best_model.hgz", "best.json"]
    try:
        from .plotting import _pyplot

        for name, plot in (
            ("search_history.png", searcher.plot_history),
            ("search_params.png", searcher.plot_params),
        ):
            _pyplot().close(plot(path=out / name))
            written.append(name)
    except ImportError as err:
        print(f"(no plots: {err})")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


@contextlib.contextmanager
def _thread_limit(threads: int | None) -> Iterator[None]:
    """``--threads N``: BLAS (threadpoolctl) and handgrad's own threads, for this command."""
    if threads is None:
        yield
        return
    import threadpoolctl

    with threadpoolctl.threadpool_limits(threads):
        set_num_threads(threads)
        try:
            yield
        finally:
            set_num_threads(None)


# ----------------------------------------------------------------------- parser
class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage block), exit code 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="handgrad", description="Deep learning in plain NumPy: train, evaluate, predict, plot."
    )
    parser.add_argument("--version", action="version", version=f"handgrad {__version__}")
    parser.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        help="threads for BLAS and for handgrad's per-sample work (default: all CPUs; "
        "1 is often fastest on a busy machine)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    t = sub.add_parser(
        "train",
        help="train networks (default: the 400-25-10 assignment)",
        description="Train one network per learning rate and report accuracies. "
        "With no options: the assignment on the 20x20 digits.",
    )
    t.add_argument(
        "--data",
        default="mnist20",
        help=f"built-in dataset ({', '.join(BUILTIN)}), a CSV file, or a folder of "
        "MNIST IDX files (default: mnist20)",
    )
    t.add_argument(
        "--test-data", help="CSV of test samples (default: a stratified split of --data)"
    )
    t.add_argument("--label", default="y", help="label column of CSV files (default: y)")
    t.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="test fraction when splitting a CSV (default: 0.2)",
    )
    t.add_argument(
        "--hidden",
        type=_int_list,
        default=[25],
        help="hidden layer sizes, comma-separated (default: 25)",
    )
    t.add_argument("--activation", default="sigmoid", help="hidden activation (default: sigmoid)")
    t.add_argument(
        "--loss",
        default="categorical_crossentropy",
        choices=["categorical_crossentropy", "binary_crossentropy"],
        help="loss (default: categorical_crossentropy with a softmax output)",
    )
    t.add_argument("--optimizer", default="sgd", choices=["sgd", "momentum", "rmsprop", "adam"])
    t.add_argument("--momentum", type=float, default=0.0, help="momentum for sgd/momentum")
    t.add_argument(
        "--lr",
        type=_float_list,
        default=[0.5, 1.0, 2.0, 4.0],
        help="learning rate(s), comma-separated: one model per rate (default: 0.5,1,2,4)",
    )
    t.add_argument(
        "--schedule",
        default="none",
        help="none, inverse_time:DECAY, exponential:BASE, inverse_sqrt:K, step:FACTOR:EVERY",
    )
    t.add_argument(
        "--epochs",
        type=_positive_int,
        default=500,
        help="epochs (iterations for full batch; default: 500)",
    )
    t.add_argument(
        "--batch-size",
        type=_batch_size,
        default=None,
        help="'full' (default: full-batch gradient descent) or samples per update",
    )
    t.add_argument("--l2", type=float, default=0.0, help="L2 factor on every kernel (default: 0)")
    t.add_argument(
        "--dropout", type=_fraction, default=0.0, help="dropout rate after hidden layers"
    )
    t.add_argument(
        "--batch-norm", action="store_true", help="batch normalization before activations"
    )
    t.add_argument(
        "--early-stopping",
        type=int,
        default=0,
        metavar="PATIENCE",
        help="stop when val_loss has not improved for PATIENCE epochs (0: off)",
    )
    t.add_argument("--validation-split", type=_fraction, default=0.0)
    t.add_argument(
        "--init",
        default="small_normal",
        help="kernel initializer (default: small_normal = 0.01*randn, as the notes)",
    )
    t.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    t.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    t.add_argument("--out", default="handgrad_out", help="output folder (default: handgrad_out)")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="loss and accuracy of a saved model on labelled data")
    e.add_argument("model", help="a .hgz model file")
    e.add_argument("data", help="a CSV with a label column, or a built-in dataset's test split")
    e.add_argument("--label", default="y")
    e.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("predict", help="predict classes for the rows of a CSV or .npy file")
    p.add_argument("model")
    p.add_argument("input", help="CSV (a label column is ignored) or .npy of features")
    p.add_argument("-o", "--output", help="output CSV (default: standard output)")
    p.add_argument("--proba", action="store_true", help="also write class probabilities")
    p.add_argument("--label", default="y")
    p.set_defaults(func=cmd_predict)

    d = sub.add_parser("datasets", help="list the built-in datasets with their sizes")
    d.set_defaults(func=cmd_datasets)

    g = sub.add_parser("plot", help="plots from a run folder written by 'handgrad train'")
    g.add_argument("run", help="the run folder (the --out of handgrad train)")
    g.add_argument("--kind", default="all", choices=["all", "history", "cost", "boundary"])
    g.set_defaults(func=cmd_plot)

    u = sub.add_parser(
        "tune",
        help="hyperparameter search (grid, random or Bayesian)",
        description="Search hyperparameters of a Dense network; the space is a "
        "JSON or YAML file (see handgrad.tuning). Re-running the same "
        "command resumes from the storage in --out.",
    )
    u.add_argument(
        "--space",
        required=True,
        help="JSON/YAML file: {name: dimension} or {space: ..., template: ...}",
    )
    u.add_argument(
        "--data",
        default="moons",
        help=f"built-in dataset ({', '.join(BUILTIN)}) or a CSV file (default: moons)",
    )
    u.add_argument("--test-data", help="CSV of test samples (default: a split of --data)")
    u.add_argument("--label", default="y", help="label column of CSV files (default: y)")
    u.add_argument(
        "--test-size",
        type=_fraction,
        default=0.2,
        help="test fraction when splitting a CSV (default: 0.2)",
    )
    u.add_argument("--strategy", default="random", choices=["grid", "random", "bayes"])
    u.add_argument(
        "--trials",
        type=_positive_int,
        default=None,
        help="number of trials in all (default: the whole grid, or 10)",
    )
    u.add_argument(
        "--epochs", type=_positive_int, default=20, help="epochs per trial (default: 20)"
    )
    u.add_argument(
        "--batch-size",
        type=_batch_size,
        default=32,
        help="'full' or samples per update (default: 32)",
    )
    u.add_argument("--jobs", type=_jobs, default=1, help="parallel processes (-1: one per CPU)")
    u.add_argument(
        "--monitor",
        default="val_accuracy",
        help="score of a trial (default: val_accuracy; or val_loss)",
    )
    u.add_argument("--mode", default="auto", choices=["auto", "min", "max"])
    u.add_argument(
        "--validation-split",
        type=_fraction,
        default=0.2,
        help="fraction of the training data that scores trials (default: 0.2)",
    )
    u.add_argument(
        "--grid-points",
        type=_positive_int,
        default=3,
        help="values per range in a grid search (default: 3)",
    )
    u.add_argument("--no-pruning", action="store_true", help="train every trial to the end")
    u.add_argument(
        "--storage",
        help="resume file: .jsonl (grid/random) or sqlite:///file.db (bayes); default: in --out",
    )
    u.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    u.add_argument("--out", default="handgrad_tune", help="output folder (default: handgrad_tune)")
    u.add_argument("--quiet", action="store_true", help="no line per trial")
    u.set_defaults(func=cmd_tune)

    add_playground_parser(sub)  # handgrad playground: the browser page (handgrad.playground)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _thread_limit(args.threads):
            return args.func(args)
    except (CLIError, ValueError, TypeError, FileNotFoundError, ImportError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"handgrad: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("handgrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
