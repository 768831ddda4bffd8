"""Old home of model saving and loading; see :mod:`handgrad.saving` now.

``from handgrad.io import save_model, load_model, atomic_write, layer_from_config`` keeps
working.
"""

from ._atomic import atomic_write
from .saving.hgz import FORMAT_NAME, FORMAT_VERSION, model_to_document, save_model
from .saving.load import document_to_model, load_model
from .saving.registry import layer_from_config

__all__ = [
    "save_model",
    "load_model",
    "layer_from_config",
    "atomic_write",
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "model_to_document",
    "document_to_model",
]
