"""Demo data: the named personas of residents.toml plus generated residents, as real rows.

Dates are stored in the file as offsets and turned into dates at seed time, so persona B stays
'not yet' and persona A 'eligible' whenever the demo is seeded. The generated residents come
from a fixed random seed: the same people, with valid GB 11643 numbers, on every machine.
"""

from __future__ import annotations

import datetime as dt
import random
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from central.permits.dates import add_years
from central.permits.policy import load_policies
from central.storage import db
from central.storage.store import CentralStore
from protocol import wire

PERSONAS_PATH = Path(__file__).resolve().parent / "residents.toml"
GENERATED_COUNT = 27
GENERATOR_SEED = 20261122
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


class SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeedRegistration(SeedModel):
    city: str
    district: str
    community: str
    days_ago: int = Field(ge=0)


class SeedRecord(SeedModel):
    city: str
    kind: str
    sponsor: str | None = None
    district: str | None = None
    full_time: bool = False
    sponsor_province: str | None = None


class SeedPermit(SeedModel):
    city: str
    permit_number: str
    valid_in_days: int
    photo_days_ago: int = Field(ge=0)
    district: str
    community: str
    detail: str
    condition: wire.Condition
    sponsor: str | None = None


class SeedApplication(SeedModel):
    """A past application, so a status lookup by ID card has something to show."""

    city: str
    service: wire.Service
    state: wire.ApplicationState
    fulfilment: wire.FulfilmentMethod
    days_ago: int = Field(ge=0)
    validity_years: int = Field(ge=1)


class SeedResident(SeedModel):
    persona: str | None = None
    document_number: str
    # Whose drawn face is the registry photo (a persona key of the simulated reader and
    # camera); without one, a face drawn for the document number.
    portrait: str | None = None
    name: str
    name_en: str
    sex: str = Field(pattern="^[MF]$")
    birth_date: dt.date
    household_city: str
    registration: SeedRegistration | None = None
    records: list[SeedRecord] = []
    permit: SeedPermit | None = None
    past_application: SeedApplication | None = None


def check_digit(first17: str) -> str:
    """GB 11643-1999: weighted sum of the first 17 digits mod 11, mapped through '10X98765432'."""
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def id_number(area: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)


def personas(path: Path = PERSONAS_PATH) -> list[SeedResident]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [SeedResident.model_validate(r) for r in data["residents"]]


def all_residents() -> list[SeedResident]:
    from central.demo_seed.generated import generated_residents  # the generator's tables are long
    return personas() + generated_residents(GENERATED_COUNT, random.Random(GENERATOR_SEED))


def rows(residents: list[SeedResident], today: dt.date) -> list[tuple[object, list[dict]]]:
    """Table rows for the residents, with offsets turned into dates counted back from today."""
    people, regs, shared, permits = [], [], [], []
    for r in residents:
        people.append({"document_number": r.document_number, "name": r.name,
                       "name_en": r.name_en, "sex": r.sex, "birth_date": r.birth_date,
                       "household_city": r.household_city})
        if r.registration:
            g = r.registration
            regs.append({"document_number": r.document_number, "city": g.city,
                         "district": g.district, "community": g.community,
                         "registered_on": today - dt.timedelta(days=g.days_ago)})
        shared += [dict(rec.model_dump(), document_number=r.document_number) for rec in r.records]
        if r.permit:
            p = r.permit
            permits.append({
                "permit_number": p.permit_number, "document_number": r.document_number,
                "city": p.city, "valid_until": today + dt.timedelta(days=p.valid_in_days),
                "district": p.district, "community": p.community, "detail": p.detail,
                "condition": p.condition.value, "sponsor": p.sponsor,
                "photo_taken_on": today - dt.timedelta(days=p.photo_days_ago)})
    applications, events = [], []
    for r in residents:
        if r.past_application:
            application, event = _past_application(r, r.past_application, today)
            applications.append(application)
            events.append(event)
    return [(db.residents, people), (db.registrations, regs), (db.shared_records, shared),
            (db.permits, permits), (db.applications, applications), (db.status_events, events)]


