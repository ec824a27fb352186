"""Settings a hall manager sets at the real central server (``Fleet.set_settings``, what the
dashboard calls) reach the kiosk in a heartbeat's answer and act as they should: maintenance,
service hours by the hall's clock, enabled services, the notice; never cutting off a
resident; applied once, kept over a restart, refused and reported when invalid. What the
kiosk reported back is read from central's fleet state. Answers central would never give
(settings that break the contract, a revision reused) come from a relay in front of it."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from central.fleet.service import Fleet
from central.fleet.states import KioskState
from kiosk.diagnostics.report import collect
from kiosk.errors import InvalidInput
from kiosk.fleet.remote_settings import SETTINGS_FILE
from kiosk.journey.steps import Step
from kiosk.journey.table import IntentRejected
from protocol import wire
from tests.journey.walk import drive_to, menu

S = Step
V = wire.Service
NOTICE = {"zh_CN": "今晚22点起系统升级，暂停30分钟", "en": "System upgrade from 22:00, 30 minutes"}
MANAGER = "manager-li"


class WallClock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def fleet_kiosk(make_kiosk, kiosk_id: str, url: str | None = None, **kw):
    k = make_kiosk(url=url, kiosk_id=kiosk_id, **kw)
    k.runtime.heartbeat.stop()  # each heartbeat is sent by the test, when it says
    return k


def beat(k, fleet: Fleet) -> KioskState:
    """One heartbeat out, its answer handled on the journey's thread; what central made of it."""
    assert k.runtime.heartbeat.send_once()
    k.pump()
    kiosk_id = k.runtime.config.kiosk_id
    [state] = [s for s in fleet.kiosk_states() if s.kiosk_id == kiosk_id]
    return state


def desk_beat(k, desk) -> wire.Heartbeat:
    """The same through the relay: the heartbeat as the kiosk sent it."""
    assert k.runtime.heartbeat.send_once()
    k.pump()
    return desk.last_heartbeat()


def test_maintenance_takes_the_kiosk_out_at_attract_and_lifting_it_brings_it_back(
        make_kiosk, fleet, kiosk_id):
    k = fleet_kiosk(make_kiosk, kiosk_id)
    assert beat(k, fleet).in_service
    assert fleet.set_settings(kiosk_id, {"maintenance": True}, MANAGER) == 1
    beat(k, fleet)
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "maintenance"
    state = beat(k, fleet)
    assert not state.in_service and state.out_of_service_reason == "maintenance"
    assert state.applied_revision == 1 and state.settings_errors == []
    with pytest.raises(IntentRejected):
        k.journey.welcome.begin()  # nobody can start a journey
    lines = "\n".join(collect(k.runtime).lines())  # what the technician sees
    assert "revision 1  MAINTENANCE" in lines and "out of service: maintenance" in lines

    assert fleet.set_settings(kiosk_id, {"maintenance": False}, MANAGER) == 2
    beat(k, fleet)
    k.pump(S.ATTRACT)
    after = beat(k, fleet)
    assert after.in_service and after.applied_revision == 2
    assert [(a.revision, a.who) for a in fleet.audit(kiosk_id)] == [(2, MANAGER), (1, MANAGER)]


