"""Durable outbox: applications the central API has not yet acknowledged survive power cuts.

A resident who filed while the network was down has been told "your application is filed"; the
outbox makes that true. Rows live in SQLite (WAL, ``synchronous=FULL``: a commit is on disk when
``put`` returns). Personal data is stored only encrypted (AES-256-GCM with a per-kiosk key, a fresh
nonce per write, the idempotency key as associated data so a payload cannot be moved to another
row). Once central has acknowledged an entry its payload is overwritten and deleted; what remains
(key, application number, time) is not personal. A row that cannot be decrypted is quarantined,
never dropped, and never crashes the kiosk.

Two promises live in the row itself, so no kill can fall between them and the send:
- **one sender at a time**: whoever sends an entry (the journey, or the sync thread) first
  claims it with a conditional UPDATE; the other leaves it alone until the claim is released
  (sent, failed, held) or lapses. A claim outlives only its process: the kiosk releases every
  claim when it starts, before its threads do.
- **a card owed**: the UPDATE that records central's confirmation also records that a card is
  owed for an application approved for printing here (``card = 'owed'``). Once its fate is known
  (``printed``, ``not_printed``) the row waits until central has heard it (``card_reported_at``);
  a row that still owes a card or a report is never pruned.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from drivers.sqlite_wal import switch_to_wal
from kiosk.errors import OutboxError
from protocol import wire

log = logging.getLogger("kiosk.outbox")

KEY_BYTES = 32
NONCE_BYTES = 12
SCHEMA_VERSION = 2
CLAIM_S = 600.0  # longer than any send's timeouts and retries; released at once when it ends

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT NOT NULL UNIQUE,
    state            TEXT NOT NULL
                     CHECK (state IN ('pending', 'attention', 'quarantined', 'sent')),
    payload          BLOB,            -- nonce || AES-GCM ciphertext; NULL once sent
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       REAL NOT NULL,   -- unix seconds, UTC
    next_attempt_at  REAL NOT NULL,
    last_error       TEXT,            -- a stable error code, never a message
    application_number TEXT,
    sent_at          REAL,
    claimed_until    REAL,            -- a sender has it in hand until then (unix seconds)
    card             TEXT             -- NULL, or 'owed', 'printed', 'not_printed' (see above)
                     CHECK (card IS NULL OR card IN ('owed', 'printed', 'not_printed')),
    card_reported_at REAL             -- when central heard the card's fate
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
"""

# Columns added after the first release, for a kiosk upgraded in the field (ALTER TABLE cannot
# add a CHECK to an existing table; the code writes only the values above).
_ADDED_COLUMNS = (("claimed_until", "REAL"), ("card", "TEXT"), ("card_reported_at", "REAL"))

CardFate = Literal["owed", "printed", "not_printed"]


# -- the kiosk key ---------------------------------------------------------------------------

def load_or_create_kiosk_key(path: Path) -> bytes:
    """Read the kiosk's 32-byte key, or create it atomically (mode 0600) on first start."""
    path = Path(path)
    if not path.exists():
        _create_key_file(path)
    try:
        key = path.read_bytes()
    except OSError as exc:
        raise OutboxError(f"cannot read key file: {exc.strerror}",
                          code="outbox_key_unreadable") from exc
    if len(key) != KEY_BYTES:
        raise OutboxError(f"key file holds {len(key)} bytes, expected {KEY_BYTES}",
                          code="outbox_key_invalid")
    return key


