"""Settings a hall manager pushes reach the kiosk in a heartbeat's answer (through a real
HTTP server in front of the real central server) and act as they should: maintenance,
service hours by the hall's clock, enabled services, the notice; never cutting off a
resident; applied once, kept over a restart, refused and reported when invalid."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from central import wire
from kiosk.diagnostics import collect
from kiosk.errors import InvalidInput
from kiosk.remote_settings import SETTINGS_FILE
from kiosk.steps import IllegalTransition, Step
from tests.journey.walk import drive_to, menu

S = Step
V = wire.Service
NOTICE = {"zh_CN": "今晚22点起系统升级，暂停30分钟", "en": "System upgrade from 22:00, 30 minutes"}


class WallClock:
    def __init__(self, at: dt.datetime) -> None:
        self.at = at

    def __call__(self) -> dt.datetime:
        return self.at


def kiosk_at_desk(make_kiosk, desk, **kw):
    k = make_kiosk(url=desk.url, **kw)
    k.runtime.heartbeat.stop()  # each heartbeat is sent by the test, when it says
    return k


def beat(k, desk) -> wire.Heartbeat:
    """One heartbeat out, its answer handled on the journey's thread, what was sent back."""
    assert k.runtime.heartbeat.send_once()
    k.pump()
    return desk.last_heartbeat()


def test_maintenance_takes_the_kiosk_out_at_attract_and_lifting_it_brings_it_back(
        make_kiosk, desk):
    k = kiosk_at_desk(make_kiosk, desk)
    assert beat(k, desk).in_service
    desk.push(1, {"maintenance": True})
    beat(k, desk)
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "maintenance"
    report = beat(k, desk)
    assert not report.in_service and report.out_of_service_reason == "maintenance"
    assert report.settings_applied.revision == 1 and report.settings_applied.errors == []
    with pytest.raises(IllegalTransition):
        k.journey.begin()  # nobody can start a journey
    lines = "\n".join(collect(k.runtime).lines())  # what the technician sees
    assert "revision 1  MAINTENANCE" in lines and "out of service: maintenance" in lines

    desk.push(2, {"maintenance": False})
    beat(k, desk)
    k.pump(S.ATTRACT)
    after = beat(k, desk)
    assert after.in_service and after.settings_applied.revision == 2


