"""Reading data files: the assignment's CSV tables, MNIST-format IDX files, the full MNIST.

Every loader validates the file once, before building arrays, and raises ``ValueError``
naming the file (and the line or byte count) when something is wrong. Files written by
handgrad itself (dataset caches, downloads) go through :func:`atomic_write_bytes`, so an
interrupted run never leaves a half-written file behind.

* :func:`load_csv`: a header row, one row per sample, comma or tab separated.
* :func:`load_idx`: the IDX format of MNIST and Fashion-MNIST, gzipped or raw.
* :func:`mnist`: the four standard MNIST files from a folder (downloaded when missing).
* :func:`cache_dir`: where datasets and downloads are kept.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import sys
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from .._atomic import atomic_write_bytes

__all__ = ["load_csv", "load_idx", "mnist", "cache_dir", "atomic_write_bytes", "MNIST_FILES"]

PathLike = str | os.PathLike

# ----------------------------------------------------------------------------- cache folder


def cache_dir() -> Path:
    """Folder where handgrad keeps built datasets and downloads (created on first use).

    ``$HANDGRAD_CACHE`` if set; otherwise ``%LOCALAPPDATA%\\handgrad\\Cache`` on Windows,
    ``$XDG_CACHE_HOME/handgrad`` or ``~/.cache/handgrad`` elsewhere.
    """
    override = os.environ.get("HANDGRAD_CACHE")
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "handgrad" / "Cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "handgrad"


# ------------------------------------------------------------------------------------ CSV


def _sniff_delimiter(header: str, path: PathLike) -> str:
    if "\t" in header:
        return "\t"
    if "," in header or len(header.split()) <= 1:
        return ","  # a single column needs no delimiter
    raise ValueError(
        f"{path}: line 1 (the header) has no comma or tab; expected a comma- or tab-separated "
        "table with a header row such as '0,1,...,399,y'"
    )


def _parse_cells(rows: list[list[str]], columns: list[str], lines: list[int], path) -> np.ndarray:
    """Convert the cells to float64 one by one, naming the first one that is not a number.

    The slow path of :func:`load_csv`: it runs only when the vectorized conversion fails.
    """
    table = np.empty((len(rows), len(columns)), dtype=np.float64)
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            try:
                table[r, c] = float(cell)
            except ValueError:
                what = "an empty cell" if not cell.strip() else repr(cell)
                raise ValueError(
                    f"{path}: line {lines[r]}, column {columns[c]!r}: expected a number, got {what}"
                ) from None
    return table


def _read_table(path: PathLike, label: str | None) -> tuple[list[str], np.ndarray, list[int]]:
    """Header, float64 cells and the file line of every data row, validated."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise ValueError(
            f"{path}: the file is empty or its first line is blank; expected a header row "
            "naming the columns"
        )
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(first, path))
    header = [name.strip() for name in next(reader)]
    if label is not None and label not in header:
        shown = ", ".join(repr(h) for h in header[:8]) + (", ..." if len(header) > 8 else "")
        raise ValueError(
            f"{path}: line 1 (the header) has no label column {label!r}; found {len(header)} "
            f"columns: {shown}. Pass label=<name> for another label column (label=None for "
            "features only)"
        )
    rows, lines = [], []
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank lines, e.g. a trailing newline
        if len(row) != len(header):
            raise ValueError(
                f"{path}: line {reader.line_num} has {len(row)} cells but the header has "
                f"{len(header)} columns"
            )
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise ValueError(f"{path}: the header is followed by no data rows")
    try:
        table = np.array(rows, dtype=np.float64)
    except ValueError:
        table = _parse_cells(rows, header, lines, path)
    if not np.isfinite(table).all():
        r, c = np.argwhere(~np.isfinite(table))[0]
        raise ValueError(
            f"{path}: line {lines[r]}, column {header[c]!r}: {rows[r][c].strip()!r} is not a "
            "finite number; remove or impute missing values first"
        )
    return header, table, lines


