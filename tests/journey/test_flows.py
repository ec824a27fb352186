"""Whole journeys, headless, on simulated devices against the real central server."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kiosk.errors import InvalidInput
from kiosk.journey.steps import Step
from protocol import wire
from tests.central_server import free_port
from tests.journey.walk import declare, photo, present, to_decision

S = Step
D = wire.Decision
M = wire.FulfilmentMethod


def test_eligible_resident_leaves_with_card_and_receipt(make_kiosk, tmp_path):
    k = make_kiosk()
    decision = to_decision(k, "eligible")
    assert k.journey.session.declaration().sponsor == "株洲湘江机车配件有限公司"
    assert decision.decision is D.ELIGIBLE and decision.documents_to_bring == []
    k.journey.decision.continue_application()
    assert M.PRINT_HERE in k.journey.fulfilment.options()
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(S.RECEIPT)
    outcome = k.journey.session.outcome
    assert outcome.card_printed and outcome.receipt_printed and not outcome.queued_offline
    assert outcome.application_number
    printed = sorted(p.name for p in (tmp_path / "printed").glob("*.png"))
    assert len(printed) == 2, printed  # one card, one receipt
    found = k.runtime.client.lookup_status("430502199003151236")
    assert [a.application_number for a in found] == [outcome.application_number]
    assert k.runtime.journal.unfinished() == []
    k.journey.finish()
    assert k.journey.state is S.ATTRACT and k.journey.session.document is None


def test_not_yet_registers_now_and_files_for_later(make_kiosk):
    k = make_kiosk()
    decision = to_decision(k, "not_yet", condition=wire.Condition.HOME, district_en="Tianyuan")
    assert decision.decision is D.NOT_YET and decision.eligible_from is not None
    k.journey.decision.defer()  # photo was taken already: straight to submission
    k.pump(S.RECEIPT)
    receipt = k.journey.session.outcome.receipt
    assert receipt.state is wire.ApplicationState.DEFERRED
    assert receipt.start_date == decision.eligible_from
    assert k.journey.session.fulfilment.method is M.COURIER


def test_senior_is_told_no_permit_is_needed_before_declaring(make_kiosk):
    k = make_kiosk()
    present(k, "senior", language="en")
    declare(k)
    k.pump(S.DECISION)
    assert S.DECLARE_RESIDENCE not in k.steps and S.PHOTO not in k.steps
    session = k.journey.session
    assert session.decision.decision is D.NOT_REQUIRED and session.photo_jpeg is None
    assert all(r.text.en and r.text.zh_CN for r in session.decision.reasons)
    with pytest.raises(InvalidInput):
        k.journey.decision.continue_application()


def test_unconfirmed_employment_lists_the_document_to_bring(make_kiosk):
    k = make_kiosk()
    decision = to_decision(k, "needs_documents")
    assert decision.decision is D.NEEDS_REVIEW and decision.documents_to_bring
    k.journey.decision.continue_application()
    assert M.PRINT_HERE not in k.journey.fulfilment.options()
    station = decision.pickup_stations[0].code
    k.journey.fulfilment.choose(M.PICKUP, station)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.receipt.state in (
        wire.ApplicationState.AWAITING_DOCUMENTS, wire.ApplicationState.UNDER_REVIEW)


def test_renewal_reuses_the_photo_on_file(make_kiosk):
    k = make_kiosk()
    present(k, "renewal", service=wire.Service.RENEWAL)
    k.journey.document.confirm()
    k.pump(S.DECISION)
    session = k.journey.session
    assert session.decision.decision is D.ELIGIBLE
    assert session.decision.photo_required is False and session.photo_jpeg is None
    assert S.PHOTO not in k.steps


def test_central_unreachable_queues_for_staff_review(make_kiosk):
    k = make_kiosk(url=f"http://127.0.0.1:{free_port()}")
    present(k, "eligible")
    k.journey.document.confirm()
    k.journey.declaration.declare_residence(__import__("datetime").date(2024, 1, 1), wire.Address(
        district="d", community="c", detail="1-1-101"))
    k.journey.declaration.declare_condition(wire.Condition.EMPLOYMENT, None)
    k.pump(S.DECISION)
    assert k.journey.session.central_unreachable
    k.journey.decision.queue_for_review()
    photo(k)
    k.pump(S.FULFILMENT)
    assert k.journey.fulfilment.options() == [M.COURIER]
    k.journey.fulfilment.choose(M.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.queued_offline
    assert k.runtime.outbox.depth() == 1


def test_status_lookup_by_receipt_qr_and_by_document(make_kiosk):
    k = make_kiosk()
    to_decision(k, "student")
    k.journey.decision.continue_application()
    k.journey.fulfilment.choose(M.COURIER)
    k.pump(S.RECEIPT)
    url = k.journey.session.outcome.receipt.tracking_url
    number = k.journey.session.outcome.application_number
    k.journey.finish()
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    k.journey.welcome.choose_service(wire.Service.STATUS)
    k.devices.scanner.scan(url)
    k.pump(S.STATUS_RESULT)
    assert [a.application_number for a in k.journey.session.status_results] == [number]
    k.journey.finish()
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("zh_CN")
    k.journey.welcome.choose_service(wire.Service.STATUS)
    k.devices.reader.lift()  # the resident took their ID card with them last time
    k.devices.reader.place("student")
    k.pump(S.STATUS_RESULT)
    assert number in [a.application_number for a in k.journey.session.status_results]


def test_document_lifted_during_read_says_put_it_back(make_kiosk):
    k = make_kiosk()
    k.devices.reader.faults.set("remove_at_apdu", 30)  # half-way through the photo
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("zh_CN")
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("eligible")
    k.pump(S.READING_DOCUMENT)
    _wait(k, lambda: k.journey.session.read_paused)
    assert k.journey.state is S.READING_DOCUMENT, "the resident is asked to put it back"
    k.devices.reader.place("eligible")
    k.pump(S.CONFIRM_DETAILS)
    assert k.journey.session.read_interruptions == 1
    last = k.devices.reader.last_read
    assert last.resumed and last.outcome == "ok"
    assert last.apdus < 50, "the resumed read continued, it did not start over"
    assert k.journey.session.document.photo_jpeg[:2] == b"\xff\xd8"


def test_document_lifted_again_and_again_goes_to_staff(make_kiosk):
    k = make_kiosk(journey__read_resumes=1)
    k.devices.reader.faults.set("remove_at_apdu", 30)
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("eligible")
    _wait(k, lambda: k.journey.session.read_paused)
    k.devices.reader.faults.set("remove_at_apdu", 10)
    k.devices.reader.place("eligible")
    k.pump(S.PROBLEM)
    assert k.journey.session.problem.code == "document_removed"
    k.journey.retry()
    assert k.journey.state is S.PRESENT_DOCUMENT
    k.devices.reader.place("eligible")
    k.pump(S.CONFIRM_DETAILS)


def test_idle_timer_runs_while_waiting_for_a_lifted_document(make_kiosk):
    now = [1000.0]
    k = make_kiosk(clock=lambda: now[0])
    k.devices.reader.faults.set("remove_at_apdu", 30)
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("eligible")
    _wait(k, lambda: k.journey.session.read_paused)
    now[0] += k.journey.config.journey.idle_reset_s + 1
    k.pump(S.ATTRACT)


def _wait(k, condition, timeout_s: float = 10.0) -> None:
    import time
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        k.pump(None)


def test_no_personal_data_in_logs(make_kiosk, caplog):
    caplog.set_level(logging.DEBUG)
    k = make_kiosk()
    to_decision(k, "eligible")
    k.journey.decision.continue_application()
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(S.RECEIPT)
    k.journey.finish()
    text = caplog.text
    assert text, "the journey logged nothing: the check would prove nothing"
    for secret in ("430502199003151236", "李明", "LI MING", "红旗路"):
        assert secret not in text


def test_data_dir_holds_no_plain_personal_data(make_kiosk, tmp_path):
    k = make_kiosk(url=f"http://127.0.0.1:{free_port()}")
    present(k, "eligible")
    k.journey.cancel()
    assert k.journey.session.document is None
    for path in Path(tmp_path / "data").rglob("*"):
        if path.is_file():
            blob = path.read_bytes()
            assert b"430502199003151236" not in blob
            assert "李明".encode() not in blob


def test_central_lost_at_submission_keeps_the_application_and_posts_the_card(make_kiosk,
                                                                              tmp_path):
    from tests.central_server import central_on

    (tmp_path / "own").mkdir()
    own = central_on(tmp_path / "own").start()
    try:
        k = make_kiosk(url=own.url)
        to_decision(k, "eligible")
        k.journey.decision.continue_application()
        own.stop()  # the network goes down between the decision and the submission
        k.journey.fulfilment.choose(M.PRINT_HERE)
        k.pump(S.RECEIPT)
        outcome = k.journey.session.outcome
        assert outcome.queued_offline and not outcome.card_printed
        assert outcome.card_fallback == "central_unreachable"
        reference_url = k.runtime.config.central.url + "/track/ref/" + \
            k.journey.session.idempotency_key
        printed = [p.name for p in (tmp_path / "printed").glob("*.png")]
        assert len(printed) == 1 and printed[0].startswith("receipt-"), printed
        assert k.runtime.outbox.depth() == 1
        k.journey.finish()
        own.start()  # the network is back: same port, same database
        assert k.runtime.sync.sync_once() == 1
        assert k.runtime.outbox.depth() == 0
        found = k.runtime.client.lookup_status("430502199003151236")
        assert len(found) == 1
        assert found[0].state is wire.ApplicationState.IN_DELIVERY
        assert k.runtime.sync.sync_once() == 0
        assert len(k.runtime.client.lookup_status("430502199003151236")) == 1
        # The receipt's QR code, printed offline, now finds the application.
        k.journey.welcome.begin()
        k.journey.welcome.choose_language("en")
        k.journey.welcome.choose_service(wire.Service.STATUS)
        k.devices.scanner.scan(reference_url)
        k.pump(S.STATUS_RESULT)
        assert k.journey.session.status_results[0].application_number == found[0].application_number
    finally:
        own.stop()


def test_a_late_refusal_stops_the_declaration(make_kiosk):
    k = make_kiosk()
    present(k, "local")
    k.journey.document.confirm()  # before the records pre-check has answered
    assert k.journey.state is S.DECLARE_RESIDENCE
    k.pump(S.DECISION)
    assert k.journey.session.decision.decision is D.INELIGIBLE
    assert k.journey.session.decision.reasons[0].code == "local_household"


def test_a_reference_not_yet_sent_says_so(make_kiosk):
    k = make_kiosk()
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("zh_CN")
    k.journey.welcome.choose_service(wire.Service.STATUS)
    k.devices.scanner.scan("http://example.invalid/track/ref/" + "ab" * 16)
    k.settle(0.3)
    assert k.journey.state is S.STATUS_LOOKUP
    assert k.journey.input_error == "reference_pending"
    k.devices.scanner.scan("not a receipt")
    k.settle(0.3)
    assert k.journey.input_error == "unknown_code"


def test_a_progress_answer_after_going_back_to_the_menu_is_ignored(make_kiosk):
    k = make_kiosk()
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    k.journey.welcome.choose_service(wire.Service.STATUS)
    k.journey.status.on_scan("ZZ-000000-AAAAAA")  # central is asked on a worker
    k.journey.back()  # the resident changes their mind before it answers
    assert k.journey.state is S.SERVICE_MENU
    k.settle(1.5)  # the answer (not found) arrives at the menu: nothing to show
    assert k.journey.state is S.SERVICE_MENU and k.journey.session.problem is None
