"""A real central server on loopback and headless kiosks on simulated devices."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from central.fleet.service import Fleet
from central.storage.db import make_engine
from kiosk.config import load_config
from kiosk.headless import HeadlessKiosk
from tests.central_server import central_on
from tests.journey.fleet_desk import FleetDesk


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = central_on(tmp_path_factory.mktemp("central")).start()
    yield server
    server.stop()


def kiosk_config(tmp: Path, central_url: str, **overrides: Any):
    base: dict[str, Any] = {
        "kiosk_id": "test-kiosk",
        "central": {"url": central_url, "timeout_s": 2.0, "retries": 1,
                    "sync_interval_s": 3600},
        "storage": {"data_dir": str(tmp / "data")},
        "photo": {"speak": False},  # tests/core/test_speech.py runs a real speaker
        "devices": {
            "reader": {"driver": "virtual_chip", "options": {}},
            "camera": {"driver": "simulated", "options": {"fps": 30}},
            "receipt_printer": {"driver": "simulated",
                                "options": {"output_dir": str(tmp / "printed")}},
            "card_printer": {"driver": "simulated",
                             "options": {"output_dir": str(tmp / "printed"),
                                         "print_time_s": 0.05}},
            "scanner": {"driver": "simulated"},
        },
    }
    for key, value in overrides.items():
        section, _, name = key.partition("__")
        if name:
            base.setdefault(section, {})[name] = value
        else:
            base[key] = value
    return load_config(overrides=base)


@pytest.fixture(scope="module")
def fleet(central):
    """Central's fleet service over central's own database: what a hall manager changes
    through the dashboard, and what central made of the kiosk's heartbeats."""
    f = Fleet(make_engine(central.database))
    yield f
    f.engine.dispose()


@pytest.fixture
def kiosk_id(request) -> str:
    """A kiosk id of the test's own, so settings and counts at central start from nothing."""
    return re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower())[-60:].strip("-")


@pytest.fixture
def desk(central):
    """A real HTTP server in front of central that keeps heartbeats and can answer what
    central never would: settings that break the contract, a route that is down."""
    with FleetDesk(central.url) as d:
        yield d


@pytest.fixture
def make_kiosk(tmp_path, central) -> Callable[..., HeadlessKiosk]:
    made: list[HeadlessKiosk] = []

    def make(url: str | None = None, clock=None, now=None, **overrides: Any) -> HeadlessKiosk:
        extra = {"clock": clock} if clock is not None else {}
        if now is not None:
            extra["now"] = now
        kiosk = HeadlessKiosk(kiosk_config(tmp_path, url or central.url, **overrides), **extra)
        kiosk.runtime.start()
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.runtime.stop()
    # The kiosk runs for months: stopping it leaves no thread of its own behind.
    ours = ("kiosk-work", "outbox-sync", "heartbeat", "device-monitor", "reader-", "photo-coach",
            "scanner-sim", "camera-sim", "housekeeping", "metrics-http")
    left = [t.name for t in threading.enumerate() if t.name.startswith(ours)]
    assert left == [], f"threads left behind: {left}"
