"""The notes' "methods of optimization": random search, random local search, following the gradient.

The notes (``seeds/004``) list three ways to look for weights that lower the cost:

1. random search: draw whole weight sets at random, keep the best one seen;
2. random local search: from the current weights ``W`` try ``W + step * randn``, move there only
   if the cost went down;
3. following the gradient: ``W -= lr * dJ/dW``, with the gradient either estimated by
   centered finite differences (``2 P`` cost evaluations for ``P`` weights) or computed by
   backpropagation (one forward and one backward pass, counted here as 3 cost evaluations,
   since the backward pass costs about two forward passes).

Every method gets the same budget of cost evaluations on the full training set, in float64,
starting from the same initial weights (seed 0; random search draws ``W ~ N(0, 1/fan_in)``,
zero biases). Two problems:

* moons, a 2-8-1 tanh network: 33 weights, so blind search still finds something;
* digits, softmax regression 64-10: 650 weights, where random guessing is hopeless and
  a finite-difference gradient costs 1,300 evaluations per step.

Run: ``python examples/gradient_free.py [--quick] [--out DIR]``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
from _example_kit import parse_args, print_table, pyplot, save, timer

import handgrad as hg

BACKPROP_COST = 3  # cost evaluations charged for one forward + backward pass
LOCAL_STEP = 0.05
#: name -> (dataset, build, loss, gradient-descent learning rate)
PROBLEMS = {
    "moons 2-8-1 tanh": (
        "moons",
        lambda: [hg.layers.Dense(8, "tanh", input_dim=2), hg.layers.Dense(1, "sigmoid")],
        "binary_crossentropy",
        4.0,
    ),
    "digits softmax 64-10": (
        "digits",
        lambda: [hg.layers.Dense(10, "softmax", input_dim=64)],
        "categorical_crossentropy",
        2.0,
    ),
}


def cost(model: hg.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    return model.evaluate(X, y)["loss"]


def random_search(model, X, y, budget: int, rng: np.random.Generator) -> list[float]:
    """Best cost after each of ``budget`` random weight draws; the model keeps the best."""
    best, best_weights, curve = np.inf, None, []
    for _ in range(budget):
        weights = [
            rng.normal(0.0, 1.0 / np.sqrt(w.shape[0]), w.shape) if w.ndim == 2 else np.zeros_like(w)
            for w in model.get_weights()
        ]
        model.set_weights(weights)
        value = cost(model, X, y)
        if value < best:
            best, best_weights = value, weights
        curve.append(best)
    model.set_weights(best_weights)
    return curve


def random_local_search(model, X, y, budget: int, rng: np.random.Generator) -> list[float]:
    """Try ``W + step * randn``; keep it only if the cost went down."""
    weights = model.get_weights()
    best = cost(model, X, y)
    curve = [best]
    for _ in range(budget - 1):
        trial = [w + LOCAL_STEP * rng.standard_normal(w.shape) for w in weights]
        model.set_weights(trial)
        value = cost(model, X, y)
        if value < best:
            best, weights = value, trial
        curve.append(best)
    model.set_weights(weights)
    return curve


def numerical_gradient_descent(model, X, y, budget: int, lr: float, h: float = 1e-5):
    """Gradient descent with ``dJ/dw ~ (J(w + h) - J(w - h)) / 2h`` for every weight in turn."""
    params = [p for p, _ in model.parameters()]
    per_step = 2 * sum(p.size for p in params)
    curve = [cost(model, X, y)]
    for _ in range(budget // per_step):
        grads = []
        for p in params:
            g = np.zeros_like(p)
            for i in np.ndindex(p.shape):
                old = p[i]
                p[i] = old + h
                plus = cost(model, X, y)
                p[i] = old - h
                g[i] = (plus - cost(model, X, y)) / (2 * h)
                p[i] = old
            grads.append(g)
        for p, g in zip(params, grads, strict=True):
            p -= lr * g
        curve.append(cost(model, X, y))
    # Each entry is the cost after a step that used ``per_step`` evaluations.
    steps = np.repeat(curve[1:], per_step).tolist()
    return (curve[:1] * (budget - len(steps)) + steps)[:budget], budget // per_step


def backprop_gradient_descent(model, X, y, budget: int) -> list[float]:
    """``budget // 3`` full-batch steps of the model's optimizer (``SGD(lr)``)."""
    costs = model.fit(X, y, epochs=budget // BACKPROP_COST, batch_size=None, verbose=0)
    return np.repeat(costs.history["loss"], BACKPROP_COST).tolist()


def run(problem: str, method: str, budget: int) -> tuple[dict[str, Any], list[float]]:
    dataset, layers, loss, lr = PROBLEMS[problem]
    (X, y), (X_test, y_test) = getattr(hg.datasets, dataset)()
    model = hg.Sequential(layers(), seed=0, dtype="float64")
    model.compile(loss, hg.optimizers.SGD(lr), metrics=["accuracy"])
    rng = np.random.default_rng(0)
    steps = "-"
    if method == "random search":
        curve = random_search(model, X, y, budget, rng)
    elif method == "random local search":
        curve = random_local_search(model, X, y, budget, rng)
    elif method == "numerical gradient":
        curve, steps = numerical_gradient_descent(model, X, y, budget, lr)
    else:
        curve = backprop_gradient_descent(model, X, y, budget)
        steps = budget // BACKPROP_COST
    train = model.evaluate(X, y)
    row = {
        "problem": problem,
        "method": method,
        "steps": steps,
        "final_cost": train["loss"],
        "train_accuracy": train["accuracy"],
        "test_accuracy": model.evaluate(X_test, y_test)["accuracy"],
    }
    return row, curve


METHODS = ("random search", "random local search", "numerical gradient", "backpropagation")


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv, __doc__.splitlines()[0])
    budget = 600 if args.quick else 3000
    results: dict[str, Any] = {"budget": budget, "runs": []}
    plt = pyplot()
    with timer(results):
        fig, axes = plt.subplots(1, len(PROBLEMS), figsize=(13, 4.8), layout="constrained")
        for ax, problem in zip(axes, PROBLEMS, strict=True):
            curves = {}
            for method in METHODS:
                row, curves[method] = run(problem, method, budget)
                results["runs"].append(row)
            hg.plotting.plot_cost_curves(
                curves,
                xlabel="cost evaluations",
                ylabel="training cost",
                log_y=True,
                title=problem,
                ax=ax,
            )
        results["figures"] = [save(fig, args.out / "gradient_free.png")]
    print_table(
        f"Same budget of {budget} cost evaluations (a backprop step counts as 3, a numerical "
        "gradient as 2P)",
        ["problem", "method", "gradient steps", "final cost", "train accuracy", "test accuracy"],
        [
            [
                r["problem"],
                r["method"],
                r["steps"],
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
