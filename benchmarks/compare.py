"""handgrad against PyTorch, scikit-learn, a careful plain-NumPy loop and the matmul-only bound.

Workloads (issue 7), all float32 with the same thread limit for every contender:

* ``mlp``: one shuffled epoch of a 784-256-128-10 ReLU network, softmax cross-entropy, plain
  SGD (lr 0.01) on 60000x784 random pixels, at batch sizes 32, 128 and 1024 (samples/s);
* ``small``: the assignment's 400-25-10 sigmoid/softmax network, full-batch gradient descent on
  5000x400 (iterations/s);
* ``memory``: peak memory of a one-epoch handgrad ``fit`` on 60000x784 float32, measured in a
  fresh subprocess (RSS growth and tracemalloc peak) against the size of the data.

Contenders are timed in alternation (A B C A B C ...) after a warm-up round and the medians
are compared; PyTorch and scikit-learn are optional (skipped with a note when not installed).
The contenders that are not handgrad live in this file so that what is measured is visible:

* ``bound``: only the eight matrix products of a forward+backward pass, into preallocated
  buffers, over contiguous slices of X: no activation, loss, update or shuffle. Nothing that
  computes the same gradients with NumPy can beat it.
* ``numpy``: a careful plain-NumPy training loop: one permutation of the data per epoch into a
  reused buffer, preallocated per-layer buffers (``out=``), in-place ReLU and masks, softmax
  fused with the cross-entropy gradient, bias gradients by one reduction, true gradients, then
  ``W -= lr * dW``.
* ``torch``: ``nn.Sequential`` of ``nn.Linear``/``nn.ReLU``, ``CrossEntropyLoss``,
  ``optim.SGD``; one ``X[perm]`` per epoch, then slices; ``loss.item()`` per batch (handgrad
  reports the epoch loss too).
* ``sklearn``: ``MLPClassifier(solver="sgd", momentum=0, alpha=0)``, one ``partial_fit`` per
  epoch (it shuffles and keeps float32).

    python benchmarks/compare.py                    # everything, ~3 minutes on 2 cores
    python benchmarks/compare.py --workloads mlp --batch-sizes 32 --repeats 7
    python benchmarks/compare.py --json benchmarks/results.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import warnings
from collections.abc import Callable

import _common as C
import numpy as np

import handgrad as hg

Runner = Callable[[], None]

#: Issue 7's targets: handgrad / contender (or / bound) at least this much.
TARGETS = {
    ("mlp", 32, "torch"): 1.5,
    ("mlp", 128, "torch"): 1.3,
    ("mlp", 1024, "torch"): 1.3,
    ("mlp", 1024, "bound"): 0.75,
    ("small", None, "torch"): 1.3,
}
MEMORY_TARGET = 1.5  # peak <= 1.5 x data + model


# ----------------------------------------------------------------------------- shared weights
def init_weights(sizes: list[int], seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """He-uniform float32 weights ``(fan_in, fan_out)`` and zero biases for the NumPy loops."""
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = math.sqrt(6.0 / fan_in)
        w = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)
        out.append((w, np.zeros(fan_out, np.float32)))
    return out


# ------------------------------------------------------------------------------ matmul bound
def bound_mlp(x: np.ndarray, y: np.ndarray, batch_size: int) -> Runner:
    """The matrix products alone: 3 forward, 3 weight gradients, 2 input gradients per batch."""
    sizes = [x.shape[1], *C.MLP_HIDDEN, C.MLP_CLASSES]
    weights = [w for w, _ in init_weights(sizes)]
    return _bound_runner(x, weights, batch_size)


def _bound_runner(x: np.ndarray, weights: list[np.ndarray], batch_size: int) -> Runner:
    n = len(x)
    bs = min(batch_size, n)
    acts = [np.empty((bs, w.shape[1]), np.float32) for w in weights]
    deltas = [np.empty((bs, w.shape[1]), np.float32) for w in weights]
    dws = [np.empty_like(w) for w in weights]
    for d in deltas:
        d.fill(0.001)

    def run() -> None:
        for lo in range(0, n, bs):
            xb = x[lo : lo + bs]
            m = len(xb)
            a = xb
            for w, z in zip(weights, acts, strict=True):
                np.matmul(a, w, out=z[:m])
                a = z[:m]
            for i in range(len(weights) - 1, -1, -1):
                inp = xb if i == 0 else acts[i - 1][:m]
                np.matmul(inp.T, deltas[i][:m], out=dws[i])
                if i:
                    np.matmul(deltas[i][:m], weights[i].T, out=deltas[i - 1][:m])

    return run


# --------------------------------------------------------------------- careful plain NumPy
class NumpyMLP:
    """A plain-NumPy ReLU MLP with a fused softmax cross-entropy head, trained by SGD.

    ``A_l = relu(A_{l-1} W_l + b_l)``; the output ``Z_L`` goes through softmax; with labels
    ``y``, ``dZ_L = (softmax(Z_L) - onehot(y)) / m``, ``dW_l = A_{l-1}^T dZ_l``,
    ``db_l = sum_rows dZ_l``, ``dZ_{l-1} = (dZ_l W_l^T) * (A_{l-1} > 0)``. Sigmoid hidden units
    (``hidden="sigmoid"``) use ``* A (1 - A)`` instead of the ReLU mask.
    """

    def __init__(self, sizes, lr, hidden="relu", seed=0):
        self.params = init_weights(sizes, seed)
        self.lr = np.float32(lr)
        self.hidden = hidden
        self.rng = np.random.default_rng(seed)
        self.grads = [(np.empty_like(w), np.empty_like(b)) for w, b in self.params]
        self.bs = 0

    def _buffers(self, bs: int) -> None:
        if bs == self.bs:
            return
        self.bs = bs
        widths = [w.shape[1] for w, _ in self.params]
        self.z = [np.empty((bs, k), np.float32) for k in widths]
        self.dz = [np.empty((bs, k), np.float32) for k in widths]
        self.mask = [np.empty((bs, k), np.float32) for k in widths[:-1]]
        self.rowbuf = np.empty((bs, 1), np.float32)

    def _activate(self, z: np.ndarray) -> None:
        if self.hidden == "relu":
            np.maximum(z, 0, out=z)
        else:  # sigmoid, no overflow: 1/(1+exp(-z)) with z clipped where exp would overflow
            np.negative(z, out=z)
            np.minimum(z, 80.0, out=z)
            np.exp(z, out=z)
            z += 1.0
            np.reciprocal(z, out=z)

    def _backprop_mask(self, a: np.ndarray, mask: np.ndarray, dz: np.ndarray) -> None:
        if self.hidden == "relu":
            np.greater(a, 0, out=mask)
        else:
            np.subtract(1.0, a, out=mask)
            mask *= a
        dz *= mask

    def step(self, xb: np.ndarray, yb: np.ndarray) -> float:
        """Forward, backward and SGD update on one batch; returns the batch loss."""
        m = len(xb)
        layers = len(self.params)
        zs = [z[:m] for z in self.z]
        a = xb
        for i, (w, b) in enumerate(self.params):
            np.matmul(a, w, out=zs[i])
            zs[i] += b
            if i < layers - 1:
                self._activate(zs[i])
            a = zs[i]
        # Softmax + cross-entropy: loss = mean(log sum exp(z - max) - (z_y - max)).
        logits = zs[-1]
        rowmax = self.rowbuf[:m]
        np.max(logits, axis=1, keepdims=True, out=rowmax)
        logits -= rowmax
        rows = np.arange(m)
        picked = logits[rows, yb]
        np.exp(logits, out=logits)
        total = logits.sum(axis=1, keepdims=True)
        loss = float(np.log(total).sum() - picked.sum()) / m
        dz = self.dz[-1][:m]
        np.divide(logits, total, out=dz)
        dz[rows, yb] -= 1.0
        dz *= np.float32(1.0 / m)
        for i in range(layers - 1, -1, -1):
            w, _ = self.params[i]
            gw, gb = self.grads[i]
            inp = xb if i == 0 else zs[i - 1]
            np.matmul(inp.T, dz, out=gw)
            np.sum(dz, axis=0, out=gb)
            if i:
                below = self.dz[i - 1][:m]
                np.matmul(dz, w.T, out=below)
                self._backprop_mask(zs[i - 1], self.mask[i - 1][:m], below)
                dz = below
        for (w, b), (gw, gb) in zip(self.params, self.grads, strict=True):
            gw *= self.lr
            w -= gw
            gb *= self.lr
            b -= gb
        return loss


def numpy_mlp(x: np.ndarray, y: np.ndarray, batch_size: int) -> Runner:
    net = NumpyMLP([x.shape[1], *C.MLP_HIDDEN, C.MLP_CLASSES], C.MLP_LEARNING_RATE)
    n = len(x)
    bs = min(batch_size, n)
    xbuf = np.empty_like(x)

    def run() -> None:
        net._buffers(bs)
        perm = net.rng.permutation(n)
        np.take(x, perm, axis=0, out=xbuf, mode="clip")  # mode='raise' would buffer `out`
        ys = y[perm]
        total = 0.0
        for lo in range(0, n, bs):
            total += net.step(xbuf[lo : lo + bs], ys[lo : lo + bs]) * len(ys[lo : lo + bs])
        _check_loss("numpy", total / n)

    return run


# ----------------------------------------------------------------------------------- handgrad
def handgrad_model(sizes: list[int], hidden: str, lr: float) -> hg.Sequential:
    layers = [hg.layers.Dense(sizes[1], activation=hidden, input_dim=sizes[0])]
    layers += [hg.layers.Dense(k, activation=hidden) for k in sizes[2:-1]]
    layers.append(hg.layers.Dense(sizes[-1], activation="softmax"))
    model = hg.Sequential(layers, seed=0)
    model.compile("categorical_crossentropy", hg.optimizers.SGD(lr))
    return model


def handgrad_mlp(x: np.ndarray, y: np.ndarray, batch_size: int) -> Runner:
    model = handgrad_model([x.shape[1], *C.MLP_HIDDEN, C.MLP_CLASSES], "relu", C.MLP_LEARNING_RATE)

    def run() -> None:
        history = model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
        _check_loss("handgrad", history.history["loss"][-1])

    return run


# -------------------------------------------------------------------------------------- torch
def torch_mlp(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    hidden: str = "relu",
    sizes: list[int] | None = None,
    lr: float = C.MLP_LEARNING_RATE,
    shuffle: bool = True,
) -> Runner:
    import torch
    from torch import nn

    sizes = sizes or [x.shape[1], *C.MLP_HIDDEN, C.MLP_CLASSES]
    torch.manual_seed(0)
    modules: list[nn.Module] = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        modules.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            modules.append(nn.ReLU() if hidden == "relu" else nn.Sigmoid())
    model = nn.Sequential(*modules)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(x)
    generator = torch.Generator().manual_seed(0)

    def run() -> None:
        xs, ys = xt, yt
        if shuffle and batch_size < n:
            perm = torch.randperm(n, generator=generator)
            xs, ys = xt[perm], yt[perm]
        total = 0.0
        for lo in range(0, n, batch_size):
            xb, yb = xs[lo : lo + batch_size], ys[lo : lo + batch_size]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
        _check_loss("torch", total / n)

    return run


# ------------------------------------------------------------------------------------ sklearn
def sklearn_mlp(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    hidden: str = "relu",
    sizes: list[int] | None = None,
    lr: float = C.MLP_LEARNING_RATE,
    shuffle: bool = True,
) -> Runner:
    from sklearn.neural_network import MLPClassifier

    sizes = sizes or [x.shape[1], *C.MLP_HIDDEN, C.MLP_CLASSES]
    clf = MLPClassifier(
        hidden_layer_sizes=tuple(sizes[1:-1]),
        activation="relu" if hidden == "relu" else "logistic",
        solver="sgd",
        learning_rate_init=lr,
        momentum=0.0,
        nesterovs_momentum=False,
        alpha=0.0,
        batch_size=batch_size,
        shuffle=shuffle,
        early_stopping=False,
        random_state=0,
    )
    classes = np.arange(C.MLP_CLASSES)

    def run() -> None:
        clf.partial_fit(x, y, classes=classes)
        _check_loss("sklearn", clf.loss_)

    return run


def _check_loss(name: str, loss: float) -> None:
    if not math.isfinite(loss):
        raise RuntimeError(f"{name} diverged (loss {loss}); its timing would be meaningless")


# ----------------------------------------------------------------- 400-25-10 full batch
SMALL_SIZES = [C.SMALL_FEATURES, C.SMALL_HIDDEN, C.MLP_CLASSES]


def small_runners(x, y, iterations: int, have: dict[str, bool]) -> dict[str, Runner]:
    """Each runner does ``iterations`` full-batch gradient-descent steps."""
    n = len(x)
    runners: dict[str, Runner] = {}
    weights = [w for w, _ in init_weights(SMALL_SIZES)]
    one_pass = _bound_runner(x, weights, n)

    def bound() -> None:
        for _ in range(iterations):
            one_pass()

    runners["bound"] = bound
    net = NumpyMLP(SMALL_SIZES, C.SMALL_LEARNING_RATE, hidden="sigmoid")

    def numpy_loop() -> None:
        net._buffers(n)
        for _ in range(iterations):
            loss = net.step(x, y)
        _check_loss("numpy", loss)

    runners["numpy"] = numpy_loop
    model = handgrad_model(SMALL_SIZES, "sigmoid", C.SMALL_LEARNING_RATE)

    def handgrad_fit() -> None:
        history = model.fit(x, y, epochs=iterations, batch_size=None, verbose=0)
        _check_loss("handgrad", history.history["loss"][-1])

    runners["handgrad"] = handgrad_fit
    if have["torch"]:
        torch_epoch = torch_mlp(x, y, n, "sigmoid", SMALL_SIZES, C.SMALL_LEARNING_RATE, False)
        runners["torch"] = lambda: [torch_epoch() for _ in range(iterations)]
    if have["sklearn"]:
        sk_epoch = sklearn_mlp(x, y, n, "sigmoid", SMALL_SIZES, C.SMALL_LEARNING_RATE, False)
        runners["sklearn"] = lambda: [sk_epoch() for _ in range(iterations)]
    return runners


# ----------------------------------------------------------------------------------- memory
def _status_bytes(field: str) -> int:
    """``VmRSS`` / ``VmHWM`` (peak) of this process from /proc/self/status, in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def memory_child(contender: str, samples: int, batch_size: int) -> dict:
    """Run in a fresh interpreter: one epoch on ``samples``x784, report memory growth.

    The peak resident set is reset after the data and the model exist, so the growth is what
    the epoch itself adds (a shuffled copy of X, temporaries); tracemalloc also reports NumPy's
    peak allocations (it does not see PyTorch's).
    """
    import tracemalloc

    x, y = C.mlp_data(samples)
    factories = {"handgrad": handgrad_mlp, "numpy": numpy_mlp, "torch": torch_mlp}
    run = factories[contender](x, y, batch_size)
    reset = _reset_peak_rss()
    rss_before = _status_bytes("VmRSS")
    if not reset:
        rss_before = max(rss_before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    tracemalloc.start()
    run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = (
        _status_bytes("VmHWM")
        if reset
        else (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    )
    data = x.nbytes + y.nbytes
    rss_growth = max(0, peak - rss_before)
    return {
        "contender": contender,
        "data_bytes": data,
        "traced_peak_bytes": traced_peak,
        "rss_peak_growth_bytes": rss_growth,
        "rss_peak_over_data": (data + rss_growth) / data,
        "traced_peak_over_data": (data + traced_peak) / data,
        "peak_reset": reset,
    }


def measure_memory(samples: int, batch_size: int, contenders: list[str]) -> list[dict]:
    results = []
    for contender in contenders:
        cmd = [
            sys.executable,
            __file__,
            "--memory-child",
            contender,
            "--samples",
            str(samples),
            "--batch-sizes",
            str(batch_size),
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    model = handgrad_model([C.MLP_FEATURES, *C.MLP_HIDDEN, C.MLP_CLASSES], "relu", 0.01)
    model_bytes = sum(w.nbytes for w in model.get_weights())
    for r in results:
        r["model_bytes"] = model_bytes
        r["meets_target"] = r["data_bytes"] + r["rss_peak_growth_bytes"] <= (
            MEMORY_TARGET * r["data_bytes"] + model_bytes
        )
    return results


# -------------------------------------------------------------------------------- reporting
def summarize(times: dict[str, list[float]], work: float, unit: str) -> dict[str, dict]:
    return {
        name: {
            unit: work / C.median(ts),
            f"{unit}_min": work / max(ts),
            f"{unit}_max": work / min(ts),
            "seconds": ts,
        }
        for name, ts in times.items()
    }


def ratios(rates: dict[str, float], workload: str, batch: int | None) -> dict[str, dict]:
    out = {}
    for other in ("torch", "sklearn", "numpy", "bound"):
        if other in rates and "handgrad" in rates:
            value = rates["handgrad"] / rates[other]
            entry = {"ratio": value}
            target = TARGETS.get((workload, batch, other))
            if target is not None:
                entry.update(target=target, meets_target=value >= target)
            out[f"handgrad/{other}"] = entry
    return out


def available() -> dict[str, bool]:
    have = {}
    for module in ("torch", "sklearn"):
        try:
            __import__(module)
            have[module] = True
        except ImportError:
            have[module] = False
    return have


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["mlp", "small", "memory"],
        choices=["mlp", "small", "memory"],
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds per workload")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--samples", type=int, default=60000, help="rows of the MLP data")
    parser.add_argument(
        "--small-iterations",
        type=int,
        default=40,
        help="gradient steps per timed run of the 400-25-10 workload",
    )
    parser.add_argument("--skip", nargs="*", default=[], help="contenders to leave out")
    C.add_run_options(parser)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.memory_child:
        C.limit_threads(args.threads)
        print(json.dumps(memory_child(args.memory_child, args.samples, args.batch_sizes[0])))
        return {}

    threads = C.limit_threads(args.threads)
    have = available()
    for name in args.skip:
        have[name] = False
    warnings.filterwarnings("ignore", module="sklearn")  # ConvergenceWarning after 1 epoch
    report: dict = {
        "benchmark": "compare",
        "handgrad": hg.__version__,
        "machine": C.machine_info(),
        "load_average_at_start": os.getloadavg(),
        "thread_settings": threads,
        "clock": args.clock,
        "repeats": args.repeats,
        "skipped": sorted(k for k, v in have.items() if not v),
    }

    if "mlp" in args.workloads:
        x, y = C.mlp_data(args.samples)
        report["mlp"] = []
        for bs in args.batch_sizes:
            factories = {"bound": bound_mlp, "numpy": numpy_mlp, "handgrad": handgrad_mlp}
            if have["torch"]:
                factories["torch"] = torch_mlp
            if have["sklearn"]:
                factories["sklearn"] = sklearn_mlp
            factories = {k: v for k, v in factories.items() if k not in args.skip}
            runners = {name: make(x, y, bs) for name, make in factories.items()}
            times = C.alternate(runners, args.repeats, args.warmup, args.clock)
            stats = summarize(times, args.samples, "samples_per_s")
            rates = {k: v["samples_per_s"] for k, v in stats.items()}
            report["mlp"].append(
                {"batch_size": bs, "results": stats, "ratios": ratios(rates, "mlp", bs)}
            )
            print(
                f"mlp batch {bs}: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()),
                file=sys.stderr,
                flush=True,
            )

    if "small" in args.workloads:
        xs, ys = C.small_data()
        runners = small_runners(xs, ys, args.small_iterations, have)
        runners = {k: v for k, v in runners.items() if k not in args.skip}
        times = C.alternate(runners, args.repeats, args.warmup, args.clock)
        stats = summarize(times, args.small_iterations, "iterations_per_s")
        rates = {k: v["iterations_per_s"] for k, v in stats.items()}
        report["small"] = {"results": stats, "ratios": ratios(rates, "small", None)}
        print(
            "small 400-25-10: " + ", ".join(f"{k} {v:,.0f}" for k, v in rates.items()),
            file=sys.stderr,
            flush=True,
        )

    if "memory" in args.workloads:
        contenders = ["handgrad", "numpy"] + (["torch"] if have["torch"] else [])
        report["memory"] = measure_memory(args.samples, 128, contenders)

    report["load_average_at_end"] = os.getloadavg()
    print_tables(report)
    C.emit_report(report, args.json)
    return report


def print_tables(report: dict) -> None:
    order = ["bound", "numpy", "handgrad", "torch", "sklearn"]
    if "mlp" in report:
        header = ["batch", *[n for n in order if n in report["mlp"][0]["results"]]]
        rows = [
            [e["batch_size"], *[e["results"][n]["samples_per_s"] for n in header[1:]]]
            for e in report["mlp"]
        ]
        print("MLP 784-256-128-10, samples/s (median)", file=sys.stderr)
        print(C.format_table(header, rows), file=sys.stderr)
        for e in report["mlp"]:
            print(f"  batch {e['batch_size']}: " + _ratio_text(e["ratios"]), file=sys.stderr)
    if "small" in report:
        names = [n for n in order if n in report["small"]["results"]]
        rows = [[report["small"]["results"][n]["iterations_per_s"] for n in names]]
        print("400-25-10 full batch, iterations/s (median)", file=sys.stderr)
        print(C.format_table(names, rows), file=sys.stderr)
        print("  " + _ratio_text(report["small"]["ratios"]), file=sys.stderr)
    for r in report.get("memory", []):
        print(
            f"memory {r['contender']}: peak RSS growth {r['rss_peak_growth_bytes'] / 2**20:.0f}"
            f" MiB on {r['data_bytes'] / 2**20:.0f} MiB of data -> {r['rss_peak_over_data']:.2f}x"
            f" data (tracemalloc peak {r['traced_peak_bytes'] / 2**20:.0f} MiB)",
            file=sys.stderr,
        )


def _ratio_text(entries: dict) -> str:
    parts = []
    for key, e in entries.items():
        text = f"{key} {e['ratio']:.2f}"
        if "target" in e:
            text += f" (target {e['target']}: {'met' if e['meets_target'] else 'NOT met'})"
        parts.append(text)
    return ", ".join(parts)


if __name__ == "__main__":
    main()
