"""Old home of the ONNX export; see :mod:`handgrad.saving.onnx` now."""

from .saving.onnx import DEFAULT_OPSET, MIN_OPSET, export_onnx, to_onnx

__all__ = ["export_onnx", "to_onnx", "DEFAULT_OPSET", "MIN_OPSET"]
