"""handgrad.sklearn: MLPClassifier / MLPRegressor against scikit-learn's estimator checks and its
own MLP (same weights, three epochs, compared to 1e-10), learning on real data, partial_fit,
sample weights, labels, validation of hyperparameters, determinism, pickling and GridSearchCV."""

from __future__ import annotations

import functools
import os
import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import (
    load_digits,
    load_iris,
    make_blobs,
    make_friedman1,
    make_multilabel_classification,
)
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.neural_network import MLPRegressor as SkMLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import handgrad as hg
from handgrad._split import stratified_indices
from handgrad.sklearn import InvalidParameterError, MLPClassifier, MLPRegressor


@functools.cache
def _iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


@functools.cache
def _digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)


def _blobs(n=120, k=3, seed=0):
    X, y = make_blobs(n_samples=n, centers=k, cluster_std=1.0, random_state=seed)
    return StandardScaler().fit_transform(X), y


def _params(est):
    return [p.copy() for p in est.coefs_ + est.intercepts_]


def _assert_same_weights(a, b):
    for p, q in zip(_params(a), _params(b), strict=True):
        np.testing.assert_array_equal(p, q)


# --------------------------------------------------------------- estimator checks
# Small networks that converge (by scikit-learn's rule) well before max_iter on every check's
# tiny problem, so no ConvergenceWarning is raised; float64 and the default float32. (The
# slowest to converge, 5 targets from 11 samples, needs 500-900 epochs depending on the seed.)
_CLF = dict(
    hidden_layer_sizes=(10,),
    learning_rate_init=0.01,
    max_iter=1000,
    tol=1e-3,
    n_iter_no_change=5,
    random_state=0,
)
_REG = dict(
    hidden_layer_sizes=(10,),
    learning_rate_init=0.05,
    max_iter=3000,
    tol=1e-2,
    n_iter_no_change=5,
    random_state=0,
)
_CHECK_INSTANCES = [
    MLPClassifier(dtype="float64", **_CLF),
    MLPRegressor(dtype="float64", **_REG),
    MLPClassifier(**_CLF),
    MLPRegressor(**_REG),
]


def _expected_failed_checks(estimator):
    """Checks that cannot hold for an instance, with the reason (scikit-learn's mechanism)."""
    if estimator.dtype == "float32":
        # Fitting with integer weights and fitting on repeated rows sum the same numbers in a
        # different order; in float32 (eps = 1.2e-7) that changes the last bits, and the check
        # compares predictions with rtol=1e-7. The float64 instances pass it, and
        # test_integer_weights_equal_repeated_samples checks float32 to rtol=1e-4.
        return {
            "check_sample_weight_equivalence_on_dense_data": "float32 rounding is above the "
            "check's rtol=1e-7; see test_integer_weights_equal_repeated_samples"
        }
    return {}


@parametrize_with_checks(_CHECK_INSTANCES, expected_failed_checks=_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# ------------------------------------------------- scikit-learn's own MLP as the oracle
def _oracle_data(kind, n=40):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, 3))
    if kind == "binary":
        return X, (X[:, 0] > 0).astype(int), [0, 1]
    if kind == "multiclass":
        return X, (X[:, 0] > 0).astype(int) + (X[:, 1] > 0), [0, 1, 2]
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 * np.sin(3 * X[:, 2]), None


def _synced_pair(kind, X, y, classes, **params):
    """handgrad's and scikit-learn's estimator after one partial_fit epoch each, with
    scikit-learn's weights (and momentum velocities) overwritten by handgrad's."""
    ours_cls, sk_cls = (
        (MLPRegressor, SkMLPRegressor) if classes is None else (MLPClassifier, SkMLPClassifier)
    )
    ours, sk = ours_cls(dtype="float64", **params), sk_cls(**params)
    extra = {} if classes is None else {"classes": classes}
    ours.partial_fit(X, y, **extra)
    sk.partial_fit(X, y, **extra)
    for theirs, mine in zip(sk.coefs_ + sk.intercepts_, _params(ours), strict=True):
        theirs[...] = mine
    velocity = ours.model_.optimizer.state.get("velocity")
    if velocity is not None:
        # handgrad keeps one flat velocity for (W1, b1, W2, b2, ...) (the model's parameters are
        # views into one flat array) and W -= lr*v; scikit-learn keeps (W1, W2, ..., b1, b2, ...)
        # and v' = -lr*v with W += v'.
        (flat,) = velocity
        velocity, offset = [], 0
        for layer in ours.model_.layers:
            for p in layer.params.values():
                velocity.append(flat[offset : offset + p.size].reshape(p.shape))
                offset += p.size
        assert offset == flat.size
        n_layers = len(velocity) // 2
        ordered = velocity[0::2] + velocity[1::2]
        assert len(ordered) == 2 * n_layers
        for theirs, mine in zip(sk._optimizer.velocities, ordered, strict=True):
            theirs[...] = -params["learning_rate_init"] * mine
    return ours, sk


