"""Tables and the engine: SQLAlchemy Core, one schema for SQLite (default) and PostgreSQL.

Exactly one application per idempotency key is the database's job (a unique constraint), not
the application's: it holds however many kiosks retry at the same moment. Parameters are
hidden from SQLAlchemy's error messages so a document number never reaches a log.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    inspect,
    make_url,
)

log = logging.getLogger("central.db")

metadata = MetaData()

residents = Table(
    "residents", metadata,
    Column("document_number", String(32), primary_key=True),
    Column("name", String(80), nullable=False),
    Column("name_en", String(80), nullable=False),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("household_city", String(32), nullable=False),
)

registrations = Table(
    "registrations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_number", String(32), nullable=False, index=True),
    Column("city", String(32), nullable=False),
    Column("district", String(32), nullable=False),
    Column("community", String(32), nullable=False),
    Column("registered_on", Date, nullable=False),
)

shared_records = Table(
    "shared_records", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("document_number", String(32), nullable=False, index=True),
    Column("city", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("sponsor", String(80)),
    Column("district", String(32)),
    Column("full_time", Boolean, nullable=False, default=False),
    Column("sponsor_province", String(32)),
)

permits = Table(
    "permits", metadata,
    Column("permit_number", String(32), primary_key=True),
    Column("document_number", String(32), nullable=False),
    Column("city", String(32), nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("district", String(32), nullable=False),
    Column("community", String(32), nullable=False),
    Column("detail", String(80), nullable=False),
    Column("condition", String(16), nullable=False),
    Column("sponsor", String(80)),
    Column("photo_taken_on", Date, nullable=False),
    UniqueConstraint("document_number", "city", name="one_permit_per_city"),
)

applications = Table(
    "applications", metadata,
    Column("number", String(24), primary_key=True),
    Column("idempotency_key", String(64), nullable=False, unique=True),
    Column("body_sha256", String(64), nullable=False),
    Column("document_number", String(32), nullable=False, index=True),
    Column("kiosk_id", String(64), nullable=False),
    Column("city", String(32), nullable=False),
    Column("service", String(16), nullable=False),
    Column("state", String(24), nullable=False),
    Column("fulfilment", String(16), nullable=False),
    Column("pickup_station", String(32)),
    Column("delivery_address", Text),  # wire.Address JSON, for courier delivery
    Column("start_date", Date),
    Column("card_valid_until", Date),
    Column("photo_sha256", String(64)),
    # Why staff must check the person or the document first (face_unsure, no_csca_for_country)
    # and the face comparison's distance and verdict: never the face templates.
    Column("review_reasons", Text),
    Column("face_check_json", Text),
    Column("decision_json", Text, nullable=False),
    Column("receipt_json", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

status_events = Table(
    "status_events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("application_number", String(24), ForeignKey("applications.number"),
           nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("state", String(24), nullable=False),
    Column("note_zh", Text),
    Column("note_en", Text),
)

# What a deferred application was filed with (wire.EligibilityRequest JSON, no photo), so the
# rules can decide again on its start date; other applications need no copy of the request.
deferred_requests = Table(
    "deferred_requests", metadata,
    Column("application_number", String(24), ForeignKey("applications.number"),
           primary_key=True),
    Column("request_json", Text, nullable=False),
    Column("filed_on", Date, nullable=False),
)

# -- the fleet --------------------------------------------------------------------------------
# Counts, device states and settings only: nothing here is about a resident.

halls = Table(
    "halls", metadata,
    Column("hall_id", String(32), primary_key=True),
    Column("city", String(32), nullable=False),
    Column("name_zh", String(80), nullable=False),
    Column("name_en", String(120), nullable=False),
)

# One row per kiosk: its hall (NULL for one that heartbeats before it is assigned), the last
# heartbeat as it came (NULLs until the first), and the desired settings revision copied from
# kiosk_settings, so a heartbeat learns whether to send settings from its own upsert.
kiosks = Table(
    "kiosks", metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("hall_id", String(32), ForeignKey("halls.hall_id"), index=True),
    Column("software_version", String(32)),
    Column("sent_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True)),
    Column("outbox_depth", Integer),
    Column("outbox_oldest_s", Float),
    Column("journeys_completed", Integer),
    Column("health_json", Text),  # {device: wire.DeviceHealthReport}
    Column("supplies_json", Text),  # [wire.SupplyReport]
    Column("in_service", Boolean),
    Column("out_of_service_reason", String(64)),
    Column("applied_revision", Integer),  # wire.SettingsApplied as the kiosk reported it
    Column("applied_at", DateTime(timezone=True)),
    Column("settings_errors_json", Text),
    Column("settings_revision", Integer, nullable=False, default=0),  # desired
)

kiosk_settings = Table(
    "kiosk_settings", metadata,
    Column("kiosk_id", String(64), ForeignKey("kiosks.kiosk_id"), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("settings_json", Text, nullable=False),  # wire.KioskSettings
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Who changed what, when: one row per revision, with every changed field as [old, new].
settings_audit = Table(
    "settings_audit", metadata,
    Column("kiosk_id", String(64), ForeignKey("kiosks.kiosk_id"), primary_key=True),
    Column("revision", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(64), nullable=False),
    Column("changes_json", Text, nullable=False),
)

# wire.JourneyDay per kiosk and local day; each heartbeat replaces the kiosk's rows it sends.
journey_days = Table(
    "journey_days", metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("started", Integer, nullable=False),
    Column("completed", Integer, nullable=False),
    Column("abandoned_json", Text, nullable=False),  # {step: count}
    Column("decisions_json", Text, nullable=False),  # {decision: count}
    Column("cards_printed_here", Integer, nullable=False),
    Column("cards_queued", Integer, nullable=False),
    Column("durations_json", Text, nullable=False),  # counts per wire.DURATION_BUCKETS_S
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# An alert per kiosk, kind and subject (a device, or "") while its cause lasts; cleared_at is
# set when it clears. `notified` says whether its raise went out (rate limits may hold it back),
# so only a raise that was told is followed by a "resolved".
alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("subject", String(32), nullable=False),
    Column("detail", String(64), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("cleared_at", DateTime(timezone=True), index=True),
    Column("notified", Boolean, nullable=False),
)


# Dashboard accounts. A password is kept only as its argon2 hash; an account sees the halls
# listed for it in account_halls (a city administrator sees every hall and needs none).
accounts = Table(
    "accounts", metadata,
    Column("username", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # city_admin, hall_manager or technician
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

account_halls = Table(
    "account_halls", metadata,
    Column("username", String(64), ForeignKey("accounts.username"), primary_key=True),
    Column("hall_id", String(32), ForeignKey("halls.hall_id"), primary_key=True),
)

# A signed-in browser: only the SHA-256 of its cookie is kept, so a copy of the database
# opens no session. Each has its own CSRF token for the forms and the JSON API.
dashboard_sessions = Table(
    "dashboard_sessions", metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("accounts.username"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
)

# Enrolment: a one-time code binds a kiosk id to a hall until it is used or expires (only its
# SHA-256 is kept); enrolling records the kiosk's Ed25519 public key, which signs every
# request after. Revoking keeps the key row, marked, so the kiosk is refused, not forgotten.
enrolment_codes = Table(
    "enrolment_codes", metadata,
    Column("code_sha256", String(64), primary_key=True),
    Column("kiosk_id", String(64), nullable=False, index=True),
    Column("hall_id", String(32), ForeignKey("halls.hall_id"), nullable=False),
    Column("issued_by", String(64), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

kiosk_keys = Table(
    "kiosk_keys", metadata,
    Column("kiosk_id", String(64), primary_key=True),
    Column("public_key", String(64), nullable=False),  # Ed25519, raw, base64
    Column("enrolled_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# Who issued a code, who enrolled or revoked a kiosk, when, and why.
credential_audit = Table(
    "credential_audit", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kiosk_id", String(64), nullable=False, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("who", String(64), nullable=False),
    Column("what", String(16), nullable=False),  # code_issued, enrolled, revoked
    Column("detail", String(200), nullable=False),
)

SQLITE_WAIT_S = 30.0  # how long a transaction waits for another to end


def make_engine(url: str) -> Engine:
    """An engine for the URL; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, hide_parameters=True, connect_args={
            "timeout": SQLITE_WAIT_S, "check_same_thread": False,
            "factory": _SerialisedSqliteConnection})
        _serialise_sqlite_writers(engine, threading.Lock())
    else:
        engine = create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=10,
                               max_overflow=20)
    return engine


