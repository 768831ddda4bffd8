"""The ``handgrad`` command line.

``handgrad train`` with no arguments runs the lecture notes' assignment: the 20x20 MNIST digits,
a 400-25-10 network (sigmoid hidden layer, softmax output, zero biases, seed 1), full-batch
gradient descent at several learning rates; it prints train and test accuracy per rate and the
best, and writes the cost plot, one model file per rate and a JSON of metrics to the output
folder. The network comes from :func:`handgrad.recipes.build_mlp`, the recipe ``handgrad tune``
uses too, so its weights start from each layer's default initializer (Glorot uniform before a
sigmoid or softmax, He after ReLU); ``--init small_normal`` gives the notes' 0.01*randn. Every
other command is listed by ``handgrad --help``.

Errors in arguments or files end the program with exit code 2 and a one-line message.

Layout: :mod:`.parser` (the subcommands and their options), :mod:`.commands` (one
``cmd_<name>`` per subcommand), :mod:`.data` (reading datasets and files) and :func:`main` here.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from .._parallel import set_num_threads
from .commands import cmd_datasets, cmd_evaluate, cmd_plot, cmd_predict, cmd_train, cmd_tune
from .data import BUILTIN, CLIError
from .parser import build_parser

__all__ = [
    "main",
    "build_parser",
    "CLIError",
    "BUILTIN",
    "cmd_train",
    "cmd_evaluate",
    "cmd_predict",
    "cmd_datasets",
    "cmd_plot",
    "cmd_tune",
]


@contextlib.contextmanager
def _thread_limit(threads: int | None) -> Iterator[None]:
    """``--threads N``: BLAS (threadpoolctl) and handgrad's own threads, for this command."""
    if threads is None:
        yield
        return
    import threadpoolctl

    with threadpoolctl.threadpool_limits(threads):
        set_num_threads(threads)
        try:
            yield
        finally:
            set_num_threads(None)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _thread_limit(args.threads):
            return args.func(args)
    except (CLIError, ValueError, TypeError, FileNotFoundError, ImportError, OSError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        print(f"handgrad: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("handgrad: interrupted", file=sys.stderr)
        return 130