_ORACLE_CASES = [
    # batch_size, momentum, nesterovs_momentum, learning_rate, weighted
    (40, 0.0, False, "constant", False),
    (40, 0.0, False, "constant", True),
    (10, 0.9, True, "constant", False),
    (10, 0.9, False, "constant", False),
    (8, 0.0, False, "invscaling", False),
]


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
@pytest.mark.parametrize("batch_size, momentum, nesterov, schedule, weighted", _ORACLE_CASES)
def test_three_epochs_match_scikit_learn_mlp(
    kind, batch_size, momentum, nesterov, schedule, weighted
):
    """Same weights in, same weights out: losses, L2 (alpha), SGD, Nesterov, invscaling and
    sample weights all follow scikit-learn's conventions (to 1e-10 in float64)."""
    X, y, classes = _oracle_data(kind)
    params = dict(
        hidden_layer_sizes=(5, 4),
        activation="tanh",
        solver="sgd",
        alpha=0.3,
        learning_rate_init=0.1,
        momentum=momentum,
        nesterovs_momentum=nesterov,
        learning_rate=schedule,
        power_t=0.5,
        batch_size=batch_size,
        shuffle=False,
        random_state=0,
    )
    ours, sk = _synced_pair(kind, X, y, classes, **params)
    sw = np.random.default_rng(1).integers(0, 4, len(X)).astype(float) if weighted else None
    for _ in range(3):
        ours.partial_fit(X, y, sample_weight=sw)
        sk.partial_fit(X, y, sample_weight=sw)
    for theirs, mine in zip(sk.coefs_ + sk.intercepts_, _params(ours), strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)
    # Epoch 1 started from different initial weights; epochs 2-4 from the same ones.
    np.testing.assert_allclose(ours.loss_curve_[1:], sk.loss_curve_[1:], rtol=1e-10)
    assert ours.t_ == sk.t_ == 4 * len(X)


@pytest.mark.parametrize(
    "schedule, tol, n_iter_no_change",
    [("constant", 1e-2, 3), ("constant", 1e-3, 5), ("adaptive", 2e-2, 2)],
)
def test_stopping_rule_matches_scikit_learn_fit(schedule, tol, n_iter_no_change):
    """fit's loop (no-improvement counter, adaptive rate) stops at scikit-learn's epoch."""
    X, y, classes = _oracle_data("multiclass", n=60)
    params = dict(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="sgd",
        momentum=0.0,
        alpha=1e-3,
        learning_rate_init=0.2,
        learning_rate=schedule,
        batch_size=60,
        shuffle=False,
        random_state=0,
        tol=tol,
        n_iter_no_change=n_iter_no_change,
        max_iter=300,
    )
    ours, sk = _synced_pair("multiclass", X, y, classes, **params)
    ours.set_params(warm_start=True).fit(X, y)
    sk.set_params(warm_start=True).fit(X, y)
    assert 10 < ours.n_iter_ < 300
    assert ours.n_iter_ == sk.n_iter_
    # Entry 0 is the synchronising partial_fit epoch (from different initial weights).
    np.testing.assert_allclose(ours.loss_curve_[1:], sk.loss_curve_[1:], rtol=1e-9)
    assert ours.best_loss_ == pytest.approx(sk.best_loss_, rel=1e-9)
    rate = ours.model_.optimizer.learning_rate
    assert rate == pytest.approx(sk._optimizer.learning_rate, rel=1e-12)
    if schedule == "adaptive":
        assert rate <= 1e-6  # divided by 5 until below scikit-learn's floor, then stopped


