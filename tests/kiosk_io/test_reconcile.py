"""A restart settles what a power cut left half-done: a card is printed at most once, and
central always learns whether it came out (and posts it when it did not)."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.printer.base import CardDocument, JobState
from drivers.printer.simulated import SimulatedCardPrinter
from kiosk.effects.fulfilment import report_card_outcome
from kiosk.effects.outbox_sync import OutboxSync
from kiosk.effects.reconcile import reconcile
from kiosk.errors import CentralUnavailable
from kiosk.fleet.central_client import CentralClient
from protocol import wire
from tests.kiosk_io import residents
from tests.kiosk_io.conftest import print_here_application

S = wire.ApplicationState


class PendingJobPrinter(SimulatedCardPrinter):
    """A printer whose spooler still holds the job: a state the synchronous simulator never
    reaches by itself (the CUPS driver's tests show the real one)."""

    def __init__(self, *args, cancellable: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.cancellable = cancellable
        self.cancelled: list[str] = []

    def job_state(self, job_key: str) -> JobState | None:
        return JobState.FAILED if job_key in self.cancelled else JobState.PENDING

    def cancel_job(self, job_key: str) -> bool:
        if self.cancellable:
            self.cancelled.append(job_key)
        return self.cancellable


def card(number: str) -> CardDocument:
    return CardDocument(permit_number=number, city_name="株洲市", name=residents.NAME, sex="M",
                        birth_date=dt.date(1990, 3, 15), document_number=residents.DOCUMENT_NUMBER,
                        address="天元区", valid_from=dt.date.today(),
                        valid_until=dt.date.today(), qr_payload="https://example.invalid/t/x")


def test_killed_before_the_job_was_sent_card_is_posted_instead(store, client, zhuzhou_codes,
                                                                tmp_path):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    journal.begin("card", key)  # the intent reached the disk; then the power went
    printer = SimulatedCardPrinter("card", str(tmp_path / "printed"), print_time_s=0)
    result = reconcile(journal, outbox, printer, client)
    assert (result.cards_not_printed, result.reports_sent) == (1, 1)
    assert journal.get("card", key).outcome == "failed:not_sent"
    assert client.application_status(number).state is S.IN_DELIVERY
    assert printer.cards_left == 100, "nothing printed at the restart"
    again = reconcile(journal, outbox, printer, client)
    assert (again.cards_not_printed, again.reports_sent) == (0, 0), "settled once"


def test_killed_after_the_card_came_out_it_counts_as_printed(store, client, zhuzhou_codes,
                                                             tmp_path):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    printer = SimulatedCardPrinter("card", str(tmp_path / "printed"), print_time_s=0)
    journal.begin("card", key)
    printer.print_card(card(number), job_key=key)  # printed; the outcome never reached the disk
    result = reconcile(journal, outbox, printer, client)
    assert result.cards_printed == 1 and journal.get("card", key).outcome == "printed"
    assert client.application_status(number).state is S.CARD_PRINTED
    assert printer.cards_left == 99, "exactly one card"


def test_a_job_still_waiting_is_cancelled_so_it_cannot_print_later(store, client, zhuzhou_codes,
                                                                   tmp_path):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    journal.begin("card", key)
    printer = PendingJobPrinter("card", str(tmp_path / "printed"))
    result = reconcile(journal, outbox, printer, client)
    assert printer.cancelled == [key] and result.jobs_cancelled == 1
    assert journal.get("card", key).outcome == "failed:aborted"
    assert client.application_status(number).state is S.IN_DELIVERY


def test_a_job_that_cannot_be_cancelled_is_left_for_the_next_start(store, client, zhuzhou_codes,
                                                                   tmp_path):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    journal.begin("card", key)
    printer = PendingJobPrinter("card", str(tmp_path / "printed"), cancellable=False)
    reconcile(journal, outbox, printer, client)
    assert journal.get("card", key).state == "begun", "never guessed"
    assert client.application_status(number).state is S.APPROVED


def test_central_unreachable_the_report_waits_for_the_next_start(store, client, zhuzhou_codes,
                                                                 tmp_path):
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    journal.begin("card", key)
    printer = SimulatedCardPrinter("card", str(tmp_path / "printed"), print_time_s=0)
    down = CentralClient(base_url="http://127.0.0.1:9", kiosk_id="test-kiosk-01", timeout_s=0.5,
                         retries=0)
    try:
        first = reconcile(journal, outbox, printer, down)
    finally:
        down.close()
    assert first.cards_not_printed == 1 and first.reports_pending == 1
    second = reconcile(journal, outbox, printer, client)
    assert second.reports_sent == 1
    assert client.application_status(number).state is S.IN_DELIVERY


def test_interrupted_receipt_and_submit_are_closed(store, client, zhuzhou_codes, tmp_path):
    outbox, journal = store
    kept = residents.submission(*zhuzhou_codes)
    outbox.put(kept)
    journal.begin("submit", kept.idempotency_key)
    journal.begin("submit", "f" * 32)  # the power went before the outbox kept it
    journal.begin("receipt", kept.idempotency_key)
    printer = SimulatedCardPrinter("card", str(tmp_path / "printed"), print_time_s=0)
    result = reconcile(journal, outbox, printer, client)
    assert journal.get("submit", kept.idempotency_key).outcome == "queued"
    assert journal.get("submit", "f" * 32).outcome == "failed:not_kept"
    assert journal.get("receipt", kept.idempotency_key).outcome == "failed:interrupted"
    assert result.closed == {"submit": 2, "receipt": 1} and journal.unfinished() == []


def test_killed_between_confirmation_and_printing_the_card_is_posted(store, client,
                                                                      zhuzhou_codes, tmp_path):
    """Central confirmed a print-here application and the kiosk died before the card's
    intent reached the journal: the confirmation itself said a card is owed."""
    outbox, journal = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)  # and the power went
    printer = SimulatedCardPrinter("card", str(tmp_path / "printed"), print_time_s=0)
    result = reconcile(journal, outbox, printer, client)
    assert (result.cards_not_printed, result.reports_sent) == (1, 1)
    assert key in result.interrupted, "the resident who may still be there gets a receipt"
    assert client.application_status(number).state is S.IN_DELIVERY
    assert outbox.card(key) == "not_printed" and outbox.cards_to_report() == []
    assert printer.cards_left == 100
    again = reconcile(journal, outbox, printer, client)
    assert (again.cards_not_printed, again.reports_sent) == (0, 0), "settled once"


def test_a_report_that_failed_is_sent_by_the_next_sync_pass(store, client, zhuzhou_codes):
    """Not only at the next start: a kiosk may run for a month without one."""
    outbox, _ = store
    key, number = print_here_application(client, outbox, zhuzhou_codes)
    down = CentralClient(base_url="http://127.0.0.1:9", kiosk_id="test-kiosk-01", timeout_s=0.5,
                         retries=0)
    try:
        with pytest.raises(CentralUnavailable):
            report_card_outcome(down, outbox, key, printed=True)
    finally:
        down.close()
    assert outbox.cards_to_report() == [(key, number, True)]
    assert outbox.prune_sent(dt.timedelta(0)) == 0, "kept while central has not heard it"
    OutboxSync(outbox, client).sync_once()
    assert outbox.cards_to_report() == []
    assert client.application_status(number).state is S.CARD_PRINTED
    assert outbox.prune_sent(dt.timedelta(0)) == 1


def test_an_owed_card_is_never_pruned(store, client, zhuzhou_codes):
    outbox, _ = store
    key, _ = print_here_application(client, outbox, zhuzhou_codes)
    assert outbox.prune_sent(dt.timedelta(0)) == 0 and outbox.card(key) == "owed"
