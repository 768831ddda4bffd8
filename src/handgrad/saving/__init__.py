"""Saving models: the layer registry, the ``.hgz`` file format, loading, ONNX export.

======================  ==============================================================  =====
module                  what it holds                                                   level
======================  ==============================================================  =====
``registry.py``         layer class names in files -> classes (``register_layer``)      low
``hgz.py``              the ``.hgz`` format: ``save_model``, ``read_model_file``        low
``load.py``             ``load_model``: a file back into a ``Sequential``               high
``onnx.py``             ``export_onnx`` / ``to_onnx``                                   high
======================  ==============================================================  =====

The low half sits below :mod:`handgrad.sequential` (``Sequential.save`` writes ``.hgz`` files,
``Sequential.from_config`` looks classes up); the high half needs ``Sequential`` itself. This
package's namespace therefore holds the low half only, and the high half is imported where it
is used: ``handgrad.load_model`` (also ``handgrad.models.load_model``,
``handgrad.saving.load.load_model``) and ``handgrad.export_onnx``
(``handgrad.saving.onnx.export_onnx``).
"""

from .hgz import FORMAT_NAME, FORMAT_VERSION, model_to_document, read_model_file, save_model
from .registry import get_layer_class, layer_from_config, register_layer, registered_layers

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "get_layer_class",
    "layer_from_config",
    "model_to_document",
    "read_model_file",
    "register_layer",
    "registered_layers",
    "save_model",
]
