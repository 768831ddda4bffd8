"""The layer registry: class names in saved files -> layer classes, explicitly.

Every built-in layer is registered below; a layer class of your own is registered with the
:func:`register_layer` decorator (as Keras' ``register_keras_serializable``) so that a model
using it can be rebuilt from its config or an ``.hgz`` file. Nothing is found by walking
subclasses: loading a file can only create the classes listed here.

>>> import handgrad as hg
>>> @hg.saving.register_layer
... class Tripling(hg.layers.Layer):
...     def forward(self, x, training=False):
...         return 3 * x
>>> hg.saving.get_layer_class("Tripling") is Tripling
True
>>> type(hg.saving.layer_from_config({"class_name": "Tripling", "config": {}})).__name__
'Tripling'
"""

from __future__ import annotations

from typing import Any

from ..layers import (
    Activation,
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    Layer,
    MaxPooling2D,
)

__all__ = ["register_layer", "get_layer_class", "registered_layers", "layer_from_config"]

_LAYERS: dict[str, type[Layer]] = {}


def register_layer(cls: type[Layer] | None = None, *, name: str | None = None):
    """Register a layer class under ``name`` (default: its class name); usable as a decorator.

    Registering the same class again is a no-op; another class under a taken name raises.
    """

    def register(layer_cls: type[Layer]) -> type[Layer]:
        if not (isinstance(layer_cls, type) and issubclass(layer_cls, Layer)):
            raise TypeError(f"register_layer expects a Layer subclass, got {layer_cls!r}")
        key = name or layer_cls.__name__
        known = _LAYERS.get(key)
        if known is not None and known is not layer_cls:
            raise ValueError(
                f"a layer class named {key!r} is already registered ({known.__module__}."
                f"{known.__qualname__}); register yours under another name=..."
            )
        _LAYERS[key] = layer_cls
        return layer_cls

    return register if cls is None else register(cls)


def get_layer_class(name: str) -> type[Layer]:
    """The class registered under ``name``; unknown names raise listing the known ones."""
    if name not in _LAYERS:
        raise ValueError(
            f"unknown layer class {name!r}; known: {', '.join(registered_layers())} (a layer "
            "class of your own needs @handgrad.saving.register_layer)"
        )
    return _LAYERS[name]


def registered_layers() -> list[str]:
    """Names of every registered layer class, sorted."""
    return sorted(_LAYERS)


def layer_from_config(entry: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``{"class_name": ..., "config": {...}}``."""
    return get_layer_class(entry.get("class_name")).from_config(dict(entry.get("config", {})))


for _cls in (
    Dense,
    Activation,
    Dropout,
    BatchNormalization,
    Conv2D,
    MaxPooling2D,
    AveragePooling2D,
    GlobalAveragePooling2D,
    Flatten,
):
    register_layer(_cls)