def test_stopping_after_n_iter_no_change_plus_one_flat_epochs():
    # With a huge tol no epoch improves: epoch 1 sets best_loss_, the counter then exceeds
    # n_iter_no_change at epoch n_iter_no_change + 2, with no ConvergenceWarning.
    X, y = _blobs()
    clf = MLPClassifier((8,), tol=100.0, n_iter_no_change=4, max_iter=50, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ == 6 == len(clf.loss_curve_)
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_max_iter_without_convergence_warns():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        clf.fit(X, y)
    assert clf.n_iter_ == 3


# ------------------------------------------------------------------ real learning
def test_iris_in_a_pipeline_with_a_scaler():
    X_train, X_test, y_train, y_test = _iris()
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier((16,), learning_rate_init=0.01, max_iter=300, random_state=0),
    )
    pipe.fit(X_train, y_train)
    clf = pipe[-1]
    assert pipe.score(X_test, y_test) >= 0.95
    assert clf.n_iter_ < 300  # converged by the tol rule
    curve = np.array(clf.loss_curve_)
    assert curve[-1] < 0.1 * curve[0]
    # Nearly monotone: Adam on mini-batches may wiggle, but never by much.
    assert np.all(np.diff(curve) < 0.01)
    assert clf.loss_ == curve[-1] and clf.best_loss_ == curve.min()


def test_digits_accuracy_and_fitted_attributes():
    X_train, X_test, y_train, y_test = _digits()
    clf = MLPClassifier((64,), learning_rate_init=0.01, max_iter=100, random_state=0)
    pipe = make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.95
    assert clf.n_features_in_ == 64 and clf.n_outputs_ == 10 and clf.n_layers_ == 3
    assert clf.out_activation_ == "softmax"
    assert [c.shape for c in clf.coefs_] == [(64, 64), (64, 10)]
    assert [b.shape for b in clf.intercepts_] == [(64,), (10,)]
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert isinstance(clf.model_, hg.Sequential)
    np.testing.assert_array_equal(clf.classes_, np.arange(10))


