"""Test prints from the diagnostics screen: on the running kiosk's own printers, never twice
for one tap, never while a resident is in a journey, and the supplies seen at once after.

The simulated printers stand in for most; the receipt also goes to a fake thermal printer
on a real socat pty pair, whose bytes are decoded back to what came out on paper.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import load_config
from kiosk.diagnostics import test_print as diagnostics
from kiosk.diagnostics.report import collect
from kiosk.diagnostics.test_print import BUSY, RESIDENT_PRESENT, PrintTestResult, print_test
from kiosk.headless import HeadlessKiosk
from tests.printers.escpos_reader import decode
from tests.printers.fake_printer import FakeEscposPrinter, SocatPair


def make_config(tmp_path: Path, central_url: str, receipt: dict[str, Any] | None = None,
                card_options: dict[str, Any] | None = None):
    printed = str(tmp_path / "printed")
    return load_config(overrides={
        "kiosk_id": "test-kiosk-diag",
        "central": {"url": central_url, "timeout_s": 2.0, "retries": 1,
                    "sync_interval_s": 3600},
        "storage": {"data_dir": str(tmp_path / "data")},
        "photo": {"speak": False},
        "devices": {
            "health_interval_s": 3600,  # only the test print's own look refreshes the levels
            "reader": {"driver": "virtual_chip", "options": {}},
            "receipt_printer": receipt or {"driver": "simulated",
                                           "options": {"output_dir": printed}},
            "card_printer": {"driver": "simulated", "options": {
                "output_dir": printed, "print_time_s": 0.05, **(card_options or {})}},
        }})


@pytest.fixture
def kiosk(tmp_path, central):
    started: list[HeadlessKiosk] = []

    def start(**options: Any) -> HeadlessKiosk:
        k = HeadlessKiosk(make_config(tmp_path, central.url, **options))
        k.runtime.start()
        started.append(k)
        k.settle(0.3)  # the first device look and the journal's reconciliation
        return k

    yield start
    for k in started:
        k.runtime.stop()


def pngs(tmp_path: Path, prefix: str) -> list[Path]:
    return sorted((tmp_path / "printed").glob(f"{prefix}-*.png"))


def supply_line(k: HeadlessKiosk, name: str) -> str:
    return next(line for line in collect(k.runtime).lines() if line.startswith(name))


def paper_left(k: HeadlessKiosk) -> int:
    return next(s.remaining for s in k.runtime.monitor.supplies.forecast()
                if s.supply == "paper")


def wait_until(predicate, timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# ----------------------------------------------------------------------------- simulated

def test_test_prints_come_out_of_the_running_kiosks_printers(kiosk, tmp_path):
    k = kiosk()
    cards_before, paper_before = k.devices.card_printer.cards_left, paper_left(k)
    assert "100 left" in supply_line(k, "card_printer/cards")

    receipt = print_test(k.runtime, "receipt")
    card = print_test(k.runtime, "card")

    assert receipt == PrintTestResult("receipt", True, job_id=receipt.job_id)
    assert card.printed and card.kind == "card" and card.code == ""
    assert [p.stem for p in pngs(tmp_path, "receipt")] == [receipt.job_id]
    assert [p.stem for p in pngs(tmp_path, "card")] == [card.job_id]
    assert k.devices.receipt_printer.printed == 1, "the kiosk's own printer, not a new one"
    assert k.devices.card_printer.cards_left == cards_before - 1
    # the devices were asked again: the report shows what the test used at once
    assert "99 left" in supply_line(k, "card_printer/cards")
    assert "199 left" in supply_line(k, "card_printer/ribbon")
    assert paper_left(k) == k.devices.receipt_printer.paper_left < paper_before

    again = print_test(k.runtime, "receipt")
    assert again.printed and again.job_id != receipt.job_id, "a new test, not swallowed"
    assert len(pngs(tmp_path, "receipt")) == 2


@pytest.mark.parametrize("kind, fault, code", [
    ("receipt", "paper_out", "paper_out"), ("receipt", "offline", "device_offline"),
    ("card", "cards_out", "cards_out"), ("card", "ribbon_out", "ribbon_out"),
    ("card", "jam", "printer_jam")])
def test_a_failed_test_print_names_the_printers_reason(kiosk, tmp_path, kind, fault, code):
    k = kiosk()
    device = k.devices.receipt_printer if kind == "receipt" else k.devices.card_printer
    device.faults.set(fault, -1)

    result = print_test(k.runtime, kind)

    assert (result.printed, result.code) == (False, code)
    assert pngs(tmp_path, kind) == []
    assert k.runtime.monitor.latest.health[device.kind].code == code, "looked again at once"


def test_no_test_print_while_a_resident_is_in_a_journey(kiosk, tmp_path):
    k = kiosk()
    k.journey.welcome.begin()  # a resident touched the screen

    assert print_test(k.runtime, "receipt") == PrintTestResult("receipt", False,
                                                               RESIDENT_PRESENT)
    assert print_test(k.runtime, "card").code == RESIDENT_PRESENT
    assert pngs(tmp_path, "receipt") == pngs(tmp_path, "card") == []


def test_a_second_tap_while_one_prints_does_not_print_twice(kiosk, tmp_path):
    k = kiosk(card_options={"print_time_s": 1.0})
    results: list[PrintTestResult] = []
    failures: list[BaseException] = []
    for _ in range(2):  # two taps, on the worker as the screen runs them
        k.runtime.worker.run(lambda: print_test(k.runtime, "card"), results.append,
                             failures.append)
    deadline = time.monotonic() + 10
    while len(results) + len(failures) < 2 and time.monotonic() < deadline:
        k.dispatch.run_pending(timeout_s=0.05)

    assert failures == []
    assert sorted((r.printed, r.code) for r in results) == [(False, BUSY), (True, "")]
    assert len(pngs(tmp_path, "card")) == 1
    assert k.devices.card_printer.cards_left == 99


def test_one_test_print_at_a_time_whichever_printer(kiosk, tmp_path):
    """A receipt tapped while the test card prints is refused, and can be tapped again after."""
    k = kiosk(card_options={"print_time_s": 0.6})
    card: list[PrintTestResult] = []
    thread = threading.Thread(target=lambda: card.append(print_test(k.runtime, "card")))
    thread.start()
    assert wait_until(diagnostics._TEST_PRINT.locked), "the card test never started"
    assert print_test(k.runtime, "receipt").code == BUSY
    thread.join(5)
    assert card[0].printed
    assert print_test(k.runtime, "receipt").printed


# ----------------------------------------------------------------------------- ESC/POS

@pytest.mark.slow
def test_test_receipt_on_a_thermal_printer_comes_out_once(kiosk, tmp_path, central):
    with SocatPair(tmp_path / "socat.log") as pair:
        fake = FakeEscposPrinter(pair.printer).start()
        try:
            k = kiosk(receipt={"driver": "escpos", "options": {
                "port": pair.host, "job_index_dir": str(tmp_path / "jobs"),
                "status_timeout_s": 0.3}})

            result = print_test(k.runtime, "receipt")

            assert result.printed and result.job_id.startswith("receipt-")
            fake.wait_idle()
            with fake.lock:
                paper = decode(bytes(fake.received))
            assert paper.cuts == 1, "one receipt, cut once"
            text = paper.text
            assert text.count("打印测试 Print test") == 1, text
            assert "test-kiosk-diag" in text and "扫码测试 Scan to test" in text
            assert paper.qr_payloads == [central.url.rstrip("/") + "/v1/health"]

            fake.paper = "out"  # the roll runs out: the next test says so, prints nothing
            failed = print_test(k.runtime, "receipt")
            assert (failed.printed, failed.code) == (False, "paper_out")
            fake.wait_idle()
            with fake.lock:
                assert decode(bytes(fake.received)).cuts == 1
            assert "empty" in supply_line(k, "receipt_printer/paper")
        finally:
            fake.stop()
