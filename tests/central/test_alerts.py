"""Alerts reach a real webhook and a real SMTP server, are rate-limited, and clear themselves."""

from __future__ import annotations

import time

import pytest
import requests

from central.fleet.alerts import AlertConfig, AlertRunner, notifiers_from
from tests.central.fleet_world import MovingClock, beat, fleet_on, health, supply
from tests.central.receivers import SmtpReceiver, WebhookReceiver
from tools.central_process import CentralProcess, free_port

PAPER_OUT = dict(health=health(receipt_printer=("error", "paper_out")))
NOTICE_KEYS = {"status", "kind", "kiosk_id", "hall_id", "subject", "detail", "title", "text",
               "raised_at", "resolved_at"}


@pytest.fixture()
def receivers():
    with WebhookReceiver() as hook, SmtpReceiver() as mail:
        yield hook, mail


def runner_for(fleet, hook, mail, **config) -> AlertRunner:
    cfg = AlertConfig(webhook_url=hook.url, smtp_host="127.0.0.1", smtp_port=mail.port,
                      mail_from="central@hall.test", mail_to=["manager@hall.test"], **config)
    return AlertRunner(fleet, cfg, notifiers_from(cfg))


def told(notices) -> list[tuple[str, str, str, str]]:
    return [(n.status, n.kind, n.kiosk_id, n.subject) for n in notices]


def test_paper_low_is_told_once_by_webhook_and_mail_then_resolved(tmp_path, receivers):
    hook, mail = receivers
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    runner = runner_for(fleet, hook, mail)
    fleet.heartbeat("test-kiosk", beat(supplies=[supply(level="low", remaining=20)]))
    assert told(runner.run_once()) == [("raised", "paper_low", "test-kiosk", "receipt_printer")]
    [body] = hook.wait_for(1)
    assert set(body) == NOTICE_KEYS and body["hall_id"] == "zz-centre"
    assert body["title"] == {"zh_CN": "回执纸不足", "en": "Receipt paper low"}
    assert "剩余 20" in body["text"]["zh_CN"] and "20 left" in body["text"]["en"]
    [(to, message)] = mail.wait_for(1)
    assert to == ["manager@hall.test"] and message["From"] == "central@hall.test"
    assert "告警 ALERT: 回执纸不足 / Receipt paper low" in message["Subject"]
    text = message.get_content()
    assert text.index("回执纸不足") < text.index("Receipt paper low")  # Chinese first
    assert "test-kiosk" in text and "zz-centre" in text

    clock.advance(30)
    fleet.heartbeat("test-kiosk", beat(**PAPER_OUT))  # low became empty: the same alert
    assert runner.run_once() == []
    clock.advance(30)
    fleet.heartbeat("test-kiosk", beat())  # refilled
    assert told(runner.run_once()) == [("resolved", "paper_low", "test-kiosk", "receipt_printer")]
    resolved = hook.wait_for(2)[1]
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert "已恢复 RESOLVED" in mail.wait_for(2)[1][1]["Subject"]
    assert runner.book.open_by_kind() == {}


def test_a_flapping_cause_is_not_told_again_within_the_repeat_time(tmp_path, receivers):
    hook, mail = receivers
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    runner = runner_for(fleet, hook, mail, repeat_after_s=600)
    jam, fine = beat(health=health(card_printer=("error", "jam"))), beat()
    for _ in range(3):  # jam, cleared, jam, cleared ... within ten minutes
        fleet.heartbeat("test-kiosk-01", jam)
        runner.run_once()
        clock.advance(60)
        fleet.heartbeat("test-kiosk-01", fine)
        runner.run_once()
        clock.advance(60)
    assert [(b["status"], b["kind"]) for b in hook.wait_for(2)] == [
        ("raised", "printer_fault"), ("resolved", "printer_fault")]
    time.sleep(0.3)
    assert len(hook.bodies) == 2 and len(mail.messages) == 2
    clock.advance(600)  # the repeat time has passed: told again
    fleet.heartbeat("test-kiosk-01", jam)
    assert told(runner.run_once()) == [("raised", "printer_fault", "test-kiosk-01", "card_printer")]
    assert "制证打印机故障（jam）" in hook.wait_for(3)[2]["text"]["zh_CN"]


