"""Optimizers compared: gradient descent, two forms of momentum, RMSprop and Adam.

The same 64-32-10 network (ReLU hidden layer, softmax output, seed 0) is trained on
scikit-learn's 8x8 digits (``hg.datasets.digits()``, 1347 training images) with mini-batches
of 64 for the same number of epochs by each optimizer of the notes (``seeds/004``)::

    GD            W -= lr * g
    SGD momentum  v = beta*v + g;            W -= lr * v          (Keras / PyTorch form)
    Momentum      v = beta*v + (1-beta)*g;   W -= lr * v          (the notes' form)
    RMSprop       S = rho*S + (1-rho)*g^2;   W -= lr * g / (sqrt(S) + eps)
    Adam          m, v averaged as above, bias-corrected; W -= lr * m_hat / (sqrt(v_hat) + eps)

Every optimizer gets a small grid of learning rates and is shown at the one that reaches the
lowest training cost, so no optimizer loses because of a badly chosen rate. The two momentum
forms are the same algorithm: the notes' ``v`` is ``(1 - beta)`` times the Keras one, so
``Momentum(lr / (1 - beta))`` follows ``SGD(lr, momentum=beta)`` step for step (printed below);
at the *same* rate the notes' form moves no faster than plain gradient descent.

Run: ``python examples/optimizers.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

O = hg.optimizers

#: label -> (optimizer from a learning rate, learning-rate grid)
OPTIMIZERS: dict[str, tuple[Callable[[float], O.Optimizer], tuple[float, ...]]] = {
    "GD": (lambda r: O.SGD(r), (0.1, 0.3, 1.0)),
    "SGD momentum 0.9": (lambda r: O.SGD(r, momentum=0.9), (0.01, 0.03, 0.1, 0.3)),
    "Momentum beta 0.9 (notes)": (lambda r: O.Momentum(r, beta=0.9), (0.1, 0.3, 1.0, 3.0)),
    "RMSprop": (lambda r: O.RMSprop(r), (0.001, 0.003, 0.01, 0.03)),
    "Adam": (lambda r: O.Adam(r), (0.001, 0.003, 0.01, 0.03)),
}


def train(optimizer: O.Optimizer, data: tuple, epochs: int) -> dict[str, Any]:
    """Train the 64-32-10 network; a diverged run (stopped early) gets an infinite cost."""
    (X, y), (X_test, y_test) = data
    model = hg.Sequential(
        [hg.layers.Dense(32, "relu", input_dim=64), hg.layers.Dense(10, "softmax")], seed=0
    )
    model.compile("categorical_crossentropy", optimizer, metrics=["accuracy"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hg.DivergenceWarning)
        costs = model.fit(X, y, epochs=epochs, batch_size=64, verbose=0).history["loss"]
    finished = len(costs) == epochs
    return {
        "costs": costs,
        "final_cost": costs[-1] if finished else float("inf"),
        "test_accuracy": model.evaluate(X_test, y_test)["accuracy"],
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 10 if args.quick else 30
    results: dict[str, Any] = {"epochs": epochs, "best": {}, "grid": {}}
    with timer(results):
        data = hg.datasets.digits()
        for label, (make, rates) in OPTIMIZERS.items():
            runs = {rate: train(make(rate), data, epochs) for rate in rates}
            results["grid"][label] = {rate: run["final_cost"] for rate, run in runs.items()}
            rate = min(runs, key=lambda r: runs[r]["final_cost"])
            results["best"][label] = {"learning_rate": rate, **runs[rate]}
        same = train(O.SGD(0.1, momentum=0.9), data, epochs)["costs"]
        notes = train(O.Momentum(1.0, beta=0.9), data, epochs)["costs"]
        results["momentum_forms_max_diff"] = float(np.abs(np.subtract(same, notes)).max())
        curves = {
            f"{label}, lr={best['learning_rate']:g}": best["costs"]
            for label, best in results["best"].items()
        }
        fig = hg.plotting.plot_cost_curves(
            curves,
            xlabel="epoch",
            log_y=True,
            title=f"64-32-10 ReLU on digits, mini-batches of 64, {epochs} epochs",
        )
        results["figures"] = [save(fig, args.out / "optimizers_cost_curves.png")]
        pyplot().close("all")

    print_table(
        f"Training cost after {epochs} epochs (digits, 64-32-10, batch 64), best rate of each grid",
        [
            "optimizer",
            "learning rates tried: final cost",
            "best rate",
            "final cost",
            "test accuracy",
        ],
        [
            [
                label,
                ", ".join(f"{r:g}: {c:.3f}" for r, c in results["grid"][label].items()),
                f"{best['learning_rate']:g}",
                best["final_cost"],
                best["test_accuracy"],
            ]
            for label, best in results["best"].items()
        ],
    )
    print(
        "\nSGD(0.1, momentum=0.9) and the notes' Momentum(1.0, beta=0.9): largest difference "
        f"between their per-epoch costs {results['momentum_forms_max_diff']:.1e}"
    )
    print(f"Figures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
