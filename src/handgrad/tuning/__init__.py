"""Hyperparameter search: grid, random and Bayesian (Optuna TPE), with pruning and resume.

A search tries *trials*: each trial draws one value per named dimension of a search space,
builds and compiles a model from those parameters, trains it and scores it on validation data.

Search space
------------
A dict ``name -> dimension``:

* ``Choice([v1, v2, ...])``: one of the listed values (any JSON data: numbers, strings,
  booleans, None, lists such as hidden layer sizes ``[64, 32]``);
* ``IntRange(low, high, step=1, log=False)``: an integer in ``low, low + step, ..., high``;
* ``FloatRange(low, high, log=False)``: a real number in ``[low, high]``.

Random draws are uniform, or log-uniform when ``log=True`` (the notes' advice for learning
rates: sample the exponent, not the value)::

    x = exp(u),  u ~ U(log low, log high)        so each decade is equally likely

A log integer range draws ``u ~ U(log(low - 1/2), log(high + 1/2))`` and rounds ``exp(u)``.
The same space can be written as JSON or YAML (see :func:`space_from_spec`)::

    {"learning_rate": {"float": [1e-4, 1e-1], "log": true},
     "hidden": {"choice": [[32], [64, 32]]},
     "l2": {"float": [0.0, 0.01]},
     "units": {"int": [8, 64], "step": 8}}

Strategies
----------
* :class:`GridSearch`: every combination (last dimension varying fastest); a range contributes
  ``grid_points`` evenly spaced values (geometrically spaced when ``log=True``);
* :class:`RandomSearch`: trial ``k`` draws its parameters from ``default_rng([seed, 1, k])``;
* :class:`BayesianSearch`: Optuna's Tree-structured Parzen Estimator (TPE), seeded. TPE splits
  the finished trials into the best ``gamma`` fraction and the rest, fits densities ``l(x)``
  and ``g(x)`` to their parameters and proposes the candidate maximizing ``l(x) / g(x)``.

All three share ``search(X, y, validation_data=... or validation_split=..., epochs, n_trials,
n_jobs, monitor, mode)`` and the fitted attributes ``results_``, ``best_params_``,
``best_score_``, ``best_trial_`` and ``best_model_``.

Score and pruning
-----------------
A trial's score is the best value of ``monitor`` over its epochs (max for accuracy-like names,
min otherwise). Median pruning stops a trial at epoch ``t`` (0-based, ``t >= n_warmup_epochs``,
never at the last epoch) when its best value so far is worse than the median of the values
the earlier trials reached at epoch ``t``, provided at least ``n_startup_trials`` earlier
trials got that far. Grid and random search use handgrad's own pruner, which counts every
earlier trial (lower trial number) that trained to epoch ``t``, pruned ones included, so its
decisions do not depend on timing: ``n_jobs=2`` gives the same table as ``n_jobs=1``. The
Bayesian search uses Optuna's ``MedianPruner`` (completed trials only).

Reproducibility
---------------
Trial ``k`` trains with the seed ``SeedSequence([seed, k])`` (recorded in its row), on the same
training / validation split (stratified, ``default_rng([seed, 3])``) for every trial. Retraining
the best parameters with that seed for ``best_epoch`` epochs reproduces ``best_score_`` exactly;
``search(refit=True)`` does so and keeps the model as ``best_model_``.

Parallel trials and resume
--------------------------
``n_jobs > 1`` runs trials in that many worker processes (``spawn`` start method, so it works
the same on Linux, macOS and Windows): ``build`` must be picklable, i.e. a module-level
function (not a lambda or a closure), and a script that starts a parallel search needs the
``if __name__ == "__main__":`` guard. ``storage=`` makes a search resumable: finished trials
are appended to a JSON-lines file (grid, random) or kept in an Optuna storage such as
``"sqlite:///search.db"`` (Bayesian); running the same search again skips them, and
``n_trials`` counts all trials, stored ones included.

Optuna and PyYAML are optional (``pip install "handgrad[tune]"``); ``import handgrad`` never
imports them.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import hashlib
import inspect
import io as _io
import json
import math
import numbers
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._split import stratified_indices
from ..callbacks import (
    Callback,
    _check_monitor,
    _check_monitor_logged,
    _monitor_value,
    _resolve_mode,
)
from ..io import atomic_write
from ..model import DivergenceWarning, Sequential

__all__ = [
    "Choice",
    "IntRange",
    "FloatRange",
    "space_from_spec",
    "read_spec",
    "MedianPruner",
    "build_mlp",
    "BaseSearch",
    "TEMPLATE_DEFAULTS",
    "GridSearch",
    "RandomSearch",
    "BayesianSearch",
]

_TUNE_EXTRA = 'pip install "handgrad[tune]"'
_STORAGE_FORMAT = "handgrad-search"
_STORAGE_VERSION = 1
_POLL_SECONDS = 0.002


# ------------------------------------------------------------------- optional dependencies
def _require(module: str, what: str, install: str = _TUNE_EXTRA) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{what} needs {module}, an optional extra; install it with {install}"
        ) from err


# ---------------------------------------------------------------------------- search space
def _json_value(value: Any, what: str) -> Any:
    """``value`` as plain JSON data (tuples become lists), or a TypeError."""
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError):
        raise TypeError(
            f"{what} must be JSON data (numbers, strings, booleans, None, lists, dicts), got "
            f"{value!r} ({type(value).__name__})"
        ) from None


def _check_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int, got {value!r} ({type(value).__name__})")
    return int(value)


def _check_real(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        hint = ""
        if isinstance(value, str):
            hint = "; in YAML write 1.0e-4 rather than 1e-4, which PyYAML reads as a string"
        raise TypeError(f"{what} must be a number, got {value!r} ({type(value).__name__}){hint}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, got {value}")
    return value


def _check_bool(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{what} must be true or false, got {value!r}")
    return value


class Dimension:
    """One named axis of a search space: a set of choices or a numeric range."""

    log = False

    def grid(self, points: int) -> list[Any]:
        """The values a grid search tries."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator) -> Any:
        """One random value (uniform, or log-uniform when ``log``)."""
        raise NotImplementedError

    def suggest(self, trial: Any, name: str) -> Any:
        """The value an Optuna trial proposes."""
        raise NotImplementedError

    def examples(self) -> list[Any]:
        """A few values that exercise the dimension (to validate a template early)."""
        raise NotImplementedError

    def to_spec(self) -> dict[str, Any]:
        """The JSON form read by :func:`space_from_spec`."""
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(json.dumps(self.to_spec(), sort_keys=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.to_spec()})"


class Choice(Dimension):
    """One of a list of values, e.g. ``Choice(["tanh", "relu"])`` or ``Choice([[32], [64, 32]])``.

    Values must be distinct JSON data; tuples are stored as lists (so a value read back from
    storage equals the one tried).
    """

    def __init__(self, values: Sequence[Any]) -> None:
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"Choice values must be a list, got {type(values).__name__}")
        if not values:
            raise ValueError("Choice needs at least one value, got an empty list")
        self.values = [_json_value(v, "Choice values") for v in values]
        seen: set[str] = set()
        for v in self.values:
            key = json.dumps(v, sort_keys=True)
            if key in seen:
                raise ValueError(f"Choice values must be distinct; {v!r} appears twice")
            seen.add(key)
        primitive = all(v is None or isinstance(v, (bool, int, float, str)) for v in self.values)
        # Optuna's categorical distribution takes only scalars: other values travel as JSON text.
        self._encoded = not primitive
        self._optuna_choices = [json.dumps(v) if self._encoded else v for v in self.values]

    def grid(self, points: int) -> list[Any]:
        return copy.deepcopy(self.values)

    def sample(self, rng: np.random.Generator) -> Any:
        return copy.deepcopy(self.values[int(rng.integers(len(self.values)))])

    def suggest(self, trial: Any, name: str) -> Any:
        value = trial.suggest_categorical(name, self._optuna_choices)
        return json.loads(value) if self._encoded else value

    def examples(self) -> list[Any]:
        return copy.deepcopy(self.values)

    def to_spec(self) -> dict[str, Any]:
        return {"choice": copy.deepcopy(self.values)}


