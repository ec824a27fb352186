"""The fleet as hall managers, technicians and alerts see it: the service the dashboard uses.

Heartbeats come in through ``heartbeat``; a manager's settings go out through ``set_settings``,
checked by the same ``wire.KioskSettings`` the kiosk checks them with, and every change is
written down with who made it and each field's old and new value.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable

from pydantic import BaseModel
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from central.fleet import heartbeats
from central.fleet.states import KioskState, Thresholds, judge, state_rows
from central.fleet.stats import JourneyStats, journey_stats
from central.storage import db
from central.storage.store import utc_now
from central.storage.upsert import insert_or_ignore
from protocol import wire

PAUSE_S = 0.002  # see Fleet.kiosk_states


class UnknownHall(LookupError):
    """No hall with that id."""


class BadKioskId(ValueError):
    """Not a kiosk id (central.wire.KIOSK_ID_PATTERN)."""


class UnknownKiosk(LookupError):
    """No kiosk with that id."""


class Hall(BaseModel):
    hall_id: str
    city: str
    name: wire.Text


class AuditEntry(BaseModel):
    kiosk_id: str
    revision: int
    at: dt.datetime
    who: str
    changes: dict[str, list]  # field: [old, new]


def flatten(settings: wire.KioskSettings) -> dict[str, object]:
    """'service_hours.opens': '08:00:00' and so on: one entry per field a person sets."""
    out: dict[str, object] = {}
    for key, value in settings.model_dump(mode="json").items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def changes(old: wire.KioskSettings, new: wire.KioskSettings) -> dict[str, list]:
    before, after = flatten(old), flatten(new)
    return {k: [before.get(k), after.get(k)] for k in sorted(before.keys() | after.keys())
            if before.get(k) != after.get(k)}


class Fleet:
    def __init__(self, engine: Engine, thresholds: Thresholds | None = None,
                 clock: Callable[[], dt.datetime] = utc_now) -> None:
        self.engine = engine
        self.thresholds = thresholds or Thresholds()
        self.clock = clock

    # -- kiosks talking ---------------------------------------------------------------------
    def heartbeat(self, kiosk_id: str, beat: wire.Heartbeat) -> wire.HeartbeatAnswer:
        return heartbeats.record(self.engine, kiosk_id, beat, self.clock())

    # -- settings ---------------------------------------------------------------------------
    def settings_for(self, kiosk_id: str) -> tuple[int, wire.KioskSettings]:
        """The desired settings and their revision (0 and the defaults before any change)."""
        revision, settings = heartbeats.desired_settings(self.engine, kiosk_id)
        return revision, settings or wire.KioskSettings()

    def set_settings(self, kiosk_id: str, settings: wire.KioskSettings | dict, who: str) -> int:
        """Make `settings` the kiosk's desired settings; the revision it gets (unchanged when
        nothing changed). Raises pydantic.ValidationError for settings the kiosk would refuse."""
        checked = wire.KioskSettings.model_validate(
            settings.model_dump(mode="json") if isinstance(settings, BaseModel) else settings)
        who = who.strip()[:64]
        if not who:
            raise ValueError("who made the change must be said")
        for _ in range(3):  # two managers at once: the second retries on the next revision
            try:
                return self._store_settings(kiosk_id, checked, who)
            except IntegrityError:
                continue
        raise RuntimeError("settings kept changing under us; try again")

    def _store_settings(self, kiosk_id: str, new: wire.KioskSettings, who: str) -> int:
        now, s = self.clock(), db.kiosk_settings
        dialect = self.engine.dialect.name
        with self.engine.begin() as c:
            c.execute(insert_or_ignore(dialect, db.kiosks, ["kiosk_id"])
                      .values(kiosk_id=kiosk_id, settings_revision=0))
            row = c.execute(select(s.c.revision, s.c.settings_json)
                            .where(s.c.kiosk_id == kiosk_id)).first()
            old = wire.KioskSettings.model_validate_json(row.settings_json) if row \
                else wire.KioskSettings()
            diff = changes(old, new)
            if not diff:
                return row.revision if row else 0
            # Past what the kiosk last handled too: a kiosk ignores revisions it has seen, so
            # after central's database was restored from an older copy it must not miss this.
            applied = c.scalar(select(db.kiosks.c.applied_revision)
                               .where(db.kiosks.c.kiosk_id == kiosk_id)) or 0
            revision = max(row.revision if row else 0, applied) + 1
            # The audit row's key (kiosk, revision) stops a concurrent change taking this number.
            c.execute(insert(db.settings_audit).values(
                kiosk_id=kiosk_id, revision=revision, at=now, who=who,
                changes_json=json.dumps(diff, ensure_ascii=False)))
            values = {"revision": revision, "settings_json": new.model_dump_json(),
                      "updated_at": now, "updated_by": who}
            if row:
                c.execute(update(s).where(s.c.kiosk_id == kiosk_id).values(**values))
            else:
                c.execute(insert(s).values(kiosk_id=kiosk_id, **values))
            c.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                      .values(settings_revision=revision))
        return revision

    def audit(self, kiosk_id: str) -> list[AuditEntry]:
        """Every change to the kiosk's settings, newest first."""
        a = db.settings_audit
        with self.engine.connect() as c:
            rows = c.execute(select(a).where(a.c.kiosk_id == kiosk_id)
                             .order_by(a.c.revision.desc())).all()
        return [AuditEntry(kiosk_id=r.kiosk_id, revision=r.revision, at=db.utc(r.at), who=r.who,
                           changes=json.loads(r.changes_json)) for r in rows]

    # -- what the dashboard shows -----------------------------------------------------------
    def kiosk_states(self, hall_ids: list[str] | None = None, now: dt.datetime | None = None,
                     pause_every: int = 0) -> list[KioskState]:
        """Kiosks of those halls (every kiosk for None), each judged at `now`.

        ``pause_every``: a background pass over a whole city's fleet sleeps a moment after
        that many kiosks, so the heartbeats arriving meanwhile are not kept waiting for
        the interpreter behind it."""
        at = now or self.clock()
        states = []
        for n, row in enumerate(state_rows(self.engine, hall_ids), 1):
            states.append(judge(row, self.thresholds, at))
            if pause_every and n % pause_every == 0:
                time.sleep(PAUSE_S)
        return states

    def journey_stats(self, hall_ids: list[str] | None, since: dt.date,
                      until: dt.date) -> JourneyStats:
        return journey_stats(self.engine, hall_ids, since, until)

    # -- halls ------------------------------------------------------------------------------
    def halls(self) -> list[Hall]:
        with self.engine.connect() as c:
            rows = c.execute(select(db.halls).order_by(db.halls.c.hall_id)).all()
        return [Hall(hall_id=r.hall_id, city=r.city, name=wire.Text(zh_CN=r.name_zh, en=r.name_en))
                for r in rows]

    def add_halls(self, halls: list[Hall]) -> int:
        """Halls not there yet are added; returns how many were new."""
        rows = [{"hall_id": h.hall_id, "city": h.city, "name_zh": h.name.zh_CN,
                 "name_en": h.name.en} for h in halls]
        with self.engine.begin() as c:
            before = c.scalar(select(func.count()).select_from(db.halls)) or 0
            if rows:
                c.execute(insert_or_ignore(self.engine.dialect.name, db.halls, ["hall_id"]), rows)
            return (c.scalar(select(func.count()).select_from(db.halls)) or 0) - before

    def assign(self, kiosk_id: str, hall_id: str | None) -> None:
        """Put a kiosk in a hall (None: in none); a kiosk not heard from yet is added."""
        with self.engine.begin() as c:
            if hall_id is not None and c.scalar(
                    select(db.halls.c.hall_id).where(db.halls.c.hall_id == hall_id)) is None:
                raise UnknownHall(hall_id)
            c.execute(insert_or_ignore(self.engine.dialect.name, db.kiosks, ["kiosk_id"])
                      .values(kiosk_id=kiosk_id, settings_revision=0))
            c.execute(update(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)
                      .values(hall_id=hall_id))

    def add_kiosks(self, halls_by_kiosk: dict[str, str | None]) -> None:
        """Kiosks not known yet are added in their halls; known ones stay where they are."""
        rows = [{"kiosk_id": k, "hall_id": h, "settings_revision": 0}
                for k, h in halls_by_kiosk.items()]
        if rows:
            with self.engine.begin() as c:
                c.execute(insert_or_ignore(self.engine.dialect.name, db.kiosks, ["kiosk_id"]),
                          rows)

    def hall_of(self, kiosk_id: str) -> str | None:
        with self.engine.connect() as c:
            row = c.execute(select(db.kiosks.c.hall_id)
                            .where(db.kiosks.c.kiosk_id == kiosk_id)).first()
        if row is None:
            raise UnknownKiosk(kiosk_id)
        return row.hall_id