def load_csv(
    path: PathLike, label: str | None = "y", label_dtype: str = "int64"
) -> tuple[np.ndarray, np.ndarray] | np.ndarray:
    """Load a table with one sample per row and a label column (the assignment's format).

    The first line is a header naming the columns, e.g. ``0,1,...,399,y`` (400 pixel columns
    and the label ``y``). An unnamed first column (a pandas index: empty name or
    ``Unnamed: 0``) is dropped. Comma- and tab-separated files are accepted (the header
    decides). Every other column becomes a feature, in file order.

    Parameters
    ----------
    path : str or path-like
        The CSV / TSV file.
    label : str or None
        Name of the label column; ``None`` reads a table of features only (new inputs to
        predict) and returns ``X`` alone.
    label_dtype : {"int64", "float32", "float64"}
        ``"int64"`` (class labels; non-integer values raise) or a float dtype for
        regression targets.

    Returns
    -------
    X : ndarray of float32, shape (N, features)
    y : ndarray of ``label_dtype``, shape (N,)
        Not returned when ``label=None``.

    Raises
    ------
    ValueError
        Naming the file and line: no header, missing label column, a row of the wrong width,
        a cell that is not a finite number, a non-integer class label, no data rows.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "digits.csv"
    >>> _ = path.write_text("x1,x2,y\\n0.5,1.0,3\\n0.0,0.25,7\\n")
    >>> X, y = load_csv(path)
    >>> X.shape, y.tolist()
    ((2, 2), [3, 7])
    """
    if label is not None and not isinstance(label, str):
        raise TypeError(f"label must be a column name (str) or None, got {label!r}")
    if label_dtype not in ("int64", "float32", "float64"):
        raise ValueError(
            f"label_dtype must be 'int64', 'float32' or 'float64', got {label_dtype!r}"
        )
    header, table, lines = _read_table(path, label)
    keep = [i for i, name in enumerate(header) if name != label]
    if keep and keep[0] == 0 and header[0] in ("", "Unnamed: 0"):
        keep = keep[1:]
    if not keep:
        raise ValueError(f"{path}: the table has no feature columns besides {label!r}")
    X = table[:, keep].astype(np.float32)
    if label is None:
        return X
    y = table[:, header.index(label)]
    if label_dtype == "int64":
        bad = np.flatnonzero(y != np.round(y))
        if bad.size:
            raise ValueError(
                f"{path}: line {lines[bad[0]]}, column {label!r}: class labels must be "
                f"integers, got {float(y[bad[0]])!r}; use label_dtype='float32' for regression "
                "targets"
            )
    return X, y.astype(label_dtype)


# ------------------------------------------------------------------------------------ IDX

_IDX_IMAGES, _IDX_LABELS = 2051, 2049  # 0x00000803: ubyte, 3 dims; 0x00000801: ubyte, 1 dim
_IDX_TYPES = {
    0x08: "unsigned byte",
    0x09: "signed byte",
    0x0B: "short",
    0x0C: "int",
    0x0D: "float",
    0x0E: "double",
}


def _read_maybe_gzip(path: PathLike) -> bytes:
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":  # gzip magic bytes, whatever the file is called
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as err:
            raise ValueError(f"{path}: corrupt gzip data ({err})") from None
    return data