def _create_key_file(path: Path) -> None:
    """Write to a private temporary file, then link it into place: never a half-written key,
    and if another process won the race its key is kept."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- what the outbox hands out ---------------------------------------------------------------

@dataclass(frozen=True)
class OutboxEntry:
    """A due, decrypted submission. The submission is kept out of repr so it never reaches logs."""

    idempotency_key: str
    submission: wire.ApplicationSubmission = field(repr=False)
    attempts: int
    next_attempt_at: dt.datetime
    last_error: str | None


@dataclass(frozen=True)
class OutboxProblem:
    """An entry waiting for staff (held after a rejection, or quarantined): no personal data."""

    idempotency_key: str
    state: str
    last_error: str | None
    attempts: int


def _ts(when: dt.datetime | None) -> float:
    when = when or dt.datetime.now(dt.timezone.utc)
    if when.tzinfo is None:
        raise ValueError("outbox times must be timezone-aware")
    return when.timestamp()


def _dt(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.timezone.utc)


# -- the outbox ------------------------------------------------------------------------------

class Outbox:
    """The queue of unacknowledged applications. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise OutboxError(f"outbox key must be {KEY_BYTES} bytes", code="outbox_key_invalid")
        self.path = Path(path)
        self._aead = AESGCM(key)
        self._lock = threading.RLock()
        self._db = _open_database(self.path)

    # writing

    def put(self, sub: wire.ApplicationSubmission, *, claim_s: float | None = None) -> bool:
        """Store a submission durably; a second put with the same idempotency key is a no-op.

        With ``claim_s`` the caller also becomes its sender, in the same transaction, so the
        sync thread cannot send it meanwhile. True when the caller holds the claim (or the
        entry is already sent: sending again only brings central's replayed receipt)."""
        blob = self._seal(sub)
        now = _ts(None)
        claimed_until = now + claim_s if claim_s is not None else None
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, state, payload, created_at,"
                " next_attempt_at, claimed_until) VALUES (?, 'pending', ?, ?, ?, ?)",
                (sub.idempotency_key, blob, now, now, claimed_until))
            new = cur.rowcount == 1
        log.info("outbox put", extra={"idempotency_key": sub.idempotency_key, "new": new})
        if new or claim_s is None:
            return new
        return self.claim(sub.idempotency_key, claim_s) or self.sent_receipt(
            sub.idempotency_key) is not None

    def claim(self, key: str, claim_s: float = CLAIM_S, now: dt.datetime | None = None) -> bool:
        """Become the one sender of a pending entry; False when another sender holds it."""
        at = _ts(now)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE outbox SET claimed_until = ? WHERE idempotency_key = ?"
                " AND state = 'pending' AND (claimed_until IS NULL OR claimed_until <= ?)",
                (at + claim_s, key, at))
        return cur.rowcount == 1

    def release_claim(self, key: str) -> None:
        """The sender gave up without an answer either way; the sync thread may take it."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET claimed_until = NULL WHERE idempotency_key = ?", (key,))

    def release_claims(self) -> int:
        """At start, before any thread: a claim held by a killed process is nobody's now."""
        with self._tx() as db:
            return db.execute("UPDATE outbox SET claimed_until = NULL"
                              " WHERE claimed_until IS NOT NULL").rowcount

    def mark_sent(self, key: str, receipt: wire.ApplicationReceipt,
                  card: CardFate | None = None) -> None:
        """Central has the application: overwrite the payload with zeros, then delete it.

        ``card`` is what this kiosk owes for the card, written in the same transaction: 'owed'
        when it is about to print it, 'not_printed' when central must post it. A fate already
        recorded (a replayed answer) is kept."""
        with self._tx() as db:
            row = db.execute("SELECT length(payload) FROM outbox WHERE idempotency_key = ?",
                             (key,)).fetchone()
            if row is None:
                raise OutboxError("mark_sent for an unknown key", code="outbox_unknown_key")
            if row[0]:
                db.execute("UPDATE outbox SET payload = zeroblob(?) WHERE idempotency_key = ?",
                           (row[0], key))
            db.execute(
                "UPDATE outbox SET payload = NULL, state = 'sent', application_number = ?,"
                " sent_at = coalesce(sent_at, ?), last_error = NULL, claimed_until = NULL,"
                " card = coalesce(card, ?) WHERE idempotency_key = ?",
                (receipt.application_number, _ts(None), card, key))
        self._checkpoint()
        log.info("outbox sent", extra={"idempotency_key": key, "replayed": receipt.replayed})

    def settle_card(self, key: str, printed: bool) -> None:
        """The owed card's fate is known; central is told next (``card_reported``)."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET card = ? WHERE idempotency_key = ? AND card = 'owed'",
                       ("printed" if printed else "not_printed", key))

    def card_reported(self, key: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET card_reported_at = ? WHERE idempotency_key = ?"
                       " AND card IN ('printed', 'not_printed') AND card_reported_at IS NULL",
                       (_ts(None), key))

    def prune_sent(self, older_than: dt.timedelta) -> int:
        """Forget sent entries (key and number only) after a while: the file must not grow.
        An entry whose card is still owed, or whose fate central has not heard, stays."""
        cutoff = _ts(None) - older_than.total_seconds()
        with self._tx() as db:
            gone = db.execute("DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?"
                              " AND (card IS NULL OR card_reported_at IS NOT NULL)",
                              (cutoff,)).rowcount
        if gone:
            self._checkpoint()
        return gone

    def mark_failed(self, key: str, error_code: str, retry_at: dt.datetime) -> None:
        """Count a failed attempt and say when to try again."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " claimed_until = NULL WHERE idempotency_key = ? AND state = 'pending'",
                (error_code, _ts(retry_at), key))
        log.info("outbox attempt failed", extra={"idempotency_key": key, "code": error_code})

    def hold(self, key: str, error_code: str) -> None:
        """Central refused the application: keep it for staff, never retry it blindly."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = 'attention', attempts = attempts + 1, last_error = ?,"
                " claimed_until = NULL WHERE idempotency_key = ? AND state = 'pending'",
                (error_code, key))
        log.warning("outbox entry held for staff", extra={"idempotency_key": key,
                                                          "code": error_code})

    def release(self, key: str) -> None:
        """Staff put a held or quarantined entry back in the queue (e.g. after fixing the key)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE"
                " idempotency_key = ? AND state IN ('attention', 'quarantined')",
                (_ts(None), key))

    def due_now(self) -> int:
        """Central answers again: every waiting entry is due at once, whatever its backoff."""
        now = _ts(None)
        with self._tx() as db:
            return db.execute("UPDATE outbox SET next_attempt_at = ? WHERE state = 'pending'"
                              " AND next_attempt_at > ?", (now, now)).rowcount

    # reading

    def pending(self, limit: int = 20, now: dt.datetime | None = None) -> list[OutboxEntry]:
        """Due entries nobody holds, oldest first, decrypted. Undecryptable rows are
        quarantined, not returned. A sender still claims each one before sending it."""
        at = _ts(now)
        with self._lock:
            rows = self._read(
                "SELECT idempotency_key, CAST(payload AS BLOB), attempts, next_attempt_at,"
                " last_error FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
                " AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY seq LIMIT ?",
                at, at, limit)
            entries = []
            for key, blob, attempts, next_at, last_error in rows:
                sub = self._open_or_quarantine(key, blob)
                if sub is not None:
                    entries.append(OutboxEntry(key, sub, attempts, _dt(next_at), last_error))
            return entries

    def depth(self) -> int:
        """Entries not yet acknowledged by central (pending, held and quarantined alike)."""
        return self._scalar("SELECT count(*) FROM outbox WHERE state != 'sent'")

    def oldest_age_s(self, now: dt.datetime | None = None) -> float | None:
        """Seconds since the oldest entry not yet acknowledged was put; None when there is
        none. A number that keeps growing is an outbox that does not drain."""
        oldest = self._scalar("SELECT min(created_at) FROM outbox WHERE state != 'sent'")
        return None if oldest is None else max(0.0, _ts(now) - oldest)

    def sent_receipt(self, key: str) -> str | None:
        """The application number central gave for this key, once sent."""
        return self._scalar("SELECT application_number FROM outbox WHERE idempotency_key = ?"
                            " AND state = 'sent'", key)

    def card(self, key: str) -> CardFate | None:
        """What this kiosk owes for the application's card (None: nothing)."""
        return self._scalar("SELECT card FROM outbox WHERE idempotency_key = ?", key)

    def cards_owed(self) -> list[tuple[str, dt.datetime]]:
        """(key, when central confirmed it) of approved print-here applications whose card's
        fate is not yet known."""
        return [(key, _dt(sent_at)) for key, sent_at in self._read(
            "SELECT idempotency_key, sent_at FROM outbox WHERE card = 'owed' ORDER BY seq")]

    def card_to_report(self, key: str) -> tuple[str, bool] | None:
        """(application number, printed) when this card's fate is known and central has not
        heard it yet."""
        rows = self._read("SELECT application_number, card FROM outbox WHERE idempotency_key = ?"
                          " AND card IN ('printed', 'not_printed') AND card_reported_at IS NULL",
                          key)
        return (rows[0][0], rows[0][1] == "printed") if rows else None

    def owe_report(self, key: str, printed: bool) -> None:
        """A fate settled by an earlier release, which kept the report in the journal."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET card = ? WHERE idempotency_key = ? AND state = 'sent'"
                       " AND card IS NULL", ("printed" if printed else "not_printed", key))

    def cards_to_report(self) -> list[tuple[str, str, bool]]:
        """(key, application number, printed) for every card whose fate central has not heard."""
        return [(key, number, card == "printed") for key, number, card in self._read(
            "SELECT idempotency_key, application_number, card FROM outbox WHERE card IN"
            " ('printed', 'not_printed') AND card_reported_at IS NULL ORDER BY seq")]

    def holds(self, key: str) -> bool:
        """Whether this application was kept (waiting, sent, held or quarantined)."""
        return self._scalar("SELECT COUNT(*) FROM outbox WHERE idempotency_key = ?", key) > 0

    def quarantined(self) -> list[OutboxProblem]:
        return self._problems("quarantined")

    def held(self) -> list[OutboxProblem]:
        return self._problems("attention")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # internals

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise OutboxError(f"outbox write failed: {exc}",
                                  code="outbox_write_failed") from exc
            except BaseException:
                self._rollback()
                raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it, so the erased payload's old page
        versions do not linger in the -wal file. Best effort: the data stays encrypted anyway."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
            except sqlite3.Error as exc:
                log.warning("outbox checkpoint failed", extra={"code": type(exc).__name__})

    def _read(self, sql: str, *args: object) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise OutboxError(f"outbox read failed: {exc}",
                                  code="outbox_read_failed") from exc

    def _scalar(self, sql: str, *args: object):
        rows = self._read(sql, *args)
        return rows[0][0] if rows else None

    def _problems(self, state: str) -> list[OutboxProblem]:
        rows = self._read("SELECT idempotency_key, state, last_error, attempts FROM outbox"
                          " WHERE state = ? ORDER BY seq", state)
        return [OutboxProblem(*row) for row in rows]

    def _seal(self, sub: wire.ApplicationSubmission) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        aad = sub.idempotency_key.encode()
        return nonce + self._aead.encrypt(nonce, sub.model_dump_json().encode(), aad)

    def _open_or_quarantine(self, key: str, blob: bytes | None) -> wire.ApplicationSubmission | None:
        reason = "missing_payload"
        if blob and len(blob) > NONCE_BYTES:
            try:
                plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], key.encode())
                sub = wire.ApplicationSubmission.model_validate_json(plain)
                if sub.idempotency_key == key:
                    return sub
                reason = "key_mismatch"
            except InvalidTag:
                reason = "undecryptable"
            except ValidationError:
                reason = "invalid_payload"
        self._quarantine(key, reason)
        return None

    def _quarantine(self, key: str, reason: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE outbox SET state = 'quarantined', last_error = ?"
                       " WHERE idempotency_key = ?", (reason, key))
        log.error("outbox entry quarantined", extra={"idempotency_key": key, "code": reason})


def _open_database(path: Path) -> sqlite3.Connection:
    """Open (or create) the outbox database with the durability settings it depends on."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
        mode = switch_to_wal(db)
        if mode.lower() != "wal":
            raise OutboxError(f"journal_mode is {mode}, WAL needed", code="outbox_open_failed")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(_SCHEMA)
        _add_missing_columns(db)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except sqlite3.Error as exc:
        raise OutboxError(f"cannot open outbox database: {exc}",
                          code="outbox_open_failed") from exc
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return db


def _add_missing_columns(db: sqlite3.Connection) -> None:
    have = {row[1] for row in db.execute("PRAGMA table_info(outbox)")}
    for name, kind in _ADDED_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
