"""The playground's setup: data, one or two networks, display options; validated once, here.

A :class:`Setup` is everything the page shows and trains, and nothing else: the page sends it
as JSON (:func:`setup_from_dict`), the URL carries it as a query string
(:mod:`~handgrad.playground.urlstate`), and the trainer and the code generator read it. Every
value is checked against the catalogues of handgrad (activations, initializers, optimizers)
and against :mod:`~handgrad.playground.limits`; a bad value raises :class:`SpecError` naming
the field, the allowed range and the value found.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

import handgrad as hg

from . import limits
from .datasets import CATALOGUE, CUSTOM
from .features import FEATURES

PROBLEMS = ("classification", "regression")
#: Hidden-layer activations: every one handgrad has.
ACTIVATIONS = tuple(hg.activations.names())
#: Kernel initializers: "default" lets handgrad choose (He after ReLUs, Glorot otherwise).
INITIALIZERS = ("default", *hg.initializers.names())
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
#: Learning-rate schedules and the meaning and default of their one number.
SCHEDULES: dict[str, tuple[str, float]] = {
    "none": ("", 0.0),
    "inverse_time": ("decay rate", 0.01),
    "exponential": ("base", 0.99),
    "inverse_sqrt": ("k", 1.0),
    "step": ("factor", 0.5),
}
REGULARIZATIONS = ("none", "L1", "L2")
#: Page areas that an embedding lesson may hide (``hide=`` in the URL).
HIDEABLE = (
    "data",
    "features",
    "layers",
    "training",
    "output",
    "export",
    "doctor",
    "compare",
    "header",
)


class SpecError(ValueError):
    """A setting out of range or of the wrong kind.

    ``field`` names it as the JSON path (e.g. ``models[0].layers[1].units``), ``message`` says
    what is allowed and what was found.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ----------------------------------------------------------------------- checks
