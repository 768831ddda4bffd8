"""handgrad: deep learning in plain NumPy, every gradient written by hand.

>>> import handgrad as hg
>>> model = hg.Sequential([hg.layers.Dense(25, "sigmoid", input_dim=400),
...                        hg.layers.Dense(10, "softmax")], seed=1)
"""

__version__ = "0.1.0"

from . import (
    activations,
    callbacks,
    constraints,
    data,
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
    schedules,
)
from ._parallel import get_num_threads, set_num_threads
from .data import datasets
from .io import load_model, save_model
from .model import DivergenceWarning, Sequential
from .onnx_export import export_onnx  # imports onnx only when called

__all__ = [
    "__version__",
    "Sequential",
    "load_model",
    "save_model",
    "export_onnx",
    "DivergenceWarning",
    "get_num_threads",
    "set_num_threads",
    "activations",
    "callbacks",
    "constraints",
    "data",
    "datasets",
    "gradcheck",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
    "schedules",
]

# Modules that need an optional extra load on first attribute access (``hg.plotting``), so
# ``import handgrad`` stays NumPy-only.
_LAZY_SUBMODULES = frozenset({"plotting", "tuning"})


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
