"""What fleet tests build on: heartbeats as a kiosk sends them, a fleet on SQLite on disk,
and a clock the test moves (alerts and offline are about time passing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from central.demo_seed.residents import seed_fleet
from central.fleet.service import Fleet
from central.fleet.states import Thresholds
from central.storage.db import create_tables, make_engine
from protocol import wire

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.timezone.utc)
DEVICES = ("reader", "camera", "receipt_printer", "card_printer")


class MovingClock:
    """Now, as the test says; ``advance`` moves it on."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def health(**states: tuple[str, str] | str) -> dict[str, wire.DeviceHealthReport]:
    """Every device ok, except those named: health(receipt_printer=("error", "jam"))."""
    out = {name: wire.DeviceHealthReport(state="ok") for name in DEVICES}
    for name, value in states.items():
        state, code = (value, "") if isinstance(value, str) else value
        out[name] = wire.DeviceHealthReport(state=state, code=code, detail="as the driver said")
    return out


def supply(device: str = "receipt_printer", name: str = "paper", level: str = "ok",
           remaining: int | None = 500, hours_to_empty: float | None = None) -> wire.SupplyReport:
    return wire.SupplyReport(device=device, supply=name, level=level, remaining=remaining,
                             hours_to_empty=hours_to_empty)


def beat(**changes) -> wire.Heartbeat:
    """A healthy kiosk's heartbeat, with `changes`."""
    fields = dict(software_version="1.4.0", sent_at=dt.datetime.now(dt.timezone.utc),
                  health=health(), supplies=[supply(), supply("card_printer", "cards",
                                                              remaining=200)])
    fields.update(changes)
    return wire.Heartbeat(**fields)


def day(on: dt.date, **counts) -> wire.JourneyDay:
    return wire.JourneyDay(day=on, **counts)


def fleet_on(tmp_path: Path, clock: MovingClock | None = None, seed: bool = True,
             **limits) -> Fleet:
    """A fleet on a fresh SQLite file, with the demo halls and kiosks unless told otherwise."""
    engine = make_engine(f"sqlite:///{tmp_path / 'fleet.db'}")
    create_tables(engine)
    fleet = Fleet(engine, Thresholds(**limits), clock=clock or MovingClock())
    if seed:
        seed_fleet(fleet)
    return fleet
