"""The playground's HTTP server without a browser: the API, the event stream, bad requests."""

import http.client
import io
import json
import time
import zipfile

import numpy as np
import pytest

import handgrad as hg
from handgrad.playground import limits, start
from handgrad.playground.features import feature_matrix


@pytest.fixture(scope="module")
def server():
    srv = start(port=0)
    yield srv
    srv.stop()


def request(server, method, path, body=None, headers=None):
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=15)
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    conn.request(method, path, body=data, headers=hdrs)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response, payload


def post(server, path, body, **kwargs):
    response, payload = request(server, "POST", path, body, **kwargs)
    return response.status, json.loads(payload)


def new_session(server, query=""):
    status, reply = post(server, "/api/session", {"query": query})
    assert status == 200
    return reply["session"], reply


class Events:
    """An open event stream, read message by message."""

    def __init__(self, server, session):
        host, port = server.server_address[:2]
        self.conn = http.client.HTTPConnection(host, port, timeout=15)
        self.conn.request("GET", f"/api/events?session={session}")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.headers["Content-Type"].startswith("text/event-stream")

    def next(self):
        kind, data = None, None
        while True:
            line = self.response.readline().decode()
            if line.startswith("event: "):
                kind = line[7:].strip()
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "\n" and kind:
                return kind, data

    def until(self, test, timeout=20):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            kind, data = self.next()
            if test(kind, data):
                return data
        raise AssertionError("no such message in time")

    def close(self):
        self.conn.close()


def test_static_files_ship_in_the_package(server):
    response, body = request(server, "GET", "/")
    assert response.status == 200 and b'data-testid="epoch"' in body and b"Train" in body
    for name, kind in [("main.js", "text/javascript"), ("playground.css", "text/css")]:
        response, body = request(server, "GET", f"/static/{name}")
        assert response.status == 200 and response.headers["Content-Type"].startswith(kind)
        assert b"http://" not in body and b"https://" not in body  # nothing from the internet
    response, _ = request(server, "GET", "/static/../session.py")
    assert response.status == 404
    response, body = request(server, "GET", "/api/meta")
    meta = json.loads(body)
    assert meta["limits"]["max_units"] == limits.MAX_UNITS and "moons" in json.dumps(
        meta["datasets"]
    )
    assert "classification/spiral" in meta["thumbnails"]


def test_only_loopback_host_names_are_answered(server):
    response, _ = request(server, "GET", "/", headers={"Host": "evil.example:80"})
    assert response.status == 403
    response, _ = request(server, "GET", "/", headers={"Host": "localhost:1"})
    assert response.status == 200


def test_live_updates_while_training_then_export(server, tmp_path):
    session, reply = new_session(server, "dataset=moons&layers=6:tanh,4:tanh&batch=16")
    assert reply["setup"]["models"][0]["layers"][0]["units"] == 6
    events = Events(server, session)
    try:
        setup = events.until(lambda k, d: k == "setup")
        assert setup["n_classes"] == 2 and len(setup["domain"]) == 4
        first = events.until(lambda k, d: k == "run")
        assert first["epoch"] == 0 and first["status"] == "paused"
        assert post(server, f"/api/control?session={session}", {"action": "play"})[0] == 200
        events.until(lambda k, d: k == "run" and d["status"] == "training")
        start_time, count = time.monotonic(), 0
        while time.monotonic() - start_time < 2.0:
            kind, data = events.next()
            count += kind == "run"
        rate = count / (time.monotonic() - start_time)
        assert rate >= 5, f"only {rate:.1f} updates per second"
        post(server, f"/api/control?session={session}", {"action": "pause"})
        last = events.until(lambda k, d: k == "run" and d["status"] == "paused")
        assert last["epoch"] > 10 and last["metrics"]["loss"] < first["metrics"]["loss"]
        assert len(last["neurons"]) == 2 and len(last["weights"]) == 3
    finally:
        events.close()
    response, body = request(server, "GET", f"/api/export?session={session}&run=0&format=hgz")
    assert response.status == 200 and "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "m.hgz"
    path.write_bytes(body)
    model = hg.load_model(path)
    x = np.array([[0.0, 0.5], [1.0, -0.5]], dtype=np.float32)
    assert model.predict(feature_matrix(x, ["x1", "x2"])).shape == (2, 1)
    response, body = request(server, "GET", f"/api/export?session={session}&run=0&format=py")
    assert response.status == 200 and b"hg.Sequential(" in body
    response, body = request(server, "GET", f"/api/export?session={session}&run=0&format=onnx")
    assert response.status == 200 and len(body) > 100


