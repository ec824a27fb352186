"""After a restart, a resident cut off mid-fulfilment still gets a receipt: printed once,
in both languages, or shown as a QR code when the printer has no paper."""

from __future__ import annotations

import datetime as dt

from drivers.printer.simulated import SimulatedReceiptPrinter
from kiosk.effects.recovery import recover, recovery_receipt
from tests.kiosk_io import residents
from tests.kiosk_io.conftest import print_here_application

NOW = dt.datetime.now(dt.timezone.utc)


def printer(tmp_path, **faults) -> SimulatedReceiptPrinter:
    return SimulatedReceiptPrinter("receipt", str(tmp_path / "printed"), faults=faults or None)


def test_a_recent_interruption_gets_one_receipt_with_central_next_step(store, client,
                                                                        zhuzhou_codes, tmp_path,
                                                                        central):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    receipts = printer(tmp_path)
    found = recover({key: NOW - dt.timedelta(seconds=40)}, journal, outbox, client, receipts,
                    central.url, window_s=300, now=NOW)
    assert [(r.number, r.receipt_printed) for r in found] == [(number, True)]
    assert found[0].tracking_url == f"{central.url}/track/ref/{key}"
    assert receipts.printed == 1
    again = recover({key: NOW - dt.timedelta(seconds=40)}, journal, outbox, client, receipts,
                    central.url, window_s=300, now=NOW)
    assert receipts.printed == 1 and again[0].receipt_printed, "printed once, never twice"


def test_no_paper_means_the_qr_code_on_screen(store, client, zhuzhou_codes, tmp_path,
                                              central):
    outbox, journal = store
    key, _ = print_here_application(client, outbox, zhuzhou_codes)
    found = recover({key: NOW}, journal, outbox, client, printer(tmp_path, paper_out=-1),
                    central.url, window_s=300, now=NOW)
    assert len(found) == 1 and found[0].receipt_printed is False
    assert found[0].until == NOW + dt.timedelta(seconds=300)


def test_old_interruptions_a_printed_receipt_or_nothing_accepted_get_nothing(
        store, client, zhuzhou_codes, tmp_path, central):
    outbox, journal = store
    old, _ = print_here_application(client, outbox, zhuzhou_codes)
    done, _ = print_here_application(client, outbox, zhuzhou_codes)
    journal.begin("receipt", done)
    journal.finish("receipt", done, "printed")
    receipts = printer(tmp_path)
    found = recover({old: NOW - dt.timedelta(seconds=301), done: NOW, "f" * 32: NOW},
                    journal, outbox, client, receipts, central.url, window_s=300, now=NOW)
    assert found == [] and receipts.printed == 0


def test_the_receipt_is_bilingual_and_needs_no_personal_data():
    from protocol import wire
    status = wire.ApplicationStatus(
        application_number="ZZ-1", state=wire.ApplicationState.IN_DELIVERY,
        service=wire.Service.NEW, city=residents.CITY, fulfilment=wire.FulfilmentMethod.COURIER,
        history=[], next_step=wire.Text(zh_CN="证件将邮寄到您申报的地址。",
                                        en="The card will be posted to your address."))
    doc = recovery_receipt("ZZ-1", status, "https://example.invalid/track/ref/k", NOW)
    text = "\n".join(line.text for line in doc.lines)
    assert "ZZ-1" in text and "证件将邮寄" in text and "The card will be posted" in text
    assert "补打" in text and "after a restart" in text
    assert doc.qr_payload == "https://example.invalid/track/ref/k"
