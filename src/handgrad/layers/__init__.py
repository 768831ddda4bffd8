"""Layers: each one a ``forward(x, training)`` / ``backward(dy)`` pair written by hand."""

from .activation import Activation
from .base import Layer
from .conv import Conv2D
from .dense import Dense
from .dropout import Dropout
from .normalization import BatchNormalization
from .pooling import AveragePooling2D, GlobalAveragePooling2D, MaxPooling2D
from .reshape import Flatten

__all__ = [
    "Layer",
    "Dense",
    "Activation",
    "Dropout",
    "BatchNormalization",
    "Conv2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "Flatten",
]