def test_silence_raises_offline_after_its_own_time_and_freezes_device_alerts(tmp_path, receivers):
    hook, mail = receivers
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    runner = runner_for(fleet, hook, mail, offline_after_s=300)
    fleet.heartbeat("demo-kiosk-01", beat(**PAPER_OUT))
    assert told(runner.run_once()) == [("raised", "paper_low", "demo-kiosk-01", "receipt_printer")]
    clock.advance(200)  # Offline on the dashboard (90 s) but not yet worth an alert
    assert runner.run_once() == []
    clock.advance(101)
    assert told(runner.run_once()) == [("raised", "kiosk_offline", "demo-kiosk-01", "")]
    assert runner.book.open_by_kind() == {"paper_low": 1, "kiosk_offline": 1}
    clock.advance(30)
    fleet.heartbeat("demo-kiosk-01", beat(**PAPER_OUT))  # back, still out of paper
    assert told(runner.run_once()) == [("resolved", "kiosk_offline", "demo-kiosk-01", "")]
    never = [b for b in hook.wait_for(3) if b["kiosk_id"] in ("demo-kiosk-02", "bj-kiosk-01")]
    assert never == []  # kiosks never installed are shown Offline, not alerted


def test_after_central_itself_was_down_silence_counts_from_its_start(tmp_path, receivers):
    hook, mail = receivers
    clock = MovingClock()
    fleet = fleet_on(tmp_path, clock)
    fleet.heartbeat("test-kiosk", beat())
    clock.advance(3600)  # central was down for an hour; the kiosk's last beat is that old
    runner = runner_for(fleet, hook, mail, offline_after_s=300, interval_s=3600)
    runner.start()
    runner.stop()
    assert runner.serving_since == clock.now and runner.run_once() == []
    clock.advance(301)  # and still nothing from it since central came back
    assert told(runner.run_once()) == [("raised", "kiosk_offline", "test-kiosk", "")]


def test_a_city_wide_outage_is_told_as_one_summary(tmp_path, receivers):
    hook, mail = receivers
    fleet = fleet_on(tmp_path)
    runner = runner_for(fleet, hook, mail, max_notices_per_pass=3)
    kiosks = ["test-kiosk", "test-kiosk-01", "test-kiosk-07", "demo-kiosk-01", "stray-1"]
    for k in kiosks:
        fleet.heartbeat(k, beat(health=health(card_printer="offline")))
    [summary] = runner.run_once()
    assert (summary.kind, summary.status) == ("many", "raised")
    assert summary.title.en == "5 alerts at once" and "Printer fault 5" in summary.text.en
    assert "打印机故障 5" in summary.text.zh_CN and "2 hall(s)" in summary.text.en
    assert runner.book.open_by_kind() == {"printer_fault": 5}
    for k in kiosks:
        fleet.heartbeat(k, beat())
    assert runner.run_once() == []  # their raises were not told one by one: nor are the clears
    assert runner.book.open_by_kind() == {}
    assert [b["kind"] for b in hook.wait_for(1)] == ["many"]
    [(_, message)] = mail.wait_for(1)
    assert "同时出现 5 条告警 / 5 alerts at once — 多台自助机 many kiosks" in message["Subject"]


def test_outbox_not_draining_and_the_driver_words_never_leave(tmp_path, receivers):
    hook, mail = receivers
    fleet = fleet_on(tmp_path)
    runner = runner_for(fleet, hook, mail)
    secret = "printer said: 张三 110105194912310021"
    jam = health(receipt_printer=("error", "jam"))
    jam["receipt_printer"] = jam["receipt_printer"].model_copy(update={"detail": secret})
    fleet.heartbeat("test-kiosk", beat(outbox_depth=5, outbox_oldest_s=3600.0, health=jam))
    assert sorted(told(runner.run_once())) == [
        ("raised", "outbox_stuck", "test-kiosk", ""),
        ("raised", "printer_fault", "test-kiosk", "receipt_printer")]
    hook.wait_for(2)
    mail.wait_for(2)
    assert all(secret.encode() not in raw and "张三".encode() not in raw for raw in hook.raw)
    assert all("张三" not in m.get_content() for _, m in mail.messages)
    outbox = [b for b in hook.bodies if b["kind"] == "outbox_stuck"][0]
    assert "5 application(s) not delivered" in outbox["text"]["en"]


