"""Time one epoch of a 784-256-128-10 ReLU network through handgrad's public ``fit``.

Workload: 60000x784 random float32 pixels in [0, 1), integer labels 0..9, softmax output with
categorical cross-entropy, plain SGD (learning rate 0.01), one shuffled epoch per ``fit`` call
(``epochs=1, verbose=0``). After one warm-up epoch each batch size is timed ``--repeats``
times; the table shows the median in samples per second (and the spread, min..max).

    python benchmarks/mlp_epoch.py                      # batch 32, 128, 1024; ~1 minute
    python benchmarks/mlp_epoch.py --batch-sizes 32 --repeats 9 --json out.json
"""

from __future__ import annotations

import argparse
import math

import _common as C

import handgrad as hg


def build_model(seed: int = 0, dtype: str = "float32") -> hg.Sequential:
    """784-256-128-10 ReLU / softmax, categorical cross-entropy, SGD(0.01)."""
    h1, h2 = C.MLP_HIDDEN
    model = hg.Sequential(
        [
            hg.layers.Dense(h1, activation="relu", input_dim=C.MLP_FEATURES),
            hg.layers.Dense(h2, activation="relu"),
            hg.layers.Dense(C.MLP_CLASSES, activation="softmax"),
        ],
        seed=seed,
        dtype=dtype,
    )
    model.compile("categorical_crossentropy", hg.optimizers.SGD(C.MLP_LEARNING_RATE))
    return model


def epoch_runner(model: hg.Sequential, x, y, batch_size: int):
    """A zero-argument function that trains ``model`` for one epoch and checks the loss."""

    def run() -> None:
        history = model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
        loss = history.history["loss"][-1]
        if not math.isfinite(loss):
            raise RuntimeError(f"the benchmark diverged (loss {loss}); the timing is void")

    return run


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per batch size")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first")
    parser.add_argument("--samples", type=int, default=60000)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    C.add_run_options(parser)
    args = parser.parse_args(argv)

    threads = C.limit_threads(args.threads)
    x, y = C.mlp_data(args.samples)
    results = []
    for bs in args.batch_sizes:
        model = build_model(dtype=args.dtype)
        run = epoch_runner(model, x, y, bs)
        times = C.alternate({"handgrad": run}, args.repeats, args.warmup, args.clock)["handgrad"]
        results.append(
            {
                "batch_size": bs,
                "samples_per_s": args.samples / C.median(times),
                "samples_per_s_min": args.samples / max(times),
                "samples_per_s_max": args.samples / min(times),
                "epoch_seconds": times,
            }
        )
        print(f"batch {bs}: {results[-1]['samples_per_s']:,.0f} samples/s", flush=True)

    report = {
        "benchmark": "mlp_epoch",
        "workload": f"784-256-128-10 relu/softmax, SGD lr {C.MLP_LEARNING_RATE}, "
        f"{args.samples}x784 {args.dtype}, one shuffled epoch via fit(verbose=0)",
        "repeats": args.repeats,
        "handgrad": hg.__version__,
        "machine": C.machine_info(),
        "thread_settings": threads,
        "clock": args.clock,
        "load_average": C.os.getloadavg(),
        "results": results,
    }
    rows = [
        [
            r["batch_size"],
            r["samples_per_s"],
            f"{r['samples_per_s_min']:,.0f}...{r['samples_per_s_max']:,.0f}",
            C.median(r["epoch_seconds"]),
        ]
        for r in results
    ]
    print()
    print(C.format_table(["batch", "samples/s (median)", "range", "s/epoch"], rows))
    C.emit_report(report, args.json)
    return report


if __name__ == "__main__":
    main()
