"""Time one training epoch of a small CNN in handgrad and (when installed) PyTorch CPU.

Workload (issue 5), identical for both: 28x28x1 random float32 pixels in [0, 1), integer
labels 0..9, batch 64, plain SGD (learning rate 0.01), softmax cross-entropy, one shuffled
epoch per run::

    Conv2D(16, 3x3, "same") -> ReLU -> MaxPool 2 -> Conv2D(32, 3x3, "valid") -> ReLU
    -> MaxPool 2 -> Flatten (32*6*6 = 1152) -> Dense(10) softmax          (16,330 parameters)

handgrad trains through its public ``fit(epochs=1, verbose=0)``; PyTorch runs the usual loop
(``X[perm]`` once per epoch, slices, ``zero_grad`` / ``backward`` / ``step``, ``loss.item()``
per batch, as handgrad also reports the epoch loss). The contenders run in alternation
(A B A B ...) after a warm-up epoch each; medians are reported, with the ratio
handgrad / PyTorch in samples per second (issue 5 aims for at least 0.7).

    python benchmarks/cnn_epoch.py                        # 10000 samples, 5 repeats
    python benchmarks/cnn_epoch.py --samples 60000 --repeats 3 --threads 1 --json out.json
"""

from __future__ import annotations

import argparse
import math

import _common as C
import numpy as np

import handgrad as hg

IMAGE_SHAPE = (1, 28, 28)
CLASSES = 10
BATCH_SIZE = 64
LEARNING_RATE = 0.01
TARGET_RATIO = 0.7


def cnn_data(n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random images ``(n, 1, 28, 28)`` float32 in [0, 1) and integer labels ``(n,)``."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_samples, *IMAGE_SHAPE), dtype=np.float32)
    y = rng.integers(0, CLASSES, n_samples).astype(np.int64)
    return x, y


def build_handgrad(seed: int = 0) -> hg.Sequential:
    L = hg.layers
    model = hg.Sequential(
        [
            L.Conv2D(16, 3, padding="same", activation="relu", input_shape=IMAGE_SHAPE),
            L.MaxPooling2D(2),
            L.Conv2D(32, 3, activation="relu"),
            L.MaxPooling2D(2),
            L.Flatten(),
            L.Dense(CLASSES, activation="softmax"),
        ],
        seed=seed,
    )
    model.compile("categorical_crossentropy", hg.optimizers.SGD(LEARNING_RATE))
    return model


def handgrad_runner(x: np.ndarray, y: np.ndarray):
    model = build_handgrad()

    def run() -> None:
        loss = model.fit(x, y, epochs=1, batch_size=BATCH_SIZE, verbose=0).history["loss"][-1]
        if not math.isfinite(loss):
            raise RuntimeError(f"handgrad diverged (loss {loss}); the timing is void")

    return run, model.count_params()


def torch_runner(x: np.ndarray, y: np.ndarray):
    """The same network and loop in PyTorch, or ``(None, reason)`` when it is not installed."""
    try:
        import torch
    except ImportError:
        return None, "torch is not installed"
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 6 * 6, CLASSES),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(0)

    def run() -> None:
        perm = torch.randperm(len(xt), generator=generator)
        xs, ys = xt[perm], yt[perm]
        total = 0.0
        for lo in range(0, len(xs), BATCH_SIZE):
            xb, yb = xs[lo : lo + BATCH_SIZE], ys[lo : lo + BATCH_SIZE]
            optimizer.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        if not math.isfinite(total):
            raise RuntimeError("torch diverged; the timing is void")

    return run, sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per contender")
    parser.add_argument("--warmup", type=int, default=1, help="untimed epochs first")
    C.add_run_options(parser, clock=False)
    args = parser.parse_args(argv)

    threads = C.limit_threads(args.threads)
    x, y = cnn_data(args.samples)
    runners = {}
    params = {}
    runners["handgrad"], params["handgrad"] = handgrad_runner(x, y)
    torch_run, torch_info = torch_runner(x, y)
    if torch_run is not None:
        runners["torch"], params["torch"] = torch_run, torch_info
    times = C.alternate(runners, args.repeats, args.warmup)

    results = {}
    for name, ts in times.items():
        results[name] = {
            "samples_per_s": args.samples / C.median(ts),
            "samples_per_s_min": args.samples / max(ts),
            "samples_per_s_max": args.samples / min(ts),
            "epoch_seconds": ts,
            "parameters": params[name],
        }
    report = {
        "benchmark": "cnn_epoch",
        "workload": "conv16(3x3 same)-relu-maxpool2-conv32(3x3)-relu-maxpool2-dense10 softmax, "
        f"SGD lr {LEARNING_RATE}, batch {BATCH_SIZE}, {args.samples}x1x28x28 float32, "
        "one shuffled epoch",
        "repeats": args.repeats,
        "handgrad": hg.__version__,
        "machine": C.machine_info(),
        "thread_settings": threads,
        "results": results,
    }
    if "torch" in results:
        ratio = results["handgrad"]["samples_per_s"] / results["torch"]["samples_per_s"]
        report["ratio_handgrad_over_torch"] = ratio
        report["target_ratio"] = TARGET_RATIO
        report["target_met"] = ratio >= TARGET_RATIO
    else:
        report["torch"] = torch_info
    rows = [
        [
            name,
            r["samples_per_s"],
            f"{r['samples_per_s_min']:,.0f}..{r['samples_per_s_max']:,.0f}",
            C.median(r["epoch_seconds"]),
        ]
        for name, r in results.items()
    ]
    print(C.format_table(["contender", "samples/s (median)", "range", "s/epoch"], rows))
    C.emit_report(report, args.json)
    return report


if __name__ == "__main__":
    main()
