"""``load_model``: an ``.hgz`` file back into a ready :class:`~handgrad.Sequential`.

It sits above the model (it builds one), while the format itself (:mod:`.hgz`) sits below it so
that ``Sequential.save`` can write files; see ``ARCHITECTURE.md``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import losses as losses_mod
from .. import optimizers as optimizers_mod
from ..callbacks import History
from ..sequential import Sequential
from .hgz import array_ref, bad_file, read_model_file
from .registry import layer_from_config

__all__ = ["load_model", "document_to_model"]


def document_to_model(doc: dict[str, Any], arrays: list[np.ndarray], path="<memory>"):
    """Rebuild a model (weights, compile settings, optimizer state, history, RNGs)."""
    try:
        model = Sequential(seed=doc["seed"], dtype=doc["dtype"], name=doc.get("name", "sequential"))
        for entry in doc["layers"]:
            model.add(layer_from_config(entry))
        model.build(tuple(doc["input_shape"]))
        weights = []
        for entry, layer in zip(doc["layers"], model.layers, strict=True):
            weights += [array_ref(arrays, entry["params"][k], path) for k in layer.params]
            weights += [array_ref(arrays, entry["buffers"][k], path) for k in layer.buffers]
        model.set_weights(weights)
        model.set_rng_state(
            {
                "shuffle": doc["rng"]["shuffle"],
                "split": doc["rng"]["split"],
                "layers": [entry.get("rng") for entry in doc["layers"]],
            }
        )
        model.epochs_trained = int(doc.get("epochs_trained", 0))
        comp = doc.get("compile")
        if comp:
            optimizer = optimizers_mod.get(comp["optimizer"])
            model.compile(losses_mod.get(comp["loss"]), optimizer, comp["metrics"])
            st = comp["optimizer_state"]
            slots = {
                k: [array_ref(arrays, r, path) for r in refs] for k, refs in st["slots"].items()
            }
            optimizer.set_state({**st, "slots": slots})
        if doc.get("history"):
            history = History()
            history.history = {k: list(v) for k, v in doc["history"]["history"].items()}
            history.epoch = list(doc["history"]["epoch"])
            history.stopped_reason = doc["history"].get("stopped_reason")
            model.history = history
    except (KeyError, TypeError, IndexError) as err:
        raise bad_file(path, f"missing or malformed entry ({type(err).__name__}: {err})") from None
    return model


def load_model(path: str | os.PathLike):
    """Load a model saved by ``save_model`` / ``model.save`` (refusing anything but plain data).

    The model comes back built, with its weights, compile settings, optimizer state, history
    and random generators, so training resumes exactly where it stopped.
    """
    doc, arrays = read_model_file(path)
    return document_to_model(doc, arrays, path)
