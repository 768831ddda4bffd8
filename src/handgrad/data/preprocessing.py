"""Preparing arrays for training: one-hot targets, splits, feature scaling, mini-batches.

* :func:`one_hot`: integer labels ``(N,)`` to a 0/1 matrix ``(N, K)``.
* :func:`train_test_split`: a shuffled split, stratified by class by default.
* :class:`StandardScaler`, :class:`MinMaxScaler`: per-feature scaling learned on the
  training set only (``fit``) and applied to any set (``transform``).
* :func:`batches`: a seeded mini-batch iterator.

Scalers treat every axis after the first as features, so they work on ``(N, d)`` tables
and on ``(N, C, H, W)`` images (one statistic per pixel) alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from .._split import stratified_indices
from ..validation import as_real_array, check_finite, check_seed

__all__ = [
    "one_hot",
    "train_test_split",
    "StandardScaler",
    "MinMaxScaler",
    "BatchIterator",
    "batches",
]


def _integer_labels(y: Any, argument: str = "y") -> np.ndarray:
    """1-D integer-valued labels as int64 (floats like ``3.0`` are accepted, ``3.5`` is not)."""
    arr = as_real_array(y, argument)
    if arr.ndim != 1:
        raise ValueError(
            f"{argument} must be 1-D class labels of shape (N,), got shape {arr.shape}"
        )
    if arr.dtype.kind == "b":
        raise TypeError(
            f"{argument} must hold integer class labels, got booleans; use {argument}.astype(int)"
        )
    if arr.dtype.kind == "f":
        check_finite(arr, argument)
        bad = np.flatnonzero(arr != np.round(arr))
        if bad.size:
            raise ValueError(
                f"{argument} must hold integer class labels, got {arr[bad[0]].item()!r} "
                f"at index {bad[0]}"
            )
    if arr.min() < 0:
        raise ValueError(f"{argument} class labels must be >= 0, got {arr.min()}")
    return arr.astype(np.int64)


# -------------------------------------------------------------------------------- one_hot


def one_hot(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot encode integer class labels.

    ``Y[i, k] = 1`` if ``y[i] == k`` else ``0``, for ``k = 0 .. num_classes - 1``.

    Parameters
    ----------
    y : array of shape (N,)
        Integer labels in ``[0, num_classes)`` (integral floats such as ``3.0`` are accepted).
    num_classes : int, optional
        Number of columns ``K``; default ``max(y) + 1``.
    dtype : str or dtype
        Dtype of the result.

    Returns
    -------
    ndarray of shape (N, K)

    Examples
    --------
    >>> one_hot([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    labels = _integer_labels(y)
    if num_classes is None:
        num_classes = int(labels.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)):
        raise TypeError(f"num_classes must be a positive int or None, got {num_classes!r}")
    elif num_classes <= 0:
        raise ValueError(f"num_classes must be a positive int, got {num_classes}")
    elif labels.max() >= num_classes:
        raise ValueError(
            f"y holds label {labels.max()} but num_classes={num_classes}; labels "
            f"must be in [0, {num_classes})"
        )
    out = np.zeros((len(labels), int(num_classes)), dtype=dtype)
    out[np.arange(len(labels)), labels] = 1
    return out


# ----------------------------------------------------------------------- train_test_split


def train_test_split(
    X: Any, y: Any, test_size: float = 0.2, stratify: bool = True, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shuffle and split ``(X, y)`` into a training and a test part (scikit-learn's order).

    With ``stratify=True`` each class ``c`` of ``n_c`` samples puts ``round(test_size * n_c)``
    samples (at least 1, at most ``n_c - 1``) in the test part, so both parts keep the class
    proportions; every class needs at least 2 samples. ``y`` may be labels ``(N,)`` or one-hot
    ``(N, K)`` (stratified by ``argmax``). With ``stratify=False``, ``round(test_size * N)``
    random samples are held out and ``y`` may hold any targets.

    Returns
    -------
    X_train, X_test, y_train, y_test
        In scikit-learn's order. Arrays keep their dtypes.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.arange(20.0).reshape(10, 2), np.array([0] * 5 + [1] * 5)
    >>> X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.4)
    >>> np.bincount(y_te)
    array([2, 2])
    """
    Xa = as_real_array(X, "X")
    ya = as_real_array(y, "y")
    if len(Xa) != len(ya):
        raise ValueError(
            f"X and y must have the same number of samples, got {len(Xa)} and {len(ya)}"
        )
    if isinstance(test_size, bool) or not isinstance(test_size, (float, np.floating)):
        raise TypeError(f"test_size must be a float in (0, 1), got {test_size!r}")
    rng = np.random.default_rng(check_seed(seed, allow_none=False))
    labels = None
    if stratify:
        labels = _integer_labels(ya.argmax(axis=1) if ya.ndim == 2 else ya)
    train, test = stratified_indices(len(Xa), float(test_size), rng, labels, "test_size")
    return Xa[train], Xa[test], ya[train], ya[test]


