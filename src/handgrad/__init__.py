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
    gradcheck,
    initializers,
    layers,
    losses,
    metrics,
    optimizers,
    regularizers,
    schedules,
)
from .model import DivergenceWarning, Sequential

__all__ = [
    "__version__",
    "Sequential",
    "DivergenceWarning",
    "activations",
    "callbacks",
    "constraints",
    "gradcheck",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "regularizers",
    "schedules",
]
