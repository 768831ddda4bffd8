"""The search space: named dimensions (choices and ranges) and their JSON / YAML form.

A space is a dict ``name -> dimension``; a dimension lists the values a grid search tries
(:meth:`Dimension.grid`), draws one at random (:meth:`Dimension.sample`: uniform, or
log-uniform when ``log=True``, ``x = exp(u), u ~ U(log low, log high)``) and asks an Optuna
trial for one (:meth:`Dimension.suggest`).

Examples
--------
>>> space = space_from_spec({"learning_rate": {"float": [1e-4, 1e-1], "log": True},
...                          "hidden": [[32], [64, 32]],
...                          "units": {"int": [8, 64], "step": 8}})
>>> space["hidden"]
Choice({'choice': [[32], [64, 32]]})
>>> space["learning_rate"].grid(4)
[0.0001, 0.001, 0.01, 0.1]
>>> space["units"].grid(3)
[8, 40, 64]
"""

from __future__ import annotations

import copy
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import TUNE_EXTRA, check_bool, check_int, check_real, json_value, require

__all__ = [
    "Dimension",
    "Choice",
    "IntRange",
    "FloatRange",
    "space_from_spec",
    "space_spec",
    "read_spec",
]


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

    Examples
    --------
    >>> Choice([(64, 32), (32,)]).grid(3)
    [[64, 32], [32]]
    """

    def __init__(self, values: Sequence[Any]) -> None:
        if not isinstance(values, (list, tuple)):
            raise TypeError(f"Choice values must be a list, got {type(values).__name__}")
        if not values:
            raise ValueError("Choice needs at least one value, got an empty list")
        self.values = [json_value(v, "Choice values") for v in values]
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
    """An integer in ``low, low + step, ..., high`` (log-uniform draws when ``log=True``).

    A grid of ``points`` values spreads them evenly over the range (geometrically when
    ``log``), rounded and without repeats; a range with fewer values gives all of them.

    Examples
    --------
    >>> IntRange(8, 64, step=8).grid(10)
    [8, 16, 24, 32, 40, 48, 56, 64]
    >>> IntRange(1, 1000, log=True).grid(4)
    [1, 10, 100, 1000]
    """

    def __init__(self, low: int, high: int, step: int = 1, log: bool = False) -> None:
        self.low = check_int(low, "IntRange low")
        self.high = check_int(high, "IntRange high")
        self.step = check_int(step, "IntRange step")
        self.log = check_bool(log, "IntRange log")
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
    """A real number in ``[low, high]``; ``log=True`` for learning rates and regularization.

    Examples
    --------
    >>> FloatRange(0.0, 0.5).grid(3)
    [0.0, 0.25, 0.5]
    >>> FloatRange(1e-4, 1e-2, log=True).to_spec()
    {'float': [0.0001, 0.01], 'log': True}
    """

    def __init__(self, low: float, high: float, log: bool = False) -> None:
        self.low = check_real(low, "FloatRange low")
        self.high = check_real(high, "FloatRange high")
        self.log = check_bool(log, "FloatRange log")
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

    Examples
    --------
    >>> space = space_from_spec({"activation": ["tanh", "relu"], "l2": {"float": [0, 0.01]}})
    >>> space["activation"], space["l2"]
    (Choice({'choice': ['tanh', 'relu']}), FloatRange({'float': [0.0, 0.01], 'log': False}))
    >>> space_from_spec({"learning_rate": {"float": [0, 0.1], "log": True}})
    Traceback (most recent call last):
    ...
    ValueError: space['learning_rate']: a log FloatRange needs low > 0, got low=0.0
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


def space_spec(space: Mapping[str, Dimension]) -> dict[str, Any]:
    """The JSON form of a whole space (what storage headers record)."""
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
        yaml = require(
            "yaml", "reading a YAML search space", f"{TUNE_EXTRA} (or pip install pyyaml)"
        )
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as err:
            raise ValueError(f"{str(path)!r} is not valid YAML: {err}") from None
    raise ValueError(f"{str(path)!r}: expected a .json, .yaml or .yml file, got {suffix!r}")