def test_regression_r2_on_friedman1():
    X, y = make_friedman1(n_samples=600, noise=0.3, random_state=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    pipe = make_pipeline(
        StandardScaler(),
        MLPRegressor((32, 32), learning_rate_init=0.01, max_iter=1000, random_state=0),
    )
    pipe.fit(X_train, y_train)
    assert pipe.score(X_test, y_test) >= 0.85
    reg = pipe[-1]
    assert reg.out_activation_ == "identity" and reg.predict(X_test[:3]).shape == (3,)
    assert reg.loss_curve_[-1] < 0.02 * reg.loss_curve_[0]


@pytest.mark.parametrize("solver", ["sgd", "momentum", "rmsprop", "adam"])
def test_every_solver_learns_iris(solver):
    X_train, X_test, y_train, y_test = _iris()
    rate = {"sgd": 0.05, "momentum": 0.2, "rmsprop": 0.002, "adam": 0.01}[solver]
    clf = MLPClassifier((16,), solver=solver, learning_rate_init=rate, max_iter=600, random_state=0)
    make_pipeline(StandardScaler(), clf).fit(X_train, y_train)
    scaler = StandardScaler().fit(X_train)
    assert clf.score(scaler.transform(X_test), y_test) >= 0.9


def test_dropout_and_batch_norm_layers():
    X_train, X_test, y_train, y_test = _iris()
    scaler = StandardScaler().fit(X_train)
    clf = MLPClassifier(
        (32, 16),
        dropout=0.2,
        batch_norm=True,
        learning_rate_init=0.01,
        batch_size=32,
        max_iter=300,
        random_state=0,
    )
    clf.fit(scaler.transform(X_train), y_train)
    kinds = [type(layer).__name__ for layer in clf.model_.layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation", "Dropout"] * 2 + ["Dense"]
    assert clf.score(scaler.transform(X_test), y_test) >= 0.9
    # Dropout is off at prediction time: predictions are deterministic.
    np.testing.assert_array_equal(clf.predict_proba(X_test), clf.predict_proba(X_test))


def test_early_stopping_restores_the_best_validation_epoch():
    X, y = _digits()[0] / 16, _digits()[2]
    clf = MLPClassifier(
        (32,),
        learning_rate_init=0.02,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=4,
        max_iter=200,
        random_state=5,
    )
    clf.fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(scores) >= 0.9
    assert clf.best_loss_ is None
    assert np.argmax(scores) < len(scores) - 1 or scores[-1] == max(scores)
    # The split is the model's seeded, stratified split: the restored weights score the best.
    _, val = stratified_indices(len(X), 0.2, np.random.default_rng([5, 3]), y)
    assert clf.score(X[val], y[val]) == pytest.approx(clf.best_validation_score_)


def test_regressor_early_stopping_scores_r2_and_keeps_column_targets():
    X, y = make_friedman1(n_samples=400, noise=0.3, random_state=2)
    X = StandardScaler().fit_transform(X)
    reg = MLPRegressor(
        (32,), learning_rate_init=0.01, early_stopping=True, max_iter=500, random_state=0
    )
    reg.fit(X, y[:, None])
    assert len(reg.validation_scores_) == reg.n_iter_ < 500
    assert reg.best_validation_score_ == max(reg.validation_scores_) >= 0.8
    assert reg.predict(X[:4]).shape == (4, 1)  # y was a column: predictions are too


# -------------------------------------------------------------------- partial_fit
@pytest.mark.parametrize("shuffle", [False, True])
def test_partial_fit_calls_equal_fit_bit_for_bit(shuffle):
    X, y = _digits()[0] / 16, _digits()[2]
    params = dict(
        hidden_layer_sizes=(32,),
        learning_rate_init=0.01,
        batch_size=64,
        shuffle=shuffle,
        random_state=3,
        tol=0.0,
        n_iter_no_change=100,
        max_iter=6,
    )
    full = MLPClassifier(**params)
    with pytest.warns(ConvergenceWarning):
        full.fit(X, y)
    stream = MLPClassifier(**params)
    for _ in range(6):
        stream.partial_fit(X, y, classes=np.arange(10))
    _assert_same_weights(stream, full)
    assert stream.loss_curve_ == full.loss_curve_
    assert stream.n_iter_ == full.n_iter_ == 6
    batches = -(-len(X) // 64)
    assert stream.model_.optimizer.iterations == full.model_.optimizer.iterations == 6 * batches
    assert stream.score(X, y) >= 0.95


def test_partial_fit_on_chunks_carries_the_optimizer_state():
    X_train, X_test, y_train, y_test = _digits()
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    clf = MLPClassifier((64,), learning_rate_init=0.01, random_state=0)
    chunks = np.array_split(np.arange(len(X_train)), 4)
    for epoch in range(5):
        for chunk in chunks:
            classes = np.arange(10) if epoch == 0 else None
            clf.partial_fit(X_train[chunk], y_train[chunk], classes=classes)
    assert clf.n_iter_ == 20 and clf.t_ == 5 * len(X_train)
    assert clf.model_.optimizer.iterations == 5 * sum(-(-len(c) // 200) for c in chunks)
    assert clf.score(X_test, y_test) >= 0.95


def test_partial_fit_errors():
    X, y = _blobs()
    clf = MLPClassifier((4,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    clf.partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"labels that are not in classes_ \[.*\]: \[7\]"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="is not the same as on the first call"):
        clf.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="X has 1 features, but MLPClassifier is expecting 2"):
        clf.partial_fit(X[:, :1], y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        clf.set_params(early_stopping=True).partial_fit(X, y)
    # A batch may hold a subset of the classes once classes_ is known.
    clf.set_params(early_stopping=False).partial_fit(X[y == 0], y[y == 0])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])


def test_regressor_partial_fit():
    X, y = make_friedman1(n_samples=300, random_state=1)
    X, y = StandardScaler().fit_transform(X), (y - y.mean()) / y.std()
    reg = MLPRegressor((16,), learning_rate_init=0.01, random_state=0)
    for _ in range(40):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 40 and reg.score(X, y) >= 0.75
    with pytest.raises(ValueError, match="y has 2 targets but the estimator was fitted on 1"):
        reg.partial_fit(X, np.column_stack([y, y]))


# ----------------------------------------------------------------- sample weights
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-9), ("float32", 1e-4)])
def test_integer_weights_equal_repeated_samples(dtype, rtol):
    X, y = _blobs(n=40)
    sw = np.random.default_rng(0).integers(0, 4, len(X))
    params = dict(
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=40,
        tol=0.0,
        alpha=0.01,
        random_state=0,
        dtype=dtype,
    )
    weighted, repeated = MLPClassifier(**params), MLPClassifier(**params)
    with pytest.warns(ConvergenceWarning):
        weighted.fit(X, y, sample_weight=sw)
    with pytest.warns(ConvergenceWarning):
        repeated.fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    # Both are full-batch (n <= 200): zero weights drop samples, weight k repeats them k times.
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=rtol)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=rtol)


