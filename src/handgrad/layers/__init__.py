"""Layers: each one a ``forward(x, training)`` / ``backward(dy)`` pair written by hand."""

from .activation import Activation
from .base import Layer
from .dense import Dense

__all__ = ["Layer", "Dense", "Activation"]
