"""Refuse a request whose path or query carries what no field may (NUL, other control
characters, lone surrogates) or is longer than any real one, before a route reads it.

The wire models check their own strings (``protocol.wire.check_text``); a path parameter or a
query value never passes through them, and on PostgreSQL a NUL in a lookup used to end in a
500. The refusal is the API's usual 422 ``invalid_request`` naming the part, never echoing
the value (it may be personal).
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from central.i18n import both
from protocol import wire
from protocol.codes import ApiErrorCode

PATH_MAX_CHARS = 512
QUERY_MAX_CHARS = 256


def problem_with(scope: dict) -> str | None:
    """The part of the request that cannot be accepted ('path', 'query.NAME'), or None."""
    try:
        wire.check_text(scope.get("path", ""), PATH_MAX_CHARS)
    except ValueError:
        return "path"
    raw = scope.get("query_string", b"")
    if len(raw) > 4 * QUERY_MAX_CHARS:
        return "query"
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8",
                          errors="strict")
    except (UnicodeDecodeError, ValueError):
        return "query"
    for name, value in pairs:
        for text in (name, value):
            try:
                wire.check_text(text, QUERY_MAX_CHARS)
            except ValueError:
                return "query." + name[:32] if name.isprintable() else "query"
    return None


class InputHygiene:
    """Pure ASGI middleware, outermost but for the request log."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        part = problem_with(scope) if scope["type"] == "http" else None
        if part is None:
            await self.app(scope, receive, send)
            return
        details = wire.Text(zh_CN=part, en=f"{part}: control characters, lone surrogates or "
                                             "too long")
        body = json.dumps(wire.ApiError(
            code=ApiErrorCode.INVALID_REQUEST.value,
            message=both("error.invalid_request", details=details)).model_dump(mode="json"),
            ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 422,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
