"""The commands of ``handgrad``: one ``cmd_<name>(args) -> exit code`` per subcommand.

A new command is a function here and a subparser in :mod:`handgrad.cli.parser` whose
``func`` default is that function. Errors the user can fix are raised as :class:`CLIError` (or
the library's ``ValueError`` / ``TypeError``): ``main`` prints them as one line, exit code 2.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from .. import plotting, schedules, tuning
from .._atomic import atomic_write
from ..callbacks import Callback, EarlyStopping
from ..data import datasets
from ..recipes import build_mlp, optimizer_from_name
from ..saving.load import load_model
from ..sequential import Sequential
from .data import CLIError, load_data, read_features

__all__ = [
    "cmd_train",
    "cmd_evaluate",
    "cmd_predict",
    "cmd_datasets",
    "cmd_plot",
    "cmd_tune",
    "train_model",
    "EpochProgress",
]


def _schedule(spec: str | None, lr: float):
    """``none``, ``inverse_time:D``, ``exponential:B``, ``inverse_sqrt:K``, ``step:F:EVERY``."""
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


def train_model(args, n_features: int, n_classes: int, learning_rate: float) -> Sequential:
    """The compiled network ``handgrad train`` trains at ``learning_rate``.

    Built by :func:`handgrad.recipes.build_mlp` from ``--hidden``, ``--activation``, ``--loss``,
    ``--init``, ``--l2``, ``--dropout``, ``--batch-norm``, ``--seed`` and ``--dtype`` (the recipe
    ``handgrad tune`` uses too); the optimizer is ``--optimizer`` with ``--momentum`` and the rate
    (or ``--schedule``) through :func:`handgrad.recipes.optimizer_from_name`.
    """
    binary = n_classes == 2 and args.loss == "binary_crossentropy"
    model = build_mlp(
        n_features,
        1 if binary else n_classes,
        hidden=args.hidden,
        activation=args.activation,
        loss=args.loss,
        kernel_initializer=args.init or None,
        l2=args.l2,
        dropout=args.dropout,
        batch_norm=args.batch_norm,
        seed=args.seed,
        dtype=args.dtype,
    )
    rate = _schedule(args.schedule, learning_rate)
    optimizer = optimizer_from_name(args.optimizer, rate, momentum=args.momentum)
    model.compile(args.loss, optimizer, metrics=["accuracy"])
    return model


class EpochProgress(Callback):
    """A one-line progress bar over epochs (quiet off a terminal except every 10%)."""

    reads_grads = False

    def __init__(self, label: str, stream=None) -> None:
        super().__init__()
        self.label = label
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
            f"{self.label} [{bar}] epoch {done}/{total} loss {logs['loss']:.4f} "
            f"({time.perf_counter() - self.start:.1f}s)"
        )
        end = "" if self.tty and done != total else "\n"
        self.stream.write(("\r" if self.tty else "") + text + end)
        self.stream.flush()


# ---------------------------------------------------------------------- commands
def cmd_train(args) -> int:
    """Train one network per learning rate; write models, histories, metrics and the cost plot."""
    (X_train, y_train), (X_test, y_test) = load_data(
        args.data, args.test_data, args.label, args.seed, args.test_size
    )
    n_classes = int(max(y_train.max(), y_test.max()) + 1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"data: {args.data}  train {X_train.shape}  test {X_test.shape}  classes {n_classes}")
    results, curves = [], {}
    for lr in args.lr:
        model = train_model(args, X_train.shape[1], n_classes, lr)
        callbacks: list[Callback] = [] if args.quiet else [EpochProgress(f"lr={lr:g}")]
        if args.early_stopping:
            callbacks.append(EarlyStopping(patience=args.early_stopping))
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
    atomic_write(path, lambda f: f.write(json.dumps(data, indent=2, default=str).encode()))


def _load(path: str):
    return load_model(path)


def cmd_evaluate(args) -> int:
    model = _load(args.model)
    X, y = read_features(args.data, args.label)
    if y is None:
        raise CLIError(f"{args.data!r} has no label column {args.label!r} to evaluate against")
    if model.loss is None:
        raise CLIError(f"model {args.model!r} was saved without compile settings")
    result = model.evaluate(X, y)
    print(json.dumps(result))
    return 0


def cmd_predict(args) -> int:
    model = _load(args.model)
    X, _ = read_features(args.input, args.label)
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
        atomic_write(args.output, lambda f: f.write(text.encode()))
        print(f"wrote {len(rows)} predictions to {args.output}")
    return 0


def cmd_datasets(args) -> int:
    for entry in datasets.list_datasets():
        print("  ".join(f"{k}={v}" for k, v in entry.items()))
    return 0


def cmd_plot(args) -> int:
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
            (X, y), _ = getattr(datasets, data)()
            plotting.plot_decision_boundary(
                _load(run / best["model"]), X, y, path=run / "boundary.png"
            )
            written.append(run / "boundary.png")
    for w in written:
        print(f"wrote {w}")
    return 0


def cmd_tune(args) -> int:
    """Hyperparameter search over a space file; writes results.csv, best_model.hgz, plots."""
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
    (X_train, y_train), (X_test, y_test) = load_data(
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
        for name, plot in (
            ("search_history.png", searcher.plot_history),
            ("search_params.png", searcher.plot_params),
        ):
            _close(plot(path=out / name))
            written.append(name)
    except ImportError as err:
        print(f"(no plots: {err})")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def _close(figure: Any) -> None:
    """Free a figure the plotting module drew (matplotlib is loaded by then)."""
    import matplotlib.pyplot as plt

    plt.close(figure)
