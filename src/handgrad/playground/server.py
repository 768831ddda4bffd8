"""The playground's web server: the standard library's ``ThreadingHTTPServer``, no framework.

The page talks to it with small JSON requests (a new setup, play / pause, a weight edit, an
upload) and listens to one Server-Sent Events stream (``/api/events``) that carries the setup
and every run's snapshots as they come, about ten a second while training. One thread serves
each connection; request lines, headers and query strings are parsed by ``http.server`` and
``urllib.parse``, bodies by :mod:`json` (or, for an upload, by the CSV reader).

It binds to 127.0.0.1 unless told otherwise, and then only answers requests whose ``Host`` is
a loopback name (so a web page elsewhere cannot reach it through DNS rebinding). Bodies are
size-checked before they are read.
"""

from __future__ import annotations

import importlib.util
import json
import mimetypes
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

from . import limits
from .csvdata import DataError
from .datasets import thumbnails
from .session import Session, SessionStore
from .spec import SpecError, catalogue, setup_to_dict
from .urlstate import setup_to_query

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
#: Seconds between keep-alive comments on an idle event stream (a closed tab is noticed then).
HEARTBEAT_SECONDS = 15.0
#: A body larger than its limit is still read (and dropped) up to this size, so the browser
#: receives the error message instead of a reset connection.
DRAIN_BYTES = 16_000_000


def _static_files() -> dict[str, tuple[bytes, str]]:
    """The page's files (HTML, JS, CSS, SVG) shipped in the package, by name."""
    folder = resources.files(__package__) / "static"
    files = {}
    for entry in folder.iterdir():
        if entry.is_file() and not entry.name.startswith("."):
            kind = mimetypes.guess_type(entry.name)[0] or "application/octet-stream"
            if entry.name.endswith(".js"):
                kind = "text/javascript"  # modules need a JavaScript type whatever the OS says
            if kind.startswith("text/") or kind.endswith(("javascript", "svg+xml")):
                kind += "; charset=utf-8"
            files[entry.name] = (entry.read_bytes(), kind)
    return files