def _past_application(r: SeedResident, past: SeedApplication,
                      today: dt.date) -> tuple[dict, dict]:
    """Rows for an application filed `days_ago` and already finished."""
    day = today - dt.timedelta(days=past.days_ago)
    at = dt.datetime.combine(day, dt.time(2, 30), tzinfo=dt.timezone.utc)
    prefix = load_policies()[past.city].number_prefix
    number = f"{prefix}-{day:%y%m%d}-DEMO{r.persona or 'X'}"
    decision = wire.EligibilityDecision(decision=wire.Decision.ELIGIBLE, reasons=[wire.Reason(
        code="demo_record", text=wire.Text(zh_CN="演示数据：往年办理记录。",
                                           en="Demo data: an earlier application."))],
        validity_years=past.validity_years, photo_required=False)
    valid_until = add_years(day, past.validity_years)
    receipt = wire.ApplicationReceipt(application_number=number, state=past.state,
                                      decision=decision, tracking_url="", start_date=day,
                                      card_valid_until=valid_until)
    application = {
        "number": number, "idempotency_key": f"demo-seed-{r.document_number}",
        "body_sha256": "0" * 64, "document_number": r.document_number, "kiosk_id": "demo-seed",
        "city": past.city, "service": past.service.value, "state": past.state.value,
        "fulfilment": past.fulfilment.value, "pickup_station": None, "delivery_address": None,
        "start_date": day, "card_valid_until": valid_until, "photo_sha256": None,
        "review_reasons": None, "face_check_json": None,
        "decision_json": decision.model_dump_json(), "receipt_json": receipt.model_dump_json(),
        "created_at": at, "updated_at": at}
    event = {"application_number": number, "at": at, "state": past.state.value,
             "note_zh": "演示数据：往年办理记录。", "note_en": "Demo data: an earlier application."}
    return application, event


def seed_demo(store: CentralStore, today: dt.date) -> int:
    """Load the demo residents into an empty database; return how many (0 if not empty)."""
    if not store.is_empty():
        return 0
    residents = all_residents()
    store.insert_rows(rows(residents, today))
    return len(residents)


# -- the demo fleet ------------------------------------------------------------------------------
# Halls, and the kiosk ids the demo and the tests use put in them; a kiosk heard from without
# being here is kept with no hall. Two never heartbeat: the dashboard shows them Offline.

DEMO_HALLS = [
    ("zz-centre", "zhuzhou", "株洲市政务服务中心 24小时自助区",
     "Zhuzhou Government Service Centre, 24-hour self-service area"),
    ("zz-hetang", "zhuzhou", "株洲市荷塘区出入境自助服务厅",
     "Hetang District exit-entry self-service hall, Zhuzhou"),
    ("bj-chaoyang", "beijing", "北京市朝阳区望京24小时自助服务厅",
     "Wangjing 24-hour self-service hall, Chaoyang, Beijing"),
]
DEMO_KIOSKS = {
    "demo-kiosk-01": "zz-centre", "demo-kiosk-02": "zz-centre", "test-kiosk": "zz-centre",
    "test-kiosk-diag": "zz-centre", "test-kiosk-01": "zz-hetang", "test-kiosk-07": "zz-hetang",
    "hall-1-kiosk-2": "bj-chaoyang", "bj-kiosk-01": "bj-chaoyang",
}


def seed_fleet(fleet) -> int:
    """Add the demo halls and put the demo kiosks in them, leaving alone any kiosk already
    known (an operator may have moved it); returns how many halls were new."""
    from central.fleet.service import Hall

    added = fleet.add_halls([Hall(hall_id=h, city=city, name=wire.Text(zh_CN=zh, en=en))
                             for h, city, zh, en in DEMO_HALLS])
    fleet.add_kiosks(DEMO_KIOSKS)
    return added
