"""Python code that rebuilds and retrains a page's network with handgrad, exactly.

The script makes the same data (the same generator and seed, or the user's points written out),
the same features, the same layers (from :func:`~handgrad.playground.network.layer_arguments`,
the list the page's model was built from), the same optimizer, and trains the same number of
epochs with the same batch size. Weights edited on the page are set at the epoch they were
edited. With the same handgrad version the script ends with the page's weights, bit for bit.

Every number is written so that it reads back as the same float (``repr``), so nothing is lost
between the page and the script.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

import handgrad as hg

from .datasets import CATALOGUE, CUSTOM, GENERATORS, test_fraction
from .features import FEATURES, expression
from .network import layer_arguments, output_kind
from .spec import DataSpec, ModelSpec
from .trainer import Edit


def _float32(value: float) -> str:
    """The shortest text that reads back (via float64, as ``np.array`` does) as this float32."""
    short = np.format_float_positional(np.float32(value), unique=True, trim="-")
    return short if np.float32(float(short)) == np.float32(value) else repr(float(value))


def _array(values: np.ndarray, dtype: str) -> str:
    rows = values.tolist()
    if values.ndim == 1:
        body = (
            ", ".join(_float32(v) for v in rows)
            if dtype == "float32"
            else ", ".join(str(int(v)) for v in rows)
        )
        return f"np.array([{body}], dtype=np.{dtype})"
    body = ",\n    ".join("[" + ", ".join(_float32(v) for v in row) + "]" for row in rows)
    return f"np.array([\n    {body},\n], dtype=np.{dtype})"


def data_code(data: DataSpec, y_dtype: str) -> list[str]:
    """Lines that define ``X_train, y_train, X_test, y_test`` as the page has them."""
    test = test_fraction(data.train_percent)
    if data.dataset == CUSTOM:
        custom = data.custom
        labels = custom.y if y_dtype == "float32" else custom.y.astype(np.int64)
        return [
            "# The page's own points (uploaded or clicked), split as on the page.",
            f"X_train = {_array(custom.x[~custom.test], 'float32')}",
            f"y_train = {_array(labels[~custom.test], y_dtype)}",
            f"X_test = {_array(custom.x[custom.test], 'float32')}",
            f"y_test = {_array(labels[custom.test], y_dtype)}",
        ]
    key = (data.problem, data.dataset)
    if key in GENERATORS:
        make, takes_classes = GENERATORS[key]
        extra = f", classes={data.classes}" if takes_classes else ""
        stratify = data.problem == "classification"
        return [
            f"# TF Playground's {CATALOGUE[key]['label']!r}, made by the playground's generator.",
            f"from handgrad.playground.datasets import {make.__name__}",
            "",
            f"X, y = {make.__name__}({data.points}, {data.noise!r}, {data.seed}{extra})",
            "X_train, X_test, y_train, y_test = hg.data.train_test_split(",
            f"    X, y, test_size={test!r}, stratify={stratify}, seed={data.seed}",
            ")",
        ]
    if data.dataset == "spiral":
        head = "hg.datasets.spirals"
        arguments = [f"classes={data.classes}", f"points_per_class={data.points // data.classes}"]
    else:
        head = f"hg.datasets.{data.dataset}"
        arguments = [f"n_samples={data.points}"]
    arguments += [f"noise={data.noise!r}", f"test_size={test!r}", f"seed={data.seed}"]
    call = _call("(X_train, y_train), (X_test, y_test) = " + head, arguments)
    return [
        f"# The notes' {data.dataset}, from handgrad's datasets.",
        call,
    ]


def _call(head: str, arguments: Sequence[str], indent: str = "") -> str:
    """``head(arguments)`` on one line, or one argument per line when that is too long."""
    line = f"{indent}{head}({', '.join(arguments)})"
    if len(line) <= 99:
        return line
    inner = "".join(f"{indent}    {a},\n" for a in arguments)
    return f"{indent}{head}(\n{inner}{indent})"


def _text(value: Any) -> str:
    """A Python literal in the style of the rest of the script (double-quoted strings)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _regularizer(spec: ModelSpec) -> str:
    return f"hg.regularizers.{spec.regularization}({spec.regularization_rate!r})"


def _layer_code(name: str, kwargs: dict[str, Any], spec: ModelSpec) -> str:
    parts = []
    for key, value in kwargs.items():
        if key == "units":
            parts.append(str(value))
        elif key == "kernel_regularizer":
            parts.append(f"kernel_regularizer={_regularizer(spec)}")
        elif name == "Activation" and key == "activation":
            parts.append(_text(value))
        else:
            parts.append(f"{key}={_text(value)}")
    return _call(f"hg.layers.{name}", parts, "        ") + ","


