"""An enrolment takes effect before its answer leaves central.

A kiosk sends its first signed request the moment it hears "enrolled". Central's key cache
is refreshed only every ``key_cache_s``, so the signature check must find the new key the
moment the answer starts, not some time after it was sent: here the cache is loaded before
the enrolment and not refreshed for an hour, and the test looks at the cache at the instant
the answer's first message goes out.
"""

from __future__ import annotations

import asyncio
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from central.api.kiosk_auth import KioskAuth
from central.fleet.enrolment import Enrolment
from central.fleet.service import Fleet, Hall
from central.storage.db import create_tables, make_engine
from protocol import signing, wire

KIOSK = "zz-kiosk-new"


def test_the_key_is_in_force_when_the_enrolment_answer_starts(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'central.db'}")
    create_tables(engine)
    Fleet(engine).add_halls([Hall(hall_id="zz-centre", city="zhuzhou",
                                  name=wire.Text(zh_CN="中心", en="Centre"))])
    enrolment = Enrolment(engine, Ed25519PrivateKey.generate(), "http://central.test")
    code = enrolment.issue_code(KIOSK, "zz-centre", "tech-wu").code
    kiosk_key = signing.public_key_text(Ed25519PrivateKey.generate())

    async def enrol_route(scope, receive, send):
        """What the real route does: commit the enrolment, then answer."""
        enrolment.enrol(KIOSK, code, kiosk_key)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps({"ok": True}).encode()})

    auth = KioskAuth(enrol_route, enrolment, key_cache_s=3600)
    seen_at_start: list[object] = []

    async def client_side(message):
        if message["type"] == "http.response.start":
            seen_at_start.append(await auth.keys.get(KIOSK))

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def scenario():
        assert await auth.keys.get(KIOSK) is None  # the cache is loaded, without the kiosk
        scope = {"type": "http", "method": "POST", "path": f"/v1/kiosks/{KIOSK}/enrol",
                 "headers": [], "query_string": b""}
        await auth(scope, receive, client_side)

    asyncio.run(scenario())
    assert len(seen_at_start) == 1
    assert seen_at_start[0] is not None, "the answer left before the key was in force"
    public_key, revoked = seen_at_start[0]
    assert signing.public_key_text(public_key) == kiosk_key and not revoked
