"""The queries the API needs, over the tables of central.db (SQLAlchemy Core, portable SQL)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from central.permits.records import Registration, ResidentRecords, SharedRecord
from central.storage import db
from protocol import wire


class StateConflict(Exception):
    """The application is not in a state that allows the change."""


class CentralStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_tables(self) -> None:
        db.create_tables(self.engine)

    def ping(self) -> None:
        with self.engine.connect() as c:
            c.execute(select(1))

    def is_empty(self) -> bool:
        with self.engine.connect() as c:
            return not c.scalar(select(func.count()).select_from(db.residents))

    def insert_rows(self, rows_by_table: Iterable[tuple[Any, list[dict]]]) -> None:
        """Bulk insert in one transaction (the seed)."""
        with self.engine.begin() as c:
            for table, rows in rows_by_table:
                if rows:
                    c.execute(insert(table), rows)

    # -- shared records -------------------------------------------------------------------

    def records(self, document_number: str, city: str) -> ResidentRecords:
        """What the population register and shared records say about one resident here."""
        with self.engine.connect() as c:
            household = c.scalar(select(db.residents.c.household_city)
                                 .where(db.residents.c.document_number == document_number))
            reg = c.execute(select(db.registrations)
                            .where(db.registrations.c.document_number == document_number,
                                   db.registrations.c.city == city)
                            .order_by(db.registrations.c.registered_on).limit(1)).first()
            shared = c.execute(select(db.shared_records)
                               .where(db.shared_records.c.document_number == document_number,
                                      db.shared_records.c.city == city)
                               .order_by(db.shared_records.c.id)).all()
            permit = c.execute(select(db.permits)
                               .where(db.permits.c.document_number == document_number,
                                      db.permits.c.city == city)).first()
        return ResidentRecords(
            household_city=household,
            registration=(Registration(reg.registered_on, reg.district, reg.community)
                          if reg else None),
            records=tuple(SharedRecord(kind=r.kind, sponsor=r.sponsor, district=r.district,
                                       full_time=bool(r.full_time),
                                       sponsor_province=r.sponsor_province) for r in shared),
            permit=_permit(permit) if permit else None)

    # -- applications ---------------------------------------------------------------------

    def application_by_key(self, key: str) -> Row | None:
        with self.engine.connect() as c:
            return c.execute(select(db.applications)
                             .where(db.applications.c.idempotency_key == key)).first()

    def application(self, number: str) -> Row | None:
        with self.engine.connect() as c:
            return c.execute(select(db.applications)
                             .where(db.applications.c.number == number)).first()

    def applications_for(self, document_number: str) -> list[Row]:
        with self.engine.connect() as c:
            return list(c.execute(select(db.applications)
                                  .where(db.applications.c.document_number == document_number)
                                  .order_by(db.applications.c.created_at.desc(),
                                            db.applications.c.number)))

    def events(self, number: str) -> list[Row]:
        with self.engine.connect() as c:
            return list(c.execute(select(db.status_events)
                                  .where(db.status_events.c.application_number == number)
                                  .order_by(db.status_events.c.id)))

    def insert_application(self, application: dict, event: dict,
                           registration: dict | None, permit: dict | None,
                           deferred: dict | None = None) -> bool:
        """File one application atomically; False when its key or number is already taken.

        `deferred` is the request a deferred application will be decided on again with."""
        try:
            with self.engine.begin() as c:
                c.execute(insert(db.applications), [application])
                c.execute(insert(db.status_events), [event])
                if registration is not None:
                    c.execute(insert(db.registrations), [registration])
                if permit is not None:
                    _upsert_permit(c, permit)
                if deferred is not None:
                    c.execute(insert(db.deferred_requests), [deferred])
        except IntegrityError:
            return False
        return True

    def transition(self, number: str, allowed_from: set[str], changes: dict,
                   event: dict, permit: dict | None = None) -> None:
        """Move an application on, atomically, only from one of `allowed_from`; an approval
        writes its permit in the same transaction, so only the runner that moved it does."""
        with self.engine.begin() as c:
            done = c.execute(update(db.applications)
                             .where(db.applications.c.number == number,
                                    db.applications.c.state.in_(sorted(allowed_from)))
                             .values(**changes))
            if done.rowcount != 1:
                raise StateConflict(number)
            c.execute(insert(db.status_events), [event])
            if permit is not None:
                _upsert_permit(c, permit)

    def due_applications(self, state: str, today: dt.date) -> list[Row]:
        """Applications in `state` whose start date has come, oldest first."""
        a = db.applications.c
        with self.engine.connect() as c:
            return list(c.execute(select(db.applications)
                                  .where(a.state == state, a.start_date <= today)
                                  .order_by(a.start_date, a.number)))

    def deferred_request(self, number: str) -> Row | None:
        """What a deferred application was filed with (request_json, filed_on), if kept."""
        with self.engine.connect() as c:
            return c.execute(select(db.deferred_requests)
                             .where(db.deferred_requests.c.application_number == number)).first()

    # -- kiosks ---------------------------------------------------------------------------

    def kiosk(self, kiosk_id: str) -> Row | None:
        with self.engine.connect() as c:
            return c.execute(select(db.kiosks).where(db.kiosks.c.kiosk_id == kiosk_id)).first()


def _upsert_permit(c, permit: dict) -> None:
    """One permit per person and city: a renewal updates it, a first approval creates it."""
    existing = c.execute(select(db.permits.c.permit_number)
                         .where(db.permits.c.document_number == permit["document_number"],
                                db.permits.c.city == permit["city"])).first()
    if existing is None:
        c.execute(insert(db.permits), [permit])
    else:
        changes = {k: v for k, v in permit.items() if k != "permit_number"}
        c.execute(update(db.permits)
                  .where(db.permits.c.permit_number == existing.permit_number).values(**changes))


def _permit(row: Row) -> wire.PermitOnFile:
    return wire.PermitOnFile(
        permit_number=row.permit_number, valid_until=row.valid_until,
        address=wire.Address(district=row.district, community=row.community, detail=row.detail),
        condition=wire.Condition(row.condition), sponsor=row.sponsor,
        photo_taken_on=row.photo_taken_on)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)
