"""Saving and loading models: one ``.hgz`` file, data only, never pickle.

An ``.hgz`` file is a zip archive holding

* ``model.json``: format name and version, handgrad version, the architecture (every layer's
  class and config), dtype and seed, compile settings (loss, optimizer config, metrics), the
  optimizer's step count, the epoch count, the training history and the random generators'
  states (so training resumes exactly where it stopped);
* ``arrays/<k>.npy``: the weights and optimizer moments, referenced from the JSON by index.

Loading reads arrays with ``allow_pickle=False`` and refuses object arrays, malformed or
truncated files and files from a newer format version, with a ``ValueError`` naming the
problem. Writes are atomic: the archive is written to a temporary file in the destination
folder and renamed over the target only once complete, so an interrupted save never leaves a
corrupt model behind.
"""

from __future__ import annotations

import io as _io
import json
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from . import losses as losses_mod
from . import optimizers as optimizers_mod
from ._atomic import atomic_write
from .layers.base import Layer

__all__ = ["save_model", "load_model", "layer_from_config", "atomic_write", "FORMAT_VERSION"]

FORMAT_NAME = "handgrad-model"
FORMAT_VERSION = 1


# ------------------------------------------------------------------ layer registry
def _layer_classes() -> dict[str, type[Layer]]:
    from . import layers as _layers  # noqa: F401  (registers every built-in layer class)

    found: dict[str, type[Layer]] = {}
    stack = list(Layer.__subclasses__())
    while stack:
        cls = stack.pop()
        found.setdefault(cls.__name__, cls)
        stack.extend(cls.__subclasses__())
    return found


def layer_from_config(entry: dict[str, Any]) -> Layer:
    """Rebuild a layer from ``{"class_name": ..., "config": {...}}``."""
    classes = _layer_classes()
    name = entry.get("class_name")
    if name not in classes:
        raise ValueError(f"unknown layer class {name!r}; known: {', '.join(sorted(classes))}")
    return classes[name].from_config(dict(entry.get("config", {})))


