"""The playground's datasets: the notes' problems, TF Playground's, and the user's own points.

Classification: ``moons``, ``circles`` and ``spiral`` come from :mod:`handgrad.datasets` (the
notes' problems, ``spiral`` with any number of arms: 3 is the notes' 3-class one); ``xor`` and
``gauss`` are TF Playground's, made here. Regression: ``plane`` and ``gauss`` (TF Playground's
two). Every generator is seeded, so a setup in a URL gives the same points anywhere.

All points live at the scale of ``handgrad.datasets`` (coordinates of about -1..2) so that the
defaults of the layers and optimizers work without rescaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

import handgrad as hg

#: (problem, name) -> what the page needs to offer the dataset: its label, default noise and,
#: for the ones with a choice of classes, the default number of classes.
CATALOGUE: dict[tuple[str, str], dict[str, Any]] = {
    ("classification", "moons"): {"label": "moons", "noise": 0.1, "classes": None},
    ("classification", "circles"): {"label": "circles", "noise": 0.05, "classes": None},
    ("classification", "xor"): {"label": "XOR", "noise": 0.05, "classes": None},
    ("classification", "gauss"): {"label": "gauss", "noise": 0.1, "classes": 2},
    ("classification", "spiral"): {"label": "spiral", "noise": 0.2, "classes": 3},
    ("regression", "plane"): {"label": "plane", "noise": 0.05, "classes": None},
    ("regression", "gauss"): {"label": "gauss", "noise": 0.05, "classes": None},
}
#: The dataset name of uploaded or clicked points.
CUSTOM = "custom"


@dataclass
class Dataset:
    """Points split into a training and a test part.

    Attributes
    ----------
    problem : {"classification", "regression"}
    x_train, x_test : ndarray of shape (N, 2), float32
    y_train, y_test : ndarray of shape (N,)
        int64 class labels, or float32 targets for regression.
    n_classes : int
        Number of classes (1 for regression).
    domain : tuple of 4 floats
        ``(x1_min, x1_max, x2_min, x2_max)`` of the heat maps: a square around every point.
    """

    problem: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    domain: tuple[float, float, float, float]


# ------------------------------------------------------------------ generators
def xor(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's XOR: uniform points in [-1, 1]^2, class 1 where x1 * x2 > 0.

    Points are kept a little away from the axes (as TF Playground does), then jittered by
    Gaussian noise of standard deviation ``noise``; labels come from the unjittered points.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    X += np.where(X > 0, 0.05, -0.05)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    X += noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y


def gauss(n: int, noise: float, seed: int, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` Gaussian blobs on a circle of radius 0.6 (two blobs: TF Playground's).

    Blob ``k`` is centred at angle ``pi/4 + 2 pi k / classes``; its standard deviation is
    ``0.1 + noise``. Points are dealt to the blobs in turn.
    """
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    angle = np.pi / 4 + 2 * np.pi * y / classes
    centres = 0.6 * np.column_stack([np.cos(angle), np.sin(angle)])
    X = centres + (0.1 + noise) * rng.standard_normal((n, 2))
    return X.astype(np.float32), y.astype(np.int64)


