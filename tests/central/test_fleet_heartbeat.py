"""Heartbeats in and settings out over HTTP, against the real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
import requests

from central.fleet.service import Fleet
from central.storage.db import make_engine
from protocol import wire
from tests.central.fleet_world import beat, day, health, supply
from tools.central_process import ROOT

TODAY = dt.date.today()


@pytest.fixture(scope="module")
def fleet(central):
    """The same database the server uses, read and changed directly."""
    f = Fleet(make_engine(central.database))
    yield f
    f.engine.dispose()


def send(central, kiosk_id: str, heartbeat: wire.Heartbeat) -> wire.HeartbeatAnswer:
    resp = requests.post(f"{central.api}/kiosks/{kiosk_id}/heartbeat", timeout=10,
                         data=heartbeat.model_dump_json(),
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 200, resp.text
    return wire.HeartbeatAnswer.model_validate_json(resp.content)


def applied(revision: int, errors: list[str] | None = None) -> wire.SettingsApplied:
    return wire.SettingsApplied(revision=revision, applied_at=dt.datetime.now(dt.timezone.utc),
                                errors=errors or [])


def state_of(fleet: Fleet, kiosk_id: str):
    return {s.kiosk_id: s for s in fleet.kiosk_states()}[kiosk_id]


def test_a_heartbeat_is_kept_whole_and_the_kiosk_stays_in_its_hall(central, fleet):
    answer = send(central, "test-kiosk-01", beat(
        software_version="1.5.2", outbox_depth=4, outbox_oldest_s=30.0,
        health=health(receipt_printer=("warning", "paper_low")),
        supplies=[supply(level="low", remaining=15, hours_to_empty=2.0)],
        journeys=[day(TODAY, started=3, completed=2, abandoned_at={"photo": 1})],
        in_service=False, out_of_service_reason="closed"))
    assert answer.settings_revision == 0 and answer.settings is None
    s = state_of(fleet, "test-kiosk-01")
    assert s.hall_id == "zz-hetang" and s.software_version == "1.5.2"
    assert s.outbox_depth == 4 and s.outbox_oldest_s == 30.0 and s.in_service is False
    assert s.state == "warning" and [r.code for r in s.reasons] == ["supply_low", "closed"]
    assert abs((s.last_heartbeat - dt.datetime.now(dt.timezone.utc)).total_seconds()) < 30
    assert fleet.journey_stats(["zz-hetang"], TODAY, TODAY).kiosks["test-kiosk-01"].started == 3


def test_a_kiosk_nobody_assigned_is_kept_without_a_hall(central, fleet):
    send(central, "stray-kiosk-77", beat())
    assert state_of(fleet, "stray-kiosk-77").hall_id is None
    assert "stray-kiosk-77" not in {s.kiosk_id for s in fleet.kiosk_states(["zz-centre"])}


def test_the_day_reported_again_replaces_its_counts(central, fleet):
    for started in (1, 4):
        send(central, "test-kiosk-07", beat(journeys=[
            day(TODAY - dt.timedelta(days=1), started=9, completed=9),
            day(TODAY, started=started, completed=1)]))
    stats = fleet.journey_stats(None, TODAY - dt.timedelta(days=1), TODAY)
    assert stats.kiosks["test-kiosk-07"].started == 13


def test_settings_go_out_until_the_kiosk_reports_them_applied(central, fleet):
    kiosk = "test-kiosk-diag"
    assert send(central, kiosk, beat()).settings is None
    set_by_command = subprocess.run(
        [sys.executable, "-m", "central", "fleet", "set-settings", "--database", central.database,
         kiosk, '{"maintenance": true, "attract_notice": {"zh_CN": "设备维护中", "en": "Under maintenance"}}',
         "--who", "tech-1"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert set_by_command.returncode == 0, set_by_command.stderr
    for report in (None, applied(0)):  # never handled any, or an older one: send them
        answer = send(central, kiosk, beat(settings_applied=report))
        assert answer.settings_revision == 1 and answer.settings.maintenance
        assert answer.settings.attract_notice.en == "Under maintenance"
    answer = send(central, kiosk, beat(settings_applied=applied(1), in_service=False,
                                       out_of_service_reason="maintenance"))
    assert answer.settings_revision == 1 and answer.settings is None
    assert state_of(fleet, kiosk).maintenance and state_of(fleet, kiosk).applied_revision == 1

    fleet.set_settings(kiosk, wire.KioskSettings(enabled_services=[wire.Service.STATUS]), "mgr")
    answer = send(central, kiosk, beat(settings_applied=applied(1)))
    assert answer.settings_revision == 2 and answer.settings.enabled_services == ["status"]
    refused = applied(2, ["enabled_services: none of status is offered by this kiosk"])
    answer = send(central, kiosk, beat(settings_applied=refused))
    assert answer.settings is None  # refused once is refused: not sent again
    s = state_of(fleet, kiosk)
    assert s.state == "warning" and "settings_refused" in [r.code for r in s.reasons]
    assert s.settings_errors == refused.errors
    assert [e.who for e in fleet.audit(kiosk)] == ["mgr", "tech-1"]


def test_a_heartbeat_that_breaks_the_contract_is_refused(central):
    bad = beat().model_dump(mode="json")
    bad["journeys"] = [{"day": str(TODAY), "started": -1}]
    resp = requests.post(f"{central.api}/kiosks/test-kiosk/heartbeat", json=bad, timeout=10)
    assert resp.status_code == 422 and resp.json()["code"] == "invalid_request"


def test_a_kiosk_id_that_is_not_one_is_refused_before_anything_is_stored(central, fleet):
    before = len(fleet.kiosk_states())
    for bad in ("k" * 65, "kiosk%2001", "-kiosk"):
        resp = requests.post(f"{central.api}/kiosks/{bad}/heartbeat",
                             json=beat().model_dump(mode="json"), timeout=10)
        assert resp.status_code == 422 and resp.json()["code"] == "invalid_request", bad
    assert len(fleet.kiosk_states()) == before


def test_a_database_from_before_the_fleet_takes_heartbeats_again(tmp_path):
    import sqlite3

    from central.storage.db import create_tables

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # the kiosks table as it was before the fleet
        old.execute("CREATE TABLE kiosks (kiosk_id VARCHAR(64) PRIMARY KEY, software_version "
                    "VARCHAR(32) NOT NULL, sent_at DATETIME NOT NULL, received_at DATETIME NOT "
                    "NULL, outbox_depth INTEGER NOT NULL, journeys_completed INTEGER NOT NULL, "
                    "health_json TEXT NOT NULL)")
        old.execute("INSERT INTO kiosks VALUES ('k', '1.0', '2026-01-01', '2026-01-01', 0, 0, '{}')")
    engine = make_engine(f"sqlite:///{path}")
    create_tables(engine)
    fleet = Fleet(engine)
    fleet.heartbeat("k", beat())
    fleet.set_settings("k", wire.KioskSettings(maintenance=True), "ops")
    create_tables(engine)  # and a second start keeps what the first made
    assert [(s.kiosk_id, s.software_version, s.settings_revision)
            for s in fleet.kiosk_states()] == [("k", "1.4.0", 1)]
    engine.dispose()
