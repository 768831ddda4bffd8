"""one_hot, train_test_split, the scalers and the mini-batch iterator."""

from __future__ import annotations

import numpy as np
import pytest

from handgrad.data.preprocessing import (
    MinMaxScaler,
    StandardScaler,
    batches,
    one_hot,
    train_test_split,
)

# -------------------------------------------------------------------------------- one_hot


def test_one_hot_values_and_dtypes():
    Y = one_hot(np.array([2, 0, 1, 2]))
    assert Y.dtype == np.float32
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]])
    Y5 = one_hot([1, 1], num_classes=5, dtype="float64")
    assert Y5.shape == (2, 5) and Y5.dtype == np.float64
    np.testing.assert_array_equal(Y5.argmax(axis=1), [1, 1])
    np.testing.assert_array_equal(one_hot(np.array([0.0, 3.0])), one_hot([0, 3]))


@pytest.mark.parametrize(
    ("y", "kwargs", "error", "message"),
    [
        ([0, 1.5], {}, ValueError, r"y must hold integer class labels, got 1.5 at index 1"),
        ([0, -1], {}, ValueError, r"y class labels must be >= 0, got -1"),
        (
            [0, 3],
            {"num_classes": 3},
            ValueError,
            r"y holds label 3 but num_classes=3; labels "
            r"must be in \[0, 3\)",
        ),
        (
            [[0], [1]],
            {},
            ValueError,
            r"y must be 1-D class labels of shape \(N,\), got shape "
            r"\(2, 1\)",
        ),
        ([True, False], {}, TypeError, r"got booleans"),
        (["a", "b"], {}, TypeError, r"y must hold real numbers"),
        ([0, 1], {"num_classes": 0}, ValueError, r"num_classes must be a positive int, got 0"),
        ([0, 1], {"num_classes": 2.0}, TypeError, r"num_classes must be a positive int or None"),
        ([0.0, np.nan], {}, ValueError, r"y contains NaN"),
        ([], {}, ValueError, r"y is empty"),
    ],
)
def test_one_hot_errors(y, kwargs, error, message):
    with pytest.raises(error, match=message):
        one_hot(y, **kwargs)


# ----------------------------------------------------------------------- train_test_split


