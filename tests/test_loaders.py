"""File loaders on small files written by the tests: CSV tables, IDX files (gzipped and raw),
the MNIST folder loader (the network is never touched), and atomic writes."""

from __future__ import annotations

import gzip
import hashlib
import os
import urllib.error

import numpy as np
import pytest

from handgrad.data import loaders
from handgrad.data.loaders import atomic_write_bytes, load_csv, load_idx, mnist

# ------------------------------------------------------------------------------------ CSV


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_load_csv_reads_the_assignment_format(tmp_path):
    rng = np.random.default_rng(0)
    pixels = np.round(rng.uniform(0, 1, size=(30, 400)), 6)
    labels = np.arange(30) % 10
    header = ",".join([str(i) for i in range(400)] + ["y"])
    body = "\n".join(
        ",".join([*map(repr, map(float, row)), str(lab)])
        for row, lab in zip(pixels, labels, strict=True)
    )
    X, y = load_csv(write(tmp_path / "digits.csv", header + "\n" + body + "\n\n"))
    assert X.shape == (30, 400) and X.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X, pixels.astype(np.float32))
    np.testing.assert_array_equal(y, labels)


def test_load_csv_drops_an_unnamed_index_column_and_reads_tabs(tmp_path):
    comma = write(tmp_path / "a.csv", ",0,1,y\n0,0.5,1.5,3\n1,2.5,3.5,7\n")
    tab = write(tmp_path / "a.tsv", "Unnamed: 0\t0\t1\ty\n0\t0.5\t1.5\t3\n1\t2.5\t3.5\t7\n")
    for path in (comma, tab):
        X, y = load_csv(path)
        np.testing.assert_array_equal(X, [[0.5, 1.5], [2.5, 3.5]])
        np.testing.assert_array_equal(y, [3, 7])


def test_load_csv_label_column_anywhere_with_another_name(tmp_path):
    path = write(tmp_path / "t.csv", "digit,a,b\n1,0.25,4\n0,-1,2e3\n")
    X, y = load_csv(path, label="digit")
    np.testing.assert_array_equal(X, [[0.25, 4], [-1, 2000]])
    np.testing.assert_array_equal(y, [1, 0])


def test_load_csv_features_only_with_label_none(tmp_path):
    path = write(tmp_path / "inputs.csv", ",0,1\n0,0.5,1\n1,2,3\n")
    X = load_csv(path, label=None)
    assert isinstance(X, np.ndarray) and X.dtype == np.float32
    np.testing.assert_array_equal(X, [[0.5, 1], [2, 3]])
    with pytest.raises(TypeError, match="label must be a column name"):
        load_csv(path, label=3)


def test_load_csv_float_targets_on_request(tmp_path):
    path = write(tmp_path / "r.csv", "x,y\n1,0.5\n2,1.5\n")
    X, y = load_csv(path, label_dtype="float32")
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0.5, 1.5])
    with pytest.raises(
        ValueError,
        match=r"r.csv: line 2, column 'y': class labels must be "
        r"integers, got 0.5; use label_dtype='float32'",
    ):
        load_csv(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "0,1,label\n1,2,3\n",
            r"line 1 \(the header\) has no label column 'y'; found 3 "
            r"columns: '0', '1', 'label'",
        ),
        ("0,1,y\n1,2,3\n4,abc,5\n", r"line 3, column '1': expected a number, got 'abc'"),
        ("0,1,y\n1,,3\n", r"line 2, column '1': expected a number, got an empty cell"),
        ("0,1,y\n1,2,3\n4,5\n", r"line 3 has 2 cells but the header has 3 columns"),
        ("0,1,y\n1,2,3\n4,5,6,7\n", r"line 3 has 4 cells but the header has 3 columns"),
        ("0,1,y\n1,nan,3\n", r"line 2, column '1': 'nan' is not a finite number"),
        ("0,1,y\n", r"the header is followed by no data rows"),
        ("", r"the file is empty"),
        ("0 1 y\n1 2 3\n", r"has no comma or tab"),
        ("y\n1\n2\n", r"no feature columns besides 'y'"),
    ],
)
def test_load_csv_malformed_files_name_the_file_and_line(tmp_path, text, message):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(ValueError, match=message) as info:
        load_csv(path)
    assert str(path) in str(info.value)


