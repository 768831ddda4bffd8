"""scikit-learn estimators trained by handgrad: ``MLPClassifier`` and ``MLPRegressor``.

They take scikit-learn's parameter names where the concept exists and behave like
``sklearn.neural_network.MLPClassifier`` / ``MLPRegressor`` (``fit``, ``partial_fit``,
``predict``, ``predict_proba``, ``score``, ``clone``, pickling, pipelines, grid search), but the
network is a :class:`handgrad.Sequential` (``model_``) trained by ``Sequential.fit``::

    X (N, d) -> [Dense(h_i) (-> BatchNormalization) -> activation (-> Dropout)] * L -> Dense(K)

========================  =============================================================
output                    last layer and loss
========================  =============================================================
binary classification     ``Dense(1, "sigmoid")``, binary cross-entropy
multiclass                ``Dense(K, "softmax")``, categorical cross-entropy
multilabel (0/1 matrix)   ``Dense(K, "sigmoid")``, binary cross-entropy (mean over labels)
regression                ``Dense(K)`` (identity), ``quadratic``: ``1/2 ||y - a||^2`` per sample
========================  =============================================================

Mapping of the hyperparameters (``n_b`` is the batch size, ``min(200, N)`` for ``"auto"``):

* ``alpha`` -> ``kernel_regularizer=L2(alpha / (2 * n_b))`` on every Dense kernel (not the
  biases). scikit-learn adds ``0.5 * alpha * ||W||^2 / n_b`` to each batch's mean loss, whose
  gradient is ``alpha * W / n_b``; handgrad's ``L2(l2)`` adds ``l2 * ||W||^2`` with gradient
  ``2 * l2 * W``, so both are equal (the only difference: scikit-learn divides the last, smaller
  batch of an epoch by its own size). With ``sample_weight`` scikit-learn divides by the batch's
  weight sum instead of ``n_b``; handgrad uses its average, ``n_b * mean(w)``, so weights
  equal to repetitions give the same penalty as the repeated data.
* ``solver``: ``"sgd"`` -> ``SGD(learning_rate_init, momentum, nesterov=nesterovs_momentum)``
  (scikit-learn's update ``v = mu*v - lr*g; W += v`` is the same step as handgrad's),
  ``"momentum"`` -> ``Momentum(lr, beta=momentum)`` (the notes' ``v = beta*v + (1-beta)*g``),
  ``"rmsprop"`` -> ``RMSprop(lr, rho, epsilon)``, ``"adam"`` -> ``Adam(lr, beta_1, beta_2,
  epsilon)``. ``"lbfgs"`` is not available.
* ``learning_rate`` (applies to every solver, not only ``"sgd"`` as in scikit-learn):
  ``"constant"`` keeps ``learning_rate_init``; ``"invscaling"`` uses
  ``learning_rate_init / (t + 1) ** power_t`` for an epoch that starts after ``t`` samples
  (``t_``); ``"adaptive"`` divides the rate by 5 each time the stopping rule below fires and
  only stops once the rate is ``<= 1e-6`` (a ``ReduceLROnPlateau(factor=0.2)`` driven by
  scikit-learn's counter).
* ``sample_weight`` is rescaled to mean 1 before it reaches ``Sequential.fit`` (whose weighted
  loss is ``sum_i w_i l_i / N``), so the epoch loss is ``sum_i w_i l_i / sum_i w_i`` as in
  scikit-learn (per batch the divisor is ``n_b`` rather than the batch's weight sum).

Stopping rule (scikit-learn's): after every epoch, the training loss (or, with
``early_stopping=True``, the validation score: accuracy or R^2 on ``validation_fraction`` of the
data, stratified for classes) counts as *no improvement* when ``loss > best_loss - tol`` (score
``< best_score + tol``); once ``n_iter_no_change + 1`` epochs in a row do not improve, training
stops (or, with ``"adaptive"``, the rate drops). Reaching ``max_iter`` first issues
``sklearn.exceptions.ConvergenceWarning``. With early stopping the weights of the epoch with the
best validation score are restored.

``random_state`` (an int, a ``RandomState`` or ``None``) becomes the model's seed, which drives
the initialization, shuffling, dropout and the early-stopping split: the same int gives
bit-identical results. Weights are initialized with handgrad's defaults (He normal for the ReLU
family, Glorot uniform otherwise); scikit-learn uses Glorot uniform for all.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import check_is_fitted, check_random_state, column_or_1d

from . import initializers, optimizers, regularizers
from . import layers as hg_layers
from ._split import stratified_indices
from .callbacks import Callback
from .model import Sequential

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
        return estimator._validate_data(X, y, **kwargs)


__all__ = ["MLPClassifier", "MLPRegressor", "InvalidParameterError"]


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter has a wrong type or value (raised by ``fit``, as scikit-learn does).

    Subclasses both ``ValueError`` and ``TypeError``, like scikit-learn's own
    ``InvalidParameterError``.
    """


