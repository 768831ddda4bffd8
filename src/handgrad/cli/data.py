"""What the commands read: built-in datasets, CSV files, MNIST IDX folders, ``.npy`` features."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..data import datasets
from ..data.preprocessing import train_test_split

__all__ = ["BUILTIN", "CLIError", "load_data", "read_features"]

BUILTIN = ("mnist20", "mnist5k", "digits", "moons", "circles", "spirals")


class CLIError(Exception):
    """A user error: printed as one line, exit code 2."""


def load_data(spec: str, test_spec: str | None, label: str, seed: int, test_size: float):
    """Return (X_train, y_train), (X_test, y_test) for a built-in name, a CSV or an IDX folder."""
    if spec in BUILTIN:
        return getattr(datasets, spec)()
    path = Path(spec)
    if not path.exists():
        raise CLIError(
            f"dataset {spec!r} is neither a built-in name ({', '.join(BUILTIN)}) nor an existing "
            "file or folder"
        )
    if path.is_dir():
        return datasets.mnist(path, download=False)
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        X, y = datasets.load_csv(path, label=label)
    else:
        raise CLIError(f"cannot read {spec!r}: expected a .csv file or a folder of IDX files")
    if test_spec:
        Xt, yt = datasets.load_csv(test_spec, label=label)
        return (X, y), (Xt, yt)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=test_size, seed=seed)
    return (X_train, y_train), (X_test, y_test)


def read_features(spec: str, label: str):
    """Features (and labels if present) of an input file for evaluate / predict."""
    if spec in BUILTIN:
        _, (X, y) = getattr(datasets, spec)()
        return X, y
    path = Path(spec)
    if not path.is_file():
        raise CLIError(f"cannot read {spec!r}: no such file")
    if path.suffix.lower() == ".npy":
        return np.load(path, allow_pickle=False), None
    try:
        return datasets.load_csv(path, label=label)
    except ValueError as err:
        if "label" not in str(err):
            raise
        return datasets.load_csv(path, label=None), None
