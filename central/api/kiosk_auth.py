"""Checks every kiosk request's signature before any route runs, and signs the answer.

``required`` (the default): a request to a kiosk route without a valid signature of an
enrolled, unrevoked kiosk is refused. ``open`` is for development and the business-logic
tests only: unsigned requests pass, but a signed one is still checked, and a revoked kiosk is
still refused. Health, city directories and enrolment itself need no signature.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import threading
import time
from collections import OrderedDict
from typing import Any, Literal

import anyio.to_thread
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from central.fleet.enrolment import Enrolment
from central.i18n import both
from protocol import signing, wire
from protocol.codes import ApiErrorCode, TrustCode

KioskAuthMode = Literal["required", "open"]
OPEN_PATHS = re.compile(r"^/v1/(health|openapi\.json|cities/[^/]+/directory|kiosks/[^/]+/enrol)$")
KIOSK_IN_PATH = re.compile(r"^/v1/kiosks/([^/]+)/")
MAX_BODY = 8 * 1024 * 1024
# Set in the request's scope state once a kiosk's signature was checked (any mode).
SIGNED_KIOSK = "signed_kiosk"


def face_check_body_limit(max_jpeg_bytes: int) -> int:
    """The face check's body: the JPEG in base64 and a few short fields."""
    return (max_jpeg_bytes + 2) // 3 * 4 + 1024


def signed_kiosk(request: Any) -> str | None:
    """The kiosk whose signature this request carried and passed, or None (unsigned, or no
    signature checking on this central)."""
    found = request.scope.get("state", {}).get(SIGNED_KIOSK)
    return found if isinstance(found, str) else None


class NonceBook:
    """Nonces seen within the window, so a captured request cannot be sent again."""

    def __init__(self, window_s: float = 2 * signing.WINDOW_S, limit: int = 200_000) -> None:
        self.window_s, self.limit = window_s, limit
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: str, now: float) -> bool:
        with self._lock:
            while self._seen and (next(iter(self._seen.values())) < now - self.window_s
                                  or len(self._seen) > self.limit):
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


# Each refusal's status and sentence (a message id of the catalogs).
REFUSALS: dict[TrustCode, tuple[int, str]] = {
    TrustCode.KIOSK_NOT_SIGNED: (401, "trust.kiosk_not_signed"),
    TrustCode.KIOSK_NOT_ENROLLED: (401, "trust.kiosk_not_enrolled"),
    TrustCode.KIOSK_REVOKED: (403, "trust.kiosk_revoked"),
    TrustCode.BAD_SIGNATURE: (401, "trust.bad_signature"),
    TrustCode.STALE_REQUEST: (401, "trust.stale_request"),
    TrustCode.REPLAYED_REQUEST: (401, "trust.replayed_request"),
    TrustCode.WRONG_KIOSK: (403, "trust.wrong_kiosk"),
}


class KeyCache:
    """Every kiosk's key and whether it is revoked, held in memory so that a city's
    heartbeats never wait on a query: loaded whole once, then brought up to date with what
    changed (enrolments, revocations) at most every ``refresh_s``, off the event loop, while
    requests go on with what is known. A revocation made by another process (the command
    line) so takes effect within ``refresh_s``; an enrolment through this server at once.
    ``refresh_s = 0`` asks the database on every request."""

    OVERLAP = dt.timedelta(seconds=10)  # re-read a little back: writers' clocks differ

    def __init__(self, enrolment: Enrolment, refresh_s: float) -> None:
        self.enrolment, self.refresh_s = enrolment, refresh_s
        self._keys: dict[str, tuple[Ed25519PublicKey, bool]] = {}
        self._texts: dict[str, tuple[str, bool]] = {}  # as stored, to see what changed
        self._since: dt.datetime | None = None
        self._refreshed_at: float | None = None
        self._refreshing = False
        self._first = asyncio.Lock()

    async def get(self, kiosk_id: str) -> tuple[Ed25519PublicKey, bool] | None:
        if self.refresh_s <= 0:
            found = await anyio.to_thread.run_sync(self.enrolment.key_of, kiosk_id)
            return None if found is None else (signing.load_public_key(found[0]), found[1])
        if self._refreshed_at is None:
            async with self._first:
                if self._refreshed_at is None:
                    await anyio.to_thread.run_sync(self._refresh)
        elif time.monotonic() - self._refreshed_at >= self.refresh_s and not self._refreshing:
            self._refreshing = True
            try:
                await anyio.to_thread.run_sync(self._refresh)
            finally:
                self._refreshing = False
        return self._keys.get(kiosk_id)

    async def reload(self, kiosk_id: str) -> None:
        """After an enrolment here: the new key from the next request on."""
        found = await anyio.to_thread.run_sync(self.enrolment.key_of, kiosk_id)
        if found is not None:
            self._keys[kiosk_id] = (signing.load_public_key(found[0]), found[1])

    def _refresh(self) -> None:
        started = self.enrolment.clock()
        for kiosk_id, public_key, revoked in self.enrolment.keys_changed_since(self._since):
            if self._texts.get(kiosk_id) != (public_key, revoked):  # the overlap re-reads
                self._texts[kiosk_id] = (public_key, revoked)
                self._keys[kiosk_id] = (signing.load_public_key(public_key), revoked)
        self._since = started - self.OVERLAP
        self._refreshed_at = time.monotonic()


