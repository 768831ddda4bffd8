"""handgrad: deep learning in plain NumPy, every gradient written by hand.

>>> import handgrad as hg
>>> model = hg.Sequential([hg.layers.Dense(25, "sigmoid", input_dim=400),
...                        hg.layers.Dense(10, "softmax")], seed=1)

The package's layout (which module holds what, which way imports go) is in ``ARCHITECTURE.md``.
"""

from ._version import __version__  # noqa: I001  (first: every module may read it)

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
    models,
    optimizers,
    regularizers,
    saving,
    schedules,
    tools,
    training,
    validation,
)
from ._parallel import get_num_threads, set_num_threads
from .data import datasets
from .saving.hgz import save_model
from .saving.load import load_model
from .saving.onnx import export_onnx  # imports onnx only when called
from .sequential import Sequential
from .training import TrainingSession
from .training.trainer import DivergenceWarning

# The modules' old homes (shims that re-export the new ones), so ``hg.io``, ``hg.model``,
# ``hg.onnx_export``, ``hg.diagnostics`` and ``hg.lr_finder`` keep working as attributes too.
from . import _validation, diagnostics, io, lr_finder, model, onnx_export  # noqa: E402, F401, I001

__all__ = [
    "__version__",
    "Sequential",
    "TrainingSession",
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
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "schedules",
    "tools",
    "training",
    "validation",
]

# Modules that need an optional extra load on first attribute access (``hg.plotting``), so
# ``import handgrad`` stays NumPy-only.
_LAZY_SUBMODULES = frozenset({"plotting", "tuning"})


def __getattr__(name: str):
    if name in _LAZY_SUBMODULES:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
