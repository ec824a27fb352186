"""Signed requests between a kiosk and central: the one definition both sides use.

Why signatures and not mutual TLS: kiosks sit behind hall networks and government proxies
that terminate TLS, where a client certificate does not reach the application; a signature
on each request does, whatever is in between, and revoking a kiosk is one row in central's
database instead of a revocation list every TLS terminator must fetch. TLS still protects
the traffic; the signatures say who is talking.

A kiosk signs ``method, path (with query), timestamp, nonce, SHA-256 of the body`` with its
Ed25519 key (made on the kiosk at enrolment; it never leaves it). Central answers a signed
request with its own signature over ``the request's nonce, the status, SHA-256 of the
answer's body``, so a settings change in a heartbeat answer cannot be forged or replayed
to another request, and the kiosk pins central's key when it enrols.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

KIOSK_ID = "X-Kiosk-Id"
TIMESTAMP = "X-Kiosk-Timestamp"
NONCE = "X-Kiosk-Nonce"
SIGNATURE = "X-Kiosk-Signature"
CENTRAL_SIGNATURE = "X-Central-Signature"
WINDOW_S = 300  # a request's timestamp may differ from central's clock by this much


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def public_key_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64(public.public_bytes(Encoding.Raw, PublicFormat.Raw))


def load_public_key(text: str) -> Ed25519PublicKey:
    """Raises ValueError for anything that is not a raw Ed25519 key in base64."""
    try:
        raw = unb64(text)
    except (ValueError, UnicodeEncodeError) as exc:
        raise ValueError("not base64") from exc
    if len(raw) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return Ed25519PublicKey.from_public_bytes(raw)


def fingerprint(public_key_b64: str) -> str:
    """What a person compares: 16 hex characters of the key's SHA-256."""
    return hashlib.sha256(unb64(public_key_b64)).hexdigest()[:16]


def request_message(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return "\n".join(("onetrip-request-v1", method.upper(), path, timestamp, nonce,
                      hashlib.sha256(body).hexdigest())).encode()


def answer_message(nonce: str, status: int, body: bytes) -> bytes:
    return "\n".join(("onetrip-answer-v1", nonce, str(status),
                      hashlib.sha256(body).hexdigest())).encode()


def sign_request(key: Ed25519PrivateKey, kiosk_id: str, method: str, path: str,
                 body: bytes, now: float | None = None) -> dict[str, str]:
    """The headers that make a request the kiosk's own."""
    timestamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(18)
    signature = key.sign(request_message(method, path, timestamp, nonce, body))
    return {KIOSK_ID: kiosk_id, TIMESTAMP: timestamp, NONCE: nonce, SIGNATURE: b64(signature)}


def verify(public: Ed25519PublicKey, signature_b64: str, message: bytes) -> bool:
    try:
        public.verify(unb64(signature_b64), message)
        return True
    except (InvalidSignature, ValueError, UnicodeEncodeError):
        return False
