"""Old home of ``Sequential``; see :mod:`handgrad.sequential` (and :mod:`handgrad.training`).

``from handgrad.model import Sequential, DivergenceWarning`` keeps working.
"""

from .sequential import Sequential
from .training.trainer import DivergenceWarning

__all__ = ["Sequential", "DivergenceWarning"]
