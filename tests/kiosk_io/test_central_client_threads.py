"""One central client for the whole kiosk, a session (and its connections) per thread.

A requests.Session is not safe to share across threads. A real HTTP server on loopback
records which TCP connection each request came on: a thread's requests share one kept-alive
connection, and another thread's never do.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kiosk.fleet.central_client import CentralClient


class _Health(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a session reuses its connection
    ports: list[int] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        type(self).ports.append(self.client_address[1])
        body = json.dumps({"status": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    _Health.ports = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,))
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_each_thread_has_its_own_session_and_keeps_it(server):
    client = CentralClient(base_url=f"http://127.0.0.1:{server.server_address[1]}",
                           kiosk_id="k1", retries=0)
    ports: dict[str, list[int]] = {}

    def three_calls(name: str) -> None:
        for _ in range(3):
            client.health()
        ports[name] = list(_Health.ports[-3:])

    for name in ("journey-worker", "outbox-sync", "heartbeat"):  # one after another
        thread = threading.Thread(target=three_calls, args=(name,), name=name)
        thread.start()
        thread.join()
    client.close()
    for name, used in ports.items():
        assert len(set(used)) == 1, f"{name} opened a connection per request"
    assert len({used[0] for used in ports.values()}) == 3, "threads shared a session"


def test_close_closes_every_threads_session_and_the_client_still_works(server):
    client = CentralClient(base_url=f"http://127.0.0.1:{server.server_address[1]}",
                           kiosk_id="k1", retries=0)
    client.health()
    before = _Health.ports[-1]
    client.close()
    client.close()  # twice is fine
    client.health()  # a new session after close, on a new connection
    assert _Health.ports[-1] != before
    client.close()
