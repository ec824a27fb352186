"""Enrolling kiosks with one-time codes, their keys, and revoking them.

A technician asks for a code for one kiosk id in one hall (``python -m central fleet
enrolment-code``); it is ten characters from an alphabet without look-alikes, good once, for
an hour by default, and only its SHA-256 is stored. The kiosk sends it with the public half
of a key it has just made; central keeps the key, puts the kiosk in the code's hall, and
answers with its own public key for the kiosk to pin. Every step is written down with who.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)
from pydantic import BaseModel
from sqlalchemy import Engine, insert, select, update

from central.errors import ApiProblem
from central.fleet.service import BadKioskId, UnknownHall
from central.i18n import both
from central.storage import db
from central.storage.store import utc_now
from central.storage.upsert import insert_or_ignore
from protocol import wire
from protocol.codes import ApiErrorCode
from protocol.enrolment import ALPHABET, CODE_LENGTH, EnrolmentTicket, grouped, normalise_code
from protocol.signing import fingerprint, load_public_key, public_key_text


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class IssuedCode(BaseModel):
    code: str  # grouped for reading aloud: ABCDE-FGHJK
    kiosk_id: str
    hall_id: str
    expires_at: dt.datetime
    qr_payload: str


class Credential(BaseModel):
    """A kiosk's key as central holds it: what the dashboard shows."""

    fingerprint: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None = None


def load_or_create_central_key(path: Path) -> Ed25519PrivateKey:
    """Central's own signing key, made once (0600) and kept beside its database."""
    if path.exists():
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 key")
        return key
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return key


def default_key_path(database_url: str) -> Path:
    """Beside a SQLite file; in the working directory for a database server."""
    if database_url.startswith("sqlite:///"):
        return Path(database_url[len("sqlite:///"):] + ".fleet-key")
    return Path("central-fleet.key")


def _refused() -> ApiProblem:
    return ApiProblem(403, ApiErrorCode.ENROLMENT_REFUSED, both("error.enrolment_refused"))


