"""Weight initialization compared: zeros, 0.01 * randn, Glorot and He.

The notes (``seeds/000``, ``seeds/002`` section 3.5, ``seeds/003``): if every weight starts
equal, every hidden unit computes the same output, receives the same gradient and is updated
the same way, so the units *stay* identical however long the network trains; a layer of 25
units is then worth one. Small random weights (``0.01 * randn``) break the symmetry, but in a
deep network they shrink the signal at every layer. Glorot (``Var W = 2/(fan_in + fan_out)``)
and He (``Var W = 2/fan_in``, for ReLU) keep the signal's scale from layer to layer.

Two networks on scikit-learn's 8x8 digits (``hg.datasets.digits()``), mini-batches of 64,
seed 0, each initializer applied to every layer (biases start at zero):

* shallow: 64-25-10, sigmoid hidden layer (the assignment's shape), ``SGD(0.5)``;
* deep: 64-64-64-64-64-10, four ReLU hidden layers, ``SGD(0.05, momentum=0.9)``.

"unit spread" is ``max_j max_i |W[i, j] - W[i, 0]|`` over a hidden layer's kernel ``W`` (one
column per unit) after training, the largest over the hidden layers: exactly 0 means all
units of each layer are still identical.

Run: ``python examples/initialization.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

INITIALIZERS = ("zeros", "small_normal", "glorot_uniform", "he_normal")
NETWORKS = {
    "shallow 64-25-10 sigmoid": (("sigmoid",), 25, lambda: hg.optimizers.SGD(0.5)),
    "deep 64-64x4-10 ReLU": (("relu",) * 4, 64, lambda: hg.optimizers.SGD(0.05, momentum=0.9)),
}


def build(activations: Sequence[str], units: int, initializer: str) -> hg.Sequential:
    hidden = [
        hg.layers.Dense(
            units, activation, input_dim=64 if i == 0 else None, kernel_initializer=initializer
        )
        for i, activation in enumerate(activations)
    ]
    output = hg.layers.Dense(10, "softmax", kernel_initializer=initializer)
    return hg.Sequential([*hidden, output], seed=0)


def unit_spread(W: np.ndarray) -> float:
    """Largest difference between any unit's incoming weights (a column) and unit 0's."""
    return float(np.abs(W - W[:, :1]).max())


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 10 if args.quick else 30
    results: dict[str, Any] = {"epochs": epochs, "runs": []}
    plt = pyplot()
    with timer(results):
        (X, y), (X_test, y_test) = hg.datasets.digits()
        fig, axes = plt.subplots(1, len(NETWORKS), figsize=(13, 4.8), layout="constrained")
        for ax, (label, (activations, units, optimizer)) in zip(
            axes, NETWORKS.items(), strict=True
        ):
            curves = {}
            for initializer in INITIALIZERS:
                model = build(activations, units, initializer)
                model.compile("categorical_crossentropy", optimizer(), metrics=["accuracy"])
                costs = model.fit(X, y, epochs=epochs, batch_size=64, verbose=0).history["loss"]
                curves[initializer] = costs
                hidden = [layer.params["W"] for layer in model.layers[:-1]]
                results["runs"].append(
                    {
                        "network": label,
                        "initializer": initializer,
                        "unit_spread": max(unit_spread(W) for W in hidden),
                        "first_layer_norm": float(np.linalg.norm(hidden[0])),
                        "final_cost": costs[-1],
                        "train_accuracy": model.evaluate(X, y)["accuracy"],
                        "test_accuracy": model.evaluate(X_test, y_test)["accuracy"],
                    }
                )
            hg.plotting.plot_cost_curves(curves, xlabel="epoch", title=label, ax=ax)
        results["figures"] = [save(fig, args.out / "initialization_cost_curves.png")]
    print_table(
        f"Digits, {epochs} epochs, batches of 64: the same networks from four initializations",
        [
            "network",
            "initializer",
            "unit spread",
            "norm of W1",
            "final cost",
            "train accuracy",
            "test accuracy",
        ],
        [
            [
                r["network"],
                r["initializer"],
                f"{r['unit_spread']:.3g}",
                f"{r['first_layer_norm']:.3g}",
                r["final_cost"],
                r["train_accuracy"],
                r["test_accuracy"],
            ]
            for r in results["runs"]
        ],
    )
    print(f"\nFigures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