class RequestError(Exception):
    """An answer other than 200: status and message (shown on the page)."""

    def __init__(self, status: HTTPStatus, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


class Handler(BaseHTTPRequestHandler):
    """Routes the page's requests (see the module docstring)."""

    server: PlaygroundServer
    server_version = "handgrad-playground"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        if self.server.verbose:
            super().log_message(format, *args)

    # ------------------------------------------------------------------ replies
    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(status, json.dumps(data).encode(), "application/json")

    def _error(self, err: RequestError) -> None:
        self._json({"error": err.message, "field": err.field}, err.status)

    # ------------------------------------------------------------------ inputs
    def _body(self, limit: int, too_large: str) -> bytes:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            raise RequestError(HTTPStatus.LENGTH_REQUIRED, "the request needs a Content-Length")
        size = int(length)
        if size > limit:
            if size <= DRAIN_BYTES:
                remaining = size
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            else:
                self.close_connection = True
            raise RequestError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, too_large)
        return self.rfile.read(size)

    def _json_body(self) -> Any:
        too_large = f"requests are limited to {limits.MAX_JSON_BYTES:,} bytes"
        raw = self._body(limits.MAX_JSON_BYTES, too_large)
        try:
            return json.loads(raw or b"{}")
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"the request is not JSON: {err}") from None

    def _session(self, query: dict[str, list[str]]) -> Session:
        session_id = (query.get("session") or [""])[0]
        session = self.server.store.get(session_id)
        if session is None:
            raise RequestError(
                HTTPStatus.NOT_FOUND, "this page's session has ended (too many tabs?); reload"
            )
        return session

    def _host_allowed(self) -> bool:
        if not self.server.loopback_only:
            return True
        host = urlsplit("//" + (self.headers.get("Host") or "")).hostname or ""
        return host in LOOPBACK

    # ------------------------------------------------------------------ routes
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._route("GET")

    def do_HEAD(self) -> None:  # noqa: N802
        self._route("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._route("POST")

    def _route(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        try:
            if not self._host_allowed():
                raise RequestError(HTTPStatus.FORBIDDEN, "this server answers only on localhost")
            handler = ROUTES.get((method, parts.path))
            if handler is not None:
                handler(self, query)
            elif method == "GET" and parts.path in ("/", "/index.html"):
                self._static("index.html")
            elif method == "GET" and parts.path.startswith("/static/"):
                self._static(parts.path.removeprefix("/static/"))
            elif method == "GET" and parts.path == "/favicon.ico":
                self._static("favicon.svg")
            else:
                raise RequestError(HTTPStatus.NOT_FOUND, f"no page at {parts.path}")
        except RequestError as err:
            self._error(err)
        except (SpecError, DataError) as err:
            field = getattr(err, "field", None)
            message = getattr(err, "message", None) or str(err)
            self._error(RequestError(HTTPStatus.BAD_REQUEST, message, field))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _static(self, name: str) -> None:
        entry = self.server.static.get(name)
        if entry is None:
            raise RequestError(HTTPStatus.NOT_FOUND, f"no file {name!r}")
        self._send(200, entry[0], entry[1])

    def meta(self, query: dict[str, list[str]]) -> None:
        self._json(self.server.meta)

    def new_session(self, query: dict[str, list[str]]) -> None:
        body = self._json_body()
        text = body.get("query", "") if isinstance(body, dict) else ""
        if not isinstance(text, str) or len(text) > 250_000:
            raise RequestError(HTTPStatus.BAD_REQUEST, "the link is not a setup")
        session = self.server.store.create(text)
        with session.changed:
            reply = {
                "session": session.id,
                "setup": setup_to_dict(session.setup),
                "query": setup_to_query(session.setup),
                "notes": session.notes,
            }
        self._json(reply)

    def set_setup(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        setup = session.apply(self._json_body())
        self._json({"setup": setup_to_dict(setup), "query": setup_to_query(setup)})

    def control(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        body = self._json_body()
        action = body.get("action") if isinstance(body, dict) else None
        if action not in ("play", "pause", "step", "reset"):
            raise RequestError(HTTPStatus.BAD_REQUEST, "action must be play, pause, step or reset")
        index = body.get("run")
        if index is not None:
            session.run(index)
        session.control(action, index)
        self._json({"ok": True})

    def edit(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        body = self._json_body()
        try:
            fields = [body[k] for k in ("run", "layer", "source", "target", "value")]
        except (KeyError, TypeError):
            raise RequestError(
                HTTPStatus.BAD_REQUEST, "an edit needs run, layer, source, target and value"
            ) from None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in fields[:4]) or (
            isinstance(fields[4], bool) or not isinstance(fields[4], (int, float))
        ):
            raise RequestError(HTTPStatus.BAD_REQUEST, "an edit's fields must be numbers")
        session.edit(*fields[:4], float(fields[4]))
        self._json({"ok": True})

    def points(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        body = self._json_body()
        setup = session.add_points(body.get("points") if isinstance(body, dict) else None)
        self._json({"setup": setup_to_dict(setup), "query": setup_to_query(setup)})

    def upload(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        raw = self._body(
            limits.MAX_UPLOAD_BYTES,
            f"the file is larger than {limits.MAX_UPLOAD_BYTES:,} bytes; the playground reads "
            f"CSV files of up to {limits.MAX_UPLOAD_BYTES:,} bytes ({limits.MAX_UPLOAD_ROWS:,} "
            "rows)",
        )
        setup = session.upload(raw)
        self._json(
            {
                "setup": setup_to_dict(setup),
                "query": setup_to_query(setup),
                "points": len(setup.data.custom),
            }
        )

    def export(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        try:
            index = int((query.get("run") or ["0"])[0])
        except ValueError:
            raise RequestError(HTTPStatus.BAD_REQUEST, "run must be 0 or 1") from None
        kind = (query.get("format") or ["hgz"])[0]
        try:
            content, name, media = session.export(index, kind)
        except ImportError as err:
            raise RequestError(HTTPStatus.BAD_REQUEST, f"cannot export: {err}") from None
        self._send(200, content, media, {"Content-Disposition": f'attachment; filename="{name}"'})

    def events(self, query: dict[str, list[str]]) -> None:
        session = self._session(query)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.close_connection = True
        session.attach()
        try:
            self._stream(session)
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the tab was closed or reloaded
        finally:
            session.detach()

    def _stream(self, session: Session) -> None:
        version, sent_setup = -1, -1
        sent: list[Any] = []
        while not self.server.stopping:
            version = session.wait(version, HEARTBEAT_SECONDS)
            messages = []
            with session.changed:
                if session.setup_version != sent_setup:
                    messages.append(session.setup_message())
                    sent_setup, sent = session.setup_version, []
                sent += [None] * (len(session.snapshots) - len(sent))
                for i, snapshot in enumerate(session.snapshots):
                    if snapshot is not None and snapshot is not sent[i]:
                        messages.append({"type": "run", **snapshot})
                        sent[i] = snapshot
            if self.server.stopping:
                return
            # Serialized outside the lock: the runs keep training meanwhile.
            text = "".join(
                f"event: {m['type']}\ndata: {json.dumps(m, allow_nan=False)}\n\n" for m in messages
            )
            self.wfile.write((text or ": keep-alive\n\n").encode())
            self.wfile.flush()


ROUTES = {
    ("GET", "/api/meta"): Handler.meta,
    ("POST", "/api/session"): Handler.new_session,
    ("POST", "/api/setup"): Handler.set_setup,
    ("POST", "/api/control"): Handler.control,
    ("POST", "/api/edit"): Handler.edit,
    ("POST", "/api/points"): Handler.points,
    ("POST", "/api/upload"): Handler.upload,
    ("GET", "/api/export"): Handler.export,
    ("GET", "/api/events"): Handler.events,
}


class PlaygroundServer(ThreadingHTTPServer):
    """The HTTP server and the sessions it serves.

    Parameters
    ----------
    host : str
        Address to bind (127.0.0.1 by default in :func:`start`).
    port : int
        Port; 0 picks a free one (see :attr:`url`).
    verbose : bool
        Log every request to standard error.
    """

    daemon_threads = True

    def __init__(self, host: str, port: int, verbose: bool = False) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), Handler)
        self.verbose = verbose
        self.stopping = False
        self.loopback_only = host in LOOPBACK
        self.store = SessionStore()
        self.static = _static_files()
        onnx = importlib.util.find_spec("onnx") is not None
        self.meta = {**catalogue(), "thumbnails": thumbnails(), "onnx": onnx}

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}/"

    def stop(self) -> None:
        """Stop training, end the event streams and close the socket."""
        self.stopping = True
        self.store.close()
        self.shutdown()
        self.server_close()


def start(host: str = "127.0.0.1", port: int = 0, verbose: bool = False) -> PlaygroundServer:
    """A running server (in a background thread); ``server.stop()`` ends it."""
    server = PlaygroundServer(host, port, verbose)
    thread = threading.Thread(
        target=server.serve_forever, name="handgrad-playground-server", daemon=True
    )
    thread.start()
    return server
