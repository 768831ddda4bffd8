"""The whole setup as a URL fragment, so that a link reproduces it (as TF Playground's do).

The fragment is a readable query string, e.g.::

    dataset=moons&noise=0.1&points=1000&train=80&dseed=0&features=x1,x2
    &layers=4:tanh,2:tanh&opt=adam&lr=0.03&batch=10&seed=1

A second network (compare mode) repeats the network keys with a ``b.`` prefix. A hidden layer
is ``units:activation`` followed by any of an initializer name, ``d<rate>`` (dropout) and
``bn`` (batch normalization). Custom points travel in ``data=``: float32 coordinates and
targets and the test flags, zlib-compressed and base64url-encoded.

Reading is lenient (:func:`setup_from_query`): a link from another version, or one edited by
hand, keeps every setting it states correctly and drops the others to their defaults, with a
note for each. Writing is canonical: the same setup always gives the same string.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

import numpy as np

from . import limits
from .csvdata import DataError, check_labels
from .datasets import CATALOGUE, CUSTOM
from .spec import (
    CustomData,
    LayerSpec,
    ModelSpec,
    Setup,
    SpecError,
    make_custom,
    setup_from_dict,
)

_MAGIC = 1  # version byte of the custom-data payload
_HEADER = struct.Struct("<BI")
#: Longest ``data=`` value read: 5,000 points fit in about 60 kB.
_MAX_PAYLOAD_CHARS = 200_000


# -------------------------------------------------------------- custom points
def encode_custom(custom: CustomData) -> str:
    """``custom`` as a base64url string (no padding)."""
    n = len(custom)
    raw = (
        _HEADER.pack(_MAGIC, n)
        + custom.x.astype("<f4").tobytes()
        + custom.y.astype("<f4").tobytes()
        + np.packbits(custom.test).tobytes()
    )
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode_custom(text: str, problem: str) -> CustomData:
    """The points of a ``data=`` value, checked as an upload is.

    Raises
    ------
    DataError
    """
    if len(text) > _MAX_PAYLOAD_CHARS:
        raise DataError(f"the link's data is longer than {_MAX_PAYLOAD_CHARS:,} characters")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        # At most this many bytes are inflated, so a crafted link cannot exhaust memory.
        most = _HEADER.size + limits.MAX_POINTS * 12 + limits.MAX_POINTS // 8 + 1
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, most)
    except (binascii.Error, ValueError, zlib.error):
        raise DataError("the link's data is damaged (not valid base64/zlib)") from None
    if len(raw) < _HEADER.size:
        raise DataError("the link's data is damaged (too short)")
    magic, n = _HEADER.unpack_from(raw)
    size = _HEADER.size + n * 12 + (n + 7) // 8
    if magic != _MAGIC or not limits.MIN_POINTS <= n <= limits.MAX_POINTS or len(raw) != size:
        raise DataError("the link's data is damaged or from another version")
    offset = _HEADER.size
    x = np.frombuffer(raw, "<f4", 2 * n, offset).reshape(n, 2)
    y = np.frombuffer(raw, "<f4", n, offset + 8 * n)
    test = np.unpackbits(np.frombuffer(raw, np.uint8, (n + 7) // 8, offset + 12 * n))[:n]
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise DataError("the link's data holds NaN or infinite values")
    check_labels(y.astype(np.float64), problem)
    return make_custom(x, y, test.astype(bool))


# ---------------------------------------------------------------------- write
def _number(value: float) -> str:
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _layer_token(layer: LayerSpec) -> str:
    parts = [str(layer.units), layer.activation]
    if layer.initializer != "default":
        parts.append(layer.initializer)
    if layer.dropout:
        parts.append("d" + _number(layer.dropout))
    if layer.batchnorm:
        parts.append("bn")
    return ":".join(parts)


def _model_pairs(model: ModelSpec, prefix: str) -> list[tuple[str, str]]:
    schedule = model.schedule
    if schedule != "none":
        schedule += ":" + _number(model.schedule_value)
        if model.schedule == "step":
            schedule += f":{model.schedule_every}"
    regularization = model.regularization
    if regularization != "none":
        regularization += ":" + _number(model.regularization_rate)
    pairs = [
        ("features", ",".join(model.features)),
        ("layers", ",".join(_layer_token(layer) for layer in model.layers) or "none"),
        ("opt", model.optimizer),
        ("lr", _number(model.learning_rate)),
    ]
    if model.optimizer in ("sgd", "momentum"):
        pairs.append(("momentum", _number(model.momentum)))
    pairs += [
        ("schedule", schedule),
        ("reg", regularization),
        ("batch", str(model.batch_size)),
        ("seed", str(model.seed)),
        ("epochs", str(model.max_epochs)),
        ("target", _number(model.target_loss)),
    ]
    return [(prefix + key, value) for key, value in pairs]


def setup_to_query(setup: Setup) -> str:
    """The URL fragment (without ``#``) of ``setup``; canonical."""
    data = setup.data
    pairs = [("problem", data.problem), ("dataset", data.dataset)]
    if data.dataset == CUSTOM:
        pairs += [("train", str(data.train_percent)), ("dseed", str(data.seed))]
        pairs.append(("data", encode_custom(data.custom)))
    else:
        if CATALOGUE[(data.problem, data.dataset)]["classes"]:
            pairs.append(("classes", str(data.classes)))
        pairs += [
            ("noise", _number(data.noise)),
            ("points", str(data.points)),
            ("train", str(data.train_percent)),
            ("dseed", str(data.seed)),
        ]
    pairs += _model_pairs(setup.models[0], "")
    if setup.compare:
        pairs.append(("compare", "1"))
        pairs += _model_pairs(setup.models[1], "b.")
    if setup.ui.discretize:
        pairs.append(("discretize", "1"))
    if not setup.ui.show_test:
        pairs.append(("test", "0"))
    if setup.ui.hide:
        pairs.append(("hide", ",".join(setup.ui.hide)))
    return "&".join(f"{k}={quote(v, safe=',:.-_')}" for k, v in pairs)


# ----------------------------------------------------------------------- read
#: Every key a fragment may hold (network keys also with the ``b.`` prefix).
_KEYS = frozenset(
    "problem dataset classes noise points train dseed data compare discretize test hide "
    "features layers opt lr momentum schedule reg batch seed epochs target".split()
)


def _to_number(text: str) -> float | int | str:
    """A number when ``text`` is one (int when whole), else the text (validation complains)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if re.fullmatch(r"-?\d+", text) else value


def _parse_layer(token: str) -> dict[str, Any]:
    parts = token.split(":")
    layer: dict[str, Any] = {"units": _to_number(parts[0])}
    if len(parts) > 1:
        layer["activation"] = parts[1]
    for part in parts[2:]:
        if part == "bn":
            layer["batchnorm"] = True
        elif re.fullmatch(r"d[0-9.eE+-]+", part):
            layer["dropout"] = _to_number(part[1:])
        else:
            layer["initializer"] = part
    return layer


def _model_dict(values: dict[str, str], prefix: str) -> dict[str, Any]:
    model: dict[str, Any] = {}
    simple = {
        "opt": "optimizer",
        "lr": "learning_rate",
        "momentum": "momentum",
        "batch": "batch_size",
        "seed": "seed",
        "epochs": "max_epochs",
        "target": "target_loss",
    }
    for key, name in simple.items():
        if prefix + key in values:
            value = values[prefix + key]
            model[name] = value if key == "opt" else _to_number(value)
    if prefix + "features" in values:
        model["features"] = [f for f in values[prefix + "features"].split(",") if f]
    if prefix + "layers" in values:
        text = values[prefix + "layers"]
        tokens = [] if text in ("", "none") else text.split(",")
        model["layers"] = [_parse_layer(token) for token in tokens]
    if prefix + "schedule" in values:
        name, *numbers = values[prefix + "schedule"].split(":")
        model["schedule"] = name
        if numbers:
            model["schedule_value"] = _to_number(numbers[0])
        if len(numbers) > 1:
            model["schedule_every"] = _to_number(numbers[1])
    if prefix + "reg" in values:
        name, *numbers = values[prefix + "reg"].split(":")
        model["regularization"] = name
        if numbers:
            model["regularization_rate"] = _to_number(numbers[0])
    return model


def query_to_dict(query: str) -> tuple[dict[str, Any], CustomData | None, list[str]]:
    """The JSON form (as :func:`~handgrad.playground.spec.setup_from_dict` reads it) of a
    fragment, its custom points, and notes about what could not be read."""
    values = dict(parse_qsl(query.lstrip("#?"), keep_blank_values=True))
    notes: list[str] = []
    unknown = sorted(k for k in values if k.removeprefix("b.") not in _KEYS)
    if unknown:
        notes.append(f"ignored unknown setting(s) in the link: {', '.join(unknown)}")
    data: dict[str, Any] = {}
    for key, name in (
        ("problem", "problem"),
        ("dataset", "dataset"),
        ("classes", "classes"),
        ("noise", "noise"),
        ("points", "points"),
        ("train", "train_percent"),
        ("dseed", "seed"),
    ):
        if key in values:
            data[name] = values[key] if key in ("problem", "dataset") else _to_number(values[key])
    custom = None
    if data.get("dataset") == CUSTOM:
        try:
            custom = decode_custom(values.get("data", ""), str(data.get("problem", "")))
        except DataError as err:
            notes.append(f"custom points not loaded: {err}")
            data.pop("dataset")
    models = [_model_dict(values, "")]
    if values.get("compare") == "1" or any(k.startswith("b.") for k in values):
        models.append(_model_dict(values, "b."))
    ui: dict[str, Any] = {}
    if "discretize" in values:
        ui["discretize"] = values["discretize"] == "1"
    if "test" in values:
        ui["show_test"] = values["test"] != "0"
    if values.get("hide"):
        ui["hide"] = values["hide"].split(",")
    return {"data": data, "models": models, "ui": ui}, custom, notes


def _drop(raw: dict[str, Any], path: str) -> bool:
    """Remove the setting at ``path`` (e.g. ``models[1].layers[0].units``); False if absent."""
    keys: list[Any] = []
    for part in path.split("."):
        match = re.fullmatch(r"(\w+)((?:\[\d+\])*)", part)
        if not match:
            return False
        keys.append(match.group(1))
        keys += [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
    node: Any = raw
    for key in keys[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return False
    try:
        del node[keys[-1]]
    except (KeyError, IndexError, TypeError):
        return False
    return True


def setup_from_query(
    query: str, check: Callable[[Setup], None] | None = None
) -> tuple[Setup, list[str]]:
    """The setup a URL fragment describes, leniently, and a note per setting dropped.

    Parameters
    ----------
    query : str
        The fragment (``#`` or ``?`` in front are ignored).
    check : callable, optional
        Further checks of a whole setup (those that need the data); raises ``SpecError``.
    """
    raw, custom, notes = query_to_dict(query)
    current = None
    if custom is not None:
        current = Setup(
            data=Setup().data.__class__(
                problem=str(raw["data"].get("problem")), dataset=CUSTOM, custom=custom
            )
        )
    for _ in range(200):
        try:
            setup = setup_from_dict(raw, current)
            if check is not None:
                check(setup)
            return setup, notes
        except SpecError as err:
            notes.append(f"ignored {err.field} from the link: {err.message}")
            field = err.field
            while not _drop(raw, field):
                if "." not in field and "[" not in field:
                    raw = {"models": [{}]}
                    break
                field = re.sub(r"(\.\w+|\[\d+\])$", "", field)
    return Setup(), [*notes, "the link could not be read; showing the defaults"]
