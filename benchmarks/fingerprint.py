"""Record, or check, the exact results of a set of seeded trainings (issue 7: optimizations must
not change results).

Each configuration trains a small model for a few epochs from a fixed seed and keeps every final
weight and the loss/metric history. ``--save PATH`` writes them to an ``.npz``; ``--check PATH``
retrains and compares with ``np.array_equal`` (signed zeros compare equal), printing the first
difference. Run it with ``--save`` before a performance change and ``--check`` after::

    git stash && python benchmarks/fingerprint.py --save /tmp/before.npz && git stash pop
    python benchmarks/fingerprint.py --check /tmp/before.npz

The configurations cover what the hot paths touch: dense layers with every activation, the fused
softmax/sigmoid cross-entropy heads and unfused losses, SGD (plain, momentum, Nesterov), Momentum,
RMSprop and Adam, a decay schedule, L2/L1 penalties, max-norm, dropout, batch normalization,
convolution and pooling, sample weights, mini-batch and full-batch, float32 and float64, one and
several samples per class (moons, digits, 5000x400 assignment-sized data with 10 classes).
Equality is only meaningful on one machine and library build: BLAS kernels differ between them.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
from _common import limit_threads

import handgrad as hg
from handgrad import layers as L
from handgrad import optimizers as O


def _data(kind: str, dtype):
    rng = np.random.default_rng(7)
    if kind == "moons":
        (x, y), _ = hg.datasets.moons(n_samples=375, seed=3)
        return x.astype(dtype), y
    if kind == "digits":
        (x, y), _ = hg.datasets.digits()
        return (x[:600] / 16.0).astype(dtype), y[:600]
    if kind == "images":
        (x, y), _ = hg.datasets.digits(images=True)
        return (x[:300] / 16.0).astype(dtype), y[:300]
    if kind == "wide":  # the assignment-sized shape: 5000x400, 10 classes
        return rng.random((5000, 400), dtype=np.float64).astype(dtype), rng.integers(0, 10, 5000)
    raise ValueError(kind)


def _configs():
    """(name, data, layers factory, loss, optimizer factory, fit kwargs, dtype)."""
    f32, f64 = "float32", "float64"
    out = []
    for dtype in (f32, f64):
        for act in ("relu", "sigmoid", "tanh", "elu", "leaky_relu", "linear"):
            out.append(
                (
                    f"digits-{act}-sgd-{dtype}",
                    "digits",
                    lambda a=act: [L.Dense(32, activation=a), L.Dense(10, activation="softmax")],
                    "categorical_crossentropy",
                    lambda: O.SGD(0.1),
                    {"epochs": 3, "batch_size": 32},
                    dtype,
                )
            )
        out += [
            (
                f"digits-relu-momentum-{dtype}",
                "digits",
                lambda: [L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")],
                "categorical_crossentropy",
                lambda: O.SGD(0.05, momentum=0.9),
                {"epochs": 3, "batch_size": 64},
                dtype,
            ),
            (
                f"digits-nesterov-l2-maxnorm-{dtype}",
                "digits",
                lambda: [
                    L.Dense(
                        48,
                        activation="relu",
                        kernel_regularizer=hg.regularizers.L2(1e-3),
                        kernel_constraint=hg.constraints.MaxNorm(2.0),
                    ),
                    L.Dense(10, activation="softmax"),
                ],
                "categorical_crossentropy",
                lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
                {"epochs": 3, "batch_size": 50},
                dtype,
            ),
            (
                f"digits-adam-dropout-bn-{dtype}",
                "digits",
                lambda: [
                    L.Dense(64),
                    L.BatchNormalization(),
                    L.Activation("relu"),
                    L.Dropout(0.3),
                    L.Dense(10, activation="softmax"),
                ],
                "categorical_crossentropy",
                lambda: O.Adam(0.003),
                {"epochs": 3, "batch_size": 32},
                dtype,
            ),
            (
                f"digits-rmsprop-l1-{dtype}",
                "digits",
                lambda: [
                    L.Dense(32, activation="tanh", kernel_regularizer=hg.regularizers.L1(1e-4)),
                    L.Dense(10, activation="softmax"),
                ],
                "categorical_crossentropy",
                lambda: O.RMSprop(0.003),
                {"epochs": 3, "batch_size": 128},
                dtype,
            ),
            (
                f"digits-momentum-notes-decay-{dtype}",
                "digits",
                lambda: [L.Dense(32, activation="sigmoid"), L.Dense(10, activation="softmax")],
                "categorical_crossentropy",
                lambda: O.Momentum(hg.schedules.InverseTimeDecay(0.5, 0.5), beta=0.9),
                {"epochs": 4, "batch_size": 100},
                dtype,
            ),
            (
                f"moons-bce-{dtype}",
                "moons",
                lambda: [L.Dense(16, activation="relu"), L.Dense(1, activation="sigmoid")],
                "binary_crossentropy",
                lambda: O.SGD(0.5),
                {"epochs": 5, "batch_size": 16, "sample_weight": "ramp"},
                dtype,
            ),
            (
                f"moons-mse-{dtype}",
                "moons",
                lambda: [L.Dense(8, activation="tanh"), L.Dense(2, activation="softmax")],
                "mse",
                lambda: O.SGD(0.5),
                {"epochs": 5, "batch_size": 30},
                dtype,
            ),
            (
                f"wide-sigmoid-fullbatch-{dtype}",
                "wide",
                lambda: [L.Dense(25, activation="sigmoid"), L.Dense(10, activation="softmax")],
                "categorical_crossentropy",
                lambda: O.SGD(0.5),
                {"epochs": 5, "batch_size": None},
                dtype,
            ),
            (
                f"wide-relu-1024-{dtype}",
                "wide",
                lambda: [L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")],
                "categorical_crossentropy",
                lambda: O.SGD(0.1),
                {"epochs": 2, "batch_size": 1024},
                dtype,
            ),
        ]
        for opt_name, make_opt in (
            ("adam", lambda: O.Adam(0.001)),
            ("rmsprop", lambda: O.RMSprop(0.001)),
            ("momentum", lambda: O.Momentum(0.1, bias_correction=True)),
            ("sgd-momentum", lambda: O.SGD(0.01, momentum=0.9)),
        ):
            # Over 65536 parameters in one layer: the optimizers' chunked update path.
            out.append(
                (
                    f"wide-big-{opt_name}-{dtype}",
                    "wide",
                    lambda: [L.Dense(256, activation="relu"), L.Dense(10, activation="softmax")],
                    "categorical_crossentropy",
                    make_opt,
                    {"epochs": 1, "batch_size": 256},
                    dtype,
                )
            )
        out += [
            (
                f"cnn-{dtype}",
                "images",
                lambda: [
                    L.Conv2D(4, 3, activation="relu", padding="same"),
                    L.MaxPooling2D(2),
                    L.Conv2D(6, 3, activation="relu"),
                    L.AveragePooling2D(),
                    L.Flatten(),
                    L.Dense(10, activation="softmax"),
                ],
                "categorical_crossentropy",
                lambda: O.Adam(0.01),
                {"epochs": 2, "batch_size": 32},
                dtype,
            ),
        ]
    return out


def run_all() -> dict[str, np.ndarray]:
    results: dict[str, np.ndarray] = {}
    for name, data, make_layers, loss, make_opt, fit_kwargs, dtype in _configs():
        x, y = _data(data, dtype)
        if loss == "mse":  # two softmax outputs against one-hot targets
            y = np.eye(2, dtype=dtype)[np.ravel(y).astype(int)]
        kwargs = dict(fit_kwargs)
        if kwargs.get("sample_weight") == "ramp":
            kwargs["sample_weight"] = np.linspace(0.5, 1.5, len(x))
        model = hg.Sequential(make_layers(), seed=11, dtype=dtype)
        model.compile(loss, make_opt(), metrics=["accuracy"])
        history = model.fit(x, y, verbose=0, **kwargs)
        for key, values in history.history.items():
            results[f"{name}/history/{key}"] = np.asarray(values, dtype=np.float64)
        for i, w in enumerate(model.get_weights()):
            results[f"{name}/weight{i}"] = w
        results[f"{name}/predict"] = model.predict(x[:64])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", metavar="PATH")
    group.add_argument("--check", metavar="PATH")
    args = parser.parse_args(argv)
    limit_threads(1)
    results = run_all()
    if args.save:
        np.savez(args.save, **results)
        print(f"saved {len(results)} arrays from {len(_configs())} trainings to {args.save}")
        return 0
    with np.load(args.check, allow_pickle=False) as ref:
        expected = dict(ref)
    bad = [k for k in expected if k not in results or not np.array_equal(expected[k], results[k])]
    missing = sorted(set(results) - set(expected))
    for key in bad[:10]:
        got = results.get(key)
        if got is None:
            print(f"MISSING {key}")
            continue
        diff = np.max(np.abs(got.astype(np.float64) - expected[key].astype(np.float64)))
        print(f"DIFFERENT {key}: max abs difference {diff:.3g}")
    print(
        f"{len(expected) - len(bad)} of {len(expected)} arrays identical"
        + (f"; {len(missing)} new arrays not in the reference" if missing else "")
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