def test_load_csv_missing_file_and_bad_label_dtype(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(ValueError, match="label_dtype must be 'int64', 'float32' or 'float64'"):
        load_csv(tmp_path / "nope.csv", label_dtype="int8")


# ------------------------------------------------------------------------------------ IDX


def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    """IDX encoding: magic 0x0000 <type> <ndim>, big-endian uint32 sizes, then the data."""
    header = bytes([0, 0, type_code, array.ndim])
    header += b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def idx_pair(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 3, 4), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    return tmp_path, images, labels


@pytest.mark.parametrize("gz_images", [False, True])
@pytest.mark.parametrize("gz_labels", [False, True])
def test_load_idx_raw_and_gzipped(idx_pair, gz_images, gz_labels):
    folder, images, labels = idx_pair
    img_bytes, lab_bytes = idx_bytes(images), idx_bytes(labels)
    # Names deliberately say nothing: gzip is detected from the magic bytes.
    (folder / "img").write_bytes(gzip.compress(img_bytes) if gz_images else img_bytes)
    (folder / "lab").write_bytes(gzip.compress(lab_bytes) if gz_labels else lab_bytes)
    X, y = load_idx(folder / "img", folder / "lab")
    assert X.shape == (5, 12) and X.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_allclose(X, images.reshape(5, 12) / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, labels)
    Xi, _ = load_idx(folder / "img", folder / "lab", images=True)
    assert Xi.shape == (5, 1, 3, 4)
    np.testing.assert_array_equal(Xi.reshape(5, 12), X)


def test_load_idx_values_span_zero_to_one(tmp_path):
    images = np.array([[[0, 255], [128, 1]]], dtype=np.uint8)
    (tmp_path / "i").write_bytes(idx_bytes(images))
    (tmp_path / "l").write_bytes(idx_bytes(np.array([9], dtype=np.uint8)))
    X, y = load_idx(tmp_path / "i", tmp_path / "l")
    np.testing.assert_allclose(X, [[0.0, 1.0, 128 / 255, 1 / 255]], rtol=1e-7)
    np.testing.assert_array_equal(y, [9])


def _malformed_cases(images, labels):
    good_i, good_l = idx_bytes(images), idx_bytes(labels)
    return {
        "labels file given as images": (
            good_l,
            good_l,
            r"img: magic number 2049 \(1 dimensions\) does not match MNIST "
            r"images; expected 2051 \(3 dimensions\)",
        ),
        "images file given as labels": (
            good_i,
            good_i,
            r"lab: magic number 2051 \(3 dimensions\) does not match MNIST "
            r"labels; expected 2049",
        ),
        "float dtype code": (
            idx_bytes(images, 0x0D),
            good_l,
            r"img: IDX dtype code 0x0D \(float\) is not "
            r"supported; MNIST images use 0x08 \(unsigned byte\)",
        ),
        "not an IDX file": (b"P5 3 4 255\n" + bytes(12), good_l, r"img: not an IDX file"),
        "truncated data": (
            good_i[:-1],
            good_l,
            r"img: the header declares images of shape 5x3x4 \(60 bytes "
            r"of data\) but the file holds 59 bytes after the header",
        ),
        "extra data": (good_i + b"\0", good_l, r"but the file holds 61 bytes"),
        "truncated header": (
            good_i[:10],
            good_l,
            r"img: truncated header \(10 bytes, "
            r"expected 16\)",
        ),
        "count mismatch": (
            good_i,
            idx_bytes(labels[:4]),
            r"img holds 5 images but .*lab "
            r"holds 4 labels",
        ),
        "corrupt gzip": (gzip.compress(good_i)[:-12], good_l, r"img: corrupt gzip data"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "labels file given as images",
        "images file given as labels",
        "float dtype code",
        "not an IDX file",
        "truncated data",
        "extra data",
        "truncated header",
        "count mismatch",
        "corrupt gzip",
    ],
)
def test_load_idx_malformed_files(idx_pair, case):
    folder, images, labels = idx_pair
    img, lab, message = _malformed_cases(images, labels)[case]
    (folder / "img").write_bytes(img)
    (folder / "lab").write_bytes(lab)
    with pytest.raises(ValueError, match=message):
        load_idx(folder / "img", folder / "lab")


# ---------------------------------------------------------------------------------- MNIST


def mnist_folder_files(rng, n_train=6, n_test=4):
    """Small stand-ins for the four MNIST files (5x5 images), as raw IDX bytes."""
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 5, 5), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 5, 5), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    return arrays, {stem: idx_bytes(a) for stem, a in arrays.items()}