def _parse_idx(path: PathLike, expected_ndim: int) -> np.ndarray:
    """Parse an IDX file of unsigned bytes with ``expected_ndim`` dimensions.

    Layout: 4-byte big-endian magic ``0x0000 TT DD`` (TT: dtype code, DD: number of
    dimensions), DD big-endian uint32 sizes, then the data in C order.
    """
    data = _read_maybe_gzip(path)
    kind = "images" if expected_ndim == 3 else "labels"
    expected_magic = _IDX_IMAGES if expected_ndim == 3 else _IDX_LABELS
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(
            f"{path}: not an IDX file (it does not start with two zero bytes); expected MNIST "
            f"{kind} with magic number {expected_magic}"
        )
    type_code, ndim = data[2], data[3]
    if type_code != 0x08:
        name = _IDX_TYPES.get(type_code, "unknown")
        raise ValueError(
            f"{path}: IDX dtype code 0x{type_code:02X} ({name}) is not supported; MNIST "
            f"{kind} use 0x08 (unsigned byte)"
        )
    magic = int.from_bytes(data[:4], "big")
    if magic != expected_magic:
        raise ValueError(
            f"{path}: magic number {magic} ({ndim} dimensions) does not match MNIST {kind}; "
            f"expected {expected_magic} ({expected_ndim} dimensions)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: truncated header ({len(data)} bytes, expected {header})")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        shape = "x".join(map(str, dims))
        raise ValueError(
            f"{path}: the header declares {kind} of shape {shape} ({expected} bytes of data) "
            f"but the file holds {len(data) - header} bytes after the header"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(dims)


def load_idx(
    images_path: PathLike, labels_path: PathLike, images: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST / Fashion-MNIST images and labels from IDX files (gzipped or not).

    Gzip is detected from the file's first bytes (``1f 8b``), not its name. The images file
    must have magic number 2051 (unsigned bytes, 3 dimensions: count, rows, cols), the labels
    file 2049 (unsigned bytes, 1 dimension); the declared sizes must match the file length
    and the two counts must agree.

    Parameters
    ----------
    images_path, labels_path : str or path-like
    images : bool
        ``False``: ``X`` of shape ``(N, rows*cols)``; ``True``: ``(N, 1, rows, cols)``
        (channels-first, for convolutional networks).

    Returns
    -------
    X : ndarray of float32 in [0, 1]
        Pixel values divided by 255.
    y : ndarray of int64, shape (N,)
    """
    raw = _parse_idx(images_path, 3)
    labels = _parse_idx(labels_path, 1)
    if len(raw) != len(labels):
        raise ValueError(
            f"{images_path} holds {len(raw)} images but {labels_path} holds {len(labels)} "
            "labels; the two files must describe the same samples"
        )
    n, rows, cols = raw.shape
    shape = (n, 1, rows, cols) if images else (n, rows * cols)
    X = (raw.astype(np.float32) / np.float32(255.0)).reshape(shape)
    return X, labels.astype(np.int64)


# ---------------------------------------------------------------------------------- MNIST

MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
# File stem -> MD5 of the gzipped file, as published with the dataset's mirrors.
MNIST_FILES = {
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}


def _fetch(url: str, timeout: float = 30.0) -> bytes:
    """Download ``url`` (the one network access of handgrad; tests replace it)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    return None


def _download(folder: Path, stem: str) -> Path:
    """Fetch ``stem + '.gz'`` from the first mirror that answers and verify its MD5."""
    errors = []
    for mirror in MNIST_MIRRORS:
        try:
            data = _fetch(mirror + stem + ".gz")
        except (urllib.error.URLError, OSError) as err:
            errors.append(f"{mirror}: {err}")
            continue
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        if digest != MNIST_FILES[stem]:
            errors.append(f"{mirror}: MD5 {digest} != expected {MNIST_FILES[stem]}")
            continue
        target = folder / (stem + ".gz")
        atomic_write_bytes(target, data)
        return target
    raise urllib.error.URLError("; ".join(errors))


def _missing_message(folder: Path, missing: list[str], reason: str) -> str:
    names = ", ".join(f"{s}.gz" for s in missing)
    return (
        f"MNIST files not found in {folder}: {names} ({reason}). Download them from "
        f"{MNIST_MIRRORS[0]} (or any MNIST mirror) and put them, gzipped or unpacked, in "
        f"{folder}; or pass path=<folder holding the four IDX files>"
    )


def mnist(
    path: PathLike | None = None, download: bool = True, images: bool = False
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The full MNIST: 60,000 training and 10,000 test digits, 28x28, from IDX files.

    ``path`` is a folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each optionally gzipped
    (``.gz``). Default folder: ``cache_dir() / "mnist"``. Missing files are downloaded when
    ``download=True`` (MD5-checked, written atomically); offline, or with ``download=False``,
    ``FileNotFoundError`` says which files to put where.

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        ``X`` float32 in [0, 1] of shape ``(N, 784)`` (``(N, 1, 28, 28)`` with
        ``images=True``); ``y`` int64 labels 0-9.
    """
    for flag, name in ((download, "download"), (images, "images")):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {flag!r}")
    folder = Path(path) if path is not None else cache_dir() / "mnist"
    if folder.exists() and not folder.is_dir():
        raise ValueError(
            f"path must be a folder holding the MNIST IDX files, got the file {folder}"
        )
    found = {stem: _find(folder, stem) for stem in MNIST_FILES}
    missing = [stem for stem, p in found.items() if p is None]
    if missing and not download:
        raise FileNotFoundError(_missing_message(folder, missing, "download=False"))
    for stem in missing:
        try:
            found[stem] = _download(folder, stem)
        except urllib.error.URLError as err:
            still = [s for s in missing if found[s] is None]
            raise FileNotFoundError(
                _missing_message(folder, still, f"download failed: {err.reason}")
            ) from None
    train = load_idx(found["train-images-idx3-ubyte"], found["train-labels-idx1-ubyte"], images)
    test = load_idx(found["t10k-images-idx3-ubyte"], found["t10k-labels-idx1-ubyte"], images)
    return train, test