class _SerialisedSqliteConnection(sqlite3.Connection):
    """A connection whose transactions queue on a lock shared by the engine's connections.

    BEGIN IMMEDIATE alone makes a second writer poll SQLite's busy handler, which sleeps up to
    100 ms between tries: under a fleet's heartbeats that polling, not the work, set the slowest
    answers. Threads of one process now wait their turn on a lock and start the moment it is
    free; other processes (the alert runner, the CLI) still meet the busy timeout.
    """

    write_lock: threading.Lock | None = None
    _holds_lock = False

    def begin_immediate(self) -> None:
        lock = self.write_lock
        if lock is not None:
            if not lock.acquire(timeout=SQLITE_WAIT_S):
                raise sqlite3.OperationalError("database is locked")
            self._holds_lock = True
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._release()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def _release(self) -> None:
        if self._holds_lock and self.write_lock is not None:
            self._holds_lock = False
            self.write_lock.release()


def _serialise_sqlite_writers(engine: Engine, lock: threading.Lock) -> None:
    """BEGIN IMMEDIATE: concurrent writers wait instead of failing with 'database is locked'
    when a read lock cannot be upgraded; within this process they wait on ``lock``."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        dbapi_connection.write_lock = lock

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.connection.dbapi_connection.begin_immediate()


def create_tables(engine: Engine) -> None:
    _drop_pre_fleet_kiosks(engine)
    metadata.create_all(engine)


def _drop_pre_fleet_kiosks(engine: Engine) -> None:
    """A database made before the fleet tables has a narrower ``kiosks`` that create_all would
    keep. It held only each kiosk's last heartbeat, which the next heartbeat brings again."""
    found = inspect(engine)
    if not found.has_table("kiosks") or found.has_table("kiosk_settings"):
        return
    if "settings_revision" not in {c["name"] for c in found.get_columns("kiosks")}:
        log.warning("replacing the kiosks table of an older schema (last heartbeats only)")
        with engine.begin() as c:
            c.exec_driver_sql("DROP TABLE kiosks")


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
