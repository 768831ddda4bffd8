"""handgrad against PyTorch, JAX and the matrix-product bound, each in its own process (issue 15).

Workloads, all float32, the same thread limit for every contender:

* ``mlp``: one shuffled epoch of 60000x784 random pixels, MLP 784-256-128-10 ReLU, softmax
  cross-entropy, plain SGD lr 0.1, at batch 32 / 128 / 1024 (samples/s);
* ``small``: the 400-25-10 sigmoid/softmax network, full-batch gradient descent (lr 0.5) on
  5000x400 (iterations/s);
* ``cnn``: the small CNN of ``cnn_epoch.py`` (batch 64, SGD lr 0.01, 10000 images; samples/s);
* ``predict``: the MLP's forward pass on 10000x784 (samples/s): ``model.predict`` against
  ``torch.no_grad()``;
* ``memory``: peak memory of a one-epoch ``fit`` on 60000x784 float32 (fresh process each).

Every contender of a workload runs in its own worker process (no shared thread pools, no
library loaded that the contender would not load), and the workers take turns: cycle 1 runs
A B C D E, cycle 2 B C D E A, ... (``--cycles``, default 7), with a short pause between turns
so that one contender's spinning BLAS/OpenMP threads do not eat into the next one's time. The
report gives each contender's median and, for handgrad and every prototype, the median of the
*within-cycle* ratios against each peer (robust to the machine's slow drifts), with issue 15's
targets. JAX and PyTorch are optional: a contender whose library is missing is skipped with a
note.

Contenders (what a practitioner would write; see each factory below):

* ``bound``: only the matrix products of one forward+backward pass (3 forward, 3 weight
  gradients, 2 input gradients) into preallocated buffers, NumPy's BLAS, contiguous slices:
  no activation, loss, update or shuffle.
* ``handgrad``: ``model.fit(x, y, epochs=1, batch_size=bs, verbose=0)``: everything a user pays.
* ``torch``: ``nn.Sequential``, ``CrossEntropyLoss``, ``optim.SGD``; ``model.train()``,
  ``X[perm]`` per epoch then slices, ``zero_grad(set_to_none=True)``, ``backward``, ``step``,
  ``loss.item()`` per batch; ``torch.set_num_threads(threads)``.
* ``jax_step``: the SGD step ``jax.jit``-ed with the parameters donated; the epoch is a Python
  loop over slices of a host-shuffled copy; losses are fetched once at the end of the epoch.
* ``jax_scan``: the whole epoch in one jitted ``lax.scan`` over the pre-shuffled batches
  ``(steps, bs, 784)`` (the last, smaller batch through the jitted step); compile time of both
  is measured ahead of time (``jit(...).lower(...).compile()``) and reported separately.
* ``proto:<name>``: a prototype from ``benchmarks/proto/contenders.py`` (experiments, not the
  package).

    python benchmarks/compare.py                                  # everything, ~6 minutes
    python benchmarks/compare.py --workloads mlp --batch-sizes 32 --cycles 9
    python benchmarks/compare.py --workloads mlp small --contenders bound handgrad torch \
        jax_step jax_scan proto:epoch --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import _common as C
import numpy as np

HERE = Path(__file__).resolve().parent
Runner = Callable[[], Any]

MLP_LR = 0.1  # issue 15's workload (mlp_epoch.py keeps issue 2's 0.01)
MLP_SIZES = [C.MLP_FEATURES, *C.MLP_HIDDEN, C.MLP_CLASSES]
SMALL_SIZES = [C.SMALL_FEATURES, C.SMALL_HIDDEN, C.MLP_CLASSES]
PREDICT_SAMPLES = 10000

PEERS = ("torch", "jax_step", "jax_scan", "bound")
DEFAULT_CONTENDERS = ["bound", "handgrad", "torch", "jax_step", "jax_scan"]
#: Which contenders take part in which workload (others are skipped there).
WORKLOAD_CONTENDERS = {
    "mlp": ("bound", "handgrad", "torch", "jax_step", "jax_scan"),
    "small": ("bound", "handgrad", "torch", "jax_step", "jax_scan"),
    "cnn": ("handgrad", "torch"),
    "predict": ("bound", "handgrad", "torch", "jax_step"),
}

#: Issue 15's targets: subject / peer at least this much (within-cycle ratios).
TARGETS = {
    ("mlp", 32, "jax_step"): 1.2,
    ("mlp", 32, "jax_scan"): 1.0,
    ("mlp", 128, "jax_scan"): 1.0,
    ("mlp", 1024, "jax_scan"): 1.0,
    ("mlp", 32, "torch"): 1.3,
    ("mlp", 128, "torch"): 1.3,
    ("mlp", 1024, "torch"): 1.1,
    ("small", None, "torch"): 1.0,
    ("cnn", None, "torch"): 1.2,
    ("predict", None, "torch"): 1.2,
}
#: What the issue asks to aim for beyond the targets (share of the bound, ratio to JAX's scan).
AIMS = {
    ("mlp", 32, "bound"): 0.70,
    ("mlp", 128, "bound"): 0.80,
    ("mlp", 1024, "bound"): 0.80,
    ("mlp", 32, "jax_scan"): 1.1,
    ("mlp", 128, "jax_scan"): 1.1,
    ("mlp", 1024, "jax_scan"): 1.1,
}
MEMORY_TARGET = 1.5  # peak <= 1.5 x data + model


class Skip(Exception):
    """A contender cannot run here (library missing, workload not supported)."""


# =============================================================================== workloads
def case_data(case: dict) -> tuple[np.ndarray, np.ndarray]:
    """The arrays of a workload: every contender generates the same ones from the same seed."""
    kind = case["workload"]
    if kind == "mlp":
        return C.mlp_data(case["samples"])
    if kind == "predict":
        return C.mlp_data(PREDICT_SAMPLES, seed=2)
    if kind == "small":
        return C.small_data()
    if kind == "cnn":
        from cnn_epoch import cnn_data

        return cnn_data(case["cnn_samples"])
    raise ValueError(kind)


def case_work(case: dict) -> tuple[float, str]:
    """Units of work per timed round and their name (for the rates)."""
    kind = case["workload"]
    if kind == "mlp":
        return case["samples"], "samples_per_s"
    if kind == "small":
        return case["small_iterations"], "iterations_per_s"
    if kind == "cnn":
        return case["cnn_samples"], "samples_per_s"
    return PREDICT_SAMPLES, "samples_per_s"


def init_weights(sizes: list[int], seed: int = 0, dtype=np.float32) -> list[tuple]:
    """He-uniform ``(fan_in, fan_out)`` weights and zero biases (bound and JAX)."""
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = math.sqrt(6.0 / fan_in)
        w = rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype)
        out.append((w, np.zeros(fan_out, dtype)))
    return out


def check_loss(name: str, loss: float) -> float:
    if not math.isfinite(loss):
        raise RuntimeError(f"{name} diverged (loss {loss}); its timing would be meaningless")
    return loss


# ============================================================================ the bound
def _bound_pass(x: np.ndarray, weights: list[np.ndarray], batch_size: int) -> Runner:
    """One epoch of matrix products only: per batch L forward, L weight gradients, L-1 dX."""
    n = len(x)
    bs = min(batch_size, n)
    acts = [np.empty((bs, w.shape[1]), x.dtype) for w in weights]
    deltas = [np.full((bs, w.shape[1]), 0.001, x.dtype) for w in weights]
    dws = [np.empty_like(w) for w in weights]

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


def bound_factory(case: dict) -> Runner:
    x, _ = case_data(case)
    kind = case["workload"]
    if kind == "mlp":
        return _bound_pass(x, [w for w, _ in init_weights(MLP_SIZES)], case["batch_size"])
    if kind == "small":
        one = _bound_pass(x, [w for w, _ in init_weights(SMALL_SIZES)], len(x))
        return lambda: [one() for _ in range(case["small_iterations"])]
    if kind == "predict":  # forward products only, one call per layer on all 10000 rows
        weights = [w for w, _ in init_weights(MLP_SIZES)]
        outs = [np.empty((len(x), w.shape[1]), np.float32) for w in weights]

        def forward() -> None:
            a = x
            for w, out in zip(weights, outs, strict=True):
                a = np.matmul(a, w, out=out)

        return forward
    raise Skip(f"no bound for {kind}")


# ============================================================================== handgrad
def handgrad_mlp_model(sizes: list[int], hidden: str, lr: float, dtype="float32"):
    import handgrad as hg

    layers = [hg.layers.Dense(sizes[1], activation=hidden, input_dim=sizes[0])]
    layers += [hg.layers.Dense(k, activation=hidden) for k in sizes[2:-1]]
    layers.append(hg.layers.Dense(sizes[-1], activation="softmax"))
    model = hg.Sequential(layers, seed=0, dtype=dtype)
    model.compile("categorical_crossentropy", hg.optimizers.SGD(lr))
    return model


def handgrad_factory(case: dict) -> Runner:
    x, y = case_data(case)
    kind = case["workload"]
    if kind == "mlp":
        model = handgrad_mlp_model(MLP_SIZES, "relu", MLP_LR)
        bs = case["batch_size"]
        return lambda: check_loss(
            "handgrad", model.fit(x, y, epochs=1, batch_size=bs, verbose=0).history["loss"][-1]
        )
    if kind == "small":
        model = handgrad_mlp_model(SMALL_SIZES, "sigmoid", C.SMALL_LEARNING_RATE)
        its = case["small_iterations"]
        return lambda: check_loss(
            "handgrad",
            model.fit(x, y, epochs=its, batch_size=None, verbose=0).history["loss"][-1],
        )
    if kind == "cnn":
        from cnn_epoch import BATCH_SIZE, build_handgrad

        model = build_handgrad()
        return lambda: check_loss(
            "handgrad",
            model.fit(x, y, epochs=1, batch_size=BATCH_SIZE, verbose=0).history["loss"][-1],
        )
    if kind == "predict":
        model = handgrad_mlp_model(MLP_SIZES, "relu", MLP_LR)
        return lambda: model.predict(x)
    raise Skip(kind)


# ================================================================================= torch
def _torch():
    try:
        import torch
    except ImportError:
        raise Skip("torch is not installed") from None
    return torch


def torch_mlp_model(sizes: list[int], hidden: str):
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(0)
    modules: list = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        modules.append(nn.Linear(fan_in, fan_out))
        if i < len(sizes) - 2:
            modules.append(nn.ReLU() if hidden == "relu" else nn.Sigmoid())
    return nn.Sequential(*modules)


def _torch_epoch(model, x, y, batch_size: int, lr: float, shuffle: bool) -> Runner:
    torch = _torch()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    n = len(x)
    generator = torch.Generator().manual_seed(0)
    model.train()

    def run() -> float:
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
        return check_loss("torch", total / n)

    return run


def torch_factory(case: dict) -> Runner:
    torch = _torch()
    x, y = case_data(case)
    kind = case["workload"]
    if kind == "mlp":
        return _torch_epoch(torch_mlp_model(MLP_SIZES, "relu"), x, y, case["batch_size"], MLP_LR, True)
    if kind == "small":
        epoch = _torch_epoch(
            torch_mlp_model(SMALL_SIZES, "sigmoid"), x, y, len(x), C.SMALL_LEARNING_RATE, False
        )
        return lambda: [epoch() for _ in range(case["small_iterations"])]
    if kind == "cnn":
        from cnn_epoch import torch_runner

        run, _ = torch_runner(x, y)
        if run is None:
            raise Skip("torch is not installed")
        return run
    if kind == "predict":
        model = torch_mlp_model(MLP_SIZES, "relu")
        model.eval()
        xt = torch.from_numpy(x)

        def forward():
            with torch.no_grad():
                return torch.softmax(model(xt), dim=1)  # predict returns probabilities too

        return forward
    raise Skip(kind)


# =================================================================================== JAX
def _jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        raise Skip("jax is not installed") from None
    return jax, jnp


def _jax_mlp(sizes: list[int], hidden: str, lr: float):
    """Parameters (a list of (W, b)), the jitted SGD step with donated parameters, the loss."""
    jax, jnp = _jax()
    act = jax.nn.relu if hidden == "relu" else jax.nn.sigmoid
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in init_weights(sizes)]

    def logits(params, x):
        h = x
        for w, b in params[:-1]:
            h = act(h @ w + b)
        w, b = params[-1]
        return h @ w + b

    def loss_fn(params, x, y):
        logp = jax.nn.log_softmax(logits(params, x))
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))

    def step(params, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        return jax.tree.map(lambda p, g: p - lr * g, params, grads), loss

    return params, step, logits


def _compile(fn, *args, donate=(0,)):
    """``jit(fn).lower(*args).compile()`` and the seconds it took (excluded from timings)."""
    jax, _ = _jax()
    start = time.perf_counter()
    compiled = jax.jit(fn, donate_argnums=donate).lower(*args).compile()
    return compiled, time.perf_counter() - start


def jax_factory(case: dict, scan: bool) -> Runner:
    jax, jnp = _jax()
    x, y = case_data(case)
    y = y.astype(np.int32)
    kind = case["workload"]
    info = case.setdefault("info", {})
    if kind == "predict":
        if scan:
            raise Skip("predict has no scan variant")
        params, _, logits = _jax_mlp(MLP_SIZES, "relu", MLP_LR)
        fwd, secs = _compile(lambda p, x: jax.nn.softmax(logits(p, x)), params, x, donate=())
        info["compile_s"] = secs
        return lambda: fwd(params, x).block_until_ready()
    if kind == "small":
        params, step, _ = _jax_mlp(SMALL_SIZES, "sigmoid", C.SMALL_LEARNING_RATE)
        its = case["small_iterations"]
        state = {"params": params}
        if scan:

            def many(params, x, y):
                return jax.lax.scan(lambda p, _: step(p, x, y), params, None, length=its)

            run_many, secs = _compile(many, params, x, y)
            info["compile_s"] = secs

            def run():
                state["params"], losses = run_many(state["params"], x, y)
                return check_loss("jax", float(losses[-1]))

            return run
        one, secs = _compile(step, params, x, y)
        info["compile_s"] = secs

        def run():
            p = state["params"]
            for _ in range(its):
                p, loss = one(p, x, y)
            state["params"] = p
            return check_loss("jax", float(loss))

        return run
    if kind != "mlp":
        raise Skip(f"no JAX contender for {kind}")
    bs, n = case["batch_size"], len(x)
    params, step, _ = _jax_mlp(MLP_SIZES, "relu", MLP_LR)
    full, rest = divmod(n, bs)
    one, secs = _compile(step, params, x[:bs], y[:bs])
    info["compile_s"] = secs
    one_rest = None
    if rest:
        one_rest, secs = _compile(step, params, x[:rest], y[:rest])
        info["compile_s"] += secs
    rng = np.random.default_rng(0)
    state = {"params": params}
    xs_buf = np.empty_like(x)

    def shuffled():
        perm = rng.permutation(n)
        np.take(x, perm, axis=0, out=xs_buf, mode="clip")
        return xs_buf, y[perm]

    if scan:

        def epoch(params, xb, yb):
            return jax.lax.scan(lambda p, batch: step(p, *batch), params, (xb, yb))

        shape_x = (full, bs, x.shape[1])
        run_epoch, secs = _compile(
            epoch, params, np.zeros(shape_x, np.float32), np.zeros((full, bs), np.int32)
        )
        info["compile_s"] += secs

        def run():
            xs, ys = shuffled()
            p, losses = run_epoch(
                state["params"], xs[: full * bs].reshape(shape_x), ys[: full * bs].reshape(full, bs)
            )
            total = float(jnp.sum(losses)) * bs
            if rest:
                p, loss = one_rest(p, xs[full * bs :], ys[full * bs :])
                total += float(loss) * rest
            state["params"] = p
            return check_loss("jax", total / n)

        return run

    def run():
        xs, ys = shuffled()
        p = state["params"]
        losses = []
        for lo in range(0, full * bs, bs):
            p, loss = one(p, xs[lo : lo + bs], ys[lo : lo + bs])
            losses.append(loss)
        if rest:
            p, loss = one_rest(p, xs[full * bs :], ys[full * bs :])
            losses.append(loss * (rest / bs))
        state["params"] = jax.block_until_ready(p)
        return check_loss("jax", float(np.sum(jax.device_get(losses))) * bs / n)

    return run


# ============================================================================ contenders
FACTORIES: dict[str, Callable[[dict], Runner]] = {
    "bound": bound_factory,
    "handgrad": handgrad_factory,
    "torch": torch_factory,
    "jax_step": partial(jax_factory, scan=False),
    "jax_scan": partial(jax_factory, scan=True),
}


def factory_for(name: str) -> Callable[[dict], Runner]:
    if name.startswith("proto:"):
        sys.path.insert(0, str(HERE))
        from proto import contenders  # experiments; not part of the package

        return contenders.FACTORIES[name.split(":", 1)[1]]
    return FACTORIES[name]


def is_subject(name: str) -> bool:
    """Contenders whose ratios against the peers are reported (handgrad and prototypes)."""
    return name == "handgrad" or name.startswith("proto:")


# =============================================================================== workers
def set_threads_before_imports(threads: int, contender: str) -> None:
    """Thread limits that only work before the libraries load (JAX: its CPU affinity)."""
    if contender.startswith("jax") and threads < (os.cpu_count() or 1):
        # XLA sizes its pool from the affinity mask; its XLA_FLAGS thread options are ignored
        # by the current CPU runtime (measured: 1.43 ms per 1024x784x256 product either way).
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:threads]))


def worker(args: argparse.Namespace) -> None:
    """Build one contender, then time one round per ``run`` line read from stdin."""
    set_threads_before_imports(args.threads, args.worker)
    threads = C.limit_threads(args.threads)
    case = json.loads(args.case)
    clock = C.CLOCKS[args.clock]
    out = sys.stdout
    try:
        start = time.perf_counter()
        run = factory_for(args.worker)(case)
        setup = time.perf_counter() - start
        start = time.perf_counter()
        run()
        first = time.perf_counter() - start
        for _ in range(args.warmup):
            run()
    except Exception as reason:  # noqa: BLE001
        # compare.Skip from a prototype module is another class than __main__.Skip
        if type(reason).__name__ != "Skip":
            raise
        print(json.dumps({"skip": str(reason)}), file=out, flush=True)
        return
    ready = {"ready": True, "setup_s": setup, "first_round_s": first, "threads": threads}
    ready.update(case.get("info", {}))
    print(json.dumps(ready), file=out, flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        start = clock()
        run()
        seconds = clock() - start
        print(json.dumps({"seconds": seconds}), file=out, flush=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    final = {"maxrss_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}
    print(json.dumps(final), file=out, flush=True)


class Worker:
    def __init__(self, name: str, case: dict, args: argparse.Namespace) -> None:
        self.name = name
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--worker",
            name,
            "--case",
            json.dumps(case),
            "--threads",
            str(args.threads),
            "--clock",
            args.clock,
            "--warmup",
            str(args.warmup),
        ]
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=HERE
        )
        self.ready = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker {self.name} died (exit code {self.proc.wait()})")
        return json.loads(line)

    def run(self) -> float:
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        return self._read()["seconds"]

    def close(self) -> dict:
        if self.proc.poll() is not None:
            return {}
        self.proc.stdin.write("quit\n")
        self.proc.stdin.flush()
        final = self._read()
        self.proc.wait()
        return final


def cpu_jiffies() -> tuple[int, int, int]:
    """(steal, busy, total) jiffies of all CPUs from /proc/stat (busy: not idle, not iowait)."""
    with open("/proc/stat") as fh:
        fields = [int(v) for v in fh.readline().split()[1:]]
    steal = fields[7] if len(fields) > 7 else 0
    return steal, sum(fields) - fields[3] - fields[4], sum(fields)


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> list[float]:
    return list(os.getloadavg())


def measure_case(case: dict, contenders: list[str], args) -> dict:
    """Start one worker per contender, run ``cycles`` rotating cycles, return the report entry."""
    work, unit = case_work(case)
    entry: dict[str, Any] = {"case": dict(case), "load_at_start": loadavg(), "skipped": {}}
    workers: list[Worker] = []
    for name in contenders:
        w = Worker(name, case, args)  # one at a time, so that compile times are not disturbed
        if "skip" in w.ready:
            entry["skipped"][name] = w.ready["skip"]
            w.proc.stdin.close()
            w.proc.wait()
            continue
        workers.append(w)
    steal0, busy0, total0 = cpu_jiffies()
    cpu0 = {w.name: _proc_cpu(w.proc.pid) for w in workers}
    wall0 = time.perf_counter()
    times: dict[str, list[float]] = {w.name: [] for w in workers}
    try:
        for cycle in range(args.cycles):
            k = cycle % len(workers)
            for w in workers[k:] + workers[:k]:
                time.sleep(args.pause)
                times[w.name].append(w.run())
        cpu1 = {w.name: _proc_cpu(w.proc.pid) for w in workers}
    finally:
        finals = {w.name: w.close() for w in workers}
    steal1, busy1, total1 = cpu_jiffies()
    wall = time.perf_counter() - wall0
    entry["load_at_end"] = loadavg()
    entry["steal_percent"] = 100.0 * (steal1 - steal0) / max(1, total1 - total0)
    # CPU the rest of the machine used meanwhile (other jobs), in cores on average.
    ours = sum(cpu1[n] - cpu0[n] for n in cpu1)
    hz = os.sysconf("SC_CLK_TCK")
    entry["other_cores_busy"] = max(0.0, ((busy1 - busy0) / hz - ours) / wall)
    results = {}
    for w in workers:
        ts = times[w.name]
        results[w.name] = {
            unit: work / C.median(ts),
            f"{unit}_min": work / max(ts),
            f"{unit}_max": work / min(ts),
            "seconds": ts,
            **{k: v for k, v in w.ready.items() if k not in ("ready", "threads")},
            **finals[w.name],
        }
    entry["unit"] = unit
    entry["results"] = results
    entry["ratios"] = cycle_ratios(case, times)
    return entry


def cycle_ratios(case: dict, times: dict[str, list[float]]) -> dict:
    """Median over cycles of subject_rate / peer_rate (= peer_time / subject_time)."""
    kind, batch = case["workload"], case.get("batch_size")
    out = {}
    for subject in [n for n in times if is_subject(n)]:
        for peer in [n for n in times if n in PEERS or (n != subject and is_subject(n))]:
            per_cycle = [p / s for s, p in zip(times[subject], times[peer], strict=True)]
            e: dict[str, Any] = {"ratio": C.median(per_cycle), "per_cycle": per_cycle}
            if (kind, batch, peer) in TARGETS:
                e["target"] = TARGETS[(kind, batch, peer)]
                e["meets_target"] = e["ratio"] >= e["target"]
            if (kind, batch, peer) in AIMS:
                e["aim"] = AIMS[(kind, batch, peer)]
            out[f"{subject}/{peer}"] = e
    return out


# ================================================================================ memory
def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not found in /proc/self/status")


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def memory_child(contender: str, samples: int, batch_size: int) -> dict:
    """In a fresh interpreter: one epoch on ``samples``x784; the peak RSS growth it causes.

    The peak is reset once the data and the model exist, so the growth is what the epoch adds
    (a shuffled copy of X, temporaries); tracemalloc also reports NumPy's peak allocations.
    """
    import tracemalloc

    case = {"workload": "mlp", "samples": samples, "batch_size": batch_size}
    run = factory_for(contender)(case)
    reset = _reset_peak_rss()
    rss_before = _status_bytes("VmRSS")
    tracemalloc.start()
    run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    peak = _status_bytes("VmHWM") if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    data = samples * (C.MLP_FEATURES * 4 + 8)
    growth = max(0, peak - rss_before)
    return {
        "contender": contender,
        "data_bytes": data,
        "rss_peak_growth_bytes": growth,
        "traced_peak_bytes": traced_peak,
        "rss_peak_over_data": (data + growth) / data,
        "peak_reset": reset,
    }


def measure_memory(samples: int, contenders: list[str], args) -> list[dict]:
    model_bytes = sum(w.nbytes + b.nbytes for w, b in init_weights(MLP_SIZES))
    results = []
    for contender in contenders:
        cmd = [sys.executable, __file__, "--memory-child", contender, "--samples", str(samples)]
        cmd += ["--threads", str(args.threads)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE)
        if proc.returncode:
            results.append({"contender": contender, "error": proc.stderr.strip()[-300:]})
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r["model_bytes"] = model_bytes
        r["meets_target"] = r["data_bytes"] + r["rss_peak_growth_bytes"] <= (
            MEMORY_TARGET * r["data_bytes"] + model_bytes
        )
        results.append(r)
    return results


# ================================================================================== main
def build_cases(args) -> list[dict]:
    common = {
        "samples": args.samples,
        "small_iterations": args.small_iterations,
        "cnn_samples": args.cnn_samples,
    }
    cases = []
    for kind in args.workloads:
        if kind == "memory":
            continue
        if kind == "mlp":
            cases += [{"workload": "mlp", "batch_size": bs, **common} for bs in args.batch_sizes]
        else:
            cases.append({"workload": kind, **common})
    return cases


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workloads",
        nargs="+",
        default=["mlp", "small", "cnn", "predict", "memory"],
        choices=["mlp", "small", "cnn", "predict", "memory"],
    )
    parser.add_argument(
        "--contenders",
        nargs="+",
        default=DEFAULT_CONTENDERS,
        help="bound handgrad torch jax_step jax_scan, and proto:<name> prototypes",
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[32, 128, 1024])
    parser.add_argument("--cycles", type=int, default=7, help="timed rounds per contender")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds after the first")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between turns")
    parser.add_argument("--samples", type=int, default=60000, help="rows of the MLP data")
    parser.add_argument("--small-iterations", type=int, default=40)
    parser.add_argument("--cnn-samples", type=int, default=10000)
    C.add_run_options(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args)
        return {}
    if args.memory_child:
        C.limit_threads(args.threads)
        print(json.dumps(memory_child(args.memory_child, args.samples, 128)))
        return {}

    report: dict[str, Any] = {
        "benchmark": "compare (issue 15)",
        "command": " ".join([Path(sys.executable).name, "benchmarks/compare.py", *(argv or sys.argv[1:])]),
        "machine": C.machine_info(),
        "threads": args.threads,
        "clock": args.clock,
        "cycles": args.cycles,
        "load_at_start": loadavg(),
        "cases": [],
    }
    for module in ("jax", "numba", "scipy"):
        try:
            report["machine"][module] = __import__(module).__version__
        except ImportError:
            report["machine"][module] = None
    for case in build_cases(args):
        allowed = WORKLOAD_CONTENDERS[case["workload"]]
        names = [n for n in args.contenders if n in allowed or n.startswith("proto:")]
        entry = measure_case(case, names, args)
        report["cases"].append(entry)
        print_case(entry)
        if args.json:  # after every case, so that a later failure loses nothing
            Path(args.json).write_text(json.dumps(report, indent=2))
    if "memory" in args.workloads:
        names = [n for n in args.contenders if n in ("handgrad", "torch") or n.startswith("proto:")]
        report["memory"] = measure_memory(args.samples, names, args)
        for r in report["memory"]:
            if "error" in r:
                print(f"memory {r['contender']}: {r['error']}", file=sys.stderr)
                continue
            print(
                f"memory {r['contender']}: peak RSS growth {r['rss_peak_growth_bytes'] / 2**20:.0f}"
                f" MiB on {r['data_bytes'] / 2**20:.0f} MiB of data -> "
                f"{r['rss_peak_over_data']:.2f}x data",
                file=sys.stderr,
            )
    report["load_at_end"] = loadavg()
    C.emit_report(report, args.json)
    return report


def case_label(case: dict) -> str:
    if case["workload"] == "mlp":
        return f"mlp batch {case['batch_size']}"
    return {"small": "400-25-10 full batch", "cnn": "small CNN", "predict": "predict 10000x784"}[
        case["workload"]
    ]


def print_case(entry: dict) -> None:
    unit = entry["unit"]
    parts = []
    for name, r in entry["results"].items():
        extra = f" (compile {r['compile_s']:.2f} s)" if "compile_s" in r else ""
        parts.append(f"{name} {r[unit]:,.0f}{extra}")
    print(
        f"{case_label(entry['case'])} [{unit}; load {entry['load_at_start'][0]:.2f}, "
        f"steal {entry['steal_percent']:.1f}%, other jobs {entry['other_cores_busy']:.2f} "
        "cores]: " + ", ".join(parts),
        file=sys.stderr,
        flush=True,
    )
    for key, e in entry["ratios"].items():
        if key.endswith("/bound") or "target" in e or "aim" in e:
            text = f"    {key} {e['ratio']:.2f}"
            if "target" in e:
                text += f" [target {e['target']}: {'met' if e['meets_target'] else 'NOT met'}]"
            if "aim" in e:
                text += f" [aim {e['aim']}]"
            print(text, file=sys.stderr)
    for name, why in entry["skipped"].items():
        print(f"    skipped {name}: {why}", file=sys.stderr)


if __name__ == "__main__":
    main()