def test_weights_shift_the_decision_towards_the_heavy_class():
    X, y = make_blobs(n_samples=200, centers=[[-1, 0], [1, 0]], cluster_std=1.5, random_state=0)
    params = dict(hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, random_state=0)
    plain = MLPClassifier(**params).fit(X, y)
    heavy = MLPClassifier(**params).fit(X, y, sample_weight=np.where(y == 1, 10.0, 1.0))
    share_plain = np.mean(plain.predict(X) == 1)
    share_heavy = np.mean(heavy.predict(X) == 1)
    assert 0.4 < share_plain < 0.6
    assert share_heavy > share_plain + 0.2


def test_sample_weight_errors():
    X, y = _blobs(n=30)
    clf = MLPClassifier((4,), max_iter=5, random_state=0)
    with pytest.raises(ValueError, match=r"sample_weight.shape == \(29,\), expected \(30,\)"):
        clf.fit(X, y, sample_weight=np.ones(29))
    with pytest.raises(ValueError, match="non-negative"):
        clf.fit(X, y, sample_weight=-np.ones(30))
    with pytest.raises(ValueError, match="at least one non-zero weight"):
        clf.fit(X, y, sample_weight=np.zeros(30))
    with pytest.raises(ValueError, match="finite"):
        clf.fit(X, y, sample_weight=np.full(30, np.nan))
    with pytest.raises(ValueError, match="but those of class 1; MLPClassifier needs"):
        clf.fit(X, y, sample_weight=(y == 1).astype(float))


# ------------------------------------------------------------------------ labels
@pytest.mark.parametrize(
    "labels",
    [np.array(["cat", "dog", "fish"]), np.array([-5, 3, 10]), np.array([1.0, 4.0, 9.0])],
)
def test_string_and_non_contiguous_labels(labels):
    X, y = _blobs()
    clf = MLPClassifier((8,), learning_rate_init=0.02, tol=1e-3, random_state=0)
    clf.fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    pred = clf.predict(X)
    assert pred.dtype == labels.dtype and set(pred) <= set(labels)
    assert clf.score(X, labels[y]) >= 0.9
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], pred)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_binary_problems_use_one_sigmoid_unit():
    X, y = _blobs(k=2)
    y = np.array(["no", "yes"])[y]
    clf = MLPClassifier((8,), learning_rate_init=0.02, tol=1e-3, random_state=0).fit(X, y)
    out = clf.model_.layers[-1]
    assert out.units == 1 and out.activation.name == "sigmoid"
    assert clf.model_.loss.name == "binary_crossentropy" and clf.out_activation_ == "logistic"
    proba = clf.predict_proba(X)
    assert proba.shape == (len(X), 2) and proba.dtype == np.float64
    p = clf.model_.predict(X)[:, 0].astype(np.float64)
    np.testing.assert_allclose(proba[:, 1], p)
    np.testing.assert_array_equal(clf.predict(X), np.where(p > 0.5, "yes", "no"))
    assert clf.score(X, y) >= 0.9
    # float32 network: 5 rows and 120 rows may round differently in the last bit.
    np.testing.assert_allclose(clf.predict_log_proba(X[:5]), np.log(proba[:5]), rtol=1e-6)


