"""A kiosk's heartbeat into the fleet tables, and the answer that carries its settings.

Built to be cheap, since a city's whole fleet beats every half minute: one transaction with
two statements, an upsert of the kiosk's row that hands back the desired settings revision,
and an upsert of the journey days it reported. The settings themselves are read only when
the kiosk is behind, which is rare.
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import Engine, select

from central.storage import db
from central.storage.upsert import upsert
from protocol import wire

MAX_DAYS_PER_BEAT = 7  # the kiosk sends today and yesterday; a backlog is capped
MAX_ERRORS_KEPT = 8

HEARTBEAT_COLUMNS = ("software_version", "sent_at", "received_at", "outbox_depth",
                     "outbox_oldest_s", "journeys_completed", "health_json", "supplies_json",
                     "in_service", "out_of_service_reason", "applied_revision", "applied_at",
                     "settings_errors_json")
JOURNEY_COLUMNS = ("started", "completed", "abandoned_json", "decisions_json",
                   "cards_printed_here", "cards_queued", "durations_json", "updated_at")


def kiosk_values(beat: wire.Heartbeat, now: dt.datetime) -> dict:
    """The kiosk row's heartbeat columns, as the beat says them."""
    applied = beat.settings_applied
    return {
        "software_version": beat.software_version[:32], "sent_at": beat.sent_at,
        "received_at": now, "outbox_depth": beat.outbox_depth,
        "outbox_oldest_s": beat.outbox_oldest_s, "journeys_completed": beat.journeys_completed,
        "health_json": json.dumps({name: report.model_dump(mode="json")
                                   for name, report in beat.health.items()}, sort_keys=True),
        "supplies_json": json.dumps([s.model_dump(mode="json") for s in beat.supplies]),
        "in_service": beat.in_service, "out_of_service_reason": beat.out_of_service_reason[:64],
        "applied_revision": applied.revision if applied else None,
        "applied_at": applied.applied_at if applied else None,
        "settings_errors_json": json.dumps(applied.errors[:MAX_ERRORS_KEPT]) if applied else None,
    }


def journey_rows(kiosk_id: str, beat: wire.Heartbeat, now: dt.datetime) -> list[dict]:
    """One row per reported day (the latest few), replacing what that day held."""
    days = sorted(beat.journeys, key=lambda d: d.day)[-MAX_DAYS_PER_BEAT:]
    return [{"kiosk_id": kiosk_id, "day": d.day, "started": d.started, "completed": d.completed,
             "abandoned_json": json.dumps(d.abandoned_at, sort_keys=True),
             "decisions_json": json.dumps(d.decisions, sort_keys=True),
             "cards_printed_here": d.cards_printed_here, "cards_queued": d.cards_queued,
             "durations_json": json.dumps(d.duration_buckets), "updated_at": now}
            for d in days]


def record(engine: Engine, kiosk_id: str, beat: wire.Heartbeat,
           now: dt.datetime) -> wire.HeartbeatAnswer:
    """Store the beat; answer with the desired revision, and the settings if the kiosk is behind."""
    dialect = engine.dialect.name
    values = kiosk_values(beat, now)
    kiosk = upsert(dialect, db.kiosks, ["kiosk_id"], HEARTBEAT_COLUMNS).values(
        kiosk_id=kiosk_id, settings_revision=0, **values).returning(db.kiosks.c.settings_revision)
    rows = journey_rows(kiosk_id, beat, now)
    with engine.begin() as c:
        desired = c.execute(kiosk).scalar_one()
        if rows:
            c.execute(upsert(dialect, db.journey_days, ["kiosk_id", "day"], JOURNEY_COLUMNS), rows)
    applied = beat.settings_applied.revision if beat.settings_applied else 0
    if desired <= applied:
        return wire.HeartbeatAnswer(server_time=now, settings_revision=desired)
    revision, settings = desired_settings(engine, kiosk_id)
    return wire.HeartbeatAnswer(server_time=now, settings_revision=revision, settings=settings)


def desired_settings(engine: Engine, kiosk_id: str) -> tuple[int, wire.KioskSettings | None]:
    """The revision and settings as kept together (a change since the upsert comes with its
    own number, so a kiosk never files new settings under an old revision)."""
    with engine.connect() as c:
        row = c.execute(select(db.kiosk_settings.c.revision, db.kiosk_settings.c.settings_json)
                        .where(db.kiosk_settings.c.kiosk_id == kiosk_id)).first()
    if row is None:
        return 0, None
    return row.revision, wire.KioskSettings.model_validate_json(row.settings_json)
