"""Universal approximation: one hidden layer of growing width fitting a 1-D function.

The notes (``seeds/001``) state the theorem: for a nonconstant, bounded, increasing continuous
``phi`` and any continuous ``f`` on ``[0, 1]^m``, some width ``N`` and weights give::

    F(x) = sum_{i=1..N} v_i phi(w_i^T x + b_i)      with  |F(x) - f(x)| < eps  everywhere.

``F`` is exactly a network with one hidden layer of ``N`` units and a linear output unit.
Here ``f`` is ``sin(2 pi x)`` (one period) and ``sin(6 pi x)`` (three) on ``[0, 1]`` (200
evenly spaced training points), ``phi = tanh`` and ``N`` is 1, 2, 4, 8 and 32. The input is
standardized (``StandardScaler``) so that the default initial weights already spread the
units' slopes over the interval. Training: full-batch Adam on the mean squared error, learning rate
``0.05 / (1 + 0.003 t)`` (``InverseTimeDecay``), float64. The error is measured on 1,000 points
of ``[0, 1]``, most of them between the training points.

The theorem only says a good ``F`` exists; gradient descent has to find it, so the error does
not always fall strictly with width at a fixed number of epochs; but one unit (a single monotone
step) cannot follow a sine, a handful follow one period, and three periods need more units.

Run: ``python examples/universal_approximation.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

WIDTHS = (1, 2, 4, 8, 32)
TARGETS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin(2 pi x)": lambda x: np.sin(2 * np.pi * x),
    "sin(6 pi x)": lambda x: np.sin(6 * np.pi * x),
}


def fit_width(width: int, x: np.ndarray, y: np.ndarray, epochs: int) -> hg.Sequential:
    """``F(x) = v^T tanh(w x + b) + c`` with ``width`` hidden units, trained on MSE."""
    model = hg.Sequential(
        [hg.layers.Dense(width, activation="tanh", input_dim=1), hg.layers.Dense(1)],
        seed=0,
        dtype="float64",
    )
    schedule = hg.schedules.InverseTimeDecay(0.05, decay_rate=0.003)
    model.compile("mse", hg.optimizers.Adam(schedule))
    model.fit(x, y, epochs=epochs, batch_size=None, verbose=0)
    return model


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 600 if args.quick else 3000
    x_train = np.linspace(0.0, 1.0, 200)[:, None]
    x_grid = np.linspace(0.0, 1.0, 1000)[:, None]
    scaler = hg.data.preprocessing.StandardScaler().fit(x_train)
    results: dict[str, Any] = {"epochs": epochs, "mse": {}, "max_error": {}}
    plt = pyplot()
    fig, axes = plt.subplots(1, len(TARGETS), figsize=(6 * len(TARGETS), 4.5), layout="constrained")
    with timer(results):
        for ax, (name, f) in zip(axes, TARGETS.items(), strict=True):
            ax.plot(x_grid[:, 0], f(x_grid[:, 0]), color="black", linewidth=3, label="f(x)")
            for width in WIDTHS:
                model = fit_width(width, scaler.transform(x_train), f(x_train), epochs)
                fitted = model.predict(scaler.transform(x_grid))
                error = fitted - f(x_grid)
                results["mse"][(name, width)] = float(np.mean(error**2))
                results["max_error"][(name, width)] = float(np.abs(error).max())
                ax.plot(x_grid[:, 0], fitted[:, 0], label=f"{width} units")
            ax.set(title=f"f(x) = {name}", xlabel="x", ylabel="F(x)")
            ax.legend()
        results["figures"] = [save(fig, args.out / "universal_approximation.png")]
    print_table(
        f"One tanh hidden layer, {epochs} epochs of Adam: error on 1000 points of [0, 1]",
        ["hidden units", *(f"MSE {n}" for n in TARGETS), *(f"max error {n}" for n in TARGETS)],
        [
            [
                w,
                *(f"{results['mse'][(n, w)]:.2e}" for n in TARGETS),
                *(f"{results['max_error'][(n, w)]:.3f}" for n in TARGETS),
            ]
            for w in WIDTHS
        ],
    )
    print(f"\nFigures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
