"""Regression on scikit-learn's diabetes data with the MSE and MAE losses.

442 patients, 10 standardized measurements (age, sex, BMI, blood pressure, six blood
serum values), target: a measure of disease progression one year later (25 to 346). The
data is split 80/20 (``train_test_split(stratify=False, seed=0)``); features *and* target are
standardized with statistics of the training part only (``StandardScaler``), and predictions
are mapped back to the target's units before computing the errors::

    MSE = 1/N sum (y - y_hat)^2     (the notes' "mean square error")
    MAE = 1/N sum |y - y_hat|
    RMSE = sqrt(MSE)

Models, all trained full batch with Adam (linear output unit):

* least squares in closed form (``numpy.linalg.lstsq``): the reference linear model;
* ``Dense(1)`` trained on MSE (must land on the least-squares solution) and on MAE
  (least absolute deviations);
* a 10-32-1 tanh network with ``L2(0.03)`` on its weights, on MSE and on MAE;
* a 10-16-1 tanh network stopped early: 20% of the training part held out,
  ``EarlyStopping(patience=50, restore_best_weights=True)``.

With 353 training samples the networks have little to gain over a linear model: the table
shows how close they come, and what an unregularized one would lose is in
``regularization.py``.

Run: ``python examples/regression.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

P = hg.data.preprocessing


def load() -> dict[str, np.ndarray]:
    """The split, standardized features and target, and the target scaler."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    X_train, X_test, y_train, y_test = P.train_test_split(
        X, y, test_size=0.2, stratify=False, seed=0
    )
    x_scaler = P.StandardScaler().fit(X_train)
    y_scaler = P.StandardScaler().fit(y_train[:, None])
    return {
        "X_train": x_scaler.transform(X_train),
        "X_test": x_scaler.transform(X_test),
        "t_train": y_scaler.transform(y_train[:, None]),  # standardized target
        "y_test": y_test,
        "y_scaler": y_scaler,
    }


def errors(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    e = y_pred - y_true
    return {"rmse": float(np.sqrt(np.mean(e**2))), "mae": float(np.mean(np.abs(e)))}


def least_squares(data: dict[str, np.ndarray]) -> np.ndarray:
    """Closed-form linear fit ``[X 1] w = t`` on the training part; test predictions."""
    ones = lambda X: np.c_[X, np.ones(len(X))]  # noqa: E731
    w, *_ = np.linalg.lstsq(ones(data["X_train"]), data["t_train"], rcond=None)
    return ones(data["X_test"]) @ w


def network(hidden: int | None, l2: float = 0.0) -> hg.Sequential:
    """``10 -> 1`` (linear regression) or ``10 -> hidden tanh -> 1``."""
    if hidden is None:
        return hg.Sequential([hg.layers.Dense(1, input_dim=10)], seed=0)
    regularizer = hg.regularizers.L2(l2) if l2 else None
    return hg.Sequential(
        [
            hg.layers.Dense(hidden, "tanh", input_dim=10, kernel_regularizer=regularizer),
            hg.layers.Dense(1),
        ],
        seed=0,
    )


#: label -> (hidden units, L2 factor, learning rate, early stopping)
MODELS = {
    "linear (Dense(1))": (None, 0.0, 0.05, False),
    "10-32-1 tanh, L2(0.03)": (32, 0.03, 0.003, False),
    "10-16-1 tanh, early stopping": (16, 0.0, 0.01, True),
}


def train(data, loss: str, spec: tuple, epochs: int) -> tuple[hg.Sequential, int]:
    hidden, l2, rate, early = spec
    model = network(hidden, l2)
    model.compile(loss, hg.optimizers.Adam(rate))
    extra: dict[str, Any] = {}
    if early:
        stop = hg.callbacks.EarlyStopping("val_loss", patience=50, restore_best_weights=True)
        extra = {"validation_split": 0.2, "callbacks": [stop]}
    history = model.fit(
        data["X_train"], data["t_train"], epochs=epochs, batch_size=None, verbose=0, **extra
    )
    return model, len(history.history["loss"])


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    epochs = 300 if args.quick else 1000
    results: dict[str, Any] = {"runs": []}
    with timer(results):
        data = load()
        unscale = lambda t: data["y_scaler"].inverse_transform(t)[:, 0]  # noqa: E731
        predictions = {"least squares": unscale(least_squares(data))}
        results["runs"].append(
            {
                "model": "least squares (closed form)",
                "loss": "-",
                "epochs": "-",
                **errors(data["y_test"], predictions["least squares"]),
            }
        )
        for label, spec in MODELS.items():
            for loss in ("mse", "mae"):
                model, trained = train(data, loss, spec, epochs)
                predicted = unscale(model.predict(data["X_test"]))
                predictions[f"{label}, {loss}"] = predicted
                results["runs"].append(
                    {
                        "model": label,
                        "loss": loss,
                        "epochs": trained,
                        **errors(data["y_test"], predicted),
                    }
                )
        results["figures"] = [plot(data["y_test"], predictions, args.out)]
    print_table(
        "Diabetes, test set (89 patients): errors in the target's units (its std is about 77)",
        ["model", "loss", "epochs", "test RMSE", "test MAE"],
        [[r["model"], r["loss"], r["epochs"], r["rmse"], r["mae"]] for r in results["runs"]],
    )
    print(f"\nFigures: {', '.join(results['figures'])}\nTime: {results['seconds']} s")
    return results


def plot(y_test: np.ndarray, predictions: dict[str, np.ndarray], out) -> str:
    """Predicted against true progression, one panel per model, with the diagonal."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6), layout="constrained", sharey=True)
    shown = ["least squares", "10-32-1 tanh, L2(0.03), mse", "10-16-1 tanh, early stopping, mae"]
    for ax, label in zip(axes, shown, strict=True):
        ax.scatter(y_test, predictions[label], s=14)
        ax.plot([25, 346], [25, 346], color="black", linewidth=1)
        rmse = errors(y_test, predictions[label])["rmse"]
        ax.set(title=f"{label} (RMSE {rmse:.1f})", xlabel="true progression")
    axes[0].set_ylabel("predicted progression")
    return save(fig, out / "regression_predictions.png")


if __name__ == "__main__":
    main(sys.argv[1:])
