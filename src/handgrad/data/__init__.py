"""Data: built-in datasets, file loaders and preprocessing.

* :mod:`~handgrad.data.datasets` (also ``handgrad.datasets``): ``mnist20``, ``mnist5k``,
  ``digits``, ``moons``, ``circles``, ``spirals``, ``mnist``, ``list_datasets``.
* :mod:`~handgrad.data.loaders`: ``load_csv``, ``load_idx``, ``mnist``, ``cache_dir``.
* :mod:`~handgrad.data.preprocessing`: ``one_hot``, ``train_test_split``, ``StandardScaler``,
  ``MinMaxScaler``, ``batches``.
"""

from . import augmentation, datasets, loaders, preprocessing
from .datasets import list_datasets
from .loaders import cache_dir, load_csv, load_idx
from .preprocessing import (
    BatchIterator,
    MinMaxScaler,
    StandardScaler,
    batches,
    one_hot,
    train_test_split,
)

__all__ = [
    "augmentation",
    "datasets",
    "loaders",
    "preprocessing",
    "list_datasets",
    "cache_dir",
    "load_csv",
    "load_idx",
    "one_hot",
    "train_test_split",
    "StandardScaler",
    "MinMaxScaler",
    "BatchIterator",
    "batches",
]
