"""Shared helpers for the benchmarks: workloads, thread limits, timing and machine facts.

Benchmarks are scripts, not tests. Each one builds its workload here so that every framework
trains on the same arrays: the MLP epoch (784-256-128-10 ReLU, softmax cross-entropy, plain SGD
on 60000x784 random float32 pixels in [0, 1) with integer labels) and the assignment-sized
network (400-25-10 sigmoid/softmax, full-batch gradient descent on 5000x400).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
# Allow running the scripts from a checkout without installing the package.
_SRC = HERE.parent / "src"
if _SRC.is_dir() and str(_SRC) not in sys.path:
    sys.path.insert(0, str(_SRC))

MLP_HIDDEN = (256, 128)
MLP_FEATURES = 784
MLP_CLASSES = 10
MLP_LEARNING_RATE = 0.01

SMALL_HIDDEN = 25
SMALL_FEATURES = 400
SMALL_SAMPLES = 5000
SMALL_LEARNING_RATE = 0.5


def mlp_data(n_samples: int = 60000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random pixels ``X`` (n, 784) float32 in [0, 1) and integer labels ``y`` (n,) in 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_samples, MLP_FEATURES), dtype=np.float32)
    y = rng.integers(0, MLP_CLASSES, n_samples).astype(np.int64)
    return x, y


def small_data(n_samples: int = SMALL_SAMPLES, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The 400-25-10 workload: ``X`` (5000, 400) float32 in [0, 1), labels in 0..9."""
    rng = np.random.default_rng(seed)
    x = rng.random((n_samples, SMALL_FEATURES), dtype=np.float32)
    y = rng.integers(0, MLP_CLASSES, n_samples).astype(np.int64)
    return x, y


def limit_threads(n_threads: int) -> dict[str, Any]:
    """Pin BLAS/OpenMP pools (threadpoolctl) and PyTorch to ``n_threads``; return what was set.

    Environment variables only work before NumPy loads, so threadpoolctl does the work at run
    time; without it the pools keep their defaults (OpenBLAS: one thread per core).
    threadpoolctl only limits libraries already loaded, and SciPy (imported by scikit-learn)
    ships its own OpenBLAS, so the optional libraries are imported first.
    """
    for module in ("scipy.linalg", "sklearn.neural_network", "torch"):
        try:
            __import__(module)
        except ImportError:
            pass
    facts: dict[str, Any] = {"threads": n_threads}
    try:
        import threadpoolctl
    except ImportError:
        facts["threadpoolctl"] = "not installed: BLAS threads left at their default"
    else:
        # Keep a reference: the limiter object restores the old limits when collected.
        limit_threads.limiter = threadpoolctl.threadpool_limits(n_threads)  # type: ignore[attr-defined]
        facts["pools"] = [
            {k: p.get(k) for k in ("internal_api", "prefix", "num_threads", "architecture")}
            for p in threadpoolctl.threadpool_info()
        ]
    try:
        import torch
    except ImportError:
        pass
    else:
        torch.set_num_threads(n_threads)
        facts["torch_threads"] = torch.get_num_threads()
    import handgrad

    # handgrad's own threads (convolution and pooling shares) follow the BLAS limit.
    facts["handgrad_threads"] = handgrad.get_num_threads()
    return facts


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def add_run_options(parser: argparse.ArgumentParser, clock: bool = True) -> None:
    """The options every benchmark takes: ``--threads``, ``--clock`` (optional) and ``--json``."""
    parser.add_argument(
        "--threads",
        type=int,
        default=os.cpu_count(),
        help="BLAS / OpenMP / torch threads for every contender (default: all cores)",
    )
    if clock:
        parser.add_argument(
            "--clock",
            choices=sorted(CLOCKS),
            default="wall",
            help="wall time, or process CPU time (robust on a shared machine with --threads 1)",
        )
    parser.add_argument("--json", metavar="PATH", help="also write the JSON result here")


def emit_report(report: dict[str, Any], path: str | None) -> None:
    """Print the JSON report on stdout and, with ``path``, also write it there."""
    print(json.dumps(report, indent=2))
    if path:
        with open(path, "w") as fh:
            json.dump(report, fh, indent=2)


def time_call(fn: Callable[[], Any], clock: str = "wall") -> float:
    """Seconds of one call, by the wall clock or by this process's CPU time.

    ``cpu`` counts the CPU time of all the process's threads: on a machine shared with other
    jobs, with one BLAS thread, it is the time the work would take on a quiet machine (the
    wall clock also counts the time the process waits for a core). With several threads it
    also counts their spinning, so use the wall clock there.
    """
    now = CLOCKS[clock]
    start = now()
    fn()
    return now() - start


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def alternate(
    runners: dict[str, Callable[[], Any]], repeats: int, warmup: int = 1, clock: str = "wall"
) -> dict[str, list[float]]:
    """Time each runner ``repeats`` times, interleaved A B C A B C ..., after ``warmup`` rounds.

    Interleaving spreads slow drifts of the machine (frequency, other load) over all
    contenders instead of penalizing whichever happens to run last.
    """
    for _ in range(warmup):
        for fn in runners.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, fn in runners.items():
            times[name].append(time_call(fn, clock))
    return times


def machine_info() -> dict[str, Any]:
    """CPU, core count, Python/NumPy versions and BLAS library, for the README table."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "platform": platform.platform(),
    }
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                info["cpu"] = line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - older NumPy has no mode="dicts"; the fact is optional
        pass
    for module in ("torch", "sklearn"):
        try:
            info[module] = __import__(module).__version__
        except ImportError:
            info[module] = None
    return info


def format_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub-markdown table (also readable in a terminal)."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.2f}"
        return str(v)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