# --------------------------------------------------------------------------------- scalers


class _Scaler:
    """Shared checks: features are every axis after the first; fit before transform."""

    _fitted_attr = ""

    def _check(self, X: Any, fitting: bool) -> np.ndarray:
        arr = as_real_array(X, "X")
        if arr.ndim < 2:
            raise ValueError(
                f"X must be batch-first with shape (N, features), got shape "
                f"{arr.shape}; use X.reshape(-1, 1) for one feature"
            )
        check_finite(arr, "X")
        name = type(self).__name__
        if not fitting:
            if not hasattr(self, self._fitted_attr):
                raise ValueError(f"this {name} is not fitted yet; call fit(X_train) first")
            if arr.shape[1:] != self.feature_shape_:
                raise ValueError(
                    f"X has feature shape {arr.shape[1:]} but {name} was fitted on "
                    f"{self.feature_shape_}"
                )
        return arr

    @staticmethod
    def _out_dtype(arr: np.ndarray) -> np.dtype:
        return arr.dtype if arr.dtype.kind == "f" else np.dtype(np.float32)

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def _record_shape(self, arr: np.ndarray) -> None:
        self.feature_shape_ = arr.shape[1:]
        self.n_features_in_ = int(np.prod(self.feature_shape_))


class StandardScaler(_Scaler):
    """Standardize each feature to zero mean and unit variance, with train statistics.

    ``X' = (X - mean_) / scale_`` where ``mean_`` and ``scale_`` (the population standard
    deviation, ``ddof=0``) are computed per feature on the data given to ``fit``. A feature
    that is constant in the training data gets ``scale_ = 1`` (it is only centred), so nothing
    is divided by zero. Statistics are computed in float64; results keep the input's float
    dtype (integers give float32).

    Parameters
    ----------
    with_mean, with_std : bool
        Centre / scale (either can be switched off).

    Attributes
    ----------
    mean_, var_, scale_ : ndarray of shape X.shape[1:]
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> scaler = StandardScaler().fit(np.array([[0.0, 5.0], [2.0, 5.0]]))
    >>> scaler.transform(np.array([[1.0, 5.0], [3.0, 6.0]]))
    array([[0., 0.],
           [2., 1.]])
    """

    _fitted_attr = "mean_"

    def __init__(self, with_mean: bool = True, with_std: bool = True) -> None:
        self.with_mean = with_mean
        self.with_std = with_std

    def fit(self, X: Any) -> StandardScaler:
        arr = self._check(X, fitting=True).astype(np.float64)
        mean = arr.mean(axis=0)
        var = arr.var(axis=0)
        std = np.sqrt(var)
        # Constant columns leave rounding noise (~eps * |mean|) in the std; treat it as zero.
        constant = std <= 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)
        self._record_shape(arr)
        self.var_ = var
        self.scale_ = np.where(constant, 1.0, std) if self.with_std else np.ones_like(std)
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        return self

    def transform(self, X: Any) -> np.ndarray:
        arr = self._check(X, fitting=False)
        return ((arr - self.mean_) / self.scale_).astype(self._out_dtype(arr))

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo ``transform``: ``X = X' * scale_ + mean_``."""
        arr = self._check(X, fitting=False)
        return (arr * self.scale_ + self.mean_).astype(self._out_dtype(arr))