def test_a_resident_mid_journey_is_not_cut_off(make_kiosk, desk):
    k = kiosk_at_desk(make_kiosk, desk)
    drive_to(k, S.DECISION)
    desk.push(1, {"maintenance": True, "enabled_services": ["status"]})
    beat(k, desk)
    k.pump()
    assert k.journey.state is S.DECISION, "the resident carries on"
    during = beat(k, desk)
    assert during.settings_applied.revision == 1 and during.settings_applied.errors == []
    assert during.in_service  # still serving the one in front of it
    k.journey.continue_application()
    k.journey.choose_fulfilment(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.application_number
    k.journey.finish()
    assert k.journey.state is S.OUT_OF_SERVICE, "then maintenance begins"
    assert beat(k, desk).out_of_service_reason == "maintenance"


def test_enabled_services_limit_the_menu_from_the_next_session(make_kiosk, desk):
    k = kiosk_at_desk(make_kiosk, desk)
    menu(k)  # a resident is looking at the full menu
    desk.push(1, {"enabled_services": ["status"]})
    beat(k, desk)
    assert k.journey.services_offered() == [V.NEW, V.RENEWAL, V.STATUS]
    k.journey.choose_service(V.NEW)  # what they were shown still works
    k.journey.cancel()
    menu(k)
    assert k.journey.services_offered() == [V.STATUS]
    with pytest.raises(InvalidInput):
        k.journey.choose_service(V.NEW)
    k.journey.choose_service(V.STATUS)
    assert k.journey.state is S.STATUS_LOOKUP
    k.journey.cancel()
    desk.push(2, {"enabled_services": ["status", "new"]})  # the config's order is kept
    beat(k, desk)
    assert k.journey.services_offered() == [V.NEW, V.STATUS]


def test_service_hours_close_and_open_the_kiosk_by_the_halls_clock(make_kiosk, desk):
    clock = WallClock(dt.datetime(2025, 3, 3, 7, 58))
    k = kiosk_at_desk(make_kiosk, desk, now=clock)
    desk.push(1, {"service_hours": {"opens": "08:00", "closes": "20:00"}})
    beat(k, desk)
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "closed"
    assert k.journey.service_hours() == wire.ServiceHours(opens=dt.time(8), closes=dt.time(20))
    clock.at = dt.datetime(2025, 3, 3, 8, 0)
    k.pump(S.ATTRACT)  # its own tick opens it: no heartbeat needed
    menu(k)
    clock.at = dt.datetime(2025, 3, 3, 20, 1)  # closing time passes mid-journey
    k.pump()
    assert k.journey.state is S.SERVICE_MENU
    k.journey.cancel()
    k.pump(S.OUT_OF_SERVICE)
    assert beat(k, desk).out_of_service_reason == "closed"
    desk.push(2, {"maintenance": True, "service_hours": {"opens": "08:00", "closes": "20:00"}})
    beat(k, desk)
    assert k.journey.session.problem.code == "maintenance", "maintenance is said first"


def test_the_attract_notice_is_the_fleets(make_kiosk, desk):
    k = kiosk_at_desk(make_kiosk, desk, notice_zh="本地通知", notice_en="Local notice")
    assert k.journey.attract_notice() == wire.Text(zh_CN="本地通知", en="Local notice")
    desk.push(4, {"attract_notice": NOTICE})
    beat(k, desk)
    assert k.journey.attract_notice() == wire.Text(**NOTICE)
    assert k.journey.state is S.ATTRACT  # a notice alone keeps the kiosk serving


def test_a_revision_is_applied_once_and_holds_after_a_restart(make_kiosk, desk, tmp_path):
    k = kiosk_at_desk(make_kiosk, desk)
    desk.push(3, {"maintenance": True, "attract_notice": NOTICE})
    beat(k, desk)
    first = k.runtime.remote_settings.report
    desk.settings = (3, {"maintenance": False})  # the same revision again, whatever it says
    beat(k, desk)
    beat(k, desk)
    assert k.runtime.remote_settings.report == first
    assert k.runtime.remote_settings.in_force.maintenance
    kept = json.loads((tmp_path / "data" / SETTINGS_FILE).read_text())
    assert kept["revision"] == 3 and kept["settings"]["maintenance"] is True

    k.runtime.stop()
    k2 = kiosk_at_desk(make_kiosk, desk)
    k2.pump(S.OUT_OF_SERVICE)  # before any heartbeat: the kept settings act at start
    assert k2.journey.session.problem.code == "maintenance"
    assert k2.journey.attract_notice() == wire.Text(**NOTICE)
    sent = beat(k2, desk)
    assert sent.settings_applied == first, "reported as applied then, not again"
    assert k2.runtime.remote_settings.report == first


@pytest.mark.parametrize("settings,why", [
    ({"enabled_services": []}, "enabled_services"),  # breaks the wire contract
    ({"maintenance": True, "reboot": True}, "reboot"),
    ({"attract_notice": {"zh_CN": "只有中文", "en": " "}}, "both zh_CN and en"),  # our limit
    ({"enabled_services": ["renewal"]}, "none of renewal is offered by this kiosk"),
])
def test_an_invalid_setting_is_refused_and_reported(make_kiosk, desk, settings, why):
    k = kiosk_at_desk(make_kiosk, desk, journey__services=["new", "status"])
    desk.push(1, {"attract_notice": NOTICE})
    beat(k, desk)
    desk.push(2, settings)
    beat(k, desk)
    report = beat(k, desk).settings_applied
    assert report.revision == 2 and any(why in e for e in report.errors), report.errors
    rs = k.runtime.remote_settings
    assert rs.in_force.attract_notice == wire.Text(**NOTICE), "revision 1 stays in force"
    assert not rs.in_force.maintenance and k.journey.state is S.ATTRACT
    assert k.journey.services_offered() == [V.NEW, V.STATUS]
    # A good revision after a bad one; what the kiosk's config leaves out stays out.
    desk.push(3, {"enabled_services": ["renewal", "status"]})
    assert beat(k, desk).settings_applied.revision == 2  # sent before the answer came
    assert rs.report.revision == 3 and rs.report.errors == []
    assert k.journey.services_offered() == [V.STATUS]
