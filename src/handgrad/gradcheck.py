"""Old home of :mod:`handgrad.tools.gradcheck`, re-exported so that old imports still work."""

from .tools.gradcheck import (
    check_layer,
    check_loss,
    check_model,
    numerical_gradient,
    relative_error,
)

__all__ = [
    "relative_error",
    "numerical_gradient",
    "check_layer",
    "check_loss",
    "check_model",
]