def plane(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's regression plane: target ``(x1 + x2) / 2`` on uniform points in [-1, 1]^2.

    The inputs are jittered by ``noise`` after the targets are computed.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = (X[:, 0] + X[:, 1]) / 2
    X += noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y.astype(np.float32)


# Centres and signs of the six bumps of the regression "gauss" (TF Playground's layout / 6).
_BUMPS = np.array(
    [[-0.66, 0.42, 1], [0.0, 0.42, -1], [0.66, 0.42, 1], [-0.66, -0.42, -1], [0.0, -0.42, 1]]
    + [[0.66, -0.42, -1]]
)


def gauss_bumps(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's regression "gauss": six bumps of height +1 or -1, width 0.2.

    Target ``sum_k s_k exp(-|x - c_k|^2 / (2 * 0.2^2))`` on uniform points in [-1, 1]^2; the
    inputs are jittered by ``noise`` afterwards.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    d2 = ((X[:, None, :] - _BUMPS[None, :, :2]) ** 2).sum(axis=2)
    y = (_BUMPS[:, 2] * np.exp(-d2 / (2 * 0.2**2))).sum(axis=1)
    X += noise * rng.standard_normal((n, 2))
    return X.astype(np.float32), y.astype(np.float32)


#: Generators made here: (problem, name) -> (function, whether it takes ``classes``).
GENERATORS = {
    ("classification", "xor"): (xor, False),
    ("classification", "gauss"): (gauss, True),
    ("regression", "plane"): (plane, False),
    ("regression", "gauss"): (gauss_bumps, False),
}


# ------------------------------------------------------------------------ build
def test_fraction(train_percent: int) -> float:
    """The test share of a training percentage (80 -> 0.2 exactly, not 1 - 0.8)."""
    return (100 - train_percent) / 100


def domain_of(points: np.ndarray) -> tuple[float, float, float, float]:
    """A square around ``points`` with 8% margins (or [-1, 1]^2 when there are none)."""
    if len(points) == 0:
        return (-1.0, 1.0, -1.0, 1.0)
    low, high = points.min(axis=0).astype(float), points.max(axis=0).astype(float)
    centre = (low + high) / 2
    half = max(float((high - low).max()) / 2 * 1.08, 0.5)
    return (centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half)


Split = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _builtin_split(data: Any) -> Split:
    """Train and test arrays of the notes' problems, straight from :mod:`handgrad.datasets`."""
    test_size = test_fraction(data.train_percent)
    if data.dataset == "moons":
        return hg.datasets.moons(
            n_samples=data.points, noise=data.noise, test_size=test_size, seed=data.seed
        )
    if data.dataset == "circles":
        return hg.datasets.circles(
            n_samples=data.points, noise=data.noise, test_size=test_size, seed=data.seed
        )
    return hg.datasets.spirals(
        classes=data.classes,
        points_per_class=data.points // data.classes,
        noise=data.noise,
        test_size=test_size,
        seed=data.seed,
    )


def build(data: Any) -> Dataset:
    """The points a :class:`~handgrad.playground.spec.DataSpec` describes.

    Parameters
    ----------
    data : DataSpec
        A validated data specification (custom points included).

    Returns
    -------
    Dataset
    """
    classification = data.problem == "classification"
    if data.dataset == CUSTOM:
        custom = data.custom
        test = custom.test
        X, y = custom.x, custom.y
        x_train, y_train, x_test, y_test = X[~test], y[~test], X[test], y[test]
    elif (data.problem, data.dataset) in GENERATORS:
        make, takes_classes = GENERATORS[(data.problem, data.dataset)]
        extra = {"classes": data.classes} if takes_classes else {}
        X, y = make(data.points, data.noise, data.seed, **extra)
        x_train, x_test, y_train, y_test = hg.data.train_test_split(
            X,
            y,
            test_size=test_fraction(data.train_percent),
            stratify=classification,
            seed=data.seed,
        )
    else:
        (x_train, y_train), (x_test, y_test) = _builtin_split(data)
    if classification:
        y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
        n_classes = int(max(y_train.max(initial=0), y_test.max(initial=0)) + 1)
    else:
        y_train, y_test = y_train.astype(np.float32), y_test.astype(np.float32)
        n_classes = 1
    points = np.concatenate([x_train, x_test])
    return Dataset(
        problem=data.problem,
        x_train=x_train.astype(np.float32),
        y_train=y_train,
        x_test=x_test.astype(np.float32),
        y_test=y_test,
        n_classes=n_classes,
        domain=domain_of(points),
    )


def split_flags(x: np.ndarray, y: np.ndarray, problem: str, train_percent: int, seed: int):
    """Which of the user's points are test points (a boolean mask), for a train share.

    Stratified by class when every class has two points or more (so both parts see every
    class); otherwise, and for regression, a plain shuffled split.
    """
    n = len(x)
    if n < 2:
        return np.zeros(n, dtype=bool)
    classification = problem == "classification"
    counts = np.bincount(y.astype(np.int64)) if classification else np.array([])
    stratify = classification and bool(np.all(counts[counts > 0] >= 2))
    index = np.arange(n, dtype=np.float32)
    _, test_index, _, _ = hg.data.train_test_split(
        index, y, test_size=test_fraction(train_percent), stratify=stratify, seed=seed
    )
    mask = np.zeros(n, dtype=bool)
    mask[test_index.astype(np.int64)] = True
    return mask


def thumbnails(points: int = 160) -> dict[str, dict[str, list]]:
    """A small sample of each dataset at its default settings, for the page's dataset buttons.

    Keyed ``"problem/name"``; a dataset whose optional package is missing is left out.
    """
    from_spec: dict[str, dict[str, list]] = {}
    for (problem, name), info in CATALOGUE.items():
        spec = _Defaults(problem, name, info["classes"] or 3, info["noise"], points)
        try:
            data = build(spec)
        except ImportError:
            continue
        x = np.concatenate([data.x_train, data.x_test])
        y = np.concatenate([data.y_train, data.y_test]).astype(np.float64)
        from_spec[f"{problem}/{name}"] = {
            "x": np.round(x.astype(np.float64), 3).tolist(),
            "y": np.round(y, 3).tolist(),
        }
    return from_spec


@dataclass(frozen=True)
class _Defaults:
    """The fields of a DataSpec that :func:`build` reads, for :func:`thumbnails`."""

    problem: str
    dataset: str
    classes: int
    noise: float
    points: int
    train_percent: int = 80
    seed: int = 0
    custom: None = None
