"""Old home of :mod:`handgrad.tools.lr_finder`, re-exported so that old imports still work."""

from .tools.lr_finder import (
    LRFinderResult,
    centered_average,
    find_learning_rate,
    preserve_training_state,
    suggest_rate,
)

__all__ = [
    "LRFinderResult",
    "find_learning_rate",
    "preserve_training_state",
    "centered_average",
    "suggest_rate",
]
