"""The technician's report (screen and `kiosk diag`) and the PIN gate in front of it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.diagnostics.report import collect
from kiosk.diagnostics.technician import PinGate
from tests.central_server import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_pin_gate_locks_after_the_configured_wrong_tries():
    now = [0.0]
    gate = PinGate("246810", max_attempts=5, lockout_s=300, clock=lambda: now[0])
    for _ in range(4):
        assert not gate.try_pin("000000")
    assert gate.attempts_left == 1 and gate.locked_remaining() == 0
    assert not gate.try_pin("111111")
    assert gate.locked_remaining() == 300
    assert not gate.try_pin("246810")  # even the right PIN waits out the lockout
    now[0] += 301
    assert gate.try_pin("246810")


def test_report_shows_devices_central_and_outbox(make_kiosk):
    k = make_kiosk()
    k.devices.receipt_printer.faults.set("offline", -1)
    report = collect(k.runtime)
    assert report.central_latency_ms is not None
    assert report.devices["receipt_printer"].state.value == "offline"
    assert not report.healthy
    text = "\n".join(report.lines())
    assert "receipt_printer" in text and "outbox           0 waiting" in text


def test_kiosk_diag_command(tmp_path, central):
    def diag(url: str) -> subprocess.CompletedProcess:
        config = tmp_path / "kiosk.toml"
        config.write_text(f'[central]\nurl = "{url}"\n[storage]\ndata_dir = "{tmp_path}"\n'
                          f'[devices.receipt_printer.options]\noutput_dir = "{tmp_path}"\n'
                          f'[devices.card_printer.options]\noutput_dir = "{tmp_path}"\n')
        return subprocess.run([sys.executable, "-m", "kiosk_app", "--config", str(config), "diag",
                               "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)

    up = diag(central.url)
    assert up.returncode == 0, up.stderr
    report = json.loads(up.stdout)
    assert report["healthy"] and report["central"]["latency_ms"] > 0
    assert set(report["devices"]) == {"reader", "camera", "receipt_printer", "card_printer",
                                      "scanner"}
    down = diag(f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 3
    assert json.loads(down.stdout)["central"]["latency_ms"] is None


def test_heartbeat_reports_device_states_without_personal_data(make_kiosk):
    k = make_kiosk()
    k.runtime.monitor.poll_once()
    beat = k.runtime.heartbeat.build()
    assert set(beat.health) == {"reader", "camera", "receipt_printer", "card_printer", "scanner"}
    assert beat.outbox_depth == 0
    assert k.runtime.heartbeat.send_once() and k.runtime.heartbeat.last_answer is not None


def test_supplies_with_time_to_empty_reach_the_heartbeat_and_diagnostics(make_kiosk):
    from kiosk.diagnostics.report import collect
    k = make_kiosk()
    printer = k.devices.card_printer
    k.runtime.monitor.poll_once()
    printer.load(cards_left=printer.cards_left - 3)  # three cards went out
    k.runtime.monitor.poll_once()
    beat = k.runtime.heartbeat.build()
    cards = next(s for s in beat.supplies if (s.device, s.supply) == ("card_printer", "cards"))
    assert cards.remaining == 97 and cards.per_hour > 0 and cards.hours_to_empty > 0
    paper = next(s for s in beat.supplies if s.supply == "paper")
    assert paper.per_hour is None and paper.hours_to_empty is None, "no use, no guess"
    lines = "\n".join(collect(k.runtime).lines())
    assert "card_printer/cards" in lines and "97 left" in lines and "empty in" in lines
    assert k.runtime.heartbeat.send_once(), "central accepts the heartbeat with supplies"


def test_diagnostics_show_camera_rate_and_the_last_photos_scores(make_kiosk):
    from kiosk.diagnostics.report import collect
    from tests.journey.walk import to_decision

    k = make_kiosk()
    to_decision(k, "eligible")
    report = collect(k.runtime)
    names = {c["name"] for c in report.photo_checks}
    assert {"single_face", "sharpness", "exposure_dark", "yaw"} <= names, names
    assert all(set(c) >= {"score", "threshold", "passed"} for c in report.photo_checks)
    lines = "\n".join(report.lines())
    assert "fps" in lines and "last photo" in lines
