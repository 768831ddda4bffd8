"""What the two estimators share: parameters, the training loop through ``Sequential.fit``,
the per-epoch bookkeeping of scikit-learn's stopping rule, and the fitted attributes."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted, check_random_state

from .. import layers as hg_layers
from .. import regularizers
from .._split import stratified_indices
from ..callbacks import Callback
from ..recipes import build_mlp
from ..sequential import Sequential
from ..validation import check_estimator_sample_weight
from .params import (
    ACTIVATIONS,
    AUTO_BATCH_SIZE,
    MIN_ADAPTIVE_RATE,
    Params,
    check_params,
    make_optimizer,
)

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - older scikit-learn

    def validate_data(estimator, X="no_validation", y="no_validation", **kwargs):
        return estimator._validate_data(X, y, **kwargs)


__all__ = ["BaseMLP", "Targets", "plain", "validate_data"]


def plain(values):
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


@dataclass
class Targets:
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

    reads_grads = False

    def __init__(self, score, hp: Params, n_samples: int, state: dict, incremental: bool):
        super().__init__()
        #: ``score(model) -> float`` on the early-stopping split, or None without one.
        self.score = score
        self.hp = hp
        self.n_samples = n_samples
        self.incremental = incremental
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
            self.model.optimizer.set_learning_rate(rate)

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
        if self.score is None:
            if self.loss > self.best_loss - hp.tol:
                self.no_improvement += 1
            else:
                self.no_improvement = 0
            self.best_loss = min(self.best_loss, self.loss)
            return
        score = self.score(self.model)
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
        what = "Validation score" if self.score is not None else "Training loss"
        msg = (
            f"{what} did not improve more than tol={hp.tol:f} for {hp.n_iter_no_change} "
            "consecutive epochs."
        )
        optimizer = self.model.optimizer
        if hp.learning_rate == "adaptive" and optimizer.learning_rate > MIN_ADAPTIVE_RATE:
            optimizer.set_learning_rate(optimizer.learning_rate / 5.0)
            self.no_improvement = 0
            if hp.verbose:
                print(f"{msg} Setting learning rate to {optimizer.learning_rate:f}")
            return
        if hp.verbose:
            small = " Learning rate too small." if hp.learning_rate == "adaptive" else ""
            print(f"{msg}{small} Stopping.")
        self.converged = True
        self.model.stop_training = True


class BaseMLP(BaseEstimator):
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

    def _encode_targets(self, y, *, continuing, incremental, classes) -> Targets:
        raise NotImplementedError

    def _score_arrays(self, model: Sequential, targets: Targets, X, y, sample_weight) -> float:
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

    def _build_model(self, hp: Params, n_features: int, targets: Targets) -> Sequential:
        """The network of :func:`handgrad.recipes.build_mlp` (layers named hidden_1, ...)."""
        return build_mlp(
            n_features,
            targets.n_outputs,
            hidden=hp.hidden,
            activation=ACTIVATIONS[hp.activation],
            loss=targets.loss,
            dropout=hp.dropout,
            batch_norm=hp.batch_norm,
            layer_names=True,
            seed=self._seed(),
            dtype=hp.dtype,
            name=type(self).__name__,
        )

    def _check_architecture(self, hp: Params) -> None:
        names = ("hidden_layer_sizes", "activation", "dropout", "batch_norm", "dtype")
        for name, old, new in zip(names, self._architecture, hp.architecture, strict=True):
            if old != new:
                raise ValueError(
                    f"{name} changed from {old!r} to {new!r} since the model was built; "
                    "warm_start=True and partial_fit continue training the same network, "
                    "so set warm_start=False (or clone the estimator) to start afresh"
                )

    def _batch_size(self, hp: Params, n: int) -> int:
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
        hp = check_params(type(self).__name__, self.get_params(deep=False))
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
        sw = check_estimator_sample_weight(sample_weight, len(X))
        if sw is not None and not incremental:
            self._check_weighted_targets(targets, sw)

        model = self.model_ if continuing else self._build_model(hp, X.shape[1], targets)
        if not (continuing and incremental):
            # A new optimizer for every fit (as scikit-learn); partial_fit keeps its state.
            model.compile(loss=targets.loss, optimizer=make_optimizer(hp))

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
        score = None
        if validation is not None:

            def score(model: Sequential) -> float:
                return self._score_arrays(model, *validation)

        monitor = _EpochMonitor(score, hp, len(X_train), state, incremental)
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

    def _check_weighted_targets(self, targets: Targets, sw: np.ndarray) -> None:
        """Hook: the classifier refuses weights that leave a single class."""

    def _split(self, hp: Params, seed: int, X, targets: Targets, sw):
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

    def _store(self, model: Sequential, hp: Params, targets: Targets, monitor) -> None:
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
