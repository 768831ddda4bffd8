"""Moons, circles and spirals: a linear classifier against the notes' small networks.

The notes (``seeds/001``) show three 2-D problems. On each, a model with no hidden layer
(logistic regression ``sigmoid(X @ w + b)``, or softmax regression for the three spirals) can
only draw a straight boundary, while a network with two or three tanh hidden layers bends it:

==========  =====================  ==============  ===============================
data        linear model (notes)   network         network (notes)
==========  =====================  ==============  ===============================
moons       logistic, 86%          2-4-2-1 tanh    100%
circles     logistic, 50%          2-4-2-1 tanh    100%
spirals     softmax, about 50%     2-64-32-16-3    99%
==========  =====================  ==============  ===============================

Everything is trained with Adam (full batch for the small models, mini-batches of 128 for the
spiral network) and evaluated on the held-out 20% of ``hg.datasets.moons()`` /
``circles()`` / ``spirals()``. The decision-boundary figure has one row per problem.

Run: ``python examples/toy_problems.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

#: name -> (number of classes, hidden layers of the network, the notes' accuracies)
PROBLEMS = {
    "moons": (2, (4, 2), "LR 86%, NN 100%"),
    "circles": (2, (4, 2), "LR 50%, NN 100%"),
    "spirals": (3, (64, 32, 16), "softmax ~50%, NN 99%"),
}


def build(classes: int, hidden: Sequence[int], seed: int = 0) -> hg.Sequential:
    """``2 -> hidden (tanh) -> 1 sigmoid`` for two classes, ``-> K softmax`` otherwise.

    With ``hidden=()`` this is logistic (softmax) regression.
    """
    sizes = list(hidden) + [1 if classes == 2 else classes]
    layers = [
        hg.layers.Dense(units, activation="tanh", input_dim=2 if i == 0 else None)
        for i, units in enumerate(sizes[:-1])
    ]
    output = "sigmoid" if classes == 2 else "softmax"
    layers.append(hg.layers.Dense(sizes[-1], activation=output, input_dim=None if hidden else 2))
    return hg.Sequential(layers, seed=seed)


def fit(model: hg.Sequential, classes: int, data: tuple, quick: bool) -> dict[str, float]:
    """Adam: full batch for the small models, batches of 128 for the spiral network."""
    (X, y), (X_test, y_test) = data
    loss = "binary_crossentropy" if classes == 2 else "categorical_crossentropy"
    big = model.count_params() > 100
    if big:
        optimizer, epochs, batch_size = hg.optimizers.Adam(0.01), 100 if quick else 200, 128
    else:
        optimizer, epochs, batch_size = hg.optimizers.Adam(0.05), 500 if quick else 1000, None
    model.compile(loss, optimizer, metrics=["accuracy"])
    model.fit(X, y, epochs=epochs, batch_size=batch_size, verbose=0)
    return {
        "epochs": epochs,
        "train_accuracy": model.evaluate(X, y)["accuracy"],
        "test_accuracy": model.evaluate(X_test, y_test)["accuracy"],
    }


def architecture(hidden: Sequence[int], classes: int) -> str:
    out = 1 if classes == 2 else classes
    return "-".join(map(str, (2, *hidden, out)))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    results: dict[str, Any] = {"runs": []}
    plt = pyplot()
    fig, axes = plt.subplots(3, 2, figsize=(9, 13), layout="constrained")
    with timer(results):
        for row, (name, (classes, hidden, notes)) in enumerate(PROBLEMS.items()):
            data = getattr(hg.datasets, name)()
            linear_name = "logistic regression" if classes == 2 else "softmax regression"
            for col, (label, layers) in enumerate([(linear_name, ()), ("network", hidden)]):
                model = build(classes, layers)
                scores = fit(model, classes, data, args.quick)
                results["runs"].append(
                    {
                        "data": name,
                        "model": label,
                        "architecture": architecture(layers, classes),
                        "notes": notes,
                        **scores,
                    }
                )
                (X_test, y_test) = data[1]
                hg.plotting.plot_decision_boundary(
                    model,
                    X_test,
                    y_test,
                    resolution=150,
                    ax=axes[row, col],
                    title=f"{name}: {label} ({architecture(layers, classes)}), "
                    f"test {scores['test_accuracy']:.2f}",
                )
        results["figures"] = [save(fig, args.out / "toy_problems_boundaries.png")]
    print_table(
        "Accuracy on moons, circles and spirals (Adam; test = held-out 20%)",
        ["data", "model", "layers", "epochs", "train accuracy", "test accuracy", "notes"],
        [
            [
                r["data"],
                r["model"],
                r["architecture"],
                r["epochs"],
                r["train_accuracy"],
                r["test_accuracy"],
                r["notes"],
            ]
            for r in results["runs"]
        ],
    )
    print(f"\nFigures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