class KioskAuth:
    def __init__(self, app: ASGIApp, enrolment: Enrolment, mode: KioskAuthMode = "required",
                 key_cache_s: float = 2.0, nonces: NonceBook | None = None,
                 body_limits: dict[str, int] | None = None) -> None:
        self.app, self.enrolment, self.mode = app, enrolment, mode
        # Paths that read less than MAX_BODY; they also need a signature in open mode.
        self.body_limits = dict(body_limits or {})
        self.keys = KeyCache(enrolment, key_cache_s)
        self.nonces = nonces or NonceBook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(wire.API_PREFIX + "/"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        if OPEN_PATHS.match(path):  # anyone may ask; an enrolled kiosk still gets it signed
            if path.endswith("/enrol"):  # a new key: in force before the kiosk hears of it
                send = self._enrolment_first(send, path.split("/")[-2])
            nonce = headers.get(signing.NONCE.lower())
            await self.app(scope, receive, self._signing_send(send, nonce) if nonce else send)
            return
        limit = self.body_limits.get(path)
        declared = headers.get("content-length", "")
        if limit is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send)  # not a byte of it read
        body = await _read_body(receive, limit or MAX_BODY)
        if body is None:
            return await _too_large(send)
        refusal = await self.check(scope["method"], _path_with_query(scope), headers, body)
        if refusal is None and limit is not None and signing.SIGNATURE.lower() not in headers:
            refusal = TrustCode.KIOSK_NOT_SIGNED  # signed-only, whatever the mode
        if refusal is not None:
            return await _refuse(send, refusal)
        nonce = headers.get(signing.NONCE.lower())
        replay = _replayer(body, receive)
        if nonce is None or signing.SIGNATURE.lower() not in headers:
            return await self.app(scope, replay, send)  # open mode, unsigned
        scope.setdefault("state", {})[SIGNED_KIOSK] = headers.get(signing.KIOSK_ID.lower(), "")
        await self.app(scope, replay, self._signing_send(send, nonce))

    async def check(self, method: str, path: str, headers: dict[str, str],
                    body: bytes) -> TrustCode | None:
        """None to let the request through, or the refusal's code."""
        kiosk_id = headers.get(signing.KIOSK_ID.lower(), "")
        signature = headers.get(signing.SIGNATURE.lower())
        known = await self.keys.get(kiosk_id) if kiosk_id else None
        if known is not None and known[1]:
            return TrustCode.KIOSK_REVOKED
        if signature is None:
            return None if self.mode == "open" else TrustCode.KIOSK_NOT_SIGNED
        if known is None:
            return TrustCode.KIOSK_NOT_ENROLLED
        timestamp = headers.get(signing.TIMESTAMP.lower(), "")
        nonce = headers.get(signing.NONCE.lower(), "")
        now = time.time()
        if not timestamp.isdigit() or abs(now - int(timestamp)) > signing.WINDOW_S:
            return TrustCode.STALE_REQUEST
        message = signing.request_message(method, path, timestamp, nonce, body)
        if not signing.verify(known[0], signature, message):
            return TrustCode.BAD_SIGNATURE
        in_path = KIOSK_IN_PATH.match(path)
        if in_path and in_path.group(1) != kiosk_id:
            return TrustCode.WRONG_KIOSK
        if not nonce or not self.nonces.first_time(f"{kiosk_id}:{nonce}", now):
            return TrustCode.REPLAYED_REQUEST
        return None

    def _enrolment_first(self, send: Send, kiosk_id: str) -> Send:
        """The enrolment is committed when the route answers: read the new key into the
        cache before the answer's first byte leaves, so the kiosk's next request (sent the
        moment it hears yes) meets its new key, not the old one or none."""

        async def after_reload(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 300:
                await self.keys.reload(kiosk_id)
            await send(message)
        return after_reload

    def _signing_send(self, send: Send, nonce: str) -> Send:
        """Hold the answer until its body is whole, then send it with central's signature."""
        start: dict = {}
        chunks: list[bytes] = []

        async def signed(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            if message["type"] != "http.response.body":
                return await send(message)
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            sig = signing.b64(self.enrolment.central_key.sign(
                signing.answer_message(nonce, start["status"], body)))
            headers = [(k, v) for k, v in start.get("headers", [])
                       if k.lower() != b"content-length"]
            headers += [(b"content-length", str(len(body)).encode()),
                        (signing.CENTRAL_SIGNATURE.lower().encode(), sig.encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})
        return signed


def _path_with_query(scope: Scope) -> str:
    query = scope.get("query_string", b"").decode("latin-1")
    return scope["path"] + ("?" + query if query else "")


async def _read_body(receive: Receive, limit: int = MAX_BODY) -> bytes | None:
    """The body; past MAX_BODY the rest is read and dropped (the signature then fails).
    With a tighter ``limit`` (a route's own), reading stops there: None."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit and limit < MAX_BODY:
            return None
        if size <= MAX_BODY:
            chunks.append(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


def _replayer(body: bytes, receive: Receive) -> Receive:
    """The body read already, once; then the client's own events (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _too_large(send: Send) -> None:
    await _answer(send, 413, ApiErrorCode.PHOTO_TOO_LARGE.value, "error.photo_too_large")


async def _refuse(send: Send, code: TrustCode) -> None:
    status, msgid = REFUSALS[code]
    await _answer(send, status, code.value, msgid)


async def _answer(send: Send, status: int, code: str, msgid: str) -> None:
    body = json.dumps({"code": code, "message": both(msgid).model_dump()},
                      ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
