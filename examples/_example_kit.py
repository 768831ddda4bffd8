"""Shared plumbing of the example scripts: command line, output folder, tables, figures.

Every example is run as ``python examples/NAME.py [--quick] [--out DIR]`` and exposes
``main(argv=None) -> dict`` so the tests can import it and run it in quick mode. This module
holds what they all need and nothing about neural networks.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path(__file__).resolve().parent / "output"


def parse_args(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    """``--quick`` (a small, fast version of the run) and ``--out DIR`` (where PNGs go)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer iterations / settings: a few seconds instead of up to a minute",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help=f"folder for the PNG figures (default: {DEFAULT_OUT})",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="limit BLAS to this many threads (needs threadpoolctl; default: BLAS's own choice)",
    )
    args = parser.parse_args(argv)
    if args.threads is not None:
        if args.threads < 1:
            parser.error(f"--threads must be a positive int, got {args.threads}")
        limit_blas_threads(args.threads)
    args.out = prepare_out(args.out)
    return args


def limit_blas_threads(n_threads: int) -> None:
    """Pin BLAS to ``n_threads`` for the rest of the process (small matrices on a busy
    machine run far faster on one thread than on threads that wait for each other)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("--threads ignored: threadpoolctl is not installed (pip install threadpoolctl)")
        return
    threadpool_limits(n_threads, user_api="blas")


def prepare_out(out: Path) -> Path:
    """Create the output folder; the default one ignores itself so nothing lands in git."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    if out.resolve() == DEFAULT_OUT:
        ignore = out / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# figures written by the example scripts\n*\n")
    return out


def pyplot() -> Any:
    """matplotlib's pyplot on the non-interactive Agg backend (the examples only save PNGs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: Path) -> str:
    """Save a figure as PNG, close it (so many runs do not pile up open figures)."""
    plt = pyplot()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return str(path)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A GitHub-markdown table; floats with 4 decimals."""

    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:.4f}"
        return str(value)

    text_rows = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text_rows)) for i, h in enumerate(headers)]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(headers), rule, *map(line, text_rows)])


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    print(f"\n{title}\n")
    print(format_table(headers, rows))


@contextmanager
def timer(results: dict[str, Any], key: str = "seconds") -> Iterator[None]:
    """Store the wall time of the ``with`` block in ``results[key]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        results[key] = round(time.perf_counter() - start, 2)
