"""The ``.hgz`` model file: one zip archive, data only, never pickle.

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

from .._atomic import atomic_write
from .._version import __version__

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "model_to_document",
    "save_model",
    "read_model_file",
    "array_ref",
    "bad_file",
]

FORMAT_NAME = "handgrad-model"
FORMAT_VERSION = 1


# ------------------------------------------------------------------------ saving
class _ArrayStore:
    """Collects arrays while the JSON is built; each becomes ``arrays/<k>.npy``."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def ref(self, array: np.ndarray) -> int:
        self.arrays.append(np.ascontiguousarray(array))
        return len(self.arrays) - 1


def model_to_document(model, store: _ArrayStore) -> dict[str, Any]:
    """The JSON document describing ``model`` (arrays go to ``store``)."""
    if not model.built:
        raise ValueError("cannot save a model that is not built; fit it or call model.build()")
    rng = model.get_rng_state()
    layers = []
    for layer, layer_rng in zip(model.layers, rng["layers"], strict=True):
        layers.append(
            {
                "class_name": type(layer).__name__,
                "config": layer.get_config(),
                "params": {k: store.ref(v) for k, v in layer.params.items()},
                "buffers": {k: store.ref(v) for k, v in layer.buffers.items()},
                "rng": layer_rng,
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
        "rng": {"shuffle": rng["shuffle"], "split": rng["split"]},
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
def bad_file(path, why: str) -> ValueError:
    return ValueError(f"{str(path)!r} is not a valid handgrad model file: {why}")


def _read_document(zf: zipfile.ZipFile, path) -> dict[str, Any]:
    try:
        raw = zf.read("model.json")
    except KeyError:
        raise bad_file(path, "model.json is missing") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise bad_file(path, f"malformed JSON ({err})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise bad_file(
            path,
            f"format is {doc.get('format') if isinstance(doc, dict) else None!r}, "
            f"expected {FORMAT_NAME!r}",
        )
    version = doc.get("format_version")
    if not isinstance(version, int):
        raise bad_file(path, "format_version is missing")
    if version > FORMAT_VERSION:
        raise bad_file(
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
            raise bad_file(path, f"array entries are not numbered 0..{len(names) - 1}")
        with zf.open(name) as f:
            try:
                array = np.lib.format.read_array(_io.BytesIO(f.read()), allow_pickle=False)
            except ValueError as err:
                raise bad_file(path, f"{name} cannot be read without pickle ({err})") from None
        if array.dtype.kind not in "biuf":
            raise bad_file(path, f"{name} holds dtype {array.dtype}; only numbers are allowed")
        arrays.append(array)
    return arrays


def array_ref(arrays: list[np.ndarray], ref: Any, path) -> np.ndarray:
    if isinstance(ref, bool) or not isinstance(ref, int) or not 0 <= ref < len(arrays):
        raise bad_file(path, f"array reference {ref!r} does not exist")
    return arrays[ref]


def read_model_file(path: str | os.PathLike) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The JSON document and the arrays of an ``.hgz`` file, checked to be plain data.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` naming the problem for
    anything that is not a complete handgrad model file of a version this handgrad reads.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    try:
        with zipfile.ZipFile(path) as zf:
            doc = _read_document(zf, path)
            arrays = _read_arrays(zf, path)
    except zipfile.BadZipFile as err:
        raise bad_file(
            path, f"not a complete zip archive ({err}); the file may be truncated"
        ) from None
    except (EOFError, zipfile.LargeZipFile, OSError, zlib.error) as err:
        raise bad_file(path, f"cannot be read ({err})") from None
    return doc, arrays
