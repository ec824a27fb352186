"""What people at the reference central server do during the demo's journeys: a hall manager
sets the kiosk's fleet settings, a technician has a one-time enrolment code issued as a QR
code. Both work on central's database directly, as its command line does."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

HALL = "zz-centre"


def set_fleet_settings(database: str, kiosk_id: str, values: dict) -> None:
    """The hall manager's settings for this kiosk; they reach it in the answer to its next
    heartbeat."""
    from central.fleet.service import Fleet
    from central.storage.db import make_engine
    fleet = Fleet(make_engine(database))
    try:
        fleet.set_settings(kiosk_id, values, who="demo-manager")
    finally:
        fleet.engine.dispose()


def service_hours(open_now: bool) -> tuple[dict, str]:
    """Ten service hours that began an hour ago (open) or begin in an hour (closed), as the
    fleet setting and as the kiosk shows them (``08:00–18:00``)."""
    shift = dt.timedelta(hours=-1 if open_now else 1)
    opens = (dt.datetime.now() + shift).replace(minute=0, second=0, microsecond=0)
    closes = opens + dt.timedelta(hours=10)
    hours = {"opens": opens.time().isoformat(), "closes": closes.time().isoformat()}
    return hours, f"{opens:%H:%M}–{closes:%H:%M}"


def enrolment_qr(database: str, central_url: str, kiosk_id: str) -> Path:
    """Central issues a one-time code for this kiosk (as `python -m central fleet
    enrolment-code --qr` does); the PNG of its QR code, for the technician to hold up."""
    import qrcode

    from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key
    from central.storage.db import make_engine
    engine = make_engine(database)
    try:
        key = load_or_create_central_key(default_key_path(database))
        issued = Enrolment(engine, key, central_url).issue_code(kiosk_id, HALL, "demo-technician")
    finally:
        engine.dispose()
    path = Path(tempfile.mkdtemp(prefix="onetrip-qr-")) / "enrol.png"
    qrcode.make(issued.qr_payload, border=4).save(path)
    return path
