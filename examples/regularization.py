"""Regularization compared on a network built to overfit: none, L2, dropout, early stopping.

Data: noisy moons (``hg.datasets.moons(noise=0.3)``) with only 60 training points, 100
validation points (watched by early stopping) and 1,000 test points. Network: 2-128-128-1
(ReLU, sigmoid output), about 17,000 weights for 60 points, trained full batch with
``Adam(0.01)``. The notes' regularizers (``seeds/000``):

* none: the network memorizes the 60 points (training accuracy 1.0) with a wiggly boundary;
* L2: ``kernel_regularizer=L2(0.01)`` on every layer adds ``0.01 * sum(W**2)`` to the cost and
  ``0.02 * W`` to ``dW`` (Keras' convention; the notes' ``lambda/(2m) ||W||^2`` is the same
  with ``lambda = 2m * 0.01``);
* dropout: ``Dropout(0.5)`` after each hidden layer (inverted dropout: the kept units are scaled
  by ``1/keep_prob`` in training, nothing changes at test time);
* early stopping: ``EarlyStopping("val_loss", patience=30, restore_best_weights=True)``.

The table reports accuracy and cross-entropy (without the L2 penalty) on the training,
validation and test points;
overfitting shows as a perfect training score with a test loss several times the regularized
ones. Figures: training and validation cost per epoch (with the L2 penalty in the L2
panel), and the four decision boundaries.

Run: ``python examples/regularization.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

P = hg.data.preprocessing
METHODS = ("none", "L2(0.01)", "dropout 0.5", "early stopping")


def load() -> dict[str, tuple]:
    """60 training, 100 validation and 1000 test points of noisy moons."""
    (X, y), (X_rest, y_rest) = hg.datasets.moons(
        n_samples=1160, noise=0.3, test_size=1100 / 1160, seed=0
    )
    X_val, X_test, y_val, y_test = P.train_test_split(X_rest, y_rest, test_size=1000 / 1100)
    return {"train": (X, y), "validation": (X_val, y_val), "test": (X_test, y_test)}


def build(method: str) -> hg.Sequential:
    """2-128-128-1 ReLU network, with the regularizer ``method`` names."""
    l2 = hg.regularizers.L2(0.01) if method.startswith("L2") else None
    layers: list = []
    for i in range(2):
        layers.append(
            hg.layers.Dense(128, "relu", input_dim=2 if i == 0 else None, kernel_regularizer=l2)
        )
        if method.startswith("dropout"):
            layers.append(hg.layers.Dropout(0.5))
    layers.append(hg.layers.Dense(1, "sigmoid", kernel_regularizer=l2))
    model = hg.Sequential(layers, seed=0)
    model.compile("binary_crossentropy", hg.optimizers.Adam(0.01), metrics=["accuracy"])
    return model


def cross_entropy(y: np.ndarray, p: np.ndarray) -> float:
    """Mean binary cross-entropy without the L2 penalty (``evaluate`` would include it)."""
    p = np.clip(p.astype(np.float64), 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def run(method: str, data: dict[str, tuple], epochs: int) -> tuple[hg.Sequential, dict]:
    model = build(method)
    callbacks = []
    if method == "early stopping":
        callbacks = [hg.callbacks.EarlyStopping("val_loss", patience=30, restore_best_weights=True)]
    history = model.fit(
        *data["train"],
        epochs=epochs,
        batch_size=None,
        verbose=0,
        validation_data=data["validation"],
        callbacks=callbacks,
    )
    row: dict[str, Any] = {"method": method, "epochs": len(history.history["loss"])}
    for part, (X, y) in data.items():
        row[f"{part}_accuracy"] = model.evaluate(X, y)["accuracy"]
        row[f"{part}_loss"] = cross_entropy(y, model.predict(X)[:, 0])
    row["curves"] = {"training": history.history["loss"], "validation": history.history["val_loss"]}
    return model, row


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 300 if args.quick else 1000
    results: dict[str, Any] = {"epochs": epochs, "runs": {}}
    plt = pyplot()
    with timer(results):
        data = load()
        curves_fig, curve_axes = plt.subplots(1, 4, figsize=(18, 4.2), layout="constrained")
        bound_fig, bound_axes = plt.subplots(1, 4, figsize=(18, 4.4), layout="constrained")
        for method, ax_c, ax_b in zip(METHODS, curve_axes, bound_axes, strict=True):
            model, row = run(method, data, epochs)
            results["runs"][method] = row
            hg.plotting.plot_cost_curves(
                row["curves"],
                xlabel="epoch",
                ylabel="cost",
                log_y=True,
                title=method,
                ax=ax_c,
            )
            hg.plotting.plot_decision_boundary(
                model,
                *data["train"],
                resolution=150,
                ax=ax_b,
                title=f"{method}: test accuracy {row['test_accuracy']:.3f}",
            )
        results["figures"] = [
            save(curves_fig, args.out / "regularization_curves.png"),
            save(bound_fig, args.out / "regularization_boundaries.png"),
        ]
    print_table(
        f"Noisy moons, 60 training points, 2-128-128-1 ReLU, Adam(0.01), up to {epochs} epochs",
        ["method", "epochs", "train acc", "val acc", "test acc", "train loss", "test loss"],
        [
            [
                r["method"],
                r["epochs"],
                r["train_accuracy"],
                r["validation_accuracy"],
                r["test_accuracy"],
                r["train_loss"],
                r["test_loss"],
            ]
            for r in results["runs"].values()
        ],
    )
    print(f"\nFigures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