def test_bad_requests_get_messages_and_the_server_keeps_running(server):
    session, _ = new_session(server)
    status, reply = post(
        server, f"/api/setup?session={session}", {"models": [{"layers": [{"units": 99}]}]}
    )
    assert status == 400 and reply["field"] == "models[0].layers[0].units"
    assert "from 1 to 32" in reply["error"]
    status, reply = post(server, f"/api/upload?session={session}", b"1,2,0\n1,nan,1\n" * 10)
    assert status == 400 and "not a finite number" in reply["error"]
    status, reply = post(
        server, f"/api/upload?session={session}", b"x" * (limits.MAX_UPLOAD_BYTES + 1)
    )
    assert status == 413 and "1,000,000 bytes" in reply["error"]
    status, reply = post(server, f"/api/setup?session={session}", b"{not json")
    assert status == 400 and "not JSON" in reply["error"]
    status, reply = post(server, "/api/setup?session=nope", {})
    assert status == 404 and "reload" in reply["error"]
    status, reply = post(server, f"/api/control?session={session}", {"action": "explode"})
    assert status == 400
    status, reply = post(
        server,
        f"/api/edit?session={session}",
        {"run": 0, "layer": 9, "source": 0, "target": 0, "value": 1},
    )
    assert status == 400 and "no layer 9" in reply["error"]
    status, reply = post(server, f"/api/points?session={session}", {"points": [[99, 99, 0]]})
    assert status == 400 and "outside the picture" in reply["error"]
    status, reply = post(
        server,
        f"/api/setup?session={session}",
        {"data": {"points": 5000}, "models": [{"batch_size": 1}]},
    )
    assert status == 400 and "updates per epoch" in reply["error"]
    # Still serving, and a good upload works.
    text = "".join(f"{i / 50:.3f},{(i * 7 % 50) / 50:.3f},{i % 3}\n" for i in range(90))
    status, reply = post(server, f"/api/upload?session={session}", text.encode())
    assert status == 200 and reply["points"] == 90
    assert reply["setup"]["data"]["dataset"] == "custom" and "data=" in reply["query"]


def test_a_shared_link_rebuilds_the_same_setup(server):
    _, reply = new_session(
        server, "dataset=spiral&classes=4&layers=8:relu:he_normal:d0.1:bn&opt=sgd&lr=0.1"
    )
    _, again = new_session(server, reply["query"])
    assert again["setup"] == reply["setup"] and again["query"] == reply["query"]
    assert again["setup"]["data"]["classes"] == 4


def test_sessions_beyond_the_limit_close_the_oldest(server):
    first, _ = new_session(server)
    for _ in range(limits.MAX_SESSIONS):
        new_session(server)
    status, _ = post(server, f"/api/control?session={first}", {"action": "play"})
    assert status == 404


def test_export_files_are_valid_archives(server):
    session, _ = new_session(server, "dataset=xor")
    response, body = request(server, "GET", f"/api/export?session={session}&run=0&format=hgz")
    assert zipfile.ZipFile(io.BytesIO(body)).namelist()[0] == "model.json"


def test_without_scikit_learn_the_page_starts_on_the_spiral(monkeypatch):
    from handgrad.playground.session import Session

    def missing(*args, **kwargs):
        raise ImportError("scikit-learn is required by moons() but is not installed")

    monkeypatch.setattr(hg.datasets, "moons", missing)
    session = Session("")
    try:
        assert session.setup.data.dataset == "spiral"
        assert any("scikit-learn" in note and "spiral" in note for note in session.notes)
    finally:
        session.close()