class IntRange(Dimension):
    """An integer in ``low, low + step, ..., high`` (log-uniform draws when ``log=True``)."""

    def __init__(self, low: int, high: int, step: int = 1, log: bool = False) -> None:
        self.low = _check_int(low, "IntRange low")
        self.high = _check_int(high, "IntRange high")
        self.step = _check_int(step, "IntRange step")
        self.log = _check_bool(log, "IntRange log")
        if self.low > self.high:
            raise ValueError(f"IntRange needs low <= high, got low={self.low}, high={self.high}")
        if self.step < 1:
            raise ValueError(f"IntRange step must be >= 1, got {self.step}")
        if (self.high - self.low) % self.step:
            raise ValueError(
                f"IntRange high - low must be a multiple of step, got low={self.low}, "
                f"high={self.high}, step={self.step}"
            )
        if self.log and (self.low < 1 or self.step != 1):
            raise ValueError(
                f"a log IntRange needs low >= 1 and step 1, got low={self.low}, step={self.step}"
            )

    @property
    def size(self) -> int:
        return (self.high - self.low) // self.step + 1

    def grid(self, points: int) -> list[int]:
        if self.size <= points:
            return [self.low + self.step * i for i in range(self.size)]
        if self.log:
            values = np.round(np.geomspace(self.low, self.high, points))
            return sorted({int(v) for v in values})
        index = np.round(np.linspace(0, self.size - 1, points))
        return sorted({self.low + self.step * int(i) for i in index})

    def sample(self, rng: np.random.Generator) -> int:
        if not self.log:
            return self.low + self.step * int(rng.integers(self.size))
        u = rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5))
        return int(min(max(round(math.exp(u)), self.low), self.high))

    def suggest(self, trial: Any, name: str) -> int:
        return int(trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log))

    def examples(self) -> list[int]:
        return sorted({self.low, self.high})

    def to_spec(self) -> dict[str, Any]:
        return {"int": [self.low, self.high], "step": self.step, "log": self.log}


class FloatRange(Dimension):
    """A real number in ``[low, high]``; ``log=True`` for learning rates and regularization."""

    def __init__(self, low: float, high: float, log: bool = False) -> None:
        self.low = _check_real(low, "FloatRange low")
        self.high = _check_real(high, "FloatRange high")
        self.log = _check_bool(log, "FloatRange log")
        if not self.low < self.high:
            raise ValueError(f"FloatRange needs low < high, got low={self.low}, high={self.high}")
        if self.log and self.low <= 0:
            raise ValueError(f"a log FloatRange needs low > 0, got low={self.low}")

    def grid(self, points: int) -> list[float]:
        spaced = np.geomspace if self.log else np.linspace
        return [float(v) for v in spaced(self.low, self.high, points)]

    def sample(self, rng: np.random.Generator) -> float:
        if self.log:
            return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
        return float(rng.uniform(self.low, self.high))

    def suggest(self, trial: Any, name: str) -> float:
        return float(trial.suggest_float(name, self.low, self.high, log=self.log))

    def examples(self) -> list[float]:
        return [self.low, self.high]

    def to_spec(self) -> dict[str, Any]:
        return {"float": [self.low, self.high], "log": self.log}


_SPEC_KEYS = {"choice": set(), "int": {"step", "log"}, "float": {"log"}}
_SPEC_HELP = (
    "{'choice': [...]}, {'int': [low, high], 'step': 1, 'log': false}, "
    "{'float': [low, high], 'log': false} or a list of choices"
)


def _dimension_from_entry(name: str, entry: Any) -> Dimension:
    if isinstance(entry, Dimension):
        return entry
    if isinstance(entry, (list, tuple)):
        return Choice(list(entry))
    if not isinstance(entry, Mapping):
        raise TypeError(
            f"must be a dimension: {_SPEC_HELP}, got {entry!r}; fixed settings belong in the "
            "template or the build function"
        )
    kinds = [k for k in entry if k in _SPEC_KEYS]
    if len(kinds) != 1:
        raise ValueError(
            f"must have exactly one of 'choice', 'int' or 'float', got keys {sorted(entry)}"
        )
    kind = kinds[0]
    unknown = sorted(set(entry) - {kind} - _SPEC_KEYS[kind])
    if unknown:
        allowed = ", ".join(sorted({kind} | _SPEC_KEYS[kind]))
        raise ValueError(f"unknown key(s) {unknown} for {kind!r}; allowed: {allowed}")
    if kind == "choice":
        return Choice(entry["choice"])
    bounds = entry[kind]
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        raise ValueError(f"{kind!r} must be [low, high], got {bounds!r}")
    if kind == "int":
        return IntRange(*bounds, step=entry.get("step", 1), log=entry.get("log", False))
    return FloatRange(*bounds, log=entry.get("log", False))


def space_from_spec(spec: Mapping[str, Any]) -> dict[str, Dimension]:
    """A search space from its dict / JSON / YAML form (Dimension objects pass through).

    Each entry is ``{"choice": [...]}``, ``{"int": [low, high], "step": 1, "log": false}``,
    ``{"float": [low, high], "log": false}``, a plain list (a choice) or a Dimension.
    Errors name the parameter, e.g. ``space['learning_rate']: a log FloatRange needs low > 0``.
    """
    if not isinstance(spec, Mapping):
        raise TypeError(
            f"a search space must be a dict of parameter name -> dimension, got "
            f"{type(spec).__name__}"
        )
    if not spec:
        raise ValueError("the search space is empty; give at least one parameter")
    space: dict[str, Dimension] = {}
    for name, entry in spec.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"search space names must be non-empty strings, got {name!r}")
        try:
            space[name] = _dimension_from_entry(name, entry)
        except (TypeError, ValueError) as err:
            raise type(err)(f"space[{name!r}]: {err}") from None
    return space


def _space_spec(space: Mapping[str, Dimension]) -> dict[str, Any]:
    return {name: dim.to_spec() for name, dim in space.items()}


