"""kill -9 while a card is printing, with a whole kiosk process and a real IPP printer.

The kiosk (tests/printers/card_kiosk.py) walks an eligible resident to "print it here" and
is killed with SIGKILL (by its PID) at three moments: after central confirmed the
application and before the card's intent reached the journal, after the print intent
reached the journal and before the job reached the printer, and after the job was sent and
before it completed. A new kiosk process on the same data folder reconciles at
start. Each case ends with exactly one card, or none and the card posted, and central
knowing which; never a job left to print later by surprise; and a receipt for the
resident, printed by the restarted kiosk (kiosk/recovery.py).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.fleet.central_client import CentralClient
from protocol import wire
from tests.central_server import central_on
from tests.printers.ipp_printer import (
    MISSING_IPPEVE,
    IppEvePrinter,
    IppFront,
    SystemBus,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
KIOSK = Path(__file__).with_name("card_kiosk.py")
S = wire.ApplicationState

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(MISSING_IPPEVE is not None, reason=MISSING_IPPEVE or "")]


@pytest.fixture
def central(tmp_path):
    """A central server of its own per test: the persona applies once in each."""
    server = central_on(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def printer(tmp_path):
    bus = SystemBus(tmp_path).start()
    card_printer = IppEvePrinter(tmp_path / "printer", bus)
    try:
        yield card_printer.start()
    finally:
        card_printer.stop()
        bus.stop()


class KioskProcess:
    """One kiosk process; ended by its own PID, however the test ends."""

    def __init__(self, central_url: str, printer_uri: str, data: Path, *flags: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(KIOSK), central_url, printer_uri, str(data), *flags],
            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(data.parent / f"kiosk-{time.monotonic_ns()}.log", "w"))

    def expect(self, prefix: str, timeout_s: float = 60) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                pytest.fail(f"the kiosk ended before saying {prefix!r}")
            if line.startswith(prefix):
                return line[len(prefix):].strip()
        pytest.fail(f"the kiosk did not say {prefix!r} in time")

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        assert self.proc.returncode == -signal.SIGKILL

    def close(self) -> None:
        if self.proc.poll() is None:
            self.kill()
        for stream in (self.proc.stdin, self.proc.stdout):
            stream.close()


def card_intent(data: Path, key: str) -> str | None:
    """The card entry's state in the kiosk's journal, read from disk as it stands."""
    path = data / "journal.sqlite3"
    if not path.exists():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        row = db.execute("SELECT state FROM journal WHERE kind = 'card' AND key = ?",
                         (key,)).fetchone()
    return row[0] if row else None


def application_of(central_url: str, key_of_kiosk: str) -> wire.ApplicationStatus:
    """What central holds for the resident: the demo persona's one application."""
    with CentralClient(base_url=central_url, kiosk_id="kill9-check") as client:
        found = client.lookup_status(key_of_kiosk)
    assert len(found) == 1, "exactly one application, never dropped, never doubled"
    return found[0]


def restart_and_reconcile(central, printer, data: Path,
                          meanwhile: Callable[[], None] | None = None) -> dict:
    """A new kiosk process on the same data: what its start-up settled, and the receipt it
    printed for the resident who may still be standing there. ``meanwhile`` runs while the
    new kiosk reconciles."""
    again = KioskProcess(central.url, printer.uri, data, "--restart")
    try:
        if meanwhile is not None:
            meanwhile()
        settled = json.loads(again.expect("reconciled "))
        settled["recovered"] = json.loads(again.expect("recovered "))
    finally:
        again.close()
    return settled


def assert_recovery_receipt(settled: dict, data: Path, central_url: str, key: str) -> None:
    """One receipt came out after the restart, its QR code the application's tracking link."""
    from PIL import Image
    from pyzbar.pyzbar import decode
    [recovered] = settled["recovered"]
    assert recovered["printed"] is True and recovered["number"]
    receipts = sorted((data / "printed").glob("receipt-*.png"))
    assert len(receipts) == 1, "one receipt, printed once"
    with Image.open(receipts[0]) as image:
        codes = {c.data.decode() for c in decode(image.convert("L"))}
    assert codes == {f"{central_url}/track/ref/{key}"}


def holder_document_number() -> str:
    from drivers.reader.personas import load_documents
    return load_documents()["eligible"].fields["document_number"]


def test_killed_between_the_confirmation_and_the_cards_intent(central, printer, tmp_path):
    """Before, nothing recorded that a card was owed: the application stayed approved with no
    card ever, and the recovery receipt sent the resident to an empty card slot."""
    data = tmp_path / "kiosk"
    kiosk = KioskProcess(central.url, printer.uri, data, "--stop-before-printing")
    try:
        kiosk.expect("at_fulfilment")
        kiosk.say("print_here")
        key = kiosk.expect("key ")
        assert kiosk.expect("confirmed ") == key
        assert card_intent(data, key) is None, "killed before the card's own intent"
        kiosk.kill()
    finally:
        kiosk.close()

    settled = restart_and_reconcile(central, printer, data)
    assert settled["cards_not_printed"] == 1 and settled["reports_sent"] == 1
    time.sleep(1.0)
    assert printer.jobs() == [] and printer.printed() == [], "no card printed after the restart"
    status = application_of(central.url, holder_document_number())
    assert status.state is S.IN_DELIVERY, "the card is posted instead"
    assert_recovery_receipt(settled, data, central.url, key)


