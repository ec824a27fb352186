"""This kiosk's own credentials: its Ed25519 signing key and the central key it pinned.

Made by enrolment (kiosk/enrolment.py) under ``<data_dir>/credentials/``: the private key in
``kiosk-signing.pem`` (0600, never sent anywhere), and in ``central.json`` the kiosk id and hall
it was enrolled as and central's public key. Both files are written whole or not at all.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from protocol import signing

FOLDER = "credentials"
KEY_FILE = "kiosk-signing.pem"
CENTRAL_FILE = "central.json"


@dataclass(frozen=True)
class Credentials:
    kiosk_id: str
    hall_id: str
    key: Ed25519PrivateKey
    central_key: Ed25519PublicKey

    def sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        return signing.sign_request(self.key, self.kiosk_id, method, path, body)

    def answer_is_centrals(self, nonce: str, status: int, body: bytes,
                           signature: str | None) -> bool:
        return signature is not None and signing.verify(
            self.central_key, signature, signing.answer_message(nonce, status, body))

    @property
    def central_fingerprint(self) -> str:
        return signing.fingerprint(signing.public_key_text(self.central_key))


def folder(data_dir: Path) -> Path:
    return data_dir / FOLDER


def load(data_dir: Path) -> Credentials | None:
    """The kiosk's credentials, or None before enrolment (or if the files are unreadable)."""
    where = folder(data_dir)
    try:
        about = json.loads((where / CENTRAL_FILE).read_text(encoding="utf-8"))
        key = load_pem_private_key((where / KEY_FILE).read_bytes(), password=None)
        central = signing.load_public_key(about["central_public_key"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(key, Ed25519PrivateKey):
        return None
    return Credentials(kiosk_id=about["kiosk_id"], hall_id=about.get("hall_id", ""), key=key,
                       central_key=central)


def save(data_dir: Path, credentials: Credentials) -> None:
    """Replace what was there (a re-enrolment brings a new key)."""
    where = folder(data_dir)
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o700)
    pem = credentials.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    _write_atomically(where / KEY_FILE, pem)
    about = {"kiosk_id": credentials.kiosk_id, "hall_id": credentials.hall_id,
             "central_public_key": signing.public_key_text(credentials.central_key)}
    _write_atomically(where / CENTRAL_FILE, json.dumps(about, indent=1).encode())


def new_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