def read_spec(path: str | os.PathLike) -> Any:
    """Read a JSON (``.json``) or YAML (``.yaml`` / ``.yml``) file; a clear error if malformed."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no search space file at {str(path)!r}")
    suffix = path.suffix.lower()
    text = path.read_text(encoding="utf-8")
    if suffix == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{str(path)!r} is not valid JSON: {err}") from None
    if suffix in (".yaml", ".yml"):
        yaml = _require(
            "yaml", "reading a YAML search space", f"{_TUNE_EXTRA} (or pip install pyyaml)"
        )
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(f"{str(path)!r} is not valid YAML: {err}") from None
    raise ValueError(f"{str(path)!r}: expected a .json, .yaml or .yml file, got {suffix!r}")


# -------------------------------------------------------------------------- model template
#: Settings a template may fix and a search space may tune (see :func:`build_mlp`).
TEMPLATE_DEFAULTS: dict[str, Any] = {
    "hidden": [32],
    "units": None,
    "layers": None,
    "activation": "relu",
    "optimizer": "adam",
    "learning_rate": 0.01,
    "momentum": 0.0,
    "l2": 0.0,
    "dropout": 0.0,
    "batch_norm": False,
    "kernel_initializer": "glorot_uniform",
    "loss": "categorical_crossentropy",
    "dtype": "float32",
    "batch_size": None,
    "epochs": None,
}
_FIT_KEYS = ("batch_size", "epochs")
_CLASS_LOSSES = ("categorical_crossentropy", "binary_crossentropy")


def _optimizer(name: str, learning_rate: float, momentum: float):
    from .. import optimizers

    if name == "sgd":
        return optimizers.SGD(learning_rate, momentum=momentum)
    if name == "momentum":
        return optimizers.Momentum(learning_rate, beta=momentum or 0.9)
    if name == "rmsprop":
        return optimizers.RMSprop(learning_rate)
    if name == "adam":
        return optimizers.Adam(learning_rate)
    raise ValueError(f"optimizer must be 'sgd', 'momentum', 'rmsprop' or 'adam', got {name!r}")


def build_mlp(
    n_features: int,
    n_outputs: int,
    *,
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    optimizer: str = "adam",
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    l2: float = 0.0,
    dropout: float = 0.0,
    batch_norm: bool = False,
    kernel_initializer: str = "glorot_uniform",
    loss: str = "categorical_crossentropy",
    seed: int | None = 0,
    dtype: str = "float32",
) -> Sequential:
    """A compiled multilayer perceptron ``n_features -> hidden... -> n_outputs``.

    ``hidden`` lists the hidden layer sizes (an int is one hidden layer, ``[]`` none).

    Each hidden layer is ``Dense(units, activation)`` (or ``Dense -> BatchNormalization ->
    Activation`` with ``batch_norm``), followed by ``Dropout(dropout)`` when ``dropout > 0``;
    its kernel gets ``L2(l2)`` when ``l2 > 0``. The output layer is softmax for categorical
    cross-entropy, sigmoid for binary cross-entropy and linear otherwise. ``optimizer`` is
    ``"sgd"`` (``SGD(learning_rate, momentum)``), ``"momentum"`` (``Momentum(learning_rate,
    beta=momentum or 0.9)``), ``"rmsprop"`` or ``"adam"``. Classification losses also
    compute ``accuracy``.
    """
    from .. import layers, regularizers

    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = [hidden]  # one hidden layer, as in the template and scikit-learn
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise TypeError(f"hidden must be a list of layer sizes, got {hidden!r}")
    stack: list[Any] = []
    for i, units in enumerate(hidden):
        kwargs: dict[str, Any] = {"kernel_initializer": kernel_initializer}
        if i == 0:
            kwargs["input_dim"] = n_features
        if l2:
            kwargs["kernel_regularizer"] = regularizers.L2(l2)
        if batch_norm:
            stack += [
                layers.Dense(units, **kwargs),
                layers.BatchNormalization(),
                layers.Activation(activation),
            ]
        else:
            stack.append(layers.Dense(units, activation, **kwargs))
        if dropout:
            stack.append(layers.Dropout(dropout))
    output = {"categorical_crossentropy": "softmax", "binary_crossentropy": "sigmoid"}
    out_kwargs: dict[str, Any] = {"kernel_initializer": kernel_initializer}
    if not hidden:
        out_kwargs["input_dim"] = n_features
    stack.append(layers.Dense(n_outputs, output.get(loss, "linear"), **out_kwargs))
    model = Sequential(stack, seed=seed, dtype=dtype)
    metrics = ["accuracy"] if loss in _CLASS_LOSSES else []
    model.compile(loss, _optimizer(optimizer, learning_rate, momentum), metrics=metrics)
    return model


def _check_template(template: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(template) - set(TEMPLATE_DEFAULTS))
    if unknown:
        raise ValueError(
            f"unknown template setting(s) {unknown}; settings are: {', '.join(TEMPLATE_DEFAULTS)}"
        )
    return {k: _json_value(v, f"template[{k!r}]") for k, v in template.items()}


@dataclass(frozen=True)
class _Targets:
    """What a template needs to know about ``y`` to size the output layer."""

    ndim: int
    width: int  # y.shape[1] for 2-D targets, else 1
    n_classes: int  # max label + 1 for 1-D integer labels, else 0


class _TemplateBuilder:
    """``build(params, seed)`` for a template: template settings overridden by the params."""

    def __init__(self, template: dict[str, Any], n_features: int, targets: _Targets) -> None:
        self.template = template
        self.n_features = n_features
        self.targets = targets

    def settings(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return {**TEMPLATE_DEFAULTS, **self.template, **params}

    def _outputs(self, loss: str) -> int:
        t = self.targets
        if loss == "categorical_crossentropy":
            if t.ndim == 1 and t.n_classes < 2:
                raise ValueError(
                    "categorical_crossentropy needs integer class labels 0..K-1 (K >= 2) or "
                    "one-hot targets; for real-valued targets set the template's loss to 'mse'"
                )
            return t.n_classes if t.ndim == 1 else t.width
        return t.width

    def __call__(self, params: Mapping[str, Any], seed: int) -> Sequential:
        s = self.settings(params)
        hidden = [s["hidden"]] if isinstance(s["hidden"], int) else s["hidden"]
        if s["units"] is not None or s["layers"] is not None:
            units = s["units"] if s["units"] is not None else (hidden[0] if hidden else 32)
            n_layers = s["layers"] if s["layers"] is not None else len(hidden)
            hidden = [units] * n_layers
        return build_mlp(
            self.n_features,
            self._outputs(s["loss"]),
            hidden=hidden,
            activation=s["activation"],
            optimizer=s["optimizer"],
            learning_rate=s["learning_rate"],
            momentum=s["momentum"],
            l2=s["l2"],
            dropout=s["dropout"],
            batch_norm=s["batch_norm"],
            kernel_initializer=s["kernel_initializer"],
            loss=s["loss"],
            seed=seed,
            dtype=s["dtype"],
        )


# --------------------------------------------------------------------------------- pruning
@dataclass(frozen=True)
class MedianPruner:
    """Stop a trial whose best score so far is worse than the earlier trials' median.

    At epoch ``t`` (0-based) with ``t >= n_warmup_epochs``, a trial is pruned when its best
    monitored value so far is worse than the median of the values that at least
    ``n_startup_trials`` earlier trials had at epoch ``t``. So the first ``n_warmup_epochs``
    epochs of a trial, and the first ``n_startup_trials`` trials, always run.
    """

    n_startup_trials: int = 5
    n_warmup_epochs: int = 3

    def __post_init__(self) -> None:
        for name in ("n_startup_trials", "n_warmup_epochs"):
            value = _check_int(getattr(self, name), f"MedianPruner {name}")
            if value < 0:
                raise ValueError(f"MedianPruner {name} must be >= 0, got {value}")

    def to_spec(self) -> dict[str, int]:
        return {"n_startup_trials": self.n_startup_trials, "n_warmup_epochs": self.n_warmup_epochs}


def _check_pruner(pruner: Any) -> MedianPruner | None:
    if pruner is None or isinstance(pruner, MedianPruner):
        return pruner
    if pruner == "median":
        return MedianPruner()
    raise ValueError(f"pruner must be 'median', a MedianPruner or None, got {pruner!r}")


def _worse(a: float, b: float, mode: str) -> bool:
    return a < b if mode == "max" else a > b


def _best_index(curve: Sequence[float | None], mode: str) -> int | None:
    """Index of the best finite value (the first one on ties), or None."""
    best = None
    for i, v in enumerate(curve):
        if v is not None and math.isfinite(v) and (best is None or _worse(curve[best], v, mode)):
            best = i
    return best


class _Board:
    """Learning curves of all trials of a search, shared with the worker processes.

    ``store`` maps a trial number to ``(curve, finished)``: a plain dict in one process, a
    ``multiprocessing.Manager`` dict across processes. A trial asking for the earlier trials'
    values at epoch ``t`` waits (``wait=True``) until each of them has reached epoch ``t`` or
    finished, so the answer is the same whatever the timing.
    """

    def __init__(self, store: Any, wait: bool) -> None:
        self.store = store
        self.wait = wait
        self.finished: dict[int, tuple[list, bool]] = {}

    def update(self, number: int, curve: list[float], finished: bool) -> None:
        self.store[number] = (list(curve), finished)

    def _entry(self, number: int) -> tuple[list | None, bool]:
        entry = self.finished.get(number)
        if entry is None:
            entry = self.store.get(number, (None, False))
            if entry[1]:  # a finished curve never changes: fetch it once
                self.finished[number] = entry
        return entry

    def values_at(self, number: int, epoch: int) -> list[float]:
        """Finite values at ``epoch`` of the trials numbered below ``number``."""
        while True:
            values, pending = [], False
            for j in range(number):
                curve, finished = self._entry(j)
                if curve is not None and len(curve) > epoch:
                    if curve[epoch] is not None and math.isfinite(curve[epoch]):
                        values.append(curve[epoch])
                elif not finished and (curve is not None or self.wait):
                    pending = True
            if not (pending and self.wait):
                return values
            time.sleep(_POLL_SECONDS)


class _BoardReporter:
    """Pruning with handgrad's median rule against the board (grid and random search)."""

    def __init__(self, board: _Board, number: int, pruner: MedianPruner | None, mode: str):
        self.board, self.number, self.pruner, self.mode = board, number, pruner, mode
        board.update(number, [], False)

    def report(self, epoch: int, curve: list[float]) -> None:
        self.board.update(self.number, curve, False)

    def should_prune(self, epoch: int, curve: list[float]) -> bool:
        p = self.pruner
        if p is None or epoch < p.n_warmup_epochs or self.number < p.n_startup_trials:
            return False
        values = self.board.values_at(self.number, epoch)
        if len(values) < max(p.n_startup_trials, 1):
            return False
        best = _best_index(curve, self.mode)
        return best is None or _worse(curve[best], float(np.median(values)), self.mode)

    def close(self, curve: list[float]) -> None:
        self.board.update(self.number, curve, True)


