"""The ``handgrad`` argument parser: every subcommand, its options and their checks.

Options are checked here, by argparse types, so that a bad flag fails before any data is read:
``handgrad train: error: argument --lr: ...`` (exit code 2, one line).
"""

from __future__ import annotations

import argparse
import math

from .. import optimizers
from .._version import __version__
from ..playground.command import add_parser as add_playground_parser
from ..recipes import check_optimizer_name
from .commands import cmd_datasets, cmd_evaluate, cmd_plot, cmd_predict, cmd_train, cmd_tune
from .data import BUILTIN

__all__ = ["build_parser"]


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


def _optimizer_name(text: str) -> str:
    try:
        return check_optimizer_name(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


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
    t.add_argument(
        "--optimizer",
        type=_optimizer_name,
        default="sgd",
        help=f"{', '.join(optimizers.names())} (default: sgd)",
    )
    t.add_argument(
        "--momentum",
        type=float,
        default=None,
        help="SGD's momentum, or the momentum optimizer's beta (default: the optimizer's own, "
        "0 for sgd and 0.9 for momentum)",
    )
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
        default=None,
        help="kernel initializer (default: each layer's own, He after ReLU and Glorot uniform "
        "otherwise; small_normal = 0.01*randn is the notes' choice)",
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