def test_mnist_reads_a_folder_of_raw_and_gzipped_files(tmp_path):
    arrays, files = mnist_folder_files(np.random.default_rng(0))
    for i, (stem, data) in enumerate(files.items()):
        if i % 2:
            (tmp_path / (stem + ".gz")).write_bytes(gzip.compress(data))
        else:
            (tmp_path / stem).write_bytes(data)
    (Xtr, ytr), (Xte, yte) = mnist(tmp_path, download=False)
    assert Xtr.shape == (6, 25) and Xte.shape == (4, 25)
    np.testing.assert_array_equal(ytr, arrays["train-labels-idx1-ubyte"])
    np.testing.assert_allclose(
        Xte * 255, arrays["t10k-images-idx3-ubyte"].reshape(4, 25), atol=1e-4
    )
    (Xi, _), _ = mnist(tmp_path, download=False, images=True)
    assert Xi.shape == (6, 1, 5, 5)


def test_mnist_without_files_and_download_false_says_what_to_put_where(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"")
    with pytest.raises(FileNotFoundError) as info:
        mnist(tmp_path, download=False)
    message = str(info.value)
    assert f"MNIST files not found in {tmp_path}" in message
    for stem in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        assert f"{stem}.gz" in message
    assert "train-images-idx3-ubyte.gz" not in message  # that one is present
    assert "download=False" in message


def test_mnist_offline_raises_file_not_found(tmp_path, monkeypatch):
    calls = []

    def offline(url, timeout=30.0):
        calls.append(url)
        raise urllib.error.URLError("no network in tests")

    monkeypatch.setattr(loaders, "_fetch", offline)
    with pytest.raises(FileNotFoundError, match=r"download failed: .*no network in tests") as e:
        mnist(tmp_path / "mnist")
    assert "train-images-idx3-ubyte.gz" in str(e.value) and str(tmp_path / "mnist") in str(e.value)
    assert calls == [m + "train-images-idx3-ubyte.gz" for m in loaders.MNIST_MIRRORS]


def test_mnist_download_verifies_checksums_and_writes_atomically(tmp_path, monkeypatch):
    _, files = mnist_folder_files(np.random.default_rng(1))
    served = {stem: gzip.compress(data) for stem, data in files.items()}
    monkeypatch.setattr(
        loaders, "MNIST_FILES", {s: hashlib.md5(b).hexdigest() for s, b in served.items()}
    )
    first_mirror_down = {"down": True}

    def fetch(url, timeout=30.0):
        if url.startswith(loaders.MNIST_MIRRORS[0]) and first_mirror_down["down"]:
            raise urllib.error.URLError("mirror 1 down")
        return served[url.rsplit("/", 1)[1].removesuffix(".gz")]

    monkeypatch.setattr(loaders, "_fetch", fetch)
    folder = tmp_path / "new" / "mnist"
    (Xtr, ytr), (Xte, _) = mnist(folder)
    assert Xtr.shape == (6, 25) and Xte.shape == (4, 25)
    assert sorted(p.name for p in folder.iterdir()) == sorted(s + ".gz" for s in served)
    # Second call reads the files; the network is not asked again.
    monkeypatch.setattr(loaders, "_fetch", lambda url, timeout=30.0: pytest.fail(url))
    (X2, y2), _ = mnist(folder)
    np.testing.assert_array_equal(X2, Xtr)
    np.testing.assert_array_equal(y2, ytr)


def test_mnist_download_with_a_wrong_checksum_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(loaders, "_fetch", lambda url, timeout=30.0: b"tampered")
    with pytest.raises(FileNotFoundError, match=r"MD5 [0-9a-f]{32} != expected f68b3c2d"):
        mnist(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_mnist_path_must_be_a_folder(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(ValueError, match="path must be a folder"):
        mnist(path)


# ------------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_whole_files_and_cleans_up_on_failure(tmp_path, monkeypatch):
    target = tmp_path / "sub" / "data.bin"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_bytes(target, b"third")
    assert target.read_bytes() == b"second"
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]
