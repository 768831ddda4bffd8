"""The bad-input matrix (issue 8): every public entry point refuses bad input clearly.

Each row of :data:`CASES` is one bad input: the entry point it goes into, what the user did,
the exception and a regex its message must match (naming the argument and what was expected),
and the fix to apply. :func:`test_bad_input_is_refused` runs every row on fresh objects and,
when the row targets a model or an estimator, checks that it is unchanged afterwards (weights,
optimizer step count, compile settings, fitted state): the error came before any training.

:data:`ACCEPTED` lists the boundary inputs that are valid and must work (a single sample, an int
where a tuple is usual, labels given as floats, ...), each with what it must give.

``tools/errors_table.py`` imports this module and turns :data:`CASES` into the README section
"Errors you may see", with the messages the library actually raises.
"""

from __future__ import annotations

import gzip
import io
import struct
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import handgrad as hg
from handgrad import callbacks as cb
from handgrad import constraints, regularizers, schedules
from handgrad.data import preprocessing as pre
from handgrad.layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
)
from handgrad.optimizers import SGD, Adam, Momentum, RMSprop

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 3))
LABELS = np.arange(12) % 3
BINARY = np.arange(12) % 2
IMAGES = RNG.normal(size=(6, 1, 6, 6))


# --------------------------------------------------------------------------- the objects
def _classifier(seed: int = 0) -> hg.Sequential:
    model = hg.Sequential(
        [Dense(4, "relu", input_dim=3, name="hidden"), Dense(3, "softmax", name="output")],
        seed=seed,
    )
    model.compile("categorical_crossentropy", SGD(0.1, momentum=0.9), metrics=["accuracy"])
    return model


def _binary() -> hg.Sequential:
    model = hg.Sequential(
        [Dense(4, "tanh", input_dim=3, name="hidden"), Dense(1, "sigmoid", name="output")], seed=0
    )
    model.compile("binary_crossentropy", Adam(0.01), metrics=["accuracy"])
    return model


def _regressor() -> hg.Sequential:
    model = hg.Sequential([Dense(2, input_dim=3, name="output")], seed=0)
    model.compile("mse", "sgd")
    return model


def _batch_norm_model() -> hg.Sequential:
    model = hg.Sequential(
        [
            Dense(4, input_dim=3, name="hidden"),
            BatchNormalization(name="bn"),
            Activation("relu", name="relu"),
            Dense(3, "softmax", name="output"),
        ],
        seed=0,
    )
    model.compile("categorical_crossentropy", "adam")
    return model


def _cnn() -> hg.Sequential:
    model = hg.Sequential(
        [
            Conv2D(2, 3, activation="relu", input_shape=(1, 6, 6), name="conv"),
            MaxPooling2D(2, name="pool"),
            Flatten(name="flatten"),
            Dense(3, "softmax", name="output"),
        ],
        seed=0,
    )
    model.compile("categorical_crossentropy", "adam")
    return model