def test_a_resident_mid_journey_is_not_cut_off(make_kiosk, fleet, kiosk_id):
    k = fleet_kiosk(make_kiosk, kiosk_id)
    drive_to(k, S.DECISION)
    fleet.set_settings(kiosk_id, {"maintenance": True, "enabled_services": ["status"]}, MANAGER)
    beat(k, fleet)
    k.pump()
    assert k.journey.state is S.DECISION, "the resident carries on"
    during = beat(k, fleet)
    assert during.applied_revision == 1 and during.settings_errors == []
    assert during.in_service  # still serving the one in front of it
    k.journey.decision.continue_application()
    k.journey.fulfilment.choose(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.application_number
    k.journey.finish()
    assert k.journey.state is S.OUT_OF_SERVICE, "then maintenance begins"
    assert beat(k, fleet).out_of_service_reason == "maintenance"


def test_enabled_services_limit_the_menu_from_the_next_session(make_kiosk, fleet, kiosk_id):
    k = fleet_kiosk(make_kiosk, kiosk_id)
    menu(k)  # a resident is looking at the full menu
    fleet.set_settings(kiosk_id, {"enabled_services": ["status"]}, MANAGER)
    beat(k, fleet)
    assert k.journey.welcome.services_offered() == [V.NEW, V.RENEWAL, V.STATUS]
    k.journey.welcome.choose_service(V.NEW)  # what they were shown still works
    k.journey.cancel()
    menu(k)
    assert k.journey.welcome.services_offered() == [V.STATUS]
    with pytest.raises(InvalidInput):
        k.journey.welcome.choose_service(V.NEW)
    k.journey.welcome.choose_service(V.STATUS)
    assert k.journey.state is S.STATUS_LOOKUP
    k.journey.cancel()
    fleet.set_settings(kiosk_id, {"enabled_services": ["status", "new"]}, MANAGER)
    beat(k, fleet)
    assert k.journey.welcome.services_offered() == [V.NEW, V.STATUS], "the config's order is kept"


def test_service_hours_close_and_open_the_kiosk_by_the_halls_clock(make_kiosk, fleet, kiosk_id):
    clock = WallClock(dt.datetime(2025, 3, 3, 7, 58))
    k = fleet_kiosk(make_kiosk, kiosk_id, now=clock)
    hours = {"opens": "08:00", "closes": "20:00"}
    fleet.set_settings(kiosk_id, {"service_hours": hours}, MANAGER)
    beat(k, fleet)
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "closed"
    assert k.journey.availability.service_hours() == wire.ServiceHours(opens=dt.time(8), closes=dt.time(20))
    clock.at = dt.datetime(2025, 3, 3, 8, 0)
    k.pump(S.ATTRACT)  # its own tick opens it: no heartbeat needed
    menu(k)
    clock.at = dt.datetime(2025, 3, 3, 20, 1)  # closing time passes mid-journey
    k.pump()
    assert k.journey.state is S.SERVICE_MENU
    k.journey.cancel()
    k.pump(S.OUT_OF_SERVICE)
    assert beat(k, fleet).out_of_service_reason == "closed"
    fleet.set_settings(kiosk_id, {"maintenance": True, "service_hours": hours}, MANAGER)
    beat(k, fleet)
    assert k.journey.session.problem.code == "maintenance", "maintenance is said first"


def test_the_attract_notice_is_the_fleets(make_kiosk, fleet, kiosk_id):
    k = fleet_kiosk(make_kiosk, kiosk_id, notice_zh="本地通知", notice_en="Local notice")
    assert k.journey.availability.attract_notice() == wire.Text(zh_CN="本地通知", en="Local notice")
    fleet.set_settings(kiosk_id, {"attract_notice": NOTICE}, MANAGER)
    beat(k, fleet)
    assert k.journey.availability.attract_notice() == wire.Text(**NOTICE)
    assert k.journey.state is S.ATTRACT  # a notice alone keeps the kiosk serving
    assert beat(k, fleet).applied_revision == 1, "and central hears it was applied"


def test_settings_are_applied_once_and_hold_after_a_restart(
        make_kiosk, fleet, kiosk_id, tmp_path):
    k = fleet_kiosk(make_kiosk, kiosk_id)
    fleet.set_settings(kiosk_id, {"maintenance": True, "attract_notice": NOTICE}, MANAGER)
    beat(k, fleet)
    first = k.runtime.remote_settings.report
    beat(k, fleet)
    beat(k, fleet)
    assert k.runtime.remote_settings.report == first, "applied once, not at each answer"
    assert k.runtime.remote_settings.in_force.maintenance
    kept = json.loads((tmp_path / "data" / SETTINGS_FILE).read_text())
    assert kept["revision"] == 1 and kept["settings"]["maintenance"] is True

    k.runtime.stop()
    k2 = fleet_kiosk(make_kiosk, kiosk_id)
    k2.pump(S.OUT_OF_SERVICE)  # before any heartbeat: the kept settings act at start
    assert k2.journey.session.problem.code == "maintenance"
    assert k2.journey.availability.attract_notice() == wire.Text(**NOTICE)
    state = beat(k2, fleet)
    assert (state.applied_revision, state.settings_errors) == (1, [])
    assert k2.runtime.remote_settings.report == first, "reported as applied then, not again"


def test_a_revision_seen_is_never_applied_again_whatever_the_answer_says(
        make_kiosk, desk, kiosk_id):
    k = fleet_kiosk(make_kiosk, kiosk_id, url=desk.url)
    desk.push(3, {"maintenance": True, "attract_notice": NOTICE})
    desk_beat(k, desk)
    first = k.runtime.remote_settings.report
    desk.push(3, {"maintenance": False}, even_if_seen=True)  # central never reuses a number
    desk_beat(k, desk)
    assert desk_beat(k, desk).settings_applied == first
    assert k.runtime.remote_settings.in_force.maintenance


@pytest.mark.parametrize("settings,why", [
    ({"enabled_services": ["renewal"]}, "none of renewal is offered by this kiosk"),
])
def test_settings_the_kiosk_cannot_honour_are_refused_and_shown_at_central(
        make_kiosk, fleet, kiosk_id, settings, why):
    k = fleet_kiosk(make_kiosk, kiosk_id, journey__services=["new", "status"])
    fleet.set_settings(kiosk_id, {"attract_notice": NOTICE}, MANAGER)
    beat(k, fleet)
    fleet.set_settings(kiosk_id, settings, MANAGER)
    beat(k, fleet)
    state = beat(k, fleet)
    assert state.applied_revision == 2 and any(why in e for e in state.settings_errors)
    assert "settings_refused" in [r.code for r in state.reasons], "the dashboard says why"
    rs = k.runtime.remote_settings
    assert rs.in_force.attract_notice == wire.Text(**NOTICE), "revision 1 stays in force"
    assert not rs.in_force.maintenance and k.journey.state is S.ATTRACT
    assert k.journey.welcome.services_offered() == [V.NEW, V.STATUS]
    # A good revision after a bad one; what the kiosk's config leaves out stays out.
    fleet.set_settings(kiosk_id, {"enabled_services": ["renewal", "status"],
                                  "attract_notice": NOTICE}, MANAGER)
    beat(k, fleet)
    state = beat(k, fleet)
    assert (state.applied_revision, state.settings_errors) == (3, [])
    assert k.journey.welcome.services_offered() == [V.STATUS]


@pytest.mark.parametrize("settings,why", [
    ({"enabled_services": []}, "enabled_services"),  # central's own check forbids it
    ({"maintenance": True, "reboot": True}, "reboot"),
    ({"attract_notice": {"zh_CN": "只有中文", "en": " "}}, "both zh_CN and en"),
    ({"attract_notice": {"zh_CN": "响铃\a", "en": "Bell\a"}}, "control characters"),
])
def test_settings_that_break_the_contract_are_refused_and_reported(
        make_kiosk, desk, kiosk_id, settings, why):
    k = fleet_kiosk(make_kiosk, kiosk_id, url=desk.url)
    desk.push(1, {"attract_notice": NOTICE})
    desk_beat(k, desk)
    desk.push(2, settings)
    desk_beat(k, desk)
    report = desk_beat(k, desk).settings_applied
    assert report.revision == 2 and any(why in e for e in report.errors), report.errors
    rs = k.runtime.remote_settings
    assert rs.in_force.attract_notice == wire.Text(**NOTICE), "revision 1 stays in force"
    assert not rs.in_force.maintenance and k.journey.state is S.ATTRACT