def test_a_webhook_that_fails_stops_neither_mail_nor_the_next_pass(tmp_path, receivers, caplog):
    hook, mail = receivers
    hook.status = 500
    fleet = fleet_on(tmp_path)
    runner = runner_for(fleet, hook, mail)
    fleet.heartbeat("test-kiosk", beat(health=health(card_printer=("error", "ribbon_out"))))
    assert told(runner.run_once()) == [("raised", "ribbon_low", "test-kiosk", "card_printer")]
    assert len(mail.wait_for(1)) == 1
    assert "not sent by webhook: HTTPError" in caplog.text


def test_the_server_runs_alerts_itself_and_stops_cleanly(tmp_path, receivers):
    hook, mail = receivers
    port = free_port()
    server = CentralProcess(
        url=f"http://127.0.0.1:{port}", port=port,
        database=f"sqlite:///{tmp_path / 'central.db'}", log_path=tmp_path / "central.log",
        extra_args=("--alerts-interval-s", "0.2", "--alert-webhook", hook.url,
                    "--smtp-host", "127.0.0.1", "--smtp-port", str(mail.port),
                    "--mail-to", "ops@hall.test")).start()
    try:
        url = f"{server.url}/v1/kiosks/demo-kiosk-01/heartbeat"
        out = beat(**PAPER_OUT).model_dump_json()
        assert requests.post(url, data=out, timeout=10,
                             headers={"Content-Type": "application/json"}).ok
        raised = hook.wait_for(1)
        assert [(b["status"], b["kind"]) for b in raised] == [("raised", "paper_low")]
        assert requests.post(url, data=beat().model_dump_json(), timeout=10,
                             headers={"Content-Type": "application/json"}).ok
        assert [b["status"] for b in hook.wait_for(2)] == ["raised", "resolved"]
        assert len(mail.wait_for(2)) == 2
        started = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=10)  # uvicorn ends by re-raising SIGTERM after shutdown
        assert time.monotonic() - started < 5
    finally:
        server.stop()
    log = server.log_tail(20000)
    assert "alerts every 0.2s to webhook, mail" in log and "Traceback" not in log
    assert log.index("alerts stopped") < log.index("Application shutdown complete")


def test_the_settings_file_and_the_command_line(tmp_path):
    import argparse
    import subprocess
    import sys

    from central.config import ConfigError, load_config
    from tools.central_process import ROOT

    path = tmp_path / "central.toml"
    path.write_text('[fleet]\noffline_after_s = 60\n[alerts]\ninterval_s = 10\n'
                    'webhook_url = "http://127.0.0.1:9/hook"\nmail_to = ["a@hall.test"]\n')
    args = argparse.Namespace(alerts_interval_s=5.0, mail_to=["b@hall.test"])
    config = load_config(path, args)
    assert config.fleet.offline_after_s == 60 and config.alerts.interval_s == 5.0
    assert config.alerts.mail_to == ["b@hall.test"] and config.alerts.webhook_url.endswith("/hook")
    path.write_text("[alerts]\ninterval_seconds = 10\n")
    with pytest.raises(ConfigError, match=r"central.toml: \[alerts\] interval_seconds"):
        load_config(path)
    path.write_text("[fleet]\noffline_after_s = -1\n")
    started = subprocess.run([sys.executable, "-m", "central", "--config", str(path),
                              "--port", str(free_port())], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
    assert started.returncode == 2 and "[fleet] offline_after_s" in started.stderr