class Ctx:
    """Fresh objects for one case, built on first use (``tmp`` is a scratch folder)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = Path(tmp)

    @cached_property
    def model(self) -> hg.Sequential:
        return _classifier()

    @cached_property
    def binary(self) -> hg.Sequential:
        return _binary()

    @cached_property
    def regressor(self) -> hg.Sequential:
        return _regressor()

    @cached_property
    def bn_model(self) -> hg.Sequential:
        return _batch_norm_model()

    @cached_property
    def cnn(self) -> hg.Sequential:
        return _cnn()

    @cached_property
    def uncompiled(self) -> hg.Sequential:
        return hg.Sequential([Dense(3, "softmax", input_dim=3, name="output")], seed=0)

    @cached_property
    def clf(self):
        from handgrad.sklearn import MLPClassifier

        return MLPClassifier(hidden_layer_sizes=(4,), max_iter=5, random_state=0)

    @cached_property
    def fitted_clf(self):
        """An MLPClassifier after one ``partial_fit`` on classes 0, 1, 2."""
        from handgrad.sklearn import MLPClassifier

        est = MLPClassifier(hidden_layer_sizes=(4,), random_state=0)
        return est.partial_fit(X, LABELS, classes=[0, 1, 2])

    @cached_property
    def reg(self):
        from handgrad.sklearn import MLPRegressor

        return MLPRegressor(hidden_layer_sizes=(4,), max_iter=5, random_state=0)

    @cached_property
    def fitted_reg(self):
        """An MLPRegressor after one ``partial_fit`` on one target."""
        from handgrad.sklearn import MLPRegressor

        return MLPRegressor(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, X[:, 0])

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path


def state(obj: Any) -> Any:
    """Everything a failed call must leave as it was, as nested lists of arrays and values."""
    if isinstance(obj, hg.Sequential):
        opt = obj.optimizer
        return [
            obj.get_weights() if obj.built else None,
            None if opt is None else [id(opt), opt.iterations, opt.current_learning_rate],
            None if obj.loss is None else obj.loss.name,
            sorted(obj.metric_fns),
            [layer.name for layer in obj.layers],
            obj.epochs_trained,
        ]
    if hasattr(obj, "get_params"):  # a scikit-learn estimator: its fitted state
        if not hasattr(obj, "model_"):
            return None
        classes = list(obj.classes_) if hasattr(obj, "classes_") else None
        return [state(obj.model_), classes, obj.n_iter_, obj.t_, list(obj.loss_curve_)]
    raise TypeError(f"no state() for {type(obj).__name__}")


def same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and np.array_equal(a, b)
        )
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same(u, v) for u, v in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


# ------------------------------------------------------------------------------ helpers
class CommandLineError(Exception):
    """``handgrad ...`` ended with exit code 2; the message is the one line it printed."""


def cli(ctx: Ctx, *argv: str) -> None:
    """Run the command line; raise :class:`CommandLineError` with its one stderr line."""
    from handgrad.cli import main

    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try:
            code = main(list(argv))
        except SystemExit as exit_:
            code = exit_.code
    lines = err.getvalue().strip().splitlines()
    if code == 0:
        return
    assert code == 2, f"exit code {code}, expected 2; stderr: {lines}"
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    raise CommandLineError(lines[0])


def with_nan(a: np.ndarray, value: float = np.nan, at: tuple = (4, 2)) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a[at] = value
    return a


def csv_file(ctx: Ctx, text: str, name: str = "data.csv") -> Path:
    return ctx.file(name, text)


def idx_file(ctx: Ctx, name: str, magic: int, dims: tuple[int, ...], payload: bytes) -> Path:
    header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims)
    return ctx.file(name, gzip.compress(header + payload))


def fit(model_attr: str, *args, **kwargs) -> Callable[[Ctx], Any]:
    """``ctx.<model_attr>.fit(*args, verbose=0, **kwargs)``."""
    return lambda ctx: getattr(ctx, model_attr).fit(*args, verbose=0, **kwargs)


def train_cli(ctx: Ctx, *argv: str) -> None:
    cli(
        ctx,
        "train",
        "--data",
        "moons",
        "--epochs",
        "2",
        "--quiet",
        "--out",
        str(ctx.tmp / "run"),
        *argv,
    )


@dataclass(frozen=True)
class Case:
    """One bad input and the error it must raise."""

    id: str
    where: str  # the entry point, as users write it
    did: str  # what the user did
    call: Callable[[Ctx], Any]
    error: type[BaseException]
    match: str  # regex the message must match: the argument and what was expected
    fix: str  # what to do instead
    target: str | None = None  # Ctx attribute that must be unchanged afterwards


def C(id, where, did, call, error, match, fix, target=None) -> Case:  # noqa: N802
    return Case(id, where, did, call, error, match, fix, target)


M = "model"
CLF = "clf"

# ------------------------------------------------------------------------------ the matrix
# fmt: off
CASES: list[Case] = [
    # ---------------------------------------------------------------- Sequential(...)
    C("seq-seed-negative", "Sequential(seed=...)", "a negative seed",
      lambda c: hg.Sequential(seed=-1), TypeError,
      r"seed must be a non-negative int or None, got -1", "use an int >= 0, or None"),
    C("seq-seed-float", "Sequential(seed=...)", "a float seed", lambda c: hg.Sequential(seed=1.5),
      TypeError, r"seed must be a non-negative int or None, got 1\.5", "use an int >= 0, or None"),
    C("seq-dtype-float16", "Sequential(dtype=...)", "an unsupported dtype",
      lambda c: hg.Sequential(dtype="float16"), ValueError,
      r"dtype must be 'float32' or 'float64', got 'float16'", "use 'float32' or 'float64'"),
    C("seq-dtype-unknown", "Sequential(dtype=...)", "a dtype name NumPy does not know",
      lambda c: hg.Sequential(dtype="real"), TypeError,
      r"dtype must be 'float32' or 'float64', got 'real'", "use 'float32' or 'float64'"),
    C("seq-layers-not-layer", "Sequential([...])", "a string in the list of layers",
      lambda c: hg.Sequential([Dense(2, input_dim=3), "relu"]), TypeError,
      r"Sequential\.add expects a Layer, got str",
      "wrap activations in a layer: Activation('relu')"),
    C("seq-layers-single", "Sequential(layers)", "one layer instead of a list",
      lambda c: hg.Sequential(Dense(2, input_dim=3)), TypeError,
      r"layers must be a list of layers, got a single Dense",
      "pass a list: Sequential([Dense(...)])"),
    C("seq-duplicate-name", "Sequential([...])", "two layers with the same name",
      lambda c: hg.Sequential([Dense(2, input_dim=3, name="a"), Dense(2, name="a")]), ValueError,
      r"a layer named 'a' is already in the model", "give each layer its own name"),
    C("seq-second-input-shape", "Sequential([...])", "input_dim on a layer after the first",
      lambda c: hg.Sequential([Dense(2), Dense(2, input_dim=2, name="second")]), ValueError,
      r"only the first layer may declare input_shape/input_dim \(layer 'second'\)",
      "declare the input shape on the first layer only"),
    C("seq-softmax-one-unit", "Sequential([...])", "softmax on a single unit",
      lambda c: hg.Sequential([Dense(1, "softmax", input_dim=3, name="out")]), ValueError,
      r"layer 'out' applies softmax to a single unit",
      "use Dense(1, 'sigmoid') for two classes, or one unit per class"),
    C("seq-dense-after-conv", "Sequential([...])", "Dense directly after Conv2D",
      lambda c: hg.Sequential([Conv2D(2, 3, input_shape=(1, 6, 6)), Dense(3, name="d")]),
      ValueError, r"Dense layer 'd' expects inputs of shape \(N, features\).*add a Flatten\(\)",
      "put Flatten() between them"),
    # -------------------------------------------------------------------- compile(...)
    C("compile-unknown-loss", "model.compile(loss=...)", "an unknown loss name",
      lambda c: c.uncompiled.compile("hinge", "sgd"), ValueError,
      r"unknown loss 'hinge'; expected one of: binary_crossentropy, categorical_crossentropy",
      "use one of the listed names", "uncompiled"),
    C("compile-loss-type", "model.compile(loss=...)", "a number as the loss",
      lambda c: c.uncompiled.compile(3, "sgd"), TypeError,
      r"loss must be a string name or a Loss, got int", "pass a loss name", "uncompiled"),
    C("compile-unknown-optimizer", "model.compile(optimizer=...)", "an unknown optimizer name",
      lambda c: c.uncompiled.compile("mse", "adagrad"), ValueError,
      r"unknown optimizer 'adagrad'; expected one of: adam, momentum, rmsprop, sgd",
      "use one of the listed names or an optimizer object", "uncompiled"),
    C("compile-optimizer-number", "model.compile(optimizer=...)", "a learning rate as optimizer",
      lambda c: c.uncompiled.compile("mse", 0.1), TypeError,
      r"optimizer must be a name or an Optimizer, got float", "pass hg.optimizers.SGD(0.1)",
      "uncompiled"),
    C("compile-metrics-string", "model.compile(metrics=...)", "one metric name as a string",
      lambda c: c.uncompiled.compile("mse", "sgd", metrics="accuracy"), TypeError,
      r"metrics must be a list of names, got the string 'accuracy'",
      "pass a list: metrics=['accuracy']", "uncompiled"),
    C("compile-unknown-metric", "model.compile(metrics=...)", "an unknown metric",
      lambda c: c.uncompiled.compile("mse", "sgd", metrics=["f1"]), ValueError,
      r"unknown metric 'f1'; expected one of: accuracy, mae, mse", "use one of the listed metrics",
      "uncompiled"),
    # -------------------------------------------------------------------- fit(x, ...)
    C("fit-not-compiled", "model.fit", "fit before compile",
      lambda c: c.uncompiled.fit(X, LABELS, verbose=0), ValueError,
      r"fit needs a compiled model: call model\.compile\(loss, optimizer\) first",
      "call model.compile(...) first", "uncompiled"),
    C("fit-x-features", "model.fit(x)", "x with the wrong number of features",
      fit(M, X[:, :2], LABELS), ValueError,
      r"x has shape \(12, 2\) but layer 'hidden' expects \(N, 3\)",
      "give x one column per input feature", M),
    C("fit-x-1d", "model.fit(x)", "a 1-D x", fit(M, X[:, 0], LABELS), ValueError,
      r"x must be batch-first with shape \(N, features\), got a 1-D array.*reshape\(-1, 1\)",
      "x.reshape(-1, 1) for one feature, x.reshape(1, -1) for one sample", M),
    C("fit-x-3d", "model.fit(x)", "images into a Dense network",
      fit(M, X.reshape(12, 3, 1), LABELS), ValueError,
      r"x has shape \(12, 3, 1\) but layer 'hidden' expects \(N, 3\)",
      "flatten the samples or add a Flatten() layer", M),
    C("fit-x-object", "model.fit(x)", "an object array", fit(M, X.astype(object), LABELS),
      TypeError, r"x must hold real numbers \(bool, int or float\), got dtype object",
      "convert to a float array: np.asarray(x, dtype=float)", M),
    C("fit-x-string", "model.fit(x)", "an array of strings", fit(M, X.astype(str), LABELS),
      TypeError, r"x must hold real numbers \(bool, int or float\), got dtype <U",
      "parse the numbers first (hg.data.load_csv does)", M),
    C("fit-x-complex", "model.fit(x)", "complex numbers", fit(M, X + 1j, LABELS), TypeError,
      r"x must hold real numbers \(bool, int or float\), got dtype complex128",
      "use real features (e.g. np.abs or real and imaginary parts as columns)", M),
    C("fit-x-none", "model.fit(x)", "x=None", fit(M, None, LABELS), TypeError,
      r"x must be an array, got None", "pass the features", M),
    C("fit-x-empty", "model.fit(x)", "an empty x", fit(M, np.empty((0, 3)), LABELS[:0]), ValueError,
      r"x is empty \(shape \(0, 3\)\); expected at least one sample", "pass at least one sample",
      M),
    C("fit-x-ragged", "model.fit(x)", "rows of different lengths",
      fit(M, [[1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1]), ValueError, r"x must be a rectangular array",
      "give every sample the same number of features", M),
    C("fit-x-nan", "model.fit(x)", "NaN in x", fit(M, with_nan(X), LABELS), ValueError,
      r"x contains NaN \(first at index \(4, 2\)\); remove or impute",
      "drop or impute missing values", M),
    C("fit-x-inf", "model.fit(x)", "inf in x", fit(M, with_nan(X, np.inf, (0, 1)), LABELS),
      ValueError, r"x contains inf \(first at index \(0, 1\)\)", "drop or clip infinite values", M),
    C("fit-y-length", "model.fit(x, y)", "fewer labels than samples", fit(M, X, LABELS[:9]),
      ValueError, r"x and y must have the same number of samples, got 12 and 9",
      "give one target per sample", M),
    C("fit-y-empty", "model.fit(x, y)", "an empty y", fit(M, X, []), ValueError, r"y is empty",
      "give one target per sample", M),
    C("fit-y-out-of-range", "model.fit(x, y)", "label 3 for a 3-unit softmax",
      fit(M, X, np.arange(12) % 4), ValueError,
      r"y labels must be integers in \[0, 3\) for a 3-unit output, got values in \[0, 3\]",
      "relabel classes as 0..K-1 or give the output layer one unit per class", M),
    C("fit-y-negative", "model.fit(x, y)", "negative labels", fit(M, X, LABELS - 1), ValueError,
      r"y labels must be integers in \[0, 3\).*got values in \[-1, 1\]",
      "relabel classes as 0..K-1", M),
    C("fit-y-fractional", "model.fit(x, y)", "labels such as 0.5", fit(M, X, LABELS + 0.5),
      ValueError, r"y holds class labels for categorical_crossentropy and must be integers",
      "use integer labels (1.0 is fine, 0.5 is not)", M),
    C("fit-y-bool-multiclass", "model.fit(x, y)", "bool labels for a softmax output",
      fit(M, X, BINARY.astype(bool)), ValueError, r"y labels must be integers in \[0, 3\)",
      "use integer labels: y.astype(int)", M),
    C("fit-y-string", "model.fit(x, y)", "string labels", fit(M, X, np.array(["a", "b", "c"] * 4)),
      TypeError, r"y must hold real numbers \(bool, int or float\), got dtype <U1",
      "encode classes as 0..K-1 (np.unique(y, return_inverse=True))", M),
    C("fit-y-nan", "model.fit(x, y)", "NaN in y",
      fit("regressor", X, with_nan(np.ones((12, 2)), at=(7, 1))), ValueError,
      r"y contains NaN \(first at index \(7, 1\)\)", "drop samples without a target", "regressor"),
    C("fit-y-one-hot-width", "model.fit(x, y)", "one-hot targets of the wrong width",
      fit(M, X, np.eye(4)[np.arange(12) % 4]), ValueError,
      r"y one-hot targets must have shape \(N, 3\) to match the output layer, got \(12, 4\)",
      "one column per output unit", M),
    C("fit-y-one-hot-rows", "model.fit(x, y)", "one-hot rows that do not sum to 1",
      fit(M, X, np.ones((12, 3))), ValueError,
      r"y one-hot targets must be in \[0, 1\] with rows summing to 1",
      "give one 1 per row (hg.data.one_hot)", M),
    C("fit-y-binary-range", "model.fit(x, y)", "labels 0..2 for a sigmoid output",
      fit("binary", X, LABELS), ValueError,
      r"y targets for binary_crossentropy must be in \[0, 1\], got values in \[0, 2\]",
      "use a softmax output with one unit per class", "binary"),
    C("fit-y-regression-width", "model.fit(x, y)", "targets of the wrong width",
      fit("regressor", X, np.ones((12, 3))), ValueError,
      r"y must have shape \(N, 2\) to match the output layer \(or \(N,\) for one unit\), "
      r"got \(12, 3\)", "one target column per output unit", "regressor"),
    C("fit-bce-linear-output", "model.fit(x, y)", "binary cross-entropy on a linear output",
      lambda c: _compiled([Dense(1, input_dim=3, name="out")], "binary_crossentropy").fit(
          X, BINARY, verbose=0
      ), ValueError,
      r"binary_crossentropy needs probabilities from the output layer, but layer 'out' ends "
      r"with activation 'linear'; give it activation='sigmoid' \(or use the loss 'mse'",
      "end with a sigmoid unit, or use mse for regression"),
    C("fit-cce-relu-output", "model.evaluate(x, y)", "categorical cross-entropy on ReLU units",
      lambda c: _compiled([Dense(3, "relu", input_dim=3, name="out")],
                          "categorical_crossentropy").evaluate(X, LABELS), ValueError,
      r"categorical_crossentropy needs probabilities from the output layer, but layer 'out' "
      r"ends with activation 'relu'; give it activation='softmax'",
      "end with a softmax layer (one unit per class)"),
    C("fit-cce-one-unit", "model.fit(x, y)", "categorical cross-entropy on one unit",
      lambda c: _one_unit_cce().fit(X, BINARY, verbose=0), ValueError,
      r"categorical_crossentropy needs an output layer with at least 2 units",
      "one sigmoid unit with binary_crossentropy"),
    C("fit-epochs-zero", "model.fit(epochs=...)", "epochs=0", fit(M, X, LABELS, epochs=0),
      ValueError, r"epochs must be a positive int, got 0", "train for at least one epoch", M),
    C("fit-epochs-float", "model.fit(epochs=...)", "a float number of epochs",
      fit(M, X, LABELS, epochs=2.5), TypeError, r"epochs must be a positive int, got 2\.5",
      "use an int", M),
    C("fit-batch-size-zero", "model.fit(batch_size=...)", "batch_size=0",
      fit(M, X, LABELS, batch_size=0), ValueError,
      r"batch_size must be a positive int or None, got 0",
      "a positive int, or None for the full batch", M),
    C("fit-batch-size-negative", "model.fit(batch_size=...)", "a negative batch size",
      fit(M, X, LABELS, batch_size=-8), ValueError,
      r"batch_size must be a positive int or None, got -8",
      "a positive int, or None for the full batch", M),
    C("fit-batch-size-float", "model.fit(batch_size=...)", "a float batch size",
      fit(M, X, LABELS, batch_size=2.5), TypeError,
      r"batch_size must be a positive int or None, got 2\.5", "use an int", M),
    C("fit-batch-size-bool", "model.fit(batch_size=...)", "batch_size=True",
      fit(M, X, LABELS, batch_size=True), TypeError,
      r"batch_size must be a positive int or None, got True", "use an int", M),
    C("fit-verbose", "model.fit(verbose=...)", "verbose=3",
      lambda c: c.model.fit(X, LABELS, verbose=3), ValueError, r"verbose must be 0, 1 or 2, got 3",
      "use 0, 1 or 2", M),
    C("fit-initial-epoch", "model.fit(initial_epoch=...)", "initial_epoch >= epochs",
      fit(M, X, LABELS, epochs=3, initial_epoch=3), ValueError,
      r"initial_epoch must be in \[0, epochs=3\), got 3",
      "epochs is the index of the last epoch: raise it", M),
    C("fit-shuffle", "model.fit(shuffle=...)", "shuffle='no'", fit(M, X, LABELS, shuffle="no"),
      TypeError, r"shuffle must be True or False, got 'no'", "use True or False", M),
    C("fit-validation-split-one", "model.fit(validation_split=...)", "validation_split=1.0",
      fit(M, X, LABELS, validation_split=1.0), ValueError,
      r"validation_split must be in \[0, 1\), got 1\.0", "a fraction such as 0.2", M),
    C("fit-validation-split-above-one", "model.fit(validation_split=...)",
      "a percentage instead of a fraction", fit(M, X, LABELS, validation_split=20), ValueError,
      r"validation_split must be in \[0, 1\), got 20", "a fraction such as 0.2", M),
    C("fit-validation-split-negative", "model.fit(validation_split=...)", "a negative fraction",
      fit(M, X, LABELS, validation_split=-0.1), ValueError,
      r"validation_split must be in \[0, 1\), got -0\.1", "a fraction such as 0.2", M),
    C("fit-validation-split-string", "model.fit(validation_split=...)", "a string",
      fit(M, X, LABELS, validation_split="0.2"), TypeError,
      r"validation_split must be a number in \[0, 1\), got '0\.2'", "a float", M),
    C("fit-validation-split-stratified", "model.fit(validation_split=...)",
      "a class with a single sample (stratified split)",
      fit(M, X[:7], np.array([0, 0, 0, 1, 1, 1, 2]), validation_split=0.3), ValueError,
      r"validation_split=0\.3 needs at least 2 samples of every class for a stratified "
      r"split; class 2 has 1", "collect more samples of that class or pass validation_data", M),
    C("fit-validation-split-too-small", "model.fit(validation_split=...)",
      "a split that leaves no validation sample (regression)",
      fit("regressor", X[:3], np.ones((3, 2)), validation_split=0.1), ValueError,
      r"validation_split=0\.1 of 3 samples leaves an empty side",
      "use more samples or a larger fraction", "regressor"),
    C("fit-validation-data-type", "model.fit(validation_data=...)", "x_val alone",
      fit(M, X, LABELS, validation_data=X), TypeError,
      r"validation_data must be a tuple \(x_val, y_val\)", "pass (x_val, y_val)", M),
    C("fit-validation-data-shape", "model.fit(validation_data=...)", "x_val with other features",
      fit(M, X, LABELS, validation_data=(X[:, :2], LABELS)), ValueError,
      r"x_val has shape \(12, 2\) but layer 'hidden' expects \(N, 3\)",
      "preprocess x_val exactly like x", M),
    C("fit-validation-data-labels", "model.fit(validation_data=...)",
      "validation labels out of range", fit(M, X, LABELS, validation_data=(X, LABELS + 3)),
      ValueError, r"y_val labels must be integers in \[0, 3\)", "relabel y_val like y", M),
    C("fit-class-weight-key", "model.fit(class_weight=...)", "a key that is not a class",
      fit(M, X, LABELS, class_weight={0: 1.0, 5: 2.0}), ValueError,
      r"class_weight key 5 is not a class; classes are 0\.\.\.2",
      "use the class indices 0..K-1 as keys", M),
    C("fit-class-weight-name-key", "model.fit(class_weight=...)", "class names as keys",
      fit(M, X, LABELS, class_weight={"cat": 1.0}), ValueError,
      r"class_weight key 'cat' is not a class", "use the class indices 0..K-1 as keys", M),
    C("fit-class-weight-negative", "model.fit(class_weight=...)", "a negative class weight",
      fit(M, X, LABELS, class_weight={0: -1.0}), ValueError,
      r"class_weight\[0\] must be a non-negative number, got -1\.0", "use weights >= 0", M),
    C("fit-class-weight-name", "model.fit(class_weight=...)", "an unknown strategy",
      fit(M, X, LABELS, class_weight="auto"), ValueError,
      r"class_weight must be a dict or 'balanced', got 'auto'", "use 'balanced' or a dict", M),
    C("fit-class-weight-list", "model.fit(class_weight=...)", "a list of weights",
      fit(M, X, LABELS, class_weight=[1.0, 2.0, 1.0]), TypeError,
      r"class_weight must be a dict or 'balanced', got \[1\.0, 2\.0, 1\.0\]",
      "use a dict {class: weight}", M),
    C("fit-class-weight-regression", "model.fit(class_weight=...)", "class weights with mse",
      fit("regressor", X, np.ones((12, 2)), class_weight={0: 1.0}), ValueError,
      r"class_weight needs class targets", "use sample_weight for regression", "regressor"),
    C("fit-sample-weight-shape", "model.fit(sample_weight=...)", "one weight too few",
      fit(M, X, LABELS, sample_weight=np.ones(11)), ValueError,
      r"sample_weight must have shape \(12,\), one weight per sample, got \(11,\)",
      "one weight per sample", M),
    C("fit-sample-weight-negative", "model.fit(sample_weight=...)", "a negative weight",
      fit(M, X, LABELS, sample_weight=-np.ones(12)), ValueError,
      r"sample_weight must be non-negative, got a minimum of -1\.0", "use weights >= 0", M),
    C("fit-sample-weight-nan", "model.fit(sample_weight=...)", "NaN weights",
      fit(M, X, LABELS, sample_weight=with_nan(np.ones(12), at=(3,))), ValueError,
      r"sample_weight contains NaN \(first at index \(3,\)\)", "use finite weights", M),
    C("fit-callbacks-single", "model.fit(callbacks=...)", "one callback instead of a list",
      fit(M, X, LABELS, callbacks=cb.EarlyStopping(monitor="loss")), TypeError,
      r"callbacks must be a list of Callback instances, got a single EarlyStopping",
      "wrap it in a list: callbacks=[...]", M),
    C("fit-callbacks-class", "model.fit(callbacks=...)", "a callback class, not an instance",
      fit(M, X, LABELS, callbacks=[cb.EarlyStopping]), TypeError,
      r"callbacks must be handgrad\.callbacks\.Callback instances",
      "instantiate it: EarlyStopping(...)", M),
    C("fit-augment", "model.fit(augment=...)", "a non-callable augment",
      fit(M, X, LABELS, augment="flip"), TypeError,
      r"augment must be a callable batch -> batch, got 'flip'",
      "pass a function or an augmentation pipeline", M),
    C("fit-batch-norm-single-sample", "model.fit(batch_size=...)",
      "a last batch of one sample with BatchNormalization",
      fit("bn_model", X[:5], LABELS[:5], batch_size=4), ValueError,
      r"layer 'bn' needs training batches of at least 2 samples, but 5 samples in batches "
      r"of 4 leave a batch of 1", "choose a batch size that leaves no batch of one", "bn_model"),
    C("fit-cnn-flat-images", "model.fit(x)", "flat images into Conv2D",
      fit("cnn", IMAGES.reshape(6, 36), LABELS[:6]), ValueError,
      r"x has shape \(6, 36\) but layer 'conv' expects \(N, 1, 6, 6\)",
      "reshape to (N, channels, height, width)", "cnn"),
    C("fit-cnn-channels-last", "model.fit(x)", "channels-last images",
      fit("cnn", IMAGES.transpose(0, 2, 3, 1)[:, :, :, :], LABELS[:6]), ValueError,
      r"x has shape \(6, 6, 6, 1\) but layer 'conv' expects \(N, 1, 6, 6\)",
      "images are channels-first: x.transpose(0, 3, 1, 2)", "cnn"),
    # -------------------------------------------------------------- callbacks at fit time
    C("fit-monitor-missing", "EarlyStopping(monitor=...)", "monitor val_loss without validation",
      fit(M, X, LABELS, epochs=3, callbacks=[cb.EarlyStopping()]), ValueError,
      r"EarlyStopping monitors 'val_loss', which is not in the epoch logs \(val_ values need "
      r"fit\(validation_data=\.\.\.\) or validation_split=\); available: accuracy, loss, lr",
      "pass validation data or monitor 'loss'", M),
    C("fit-monitor-typo", "ReduceLROnPlateau(monitor=...)", "a misspelled monitor",
      fit(M, X, LABELS, epochs=3, callbacks=[cb.ReduceLROnPlateau(monitor="acc")]), ValueError,
      r"ReduceLROnPlateau monitors 'acc', which is not in the epoch logs; available: "
      r"accuracy, loss, lr", "use one of the available names", M),
    C("fit-checkpoint-placeholder", "ModelCheckpoint(filepath=...)", "an unknown placeholder",
      lambda c: c.model.fit(
          X,
          LABELS,
          epochs=2,
          verbose=0,
          callbacks=[cb.ModelCheckpoint(str(c.tmp / "m-{epok}.hgz"), monitor="loss")],
      ), ValueError,
      r"ModelCheckpoint filepath '.*m-\{epok\}\.hgz' cannot be filled from epoch and logs",
      "use {epoch} or a logged name such as {loss}", M),
    C("fit-csv-folder", "CSVLogger(filename)", "a file in a folder that does not exist",
      lambda c: c.model.fit(
          X, LABELS, verbose=0, callbacks=[cb.CSVLogger(c.tmp / "no" / "log.csv")]
      ), FileNotFoundError, r"CSVLogger: the folder of '.*log\.csv' does not exist",
      "create the folder first", M),
    C("fit-lr-scheduler-negative", "LearningRateScheduler(schedule)",
      "a schedule returning a negative rate",
      fit(M, X, LABELS, callbacks=[cb.LearningRateScheduler(lambda epoch, lr: -lr)]), ValueError,
      r"LearningRateScheduler: schedule\(epoch=0, lr=0\.1\) must return a finite "
      r"number >= 0, got -0\.1", "return a rate >= 0", M),
    # --------------------------------------------------- evaluate / predict / train_on_batch
    C("evaluate-not-compiled", "model.evaluate", "evaluate before compile",
      lambda c: c.uncompiled.evaluate(X, LABELS), ValueError, r"evaluate needs a compiled model",
      "call model.compile(...) first", "uncompiled"),
    C("evaluate-x-features", "model.evaluate(x, y)", "x with the wrong number of features",
      lambda c: c.model.evaluate(X[:, :2], LABELS), ValueError,
      r"x has shape \(12, 2\) but layer 'hidden' expects \(N, 3\)",
      "give x one column per input feature", M),
    C("evaluate-y-range", "model.evaluate(x, y)", "labels out of range",
      lambda c: c.model.evaluate(X, LABELS + 1), ValueError,
      r"y labels must be integers in \[0, 3\) for a 3-unit output, got values in \[1, 3\]",
      "relabel classes as 0..K-1", M),
    C("evaluate-batch-size", "model.evaluate(batch_size=...)", "batch_size=0",
      lambda c: c.model.evaluate(X, LABELS, batch_size=0), ValueError,
      r"batch_size must be a positive int or None, got 0", "a positive int", M),
    C("evaluate-sample-weight", "model.evaluate(sample_weight=...)", "a 2-D weight array",
      lambda c: c.model.evaluate(X, LABELS, sample_weight=np.ones((12, 1))), ValueError,
      r"sample_weight must have shape \(12,\), one weight per sample, got \(12, 1\)",
      "one weight per sample", M),
    C("predict-x-1d", "model.predict(x)", "one sample as a 1-D array",
      lambda c: c.model.predict(X[0]), ValueError,
      r"x must be batch-first with shape \(N, features\), got a 1-D array of shape \(3,\)",
      "x.reshape(1, -1) for one sample", M),
    C("predict-x-string", "model.predict(x)", "strings",
      lambda c: c.model.predict([["a", "b", "c"]]), TypeError,
      r"x must hold real numbers \(bool, int or float\), got dtype <U1", "parse the numbers first",
      M),
    C("predict-x-inf", "model.predict(x)", "inf in x",
      lambda c: c.model.predict(with_nan(X, -np.inf, (2, 0))), ValueError,
      r"x contains inf \(first at index \(2, 0\)\)", "drop or clip infinite values", M),
    C("predict-x-empty", "model.predict(x)", "an empty batch",
      lambda c: c.model.predict(np.empty((0, 3))), ValueError, r"x is empty \(shape \(0, 3\)\)",
      "pass at least one sample", M),
    C("predict-batch-size", "model.predict(batch_size=...)", "a negative batch size",
      lambda c: c.model.predict(X, batch_size=-1), ValueError,
      r"batch_size must be a positive int or None, got -1", "a positive int", M),
    C("predict-no-layers", "model.predict", "a model without layers",
      lambda c: hg.Sequential().predict(X), ValueError,
      r"the model has no layers; add some before using it", "add layers first"),
    C("train-on-batch-not-compiled", "model.train_on_batch", "before compile",
      lambda c: c.uncompiled.train_on_batch(X, LABELS), ValueError,
      r"train_on_batch needs a compiled model", "call model.compile(...) first", "uncompiled"),
    C("train-on-batch-y", "model.train_on_batch(x, y)", "labels out of range",
      lambda c: c.model.train_on_batch(X, LABELS * 2), ValueError,
      r"y labels must be integers in \[0, 3\) for a 3-unit output, got values in \[0, 4\]",
      "relabel classes as 0..K-1", M),
    C("train-on-batch-x-nan", "model.train_on_batch(x, y)", "NaN in x",
      lambda c: c.model.train_on_batch(with_nan(X), LABELS), ValueError,
      r"x contains NaN \(first at index \(4, 2\)\)", "drop or impute missing values", M),
    C("train-on-batch-bn-one-sample", "model.train_on_batch(x, y)",
      "one sample through BatchNormalization in training",
      lambda c: c.bn_model.train_on_batch(X[:1], LABELS[:1]), ValueError,
      r"BatchNormalization 'bn' needs more than one value per feature in training, got an "
      r"input of shape \(1, 4\)", "train on batches of 2 or more samples", "bn_model"),
    # ---------------------------------------------------------------- set_weights
    C("set-weights-count", "model.set_weights", "one array too few",
      lambda c: c.model.set_weights(c.model.get_weights()[:3]), ValueError,
      r"set_weights expects 4 arrays \(one per weight, layer by layer\), got 3",
      "pass the list get_weights() returns", M),
    C("set-weights-shape", "model.set_weights", "a transposed kernel",
      lambda c: c.model.set_weights([w.T for w in c.model.get_weights()]), ValueError,
      r"layer 'hidden' weight 'W' must have shape \(3, 4\), got \(4, 3\)", "W is (fan_in, units)",
      M),
    C("set-weights-nan", "model.set_weights", "NaN in a weight",
      lambda c: c.model.set_weights(
          [with_nan(w, at=(0,) * w.ndim) for w in c.model.get_weights()]
      ), ValueError, r"layer 'hidden' weight 'W' contains NaN or inf", "use finite weights", M),
    C("set-weights-dtype", "model.set_weights", "string arrays",
      lambda c: c.model.set_weights([w.astype(str) for w in c.model.get_weights()]), TypeError,
      r"layer 'hidden' weight 'W' must be a real number array, got dtype <U", "pass numeric arrays",
      M),
    C("set-weights-unbuilt", "model.set_weights", "a model without an input shape",
      lambda c: hg.Sequential([Dense(2)]).set_weights([]), ValueError,
      r"set_weights needs a built model: give the first layer input_dim= or input_shape=",
      "declare input_dim=, call model.build(shape) or fit first"),
    # ------------------------------------------------------------------------ layers
    C("dense-units-zero", "Dense(units)", "units=0", lambda c: Dense(0, name="d"), ValueError,
      r"Dense 'd' units must be a positive int, got 0", "a positive number of units"),
    C("dense-units-negative", "Dense(units)", "negative units", lambda c: Dense(-4, name="d"),
      ValueError, r"Dense 'd' units must be a positive int, got -4", "a positive number of units"),
    C("dense-units-float", "Dense(units)", "a float number of units",
      lambda c: Dense(2.5, name="d"), TypeError,
      r"Dense 'd' units must be a positive int, got 2\.5", "an int"),
    C("dense-units-string", "Dense(units)", "units as a string", lambda c: Dense("4", name="d"),
      TypeError, r"Dense 'd' units must be a positive int, got '4'", "an int"),
    C("dense-unknown-activation", "Dense(activation=...)", "an unknown activation",
      lambda c: Dense(4, "relu6"), ValueError,
      r"unknown activation 'relu6'; expected one of: elu, hard_sigmoid, leaky_relu, linear, "
      r"relu, sigmoid, sign, softmax, step, tanh", "use one of the listed names"),
    C("dense-activation-callable", "Dense(activation=...)", "a function as activation",
      lambda c: Dense(4, np.tanh), TypeError, r"activation must be a string name, got ufunc",
      "pass the name: 'tanh'"),
    C("dense-unknown-initializer", "Dense(kernel_initializer=...)", "an unknown initializer",
      lambda c: Dense(4, kernel_initializer="xavier"), ValueError,
      r"unknown initializer 'xavier'; expected one of: glorot_normal, glorot_uniform",
      "'glorot_uniform' is Xavier's"),
    C("dense-input-dim-zero", "Dense(input_dim=...)", "input_dim=0",
      lambda c: Dense(4, input_dim=0), ValueError, r"input_dim must be a positive int, got 0",
      "the number of input features"),
    C("dense-input-dim-tuple", "Dense(input_dim=...)", "a tuple as input_dim",
      lambda c: Dense(4, input_dim=(3,)), TypeError,
      r"input_dim must be a positive int, got \(3,\)", "input_dim=3 or input_shape=(3,)"),
    C("dense-input-shape-float", "Dense(input_shape=...)", "a float size",
      lambda c: Dense(4, input_shape=(3.5,)), TypeError,
      r"input_shape must be an int or a tuple of ints, got \(3\.5,\)", "use ints"),
    C("dense-input-shape-string", "Dense(input_shape=...)", "a string",
      lambda c: Dense(4, input_shape="34"), TypeError,
      r"input_shape must be an int or a tuple of ints, got '34'", "use a tuple of ints"),
    C("dense-input-shape-zero", "Dense(input_shape=...)", "a zero size",
      lambda c: Dense(4, input_shape=(0,)), ValueError,
      r"input_shape must contain positive sizes, got \(0,\)", "use positive sizes"),
    C("dense-input-both", "Dense(input_dim=..., input_shape=...)", "both",
      lambda c: Dense(4, input_dim=3, input_shape=(3,)), ValueError,
      r"give either input_dim or input_shape, not both", "keep one"),
    C("dense-use-bias", "Dense(use_bias=...)", "use_bias='no'",
      lambda c: Dense(4, use_bias="no", name="d"), TypeError,
      r"Dense 'd' use_bias must be True or False, got 'no'", "use True or False"),
    C("layer-trainable", "Dense(trainable=...)", "trainable='false'",
      lambda c: Dense(4, trainable="false"), TypeError,
      r"trainable must be True or False, got 'false'", "use True or False"),
    C("layer-name", "Dense(name=...)", "a number as name", lambda c: Dense(4, name=3), TypeError,
      r"name must be a string, got int", "use a string"),
    C("dense-regularizer-name", "Dense(kernel_regularizer=...)", "an unknown regularizer",
      lambda c: Dense(4, kernel_regularizer="l3"), ValueError,
      r"unknown regularizer 'l3'; expected one of: l1, l2, l1_l2",
      "use L1(...), L2(...) or L1L2(...)"),
    C("dense-regularizer-number", "Dense(kernel_regularizer=...)", "a bare factor",
      lambda c: Dense(4, kernel_regularizer=0.01), TypeError,
      r"kernel_regularizer must be a Regularizer or a name, got 0\.01",
      "wrap it: kernel_regularizer=L2(0.01)"),
    C("dense-constraint", "Dense(kernel_constraint=...)", "a bare number",
      lambda c: Dense(4, kernel_constraint=3), TypeError,
      r"kernel_constraint must be a Constraint such as MaxNorm\(3\), got 3",
      "wrap it: kernel_constraint=MaxNorm(3)"),
    C("activation-unknown", "Activation(name)", "an unknown activation",
      lambda c: Activation("gelu"), ValueError, r"unknown activation 'gelu'; expected one of",
      "use one of the listed names"),
    C("activation-type", "Activation(name)", "a function instead of a name",
      lambda c: Activation(np.tanh), TypeError, r"activation must be a string name, got ufunc",
      "pass the name: Activation('tanh')"),
    C("layer-seed", "Dropout(rate, seed=...)", "a negative seed",
      lambda c: Dropout(0.5, seed=-1), TypeError,
      r"seed must be a non-negative int or None, got -1", "an int >= 0, or None"),
    C("flatten-input-shape", "Flatten(input_shape=...)", "a zero size",
      lambda c: Flatten(input_shape=(28, 0)), ValueError,
      r"input_shape must contain positive sizes, got \(28, 0\)", "the shape of one sample"),
    C("dropout-rate-one", "Dropout(rate)", "rate=1 (drop everything)", lambda c: Dropout(1.0),
      ValueError, r"Dropout rate must be in \[0, 1\) \(the fraction of units dropped\), got 1\.0",
      "the fraction dropped, below 1"),
    C("dropout-keep-prob", "Dropout(rate)", "a keep probability above 1", lambda c: Dropout(1.5),
      ValueError, r"Dropout rate must be in \[0, 1\).*got 1\.5",
      "rate is the fraction dropped (1 - keep_prob)"),
    C("dropout-rate-negative", "Dropout(rate)", "a negative rate", lambda c: Dropout(-0.2),
      ValueError, r"Dropout rate must be in \[0, 1\).*got -0\.2", "a fraction in [0, 1)"),
    C("dropout-rate-nan", "Dropout(rate)", "NaN", lambda c: Dropout(float("nan")), ValueError,
      r"Dropout rate must be in \[0, 1\).*got nan", "a fraction in [0, 1)"),
    C("dropout-rate-string", "Dropout(rate)", "a string", lambda c: Dropout("0.5"), TypeError,
      r"Dropout rate must be a number in \[0, 1\), got '0\.5'", "a float"),
    C("bn-momentum-one", "BatchNormalization(momentum=...)", "momentum=1 (never updates)",
      lambda c: BatchNormalization(momentum=1.0), ValueError,
      r"BatchNormalization momentum must be in \[0, 1\), got 1\.0", "e.g. 0.99"),
    C("bn-momentum-negative", "BatchNormalization(momentum=...)", "a negative momentum",
      lambda c: BatchNormalization(momentum=-0.1), ValueError,
      r"BatchNormalization momentum must be in \[0, 1\), got -0\.1", "e.g. 0.99"),
    C("bn-epsilon-zero", "BatchNormalization(epsilon=...)", "epsilon=0",
      lambda c: BatchNormalization(epsilon=0.0), ValueError,
      r"BatchNormalization epsilon must be in \(0, 1\), got 0\.0", "e.g. 1e-3"),
    C("bn-momentum-string", "BatchNormalization(momentum=...)", "a string",
      lambda c: BatchNormalization(momentum="0.9"), TypeError,
      r"BatchNormalization momentum must be a number, got '0\.9'", "a float"),
    C("conv-filters-zero", "Conv2D(filters, ...)", "filters=0", lambda c: Conv2D(0, 3, name="c"),
      ValueError, r"Conv2D 'c' filters must be a positive int, got 0", "a positive int"),
    C("conv-kernel-zero", "Conv2D(kernel_size=...)", "kernel_size=0",
      lambda c: Conv2D(4, 0, name="c"), ValueError, r"Conv2D 'c' kernel_size must be >= 1, got 0",
      "a positive int or pair"),
    C("conv-kernel-triple", "Conv2D(kernel_size=...)", "three sizes",
      lambda c: Conv2D(4, (3, 3, 3), name="c"), TypeError,
      r"Conv2D 'c' kernel_size must be an int or a pair of ints, got \(3, 3, 3\)",
      "(height, width)"),
    C("conv-kernel-float", "Conv2D(kernel_size=...)", "a float size",
      lambda c: Conv2D(4, 3.0, name="c"), TypeError,
      r"Conv2D 'c' kernel_size must be an int or a pair of ints, got 3\.0", "an int"),
    C("conv-strides-zero", "Conv2D(strides=...)", "strides=0",
      lambda c: Conv2D(4, 3, strides=0, name="c"), ValueError,
      r"Conv2D 'c' strides must be >= 1, got 0", "strides >= 1"),
    C("conv-padding-name", "Conv2D(padding=...)", "an unknown padding",
      lambda c: Conv2D(4, 3, padding="full", name="c"), ValueError,
      r"Conv2D 'c' padding must be 'valid', 'same' or a non-negative int, got 'full'",
      "'valid', 'same' or an int"),
    C("conv-padding-negative", "Conv2D(padding=...)", "negative padding",
      lambda c: Conv2D(4, 3, padding=-1, name="c"), ValueError,
      r"Conv2D 'c' padding must be >= 0, got -1", "padding >= 0"),
    C("conv-input-2d", "Conv2D(input_shape=...)", "an image shape without channels",
      lambda c: hg.Sequential([Conv2D(4, 3, input_shape=(28, 28), name="c")]), ValueError,
      r"Conv2D layer 'c' expects images of shape \(N, channels, height, width\), got samples "
      r"of shape \(28, 28\)", "input_shape=(1, 28, 28)"),
    C("conv-kernel-too-large", "Conv2D(kernel_size=...)", "a kernel larger than the image",
      lambda c: hg.Sequential([Conv2D(4, 5, input_shape=(1, 3, 3), name="c")]), ValueError,
      r"Conv2D layer 'c': .*padding 'valid'", "a smaller kernel or padding='same'"),
    C("maxpool-size-zero", "MaxPooling2D(pool_size=...)", "pool_size=0",
      lambda c: MaxPooling2D(0, name="p"), ValueError,
      r"MaxPooling2D 'p' pool_size must be >= 1, got 0", "pool_size >= 1"),
    C("maxpool-strides", "MaxPooling2D(strides=...)", "a negative stride",
      lambda c: MaxPooling2D(2, strides=-1, name="p"), ValueError,
      r"MaxPooling2D 'p' strides must be >= 1, got -1", "strides >= 1 (or None)"),
    C("avgpool-padding", "AveragePooling2D(padding=...)", "an unknown padding",
      lambda c: AveragePooling2D(2, padding="full", name="p"), ValueError,
      r"AveragePooling2D 'p' padding must be 'valid' or 'same', got 'full'", "'valid' or 'same'"),
    C("avgpool-size-triple", "AveragePooling2D(pool_size=...)", "three sizes",
      lambda c: AveragePooling2D((2, 2, 2), name="p"), TypeError,
      r"AveragePooling2D 'p' pool_size must be an int or a pair of ints", "(height, width)"),
    C("pool-too-large", "MaxPooling2D(pool_size=...)", "a window larger than the image",
      lambda c: hg.Sequential([MaxPooling2D(4, input_shape=(1, 3, 3), name="p")]), ValueError,
      r"MaxPooling2D layer 'p': pool .*padding 'valid'", "a smaller window or padding='same'"),
    C("flatten-batch-shape", "Flatten().forward(x)", "a batch of another shape",
      lambda c: _built_flatten().forward(np.zeros((2, 3, 3))), ValueError,
      r"Flatten layer 'f' was built for samples of shape \(2, 2\) but got a batch of shape "
      r"\(2, 3, 3\)", "keep the sample shape the layer was built for"),
    # -------------------------------------------------------------------- optimizers
    C("sgd-lr-negative", "SGD(learning_rate)", "a negative learning rate", lambda c: SGD(-0.1),
      ValueError, r"learning_rate must be a number >= 0, got -0\.1", "a rate >= 0"),
    C("sgd-lr-nan", "SGD(learning_rate)", "NaN", lambda c: SGD(float("nan")), ValueError,
      r"learning_rate must be finite, got nan", "a finite rate"),
    C("sgd-lr-string", "SGD(learning_rate)", "a string", lambda c: SGD("0.1"), TypeError,
      r"learning_rate must be a number, got '0\.1'", "a float"),
    C("sgd-lr-list-negative", "SGD(learning_rate=[...])", "a negative rate in a list",
      lambda c: SGD([0.1, -0.1]), ValueError, r"rates\[1\] must be a finite number >= 0, got -0\.1",
      "rates >= 0"),
    C("sgd-lr-list-empty", "SGD(learning_rate=[...])", "an empty list", lambda c: SGD([]),
      ValueError, r"rates must contain at least one learning rate", "give at least one rate"),
    C("sgd-momentum-one", "SGD(momentum=...)", "momentum=1", lambda c: SGD(0.1, momentum=1.0),
      ValueError, r"momentum must be a number in \[0, 1\), got 1\.0", "e.g. 0.9"),
    C("sgd-momentum-negative", "SGD(momentum=...)", "a negative momentum",
      lambda c: SGD(0.1, momentum=-0.5), ValueError,
      r"momentum must be a number in \[0, 1\), got -0\.5", "e.g. 0.9"),
    C("sgd-nesterov-no-momentum", "SGD(nesterov=True)", "Nesterov without momentum",
      lambda c: SGD(0.1, nesterov=True), ValueError,
      r"nesterov=True requires momentum > 0, got momentum=0", "set momentum, e.g. 0.9"),
    C("sgd-nesterov-string", "SGD(nesterov=...)", "a string",
      lambda c: SGD(0.1, momentum=0.9, nesterov="yes"), TypeError,
      r"nesterov must be True or False, got 'yes'", "True or False"),
    C("momentum-beta-one", "Momentum(beta=...)", "beta=1", lambda c: Momentum(0.1, beta=1.0),
      ValueError, r"beta must be a number in \[0, 1\), got 1\.0", "e.g. 0.9"),
    C("momentum-bias-correction", "Momentum(bias_correction=...)", "a string",
      lambda c: Momentum(0.1, bias_correction="yes"), TypeError,
      r"bias_correction must be True or False, got 'yes'", "True or False"),
    C("rmsprop-rho", "RMSprop(rho=...)", "rho above 1", lambda c: RMSprop(0.01, rho=1.5),
      ValueError, r"rho must be a number in \[0, 1\), got 1\.5", "e.g. 0.9"),
    C("rmsprop-epsilon", "RMSprop(epsilon=...)", "epsilon=0", lambda c: RMSprop(0.01, epsilon=0),
      ValueError, r"epsilon must be > 0 \(it keeps the division finite\), got 0\.0", "e.g. 1e-8"),
    C("adam-beta1", "Adam(beta_1=...)", "beta_1=1", lambda c: Adam(beta_1=1.0), ValueError,
      r"beta_1 must be a number in \[0, 1\), got 1\.0", "e.g. 0.9"),
    C("adam-beta2", "Adam(beta_2=...)", "beta_2 above 1", lambda c: Adam(beta_2=1.001), ValueError,
      r"beta_2 must be a number in \[0, 1\), got 1\.001", "e.g. 0.999"),
    C("adam-epsilon-negative", "Adam(epsilon=...)", "a negative epsilon",
      lambda c: Adam(epsilon=-1e-8), ValueError, r"epsilon must be > 0", "e.g. 1e-8"),
    # --------------------------------------------------------------------- schedules
    C("schedule-initial-negative", "InverseTimeDecay(initial, ...)", "a negative rate",
      lambda c: schedules.InverseTimeDecay(-0.1, 1.0), ValueError,
      r"initial must be a finite number >= 0, got -0\.1", "a rate >= 0"),
    C("schedule-decay-negative", "InverseTimeDecay(decay_rate=...)", "a negative decay",
      lambda c: schedules.InverseTimeDecay(0.1, -1.0), ValueError,
      r"decay_rate must be a finite number >= 0, got -1\.0", "decay_rate >= 0"),
    C("schedule-base-zero", "ExponentialDecay(base=...)", "base=0",
      lambda c: schedules.ExponentialDecay(0.1, base=0), ValueError,
      r"base must be a finite number > 0, got 0\.0", "e.g. 0.95"),
    C("schedule-every-zero", "StepDecay(every=...)", "every=0",
      lambda c: schedules.StepDecay(0.1, 0.5, every=0), ValueError,
      r"every must be an int >= 1, got 0", "a number of epochs >= 1"),
    C("schedule-every-float", "StepDecay(every=...)", "a float",
      lambda c: schedules.StepDecay(0.1, 0.5, every=2.5), TypeError,
      r"every must be an int >= 1, got 2\.5", "an int"),
    C("schedule-epoch-zero", "schedule(epoch)", "epoch 0",
      lambda c: schedules.ExponentialDecay(0.1)(0), ValueError,
      r"epoch must be an int >= 1 \(epochs are counted from 1\), got 0", "epochs start at 1"),
    C("schedule-not-callable", "LambdaSchedule(fn)", "a number",
      lambda c: schedules.LambdaSchedule(0.1), TypeError, r"fn must be callable, got float",
      "pass a function epoch -> rate"),
    C("schedule-get-unknown", "schedules.get(spec)", "a name", lambda c: schedules.get("cosine"),
      TypeError, r"a schedule must be a Schedule, list of rates or callable, got 'cosine'",
      "use one of the schedule classes"),
    # -------------------------------------------------------- regularizers, constraints
    C("l2-negative", "L2(l2)", "a negative factor", lambda c: regularizers.L2(-0.01), ValueError,
      r"l2 must be a non-negative finite number, got -0\.01", "a factor >= 0"),
    C("l1-nan", "L1(l1)", "NaN", lambda c: regularizers.L1(float("nan")), ValueError,
      r"l1 must be a non-negative finite number, got nan", "a finite factor"),
    C("l1l2-string", "L1L2(l1, l2)", "a string", lambda c: regularizers.L1L2(l1="0.1"), TypeError,
      r"l1 must be a non-negative number, got '0\.1'", "a float"),
    C("maxnorm-zero", "MaxNorm(max_value)", "max_value=0", lambda c: constraints.MaxNorm(0),
      ValueError, r"max_value must be a positive finite number, got 0", "e.g. 3"),
    C("maxnorm-string", "MaxNorm(max_value)", "a string", lambda c: constraints.MaxNorm("3"),
      TypeError, r"max_value must be a positive number, got '3'", "a number"),
    C("constraint-unknown", "Dense(kernel_constraint=...)", "an unknown name",
      lambda c: constraints.get("unit_norm"), TypeError,
      r"kernel_constraint must be a Constraint such as MaxNorm\(3\), got 'unit_norm'",
      "use MaxNorm(...)"),
    # -------------------------------------------------------------------- callbacks
    C("early-stopping-patience", "EarlyStopping(patience=...)", "a negative patience",
      lambda c: cb.EarlyStopping(patience=-1), ValueError, r"patience must be an int >= 0, got -1",
      "an int >= 0"),
    C("early-stopping-patience-float", "EarlyStopping(patience=...)", "a float patience",
      lambda c: cb.EarlyStopping(patience=2.5), ValueError,
      r"patience must be an int >= 0, got 2\.5", "an int"),
    C("early-stopping-mode", "EarlyStopping(mode=...)", "an unknown mode",
      lambda c: cb.EarlyStopping(mode="lowest"), ValueError,
      r"EarlyStopping mode must be 'auto', 'min' or 'max', got 'lowest'", "'auto', 'min' or 'max'"),
    C("early-stopping-monitor", "EarlyStopping(monitor=...)", "a non-string monitor",
      lambda c: cb.EarlyStopping(monitor=None), TypeError,
      r"EarlyStopping monitor must be a log name such as 'val_loss', got None", "a log name"),
    C("early-stopping-restore", "EarlyStopping(restore_best_weights=...)", "a string",
      lambda c: cb.EarlyStopping(restore_best_weights="yes"), TypeError,
      r"restore_best_weights must be a bool, got 'yes'", "True or False"),
    C("early-stopping-min-delta", "EarlyStopping(min_delta=...)", "a string",
      lambda c: cb.EarlyStopping(min_delta="0.1"), TypeError,
      r"min_delta must be a number, got '0\.1'", "a float"),
    C("reduce-lr-factor-above-one", "ReduceLROnPlateau(factor=...)", "a factor above 1",
      lambda c: cb.ReduceLROnPlateau(factor=1.5), ValueError,
      r"ReduceLROnPlateau factor must be in \(0, 1\), got 1\.5", "e.g. 0.1"),
    C("reduce-lr-factor-zero", "ReduceLROnPlateau(factor=...)", "factor=0",
      lambda c: cb.ReduceLROnPlateau(factor=0.0), ValueError,
      r"ReduceLROnPlateau factor must be in \(0, 1\), got 0\.0", "e.g. 0.1"),
    C("reduce-lr-min-lr", "ReduceLROnPlateau(min_lr=...)", "a negative min_lr",
      lambda c: cb.ReduceLROnPlateau(min_lr=-1e-3), ValueError,
      r"min_lr must be a finite number >= 0, got -0\.001", "min_lr >= 0"),
    C("csv-logger-filename", "CSVLogger(filename)", "a number", lambda c: cb.CSVLogger(3),
      TypeError, r"filename must be a str or path, got 3", "a path"),
    C("csv-logger-separator", "CSVLogger(separator=...)", "two characters",
      lambda c: cb.CSVLogger("log.csv", separator=";;"), ValueError,
      r"separator must be a single character, got ';;'", "one character"),
    C("csv-logger-append", "CSVLogger(append=...)", "a string",
      lambda c: cb.CSVLogger("log.csv", append="yes"), TypeError,
      r"append must be a bool, got 'yes'", "True or False"),
    C("checkpoint-filepath", "ModelCheckpoint(filepath)", "None",
      lambda c: cb.ModelCheckpoint(None), TypeError, r"filepath must be a path, got None",
      "a path such as 'best.hgz'"),
    C("checkpoint-save-best", "ModelCheckpoint(save_best_only=...)", "a string",
      lambda c: cb.ModelCheckpoint("m.hgz", save_best_only="yes"), TypeError,
      r"save_best_only must be a bool, got 'yes'", "True or False"),
    C("checkpoint-mode", "ModelCheckpoint(mode=...)", "an unknown mode",
      lambda c: cb.ModelCheckpoint("m.hgz", mode="best"), ValueError,
      r"ModelCheckpoint mode must be 'auto', 'min' or 'max', got 'best'", "'auto', 'min' or 'max'"),
    C("lr-scheduler-number", "LearningRateScheduler(schedule)", "a number",
      lambda c: cb.LearningRateScheduler(0.1), TypeError,
      r"schedule must be callable as schedule\(epoch, lr\), got 0\.1",
      "pass a function (epoch, lr) -> rate or a Schedule"),
    C("progress-bar-width", "ProgressBar(width=...)", "width=0", lambda c: cb.ProgressBar(width=0),
      ValueError, r"width must be a positive int, got 0", "a positive int"),
    # ------------------------------------------------------------------- data loaders
    C("load-csv-missing-file", "load_csv(path)", "a path that does not exist",
      lambda c: hg.data.load_csv(c.tmp / "nope.csv"), FileNotFoundError,
      r"No such file or directory: '.*nope\.csv'", "check the path"),
    C("load-csv-label-type", "load_csv(label=...)", "a column index as label",
      lambda c: hg.data.load_csv("x.csv", label=3), TypeError,
      r"label must be a column name \(str\) or None, got 3", "the column's name"),
    C("load-csv-label-dtype", "load_csv(label_dtype=...)", "an unsupported dtype",
      lambda c: hg.data.load_csv("x.csv", label_dtype="int8"), ValueError,
      r"label_dtype must be 'int64', 'float32' or 'float64', got 'int8'", "one of the three"),
    C("load-csv-no-label-column", "load_csv(path, label=...)", "a label column that is missing",
      lambda c: hg.data.load_csv(csv_file(c, "a,b\n1,2\n")), ValueError,
      r"line 1 \(the header\) has no label column 'y'; found 2 columns: 'a', 'b'",
      "pass label=<name>, or label=None for features only"),
    C("load-csv-ragged", "load_csv(path)", "a row with a missing cell",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n1,2,0\n3,1\n")), ValueError,
      r"line 3 has 2 cells but the header has 3 columns", "fix that line of the file"),
    C("load-csv-not-number", "load_csv(path)", "a cell that is not a number",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n1,2,0\n3,x,1\n")), ValueError,
      r"line 3, column 'b': expected a number, got 'x'", "fix that cell"),
    C("load-csv-empty-cell", "load_csv(path)", "an empty cell",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n1,,0\n")), ValueError,
      r"line 2, column 'b': expected a number, got an empty cell", "impute or drop the row"),
    C("load-csv-nan-cell", "load_csv(path)", "a NaN cell",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n1,nan,0\n")), ValueError,
      r"line 2, column 'b': 'nan' is not a finite number", "impute or drop the row"),
    C("load-csv-fractional-label", "load_csv(path)", "a label such as 1.5",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n1,2,1.5\n")), ValueError,
      r"line 2, column 'y': class labels must be integers, got 1\.5; use "
      r"label_dtype='float32' for regression targets", "label_dtype='float32' for regression"),
    C("load-csv-empty", "load_csv(path)", "an empty file",
      lambda c: hg.data.load_csv(csv_file(c, "")), ValueError,
      r"the file is empty or its first line is blank; expected a header row",
      "a header row, then one row per sample"),
    C("load-csv-header-only", "load_csv(path)", "a header and no rows",
      lambda c: hg.data.load_csv(csv_file(c, "a,b,y\n")), ValueError,
      r"the header is followed by no data rows", "add samples"),
    C("load-csv-no-delimiter", "load_csv(path)", "a space-separated file",
      lambda c: hg.data.load_csv(csv_file(c, "a b y\n1 2 0\n")), ValueError,
      r"line 1 \(the header\) has no comma or tab", "separate columns with commas or tabs"),
    C("load-idx-magic", "load_idx(images, labels)", "the files swapped",
      lambda c: hg.data.load_idx(
          idx_file(c, "l.gz", 2049, (2,), bytes(2)),
          idx_file(c, "i.gz", 2051, (2, 2, 2), bytes(8)),
      ), ValueError, r"l\.gz: magic number 2049 .*expected 2051", "images first, then labels"),
    C("load-idx-truncated", "load_idx(images, labels)", "a truncated images file",
      lambda c: hg.data.load_idx(
          idx_file(c, "i.gz", 2051, (2, 2, 2), bytes(5)),
          idx_file(c, "l.gz", 2049, (2,), bytes(2)),
      ), ValueError, r"i\.gz: .*8", "download the file again"),
    C("load-idx-counts", "load_idx(images, labels)", "files of different lengths",
      lambda c: hg.data.load_idx(
          idx_file(c, "i.gz", 2051, (2, 2, 2), bytes(8)),
          idx_file(c, "l.gz", 2049, (3,), bytes(3)),
      ), ValueError, r"holds 2 images but .*l\.gz holds 3 labels", "use matching files"),
    C("mnist-path-file", "mnist(path)", "a file instead of a folder",
      lambda c: hg.data.loaders.mnist(csv_file(c, "a\n1\n")), ValueError,
      r"path must be a folder holding the MNIST IDX files, got the file", "the folder"),
    C("mnist-missing-offline", "mnist(path, download=False)", "a folder without the files",
      lambda c: hg.data.loaders.mnist(c.tmp, download=False), FileNotFoundError,
      r"MNIST files not found in .*train-images-idx3-ubyte\.gz.*\(download=False\)",
      "put the four IDX files there, or allow the download"),
    C("mnist-download-flag", "mnist(download=...)", "a string flag",
      lambda c: hg.data.loaders.mnist(c.tmp, download="no"), TypeError,
      r"download must be True or False, got 'no'", "True or False"),
    C("datasets-unknown", "datasets.load(name)", "an unknown dataset",
      lambda c: hg.datasets.load("cifar10"), ValueError,
      r"unknown dataset 'cifar10'; expected one of: mnist20", "see hg.datasets.list_datasets()"),
    C("datasets-n-samples", "datasets.moons(n_samples=...)", "too few samples",
      lambda c: hg.datasets.moons(n_samples=2), ValueError, r"n_samples must be >= 4, got 2",
      "at least 4 samples"),
    C("datasets-noise", "datasets.moons(noise=...)", "negative noise",
      lambda c: hg.datasets.moons(noise=-0.1), ValueError, r"noise must be >= 0\.0, got -0\.1",
      "noise >= 0"),
    C("one-hot-out-of-range", "one_hot(y, num_classes)", "a label >= num_classes",
      lambda c: pre.one_hot([0, 3], num_classes=3), ValueError,
      r"y holds label 3 but num_classes=3; labels must be in \[0, 3\)", "raise num_classes"),
    C("one-hot-negative", "one_hot(y)", "a negative label", lambda c: pre.one_hot([0, -1]),
      ValueError, r"y class labels must be >= 0, got -1", "labels 0..K-1"),
    C("one-hot-fractional", "one_hot(y)", "a label such as 1.5", lambda c: pre.one_hot([0.0, 1.5]),
      ValueError, r"y must hold integer class labels, got 1\.5 at index 1", "integer labels"),
    C("one-hot-2d", "one_hot(y)", "already one-hot labels", lambda c: pre.one_hot(np.eye(3)),
      ValueError, r"y must be 1-D class labels of shape \(N,\), got shape \(3, 3\)",
      "labels are already one-hot"),
    C("one-hot-bool", "one_hot(y)", "bool labels", lambda c: pre.one_hot(np.array([True, False])),
      TypeError, r"y must hold integer class labels, got booleans; use y\.astype\(int\)",
      "y.astype(int)"),
    C("one-hot-num-classes-zero", "one_hot(num_classes=...)", "num_classes=0",
      lambda c: pre.one_hot([0], num_classes=0), ValueError,
      r"num_classes must be a positive int, got 0", "the number of classes"),
    C("one-hot-num-classes-float", "one_hot(num_classes=...)", "a float",
      lambda c: pre.one_hot([0], num_classes=3.0), TypeError,
      r"num_classes must be a positive int or None, got 3\.0", "an int"),
    C("one-hot-empty", "one_hot(y)", "no labels", lambda c: pre.one_hot([]), ValueError,
      r"y is empty", "at least one label"),
    C("split-test-size-above-one", "train_test_split(test_size=...)", "test_size=1.5",
      lambda c: pre.train_test_split(X, LABELS, test_size=1.5), ValueError,
      r"test_size must be in \(0, 1\), got 1\.5", "a fraction such as 0.2"),
    C("split-test-size-zero", "train_test_split(test_size=...)", "test_size=0.0",
      lambda c: pre.train_test_split(X, LABELS, test_size=0.0), ValueError,
      r"test_size must be in \(0, 1\), got 0\.0", "a fraction such as 0.2"),
    C("split-test-size-count", "train_test_split(test_size=...)", "a count instead of a fraction",
      lambda c: pre.train_test_split(X, LABELS, test_size=3), TypeError,
      r"test_size must be a float in \(0, 1\), got 3", "a fraction: 3 / len(X)"),
    C("split-stratified-single", "train_test_split(stratify=True)", "a class with one sample",
      lambda c: pre.train_test_split(X[:7], np.array([0, 0, 0, 1, 1, 1, 2])), ValueError,
      r"test_size=0\.2 needs at least 2 samples of every class for a stratified split; "
      r"class 2 has 1", "more samples of that class, or stratify=False"),
    C("split-stratified-float-targets", "train_test_split(stratify=True)",
      "regression targets with stratify=True", lambda c: pre.train_test_split(X, X[:, 0]),
      ValueError, r"y must hold integer class labels", "stratify=False for regression targets"),
    C("split-length", "train_test_split(X, y)", "X and y of different lengths",
      lambda c: pre.train_test_split(X, LABELS[:5]), ValueError,
      r"X and y must have the same number of samples, got 12 and 5", "one target per sample"),
    C("split-seed", "train_test_split(seed=...)", "a negative seed",
      lambda c: pre.train_test_split(X, LABELS, seed=-1), TypeError,
      r"seed must be a non-negative int, got -1", "an int >= 0"),
    C("scaler-not-fitted", "StandardScaler().transform(X)", "transform before fit",
      lambda c: pre.StandardScaler().transform(X), ValueError,
      r"this StandardScaler is not fitted yet; call fit\(X_train\) first", "fit first"),
    C("scaler-features", "StandardScaler.transform(X)", "other features than at fit",
      lambda c: pre.StandardScaler().fit(X).transform(X[:, :2]), ValueError,
      r"X has feature shape \(2,\) but StandardScaler was fitted on \(3,\)",
      "transform data shaped like the training data"),
    C("scaler-1d", "StandardScaler.fit(X)", "a 1-D array",
      lambda c: pre.StandardScaler().fit(X[:, 0]), ValueError,
      r"X must be batch-first with shape \(N, features\), got shape \(12,\)", "X.reshape(-1, 1)"),
    C("scaler-nan", "MinMaxScaler.fit(X)", "NaN", lambda c: pre.MinMaxScaler().fit(with_nan(X)),
      ValueError, r"X contains NaN \(first at index \(4, 2\)\)", "impute first"),
    C("scaler-range", "MinMaxScaler(feature_range=...)", "min above max",
      lambda c: pre.MinMaxScaler(feature_range=(1, 0)), ValueError,
      r"feature_range must be a pair \(min, max\) with min < max, got \(1, 0\)", "(0, 1)"),
    C("batches-size", "batches(X, batch_size=...)", "batch_size=0",
      lambda c: pre.batches(X, batch_size=0), ValueError,
      r"batch_size must be a positive int, got 0", "a positive int"),
    # -------------------------------------------------------------------------- CLI
    C("cli-unknown-data", "handgrad train --data", "a dataset that does not exist",
      lambda c: cli(c, "train", "--data", "nope", "--out", str(c.tmp)), CommandLineError,
      r"^handgrad: error: dataset 'nope' is neither a built-in name", "a built-in name or a file"),
    C("cli-lr", "handgrad train --lr", "a rate that is not a number",
      lambda c: train_cli(c, "--lr", "abc"), CommandLineError,
      r"^handgrad train: error: argument --lr: expected comma-separated numbers, got 'abc'",
      "--lr 0.1,0.5"),
    C("cli-lr-negative", "handgrad train --lr", "a negative rate",
      lambda c: train_cli(c, "--lr", "0.1,-1"), CommandLineError,
      r"^handgrad train: error: argument --lr: learning rates must be finite and >= 0",
      "rates >= 0"),
    C("cli-epochs", "handgrad train --epochs", "--epochs 0",
      lambda c: train_cli(c, "--epochs", "0"), CommandLineError,
      r"^handgrad train: error: argument --epochs: expected a positive integer, got '0'",
      "a positive int"),
    C("cli-batch-size", "handgrad train --batch-size", "a negative batch size",
      lambda c: train_cli(c, "--batch-size", "-3"), CommandLineError,
      r"^handgrad train: error: argument --batch-size: batch size must be positive, got -3",
      "'full' or a positive int"),
    C("cli-dropout", "handgrad train --dropout", "--dropout 1.5",
      lambda c: train_cli(c, "--dropout", "1.5"), CommandLineError,
      r"^handgrad train: error: argument --dropout: expected a number in \[0, 1\), got '1\.5'",
      "a fraction in [0, 1)"),
    C("cli-hidden", "handgrad train --hidden", "a zero layer size",
      lambda c: train_cli(c, "--hidden", "8,0"), CommandLineError,
      r"^handgrad train: error: argument --hidden: layer sizes must be positive, got '8,0'",
      "positive sizes"),
    C("cli-hidden-float", "handgrad train --hidden", "a fractional size",
      lambda c: train_cli(c, "--hidden", "8.5"), CommandLineError,
      r"^handgrad train: error: argument --hidden: expected comma-separated integers", "integers"),
    C("cli-momentum", "handgrad train --momentum", "--momentum 1.5",
      lambda c: train_cli(c, "--momentum", "1.5"), CommandLineError,
      r"^handgrad: error: momentum must be a number in \[0, 1\), got 1\.5", "e.g. 0.9"),
    C("cli-optimizer", "handgrad train --optimizer", "an unknown optimizer",
      lambda c: train_cli(c, "--optimizer", "nadam"), CommandLineError,
      r"^handgrad train: error: argument --optimizer: unknown optimizer 'nadam'; expected one "
      r"of: adam, momentum, rmsprop, sgd", "a listed name"),
    C("cli-activation", "handgrad train --activation", "an unknown activation",
      lambda c: train_cli(c, "--activation", "relu6"), CommandLineError,
      r"^handgrad: error: unknown activation 'relu6'; expected one of", "a listed name"),
    C("cli-init", "handgrad train --init", "an unknown initializer",
      lambda c: train_cli(c, "--init", "xavier"), CommandLineError,
      r"^handgrad: error: unknown initializer 'xavier'", "a listed name"),
    C("cli-seed", "handgrad train --seed", "a negative seed",
      lambda c: train_cli(c, "--seed", "-1"), CommandLineError,
      r"^handgrad: error: seed must be a non-negative int or None, got -1", "an int >= 0"),
    C("cli-schedule", "handgrad train --schedule", "an unknown schedule",
      lambda c: train_cli(c, "--schedule", "cosine"), CommandLineError,
      r"^handgrad: error: --schedule 'cosine' is not understood", "one of the listed forms"),
    C("cli-test-size", "handgrad train --test-size", "--test-size 1.5",
      lambda c: train_cli(c, "--test-size", "1.5"), CommandLineError,
      r"^handgrad train: error: argument --test-size: expected a number in \[0, 1\)", "a fraction"),
    C("cli-unknown-command", "handgrad", "an unknown command", lambda c: cli(c, "fit"),
      CommandLineError, r"^handgrad: error: argument command: invalid choice: 'fit'",
      "see handgrad --help"),
    C("cli-missing-model", "handgrad evaluate", "a model file that does not exist",
      lambda c: cli(c, "evaluate", str(c.tmp / "missing.hgz"), "moons"), CommandLineError,
      r"^handgrad: error: no model file at '.*missing\.hgz'", "check the path"),
    C("cli-predict-features", "handgrad predict", "a CSV with other features",
      lambda c: cli(c, "predict", str(_saved_model(c)), str(csv_file(c, "a,b\n1,2\n"))),
      CommandLineError,
      r"^handgrad: error: x has shape \(1, 2\) but layer 'hidden' expects "
      r"\(N, 3\)", "the model's input features"),
    # ---------------------------------------------------------------- sklearn estimators
    C("sk-hidden-zero", "MLPClassifier(hidden_layer_sizes=...)", "a zero layer size",
      lambda c: c.clf.set_params(hidden_layer_sizes=(8, 0)).fit(X, LABELS), ValueError,
      r"'hidden_layer_sizes' parameter of MLPClassifier must contain sizes > 0, "
      r"got 0 at position 1", "positive sizes", CLF),
    C("sk-hidden-string", "MLPClassifier(hidden_layer_sizes=...)", "a string",
      lambda c: c.clf.set_params(hidden_layer_sizes="50").fit(X, LABELS), TypeError,
      r"'hidden_layer_sizes' parameter of MLPClassifier must be an int or a sequence of "
      r"ints\. Got '50' instead", "(50,) or 50", CLF),
    C("sk-hidden-float", "MLPClassifier(hidden_layer_sizes=...)", "a float size",
      lambda c: c.clf.set_params(hidden_layer_sizes=(50.0,)).fit(X, LABELS), TypeError,
      r"'hidden_layer_sizes' parameter of MLPClassifier must be an int or a sequence of ints",
      "ints", CLF),
    C("sk-lr-zero", "MLPClassifier(learning_rate_init=...)", "learning_rate_init=0",
      lambda c: c.clf.set_params(learning_rate_init=0.0).fit(X, LABELS), ValueError,
      r"'learning_rate_init' parameter of MLPClassifier must be a float in the range "
      r"\(0, inf\)\. Got 0\.0", "a rate > 0", CLF),
    C("sk-alpha", "MLPRegressor(alpha=...)", "a negative alpha",
      lambda c: c.reg.set_params(alpha=-1.0).fit(X, X[:, 0]), ValueError,
      r"'alpha' parameter of MLPRegressor must be a float in the range \[0, inf\)\. Got -1\.0",
      "alpha >= 0", "reg"),
    C("sk-momentum", "MLPClassifier(momentum=...)", "momentum above 1",
      lambda c: c.clf.set_params(solver="sgd", momentum=1.5).fit(X, LABELS), ValueError,
      r"'momentum' parameter of MLPClassifier must be a float in the range \[0, 1\)\. "
      r"Got 1\.5", "e.g. 0.9", CLF),
    C("sk-beta", "MLPClassifier(beta_2=...)", "beta_2=1",
      lambda c: c.clf.set_params(beta_2=1.0).fit(X, LABELS), ValueError,
      r"'beta_2' parameter of MLPClassifier must be a float in the range \[0, 1\)", "0.999", CLF),
    C("sk-validation-fraction", "MLPClassifier(validation_fraction=...)",
      "validation_fraction=1 with early stopping",
      lambda c: c.clf.set_params(early_stopping=True, validation_fraction=1.0).fit(X, LABELS),
      ValueError,
      r"'validation_fraction' parameter of MLPClassifier must be a float in the "
      r"range \(0, 1\)", "e.g. 0.1", CLF),
    C("sk-dropout", "MLPClassifier(dropout=...)", "dropout=1",
      lambda c: c.clf.set_params(dropout=1.0).fit(X, LABELS), ValueError,
      r"'dropout' parameter of MLPClassifier must be a float in the range \[0, 1\)",
      "a fraction below 1", CLF),
    C("sk-solver", "MLPClassifier(solver=...)", "lbfgs",
      lambda c: c.clf.set_params(solver="lbfgs").fit(X, LABELS), ValueError,
      r"'solver' parameter of MLPClassifier cannot be 'lbfgs'", "'adam' or 'sgd'", CLF),
    C("sk-activation", "MLPClassifier(activation=...)", "softmax as hidden activation",
      lambda c: c.clf.set_params(activation="softmax").fit(X, LABELS), ValueError,
      r"'activation' parameter of MLPClassifier must be one of 'identity', 'logistic'",
      "a listed name", CLF),
    C("sk-max-iter", "MLPClassifier(max_iter=...)", "max_iter=0",
      lambda c: c.clf.set_params(max_iter=0).fit(X, LABELS), ValueError,
      r"'max_iter' parameter of MLPClassifier must be an int in the range \[1, inf\)",
      "max_iter >= 1", CLF),
    C("sk-batch-size", "MLPClassifier(batch_size=...)", "batch_size=0",
      lambda c: c.clf.set_params(batch_size=0).fit(X, LABELS), ValueError,
      r"'batch_size' parameter of MLPClassifier must be 'auto' or an int in the range",
      "'auto' or an int >= 1", CLF),
    C("sk-dtype", "MLPClassifier(dtype=...)", "float16",
      lambda c: c.clf.set_params(dtype="float16").fit(X, LABELS), ValueError,
      r"'dtype' parameter of MLPClassifier must be 'float32' or 'float64'", "float32/64", CLF),
    C("sk-x-nan", "MLPClassifier.fit(X)", "NaN in X", lambda c: c.clf.fit(with_nan(X), LABELS),
      ValueError, r"Input X contains NaN", "impute first (sklearn.impute)", CLF),
    C("sk-x-string", "MLPClassifier.fit(X)", "strings in X",
      lambda c: c.clf.fit(X.astype(str).astype(object) + "x", LABELS), ValueError,
      r"could not convert string to float", "encode features as numbers", CLF),
    C("sk-x-complex", "MLPClassifier.fit(X)", "complex X", lambda c: c.clf.fit(X + 1j, LABELS),
      ValueError, r"Complex data not supported", "real features", CLF),
    C("sk-x-empty", "MLPClassifier.fit(X)", "an empty X", lambda c: c.clf.fit(np.empty((0, 3)), []),
      ValueError,
      r"Found array with 0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1 is required",
      "at least one sample", CLF),
    C("sk-y-one-class", "MLPClassifier.fit(X, y)", "a single class",
      lambda c: c.clf.fit(X, np.zeros(12)), ValueError,
      r"MLPClassifier needs samples of at least 2 classes; y holds only one class: 0\.0",
      "at least two classes", CLF),
    C("sk-y-continuous", "MLPClassifier.fit(X, y)", "real-valued targets",
      lambda c: c.clf.fit(X, X[:, 0]), ValueError, r"Unknown label type: continuous",
      "use MLPRegressor for real targets", CLF),
    C("sk-y-length", "MLPClassifier.fit(X, y)", "fewer labels than samples",
      lambda c: c.clf.fit(X, LABELS[:10]), ValueError,
      r"Found input variables with inconsistent numbers of samples: \[12, 10\]",
      "one label per sample", CLF),
    C("sk-sample-weight", "MLPClassifier.fit(sample_weight=...)", "negative weights",
      lambda c: c.clf.fit(X, LABELS, sample_weight=-np.ones(12)), ValueError,
      r"sample_weight must be non-negative, got a minimum of -1\.0", "weights >= 0", CLF),
    C("sk-early-stopping-per-class", "MLPClassifier(early_stopping=True).fit",
      "a class too small to appear in the validation split",
      lambda c: c.clf.set_params(early_stopping=True).fit(X[:7], [0, 0, 0, 1, 1, 1, 2]), ValueError,
      r"validation_fraction=0\.1 needs at least 2 samples of every class",
      "more samples of that class, or early_stopping=False", CLF),
    C("sk-partial-fit-no-classes", "MLPClassifier.partial_fit", "no classes on the first call",
      lambda c: c.clf.partial_fit(X, LABELS), ValueError,
      r"classes must be passed on the first call to partial_fit",
      "partial_fit(X, y, classes=all_classes)", CLF),
    C("sk-partial-fit-unseen", "MLPClassifier.partial_fit", "a class not in classes",
      lambda c: c.fitted_clf.partial_fit(X, np.arange(12) % 4), ValueError,
      r"y contains labels that are not in classes_ \[0, 1, 2\]: \[3\]",
      "list every class on the first call", "fitted_clf"),
    C("sk-partial-fit-unseen-first", "MLPClassifier.partial_fit",
      "labels outside the classes given on the first call",
      lambda c: c.clf.partial_fit(X, np.arange(12) % 4, classes=[0, 1, 2]), ValueError,
      r"y contains labels that are not in classes_ \[0, 1, 2\]: \[3\]",
      "list every class in classes=", CLF),
    C("sk-partial-fit-classes-changed", "MLPClassifier.partial_fit",
      "other classes on a later call",
      lambda c: c.fitted_clf.partial_fit(X, LABELS, classes=[0, 1, 2, 3]), ValueError,
      r"classes=\[0, 1, 2, 3\] is not the same as on the first call to partial_fit",
      "pass the same classes (or none) after the first call", "fitted_clf"),
    C("sk-partial-fit-features", "MLPClassifier.partial_fit", "other features than before",
      lambda c: c.fitted_clf.partial_fit(X[:, :2], LABELS), ValueError,
      r"X has 2 features, but MLPClassifier is expecting 3 features",
      "the same features as the first call", "fitted_clf"),
    C("sk-partial-fit-early-stopping", "MLPClassifier.partial_fit", "with early_stopping=True",
      lambda c: c.clf.set_params(early_stopping=True).partial_fit(X, LABELS, classes=[0, 1, 2]),
      ValueError, r"partial_fit does not support early_stopping=True",
      "early_stopping=False for partial_fit", CLF),
    C("sk-predict-not-fitted", "MLPClassifier.predict", "predict before fit",
      lambda c: c.clf.predict(X), ValueError, r"This MLPClassifier instance is not fitted yet",
      "fit first", CLF),
    C("sk-regressor-y-nan", "MLPRegressor.fit(X, y)", "NaN in y",
      lambda c: c.reg.fit(X, with_nan(X[:, 0], at=(2,))), ValueError, r"Input y contains NaN",
      "drop samples without a target", "reg"),
    C("sk-regressor-y-string", "MLPRegressor.fit(X, y)", "string targets",
      lambda c: c.reg.fit(X, np.array(["a", "b", "c"] * 4)), ValueError,
      r"could not convert string to float: .*'a'", "numeric targets (MLPClassifier for classes)",
      "reg"),
    C("sk-regressor-partial-fit-outputs", "MLPRegressor.partial_fit", "another number of targets",
      lambda c: c.fitted_reg.partial_fit(X, np.ones((12, 2))), ValueError,
      r"y has 2 targets but the estimator was fitted on 1", "the same targets as before",
      "fitted_reg"),
    # ------------------------------------------------------------------------ tuning
    C("tune-choice-empty", "Choice(values)", "an empty list", lambda c: _tuning().Choice([]),
      ValueError, r"Choice needs at least one value, got an empty list", "at least one value"),
    C("tune-choice-string", "Choice(values)", "a string instead of a list",
      lambda c: _tuning().Choice("relu"), TypeError, r"Choice values must be a list, got str",
      "Choice(['relu'])"),
    C("tune-choice-duplicates", "Choice(values)", "a value twice",
      lambda c: _tuning().Choice([32, 32]), ValueError,
      r"Choice values must be distinct; 32 appears twice", "distinct values"),
    C("tune-choice-object", "Choice(values)", "a value that is not JSON data",
      lambda c: _tuning().Choice([np.tanh]), TypeError, r"Choice values must be JSON data",
      "names instead of objects"),
    C("tune-int-range-order", "IntRange(low, high)", "low above high",
      lambda c: _tuning().IntRange(64, 8), ValueError,
      r"IntRange needs low <= high, got low=64, high=8", "swap them"),
    C("tune-int-range-step", "IntRange(step=...)", "step=0",
      lambda c: _tuning().IntRange(8, 64, step=0), ValueError, r"IntRange step must be >= 1, got 0",
      "step >= 1"),
    C("tune-int-range-float", "IntRange(low, high)", "a float bound",
      lambda c: _tuning().IntRange(1.5, 8), TypeError,
      r"IntRange low must be an int, got 1\.5 \(float\)", "ints, or FloatRange"),
    C("tune-int-range-log", "IntRange(log=True)", "a log range from 0",
      lambda c: _tuning().IntRange(0, 8, log=True), ValueError,
      r"a log IntRange needs low >= 1 and step 1, got low=0", "low >= 1"),
    C("tune-float-range-empty", "FloatRange(low, high)", "low == high",
      lambda c: _tuning().FloatRange(0.1, 0.1), ValueError,
      r"FloatRange needs low < high, got low=0\.1, high=0\.1", "low < high, or Choice([v])"),
    C("tune-float-range-log", "FloatRange(log=True)", "a log range from 0",
      lambda c: _tuning().FloatRange(0.0, 1.0, log=True), ValueError,
      r"a log FloatRange needs low > 0, got low=0\.0", "low > 0, e.g. 1e-5"),
    C("tune-float-range-yaml", "FloatRange(low, high)", "a YAML '1e-4' read as a string",
      lambda c: _tuning().FloatRange("1e-4", 1.0), TypeError,
      r"FloatRange low must be a number, got '1e-4' \(str\); in YAML write 1\.0e-4",
      "write 1.0e-4 in YAML"),
    C("tune-float-range-nan", "FloatRange(low, high)", "NaN",
      lambda c: _tuning().FloatRange(float("nan"), 1.0), ValueError,
      r"FloatRange low must be finite, got nan", "finite bounds"),
    C("tune-spec-empty", "space_from_spec(spec)", "an empty space",
      lambda c: _tuning().space_from_spec({}), ValueError,
      r"the search space is empty; give at least one parameter", "at least one parameter"),
    C("tune-spec-kind", "space_from_spec(spec)", "an unknown kind",
      lambda c: _tuning().space_from_spec({"lr": {"floats": [0.1, 1]}}), ValueError,
      r"space\['lr'\]", "{'float': [low, high]}"),
    C("tune-spec-bounds", "space_from_spec(spec)", "a range with one bound",
      lambda c: _tuning().space_from_spec({"lr": {"float": [0.1]}}), ValueError,
      r"space\['lr'\]: 'float' must be \[low, high\], got \[0\.1\]", "[low, high]"),
    C("tune-build", "RandomSearch(build, ...)", "a model instead of a build function",
      lambda c: _tuning().RandomSearch(_classifier(), {"lr": [0.1]}), TypeError,
      r"build must be a function build\(params, seed\) -> compiled Sequential or a template "
      r"dict, got Sequential", "pass a function that builds and compiles a model"),
    C("tune-template-setting", "RandomSearch(template, ...)", "an unknown template setting",
      lambda c: _tuning().RandomSearch({"hiden": [8]}, {"learning_rate": [0.1]}), ValueError,
      r"unknown template setting\(s\) \['hiden'\]; settings are: hidden", "a listed setting"),
    C("tune-space-not-setting", "RandomSearch(template, space)", "a space name not in template",
      lambda c: _tuning().RandomSearch({}, {"lr": [0.1]}), ValueError,
      r"search space parameter\(s\) \['lr'\] are not template settings", "'learning_rate'"),
    C("tune-pruner", "RandomSearch(pruner=...)", "an unknown pruner",
      lambda c: _tuning().RandomSearch({}, {"learning_rate": [0.1]}, pruner="asha"), ValueError,
      r"pruner must be 'median', a MedianPruner or None, got 'asha'", "'median' or None"),
    C("tune-seed", "RandomSearch(seed=...)", "a negative seed",
      lambda c: _tuning().RandomSearch({}, {"learning_rate": [0.1]}, seed=-1), TypeError,
      r"seed must be a non-negative int, got -1", "an int >= 0"),
    C("tune-grid-points", "GridSearch(grid_points=...)", "one point per range",
      lambda c: _tuning().GridSearch(
          {}, {"learning_rate": {"float": [0.01, 0.1]}}, grid_points=1
      ), ValueError, r"grid_points must be >= 2 for ranges, got 1", "grid_points >= 2"),
    C("tune-search-epochs", "search.search(epochs=...)", "epochs=0",
      lambda c: _search().search(X, LABELS, epochs=0), ValueError,
      r"epochs must be a positive int, got 0", "a positive int"),
    C("tune-search-trials", "search.search(n_trials=...)", "n_trials=0",
      lambda c: _search().search(X, LABELS, n_trials=0), ValueError,
      r"n_trials must be a positive int, got 0", "a positive int"),
    C("tune-search-jobs", "search.search(n_jobs=...)", "n_jobs=0",
      lambda c: _search().search(X, LABELS, n_jobs=0), ValueError,
      r"n_jobs \(or -1 for one per CPU\) must be a positive int, got 0", "n_jobs >= 1 or -1"),
    C("tune-search-mode", "search.search(mode=...)", "an unknown mode",
      lambda c: _search().search(X, LABELS, mode="best"), ValueError,
      r"search mode must be 'auto', 'min' or 'max', got 'best'", "'auto', 'min' or 'max'"),
    C("tune-search-monitor", "search.search(monitor=...)", "a name the trials do not log",
      lambda c: _search().search(X, LABELS, monitor="val_acc", n_trials=1), ValueError,
      r"the search monitors 'val_acc', which is not in the epoch logs; available: accuracy, "
      r"loss, lr, val_accuracy, val_loss", "'val_accuracy' or 'val_loss'"),
    C("tune-search-x-nan", "search.search(X, y)", "NaN in X",
      lambda c: _search().search(with_nan(X), LABELS), ValueError,
      r"X contains NaN \(first at index \(4, 2\)\)", "impute first"),
    C("tune-search-x-1d", "search.search(X, y)", "a 1-D X",
      lambda c: _search().search(X[:, 0], LABELS), ValueError,
      r"X must be batch-first with shape \(N, features\), got shape \(12,\)", "X.reshape(-1, 1)"),
    C("tune-search-validation-split", "search.search(validation_split=...)", "validation_split=1",
      lambda c: _search().search(X, LABELS, validation_split=1.0), ValueError,
      r"validation_split must be in \(0, 1\) when no validation_data is given, "
      r"got 1\.0", "a fraction such as 0.2"),
    C("tune-search-stratified", "search.search(validation_split=...)",
      "a class with a single sample",
      lambda c: _search().search(X[:7], np.array([0, 0, 0, 1, 1, 1, 2])), ValueError,
      r"validation_split=0\.2 needs at least 2 samples of every class", "more samples"),
    C("tune-search-validation-data", "search.search(validation_data=...)", "X_val alone",
      lambda c: _search().search(X, LABELS, validation_data=X), TypeError,
      r"validation_data must be a tuple \(X_val, y_val\)", "(X_val, y_val)"),
]
# fmt: on


def _compiled(layers, loss) -> hg.Sequential:
    model = hg.Sequential(layers, seed=0)
    model.compile(loss, "sgd")
    return model


def _one_unit_cce() -> hg.Sequential:
    model = hg.Sequential([Dense(1, "sigmoid", input_dim=3)], seed=0)
    model.compile("categorical_crossentropy", "sgd")
    return model


def _built_flatten() -> Flatten:
    layer = Flatten(name="f")
    layer.build((2, 2))
    return layer


def _saved_model(ctx: Ctx) -> Path:
    path = ctx.tmp / "model.hgz"
    ctx.model.save(path)
    return path


def _tuning():
    from handgrad import tuning

    return tuning


def _search():
    tuning = _tuning()
    return tuning.RandomSearch(
        {"hidden": [4], "epochs": 1}, {"learning_rate": tuning.Choice([0.1])}, pruner=None
    )


# ------------------------------------------------------------------ accepted on purpose
def _weights_after_fit(x, y, model_fn=_classifier, **kwargs) -> list[np.ndarray]:
    model = model_fn()
    model.fit(x, y, epochs=2, batch_size=4, verbose=0, **kwargs)
    return model.get_weights()


def _same_training(x1, y1, x2, y2, model_fn=_classifier) -> None:
    """Training on (x1, y1) and on (x2, y2) gives bit-identical weights."""
    a = _weights_after_fit(x1, y1, model_fn)
    b = _weights_after_fit(x2, y2, model_fn)
    assert same(a, b)


def _single_sample(ctx: Ctx) -> None:
    model = ctx.model
    history = model.fit(X[:1], LABELS[:1], epochs=3, verbose=0)
    assert len(history.history["loss"]) == 3 and np.isfinite(history.history["loss"]).all()
    assert model.optimizer.iterations == 3
    probs = model.predict(X[:1])
    assert probs.shape == (1, 3) and abs(float(probs.sum()) - 1) < 1e-6
    assert set(model.evaluate(X[:1], LABELS[:1])) == {"loss", "accuracy"}
    assert np.isfinite(model.train_on_batch(X[:1], LABELS[:1]))


def _single_sample_estimator(ctx: Ctx) -> None:
    est = ctx.fitted_clf.partial_fit(X[:1], LABELS[:1])
    assert est.predict(X[:1]).shape == (1,) and est.t_ == 13


def _batch_larger_than_data(ctx: Ctx) -> None:
    ctx.model.fit(X, LABELS, epochs=2, batch_size=1000, verbose=0)
    assert ctx.model.optimizer.iterations == 2  # one full batch per epoch


def _full_batch(ctx: Ctx) -> None:
    ctx.model.fit(X, LABELS, epochs=3, batch_size=None, verbose=0)
    assert ctx.model.optimizer.iterations == 3


def _predict_batch_none(ctx: Ctx) -> None:
    assert np.array_equal(ctx.model.predict(X, batch_size=None), ctx.model.predict(X))
    assert ctx.model.evaluate(X, LABELS, batch_size=None) == ctx.model.evaluate(X, LABELS)


def _learning_rate_zero(ctx: Ctx) -> None:
    model = hg.Sequential([Dense(3, "softmax", input_dim=3)], seed=0)
    model.compile("categorical_crossentropy", SGD(0.0))
    before = model.get_weights()
    history = model.fit(X, LABELS, epochs=2, verbose=0)
    assert same(model.get_weights(), before) and np.isfinite(history.history["loss"]).all()


def _class_weight_subset(ctx: Ctx) -> None:
    plain = _weights_after_fit(X, LABELS)
    weighted = _weights_after_fit(X, LABELS, class_weight={2: 3.0})
    ones = _weights_after_fit(X, LABELS, class_weight={0: 1.0})
    assert same(plain, ones) and not same(plain, weighted)


def _layer_shorthands(ctx: Ctx) -> None:
    assert Dense(4, input_shape=3).declared_input_shape == (3,)
    assert Dense(4, input_shape=[3]).declared_input_shape == (3,)
    assert Dense(4, input_dim=np.int64(3)).declared_input_shape == (3,)
    conv = Conv2D(2, 3, strides=2, padding=1)
    assert (conv.kernel_size, conv.strides, conv.padding) == ((3, 3), (2, 2), (1, 1))
    pool = MaxPooling2D(2)
    assert (pool.pool_size, pool.strides) == ((2, 2), (2, 2))


def _hidden_layer_sizes_int(ctx: Ctx) -> None:
    from sklearn.exceptions import ConvergenceWarning

    for sizes, shapes in [
        (5, [(3, 5), (5, 3)]),
        ((5), [(3, 5), (5, 3)]),
        ([5, 4], [(3, 5), (5, 4), (4, 3)]),
        ((), [(3, 3)]),
    ]:
        est = ctx.clf.set_params(hidden_layer_sizes=sizes, max_iter=2)
        with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
            est.fit(X, LABELS)
        assert [w.shape for w in est.coefs_] == shapes


def _template_hidden_int(ctx: Ctx) -> None:
    from handgrad import tuning

    model = tuning.build_mlp(3, 3, hidden=5)
    assert [layer.output_shape for layer in model.layers] == [(5,), (3,)]
    template = tuning._TemplateBuilder({"hidden": 5}, 3, tuning._Targets(1, 1, 3))
    assert [layer.output_shape for layer in template({}, 0).layers] == [(5,), (3,)]


def _string_labels_estimator(ctx: Ctx) -> None:
    names = np.array(["cat", "dog", "eel"])[LABELS]
    est = ctx.fitted_clf.__class__(hidden_layer_sizes=(4,), random_state=0)
    est.partial_fit(X, names, classes=["cat", "dog", "eel"])
    assert list(est.classes_) == ["cat", "dog", "eel"] and set(est.predict(X)) <= set(names)


def _partial_fit_class_subset(ctx: Ctx) -> None:
    est = ctx.fitted_clf.partial_fit(X[LABELS == 1], LABELS[LABELS == 1])
    assert list(est.classes_) == [0, 1, 2] and est.predict_proba(X).shape == (12, 3)


def _one_hot_and_split_boundaries(ctx: Ctx) -> None:
    assert pre.one_hot([2]).tolist() == [[0.0, 0.0, 1.0]]
    assert pre.one_hot(np.array([0.0, 2.0])).tolist() == [[1, 0, 0], [0, 0, 1]]
    y = np.array([0, 0, 1, 1])
    x_tr, x_te, y_tr, y_te = pre.train_test_split(np.arange(8.0).reshape(4, 2), y, test_size=0.5)
    assert sorted(y_tr.tolist()) == [0, 1] and sorted(y_te.tolist()) == [0, 1]


def _numpy_scalars(ctx: Ctx) -> None:
    model = hg.Sequential([Dense(np.int64(3), "softmax", input_dim=3)], seed=np.int64(5))
    model.compile("categorical_crossentropy", SGD(np.float32(0.1), momentum=np.float64(0.5)))
    model.fit(X, LABELS, epochs=np.int64(2), batch_size=np.int32(4), verbose=0)
    assert model.epochs_trained == 2 and schedules.StepDecay(0.1, 0.5, 2)(np.int64(3)) == 0.05


@dataclass(frozen=True)
class Accepted:
    """A boundary input that is valid: ``run(ctx)`` uses it and asserts what it gives."""

    id: str
    where: str
    what: str
    run: Callable[[Ctx], None]


# fmt: off
ACCEPTED: list[Accepted] = [
    Accepted("single-sample", "fit / predict / evaluate / train_on_batch",
      "a single sample (N = 1)", _single_sample),
    Accepted("single-sample-partial-fit", "MLPClassifier.partial_fit",
      "a single sample after the first call", _single_sample_estimator),
    Accepted("batch-larger-than-data", "fit(batch_size=...)",
      "batch_size above N: one full batch per epoch", _batch_larger_than_data),
    Accepted("batch-none", "fit(batch_size=None)", "full-batch gradient descent", _full_batch),
    Accepted("predict-batch-none", "predict / evaluate(batch_size=None)",
      "the default batch of 1024", _predict_batch_none),
    Accepted("float-labels", "fit(x, y)", "integer labels stored as floats (1.0)",
      lambda c: _same_training(X, LABELS.astype(float), X, LABELS)),
    Accepted("column-labels", "fit(x, y)", "labels as a column (N, 1)",
      lambda c: _same_training(X, LABELS.reshape(-1, 1), X, LABELS)),
    Accepted("one-hot-labels", "fit(x, y)", "one-hot targets instead of labels",
      lambda c: _same_training(X, np.eye(3)[LABELS], X, LABELS)),
    Accepted("bool-binary", "fit(x, y)", "bool targets for a sigmoid output",
      lambda c: _same_training(X, BINARY.astype(bool), X, BINARY, _binary)),
    Accepted("int-features", "fit(x)", "integer features (cast to the model dtype)",
      lambda c: _same_training(np.arange(36).reshape(12, 3), LABELS,
      np.arange(36.0).reshape(12, 3), LABELS)),
    Accepted("list-features", "fit(x)", "nested lists",
      lambda c: _same_training(X.tolist(), LABELS.tolist(), X, LABELS)),
    Accepted("learning-rate-zero", "SGD(0.0)", "a zero learning rate (no update)",
      _learning_rate_zero),
    Accepted("class-weight-subset", "fit(class_weight=...)",
      "weights for some classes (the others weigh 1)", _class_weight_subset),
    Accepted("layer-int-shapes", "Dense(input_shape=3), Conv2D(3, strides=2, padding=1)",
      "an int where a tuple is expected: used for every axis", _layer_shorthands),
    Accepted("hidden-layer-sizes-int", "MLPClassifier(hidden_layer_sizes=(50))",
      "an int (what (50) is) is one hidden layer; () is none", _hidden_layer_sizes_int),
    Accepted("template-hidden-int", "build_mlp(hidden=5), template {'hidden': 5}",
      "an int is one hidden layer", _template_hidden_int),
    Accepted("string-labels-estimator", "MLPClassifier.partial_fit(X, y, classes)",
      "string class labels", _string_labels_estimator),
    Accepted("partial-fit-subset", "MLPClassifier.partial_fit",
      "a batch holding only some of the classes", _partial_fit_class_subset),
    Accepted("one-hot-split-boundaries", "one_hot, train_test_split",
      "one label; float labels; exactly 2 samples per class", _one_hot_and_split_boundaries),
    Accepted("numpy-scalars", "everywhere", "NumPy ints and floats instead of Python ones",
      _numpy_scalars),
]
# fmt: on


# ------------------------------------------------------------------------------- tests
def test_case_ids_are_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused(case: Case, tmp_path):
    ctx = Ctx(tmp_path)
    target = None if case.target is None else getattr(ctx, case.target)
    before = None if target is None else state(target)
    with pytest.raises(case.error, match=case.match) as info:
        case.call(ctx)
    assert type(info.value) is not AssertionError
    if target is not None:
        assert same(state(target), before), f"{case.target} changed although {case.id} failed"


@pytest.mark.parametrize("accepted", ACCEPTED, ids=[a.id for a in ACCEPTED])
def test_boundary_input_is_accepted(accepted: Accepted, tmp_path):
    accepted.run(Ctx(tmp_path))


def test_the_errors_table_renders_every_readme_case():
    """tools/errors_table.py turns this matrix into the README section (messages stubbed here)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "errors_table.py"
    spec = importlib.util.spec_from_file_location("errors_table", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    module = type("Matrix", (), {"CASES": CASES, "ACCEPTED": ACCEPTED, "Ctx": Ctx})
    text = tool.render(module, {case.id: f"message of {case.id}" for case in CASES})
    assert text.startswith("## Errors you may see")
    for case_id in tool.README_IDS:
        assert f"`message of {case_id}`" in text
    assert text.count("\n| `") == len(tool.README_IDS) + len({(c.error, c.match) for c in CASES})
