"""Hidden-layer activations compared: sigmoid, tanh, ReLU, leaky ReLU and ELU.

The notes (``seeds/000``) list the five activations and their derivatives::

    sigmoid     a = 1/(1+exp(-z))             g'(z) = a(1-a)            (at most 1/4)
    tanh        a = tanh(z)                   g'(z) = 1-a^2
    relu        a = max(0, z)                 g'(z) = 1 if z >= 0 else 0
    leaky_relu  a = max(0.01z, z)             g'(z) = 1 if z >= 0 else 0.01
    elu         a = z if z >= 0 else exp(z)-1 g'(z) = 1 if z >= 0 else exp(z)

The same networks are trained on scikit-learn's 8x8 digits (``hg.datasets.digits()``) with each
of them in every hidden layer: plain mini-batch gradient descent (``SGD(0.05)``, batches of
64), seed 0, the library's default initializers (He normal after the ReLU family, Glorot
uniform otherwise) and a softmax output. With one hidden layer sigmoid is only slower; with
three, the backpropagated gradient is multiplied by ``g'(z) <= 1/4`` once per layer and the
sigmoid network barely leaves its starting cost (the "vanishing gradient"). The table also
shows the norm of the first layer's gradient ``dW1`` on the first batch, before any update.

Run: ``python examples/activations.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
DEPTHS = {"1 hidden layer (64-64-10)": 1, "3 hidden layers (64-64-64-64-10)": 3}


def build(activation: str, depth: int) -> hg.Sequential:
    hidden = [
        hg.layers.Dense(64, activation, input_dim=64 if i == 0 else None) for i in range(depth)
    ]
    model = hg.Sequential([*hidden, hg.layers.Dense(10, "softmax")], seed=0)
    model.compile("categorical_crossentropy", hg.optimizers.SGD(0.05), metrics=["accuracy"])
    return model


def first_gradient_norm(activation: str, depth: int, X: np.ndarray, y: np.ndarray) -> float:
    """``||dW1||`` on the first 64 samples at initialization (learning rate 0: no update)."""
    model = build(activation, depth)
    model.compile("categorical_crossentropy", hg.optimizers.SGD(0.0))
    model.train_on_batch(X[:64], y[:64])
    return float(np.linalg.norm(model.layers[0].grads["W"]))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 10 if args.quick else 30
    results: dict[str, Any] = {"epochs": epochs, "runs": []}
    plt = pyplot()
    with timer(results):
        (X, y), (X_test, y_test) = hg.datasets.digits()
        fig, axes = plt.subplots(1, len(DEPTHS), figsize=(13, 4.8), layout="constrained")
        for ax, (label, depth) in zip(axes, DEPTHS.items(), strict=True):
            curves = {}
            for activation in ACTIVATIONS:
                model = build(activation, depth)
                history = model.fit(X, y, epochs=epochs, batch_size=64, verbose=0)
                curves[activation] = history.history["loss"]
                results["runs"].append(
                    {
                        "activation": activation,
                        "depth": depth,
                        "gradient_norm": first_gradient_norm(activation, depth, X, y),
                        "final_cost": history.history["loss"][-1],
                        "train_accuracy": model.evaluate(X, y)["accuracy"],
                        "test_accuracy": model.evaluate(X_test, y_test)["accuracy"],
                    }
                )
            hg.plotting.plot_cost_curves(curves, xlabel="epoch", title=label, ax=ax)
        results["figures"] = [
            save(fig, args.out / "activations_cost_curves.png"),
            save(hg.plotting.plot_activations(ACTIVATIONS), args.out / "activations_functions.png"),
        ]
    print_table(
        f"Digits, SGD(0.05), batches of 64, {epochs} epochs: the same network, five activations",
        [
            "hidden layers",
            "activation",
            "initial norm of dW1",
            "final cost",
            "train accuracy",
            "test accuracy",
        ],
        [
            [
                r["depth"],
                r["activation"],
                f"{r['gradient_norm']:.2e}",
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
