"""Seconds of training until a test-accuracy target is first reached: handgrad vs scikit-learn.

Targets: 97% on ``hg.datasets.digits()`` (8x8, 1347 train / 450 test) and 92% on
``hg.datasets.mnist20()`` (20x20, 4000 train / 1000 test). Both frameworks train the same
recipe (by default one hidden layer of 128 ReLU units, softmax output, cross-entropy, Adam with
learning rate 0.003, mini-batches of 32, no regularization) one epoch at a time (handgrad:
``fit(epochs=1)``; scikit-learn: ``MLPClassifier.partial_fit``) and are scored on the test set
after every epoch; training stops at the first epoch that reaches the target. The clock counts
training only (the per-epoch test scoring is the benchmark's bookkeeping and is left out for
both). Each framework runs once per seed (different initialization and shuffling); the table
shows medians over seeds.

    python benchmarks/time_to_accuracy.py                     # both datasets, 5 seeds, < 1 min
    python benchmarks/time_to_accuracy.py --datasets digits --seeds 9 --json tta.json
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import _common as C
import numpy as np

import handgrad as hg

TARGETS = {"digits": 0.97, "mnist20": 0.92}
CLOCK = ["wall"]  # set from --clock


def handgrad_run(data, target: float, args, seed: int) -> dict:
    (x, y), (x_test, y_test) = data
    model = hg.Sequential(
        [
            hg.layers.Dense(args.hidden, activation="relu", input_dim=x.shape[1]),
            hg.layers.Dense(10, activation="softmax"),
        ],
        seed=seed,
    )
    model.compile(
        "categorical_crossentropy", hg.optimizers.Adam(args.learning_rate), metrics=["accuracy"]
    )

    def epoch() -> None:
        model.fit(x, y, epochs=1, batch_size=args.batch_size, verbose=0)

    return _race(epoch, lambda: model.evaluate(x_test, y_test)["accuracy"], target, args.max_epochs)


def sklearn_run(data, target: float, args, seed: int) -> dict:
    from sklearn.neural_network import MLPClassifier

    (x, y), (x_test, y_test) = data
    clf = MLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        activation="relu",
        solver="adam",
        learning_rate_init=args.learning_rate,
        batch_size=args.batch_size,
        alpha=0.0,
        shuffle=True,
        random_state=seed,
    )
    classes = np.arange(10)
    return _race(
        lambda: clf.partial_fit(x, y, classes=classes),
        lambda: clf.score(x_test, y_test),
        target,
        args.max_epochs,
    )


def _race(train_epoch, test_accuracy, target: float, max_epochs: int) -> dict:
    """Train epoch by epoch until ``test_accuracy() >= target``; time training only."""
    seconds, best = 0.0, 0.0
    for epoch in range(1, max_epochs + 1):
        seconds += C.time_call(train_epoch, CLOCK[0])
        accuracy = float(test_accuracy())
        best = max(best, accuracy)
        if accuracy >= target:
            return {"reached": True, "epochs": epoch, "seconds": seconds, "accuracy": accuracy}
    return {"reached": False, "epochs": max_epochs, "seconds": seconds, "accuracy": best}


def summarize(runs: list[dict]) -> dict:
    reached = [r for r in runs if r["reached"]]
    summary = {"runs": runs, "reached": f"{len(reached)}/{len(runs)}"}
    if reached:
        summary["median_seconds"] = C.median([r["seconds"] for r in reached])
        summary["median_epochs"] = C.median([r["epochs"] for r in reached])
    return summary


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--seeds", type=int, default=5, help="runs per framework and dataset")
    parser.add_argument("--hidden", type=int, default=128, help="ReLU units of the hidden layer")
    parser.add_argument("--learning-rate", type=float, default=0.003, help="Adam learning rate")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-epochs", type=int, default=100)
    C.add_run_options(parser)
    args = parser.parse_args(argv)

    threads = C.limit_threads(args.threads)
    CLOCK[0] = args.clock
    try:
        import sklearn  # noqa: F401

        have_sklearn = True
    except ImportError:
        have_sklearn = False
    warnings.filterwarnings("ignore", module="sklearn")  # ConvergenceWarning per partial_fit
    report: dict = {
        "benchmark": "time_to_accuracy",
        "recipe": f"Dense({args.hidden}, relu) -> Dense(10, softmax), cross-entropy, "
        f"Adam({args.learning_rate}), batch {args.batch_size}, no regularization",
        "handgrad": hg.__version__,
        "machine": C.machine_info(),
        "thread_settings": threads,
        "clock": args.clock,
        "load_average_at_start": os.getloadavg(),
        "datasets": {},
    }
    rows = []
    for name in args.datasets:
        data = getattr(hg.datasets, name)()
        target = TARGETS[name]
        entry: dict = {"target": target}
        frameworks = {"handgrad": handgrad_run}
        if have_sklearn:
            frameworks["sklearn"] = sklearn_run
        for seed in range(args.seeds):
            # Alternate the frameworks seed by seed, so that a slow spell hits both.
            for fw, run in frameworks.items():
                entry.setdefault(fw, []).append(run(data, target, args, seed))
        for fw in frameworks:
            entry[fw] = summarize(entry[fw])
            s = entry[fw]
            rows.append(
                [
                    name,
                    f"{target:.0%}",
                    fw,
                    s.get("median_seconds", float("nan")),
                    f"{s.get('median_epochs', float('nan')):g}",
                    s["reached"],
                ]
            )
        if (
            "sklearn" in entry
            and "median_seconds" in entry["sklearn"]
            and ("median_seconds" in entry["handgrad"])
        ):
            entry["speedup_vs_sklearn"] = (
                entry["sklearn"]["median_seconds"] / entry["handgrad"]["median_seconds"]
            )
        report["datasets"][name] = entry
        print(f"{name}: done", file=sys.stderr, flush=True)
    report["load_average_at_end"] = os.getloadavg()
    print(
        C.format_table(
            ["dataset", "target", "framework", "seconds (median)", "epochs (median)", "reached"],
            rows,
        ),
        file=sys.stderr,
    )
    C.emit_report(report, args.json)
    return report


if __name__ == "__main__":
    main()