class _OptunaReporter:
    """Pruning by an Optuna trial (its study's pruner decides)."""

    def __init__(self, trial: Any) -> None:
        self.trial = trial

    def report(self, epoch: int, curve: list[float]) -> None:
        if curve[-1] is not None and math.isfinite(curve[-1]):
            self.trial.report(curve[-1], epoch)

    def should_prune(self, epoch: int, curve: list[float]) -> bool:
        return bool(self.trial.should_prune())

    def close(self, curve: list[float]) -> None:
        pass


# ----------------------------------------------------------------------------- one trial
@dataclass(frozen=True)
class _Data:
    x: np.ndarray
    y: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray

    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for a in (self.x, self.y, self.x_val, self.y_val):
            a = np.ascontiguousarray(a)
            digest.update(f"{a.dtype.str}{a.shape}".encode())
            digest.update(a.tobytes())
        return digest.hexdigest()


@dataclass(frozen=True)
class _Context:
    """Everything a trial needs; pickled once to every worker process."""

    build: Callable[..., Sequential]
    data: _Data
    monitor: str
    mode: str
    epochs: int
    batch_size: int | None
    pruner: MedianPruner | None


def _accepts_seed(build: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(build).parameters
    except (TypeError, ValueError):
        return False
    return "seed" in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def _make_model(build: Callable[..., Any], params: dict[str, Any], seed: int) -> Sequential:
    model = (
        build(copy.deepcopy(params), seed=seed)
        if _accepts_seed(build)
        else build(copy.deepcopy(params))
    )
    if not isinstance(model, Sequential):
        raise TypeError(
            f"build must return a handgrad Sequential, got {type(model).__name__} for params "
            f"{params}"
        )
    if model.loss is None:
        raise ValueError(
            "build returned a model that is not compiled; call model.compile(loss, optimizer, "
            "metrics) inside build"
        )
    return model


def _fit_settings(ctx: _Context, params: Mapping[str, Any]) -> tuple[int, int | None]:
    """Epochs and batch size: a trial's params override the context's (template or search())."""
    epochs = params["epochs"] if params.get("epochs") is not None else ctx.epochs
    batch_size = params["batch_size"] if "batch_size" in params else ctx.batch_size
    return epochs, batch_size


class _TrialCallback(Callback):
    """Records the monitored value each epoch and stops the fit when the trial is pruned."""

    def __init__(self, monitor: str, reporter: Any) -> None:
        super().__init__()
        self.monitor, self.reporter = monitor, reporter
        self.curve: list[float] = []
        self.pruned = False

    def check_log_keys(self, keys):
        _check_monitor_logged(self.monitor, keys, "the search")

    def on_epoch_end(self, epoch, logs=None):
        value = _monitor_value(logs, self.monitor, "the search")
        self.curve.append(value if math.isfinite(value) else None)
        self.reporter.report(epoch, self.curve)
        last = epoch + 1 >= self.params["epochs"]
        if not last and self.reporter.should_prune(epoch, self.curve):
            self.pruned = True
            self.model.stop_training = True


def _train_trial(ctx: _Context, number: int, params: dict[str, Any], seed: int, reporter) -> dict:
    """Build, train and score one trial; returns its results row."""
    start = time.perf_counter()
    callback = _TrialCallback(ctx.monitor, reporter)
    try:
        model = _make_model(ctx.build, params, seed)
        epochs, batch_size = _fit_settings(ctx, params)
        d = ctx.data
        with warnings.catch_warnings():
            # A diverging configuration is an expected outcome of a search, shown as its state.
            warnings.simplefilter("ignore", DivergenceWarning)
            history = model.fit(
                d.x,
                d.y,
                epochs=epochs,
                batch_size=batch_size,
                verbose=0,
                validation_data=(d.x_val, d.y_val),
                callbacks=[callback],
            )
    finally:
        reporter.close(callback.curve)
    if history.stopped_reason == "interrupted":  # fit caught Ctrl-C: stop the whole search
        raise KeyboardInterrupt
    curve = callback.curve
    best = _best_index(curve, ctx.mode)
    state = (
        "pruned"
        if callback.pruned
        else ("diverged" if history.stopped_reason == "diverged" else "complete")
    )
    return {
        "number": number,
        "state": state,
        "score": None if best is None else curve[best],
        "best_epoch": None if best is None else best + 1,
        "epochs": len(curve),
        "seconds": round(time.perf_counter() - start, 4),
        "seed": int(model.seed),
        "params": params,
        "curve": curve,
    }


def _trial_seed(seed: int, number: int) -> int:
    return int(np.random.SeedSequence([seed, number]).generate_state(1)[0])


# ------------------------------------------------------------------------ worker processes
_WORKER: dict[str, Any] = {}


def _init_board_worker(ctx: _Context, store: Any) -> None:
    _WORKER.update(ctx=ctx, board=_Board(store, wait=True))


def _board_worker_trial(job: tuple[int, dict[str, Any], int]) -> dict:
    number, params, seed = job
    ctx, board = _WORKER["ctx"], _WORKER["board"]
    return _train_trial(
        ctx, number, params, seed, _BoardReporter(board, number, ctx.pruner, ctx.mode)
    )


def _spawn_pool(n_workers: int, initializer, initargs) -> ProcessPoolExecutor:
    import multiprocessing
    import pickle

    build = initargs[0].build
    try:
        pickle.dumps(build)
    except (pickle.PicklingError, TypeError, AttributeError) as err:
        raise TypeError(
            f"n_jobs > 1 runs trials in other processes, so build must be picklable: a "
            f"module-level function, not a lambda or a nested function (got {build!r}: {err})"
        ) from None
    return ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def _worker_threads(n_workers: int):
    """Share the CPUs among the workers' BLAS thread pools (unless the user set a limit).

    The variables are read when a worker starts, which happens while the jobs are submitted.
    """
    threads = str(max(1, (os.cpu_count() or 1) // n_workers))
    added = [name for name in _THREAD_VARIABLES if name not in os.environ]
    os.environ.update(dict.fromkeys(added, threads))
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _collect(pool: ProcessPoolExecutor, futures: list, record: Callable[[dict], None]) -> None:
    """Record each finished trial; on an error or Ctrl-C cancel the trials not yet started."""
    try:
        for future in as_completed(futures):
            record(future.result())
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise


# ---------------------------------------------------------------------- JSON-lines storage
_ROW_KEYS = (
    "number",
    "state",
    "score",
    "best_epoch",
    "epochs",
    "seconds",
    "seed",
    "params",
    "curve",
)


class _JsonlStorage:
    """Finished trials of a grid or random search, one JSON object per line after a header."""

    def __init__(self, path: str | os.PathLike, header: dict[str, Any]) -> None:
        self.path = Path(path)
        self.header = header

    def load(self) -> list[dict]:
        """Rows stored so far (after checking the header); creates the file when missing."""
        if not self.path.exists() or self.path.stat().st_size == 0:
            text = json.dumps(self.header) + "\n"
            atomic_write(self.path, lambda f: f.write(text.encode()))
            return []
        lines = self.path.read_text(encoding="utf-8").split("\n")
        complete, tail = lines[:-1], lines[-1]
        if not complete:
            raise ValueError(f"storage {str(self.path)!r} has no complete header line")
        self._check_header(self._parse(complete[0], 1))
        rows = [self._row(line, i) for i, line in enumerate(complete[1:], 2) if line.strip()]
        if tail:  # the last write was cut short: drop it, that trial runs again
            text = "".join(line + "\n" for line in complete)
            atomic_write(self.path, lambda f: f.write(text.encode()))
        return rows

    def _row(self, line: str, lineno: int) -> dict:
        row = self._parse(line, lineno)
        missing = sorted(set(_ROW_KEYS) - set(row))
        if missing or not isinstance(row["number"], int) or not isinstance(row["params"], dict):
            raise ValueError(
                f"storage {str(self.path)!r} line {lineno} is not a trial row (missing "
                f"{missing or 'valid number/params'})"
            )
        return row

    def _parse(self, line: str, lineno: int) -> dict:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as err:
            raise ValueError(
                f"storage {str(self.path)!r} line {lineno} is malformed: {err}"
            ) from None
        if not isinstance(value, dict):
            raise ValueError(f"storage {str(self.path)!r} line {lineno} is not a JSON object")
        return value

    def _check_header(self, stored: dict) -> None:
        if stored.get("format") != _STORAGE_FORMAT:
            raise ValueError(f"{str(self.path)!r} is not a handgrad search storage file")
        if stored.get("version", 0) > _STORAGE_VERSION:
            raise ValueError(f"{str(self.path)!r} was written by a newer handgrad")
        _compare_headers(stored, self.header, f"storage {str(self.path)!r}")

    def append(self, row: dict) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")
            f.flush()
            os.fsync(f.fileno())


def _compare_headers(stored: dict, current: dict, where: str) -> None:
    for key in current:
        if stored.get(key) != current[key]:
            raise ValueError(
                f"{where} holds a different search ({key}: stored {stored.get(key)!r}, now "
                f"{current[key]!r}); use another storage or delete it to start afresh"
            )


# ------------------------------------------------------------------------------- searches
def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
    return int(seed)


def _check_positive(value: Any, argument: str, allow_none: bool = False) -> int | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{argument} must be a positive int, got {value!r}")
    return int(value)


def _check_array(value: Any, argument: str) -> np.ndarray:
    from .._validation import as_real_array, check_finite

    arr = as_real_array(value, argument)
    check_finite(arr, argument)
    return arr


def _class_labels(y: np.ndarray) -> np.ndarray | None:
    """Integer labels to stratify the validation split by (None for real-valued targets)."""
    if y.ndim == 1 and y.dtype.kind in "biu":
        return y.astype(np.int64)
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return y.argmax(axis=1)
    return None


def _prepare_data(X, y, validation_data, validation_split, seed: int) -> _Data:
    x = _check_array(X, "X")
    if x.ndim < 2:
        raise ValueError(f"X must be batch-first with shape (N, features), got shape {x.shape}")
    y = _check_array(y, "y")
    if len(y) != len(x):
        raise ValueError(f"X and y must have the same length, got {len(x)} and {len(y)}")
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise TypeError("validation_data must be a tuple (X_val, y_val)")
        xv = _check_array(validation_data[0], "X_val")
        yv = _check_array(validation_data[1], "y_val")
        if xv.shape[1:] != x.shape[1:] or len(xv) != len(yv):
            raise ValueError(
                f"validation_data must match X: X_val {xv.shape} for X {x.shape}, y_val {yv.shape}"
            )
        return _Data(x, y, xv, yv)
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not (0 < validation_split < 1)
    ):
        raise ValueError(
            f"validation_split must be in (0, 1) when no validation_data is given, got "
            f"{validation_split!r}"
        )
    train, val = stratified_indices(
        len(x),
        float(validation_split),
        np.random.default_rng([seed, 3]),
        _class_labels(y),
        argument="validation_split",
    )
    return _Data(x[train], y[train], x[val], y[val])


def _targets(data: _Data) -> _Targets:
    y, yv = data.y, data.y_val
    if y.ndim == 1 and y.dtype.kind in "biu":
        return _Targets(1, 1, int(max(y.max(), yv.max())) + 1)
    return _Targets(y.ndim, 1 if y.ndim == 1 else int(y.shape[1]), 0)


def _objective_name(build: Any) -> Any:
    if isinstance(build, dict):
        return {"template": build}
    return f"{getattr(build, '__module__', '?')}.{getattr(build, '__qualname__', repr(build))}"


def _flat_row(row: dict, names: Sequence[str]) -> dict[str, Any]:
    flat = {
        k: row.get(k)
        for k in ("number", "state", "score", "best_epoch", "epochs", "seconds", "seed")
    }
    for name in names:
        flat[f"params_{name}"] = row["params"].get(name)
    return flat


def _cell(value: Any, digits: int | None = 6) -> str:
    """Text of a table cell: floats to ``digits`` significant digits (None: exact)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if digits is None else f"{value:.{digits}g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


class BaseSearch:
    """The interface shared by :class:`GridSearch`, :class:`RandomSearch`, :class:`BayesianSearch`.

    Parameters
    ----------
    build : callable or dict
        ``build(params, seed) -> compiled Sequential`` (a module-level function; the ``seed``
        argument is optional but needed to reproduce a trial), or a template: a dict of
        :data:`TEMPLATE_DEFAULTS` settings (hidden sizes, activation, optimizer,
        learning_rate, l2, dropout, batch_size, epochs...) that :func:`build_mlp` turns into a
        network sized for the data. A trial's parameters override the template's settings;
        ``epochs`` / ``batch_size`` in the parameters or template override ``search()``'s.
    space : dict
        Parameter name -> :class:`Choice` / :class:`IntRange` / :class:`FloatRange`, or the
        JSON form accepted by :func:`space_from_spec`.
    seed : int
        Drives the trials' parameters (random / Bayesian), their model seeds and the
        validation split.
    pruner : "median", MedianPruner or None
        Early stopping of bad trials (see the module docstring); None trains every trial to
        the end.
    storage : str or PathLike, optional
        Where finished trials are kept so an interrupted search resumes without repeating
        them.
    """

    strategy = ""

    def __init__(
        self,
        build: Callable[..., Sequential] | Mapping[str, Any],
        space: Mapping[str, Any],
        *,
        seed: int = 0,
        pruner: Any = "median",
        storage: Any = None,
    ) -> None:
        if isinstance(build, Mapping):
            build = _check_template(build)
        elif not callable(build):
            raise TypeError(
                f"build must be a function build(params, seed) -> compiled Sequential or a "
                f"template dict, got {type(build).__name__}"
            )
        self.build = build
        self.space = space_from_spec(space)
        if isinstance(build, dict):
            unknown = sorted(set(self.space) - set(TEMPLATE_DEFAULTS))
            if unknown:
                raise ValueError(
                    f"search space parameter(s) {unknown} are not template settings; settings "
                    f"are: {', '.join(TEMPLATE_DEFAULTS)} (or pass a build function)"
                )
        self.seed = _check_seed(seed)
        self.pruner = _check_pruner(pruner)
        if storage is not None and not isinstance(storage, (str, os.PathLike)):
            raise TypeError(f"storage must be a path or None, got {type(storage).__name__}")
        self.storage = storage
        self.results_: list[dict] = []
        self.best_params_: dict[str, Any] | None = None
        self.best_score_: float | None = None
        self.best_trial_: dict | None = None
        self.best_model_: Sequential | None = None

    # ------------------------------------------------------------------------ the search
    def search(
        self,
        X: Any,
        y: Any,
        *,
        validation_data: tuple | None = None,
        validation_split: float = 0.2,
        epochs: int = 10,
        batch_size: int | None = 32,
        n_trials: int | None = None,
        n_jobs: int = 1,
        monitor: str = "val_loss",
        mode: str = "auto",
        refit: bool = True,
        verbose: int = 0,
    ):
        """Run the trials not yet in storage, up to ``n_trials`` in all; returns ``self``.

        Parameters
        ----------
        X, y : arrays
            Training data, batch-first.
        validation_data : (X_val, y_val), optional
            Scores every trial; otherwise ``validation_split`` of ``(X, y)`` is held out
            (stratified by class, the same split for every trial).
        epochs, batch_size : int
            Fit settings (a trial's parameters or the template may override them).
        n_trials : int, optional
            Total number of trials, stored ones included (grid: default the whole grid).
        n_jobs : int
            Worker processes (``-1``: one per CPU).
        monitor : str
            The epoch log that scores a trial, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        mode : {"auto", "min", "max"}
            ``"auto"``: max for accuracy-like names, min otherwise.
        refit : bool
            Retrain the best trial (same seed, ``best_epoch`` epochs) into ``best_model_``.
        verbose : {0, 1}
            1 prints a line per finished trial.
        """
        monitor = _check_monitor(monitor, "search")
        mode = _resolve_mode(monitor, mode, "search")
        epochs = _check_positive(epochs, "epochs")
        batch_size = _check_positive(batch_size, "batch_size", allow_none=True)
        n_jobs = self._check_n_jobs(n_jobs)
        n_trials = self._check_n_trials(n_trials)
        if verbose not in (0, 1):
            raise ValueError(f"verbose must be 0 or 1, got {verbose!r}")
        data = _prepare_data(X, y, validation_data, validation_split, self.seed)
        build = self._objective(data)
        if isinstance(self.build, dict):  # the template's fit settings replace search()'s
            if self.build.get("epochs") is not None:
                epochs = _check_positive(self.build["epochs"], "template['epochs']")
            if "batch_size" in self.build:
                batch_size = _check_positive(
                    self.build["batch_size"], "template['batch_size']", allow_none=True
                )
        ctx = _Context(build, data, monitor, mode, epochs, batch_size, self.pruner)
        self.monitor_, self.mode_ = monitor, mode
        header = {
            "format": _STORAGE_FORMAT,
            "version": _STORAGE_VERSION,
            "strategy": self.strategy,
            "space": _space_spec(self.space),
            "seed": self.seed,
            "objective": _objective_name(self.build),
            "monitor": monitor,
            "mode": mode,
            "epochs": epochs,
            "batch_size": batch_size,
            "pruner": None if self.pruner is None else self.pruner.to_spec(),
            "data": data.fingerprint(),
            **self._header_extra(),
        }
        self.results_, self.best_model_ = [], None
        self._ctx = ctx
        try:
            self._run(ctx, n_trials, n_jobs, header, verbose)
        finally:
            self.results_.sort(key=lambda r: r["number"])
        self._set_best()
        if refit:
            self.best_model_ = self.refit_best()
        return self

    def _objective(self, data: _Data) -> Callable[..., Sequential]:
        if not isinstance(self.build, dict):
            return self.build
        if data.x.ndim != 2:
            raise ValueError(
                f"a template builds a Dense network for X of shape (N, features), got X of shape "
                f"{data.x.shape}; pass a build function for other inputs"
            )
        builder = _TemplateBuilder(self.build, int(data.x.shape[1]), _targets(data))
        try:  # fail now, not in the middle of the search
            builder({}, 0)
        except (TypeError, ValueError) as err:
            raise type(err)(f"template {self.build}: {err}") from None
        for name, dim in self.space.items():
            for value in dim.examples():
                try:
                    if name in _FIT_KEYS:
                        _check_positive(value, name, allow_none=name == "batch_size")
                    else:
                        builder({name: value}, 0)
                except (TypeError, ValueError) as err:
                    raise type(err)(f"space[{name!r}] value {value!r}: {err}") from None
        return builder

    def _check_n_jobs(self, n_jobs: Any) -> int:
        if n_jobs == -1:
            return os.cpu_count() or 1
        return _check_positive(n_jobs, "n_jobs (or -1 for one per CPU)")

    def _check_n_trials(self, n_trials: Any) -> int:
        return _check_positive(10 if n_trials is None else n_trials, "n_trials")

    def _header_extra(self) -> dict[str, Any]:
        return {}

    def _record(self, row: dict, n_trials: int, verbose: int) -> None:
        self.results_.append(row)
        if verbose:
            score = "-" if row["score"] is None else f"{row['score']:.4f}"
            print(
                f"trial {row['number'] + 1}/{n_trials}  {row['state']:<8}  {self.monitor_}="
                f"{score}  {row['epochs']} epochs  {row['seconds']:.2f}s  "
                f"{json.dumps(row['params'])}",
                flush=True,
            )

    # -------------------------------------------------------------------------- the best
    def _set_best(self) -> None:
        eligible = [r for r in self.results_ if r["state"] != "pruned" and r["score"] is not None]
        if not eligible:
            self.best_trial_ = self.best_params_ = self.best_score_ = None
            return
        best = eligible[0]
        for row in eligible[1:]:
            if _worse(best["score"], row["score"], self.mode_):
                best = row
        self.best_trial_ = best
        self.best_params_ = copy.deepcopy(best["params"])
        self.best_score_ = best["score"]

    def refit_best(self) -> Sequential:
        """Retrain the best trial: same parameters and seed, ``best_epoch`` epochs.

        The returned model's validation score equals ``best_score_``.
        """
        if self.best_trial_ is None:
            raise ValueError("no trial finished with a finite score; nothing to refit")
        ctx, best = self._ctx, self.best_trial_
        model = _make_model(ctx.build, best["params"], best["seed"])
        if model.seed != best["seed"]:
            raise ValueError(
                f"build gave a model with seed {model.seed} but the best trial used seed "
                f"{best['seed']}; accept a seed argument, build(params, seed), and pass it to "
                "Sequential(seed=seed) so trials can be retrained"
            )
        _, batch_size = _fit_settings(ctx, best["params"])
        d = ctx.data
        model.fit(
            d.x,
            d.y,
            epochs=best["best_epoch"],
            batch_size=batch_size,
            verbose=0,
            validation_data=(d.x_val, d.y_val),
        )
        return model

    # --------------------------------------------------------------------------- reports
    def _rows(self) -> list[dict]:
        if not self.results_:
            raise ValueError("the search has no results yet; call search() first")
        return self.results_

    def _flat_rows(self) -> list[dict[str, Any]]:
        return [_flat_row(r, list(self.space)) for r in self._rows()]

    def to_csv(self, path: str | os.PathLike) -> None:
        """Write the results table (one row per trial, ``params_<name>`` columns) atomically."""
        rows = self._flat_rows()
        buffer = _io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(list(rows[0]))
        for row in rows:
            writer.writerow([_cell(v, None) for v in row.values()])
        atomic_write(path, lambda f: f.write(buffer.getvalue().encode()))

    def to_dataframe(self):
        """The results table as a pandas DataFrame (needs pandas)."""
        pandas = _require("pandas", "to_dataframe()", "pip install pandas")
        return pandas.DataFrame(self._flat_rows())

    def summary(self, print_fn: Callable[[str], Any] | None = print) -> str:
        """Print (and return) the results table, best trial marked with ``*``."""
        rows = self._flat_rows()
        best = None if self.best_trial_ is None else self.best_trial_["number"]
        header = ["trial", "state", self.monitor_, "epochs", "seconds", *self.space]
        table = [header]
        for row in rows:
            mark = "*" if row["number"] == best else " "
            table.append(
                [
                    f"{row['number']}{mark}",
                    row["state"],
                    _cell(row["score"]),
                    str(row["epochs"]),
                    f"{row['seconds']:.2f}",
                    *(_cell(row[f"params_{n}"]) for n in self.space),
                ]
            )
        widths = [max(len(r[i]) for r in table) for i in range(len(header))]
        lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table)
        text = "\n".join(line.rstrip() for line in lines)
        if print_fn is not None:
            print_fn(text)
        return text

    def plot_history(self, **kwargs: Any):
        """Score by trial and best so far: :func:`handgrad.plotting.plot_search_history`."""
        from ..plotting import plot_search_history

        return plot_search_history(self, **kwargs)

    def plot_params(self, **kwargs: Any):
        """Score against each parameter: :func:`handgrad.plotting.plot_search_params`."""
        from ..plotting import plot_search_params

        return plot_search_params(self, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(space={list(self.space)}, seed={self.seed})"


class _IndexedSearch(BaseSearch):
    """Grid and random search: trial ``k``'s parameters are a function of ``k`` alone."""

    def _params(self, number: int) -> dict[str, Any]:
        raise NotImplementedError

    def _run(self, ctx: _Context, n_trials: int, n_jobs: int, header: dict, verbose: int) -> None:
        storage = None if self.storage is None else _JsonlStorage(self.storage, header)
        stored: dict[int, dict] = {}
        for row in storage.load() if storage else []:
            stored.setdefault(row["number"], row)  # a trial stored twice counts once
        done = set(stored)
        self.results_.extend(stored.values())
        jobs = [
            (k, self._params(k), _trial_seed(self.seed, k))
            for k in range(n_trials)
            if k not in done
        ]

        def record(row: dict) -> None:
            if storage:
                storage.append(row)
            self._record(row, n_trials, verbose)

        curves = {number: (row["curve"], True) for number, row in stored.items()}
        if n_jobs == 1 or len(jobs) <= 1:
            board = _Board(curves, wait=False)
            for number, params, seed in jobs:
                reporter = _BoardReporter(board, number, ctx.pruner, ctx.mode)
                record(_train_trial(ctx, number, params, seed, reporter))
            return
        import multiprocessing

        n_workers = min(n_jobs, len(jobs))
        with contextlib.ExitStack() as stack:
            store: Any = curves  # without pruning, no trial reads the others' curves
            if ctx.pruner is not None:
                manager = stack.enter_context(multiprocessing.get_context("spawn").Manager())
                store = manager.dict(curves)
            pool = stack.enter_context(_spawn_pool(n_workers, _init_board_worker, (ctx, store)))
            with _worker_threads(n_workers):
                # Submitted in trial order: a trial only waits for lower-numbered ones, which
                # started before it, so the workers never wait on each other in a cycle.
                futures = [pool.submit(_board_worker_trial, job) for job in jobs]
            _collect(pool, futures, record)


class GridSearch(_IndexedSearch):
    """Try every combination of the space's values (exhaustive search).

    Parameters
    ----------
    build, space, seed, pruner, storage
        See :class:`BaseSearch`; ``storage`` is a JSON-lines file path.
    grid_points : int
        Values per range: evenly spaced (geometrically when ``log=True``), ends included;
        an integer range with fewer values contributes all of them.

    Examples
    --------
    >>> import handgrad as hg
    >>> from handgrad.tuning import GridSearch, Choice
    >>> (X, y), _ = hg.datasets.moons(n_samples=200)
    >>> search = GridSearch({"hidden": [8], "activation": "tanh"},
    ...                     {"learning_rate": Choice([0.05, 1e-5])}, pruner=None)
    >>> search.search(X, y, epochs=15, monitor="val_accuracy").best_params_
    {'learning_rate': 0.05}
    """

    strategy = "grid"

    def __init__(
        self,
        build,
        space,
        *,
        grid_points: int = 3,
        seed: int = 0,
        pruner: Any = "median",
        storage: Any = None,
    ) -> None:
        super().__init__(build, space, seed=seed, pruner=pruner, storage=storage)
        self.grid_points = _check_positive(grid_points, "grid_points")
        if self.grid_points < 2 and any(not isinstance(d, Choice) for d in self.space.values()):
            raise ValueError(f"grid_points must be >= 2 for ranges, got {self.grid_points}")
        self.axes = {name: dim.grid(self.grid_points) for name, dim in self.space.items()}

    @property
    def n_points(self) -> int:
        """Number of grid points (combinations)."""
        return math.prod(len(v) for v in self.axes.values())

    def _params(self, number: int) -> dict[str, Any]:
        params, rest = {}, number
        for name, values in reversed(list(self.axes.items())):  # last axis varies fastest
            rest, i = divmod(rest, len(values))
            params[name] = copy.deepcopy(values[i])
        return {name: params[name] for name in self.axes}

    def _check_n_trials(self, n_trials: Any) -> int:
        if n_trials is None:
            return self.n_points
        n_trials = _check_positive(n_trials, "n_trials")
        if n_trials > self.n_points:
            raise ValueError(f"n_trials={n_trials} exceeds the {self.n_points} grid points")
        return n_trials

    def _header_extra(self) -> dict[str, Any]:
        return {"grid_points": self.grid_points}


class RandomSearch(_IndexedSearch):
    """Draw each trial's parameters at random (uniform, log-uniform for ``log`` ranges).

    Trial ``k`` draws from ``default_rng([seed, 1, k])``, so it gets the same parameters in any
    run, in any process and after a resume. ``storage`` is a JSON-lines file path.
    """

    strategy = "random"

    def _params(self, number: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.seed, 1, number])
        return {name: dim.sample(rng) for name, dim in self.space.items()}


# ----------------------------------------------------------------------- Bayesian (Optuna)
def _optuna() -> Any:
    return _require("optuna", "BayesianSearch")


class _QuietOptuna:
    """Optuna logs every trial at INFO level; the search reports trials itself."""

    def __init__(self, optuna: Any) -> None:
        self.optuna = optuna

    def __enter__(self):
        self.level = self.optuna.logging.get_verbosity()
        self.optuna.logging.set_verbosity(self.optuna.logging.WARNING)

    def __exit__(self, *exc):
        self.optuna.logging.set_verbosity(self.level)


def _open_storage(optuna: Any, spec: Any) -> Any:
    if isinstance(spec, tuple):  # ("journal", path): the temporary storage of a parallel run
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(spec[1]))
    return spec


def _optuna_pruner(optuna: Any, pruner: MedianPruner | None) -> Any:
    if pruner is None:
        return optuna.pruners.NopPruner()
    return optuna.pruners.MedianPruner(
        n_startup_trials=pruner.n_startup_trials, n_warmup_steps=pruner.n_warmup_epochs
    )


@dataclass(frozen=True)
class _OptunaPlan:
    """How a process reaches the study and draws the next trial."""

    storage: Any
    study_name: str
    direction: str
    space: dict[str, Dimension]
    seed: int
    n_startup_trials: int


def _optuna_trial(optuna: Any, study: Any, ctx: _Context, plan: _OptunaPlan) -> dict:
    """Ask the study for a trial, train it, tell the outcome; returns the results row."""
    trial = study.ask()
    # Parameters are drawn at suggest time by ``study.sampler``: a fresh sampler seeded by the
    # trial number makes the same history give the same proposal in any process and after a
    # resume (Optuna does not store its samplers' random state), while two workers asking at
    # once still draw differently.
    sampler_seed = int(np.random.SeedSequence([plan.seed, trial.number, 1]).generate_state(1)[0])
    study.sampler = optuna.samplers.TPESampler(
        seed=sampler_seed, n_startup_trials=plan.n_startup_trials
    )
    state = optuna.trial.TrialState
    try:
        params = {name: dim.suggest(trial, name) for name, dim in plan.space.items()}
        row = _train_trial(
            ctx, trial.number, params, _trial_seed(plan.seed, trial.number), _OptunaReporter(trial)
        )
    except BaseException:
        study.tell(trial, state=state.FAIL)
        raise
    trial.set_user_attr("handgrad_row", row)
    if row["state"] == "pruned":
        study.tell(trial, state=state.PRUNED)
    elif row["score"] is None:
        study.tell(trial, state=state.FAIL)
    else:
        study.tell(trial, row["score"])
    return row


def _init_optuna_worker(ctx: _Context, plan: _OptunaPlan, pruner: MedianPruner | None) -> None:
    optuna = _optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(
        study_name=plan.study_name,
        storage=_open_storage(optuna, plan.storage),
        pruner=_optuna_pruner(optuna, pruner),
    )
    _WORKER.update(ctx=ctx, plan=plan, study=study, optuna=optuna)


def _optuna_worker_trial(_: int) -> dict:
    w = _WORKER
    return _optuna_trial(w["optuna"], w["study"], w["ctx"], w["plan"])


class BayesianSearch(BaseSearch):
    """Bayesian optimization with Optuna's TPE sampler (needs ``pip install "handgrad[tune]"``).

    Parameters
    ----------
    build, space, seed, pruner
        See :class:`BaseSearch`; pruning uses Optuna's ``MedianPruner`` with the
        same ``n_startup_trials`` / ``n_warmup_epochs``.
    storage : str, optional
        An Optuna storage URL, e.g. ``"sqlite:///search.db"``: the study lives there and a
        new search on it resumes. Without it the study is kept in memory (in a temporary
        file while ``n_jobs > 1``). One search process per storage: trials left running by
        an interrupted search are marked failed when it resumes.
    study_name : str
        The study's name inside the storage.
    n_startup_trials : int
        Random trials before TPE starts modelling (Optuna's default is 10).

    Attributes
    ----------
    study_ : optuna.Study
        The study after ``search()``.

    Notes
    -----
    With ``n_jobs=1`` the search is reproducible from its seed, across resumes too. With
    ``n_jobs > 1`` the proposals depend on which trials have finished when a worker asks
    (Optuna's constant liar treats the running ones as bad), so they vary from run to run.
    """

    strategy = "bayes"

    def __init__(
        self,
        build,
        space,
        *,
        seed: int = 0,
        pruner: Any = "median",
        storage: str | None = None,
        study_name: str = "handgrad-search",
        n_startup_trials: int = 10,
    ) -> None:
        super().__init__(build, space, seed=seed, pruner=pruner, storage=None)
        if storage is not None and not isinstance(storage, str):
            raise TypeError(
                f"storage must be an Optuna storage URL such as 'sqlite:///search.db', got "
                f"{type(storage).__name__}"
            )
        self.storage = storage
        if not isinstance(study_name, str) or not study_name:
            raise TypeError(f"study_name must be a non-empty string, got {study_name!r}")
        self.study_name = study_name
        self.n_startup_trials = _check_positive(n_startup_trials, "n_startup_trials")
        self.study_ = None

    def _header_extra(self) -> dict[str, Any]:
        return {"n_startup_trials": self.n_startup_trials}

    def search(self, X: Any, y: Any, **kwargs: Any):
        _optuna()  # fail before any work when optuna is missing
        return super().search(X, y, **kwargs)

    search.__doc__ = BaseSearch.search.__doc__

    def _run(self, ctx: _Context, n_trials: int, n_jobs: int, header: dict, verbose: int) -> None:
        optuna = _optuna()
        with _QuietOptuna(optuna), tempfile.TemporaryDirectory(prefix="handgrad-tune-") as tmp:
            spec = self.storage
            if spec is None and n_jobs > 1:
                spec = ("journal", os.path.join(tmp, "study.log"))
            plan = _OptunaPlan(
                spec,
                self.study_name,
                "maximize" if ctx.mode == "max" else "minimize",
                self.space,
                self.seed,
                self.n_startup_trials,
            )
            study = optuna.create_study(
                storage=_open_storage(optuna, spec),
                study_name=self.study_name,
                direction=plan.direction,
                pruner=_optuna_pruner(optuna, ctx.pruner),
                load_if_exists=True,
            )
            self.study_ = study
            self._prepare_study(optuna, study, header)
            try:
                self._trials(optuna, study, ctx, plan, n_trials, n_jobs, verbose)
            finally:
                self.results_[:] = self._study_rows(study)
                if isinstance(spec, tuple):  # keep the study readable once the file is gone
                    memory = optuna.storages.InMemoryStorage()
                    optuna.copy_study(
                        from_study_name=self.study_name,
                        from_storage=_open_storage(optuna, spec),
                        to_storage=memory,
                    )
                    self.study_ = optuna.load_study(study_name=self.study_name, storage=memory)

    def _prepare_study(self, optuna: Any, study: Any, header: dict) -> None:
        stored = study.user_attrs.get("handgrad_search")
        if stored is None:
            study.set_user_attr("handgrad_search", header)
        else:
            _compare_headers(stored, header, f"Optuna study {self.study_name!r}")
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
            study.tell(t.number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)

    def _trials(self, optuna, study, ctx, plan, n_trials, n_jobs, verbose) -> None:
        done = len(self._study_rows(study))
        self.results_.extend(self._study_rows(study))
        remaining = max(n_trials - done, 0)

        def record(row: dict) -> None:
            self._record(row, n_trials, verbose)

        if n_jobs == 1 or remaining <= 1:
            for _ in range(remaining):
                record(_optuna_trial(optuna, study, ctx, plan))
            return
        n_workers = min(n_jobs, remaining)
        with _spawn_pool(n_workers, _init_optuna_worker, (ctx, plan, ctx.pruner)) as pool:
            with _worker_threads(n_workers):
                futures = [pool.submit(_optuna_worker_trial, i) for i in range(remaining)]
            _collect(pool, futures, record)

    @staticmethod
    def _study_rows(study: Any) -> list[dict]:
        rows = []
        for t in study.get_trials(deepcopy=False):
            row = t.user_attrs.get("handgrad_row")
            if row is not None:
                rows.append({**row, "number": t.number})
        return rows
