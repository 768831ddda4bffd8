"""``handgrad playground``: the command that starts the server and opens the page."""

from __future__ import annotations

import argparse
import errno
import sys
import threading
import webbrowser
from typing import Any

import threadpoolctl

import handgrad as hg

from .server import start

DEFAULT_PORT = 8765


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``playground`` subcommand to the ``handgrad`` command line."""
    p = subparsers.add_parser(
        "playground",
        help="TF Playground on handgrad's real layers, in the browser",
        description="Start a local server and open the playground page: pick a dataset and a "
        "network, press Train and watch it learn (training runs here, in handgrad).",
    )
    p.add_argument(
        "--port",
        type=int,
        default=None,
        help=f"port to listen on (default: {DEFAULT_PORT}, or a free one if it is taken; "
        "0: any free port)",
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default: 127.0.0.1, this machine only; 0.0.0.0 exposes the "
        "page to the network)",
    )
    p.add_argument("--no-open", action="store_true", help="do not open a browser")
    p.add_argument("--verbose", action="store_true", help="log every request")
    p.set_defaults(func=run)
    return p


def _bind(host: str, port: int | None, verbose: bool):
    try:
        return start(host, DEFAULT_PORT if port is None else port, verbose)
    except OSError as err:
        if port is None and err.errno == errno.EADDRINUSE:
            return start(host, 0, verbose)  # the default port is taken: any free one will do
        raise OSError(f"cannot listen on {host}:{port}: {err.strerror or err}") from None


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C."""
    # One BLAS thread: the networks are small (threads only add overhead) and the second core
    # stays free for the server and the browser.
    hg.set_num_threads(1)
    with threadpoolctl.threadpool_limits(1):
        server = _bind(args.host, args.port, args.verbose)
        print(f"handgrad playground: {server.url}  (Ctrl-C to stop)", flush=True)
        if args.host not in ("127.0.0.1", "localhost", "::1"):
            print(
                f"  listening on {args.host}: anyone who can reach this machine can use the page",
                file=sys.stderr,
            )
        if not args.no_open:
            threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("handgrad playground: stopped", file=sys.stderr)
        finally:
            server.stop()
    return 0
