"""Durable outbox: applications the central API has not yet acknowledged survive power cuts.

A resident who filed while the network was down has been told "your application is filed"; the
outbox makes that true. Rows live in SQLite (WAL, ``synchronous=FULL``: a commit is on disk when
``put`` returns). Personal data is stored only encrypted (AES-256-GCM with a per-kiosk key, a fresh
nonce per write, the idempotency key as associated data so a payload cannot be moved to another
row). Once central has acknowledged an entry its payload is overwritten and deleted; what remains
(key, application number, time) is not personal. A row that cannot be decrypted is quarantined,
never dropped, and never crashes the kiosk.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from kiosk.errors import CentralError, CentralRejected, CentralUnavailable, OutboxError
from kiosk.fleet.central_client import backoff_delay
from protocol import wire

log = logging.getLogger("kiosk.outbox")

KEY_BYTES = 32
NONCE_BYTES = 12
SCHEMA_VERSION = 1

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
    sent_at          REAL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at);
"""


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

    def put(self, sub: wire.ApplicationSubmission) -> None:
        """Store a submission durably; a second put with the same idempotency key is a no-op."""
        blob = self._seal(sub)
        now = _ts(None)
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO outbox (idempotency_key, state, payload, created_at,"
                " next_attempt_at) VALUES (?, 'pending', ?, ?, ?)",
                (sub.idempotency_key, blob, now, now))
        log.info("outbox put", extra={"idempotency_key": sub.idempotency_key,
                                      "new": cur.rowcount == 1})

    def mark_sent(self, key: str, receipt: wire.ApplicationReceipt) -> None:
        """Central has the application: overwrite the payload with zeros, then delete it."""
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
                " sent_at = ?, last_error = NULL WHERE idempotency_key = ?",
                (receipt.application_number, _ts(None), key))
        self._checkpoint()
        log.info("outbox sent", extra={"idempotency_key": key, "replayed": receipt.replayed})

    def prune_sent(self, older_than: dt.timedelta) -> int:
        """Forget sent entries (key and number only) after a while: the file must not grow."""
        cutoff = _ts(None) - older_than.total_seconds()
        with self._tx() as db:
            gone = db.execute("DELETE FROM outbox WHERE state = 'sent' AND sent_at < ?",
                              (cutoff,)).rowcount
        if gone:
            self._checkpoint()
        return gone

    def mark_failed(self, key: str, error_code: str, retry_at: dt.datetime) -> None:
        """Count a failed attempt and say when to try again."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?"
                " WHERE idempotency_key = ? AND state = 'pending'",
                (error_code, _ts(retry_at), key))
        log.info("outbox attempt failed", extra={"idempotency_key": key, "code": error_code})

    def hold(self, key: str, error_code: str) -> None:
        """Central refused the application: keep it for staff, never retry it blindly."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = 'attention', attempts = attempts + 1, last_error = ?"
                " WHERE idempotency_key = ? AND state = 'pending'", (error_code, key))
        log.warning("outbox entry held for staff", extra={"idempotency_key": key,
                                                          "code": error_code})

    def release(self, key: str) -> None:
        """Staff put a held or quarantined entry back in the queue (e.g. after fixing the key)."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state = 'pending', next_attempt_at = ? WHERE"
                " idempotency_key = ? AND state IN ('attention', 'quarantined')",
                (_ts(None), key))

    # reading

    def pending(self, limit: int = 20, now: dt.datetime | None = None) -> list[OutboxEntry]:
        """Due entries, oldest first, decrypted. Undecryptable rows are quarantined, not returned."""
        with self._lock:
            rows = self._read(
                "SELECT idempotency_key, CAST(payload AS BLOB), attempts, next_attempt_at,"
                " last_error FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
                " ORDER BY seq LIMIT ?", _ts(now), limit)
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
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OutboxError(f"journal_mode is {mode}, WAL needed", code="outbox_open_failed")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")
        db.execute("PRAGMA busy_timeout=10000")
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except sqlite3.Error as exc:
        raise OutboxError(f"cannot open outbox database: {exc}",
                          code="outbox_open_failed") from exc
    try:
        os.chmod(path, 0o600)
    except OSError:
        pass
    return db


# -- the background sender -------------------------------------------------------------------

OutboxSource = Outbox | Callable[[], Outbox]


class OutboxSync:
    """Sends due outbox entries to central, in a background thread or one pass at a time."""

    THREAD_NAME = "outbox-sync"
    CONFLICT_ATTEMPTS = 5  # a 409 that persists this many tries is held for staff

    def __init__(self, outbox: OutboxSource, client, *, interval_s: float = 10,
                 backoff_base_s: float = 2, backoff_cap_s: float = 300,
                 on_synced: Callable[[str, wire.ApplicationReceipt], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self._source = outbox
        self._owned: Outbox | None = None
        self._client = client
        self.interval_s = interval_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._on_synced = on_synced
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._open_lock = threading.Lock()

    def sync_once(self) -> int:
        """Send every due entry once; returns how many central acknowledged."""
        outbox = self._outbox()
        sent = 0
        for entry in outbox.pending():
            if self._stopping.is_set():
                break
            outcome = self._send(outbox, entry)
            if outcome == "sent":
                sent += 1
            elif outcome == "unavailable":
                break  # the rest would fail the same way; try again next round
        return sent

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=False)
        self._thread.start()

    def kick(self) -> None:
        """Try now instead of at the next interval (e.g. the network came back)."""
        self._wake.set()

    def stop(self, timeout: float = 5) -> bool:
        """Wake the thread, wait for it and close the outbox we opened; True if it ended."""
        self._stopping.set()
        self._wake.set()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
            if not ended:
                log.warning("outbox-sync did not stop in time", extra={"timeout_s": timeout})
            else:
                self._thread = None
        if ended and self._owned is not None:
            self._owned.close()
            self._owned = None
        return ended

    # internals

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = self.sync_once()
                if sent:
                    log.info("outbox synced", extra={"sent": sent})
            except Exception as exc:  # a bug must not end the thread; never log the message
                log.error("outbox sync pass failed: %s", type(exc).__name__)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def _outbox(self) -> Outbox:
        if isinstance(self._source, Outbox):
            return self._source
        with self._open_lock:
            if self._owned is None:
                self._owned = self._source()
            return self._owned

    def _send(self, outbox: Outbox, entry: OutboxEntry) -> str:
        key = entry.idempotency_key
        try:
            receipt = self._client.submit_application(entry.submission)
        except CentralUnavailable as exc:
            outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            return "unavailable"
        except CentralRejected as exc:
            if self._worth_retrying(exc, entry.attempts):
                outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            else:
                outbox.hold(key, exc.code)
            return "rejected"
        except CentralError as exc:
            outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            return "failed"
        outbox.mark_sent(key, receipt)
        self._notify(key, receipt)
        return "sent"

    def _worth_retrying(self, exc: CentralRejected, attempts: int) -> bool:
        """429 always passes; a 409 may be a request still in flight, but one that persists
        (central: the same key with another body) needs staff, not endless retries."""
        if exc.status == 429:
            return True
        return exc.status == 409 and attempts + 1 < self.CONFLICT_ATTEMPTS

    def _retry_at(self, attempts: int) -> dt.datetime:
        delay = backoff_delay(attempts, self.backoff_base_s, self.backoff_cap_s, self._rng)
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)

    def _notify(self, key: str, receipt: wire.ApplicationReceipt) -> None:
        if self._on_synced is None:
            return
        try:
            self._on_synced(key, receipt)
        except Exception as exc:
            log.error("on_synced callback failed: %s", type(exc).__name__)