class MinMaxScaler(_Scaler):
    """Rescale each feature linearly so the training data spans ``feature_range``.

    With ``(lo, hi) = feature_range``: ``scale_ = (hi - lo) / (data_max_ - data_min_)`` and
    ``min_ = lo - data_min_ * scale_``, so ``X' = X * scale_ + min_``. A feature that is
    constant in the training data gets a range of 1 (it maps to ``lo`` + offset, no division
    by zero). Test data outside the training range maps outside ``feature_range`` (no
    clipping).

    Attributes
    ----------
    data_min_, data_max_, data_range_, scale_, min_ : ndarray of shape X.shape[1:]

    Examples
    --------
    >>> import numpy as np
    >>> MinMaxScaler().fit_transform(np.array([[0.0], [5.0], [10.0]])).ravel()
    array([0. , 0.5, 1. ])
    """

    _fitted_attr = "scale_"

    def __init__(self, feature_range: tuple[float, float] = (0.0, 1.0)) -> None:
        if (
            not isinstance(feature_range, (tuple, list))
            or len(feature_range) != 2
            or not all(isinstance(v, (int, float, np.number)) for v in feature_range)
            or not feature_range[0] < feature_range[1]
        ):
            raise ValueError(
                f"feature_range must be a pair (min, max) with min < max, got {feature_range!r}"
            )
        self.feature_range = (float(feature_range[0]), float(feature_range[1]))

    def fit(self, X: Any) -> MinMaxScaler:
        arr = self._check(X, fitting=True).astype(np.float64)
        lo, hi = self.feature_range
        self._record_shape(arr)
        self.data_min_ = arr.min(axis=0)
        self.data_max_ = arr.max(axis=0)
        self.data_range_ = self.data_max_ - self.data_min_
        safe_range = np.where(self.data_range_ > 0, self.data_range_, 1.0)
        self.scale_ = (hi - lo) / safe_range
        self.min_ = lo - self.data_min_ * self.scale_
        return self

    def transform(self, X: Any) -> np.ndarray:
        arr = self._check(X, fitting=False)
        return (arr * self.scale_ + self.min_).astype(self._out_dtype(arr))

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo ``transform``: ``X = (X' - min_) / scale_``."""
        arr = self._check(X, fitting=False)
        return ((arr - self.min_) / self.scale_).astype(self._out_dtype(arr))


# --------------------------------------------------------------------------------- batches


class BatchIterator:
    """Mini-batches of ``(X, y)``; each pass (``for`` loop) is one epoch.

    Every pass draws a new permutation from one generator seeded with ``seed``, so epoch
    ``e`` always sees the same order for the same seed. ``len()`` is the number of batches
    per epoch: ``ceil(N / batch_size)`` (``floor`` with ``drop_last=True``).
    """

    def __init__(self, X, y, batch_size: int, shuffle: bool, seed: int, drop_last: bool):
        self.X, self.y = X, y
        self.batch_size, self.shuffle, self.drop_last = batch_size, shuffle, drop_last
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        n = len(self.X)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        for b in range(len(self)):
            idx = order[b * self.batch_size : (b + 1) * self.batch_size]
            yield self.X[idx], (None if self.y is None else self.y[idx])


def batches(
    X: Any,
    y: Any = None,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int = 0,
    drop_last: bool = False,
) -> BatchIterator:
    """Iterate over mini-batches ``(X_batch, y_batch)`` (``y_batch`` is None without ``y``).

    Parameters
    ----------
    X : array (N, ...)
    y : array (N, ...), optional
    batch_size : int
        Samples per batch; the last batch is smaller when ``N`` is not a multiple, unless
        ``drop_last=True``.
    shuffle : bool
        Reshuffle before every pass; ``False`` keeps the original order.
    seed : int
        Seed of the shuffles (bit-for-bit reproducible).

    Examples
    --------
    >>> import numpy as np
    >>> it = batches(np.arange(10.0).reshape(5, 2), np.arange(5), batch_size=2, shuffle=False)
    >>> [yb.tolist() for _, yb in it]
    [[0, 1], [2, 3], [4]]
    """
    Xa = as_real_array(X, "X")
    ya = None
    if y is not None:
        ya = as_real_array(y, "y")
        if len(ya) != len(Xa):
            raise ValueError(
                f"X and y must have the same number of samples, got {len(Xa)} and {len(ya)}"
            )
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"batch_size must be a positive int, got {batch_size!r}")
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int, got {batch_size}")
    if drop_last and batch_size > len(Xa):
        raise ValueError(
            f"drop_last=True with batch_size={batch_size} > {len(Xa)} samples "
            "would give no batch at all"
        )
    return BatchIterator(
        Xa, ya, int(batch_size), bool(shuffle), check_seed(seed, allow_none=False), bool(drop_last)
    )