# ---------------------------------------------------------------- hyperparameters
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
class _Params:
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


def _fail(owner: str, name: str, expected: str, value: Any) -> None:
    raise InvalidParameterError(
        f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead."
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and bool(np.isfinite(value))
    )


def _real(owner, name, value, low, high=None, *, low_open=False, high_open=True) -> float:
    """A finite real in the interval given by ``low``/``high`` (``high=None``: unbounded)."""
    ok = _is_real(value) and (value > low if low_open else value >= low)
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        left = "(" if low_open else "["
        right = "inf)" if high is None else (f"{high:g})" if high_open else f"{high:g}]")
        _fail(owner, name, f"a float in the range {left}{low:g}, {right}", value)
    return float(value)


def _positive_int(owner, name, value) -> int:
    if not _is_int(value) or value < 1:
        _fail(owner, name, "an int in the range [1, inf)", value)
    return int(value)


def _boolean(owner, name, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        _fail(owner, name, "True or False", value)
    return bool(value)


def _choice(owner, name, value, options) -> str:
    if not isinstance(value, str) or value not in options:
        _fail(owner, name, "one of " + ", ".join(repr(o) for o in options), value)
    return value


def _hidden_layer_sizes(owner, value) -> tuple[int, ...]:
    """An int (one hidden layer) or a sequence of ints ``> 0``; ``()`` means no hidden layer."""
    if _is_int(value):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        _fail(owner, "hidden_layer_sizes", "an int or a sequence of ints", value)
    sizes = list(value)
    for i, size in enumerate(sizes):
        if not _is_int(size):
            _fail(owner, "hidden_layer_sizes", "an int or a sequence of ints", value)
        if size <= 0:
            raise InvalidParameterError(
                f"The 'hidden_layer_sizes' parameter of {owner} must contain sizes > 0, got "
                f"{int(size)} at position {i} of {value!r}"
            )
    return tuple(int(s) for s in sizes)


def _batch_size(owner, value) -> int | None:
    if isinstance(value, str) and value == "auto":
        return None
    if not _is_int(value) or value < 1:
        _fail(owner, "batch_size", "'auto' or an int in the range [1, inf)", value)
    return int(value)


def _dtype(owner, value) -> str:
    try:
        name = np.dtype(value).name
    except TypeError:
        name = None
    if name not in ("float32", "float64"):
        _fail(owner, "dtype", "'float32' or 'float64'", value)
    return name


def _check_params(est: BaseEstimator) -> _Params:
    """Validate every hyperparameter of ``est``; raises :class:`InvalidParameterError`."""
    owner = type(est).__name__
    p = est.get_params(deep=False)
    if p["solver"] == "lbfgs":
        raise InvalidParameterError(
            f"The 'solver' parameter of {owner} cannot be 'lbfgs': handgrad trains with "
            f"first-order optimizers only; use one of {', '.join(map(repr, SOLVERS))}"
        )
    verbose = p["verbose"]
    if not isinstance(verbose, (bool, np.bool_)) and not (_is_int(verbose) and verbose >= 0):
        _fail(owner, "verbose", "a bool or an int >= 0", verbose)
    random_state = p["random_state"]
    if not (
        random_state is None
        or isinstance(random_state, np.random.RandomState)
        or (_is_int(random_state) and 0 <= random_state < 2**32)
    ):
        _fail(owner, "random_state", "None, an int in [0, 2**32) or a RandomState", random_state)
    early_stopping = _boolean(owner, "early_stopping", p["early_stopping"])
    validation_fraction = _real(
        owner,
        "validation_fraction",
        p["validation_fraction"],
        0.0,
        1.0,
        low_open=early_stopping,
    )
    return _Params(
        hidden=_hidden_layer_sizes(owner, p["hidden_layer_sizes"]),
        activation=_choice(owner, "activation", p["activation"], tuple(ACTIVATIONS)),
        solver=_choice(owner, "solver", p["solver"], SOLVERS),
        alpha=_real(owner, "alpha", p["alpha"], 0.0),
        batch_size=_batch_size(owner, p["batch_size"]),
        learning_rate=_choice(owner, "learning_rate", p["learning_rate"], LEARNING_RATES),
        learning_rate_init=_real(
            owner, "learning_rate_init", p["learning_rate_init"], 0.0, low_open=True
        ),
        power_t=_real(owner, "power_t", p["power_t"], 0.0),
        max_iter=_positive_int(owner, "max_iter", p["max_iter"]),
        shuffle=_boolean(owner, "shuffle", p["shuffle"]),
        tol=_real(owner, "tol", p["tol"], 0.0),
        verbose=bool(verbose),
        warm_start=_boolean(owner, "warm_start", p["warm_start"]),
        momentum=_real(owner, "momentum", p["momentum"], 0.0, 1.0),
        nesterovs_momentum=_boolean(owner, "nesterovs_momentum", p["nesterovs_momentum"]),
        early_stopping=early_stopping,
        validation_fraction=validation_fraction,
        beta_1=_real(owner, "beta_1", p["beta_1"], 0.0, 1.0),
        beta_2=_real(owner, "beta_2", p["beta_2"], 0.0, 1.0),
        epsilon=_real(owner, "epsilon", p["epsilon"], 0.0, low_open=True),
        rho=_real(owner, "rho", p["rho"], 0.0, 1.0),
        n_iter_no_change=_positive_int(owner, "n_iter_no_change", p["n_iter_no_change"]),
        dropout=_real(owner, "dropout", p["dropout"], 0.0, 1.0),
        batch_norm=_boolean(owner, "batch_norm", p["batch_norm"]),
        dtype=_dtype(owner, p["dtype"]),
    )


def _make_optimizer(hp: _Params) -> optimizers.Optimizer:
    lr = hp.learning_rate_init
    if hp.solver == "sgd":
        nesterov = hp.nesterovs_momentum and hp.momentum > 0
        return optimizers.SGD(lr, momentum=hp.momentum, nesterov=nesterov)
    if hp.solver == "momentum":
        return optimizers.Momentum(lr, beta=hp.momentum)
    if hp.solver == "rmsprop":
        return optimizers.RMSprop(lr, rho=hp.rho, epsilon=hp.epsilon)
    return optimizers.Adam(lr, beta_1=hp.beta_1, beta_2=hp.beta_2, epsilon=hp.epsilon)


def _check_sample_weight(sample_weight: Any, n: int) -> np.ndarray | None:
    """``None`` or a float64 array ``(n,)`` of finite weights ``>= 0``, not all zero."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Real) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n, float(sample_weight))
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"sample_weight must be an array of numbers: {err}") from None
    if sw.shape != (n,):
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n},): one weight per sample"
        )
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight must be finite, got NaN or inf")
    if sw.min() < 0:
        raise ValueError(f"sample_weight must be non-negative, got a minimum of {sw.min()}")
    if not sw.any():
        raise ValueError("sample_weight must contain at least one non-zero weight, got all zeros")
    return sw


def _plain(values):
    """Labels as plain Python values for messages (``'a'``, not ``np.str_('a')``)."""
    return np.asarray(values).tolist()


def _mean_one(sw: np.ndarray | None) -> np.ndarray | None:
    """Rescale weights to mean 1, so the weighted mean loss divides by ``sum(w)``."""
    if sw is None:
        return None
    total = sw.sum()
    if total == 0:
        raise ValueError(
            "sample_weight is zero for every training sample left after the early-stopping "
            "split; use other weights, another random_state or validation_fraction"
        )
    return sw * (len(sw) / total)


def _set_l2(model: Sequential, l2: float) -> None:
    """Give every Dense kernel the penalty ``l2 * ||W||^2`` (or none when ``l2 == 0``)."""
    for layer in model.layers:
        if isinstance(layer, hg_layers.Dense):
            if l2 > 0:
                layer.regularizers["W"] = regularizers.L2(l2)
            else:
                layer.regularizers.pop("W", None)


# ------------------------------------------------------------------ training loop
@dataclass
class _Targets:
    """Encoded targets for ``Sequential.fit`` and what the output layer needs."""

    encoded: np.ndarray  # labels (N,) for softmax, floats (N, K) otherwise
    original: np.ndarray  # as given (for scores on the early-stopping split)
    n_outputs: int
    out_activation: str  # scikit-learn's name: logistic, softmax or identity
    loss: str
    labels: np.ndarray | None = None  # class index of each sample (single-label classes)
    classes: np.ndarray | None = None  # classes_ of a classifier


class _EpochMonitor(Callback):
    """Runs scikit-learn's per-epoch bookkeeping inside ``Sequential.fit``.

    At each epoch's start it sets the learning rate (``invscaling``); at its end it records the
    loss (and the validation score), applies the stopping rule, lowers the rate
    (``adaptive``) and asks the model to stop when the rule says so.
    """

    def __init__(
        self, est, hp: _Params, n_samples: int, state: dict, incremental: bool, validation
    ):
        super().__init__()
        self.est = est
        self.hp = hp
        self.n_samples = n_samples
        self.incremental = incremental
        self.validation = validation  # (targets, X_val, y_val, sw_val) or None
        self.n_iter = state["n_iter_"]
        self.t = state["t_"]
        self.loss = state["loss_"]
        self.loss_curve = state["loss_curve_"]
        self.best_loss = state["best_loss_"]
        self.validation_scores = state["validation_scores_"]
        self.best_validation_score = state["best_validation_score_"]
        self.no_improvement = 0
        self.converged = False
        self.best_weights: list[np.ndarray] | None = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.hp.learning_rate == "invscaling":
            rate = self.hp.learning_rate_init / (self.t + 1) ** self.hp.power_t
            self.model.optimizer.learning_rate = rate
            self.model.optimizer.current_learning_rate = rate

    def on_epoch_end(self, epoch, logs=None):
        hp = self.hp
        self.n_iter += 1
        self.t += self.n_samples
        self.loss = float(logs["loss"])
        self.loss_curve.append(self.loss)
        if hp.verbose:
            print(f"Iteration {self.n_iter}, loss = {self.loss:.8f}")
        self._count_no_improvement()
        if self.no_improvement > hp.n_iter_no_change and not self.incremental:
            self._plateau()

    def _count_no_improvement(self) -> None:
        hp = self.hp
        if self.validation is None:
            if self.loss > self.best_loss - hp.tol:
                self.no_improvement += 1
            else:
                self.no_improvement = 0
            self.best_loss = min(self.best_loss, self.loss)
            return
        score = self.est._score_arrays(self.model, *self.validation)
        self.validation_scores.append(score)
        if hp.verbose:
            print(f"Validation score: {score:f}")
        if score < self.best_validation_score + hp.tol:
            self.no_improvement += 1
        else:
            self.no_improvement = 0
        if score > self.best_validation_score:
            self.best_validation_score = score
            self.best_weights = self.model.get_weights()

    def _plateau(self) -> None:
        hp = self.hp
        what = "Validation score" if self.validation is not None else "Training loss"
        msg = (
            f"{what} did not improve more than tol={hp.tol:f} for {hp.n_iter_no_change} "
            "consecutive epochs."
        )
        optimizer = self.model.optimizer
        if hp.learning_rate == "adaptive" and optimizer.learning_rate > MIN_ADAPTIVE_RATE:
            optimizer.learning_rate = optimizer.learning_rate / 5.0
            self.no_improvement = 0
            if hp.verbose:
                print(f"{msg} Setting learning rate to {optimizer.learning_rate:f}")
            return
        if hp.verbose:
            small = " Learning rate too small." if hp.learning_rate == "adaptive" else ""
            print(f"{msg}{small} Stopping.")
        self.converged = True
        self.model.stop_training = True


class _BaseMLP(BaseEstimator):
    """Shared parameters, training loop and fitted attributes of the two estimators."""

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        rho=0.9,
        dropout=0.0,
        batch_norm=False,
        dtype="float32",
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.rho = rho
        self.dropout = dropout
        self.batch_norm = batch_norm
        self.dtype = dtype

    # Subclasses: whether y must be numeric, how targets are encoded, how outputs are scored.
    _y_numeric = False

    def _encode_targets(self, y, *, continuing, incremental, classes) -> _Targets:
        raise NotImplementedError

    def _score_arrays(self, model: Sequential, targets: _Targets, X, y, sample_weight) -> float:
        """Accuracy or R^2 of ``model`` on validated ``(X, y)`` (early stopping)."""
        raise NotImplementedError

    # ------------------------------------------------------------- fitted state
    def _is_fitted(self) -> bool:
        return hasattr(self, "model_")

    def _training_state(self, continuing: bool, incremental: bool) -> dict[str, Any]:
        """Counters and curves a new ``fit`` / ``partial_fit`` call starts from.

        ``warm_start`` keeps the curves but counts ``n_iter_`` from 0 (as scikit-learn);
        ``partial_fit`` keeps counting.
        """
        if continuing:
            return {
                "n_iter_": self.n_iter_ if incremental else 0,
                "t_": self.t_,
                "loss_": self.loss_,
                "loss_curve_": list(self.loss_curve_),
                "best_loss_": self.best_loss_ if self.best_loss_ is not None else np.inf,
                "validation_scores_": list(self.validation_scores_ or []),
                "best_validation_score_": (
                    self.best_validation_score_
                    if self.best_validation_score_ is not None
                    else -np.inf
                ),
            }
        return {
            "n_iter_": 0,
            "t_": 0,
            "loss_": None,
            "loss_curve_": [],
            "best_loss_": np.inf,
            "validation_scores_": [],
            "best_validation_score_": -np.inf,
        }

    def _seed(self) -> int | None:
        """The model seed from ``random_state`` (``None``: a fresh seed per fit)."""
        if self.random_state is None:
            return None
        if isinstance(self.random_state, np.random.RandomState):
            return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        return int(self.random_state)

    def _build_model(self, hp: _Params, n_features: int, targets: _Targets) -> Sequential:
        act = ACTIVATIONS[hp.activation]
        stack: list[hg_layers.Layer] = []
        for i, units in enumerate(hp.hidden, start=1):
            first = {"input_dim": n_features} if i == 1 else {}
            if hp.batch_norm:
                init = initializers.default_kernel_initializer(act)
                stack.append(
                    hg_layers.Dense(
                        units, None, kernel_initializer=init, name=f"hidden_{i}", **first
                    )
                )
                stack.append(hg_layers.BatchNormalization(name=f"batch_norm_{i}"))
                stack.append(hg_layers.Activation(act, name=f"activation_{i}"))
            else:
                stack.append(hg_layers.Dense(units, act, name=f"hidden_{i}", **first))
            if hp.dropout > 0:
                stack.append(hg_layers.Dropout(hp.dropout, name=f"dropout_{i}"))
        out = {"logistic": "sigmoid", "softmax": "softmax", "identity": None}[
            targets.out_activation
        ]
        first = {} if hp.hidden else {"input_dim": n_features}
        stack.append(hg_layers.Dense(targets.n_outputs, out, name="output", **first))
        return Sequential(stack, seed=self._seed(), dtype=hp.dtype, name=type(self).__name__)

    def _check_architecture(self, hp: _Params) -> None:
        names = ("hidden_layer_sizes", "activation", "dropout", "batch_norm", "dtype")
        for name, old, new in zip(names, self._architecture, hp.architecture, strict=True):
            if old != new:
                raise ValueError(
                    f"{name} changed from {old!r} to {new!r} since the model was built; "
                    "warm_start=True and partial_fit continue training the same network, "
                    "so set warm_start=False (or clone the estimator) to start afresh"
                )

    def _batch_size(self, hp: _Params, n: int) -> int:
        if hp.batch_size is None:
            return min(AUTO_BATCH_SIZE, n)
        if hp.batch_size > n:
            warnings.warn(
                f"Got batch_size={hp.batch_size} larger than the {n} training samples; it is "
                f"clipped to {n} (full-batch gradient descent)",
                UserWarning,
                stacklevel=4,
            )
            return n
        return hp.batch_size

    # ---------------------------------------------------------------- training
    def _fit(self, X, y, sample_weight, *, incremental: bool, classes=None):
        hp = _check_params(self)
        if incremental and hp.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True")
        continuing = self._is_fitted() and (incremental or hp.warm_start)
        if continuing:
            self._check_architecture(hp)
        X, y = validate_data(
            self,
            X,
            y,
            reset=not continuing,
            dtype=(np.float64, np.float32),
            multi_output=True,
            y_numeric=self._y_numeric,
        )
        targets = self._encode_targets(
            y, continuing=continuing, incremental=incremental, classes=classes
        )
        sw = _check_sample_weight(sample_weight, len(X))
        if sw is not None and not incremental:
            self._check_weighted_targets(targets, sw)

        model = self.model_ if continuing else self._build_model(hp, X.shape[1], targets)
        if not (continuing and incremental):
            # A new optimizer for every fit (as scikit-learn); partial_fit keeps its state.
            model.compile(loss=targets.loss, optimizer=_make_optimizer(hp))

        validation = None
        X_train, y_train, sw_train = X, targets.encoded, sw
        if hp.early_stopping:
            X_train, y_train, sw_train, validation = self._split(hp, model.seed, X, targets, sw)
        sw_fit = _mean_one(sw_train)
        batch_size = self._batch_size(hp, len(X_train))
        # scikit-learn divides the penalty by the batch's weight sum: n_b * mean(w) on average.
        weight_per_sample = 1.0 if sw_train is None else float(sw_train.mean())
        _set_l2(model, hp.alpha / (2 * batch_size * weight_per_sample))

        state = self._training_state(continuing, incremental)
        monitor = _EpochMonitor(self, hp, len(X_train), state, incremental, validation)
        history = model.fit(
            X_train,
            y_train,
            epochs=1 if incremental else hp.max_iter,
            batch_size=batch_size,
            verbose=0,
            callbacks=[monitor],
            shuffle=hp.shuffle,
            sample_weight=sw_fit,
        )
        if monitor.best_weights is not None:
            model.set_weights(monitor.best_weights)  # early stopping: the best epoch
        self._store(model, hp, targets, monitor)
        if (
            not incremental
            and not monitor.converged
            and history.stopped_reason is None
            and monitor.n_iter == hp.max_iter
        ):
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({hp.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return self

    def _check_weighted_targets(self, targets: _Targets, sw: np.ndarray) -> None:
        """Hook: the classifier refuses weights that leave a single class."""

    def _split(self, hp: _Params, seed: int, X, targets: _Targets, sw):
        """Hold out ``validation_fraction`` of the samples (stratified for single labels)."""
        rng = np.random.default_rng([seed, 3])
        train, val = stratified_indices(
            len(X), hp.validation_fraction, rng, targets.labels, argument="validation_fraction"
        )
        if len(val) < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' or the size of "
                "your dataset."
            )
        sw_train = None if sw is None else sw[train]
        sw_val = None if sw is None else sw[val]
        validation = (targets, X[val], targets.original[val], sw_val)
        return X[train], targets.encoded[train], sw_train, validation

    def _store(self, model: Sequential, hp: _Params, targets: _Targets, monitor) -> None:
        self.model_ = model
        self._architecture = hp.architecture
        self.n_outputs_ = targets.n_outputs
        self.n_layers_ = len(hp.hidden) + 2
        self.out_activation_ = targets.out_activation
        self.n_iter_ = monitor.n_iter
        self.t_ = monitor.t
        self.loss_ = monitor.loss
        self.loss_curve_ = monitor.loss_curve
        if hp.early_stopping:
            self.validation_scores_ = monitor.validation_scores
            self.best_validation_score_ = monitor.best_validation_score
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = monitor.best_loss

    # --------------------------------------------------------------- inference
    def _outputs(self, X) -> np.ndarray:
        """Network outputs as float64 ``(N, n_outputs_)`` for ``X`` (validated here)."""
        check_is_fitted(self, "model_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        return self.model_.predict(X).astype(np.float64)

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Kernel of every Dense layer, ``coefs_[i]`` of shape ``(fan_in, units)``."""
        check_is_fitted(self, "model_")
        return [
            layer.params["W"].copy()
            for layer in self.model_.layers
            if isinstance(layer, hg_layers.Dense)
        ]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias of every Dense layer, ``intercepts_[i]`` of shape ``(units,)``."""
        check_is_fitted(self, "model_")
        return [
            layer.params["b"].copy()
            for layer in self.model_.layers
            if isinstance(layer, hg_layers.Dense)
        ]


# -------------------------------------------------------------------- classifier
class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier trained by handgrad (scikit-learn API).

    Binary problems use one sigmoid unit, multiclass problems a softmax layer, multilabel
    problems (a 0/1 indicator matrix ``y``) one sigmoid unit per label. Labels may be any
    sortable values (strings, non-contiguous ints); ``classes_`` holds them sorted and
    ``predict`` returns them.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer; an int is one hidden layer, ``()`` none.
    activation : {"relu", "tanh", "logistic", "identity", "leaky_relu", "elu"}, default="relu"
        Hidden activation (scikit-learn's names; ``leaky_relu`` and ``elu`` are handgrad's).
    solver : {"adam", "sgd", "momentum", "rmsprop"}, default="adam"
    alpha : float >= 0, default=1e-4
        L2 penalty: ``L2(alpha / (2 * batch_size))`` on every kernel (see the module notes).
    batch_size : int or "auto", default="auto"
        ``"auto"`` is ``min(200, n_samples)``; larger than the data is clipped (with a warning).
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
    learning_rate_init : float > 0, default=0.001
    power_t : float >= 0, default=0.5
        Exponent of ``"invscaling"``.
    max_iter : int, default=200
        Maximum number of epochs of ``fit``.
    shuffle : bool, default=True
        Reshuffle the samples before every epoch.
    random_state : int, RandomState or None, default=None
        Seed of the initialization, shuffling, dropout and the early-stopping split.
    tol : float >= 0, default=1e-4
        Smallest improvement of the loss (or validation score) that counts.
    verbose : bool, default=False
        Print the loss of every epoch.
    warm_start : bool, default=False
        ``fit`` continues from the current weights (with a new optimizer).
    momentum : float in [0, 1), default=0.9
        For ``solver="sgd"`` (``SGD(momentum=...)``) and ``"momentum"`` (``beta``).
    nesterovs_momentum : bool, default=True
        Nesterov's form for ``solver="sgd"`` with ``momentum > 0``.
    early_stopping : bool, default=False
        Stop on the accuracy of a stratified ``validation_fraction`` of the training data and
        restore the best epoch's weights.
    validation_fraction : float in (0, 1), default=0.1
    beta_1, beta_2 : float in [0, 1), default=0.9, 0.999
        Adam's moment decays.
    epsilon : float > 0, default=1e-8
        Adam's and RMSprop's ``epsilon``.
    n_iter_no_change : int >= 1, default=10
        Epochs without improvement before stopping (training stops after one more).
    rho : float in [0, 1), default=0.9
        RMSprop's decay (handgrad's parameter).
    dropout : float in [0, 1), default=0.0
        Dropout rate after every hidden activation (handgrad's parameter).
    batch_norm : bool, default=False
        Put ``BatchNormalization`` between every hidden Dense layer and its activation.
    dtype : {"float32", "float64"}, default="float32"
        Precision of the network. Predictions are returned as float64.

    Attributes
    ----------
    model_ : handgrad.Sequential
        The trained network (save it with ``model_.save(path)``).
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str (only when ``X`` had string column names)
    n_outputs_ : int
        Units of the output layer (1 for binary problems).
    n_layers_ : int
        ``len(hidden_layer_sizes) + 2``.
    out_activation_ : {"logistic", "softmax"}
    n_iter_ : int
        Epochs run by the last ``fit`` (``partial_fit`` adds one per call).
    t_ : int
        Training samples seen (drives ``"invscaling"``).
    loss_ : float
        Training loss of the last epoch (with the L2 penalty).
    loss_curve_ : list of float
        Training loss of every epoch.
    best_loss_ : float or None
        Lowest training loss (``None`` with early stopping).
    validation_scores_ : list of float or None
        Accuracy on the validation split after every epoch (early stopping only).
    best_validation_score_ : float or None
    coefs_, intercepts_ : list of ndarray
        Copies of the Dense kernels ``(fan_in, units)`` and biases ``(units,)``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from handgrad.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), MLPClassifier((16,), learning_rate_init=0.01,
    ...                                                     max_iter=300, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.95
    True
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multilabel": True}

    def fit(self, X, y, sample_weight=None) -> MLPClassifier:
        """Train a new network on ``(X, y)`` (or continue it with ``warm_start=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a 0/1 indicator matrix for multilabel problems.
        sample_weight : array-like of shape (n_samples,), optional
            Non-negative weights; the loss is ``sum_i w_i l_i / sum_i w_i``.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, classes=None, sample_weight=None) -> MLPClassifier:
        """One epoch over ``(X, y)``, continuing the network and its optimizer state.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like of shape (n_classes,)
            Every class that will ever appear; required on the first call (when the
            estimator is not fitted yet), optional afterwards (it must then equal
            ``classes_``).

        Returns
        -------
        self
        """
        if not self._is_fitted() and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    # ---------------------------------------------------------------- targets
    def _encode_targets(self, y, *, continuing, incremental, classes) -> _Targets:
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass", "multilabel-indicator"):
            raise ValueError(f"{type(self).__name__} does not support {kind} targets")
        multilabel = kind == "multilabel-indicator"
        if continuing:
            known = self.classes_
            if multilabel != self._multilabel:
                raise ValueError(
                    f"y is {'' if multilabel else 'not '}a multilabel indicator matrix, but the "
                    f"estimator was fitted on {'multilabel' if self._multilabel else 'class'} "
                    "targets"
                )
            if classes is not None and not np.array_equal(self._classes_from(classes), known):
                raise ValueError(
                    f"classes={_plain(self._classes_from(classes))!r} is not the same as on the "
                    f"first call to partial_fit, which was {_plain(known)!r}"
                )
        elif incremental:
            known = self._classes_from(classes)
        else:
            known = np.arange(y.shape[1]) if multilabel else unique_labels(y)
        if multilabel:
            if y.shape[1] != len(known):
                raise ValueError(
                    f"y has {y.shape[1]} label columns but classes has {len(known)} labels"
                )
            return _Targets(
                y.astype(np.float64),
                y,
                len(known),
                "logistic",
                "binary_crossentropy",
                classes=known,
            )
        if len(known) < 2:
            raise ValueError(
                f"{type(self).__name__} needs samples of at least 2 classes; y holds only one "
                f"class: {_plain(known)[0]!r}"
            )
        unseen = np.setdiff1d(unique_labels(y), known)
        if unseen.size:
            hint = (
                " (warm_start=True keeps the classes of the first fit)" if not incremental else ""
            )
            raise ValueError(
                f"y contains labels that are not in classes_ {_plain(known)!r}: "
                f"{_plain(unseen)!r}{hint}"
            )
        labels = np.searchsorted(known, y)
        if len(known) == 2:
            return _Targets(
                labels.astype(np.float64).reshape(-1, 1),
                y,
                1,
                "logistic",
                "binary_crossentropy",
                labels,
                known,
            )
        return _Targets(labels, y, len(known), "softmax", "categorical_crossentropy", labels, known)

    @staticmethod
    def _classes_from(classes) -> np.ndarray:
        """The sorted unique labels of ``classes`` (what ``classes_`` will be)."""
        known = np.asarray(classes)
        if known.ndim != 1 or known.size == 0:
            raise ValueError(f"classes must be a non-empty 1-D array, got shape {known.shape}")
        return unique_labels(known)

    def _check_weighted_targets(self, targets: _Targets, sw: np.ndarray) -> None:
        if targets.labels is None:
            return
        weighted = np.unique(targets.labels[sw > 0])
        if len(weighted) < 2:
            raise ValueError(
                f"sample_weight is zero for every sample but those of class "
                f"{_plain(targets.classes)[weighted[0]]!r}; {type(self).__name__} needs samples "
                "of at least 2 classes with non-zero weight"
            )

    def _store(self, model, hp, targets, monitor) -> None:
        super()._store(model, hp, targets, monitor)
        self.classes_ = targets.classes
        self._multilabel = targets.labels is None
        if self._multilabel:
            self._multilabel_dtype = targets.original.dtype

    # --------------------------------------------------------------- predict
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, float64 of shape ``(n_samples, n_classes)``.

        Columns follow ``classes_``. Binary problems return ``[1 - p, p]``; multilabel problems
        the independent probability of each label.
        """
        out = self._outputs(X)
        if self._multilabel:
            return out
        if out.shape[1] == 1:
            return np.hstack([1.0 - out, out])
        # Renormalize in float64: a float32 softmax row sums to 1 only within ~1e-7.
        return out / out.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))`` (``-inf`` where a probability underflowed to 0)."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X) -> np.ndarray:
        """Predicted class of every sample (an indicator matrix for multilabel problems)."""
        out = self._outputs(X)
        multilabel_dtype = self._multilabel_dtype if self._multilabel else None
        return _decode(out, self.classes_, multilabel_dtype)

    def _score_arrays(self, model, targets, X, y, sample_weight) -> float:
        multilabel_dtype = y.dtype if targets.labels is None else None
        y_pred = _decode(model.predict(X).astype(np.float64), targets.classes, multilabel_dtype)
        return float(accuracy_score(y, y_pred, sample_weight=sample_weight))


def _decode(out: np.ndarray, classes: np.ndarray, multilabel_dtype=None) -> np.ndarray:
    """Labels from network outputs: threshold 0.5 for sigmoid units, argmax for softmax."""
    if multilabel_dtype is not None:
        return (out > 0.5).astype(multilabel_dtype)
    if out.shape[1] == 1:
        return classes[(out[:, 0] > 0.5).astype(np.intp)]
    return classes[out.argmax(axis=1)]


# --------------------------------------------------------------------- regressor
class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor trained by handgrad (scikit-learn API).

    The output layer is linear with one unit per target; the loss is handgrad's
    ``quadratic``, ``1/2 ||y - a||^2`` per sample averaged over the batch (scikit-learn's
    squared error for one target; with ``K`` targets scikit-learn also divides by ``K``).
    ``y`` may be ``(n_samples,)`` or ``(n_samples, n_targets)``; ``predict`` returns the same
    shape as the ``y`` of ``fit``.

    Parameters
    ----------
    hidden_layer_sizes, activation, solver, alpha, batch_size, learning_rate,
    learning_rate_init, power_t, max_iter, shuffle, random_state, tol, verbose, warm_start,
    momentum, nesterovs_momentum, early_stopping, validation_fraction, beta_1, beta_2,
    epsilon, n_iter_no_change, rho, dropout, batch_norm, dtype
        As in :class:`MLPClassifier`; with ``early_stopping`` the validation score is R^2.

    Attributes
    ----------
    model_, n_features_in_, n_outputs_, n_layers_, n_iter_, t_, loss_, loss_curve_,
    best_loss_, validation_scores_, best_validation_score_, coefs_, intercepts_
        As in :class:`MLPClassifier`.
    out_activation_ : "identity"

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from handgrad.sklearn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0, random_state=0)
    >>> reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=500, random_state=0)
    >>> reg.fit(X, y / 100).score(X, y / 100) > 0.95
    True
    """

    _y_numeric = True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6
        return {"multioutput": True}

    def fit(self, X, y, sample_weight=None) -> MLPRegressor:
        """Train a new network on ``(X, y)`` (or continue it with ``warm_start=True``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
        sample_weight : array-like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X, y, sample_weight=None) -> MLPRegressor:
        """One epoch over ``(X, y)``, continuing the network and its optimizer state."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _encode_targets(self, y, *, continuing, incremental, classes) -> _Targets:
        y2 = y.reshape(len(y), -1).astype(np.float64)
        if continuing and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} targets but the estimator was fitted on {self.n_outputs_}"
            )
        return _Targets(y2, y, y2.shape[1], "identity", "quadratic")

    def _store(self, model, hp, targets, monitor) -> None:
        super()._store(model, hp, targets, monitor)
        self._y_ndim = targets.original.ndim

    def predict(self, X) -> np.ndarray:
        """Predictions, float64 of shape ``(n_samples,)`` or ``(n_samples, n_targets)``."""
        out = self._outputs(X)
        return out.ravel() if self._y_ndim == 1 else out

    def _score_arrays(self, model, targets, X, y, sample_weight) -> float:
        return float(r2_score(y, model.predict(X).astype(np.float64), sample_weight=sample_weight))
