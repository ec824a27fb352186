"""One log line per request, with no personal data, and a calm 500 for unexpected errors.

The line names the route *template* (``/v1/applications/{number}``), never the raw path, so
even a client that wrongly puts a document number in a URL cannot get it into the log. An
unexpected exception is logged by type only: exception messages (a database error's, a
validation error's) can quote the data that caused them.
"""

from __future__ import annotations

import logging
import sys
import time

from central.i18n import both
from protocol import wire
from protocol.codes import ApiErrorCode

log = logging.getLogger("central.request")


def internal_error() -> wire.ApiError:
    return wire.ApiError(code=ApiErrorCode.INTERNAL_ERROR.value,
                         message=both("error.internal_error"))


def configure_logging(level: str = "INFO") -> None:
    """Plain lines on stderr; uvicorn's own access log stays off (it prints raw paths)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("uvicorn.access").disabled = True


class RequestLog:
    """Pure ASGI middleware: times the request and logs method, route template and status."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = {"status": 500, "started": False}

        async def send_and_note(message) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            log.error("unhandled %s on %s %s", type(exc).__name__, scope["method"], _route(scope))
            if not state["started"]:
                await _send_internal_error(send_and_note)
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            log.info("%s %s %d %.1fms", scope["method"], _route(scope), state["status"], elapsed_ms)


def _route(scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "(no route)"


async def _send_internal_error(send) -> None:
    body = internal_error().model_dump_json().encode()
    await send({"type": "http.response.start", "status": 500,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
