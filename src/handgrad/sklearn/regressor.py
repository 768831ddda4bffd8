"""``MLPRegressor``: regression with one or several targets (scikit-learn API)."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score

from .estimator import BaseMLP, Targets

__all__ = ["MLPRegressor"]


class MLPRegressor(RegressorMixin, BaseMLP):
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

    def _encode_targets(self, y, *, continuing, incremental, classes) -> Targets:
        y2 = y.reshape(len(y), -1).astype(np.float64)
        if continuing and y2.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {y2.shape[1]} targets but the estimator was fitted on {self.n_outputs_}"
            )
        return Targets(y2, y, y2.shape[1], "identity", "quadratic")

    def _store(self, model, hp, targets, monitor) -> None:
        super()._store(model, hp, targets, monitor)
        self._y_ndim = targets.original.ndim

    def predict(self, X) -> np.ndarray:
        """Predictions, float64 of shape ``(n_samples,)`` or ``(n_samples, n_targets)``."""
        out = self._outputs(X)
        return out.ravel() if self._y_ndim == 1 else out

    def _score_arrays(self, model, targets, X, y, sample_weight) -> float:
        return float(r2_score(y, model.predict(X).astype(np.float64), sample_weight=sample_weight))