def test_multilabel_indicator_targets():
    X, Y = make_multilabel_classification(n_samples=300, n_features=10, n_classes=4, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier((32,), learning_rate_init=0.01, tol=1e-3, max_iter=500, random_state=0).fit(
        X, Y
    )
    assert clf.model_.layers[-1].units == 4 and clf.out_activation_ == "logistic"
    np.testing.assert_array_equal(clf.classes_, np.arange(4))
    pred = clf.predict(X)
    assert pred.shape == Y.shape and pred.dtype == Y.dtype
    # Per-label accuracy well above always predicting each label's majority value.
    majority = np.maximum(Y.mean(axis=0), 1 - Y.mean(axis=0)).mean()
    assert (pred == Y).mean() >= majority + 0.1
    assert clf.predict_proba(X).shape == (300, 4)


def test_one_class_and_regression_targets_are_refused():
    X, y = _blobs()
    with pytest.raises(ValueError, match="at least 2 classes; y holds only one class: 'a'"):
        MLPClassifier().fit(X, np.full(len(X), "a"))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        MLPClassifier().fit(X, X[:, 0])


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "params, match",
    [
        ({"hidden_layer_sizes": (10, 0)}, "'hidden_layer_sizes'.*sizes > 0, got 0 at position 1"),
        ({"hidden_layer_sizes": -3}, "'hidden_layer_sizes'.*sizes > 0, got -3"),
        ({"hidden_layer_sizes": (10, 2.5)}, "'hidden_layer_sizes'.*sequence of ints"),
        ({"hidden_layer_sizes": "10"}, "'hidden_layer_sizes'"),
        ({"activation": "softmax"}, "'activation'.*one of 'identity', 'logistic'"),
        ({"solver": "lbfgs"}, "'solver'.*cannot be 'lbfgs'"),
        ({"solver": "newton"}, "'solver'.*one of 'sgd', 'momentum', 'rmsprop', 'adam'"),
        ({"alpha": -1.0}, r"'alpha'.*range \[0, inf\)"),
        ({"batch_size": 0}, "'batch_size'.*'auto' or an int"),
        ({"batch_size": "all"}, "'batch_size'"),
        ({"learning_rate": "cosine"}, "'learning_rate'.*'constant', 'invscaling'"),
        ({"learning_rate_init": 0.0}, r"'learning_rate_init'.*range \(0, inf\)"),
        ({"max_iter": 0}, "'max_iter'"),
        ({"max_iter": 10.0}, "'max_iter'"),
        ({"shuffle": "yes"}, "'shuffle'.*True or False"),
        ({"tol": np.nan}, "'tol'"),
        ({"momentum": 1.0}, r"'momentum'.*\[0, 1\)"),
        ({"beta_2": 1.5}, "'beta_2'"),
        ({"epsilon": 0}, "'epsilon'"),
        ({"n_iter_no_change": 0}, "'n_iter_no_change'"),
        ({"early_stopping": True, "validation_fraction": 0.0}, r"'validation_fraction'.*\(0, 1\)"),
        ({"validation_fraction": 1.0}, "'validation_fraction'"),
        ({"dropout": 1.0}, "'dropout'"),
        ({"batch_norm": 1}, "'batch_norm'"),
        ({"dtype": "int32"}, "'dtype'.*'float32' or 'float64'"),
        ({"random_state": -1}, "'random_state'"),
        ({"verbose": -2}, "'verbose'"),
    ],
)
def test_bad_hyperparameters_raise_at_fit(params, match):
    X, y = _blobs(n=20)
    clf = MLPClassifier(**params)  # __init__ stores, never checks
    for key, value in params.items():
        assert getattr(clf, key) is value
    with pytest.raises(ValueError, match=match):
        clf.fit(X, y)
    with pytest.raises(InvalidParameterError, match=match):
        MLPRegressor(**params).fit(X, y.astype(float))


def test_an_int_hidden_layer_size_is_one_layer():
    X, y = _blobs(n=30)
    clf = MLPClassifier(hidden_layer_sizes=(50), learning_rate_init=0.02, tol=1e-3, random_state=0)
    clf.fit(X, y)
    assert clf.hidden_layer_sizes == 50  # the parameter itself is untouched
    assert [c.shape for c in clf.coefs_] == [(2, 50), (50, 3)]
    none = MLPClassifier(
        hidden_layer_sizes=(), learning_rate_init=0.05, tol=1e-3, random_state=0
    ).fit(X, y)
    assert [c.shape for c in none.coefs_] == [(2, 3)] and none.n_layers_ == 2


def test_batch_size_larger_than_the_data_is_clipped_with_a_warning():
    X, y = _blobs(n=30)
    clf = MLPClassifier((4,), batch_size=64, tol=10.0, random_state=0)
    with pytest.warns(UserWarning, match="batch_size=64 larger than the 30 training samples"):
        clf.fit(X, y)
    assert clf.model_.optimizer.iterations == clf.n_iter_  # one full batch per epoch


def test_not_fitted():
    clf = MLPClassifier()
    with pytest.raises(NotFittedError):
        clf.predict(np.zeros((1, 2)))
    assert not hasattr(clf, "coefs_")


# ------------------------------------------------ determinism, warm start, persistence
def test_random_state_gives_bit_identical_results():
    X, y = _blobs()
    params = dict(hidden_layer_sizes=(8,), dropout=0.1, max_iter=30, tol=0.0)
    runs = []
    for seed in (7, 7, 8):
        with pytest.warns(ConvergenceWarning):
            runs.append(MLPClassifier(random_state=seed, **params).fit(X, y))
    _assert_same_weights(runs[0], runs[1])
    assert runs[0].loss_curve_ == runs[1].loss_curve_
    assert not np.array_equal(runs[0].coefs_[0], runs[2].coefs_[0])
    # A RandomState draws the seed from its stream (scikit-learn's convention).
    a = MLPClassifier(random_state=np.random.RandomState(0), tol=10.0).fit(X, y)
    b = MLPClassifier(random_state=np.random.RandomState(0), tol=10.0).fit(X, y)
    _assert_same_weights(a, b)