def test_train_test_split_is_stratified_disjoint_and_deterministic():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.arange(200, dtype=np.float32).reshape(100, 2)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.2)
    np.testing.assert_array_equal(np.bincount(yte), [10, 6, 4])
    np.testing.assert_array_equal(np.bincount(ytr), [40, 24, 16])
    assert Xtr.dtype == np.float32
    ids = np.concatenate([Xtr[:, 0], Xte[:, 0]]) // 2
    np.testing.assert_array_equal(np.sort(ids), np.arange(100))  # each sample exactly once
    np.testing.assert_array_equal(y[(Xte[:, 0] // 2).astype(int)], yte)  # rows stay paired
    _, Xte2, ytr2, _ = train_test_split(X, y, test_size=0.2)
    np.testing.assert_array_equal(Xte2, Xte)
    np.testing.assert_array_equal(ytr2, ytr)
    _, Xte3, _, _ = train_test_split(X, y, test_size=0.2, seed=1)
    assert not np.array_equal(Xte3, Xte)


def test_train_test_split_unstratified_and_one_hot_targets():
    X = np.arange(10.0).reshape(10, 1)
    Xtr, Xte, ytr, yte = train_test_split(X, X[:, 0] * 0.5, test_size=0.3, stratify=False)
    assert len(Xte) == 3 and len(Xtr) == 7
    np.testing.assert_array_equal(yte, Xte[:, 0] * 0.5)
    Y = one_hot(np.repeat([0, 1], 5))
    _, _, Ytr, Yte = train_test_split(X, Y, test_size=0.4)
    assert Yte.shape == (4, 2)
    np.testing.assert_array_equal(Yte.sum(axis=0), [2, 2])


@pytest.mark.parametrize(
    ("X", "y", "kwargs", "error", "message"),
    [
        (
            np.zeros((5, 2)),
            [0, 0, 1, 1, 2],
            {},
            ValueError,
            r"needs at least 2 samples of every class for a stratified split; class 2 has 1",
        ),
        (
            np.zeros((5, 2)),
            [0, 1, 0, 1],
            {},
            ValueError,
            r"X and y must have the same number of samples, got 5 and 4",
        ),
        (
            np.zeros((4, 2)),
            [0, 1, 0, 1],
            {"test_size": 2},
            TypeError,
            r"test_size must be a float in \(0, 1\), got 2",
        ),
        (
            np.zeros((4, 2)),
            [0, 1, 0, 1],
            {"test_size": 1.0},
            ValueError,
            r"test_size must be in \(0, 1\), got 1.0",
        ),
        (
            np.zeros((4, 2)),
            [0.5, 1, 0, 1],
            {},
            ValueError,
            r"y must hold integer class labels, got 0.5",
        ),
        (
            np.zeros((4, 2)),
            [0, 1, 0, 1],
            {"seed": -3},
            TypeError,
            r"seed must be a non-negative int",
        ),
    ],
)
def test_train_test_split_errors(X, y, kwargs, error, message):
    with pytest.raises(error, match=message):
        train_test_split(X, y, **kwargs)


# --------------------------------------------------------------------------------- scalers


@pytest.fixture
def train_test():
    rng = np.random.default_rng(0)
    scale = np.array([1.0, 10.0, 1e-3, 0.0])  # the last feature is constant
    train = rng.normal(size=(200, 4)) * scale + np.array([5.0, -3.0, 0.1, 7.5])
    test = rng.normal(size=(50, 4)) * scale + np.array([5.0, -3.0, 0.1, 7.5])
    return train, test


def test_standard_scaler_uses_train_statistics_only(train_test):
    train, test = train_test
    scaler = StandardScaler().fit(train)
    Z = scaler.transform(train)
    np.testing.assert_allclose(Z[:, :3].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :3].std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(Z[:, 3], 0.0)  # constant feature: centred, not divided by 0
    assert scaler.scale_[3] == 1.0 and scaler.var_[3] == 0.0
    np.testing.assert_allclose(
        scaler.transform(test), (test - train.mean(axis=0)) / scaler.scale_, rtol=1e-12
    )
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-12)
    assert scaler.n_features_in_ == 4


def test_standard_scaler_near_constant_float_feature_is_not_blown_up():
    X = np.full((7, 1), 0.1)  # its float64 std is rounding noise, not zero
    np.testing.assert_allclose(StandardScaler().fit_transform(X), 0.0, atol=1e-15)


def test_scalers_keep_float_dtypes_and_handle_images():
    X32 = np.random.default_rng(1).uniform(size=(20, 1, 3, 3)).astype(np.float32)
    Z = StandardScaler().fit_transform(X32)
    assert Z.dtype == np.float32 and Z.shape == (20, 1, 3, 3)
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-6)
    assert MinMaxScaler().fit_transform(np.arange(6).reshape(3, 2)).dtype == np.float32
    assert StandardScaler().fit_transform(np.ones((3, 2), dtype=int)).dtype == np.float32
    assert MinMaxScaler().fit_transform(X32.astype(np.float64)).dtype == np.float64


def test_standard_scaler_without_mean_or_std():
    X = np.array([[1.0, 2.0], [3.0, 6.0]])
    np.testing.assert_allclose(
        StandardScaler(with_mean=False).fit_transform(X), [[1.0, 1.0], [3.0, 3.0]]
    )
    np.testing.assert_allclose(
        StandardScaler(with_std=False).fit_transform(X), [[-1.0, -2.0], [1.0, 2.0]]
    )


def test_min_max_scaler_ranges_and_round_trip(train_test):
    train, test = train_test
    scaler = MinMaxScaler().fit(train)
    Z = scaler.transform(train)
    np.testing.assert_allclose(Z[:, :3].min(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :3].max(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(Z[:, 3], 0.0)
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(test)), test, rtol=1e-12)
    wide = MinMaxScaler(feature_range=(-1, 1)).fit(np.array([[0.0], [4.0]]))
    np.testing.assert_allclose(wide.transform(np.array([[2.0], [8.0]])), [[0.0], [3.0]])


@pytest.mark.parametrize("scaler_cls", [StandardScaler, MinMaxScaler])
def test_scaler_errors(scaler_cls):
    scaler = scaler_cls()
    with pytest.raises(
        ValueError,
        match=f"this {scaler_cls.__name__} is not fitted yet; "
        r"call fit\(X_train\) first",
    ):
        scaler.transform(np.ones((2, 3)))
    with pytest.raises(ValueError, match="not fitted yet"):
        scaler.inverse_transform(np.ones((2, 3)))
    scaler.fit(np.random.default_rng(0).normal(size=(5, 3)))
    with pytest.raises(
        ValueError,
        match=r"X has feature shape \(4,\) but "
        f"{scaler_cls.__name__} was fitted on \\(3,\\)",
    ):
        scaler.transform(np.ones((2, 4)))
    with pytest.raises(ValueError, match=r"X must be batch-first with shape \(N, features\)"):
        scaler_cls().fit(np.ones(3))
    with pytest.raises(ValueError, match=r"X contains inf"):
        scaler_cls().fit(np.array([[1.0], [np.inf]]))


def test_min_max_scaler_bad_feature_range():
    with pytest.raises(
        ValueError,
        match=r"feature_range must be a pair \(min, max\) with "
        r"min < max, got \(1, 0\)",
    ):
        MinMaxScaler(feature_range=(1, 0))


# --------------------------------------------------------------------------------- batches


def test_batches_cover_every_sample_once_per_epoch_in_a_seeded_order():
    X = np.arange(23.0).reshape(23, 1)
    y = np.arange(23)
    it = batches(X, y, batch_size=5)
    assert len(it) == 5
    epoch1 = list(it)
    assert [len(xb) for xb, _ in epoch1] == [5, 5, 5, 5, 3]
    order1 = np.concatenate([yb for _, yb in epoch1])
    np.testing.assert_array_equal(np.sort(order1), y)
    for xb, yb in epoch1:
        np.testing.assert_array_equal(xb[:, 0], yb)  # pairs stay together
    order2 = np.concatenate([yb for _, yb in it])  # the next epoch reshuffles
    assert not np.array_equal(order1, order2)
    again = batches(X, y, batch_size=5)  # same seed: the same sequence of epochs
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in again]), order1)
    np.testing.assert_array_equal(np.concatenate([yb for _, yb in again]), order2)
    other = np.concatenate([yb for _, yb in batches(X, y, batch_size=5, seed=1)])
    assert not np.array_equal(other, order1)


def test_batches_without_shuffle_drop_last_and_without_y():
    X = np.arange(10.0).reshape(5, 2)
    plain = [yb.tolist() for _, yb in batches(X, np.arange(5), 2, shuffle=False)]
    assert plain == [[0, 1], [2, 3], [4]]
    it = batches(X, batch_size=2, shuffle=False, drop_last=True)
    assert len(it) == 2
    got = list(it)
    assert all(yb is None for _, yb in got)
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in got]), X[:4])


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"batch_size": 0}, ValueError, r"batch_size must be a positive int, got 0"),
        ({"batch_size": 2.0}, TypeError, r"batch_size must be a positive int, got 2.0"),
        (
            {"batch_size": 2, "y": np.arange(4)},
            ValueError,
            r"X and y must have the same number of samples, got 5 and 4",
        ),
        ({"batch_size": 9, "drop_last": True}, ValueError, r"would give no batch at all"),
        ({"batch_size": 2, "seed": None}, TypeError, r"seed must be a non-negative int"),
    ],
)
def test_batches_errors_are_raised_at_the_call_not_at_the_first_batch(kwargs, error, message):
    with pytest.raises(error, match=message):
        batches(np.zeros((5, 2)), **kwargs)
