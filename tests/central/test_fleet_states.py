"""A kiosk's state and why, from what its heartbeats said and how long ago (store level)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from protocol import wire
from tests.central.fleet_world import MovingClock, beat, fleet_on, health, supply
from tools.central_process import ROOT


def state_after(fleet, kiosk_id: str, heartbeat: wire.Heartbeat):
    fleet.heartbeat(kiosk_id, heartbeat)
    [found] = [s for s in fleet.kiosk_states() if s.kiosk_id == kiosk_id]
    return found


def codes(state) -> list[str]:
    return [r.code for r in state.reasons]


def test_a_healthy_kiosk_is_ok_with_what_it_reported(tmp_path):
    fleet = fleet_on(tmp_path)
    s = state_after(fleet, "test-kiosk-01", beat(outbox_depth=2, outbox_oldest_s=40.0))
    assert s.state == "ok" and s.reasons == [] and not s.maintenance
    assert s.hall_id == "zz-hetang" and s.software_version == "1.4.0" and s.in_service
    assert s.outbox_depth == 2 and s.health["card_printer"].state == "ok"
    assert {(x.device, x.supply) for x in s.supplies} == {("receipt_printer", "paper"),
                                                          ("card_printer", "cards")}


@pytest.mark.parametrize("changes,state,code,device,words", [
    (dict(health=health(receipt_printer=("error", "jam"))), "error", "device_error",
     "receipt_printer", ("回执打印机故障（jam）", "Receipt printer fault (jam)")),
    (dict(health=health(reader="offline")), "error", "device_offline", "reader",
     ("证件阅读器离线", "Document reader offline")),
    (dict(health=health(camera=("error", "camera_timeout"))), "error", "device_error", "camera",
     ("摄像头故障", "Camera fault")),
    # Out of paper the kiosk serves on (the receipt as a QR code): a warning, not an error.
    (dict(health=health(receipt_printer=("error", "paper_out"))), "warning", "supply_empty",
     "receipt_printer", ("回执纸已用完，回执改为二维码显示", "Receipt paper ran out")),
    (dict(health=health(card_printer=("error", "cards_out"))), "warning", "supply_empty",
     "card_printer", ("证卡改为邮寄", "cards are posted instead")),
    (dict(supplies=[supply(level="low", remaining=12, hours_to_empty=1.5)]), "warning",
     "supply_low", "receipt_printer", ("剩余 12，约 90 分钟后用完", "12 left, about 90 min to empty")),
    # Level still "ok" but at this pace it runs out within the threshold (4 h).
    (dict(supplies=[supply("card_printer", "ribbon", remaining=80, hours_to_empty=3.0)]),
     "warning", "supply_low", "card_printer", ("色带不足", "Ribbon low")),
    (dict(supplies=[supply(remaining=400, hours_to_empty=30.0)]), "ok", None, None, ()),
    (dict(health=health(scanner="unknown")), "warning", "device_unknown", "scanner",
     ("扫码器状态未知", "Barcode scanner: state unknown")),
    (dict(outbox_depth=3, outbox_oldest_s=1800.0), "warning", "outbox_stuck", "",
     ("有 3 份申请未能送达，最早一份已等待 30 分钟", "the oldest has waited 30 min")),
    (dict(outbox_depth=3, outbox_oldest_s=600.0), "ok", None, None, ()),
    (dict(in_service=False, out_of_service_reason="maintenance"), "ok", "maintenance", "",
     ("维护中", "In maintenance")),
    (dict(in_service=False, out_of_service_reason="closed"), "ok", "closed", "",
     ("服务时间以外", "Outside its service hours")),
    (dict(in_service=False, out_of_service_reason="config_error"), "error", "out_of_service",
     "", ("暂停服务（config_error）", "Out of service (config_error)")),
])
def test_state_and_reason_in_both_languages(tmp_path, changes, state, code, device, words):
    s = state_after(fleet_on(tmp_path), "test-kiosk", beat(**changes))
    assert s.state == state
    if code is None:
        assert s.reasons == []
        return
    [reason] = [r for r in s.reasons if r.code == code]
    assert reason.device == device
    zh, en = words
    assert zh in reason.text.zh_CN and en in reason.text.en
    assert "as the driver said" not in reason.text.en  # the driver's free text stays out


def test_a_printer_reporting_low_paper_and_counting_it_is_said_once(tmp_path):
    s = state_after(fleet_on(tmp_path), "test-kiosk", beat(
        health=health(receipt_printer=("warning", "paper_low")),
        supplies=[supply(level="low", remaining=9)]))
    assert codes(s) == ["supply_low"] and s.state == "warning"


def test_offline_after_the_configured_silence_and_never_heard(tmp_path):
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock, offline_after_s=60)
    fleet.heartbeat("test-kiosk", beat(health=health(receipt_printer=("error", "jam"))))
    clock.advance(59)
    assert {s.kiosk_id: s.state for s in fleet.kiosk_states()}["test-kiosk"] == "error"
    clock.advance(2)
    states = {s.kiosk_id: s for s in fleet.kiosk_states()}
    silent = states["test-kiosk"]
    assert silent.state == "offline" and codes(silent) == ["no_heartbeat"]
    assert "61 秒" in silent.reasons[0].text.zh_CN and "61 s" in silent.reasons[0].text.en
    assert states["bj-kiosk-01"].state == "offline" and codes(states["bj-kiosk-01"]) == ["never_heard"]
    fleet.heartbeat("test-kiosk", beat())
    assert {s.kiosk_id: s.state for s in fleet.kiosk_states()}["test-kiosk"] == "ok"


def test_by_default_two_missed_beats_make_a_kiosk_offline(tmp_path):
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    fleet.heartbeat("test-kiosk", beat())
    clock.advance(75)
    assert fleet.kiosk_states(["zz-centre"])[2].state == "ok"  # demo-01, demo-02, test-kiosk
    clock.advance(1)
    assert fleet.kiosk_states(["zz-centre"])[2].state == "offline"


def test_settings_refused_and_settings_not_applied_are_warnings(tmp_path):
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    fleet.heartbeat("test-kiosk", beat())
    revision = fleet.set_settings("test-kiosk", wire.KioskSettings(maintenance=True), "ops")
    fleet.heartbeat("test-kiosk", beat())
    assert [s for s in fleet.kiosk_states() if s.kiosk_id == "test-kiosk"][0].maintenance
    clock.advance(200)  # three minutes and the kiosk still reports no revision
    s = state_after(fleet, "test-kiosk", beat())
    assert s.state == "warning" and "settings_pending" in codes(s)
    refused = wire.SettingsApplied(revision=revision, applied_at=clock.now,
                                   errors=["enabled_services: none offered"])
    s = state_after(fleet, "test-kiosk", beat(settings_applied=refused))
    assert s.state == "warning" and "settings_refused" in codes(s)
    assert "enabled_services: none offered" in s.reasons[0].text.en
    ok = wire.SettingsApplied(revision=revision, applied_at=clock.now)
    s = state_after(fleet, "test-kiosk", beat(settings_applied=ok, in_service=False,
                                              out_of_service_reason="maintenance"))
    assert s.state == "ok" and codes(s) == ["maintenance"] and s.maintenance


def test_states_of_some_halls_only(tmp_path):
    fleet = fleet_on(tmp_path)
    fleet.heartbeat("stray-kiosk", beat())
    every = {s.kiosk_id: s.hall_id for s in fleet.kiosk_states()}
    assert every["stray-kiosk"] is None and every["demo-kiosk-01"] == "zz-centre"
    assert {s.kiosk_id for s in fleet.kiosk_states(["zz-hetang"])} == {"test-kiosk-01",
                                                                      "test-kiosk-07"}
    assert fleet.kiosk_states([]) == []


def test_states_command_prints_both_languages_and_json(tmp_path):
    fleet = fleet_on(tmp_path, MovingClock(dt.datetime.now(dt.timezone.utc)))
    fleet.heartbeat("test-kiosk-01", beat(health=health(card_printer=("error", "jam"))))
    url = str(fleet.engine.url)
    run = [sys.executable, "-m", "central", "fleet", "states", "--database", url]
    text = subprocess.run(run + ["--hall", "zz-hetang"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True).stdout
    assert "test-kiosk-01" in text and "故障 Error" in text and "Card printer fault (jam)" in text
    assert "demo-kiosk-01" not in text
    as_json = json.loads(subprocess.run(run + ["--json"], cwd=ROOT, capture_output=True,
                                        text=True, timeout=60, check=True).stdout)
    by_id = {k["kiosk_id"]: k for k in as_json}
    assert by_id["test-kiosk-01"]["state"] == "error"
    assert by_id["test-kiosk-01"]["reasons"][0]["text"]["zh_CN"] == "制证打印机故障（jam）。"
    assert by_id["demo-kiosk-02"]["state"] == "offline"