class Enrolment:
    def __init__(self, engine: Engine, central_key: Ed25519PrivateKey, public_url: str,
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.engine = engine
        self.central_key = central_key
        self.public_url = public_url
        self.clock = clock

    @property
    def central_public_key(self) -> str:
        return public_key_text(self.central_key)

    def issue_code(self, kiosk_id: str, hall_id: str, who: str,
                   valid_for: dt.timedelta = dt.timedelta(hours=1)) -> IssuedCode:
        if not re.match(wire.KIOSK_ID_PATTERN, kiosk_id):
            raise BadKioskId(kiosk_id)
        now = self.clock()
        raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        with self.engine.begin() as c:
            if c.scalar(select(db.halls.c.hall_id).where(db.halls.c.hall_id == hall_id)) is None:
                raise UnknownHall(hall_id)
            c.execute(insert(db.enrolment_codes).values(
                code_sha256=code_hash(raw), kiosk_id=kiosk_id, hall_id=hall_id, issued_by=who,
                issued_at=now, expires_at=now + valid_for))
            self._audit(c, kiosk_id, who, "code_issued",  # no words: pages show it in both
                        f"{hall_id} · {valid_for.total_seconds() / 60:g} min")
        code = grouped(raw)
        ticket = EnrolmentTicket(code=code, url=self.public_url, kiosk_id=kiosk_id,
                         central_fingerprint=fingerprint(self.central_public_key))
        return IssuedCode(code=code, kiosk_id=kiosk_id, hall_id=hall_id,
                          expires_at=now + valid_for, qr_payload=ticket.payload())

    def enrol(self, kiosk_id: str, code: str, public_key: str) -> str:
        """Record the kiosk's key; central's public key for the kiosk to pin. Raises ApiProblem."""
        try:
            load_public_key(public_key)
        except ValueError:
            raise ApiProblem(422, ApiErrorCode.BAD_PUBLIC_KEY,
                             both("error.bad_public_key")) from None
        now, codes = self.clock(), db.enrolment_codes
        with self.engine.begin() as c:
            row = c.execute(select(codes).where(codes.c.code_sha256 == code_hash(code))).first()
            if row is None or row.used_at is not None or db.utc(row.expires_at) < now \
                    or not hmac.compare_digest(row.kiosk_id, kiosk_id):
                raise _refused()
            c.execute(update(codes).where(codes.c.code_sha256 == row.code_sha256)
                      .values(used_at=now))
            c.execute(insert_or_ignore(self.engine.dialect.name, db.kiosks, ["kiosk_id"])
                      .values(kiosk_id=kiosk_id, settings_revision=0))
            c.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                      .values(hall_id=row.hall_id))
            keys = db.kiosk_keys
            c.execute(keys.delete().where(keys.c.kiosk_id == kiosk_id))  # re-enrolment
            c.execute(insert(keys).values(kiosk_id=kiosk_id, public_key=public_key,
                                          enrolled_at=now, revoked_at=None))
            self._audit(c, kiosk_id, row.issued_by, "enrolled",  # with the code they issued
                        f"{row.hall_id} · {fingerprint(public_key)}")
        return self.central_public_key

    def revoke(self, kiosk_id: str, who: str, reason: str) -> bool:
        """Refuse the kiosk from now on; False when it has no key to revoke."""
        with self.engine.begin() as c:
            done = c.execute(update(db.kiosk_keys).where(db.kiosk_keys.c.kiosk_id == kiosk_id,
                                                         db.kiosk_keys.c.revoked_at.is_(None))
                             .values(revoked_at=self.clock())).rowcount
            if done:
                self._audit(c, kiosk_id, who, "revoked", reason)
        return bool(done)

    def key_of(self, kiosk_id: str) -> tuple[str, bool] | None:
        """(public key, revoked) for an enrolled kiosk; None for one never enrolled."""
        with self.engine.connect() as c:
            row = c.execute(select(db.kiosk_keys).where(db.kiosk_keys.c.kiosk_id == kiosk_id)
                            ).first()
        return None if row is None else (row.public_key, row.revoked_at is not None)

    def credential(self, kiosk_id: str) -> Credential | None:
        with self.engine.connect() as c:
            row = c.execute(select(db.kiosk_keys).where(db.kiosk_keys.c.kiosk_id == kiosk_id)
                            ).first()
        if row is None:
            return None
        return Credential(fingerprint=fingerprint(row.public_key),
                          enrolled_at=db.utc(row.enrolled_at),
                          revoked_at=None if row.revoked_at is None else db.utc(row.revoked_at))

    def keys_changed_since(self, since: dt.datetime | None) -> list[tuple[str, str, bool]]:
        """(kiosk id, public key, revoked) of every kiosk enrolled or revoked since then
        (all of them for None)."""
        k = db.kiosk_keys
        query = select(k.c.kiosk_id, k.c.public_key, k.c.revoked_at)
        if since is not None:
            query = query.where((k.c.enrolled_at >= since) | (k.c.revoked_at >= since))
        with self.engine.connect() as c:
            return [(r.kiosk_id, r.public_key, r.revoked_at is not None)
                    for r in c.execute(query)]

    def audit(self, kiosk_id: str) -> list[dict]:
        a = db.credential_audit
        with self.engine.connect() as c:
            rows = c.execute(select(a).where(a.c.kiosk_id == kiosk_id).order_by(a.c.id)).all()
        return [{"at": db.utc(r.at), "who": r.who, "what": r.what, "detail": r.detail}
                for r in rows]

    def _audit(self, c, kiosk_id: str, who: str, what: str, detail: str) -> None:
        c.execute(insert(db.credential_audit).values(kiosk_id=kiosk_id, at=self.clock(),
                                                     who=who[:64], what=what,
                                                     detail=detail[:200]))