# ------------------------------------------------------------------------ saving
class _ArrayStore:
    """Collects arrays while the JSON is built; each becomes ``arrays/<k>.npy``."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def ref(self, array: np.ndarray) -> int:
        self.arrays.append(np.ascontiguousarray(array))
        return len(self.arrays) - 1


def _rng_state(rng: np.random.Generator | None) -> dict | None:
    return None if rng is None else rng.bit_generator.state


def model_to_document(model, store: _ArrayStore) -> dict[str, Any]:
    """The JSON document describing ``model`` (arrays go to ``store``)."""
    if not model.built:
        raise ValueError("cannot save a model that is not built; fit it or call model.build()")
    layers = []
    for layer in model.layers:
        layers.append(
            {
                "class_name": type(layer).__name__,
                "config": layer.get_config(),
                "params": {k: store.ref(v) for k, v in layer.params.items()},
                "buffers": {k: store.ref(v) for k, v in layer.buffers.items()},
                "rng": _rng_state(layer.rng),
            }
        )
    doc: dict[str, Any] = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "handgrad_version": __version__,
        "name": model.name,
        "seed": model.seed,
        "dtype": model.dtype.name,
        "input_shape": list(model.input_shape),
        "layers": layers,
        "epochs_trained": model.epochs_trained,
        "rng": {
            "shuffle": _rng_state(model._shuffle_rng),
            "split": _rng_state(model._split_rng),
        },
        "compile": None,
        "history": None,
    }
    if model.loss is not None:
        opt = model.optimizer
        state = opt.get_state()
        doc["compile"] = {
            "loss": model.loss.name,
            "metrics": list(model.metric_fns),
            "optimizer": opt.get_config(),
            "optimizer_state": {
                **{k: v for k, v in state.items() if k != "slots"},
                "slots": {k: [store.ref(a) for a in v] for k, v in state["slots"].items()},
            },
        }
    if model.history is not None:
        doc["history"] = {
            "history": {k: [float(v) for v in vals] for k, vals in model.history.history.items()},
            "epoch": list(model.history.epoch),
            "stopped_reason": model.history.stopped_reason,
        }
    return doc


def save_model(model, path: str | os.PathLike) -> None:
    """Write ``model`` to ``path`` (``.hgz``), atomically. See the module docstring."""
    store = _ArrayStore()
    doc = model_to_document(model, store)
    text = json.dumps(doc, indent=1, allow_nan=False)

    def write(f) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            zf.writestr("model.json", text)
            for k, array in enumerate(store.arrays):
                buf = _io.BytesIO()
                np.lib.format.write_array(buf, array, allow_pickle=False)
                zf.writestr(f"arrays/{k}.npy", buf.getvalue())

    atomic_write(path, write)


# ----------------------------------------------------------------------- loading
def _bad(path, why: str) -> ValueError:
    return ValueError(f"{str(path)!r} is not a valid handgrad model file: {why}")


def _read_document(zf: zipfile.ZipFile, path) -> dict[str, Any]:
    try:
        raw = zf.read("model.json")
    except KeyError:
        raise _bad(path, "model.json is missing") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad(path, f"malformed JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise _bad(
            path,
            f"format is {doc.get('format') if isinstance(doc, dict) else None!r}, "
            f"expected {FORMAT_NAME!r}",
        )
    version = doc.get("format_version")
    if not isinstance(version, int):
        raise _bad(path, "format_version is missing")
    if version > FORMAT_VERSION:
        raise _bad(
            path,
            f"it was written in format version {version} by handgrad "
            f"{doc.get('handgrad_version')}, newer than this handgrad ({__version__}, format "
            f"{FORMAT_VERSION}); upgrade handgrad to read it",
        )
    return doc


def _read_arrays(zf: zipfile.ZipFile, path) -> list[np.ndarray]:
    names = sorted(
        (n for n in zf.namelist() if n.startswith("arrays/") and n.endswith(".npy")),
        key=lambda n: int(n[len("arrays/") : -len(".npy")]),
    )
    arrays = []
    for k, name in enumerate(names):
        if name != f"arrays/{k}.npy":
            raise _bad(path, f"array entries are not numbered 0..{len(names) - 1}")
        with zf.open(name) as f:
            try:
                array = np.lib.format.read_array(_io.BytesIO(f.read()), allow_pickle=False)
            except ValueError as err:
                raise _bad(path, f"{name} cannot be read without pickle ({err})") from None
        if array.dtype.kind not in "biuf":
            raise _bad(path, f"{name} holds dtype {array.dtype}; only numbers are allowed")
        arrays.append(array)
    return arrays


def _get(arrays: list[np.ndarray], ref: Any, path) -> np.ndarray:
    if isinstance(ref, bool) or not isinstance(ref, int) or not 0 <= ref < len(arrays):
        raise _bad(path, f"array reference {ref!r} does not exist")
    return arrays[ref]


def _set_rng(rng: np.random.Generator, state: dict | None) -> None:
    if state is not None:
        rng.bit_generator.state = state


def document_to_model(doc: dict[str, Any], arrays: list[np.ndarray], path="<memory>"):
    """Rebuild a model (weights, compile settings, optimizer state, history, RNGs)."""
    from .callbacks import History
    from .model import Sequential

    try:
        model = Sequential(seed=doc["seed"], dtype=doc["dtype"], name=doc.get("name", "sequential"))
        for entry in doc["layers"]:
            model.add(layer_from_config(entry))
        model.build(tuple(doc["input_shape"]))
        weights = []
        for entry, layer in zip(doc["layers"], model.layers, strict=True):
            weights += [_get(arrays, entry["params"][k], path) for k in layer.params]
            weights += [_get(arrays, entry["buffers"][k], path) for k in layer.buffers]
            if entry.get("rng") is not None:
                _set_rng(layer.rng, entry["rng"])
        model.set_weights(weights)
        _set_rng(model._shuffle_rng, doc["rng"]["shuffle"])
        _set_rng(model._split_rng, doc["rng"]["split"])
        model.epochs_trained = int(doc.get("epochs_trained", 0))
        comp = doc.get("compile")
        if comp:
            optimizer = optimizers_mod.get(comp["optimizer"])
            model.compile(losses_mod.get(comp["loss"]), optimizer, comp["metrics"])
            st = comp["optimizer_state"]
            slots = {k: [_get(arrays, r, path) for r in refs] for k, refs in st["slots"].items()}
            optimizer.set_state({**st, "slots": slots})
        if doc.get("history"):
            history = History()
            history.history = {k: list(v) for k, v in doc["history"]["history"].items()}
            history.epoch = list(doc["history"]["epoch"])
            history.stopped_reason = doc["history"].get("stopped_reason")
            model.history = history
    except (KeyError, TypeError, IndexError) as err:
        raise _bad(path, f"missing or malformed entry ({type(err).__name__}: {err})") from None
    return model


def load_model(path: str | os.PathLike):
    """Load a model saved by :func:`save_model` (refusing anything that is not plain data)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as zf:
            doc = _read_document(zf, path)
            arrays = _read_arrays(zf, path)
    except zipfile.BadZipFile as err:
        raise _bad(path, f"not a complete zip archive ({err}); the file may be truncated") from None
    except (EOFError, zipfile.LargeZipFile, OSError, zlib.error) as err:
        raise _bad(path, f"cannot be read ({err})") from None
    return document_to_model(doc, arrays, path)
