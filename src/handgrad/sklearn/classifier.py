"""``MLPClassifier``: binary, multiclass and multilabel classification (scikit-learn API)."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.metrics import accuracy_score
from sklearn.utils.multiclass import check_classification_targets, type_of_target, unique_labels
from sklearn.utils.validation import column_or_1d

from .estimator import BaseMLP, Targets, plain

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseMLP):
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
    def _encode_targets(self, y, *, continuing, incremental, classes) -> Targets:
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
                    f"classes={plain(self._classes_from(classes))!r} is not the same as on the "
                    f"first call to partial_fit, which was {plain(known)!r}"
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
            return Targets(
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
                f"class: {plain(known)[0]!r}"
            )
        unseen = np.setdiff1d(unique_labels(y), known)
        if unseen.size:
            hint = (
                " (warm_start=True keeps the classes of the first fit)" if not incremental else ""
            )
            raise ValueError(
                f"y contains labels that are not in classes_ {plain(known)!r}: "
                f"{plain(unseen)!r}{hint}"
            )
        labels = np.searchsorted(known, y)
        if len(known) == 2:
            return Targets(
                labels.astype(np.float64).reshape(-1, 1),
                y,
                1,
                "logistic",
                "binary_crossentropy",
                labels,
                known,
            )
        return Targets(labels, y, len(known), "softmax", "categorical_crossentropy", labels, known)

    @staticmethod
    def _classes_from(classes) -> np.ndarray:
        """The sorted unique labels of ``classes`` (what ``classes_`` will be)."""
        known = np.asarray(classes)
        if known.ndim != 1 or known.size == 0:
            raise ValueError(f"classes must be a non-empty 1-D array, got shape {known.shape}")
        return unique_labels(known)

    def _check_weighted_targets(self, targets: Targets, sw: np.ndarray) -> None:
        if targets.labels is None:
            return
        weighted = np.unique(targets.labels[sw > 0])
        if len(weighted) < 2:
            raise ValueError(
                f"sample_weight is zero for every sample but those of class "
                f"{plain(targets.classes)[weighted[0]]!r}; {type(self).__name__} needs samples "
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