def test_killed_after_the_intent_before_the_job_reached_the_printer(central, printer, tmp_path):
    data = tmp_path / "kiosk"
    kiosk = KioskProcess(central.url, printer.uri, data)
    try:
        kiosk.expect("at_fulfilment")
        os.kill(printer.proc.pid, signal.SIGSTOP)  # the printer stops answering
        try:
            kiosk.say("print_here")
            key = kiosk.expect("key ")
            assert wait_until(lambda: card_intent(data, key) == "begun", 30), \
                "the intent reaches the journal before anything is sent"
            kiosk.kill()
        finally:
            os.kill(printer.proc.pid, signal.SIGCONT)
    finally:
        kiosk.close()
    assert printer.jobs() == [], "the job never reached the printer"

    settled = restart_and_reconcile(central, printer, data)
    assert settled["cards_not_printed"] == 1 and settled["reports_sent"] == 1
    assert card_intent(data, key) == "done"
    time.sleep(1.0)
    assert printer.jobs() == [] and printer.printed() == [], "no card printed after the restart"
    status = application_of(central.url, holder_document_number())
    assert status.state is S.IN_DELIVERY, "the card is posted instead"
    assert_recovery_receipt(settled, data, central.url, key)


def test_killed_after_the_job_was_sent_before_it_completed(central, printer, tmp_path):
    data = tmp_path / "kiosk"
    printer.plan([{"wait_file": "release", "timeout": 60}])  # the card takes its time
    kiosk = KioskProcess(central.url, printer.uri, data)
    try:
        kiosk.expect("at_fulfilment")
        kiosk.say("print_here")
        key = kiosk.expect("key ")
        assert wait_until(lambda: [s for _, _, s in printer.jobs()] in ([4], [5]), 30), \
            "the job is at the printer, not finished"
        assert card_intent(data, key) == "begun"
        kiosk.kill()
    finally:
        kiosk.close()

    [(job_id, _, _)] = printer.jobs()

    def cancel_taken_then_release() -> None:
        # The restarted kiosk asks to cancel; ippeveprinter takes it mid-job and ends the
        # job once its print command returns. Until then the job is processing, and the
        # kiosk follows it rather than calling it cancelled (a card in motion cannot be
        # stopped); the job's own final state is what counts.
        assert wait_until(lambda: "processing-to-stop-point" in printer.job_reasons(job_id), 30)
        assert card_intent(data, key) == "begun", "not settled while the job is processing"
        printer.release()

    settled = restart_and_reconcile(central, printer, data, cancel_taken_then_release)
    assert settled["jobs_cancelled"] == 1 and settled["cards_not_printed"] == 1
    assert printer.wait_job(job_id) == 7, "cancelled, so it cannot print later by surprise"
    status = application_of(central.url, holder_document_number())
    assert status.state is S.IN_DELIVERY
    assert_recovery_receipt(settled, data, central.url, key)


def test_killed_mid_job_the_card_came_out_meanwhile_counts_once(central, printer, tmp_path):
    data = tmp_path / "kiosk"
    printer.plan([{"wait_file": "release", "timeout": 60}])
    kiosk = KioskProcess(central.url, printer.uri, data)
    try:
        kiosk.expect("at_fulfilment")
        kiosk.say("print_here")
        key = kiosk.expect("key ")
        assert wait_until(lambda: [s for _, _, s in printer.jobs()] in ([4], [5]), 30)
        kiosk.kill()
    finally:
        kiosk.close()
    printer.release()  # the card comes out while the kiosk is down
    [(job_id, _, _)] = printer.jobs()
    assert printer.wait_job(job_id) == 9

    settled = restart_and_reconcile(central, printer, data)
    assert settled["cards_printed"] == 1 and settled["jobs_cancelled"] == 0
    assert len(printer.printed()) == 1, "exactly one card"
    assert card_intent(data, key) == "done"
    status = application_of(central.url, holder_document_number())
    assert status.state is S.CARD_PRINTED
    assert_recovery_receipt(settled, data, central.url, key)


def test_killed_mid_job_a_cancel_the_printer_cannot_honour_never_posts_a_second_card(
        central, printer, tmp_path):
    """The printer takes the restarted kiosk's Cancel-Job and goes on with the card in
    motion (IppFront plays it): the card comes out, so it must never count as not printed,
    or central would post a second one."""
    data = tmp_path / "kiosk"
    printer.plan([{"wait_file": "release", "timeout": 60}])
    front = IppFront(printer, cancel="ignore").start()
    try:
        kiosk = KioskProcess(central.url, front.uri, data)
        try:
            kiosk.expect("at_fulfilment")
            kiosk.say("print_here")
            key = kiosk.expect("key ")
            assert wait_until(lambda: [s for _, _, s in printer.jobs()] in ([4], [5]), 30)
            kiosk.kill()
        finally:
            kiosk.close()
        [(job_id, _, _)] = printer.jobs()

        def release_after_the_cancel() -> None:
            assert wait_until(lambda: front.cancels >= 1, 30), "the restarted kiosk asked"
            printer.release()  # the card comes out after all

        first = restart_and_reconcile(central, front, data, release_after_the_cancel)
        assert first["jobs_cancelled"] == 0 and first["cards_not_printed"] == 0
        assert printer.wait_job(job_id) == 9
        assert application_of(central.url, holder_document_number()).state \
            is not S.IN_DELIVERY, "no second card posted"

        second = restart_and_reconcile(central, front, data)  # settled by now, at the latest
    finally:
        front.stop()
    assert first["cards_printed"] + second["cards_printed"] == 1
    assert second["cards_not_printed"] == 0
    assert card_intent(data, key) == "done"
    assert len(printer.printed()) == 1, "exactly one card"
    assert application_of(central.url, holder_document_number()).state is S.CARD_PRINTED
