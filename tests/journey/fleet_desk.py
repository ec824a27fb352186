"""A real HTTP server between a kiosk and the real central server, for the answers central
would never give.

Every request goes on to central as it came, and heartbeats are kept as the kiosk sent them.
A test can make a route answer 503 while the rest works (`down`), or put raw settings JSON
in heartbeat answers: settings that break the wire contract, or a revision used twice.
Settings a hall manager makes go through central itself (`central.fleet.Fleet.set_settings`).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

from protocol import wire

HOP_HEADERS = {"content-type", "idempotency-key", "accept"}


class FleetDesk:
    def __init__(self, central_url: str) -> None:
        self.central_url = central_url.rstrip("/")
        self.heartbeats: list[wire.Heartbeat] = []
        self.central_status: list[int] = []  # central's answer to each heartbeat
        self.settings: tuple[int, dict[str, Any]] | None = None
        self.even_if_seen = False
        self.down: set[str] = set()  # "POST /v1/applications": answered 503, central not asked
        self.outage = False  # every route answered 503: central is away
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="fleet-desk")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def push(self, revision: int, settings: dict[str, Any], even_if_seen: bool = False) -> None:
        """Settings for the kiosk's next heartbeat answers, as raw JSON; `even_if_seen` sends
        them under a revision the kiosk already applied (which central never does)."""
        with self._lock:
            self.settings = (revision, settings)
            self.even_if_seen = even_if_seen

    def last_heartbeat(self) -> wire.Heartbeat:
        with self._lock:
            return self.heartbeats[-1]

    def __enter__(self) -> FleetDesk:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def _answer_heartbeat(self, body: bytes, upstream: requests.Response) -> bytes:
        beat = wire.Heartbeat.model_validate_json(body)
        with self._lock:
            self.heartbeats.append(beat)
            self.central_status.append(upstream.status_code)
            settings, even_if_seen = self.settings, self.even_if_seen
        if upstream.status_code != 200:
            return upstream.content
        answer = upstream.json()
        applied = beat.settings_applied.revision if beat.settings_applied else 0
        if settings is not None:
            answer["settings_revision"] = settings[0]
            if settings[0] > applied or even_if_seen:  # central: only when they are news
                answer["settings"] = settings[1]
        return json.dumps(answer).encode()

    def _handler(self):
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if desk.outage or f"{self.command} {self.path}" in desk.down:
                    return self._send(503, b'{"code": "down", "message": '
                                      b'{"zh_CN": "down", "en": "down"}}', "application/json")
                headers = {k: v for k, v in self.headers.items() if k.lower() in HOP_HEADERS}
                upstream = requests.request(self.command, desk.central_url + self.path,
                                            data=body or None, headers=headers, timeout=10)
                payload = upstream.content
                if self.command == "POST" and self.path.endswith("/heartbeat"):
                    payload = desk._answer_heartbeat(body, upstream)
                self._send(upstream.status_code, payload,
                           upstream.headers.get("Content-Type", "application/json"))

            def _send(self, status: int, payload: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _relay

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