def _rate_code(spec: ModelSpec) -> str:
    rate = repr(spec.learning_rate)
    value = repr(spec.schedule_value)
    return {
        "none": rate,
        "inverse_time": f"hg.schedules.InverseTimeDecay({rate}, {value})",
        "exponential": f"hg.schedules.ExponentialDecay({rate}, {value})",
        "inverse_sqrt": f"hg.schedules.InverseSqrtDecay({rate}, {value})",
        "step": f"hg.schedules.StepDecay({rate}, {value}, {spec.schedule_every})",
    }[spec.schedule]


def _optimizer_code(spec: ModelSpec) -> str:
    rate = _rate_code(spec)
    if spec.optimizer == "sgd":
        return f"hg.optimizers.SGD({rate}, momentum={spec.momentum!r})"
    if spec.optimizer == "momentum":
        return f"hg.optimizers.Momentum({rate}, beta={spec.momentum!r})"
    return f"hg.optimizers.{'RMSprop' if spec.optimizer == 'rmsprop' else 'Adam'}({rate})"


def _describe(data: DataSpec, spec: ModelSpec) -> str:
    if data.dataset == CUSTOM:
        where = f"{len(data.custom)} points of the user's own"
    else:
        where = (
            f"{data.dataset} ({data.points} points, noise {data.noise:g}, data seed {data.seed})"
        )
    hidden = ", ".join(f"{layer.units} {layer.activation}" for layer in spec.layers) or "none"
    return (
        f"Data: {where}, {data.train_percent}% for training. Features: "
        f"{', '.join(FEATURES[f][0] for f in spec.features)}. Hidden layers: {hidden}. "
        f"Optimizer: {spec.optimizer}, learning rate {spec.learning_rate:g}; seed {spec.seed}."
    )


def _fit_line(epochs: int, start: int, batch: int | None, validation: bool) -> str:
    arguments = ["F_train", "y_train", f"epochs={epochs}"]
    arguments += [f"initial_epoch={start}"] if start else []
    arguments.append(f"batch_size={batch}")
    arguments += ["validation_data=(F_test, y_test)"] if validation else []
    return _call("model.fit", [*arguments, "verbose=0"])


def python_code(
    data: DataSpec,
    spec: ModelSpec,
    n_classes: int,
    n_train: int,
    n_test: int,
    epochs: int,
    edits: Sequence[Edit] = (),
    link: str = "",
) -> str:
    """A runnable script that rebuilds the network and trains it for ``epochs`` epochs.

    Parameters
    ----------
    data, spec : the page's data and network settings.
    n_classes, n_train, n_test : int
        As the page's dataset has them (the batch size and validation depend on them).
    epochs : int
        Epochs the page trained.
    edits : sequence of Edit
        Weights set by hand, in order.
    link : str
        The page's URL fragment, quoted in the docstring.
    """
    _, _, loss = output_kind(data.problem, n_classes)
    y_dtype = "float32" if data.problem == "regression" else "int64"
    layers = layer_arguments(spec, data.problem, n_classes)
    batch = None if spec.batch_size == 0 else min(spec.batch_size, n_train)
    metrics = [] if data.problem == "regression" else ['metrics=["accuracy"]']
    lines = [
        '"""Rebuild and retrain a network of the handgrad playground.',
        "",
        *textwrap.wrap(_describe(data, spec), 96),
        f"The page trained {epochs} epochs. With handgrad {hg.__version__} this script ends",
        "with the page's weights, bit for bit.",
    ]
    if link:
        lines += ["", "The page: handgrad playground, then open #" + link]
    lines += ['"""', "", "import numpy as np", "", "import handgrad as hg", ""]
    lines += data_code(data, y_dtype)
    names = ", ".join(spec.features)
    lines += [
        "",
        "",
        "def features(X):",
        f'    """The network\'s inputs: {names}."""',
        f"    return {expression(spec.features)}",
        "",
        "",
        "F_train, F_test = features(X_train), features(X_test)",
        "model = hg.Sequential(",
        "    [",
        *(_layer_code(name, kwargs, spec) for name, kwargs in layers),
        "    ],",
        f"    seed={spec.seed},",
        ")",
        _call(
            "model.compile",
            [f'loss="{loss}"', f"optimizer={_optimizer_code(spec)}", *metrics],
        ),
    ]
    done = 0
    for edit in edits:
        if edit.epoch > done:
            lines.append(_fit_line(edit.epoch, done, batch, n_test > 0))
            done = edit.epoch
        index = ", ".join(str(i) for i in edit.index)
        lines.append(
            f'model.layers[{edit.layer}].params["{edit.name}"][{index}] = {edit.value!r}'
            f"  # set on the page after epoch {edit.epoch}"
        )
    if epochs > done:
        lines.append(_fit_line(epochs, done, batch, n_test > 0))
    lines.append("print(model.evaluate(F_train, y_train))")
    if n_test:
        lines.append("print(model.evaluate(F_test, y_test))")
    return "\n".join(lines) + "\n"