def test_warm_start_continues_training():
    X, y = _blobs()
    clf = MLPClassifier((8,), max_iter=5, warm_start=True, random_state=0, tol=0.0)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    first = list(clf.loss_curve_)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
    assert clf.loss_curve_[:5] == first and len(clf.loss_curve_) == 10
    assert clf.n_iter_ == 5  # counted per fit, as scikit-learn
    assert clf.loss_curve_[5] < first[0]
    with pytest.raises(ValueError, match=r"hidden_layer_sizes changed from \(8,\) to \(9,\)"):
        clf.set_params(hidden_layer_sizes=9).fit(X, y)
    with pytest.raises(ValueError, match="warm_start=True keeps the classes"):
        clf.set_params(hidden_layer_sizes=8).fit(X, y + 1)


def test_clone_pickle_and_model_file(tmp_path):
    X, y = _blobs()
    clf = MLPClassifier((8,), learning_rate_init=0.02, tol=1e-3, random_state=0, dtype="float64")
    unfitted = clone(clf)
    assert unfitted.get_params() == clf.get_params() and not hasattr(unfitted, "model_")
    clf.fit(X, y)
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.loss_curve_ == clf.loss_curve_
    # The network itself is saved with handgrad's own (pickle-free) format.
    path = tmp_path / "mlp.hgz"
    clf.model_.save(path)
    np.testing.assert_array_equal(hg.load_model(path).predict(X), clf.model_.predict(X))


def test_grid_search_with_two_workers():
    X_train, X_test, y_train, y_test = _iris()
    pipe = make_pipeline(StandardScaler(), MLPClassifier(tol=1e-3, max_iter=500, random_state=0))
    grid = {
        "mlpclassifier__learning_rate_init": [1e-5, 0.01],
        "mlpclassifier__hidden_layer_sizes": [(4,), (16,)],
    }
    # A scorer returning the worker's process id. A lambda travels by value (cloudpickle), so
    # the workers need not import this test module and its estimator checks.
    search = GridSearchCV(
        pipe,
        grid,
        cv=3,
        n_jobs=2,
        refit="accuracy",
        scoring={"accuracy": "accuracy", "pid": lambda estimator, X, y: os.getpid()},
    )
    with warnings.catch_warnings():
        # scikit-learn passes the warning filters to the workers: every fit there converges
        # (the 1e-5 candidates stop on tol long before learning anything).
        warnings.simplefilter("error")
        search.fit(X_train, y_train)
    results = search.cv_results_
    pids = {int(results[f"split{i}_test_pid"][j]) for i in range(3) for j in range(4)}
    assert len(pids) == 2 and os.getpid() not in pids  # both workers produced results
    assert np.isfinite(results["mean_test_accuracy"]).all()
    assert search.best_params_["mlpclassifier__learning_rate_init"] == 0.01
    assert search.best_score_ >= 0.9
    assert (
        max(
            results["mean_test_accuracy"][
                results["param_mlpclassifier__learning_rate_init"] == 1e-5
            ]
        )
        < 0.8
    )
    assert search.score(X_test, y_test) >= 0.9


def test_verbose_prints_the_loss_of_every_epoch(capsys):
    X, y = _blobs()
    MLPClassifier((4,), tol=10.0, n_iter_no_change=1, verbose=True, random_state=0).fit(X, y)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("Iteration 1, loss = ")
    assert out[-1] == (
        "Training loss did not improve more than tol=10.000000 for 1 consecutive epochs. Stopping."
    )


def test_float64_dtype_and_float64_predictions():
    X, y = _blobs()
    clf = MLPClassifier((4,), dtype="float64", tol=10.0, random_state=0).fit(X, y)
    assert clf.model_.dtype == np.float64 and clf.coefs_[0].dtype == np.float64
    reg = MLPRegressor((4,), tol=10.0, random_state=0).fit(X, X[:, 0])
    assert reg.model_.dtype == np.float32 and reg.predict(X).dtype == np.float64
