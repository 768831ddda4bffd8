"""The estimators' hyperparameters: their table of constraints and what ``fit`` makes of them.

:data:`parameter_constraints` is the whole validation of ``MLPClassifier`` / ``MLPRegressor``
as one table (scikit-learn's ``_parameter_constraints`` style, checked by
:func:`handgrad.validation.validate_parameters`); :func:`check_params` turns an estimator's
parameters into a frozen :class:`Params`, raising ``InvalidParameterError`` with
scikit-learn's message ``"The 'alpha' parameter of MLPClassifier must be ..."``.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import optimizers
from ..recipes import optimizer_from_name
from ..validation import (
    Check,
    Flag,
    Interval,
    InvalidParameterError,
    Options,
    validate_parameters,
)

__all__ = [
    "ACTIVATIONS",
    "SOLVERS",
    "LEARNING_RATES",
    "AUTO_BATCH_SIZE",
    "MIN_ADAPTIVE_RATE",
    "Params",
    "parameter_constraints",
    "check_params",
    "make_optimizer",
]

#: scikit-learn's activation names (and handgrad's extra ones) -> handgrad activation.
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "leaky_relu": "leaky_relu",
    "elu": "elu",
}
SOLVERS = ("sgd", "momentum", "rmsprop", "adam")
LEARNING_RATES = ("constant", "invscaling", "adaptive")
#: Largest training batch of ``batch_size="auto"`` (scikit-learn's value).
AUTO_BATCH_SIZE = 200
#: ``"adaptive"`` stops once the rate is at or below this (scikit-learn's value).
MIN_ADAPTIVE_RATE = 1e-6


@dataclass(frozen=True)
class Params:
    """Validated hyperparameters (what ``fit`` uses; the estimator keeps what the user gave)."""

    hidden: tuple[int, ...]
    activation: str
    solver: str
    alpha: float
    batch_size: int | None  # None: "auto"
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    verbose: bool
    warm_start: bool
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    beta_1: float
    beta_2: float
    epsilon: float
    rho: float
    n_iter_no_change: int
    dropout: float
    batch_norm: bool
    dtype: str

    @property
    def architecture(self) -> tuple:
        return (self.hidden, self.activation, self.dropout, self.batch_norm, self.dtype)


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _dtype_name(value: Any) -> str | None:
    try:
        name = np.dtype(value).name
    except TypeError:
        return None
    return name if name in ("float32", "float64") else None


class _HiddenLayerSizes:
    """An int (one hidden layer) or a sequence of ints ``> 0``; ``()`` means no hidden layer."""

    def validate(self, owner: str, name: str, value: Any) -> tuple[int, ...]:
        if _is_int(value):
            value = (value,)
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            self._fail(owner, name, value)
        sizes = list(value)
        for i, size in enumerate(sizes):
            if not _is_int(size):
                self._fail(owner, name, value)
            if size <= 0:
                raise InvalidParameterError(
                    f"The {name!r} parameter of {owner} must contain sizes > 0, got "
                    f"{int(size)} at position {i} of {value!r}"
                )
        return tuple(int(s) for s in sizes)

    @staticmethod
    def _fail(owner: str, name: str, value: Any) -> None:
        raise InvalidParameterError(
            f"The {name!r} parameter of {owner} must be an int or a sequence of ints. "
            f"Got {value!r} instead."
        )


def parameter_constraints(early_stopping: Any = False) -> dict[str, Any]:
    """The rule of every hyperparameter, in the order they are checked.

    ``validation_fraction`` may be 0 only without early stopping (the split is then unused).
    """
    early = isinstance(early_stopping, (bool, np.bool_)) and bool(early_stopping)
    return {
        "verbose": Check(
            lambda v: isinstance(v, (bool, np.bool_)) or (_is_int(v) and v >= 0),
            "a bool or an int >= 0",
            bool,
        ),
        "random_state": Check(
            lambda v: (
                v is None or isinstance(v, np.random.RandomState) or (_is_int(v) and 0 <= v < 2**32)
            ),
            "None, an int in [0, 2**32) or a RandomState",
        ),
        "early_stopping": Flag(),
        "validation_fraction": Interval(0.0, 1.0, low_open=early),
        "hidden_layer_sizes": _HiddenLayerSizes(),
        "activation": Options(ACTIVATIONS),
        "solver": Options(SOLVERS),
        "alpha": Interval(0.0),
        "batch_size": Check(
            lambda v: (isinstance(v, str) and v == "auto") or (_is_int(v) and v >= 1),
            "'auto' or an int in the range [1, inf)",
            lambda v: None if isinstance(v, str) else int(v),
        ),
        "learning_rate": Options(LEARNING_RATES),
        "learning_rate_init": Interval(0.0, low_open=True),
        "power_t": Interval(0.0),
        "max_iter": Interval(1, integer=True),
        "shuffle": Flag(),
        "tol": Interval(0.0),
        "warm_start": Flag(),
        "momentum": Interval(0.0, 1.0),
        "nesterovs_momentum": Flag(),
        "beta_1": Interval(0.0, 1.0),
        "beta_2": Interval(0.0, 1.0),
        "epsilon": Interval(0.0, low_open=True),
        "rho": Interval(0.0, 1.0),
        "n_iter_no_change": Interval(1, integer=True),
        "dropout": Interval(0.0, 1.0),
        "batch_norm": Flag(),
        "dtype": Check(lambda v: _dtype_name(v) is not None, "'float32' or 'float64'", _dtype_name),
    }


def check_params(owner: str, params: dict[str, Any]) -> Params:
    """Validate every hyperparameter (``get_params(deep=False)``) of the estimator ``owner``."""
    if params["solver"] == "lbfgs":
        raise InvalidParameterError(
            f"The 'solver' parameter of {owner} cannot be 'lbfgs': handgrad trains with "
            f"first-order optimizers only; use one of {', '.join(map(repr, SOLVERS))}"
        )
    values = validate_parameters(parameter_constraints(params["early_stopping"]), params, owner)
    del values["random_state"]  # checked here, turned into a seed by the estimator
    values["hidden"] = values.pop("hidden_layer_sizes")
    return Params(**values)


def make_optimizer(hp: Params) -> optimizers.Optimizer:
    """The optimizer of ``solver`` with the estimator's settings (Nesterov only with momentum)."""
    return optimizer_from_name(
        hp.solver,
        hp.learning_rate_init,
        momentum=hp.momentum,
        nesterov=hp.nesterovs_momentum and hp.momentum > 0,
        rho=hp.rho,
        beta_1=hp.beta_1,
        beta_2=hp.beta_2,
        epsilon=hp.epsilon,
    )
