"""Models by their Keras names: ``handgrad.models.Sequential`` and ``load_model``.

>>> import handgrad as hg
>>> hg.models.Sequential is hg.Sequential and hg.models.load_model is hg.load_model
True
"""

from .saving.load import load_model
from .sequential import Sequential

__all__ = ["Sequential", "load_model"]