def _number(value: Any, name: str, low: float, high: float, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SpecError(name, f"must be a number, got {value!r}")
    number = float(value)
    too_low = number <= low if low_open else number < low
    if not math.isfinite(number) or too_low or number > high:
        bracket = "(" if low_open else "["
        raise SpecError(name, f"must be a number in {bracket}{low:g}, {high:g}], got {value!r}")
    return number


def _integer(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError(name, f"must be a whole number from {low} to {high}, got {value!r}")
    if not low <= value <= high:
        raise SpecError(name, f"must be a whole number from {low} to {high}, got {value}")
    return value


def _choice(value: Any, name: str, options: tuple[str, ...]) -> str:
    if value not in options:
        raise SpecError(name, f"must be one of {', '.join(options)}; got {value!r}")
    return str(value)


def _flag(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise SpecError(name, f"must be true or false, got {value!r}")
    return value


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise SpecError(name, f"must be an object of settings, got {type(value).__name__}")
    return value


class _Fields:
    """Reads the fields of one JSON object: missing ones take defaults, unknown ones are errors."""

    def __init__(self, source: Any, name: str, known: Any) -> None:
        self.source = _mapping(source, name)
        self.name = name
        unknown = sorted(set(self.source) - set(known))
        if unknown:
            where = f"{name}: " if name else ""
            raise SpecError(name or unknown[0], f"{where}unknown setting(s) {', '.join(unknown)}")

    def get(self, key: str, default: Any, check: Callable[[Any, str], Any]) -> Any:
        if key not in self.source:
            return default
        return check(self.source[key], f"{self.name}.{key}" if self.name else key)


# ------------------------------------------------------------------ the parts
@dataclass(frozen=True)
class CustomData:
    """The user's own points (uploaded or clicked): ``x`` (N, 2), ``y`` (N,), ``test`` (N,).

    ``y`` holds class labels (as floats) or regression targets; ``test`` marks test points.
    Two custom datasets are equal when their bytes are (``key``).
    """

    x: np.ndarray = field(compare=False, repr=False)
    y: np.ndarray = field(compare=False, repr=False)
    test: np.ndarray = field(compare=False, repr=False)
    key: str = ""

    def __len__(self) -> int:
        return len(self.x)


def make_custom(x: np.ndarray, y: np.ndarray, test: np.ndarray) -> CustomData:
    """A :class:`CustomData` from arrays (copied to float32 / bool), with its equality key."""
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, 2)
    y = np.ascontiguousarray(y, dtype=np.float32).reshape(-1)
    test = np.ascontiguousarray(test, dtype=bool).reshape(-1)
    digest = hash((x.tobytes(), y.tobytes(), test.tobytes()))
    return CustomData(x, y, test, key=f"{len(x)}:{digest:x}")


@dataclass(frozen=True)
class DataSpec:
    """Which points: a generated dataset (with noise, size, split and seed) or custom points."""

    problem: str = "classification"
    dataset: str = "moons"
    classes: int = 3
    noise: float = 0.1
    points: int = 1000
    train_percent: int = 80
    seed: int = 0
    custom: CustomData | None = None

    @property
    def n_classes(self) -> int:
        """Classes of a classification dataset (1 for regression)."""
        if self.problem == "regression":
            return 1
        if self.dataset == CUSTOM and self.custom is not None:
            return int(self.custom.y.max(initial=0)) + 1
        return self.classes if CATALOGUE[(self.problem, self.dataset)]["classes"] else 2


@dataclass(frozen=True)
class LayerSpec:
    """One hidden layer: Dense(units) with its activation, initializer, dropout and batch norm."""

    units: int = 4
    activation: str = "tanh"
    initializer: str = "default"
    dropout: float = 0.0
    batchnorm: bool = False


@dataclass(frozen=True)
class ModelSpec:
    """One network and how it is trained (``batch_size`` 0: the full batch)."""

    features: tuple[str, ...] = ("x1", "x2")
    layers: tuple[LayerSpec, ...] = (LayerSpec(4), LayerSpec(2))
    optimizer: str = "adam"
    learning_rate: float = 0.03
    momentum: float = 0.9
    schedule: str = "none"
    schedule_value: float = 0.0
    schedule_every: int = 100
    regularization: str = "none"
    regularization_rate: float = 0.001
    batch_size: int = 10
    seed: int = 1
    max_epochs: int = 0
    target_loss: float = 0.0


@dataclass(frozen=True)
class UiSpec:
    """Display options: they change what the page shows, never what trains."""

    discretize: bool = False
    show_test: bool = True
    hide: tuple[str, ...] = ()


@dataclass(frozen=True)
class Setup:
    """Everything: the data, one network (or two, side by side) and the display options."""

    data: DataSpec = DataSpec()
    models: tuple[ModelSpec, ...] = (ModelSpec(),)
    ui: UiSpec = UiSpec()

    @property
    def compare(self) -> bool:
        return len(self.models) == 2


# ----------------------------------------------------------------- from JSON
def _data_from_dict(source: Any, current: DataSpec | None) -> DataSpec:
    names = [f.name for f in DataSpec.__dataclass_fields__.values() if f.name != "custom"]
    f = _Fields(source, "data", names)
    problem = f.get("problem", "classification", lambda v, n: _choice(v, n, PROBLEMS))
    options = tuple(name for (p, name) in CATALOGUE if p == problem) + (CUSTOM,)
    dataset = f.get("dataset", options[0], lambda v, n: _choice(v, n, options))
    custom = current.custom if current is not None else None
    if dataset == CUSTOM and (custom is None or current.problem != problem):
        raise SpecError(
            "data.dataset", "custom data needs points: upload a CSV or click on the picture"
        )
    info = CATALOGUE.get((problem, dataset), {"noise": 0.0, "classes": None})
    spec = DataSpec(
        problem=problem,
        dataset=dataset,
        classes=f.get(
            "classes", info["classes"] or 3, lambda v, n: _integer(v, n, 2, limits.MAX_CLASSES)
        ),
        noise=f.get("noise", info["noise"], lambda v, n: _number(v, n, 0.0, limits.MAX_NOISE)),
        points=f.get(
            "points", 1000, lambda v, n: _integer(v, n, limits.MIN_POINTS, limits.MAX_POINTS)
        ),
        train_percent=f.get("train_percent", 80, lambda v, n: _integer(v, n, 10, 90)),
        seed=f.get("seed", 0, lambda v, n: _integer(v, n, 0, limits.MAX_SEED)),
        custom=custom if dataset == CUSTOM else None,
    )
    if dataset == CUSTOM:
        # Noise, size and classes mean nothing for the user's own points: keep them canonical,
        # so that equal points give equal setups (and equal links).
        defaults = DataSpec()
        spec = replace(spec, classes=defaults.classes, noise=defaults.noise, points=defaults.points)
    elif info["classes"] and spec.points < 2 * spec.classes:
        raise SpecError("data.points", f"{spec.classes} classes need at least {2 * spec.classes}")
    return spec


def _layer_from_dict(source: Any, name: str) -> LayerSpec:
    f = _Fields(source, name, LayerSpec.__dataclass_fields__)
    return LayerSpec(
        units=f.get("units", 4, lambda v, n: _integer(v, n, 1, limits.MAX_UNITS)),
        activation=f.get("activation", "tanh", lambda v, n: _choice(v, n, ACTIVATIONS)),
        initializer=f.get("initializer", "default", lambda v, n: _choice(v, n, INITIALIZERS)),
        dropout=f.get("dropout", 0.0, lambda v, n: _number(v, n, 0.0, limits.MAX_DROPOUT)),
        batchnorm=f.get("batchnorm", False, _flag),
    )


def _features(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not value:
        raise SpecError(name, "choose at least one input feature")
    for item in value:
        _choice(item, name, tuple(FEATURES))
    # Canonical order (the page's order), without repeats.
    return tuple(key for key in FEATURES if key in value)


def _layers(value: Any, name: str) -> tuple[LayerSpec, ...]:
    if not isinstance(value, (list, tuple)) or len(value) > limits.MAX_HIDDEN_LAYERS:
        raise SpecError(name, f"must be a list of at most {limits.MAX_HIDDEN_LAYERS} hidden layers")
    return tuple(_layer_from_dict(item, f"{name}[{i}]") for i, item in enumerate(value))


def _model_from_dict(source: Any, name: str) -> ModelSpec:
    f = _Fields(source, name, ModelSpec.__dataclass_fields__)
    schedule = f.get("schedule", "none", lambda v, n: _choice(v, n, tuple(SCHEDULES)))
    return ModelSpec(
        features=f.get("features", ("x1", "x2"), _features),
        layers=f.get("layers", ModelSpec.layers, _layers),
        optimizer=f.get("optimizer", "adam", lambda v, n: _choice(v, n, OPTIMIZERS)),
        learning_rate=f.get(
            "learning_rate", 0.03, lambda v, n: _number(v, n, 0.0, limits.MAX_LEARNING_RATE)
        ),
        momentum=f.get("momentum", 0.9, lambda v, n: _number(v, n, 0.0, 0.999)),
        schedule=schedule,
        schedule_value=f.get(
            "schedule_value", SCHEDULES[schedule][1], lambda v, n: _number(v, n, 0.0, 1e6)
        ),
        schedule_every=f.get("schedule_every", 100, lambda v, n: _integer(v, n, 1, 100_000)),
        regularization=f.get("regularization", "none", lambda v, n: _choice(v, n, REGULARIZATIONS)),
        regularization_rate=f.get(
            "regularization_rate",
            0.001,
            lambda v, n: _number(v, n, 0.0, limits.MAX_REGULARIZATION_RATE),
        ),
        batch_size=f.get("batch_size", 10, lambda v, n: _integer(v, n, 0, limits.MAX_POINTS)),
        seed=f.get("seed", 1, lambda v, n: _integer(v, n, 0, limits.MAX_SEED)),
        max_epochs=f.get("max_epochs", 0, lambda v, n: _integer(v, n, 0, limits.MAX_EPOCHS)),
        target_loss=f.get("target_loss", 0.0, lambda v, n: _number(v, n, 0.0, 1e6)),
    )


def _ui_from_dict(source: Any) -> UiSpec:
    f = _Fields(source, "ui", UiSpec.__dataclass_fields__)

    def hide(value: Any, name: str) -> tuple[str, ...]:
        if not isinstance(value, (list, tuple)):
            raise SpecError(name, "must be a list of page areas")
        for item in value:
            _choice(item, name, HIDEABLE)
        return tuple(key for key in HIDEABLE if key in value)

    return UiSpec(
        discretize=f.get("discretize", False, _flag),
        show_test=f.get("show_test", True, _flag),
        hide=f.get("hide", (), hide),
    )


def check_model(model: ModelSpec, data: DataSpec, n_train: int, name: str = "models[0]") -> None:
    """Checks that need the data: parameter count, updates per epoch, batch-norm batch sizes.

    Raises
    ------
    SpecError
    """
    n_features = len(model.features)
    widths = [n_features, *(layer.units for layer in model.layers), data.n_classes]
    if data.problem == "classification" and data.n_classes == 2:
        widths[-1] = 1
    params = sum((a + 1) * b for a, b in zip(widths[:-1], widths[1:], strict=True))
    params += sum(4 * layer.units for layer in model.layers if layer.batchnorm)
    if params > limits.MAX_PARAMS:
        raise SpecError(
            f"{name}.layers",
            f"this network has {params:,} parameters; the playground allows "
            f"{limits.MAX_PARAMS:,} to keep the page responsive",
        )
    batch = n_train if model.batch_size in (0, None) else min(model.batch_size, n_train)
    steps = -(-n_train // max(batch, 1))
    if steps > limits.MAX_STEPS_PER_EPOCH:
        smallest = -(-n_train // limits.MAX_STEPS_PER_EPOCH)
        raise SpecError(
            f"{name}.batch_size",
            f"batch size {model.batch_size} on {n_train} training points is {steps} updates per "
            f"epoch; the playground allows {limits.MAX_STEPS_PER_EPOCH} so that pause and step "
            f"answer at once: use a batch size of {smallest} or more",
        )
    if any(layer.batchnorm for layer in model.layers) and n_train % batch == 1:
        raise SpecError(
            f"{name}.batch_size",
            f"batch normalization needs batches of 2 or more, but {n_train} training points in "
            f"batches of {batch} leave a last batch of 1; choose another batch size",
        )


def setup_from_dict(source: Any, current: Setup | None = None) -> Setup:
    """A validated :class:`Setup` from the page's JSON.

    Parameters
    ----------
    source : dict
        ``{"data": {...}, "models": [{...}] or [{...}, {...}], "ui": {...}}``; missing fields
        take their defaults.
    current : Setup, optional
        The setup in force: its custom points are kept when ``data.dataset`` is ``"custom"``.

    Raises
    ------
    SpecError
        For the first bad field.
    """
    f = _Fields(source, "", ("data", "models", "ui"))
    data = _data_from_dict(f.source.get("data", {}), current.data if current else None)
    models_raw = f.source.get("models", [{}])
    if not isinstance(models_raw, (list, tuple)) or len(models_raw) not in (1, 2):
        raise SpecError("models", "must be a list of one network (or two, to compare)")
    models = tuple(_model_from_dict(m, f"models[{i}]") for i, m in enumerate(models_raw))
    return Setup(data=data, models=models, ui=_ui_from_dict(f.source.get("ui", {})))


def setup_to_dict(setup: Setup) -> dict[str, Any]:
    """The JSON form of ``setup`` (what :func:`setup_from_dict` reads; custom points left out)."""
    data = asdict(replace(setup.data, custom=None))
    data.pop("custom")
    models = []
    for model in setup.models:
        entry = asdict(model)
        entry["features"] = list(model.features)
        entry["layers"] = [asdict(layer) for layer in model.layers]
        models.append(entry)
    ui = asdict(setup.ui)
    ui["hide"] = list(setup.ui.hide)
    return {"data": data, "models": models, "ui": ui}


def catalogue() -> dict[str, Any]:
    """What the page offers in its menus, with defaults and limits (the ``/api/meta`` answer)."""
    return {
        "datasets": [{"problem": p, "name": n, **info} for (p, n), info in CATALOGUE.items()],
        "features": [{"name": k, "label": v[0]} for k, v in FEATURES.items()],
        "activations": list(ACTIVATIONS),
        "initializers": list(INITIALIZERS),
        "optimizers": list(OPTIMIZERS),
        "schedules": [{"name": k, "label": v[0], "default": v[1]} for k, v in SCHEDULES.items()],
        "regularizations": list(REGULARIZATIONS),
        "hideable": list(HIDEABLE),
        "limits": {
            "max_points": limits.MAX_POINTS,
            "min_points": limits.MIN_POINTS,
            "max_classes": limits.MAX_CLASSES,
            "max_hidden_layers": limits.MAX_HIDDEN_LAYERS,
            "max_units": limits.MAX_UNITS,
            "max_upload_bytes": limits.MAX_UPLOAD_BYTES,
            "max_learning_rate": limits.MAX_LEARNING_RATE,
        },
        "default": setup_to_dict(Setup()),
        "version": hg.__version__,
    }
