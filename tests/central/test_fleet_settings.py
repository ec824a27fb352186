"""Settings a manager sets: checked by the kiosk's own model, numbered, and written down."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

import pytest
from pydantic import ValidationError

from central.demo_seed.residents import seed_fleet
from central.fleet.service import UnknownHall
from protocol import wire
from tests.central.fleet_world import MovingClock, fleet_on
from tools.central_process import ROOT

HOURS = wire.ServiceHours(opens=dt.time(8), closes=dt.time(20))


def test_each_change_gets_the_next_revision_and_an_audit_row(tmp_path):
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    assert fleet.settings_for("test-kiosk") == (0, wire.KioskSettings())
    first = fleet.set_settings("test-kiosk", wire.KioskSettings(service_hours=HOURS), "王经理")
    clock.advance(60)
    notice = wire.Text(zh_CN="今晚22点起维护", en="Maintenance from 22:00 tonight")
    second = fleet.set_settings("test-kiosk", {"service_hours": HOURS.model_dump(),
                                               "attract_notice": notice.model_dump(),
                                               "enabled_services": ["status"]}, "tech-07")
    assert (first, second) == (1, 2)
    revision, settings = fleet.settings_for("test-kiosk")
    assert revision == 2 and settings.attract_notice == notice
    assert settings.enabled_services == [wire.Service.STATUS]
    newest, oldest = fleet.audit("test-kiosk")
    assert (oldest.revision, oldest.who, oldest.at) == (1, "王经理", clock.now - dt.timedelta(seconds=60))
    assert oldest.changes == {"service_hours.opens": ["00:00:00", "08:00:00"],
                              "service_hours.closes": ["00:00:00", "20:00:00"]}
    assert newest.who == "tech-07" and newest.changes == {
        "attract_notice.zh_CN": [None, "今晚22点起维护"],
        "attract_notice.en": [None, "Maintenance from 22:00 tonight"],
        "enabled_services": [["new", "renewal", "status"], ["status"]]}


def test_the_same_settings_again_make_no_new_revision(tmp_path):
    fleet = fleet_on(tmp_path)
    assert fleet.set_settings("test-kiosk", wire.KioskSettings(maintenance=True), "ops") == 1
    assert fleet.set_settings("test-kiosk", wire.KioskSettings(maintenance=True), "ops") == 1
    assert len(fleet.audit("test-kiosk")) == 1
    assert fleet.set_settings("test-kiosk", wire.KioskSettings(), "ops") == 2  # back to defaults


@pytest.mark.parametrize("bad", [
    {"enabled_services": []},
    {"attract_notice": {"zh_CN": "通" * 161, "en": "x"}},
    {"reboot": True},
    {"service_hours": {"opens": "25:00", "closes": "08:00"}},
])
def test_what_the_kiosk_would_refuse_is_refused_here(tmp_path, bad):
    fleet = fleet_on(tmp_path)
    with pytest.raises(ValidationError):
        fleet.set_settings("test-kiosk", bad, "ops")
    assert fleet.settings_for("test-kiosk")[0] == 0 and fleet.audit("test-kiosk") == []


def test_a_change_needs_a_name(tmp_path):
    with pytest.raises(ValueError, match="who"):
        fleet_on(tmp_path).set_settings("test-kiosk", wire.KioskSettings(), "  ")


def test_managers_changing_one_kiosk_at_once_get_distinct_revisions(tmp_path):
    fleet = fleet_on(tmp_path)
    got: list[int] = []

    def change(n: int) -> None:
        got.append(fleet.set_settings("test-kiosk", wire.KioskSettings(
            attract_notice=wire.Text(zh_CN=f"通知{n}", en=f"notice {n}")), f"m{n}"))

    threads = [threading.Thread(target=change, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == [1, 2, 3, 4, 5, 6]
    assert [e.revision for e in fleet.audit("test-kiosk")] == [6, 5, 4, 3, 2, 1]


def test_settings_for_a_kiosk_not_heard_from_yet_wait_for_it(tmp_path):
    fleet = fleet_on(tmp_path)
    assert fleet.set_settings("new-kiosk-99", wire.KioskSettings(maintenance=True), "ops") == 1
    [s] = [s for s in fleet.kiosk_states() if s.kiosk_id == "new-kiosk-99"]
    assert s.hall_id is None and s.settings_revision == 1 and s.maintenance


def test_kiosks_are_put_in_halls_and_the_seed_leaves_them_there(tmp_path):
    fleet = fleet_on(tmp_path)
    assert fleet.hall_of("test-kiosk") == "zz-centre"
    fleet.assign("test-kiosk", "bj-chaoyang")
    assert seed_fleet(fleet) == 0  # halls already there
    assert fleet.hall_of("test-kiosk") == "bj-chaoyang"
    with pytest.raises(UnknownHall):
        fleet.assign("test-kiosk", "nowhere")
    assert [h.hall_id for h in fleet.halls()] == ["bj-chaoyang", "zz-centre", "zz-hetang"]
    assert fleet.halls()[1].name.zh_CN.startswith("株洲市政务服务中心")


def test_the_commands_set_assign_and_show_the_audit(tmp_path):
    fleet = fleet_on(tmp_path)
    url = str(fleet.engine.url)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "central", "fleet", *args, "--database", url],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    done = run("set-settings", "test-kiosk", '{"maintenance": true}', "--who", "tech-3")
    assert done.returncode == 0 and "revision 1" in done.stdout
    refused = run("set-settings", "test-kiosk", '{"enabled_services": ["fly"]}', "--who", "x")
    assert refused.returncode == 2 and "enabled_services" in refused.stderr
    assert run("assign", "test-kiosk", "zz-hetang").returncode == 0
    wrong = run("assign", "test-kiosk", "zz-nowhere")
    assert wrong.returncode == 2 and "zz-hetang" in wrong.stderr
    audit = run("audit", "test-kiosk").stdout
    assert "revision 1" in audit and "tech-3" in audit and "maintenance: false -> true" in audit
    assert fleet.hall_of("test-kiosk") == "zz-hetang" and fleet.settings_for("test-kiosk")[0] == 1
    key = str(tmp_path / "central.key")
    issuing = ("--hall", "zz-hetang", "--who", "tech-3", "--fleet-key", key,
               "--public-url", "https://central.example")
    no_code = run("enrolment-code", "大厅 1", *issuing)
    assert no_code.returncode == 2 and "up to 64" in no_code.stderr and "大厅 1" in no_code.stderr
    assert "Enrolment code" not in no_code.stdout
    code = run("enrolment-code", "hetang-02", *issuing)
    assert code.returncode == 0 and "Enrolment code" in code.stdout


def test_after_a_restored_database_the_next_revision_passes_what_the_kiosk_has(tmp_path):
    """A kiosk ignores revisions it has seen; central's numbering must not fall behind it."""
    from tests.central.fleet_world import beat

    fleet = fleet_on(tmp_path)
    seen = wire.SettingsApplied(revision=7, applied_at=dt.datetime.now(dt.timezone.utc))
    answer = fleet.heartbeat("test-kiosk", beat(settings_applied=seen))
    assert answer.settings_revision == 0 and answer.settings is None
    assert fleet.set_settings("test-kiosk", wire.KioskSettings(maintenance=True), "ops") == 8
    answer = fleet.heartbeat("test-kiosk", beat(settings_applied=seen))
    assert answer.settings_revision == 8 and answer.settings.maintenance
