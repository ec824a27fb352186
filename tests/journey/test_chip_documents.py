"""The resident's journey on real ICAO chips (the in-process virtual chip reader).

Every scripted chip fault ends with the right words on the resident's screen and
nothing accepted that should not be: a forged or wrongly signed document never
reaches the confirm screen, and a state the kiosk cannot check is sent to staff.
"""

from __future__ import annotations

import tomllib

import pytest

from drivers.reader.base import MrzKey
from drivers.reader.personas import DEFAULT_DOCUMENTS_FILE
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import declare, menu, photo

S = Step
M = wire.FulfilmentMethod

with open(DEFAULT_DOCUMENTS_FILE, "rb") as _f:
    SHIPPED = tomllib.load(_f)


def chip_kiosk(make_kiosk, allow_unknown_csca: bool = False, **variants):
    """A kiosk whose reader holds the shipped personas plus ``variants`` of them."""
    documents = dict(SHIPPED)
    for name, (base, changes) in variants.items():
        documents[name] = {**SHIPPED[base], **changes}
    return make_kiosk(devices__reader={"driver": "virtual_chip", "options": {
        "documents": documents, "allow_unknown_csca": allow_unknown_csca}})


def place_and_wait(k, persona: str, until) -> None:
    menu(k, "en")
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place(persona)
    k.pump(until)


@pytest.mark.parametrize("changes", [{"tamper_dg": 2}, {"tamper_dg": 1},
                                     {"signer": "expired"}, {"signer": "unknown"}],
                         ids=["photo_swapped", "birth_date_changed", "expired_signer",
                              "unknown_signer"])
def test_a_document_that_cannot_be_trusted_is_refused(make_kiosk, changes):
    k = chip_kiosk(make_kiosk, suspect=("eligible", changes))
    place_and_wait(k, "suspect", S.PROBLEM)
    assert k.journey.session.problem.code == "document_not_genuine"
    assert k.journey.session.document is None, "nothing from a refused document is kept"
    assert k.devices.reader.last_read.outcome == "PassiveAuthenticationFailed"


def test_a_state_missing_from_the_trust_store_goes_to_staff_when_allowed(make_kiosk):
    k = chip_kiosk(make_kiosk, allow_unknown_csca=True,
                   foreign=("eligible", {"signer": "unknown"}))
    place_and_wait(k, "foreign", S.CONFIRM_DETAILS)
    assert k.journey.session.document.review_reasons == ["no_csca_for_country"]
    declare(k)
    photo(k)
    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    assert M.PRINT_HERE not in k.journey.fulfilment.options(), "no card before staff check"
    k.journey.fulfilment.choose(M.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.receipt.state is wire.ApplicationState.UNDER_REVIEW


def _passport_key() -> MrzKey:
    p = SHIPPED["passport_mrz"]
    return MrzKey(p["document_number"], p["birth_date"], p["expiry_date"])


def test_wrong_key_on_a_bac_chip_asks_again_then_reads(make_kiosk):
    k = chip_kiosk(make_kiosk)
    k.devices.reader.faults.set("wrong_key", 1)
    place_and_wait(k, "passport_mrz", S.ACCESS_KEY)
    k.journey.document.submit_key(_passport_key())
    assert k.wait_for(lambda: k.journey.input_error == "wrong_access_key", timeout_s=10)
    assert k.journey.state is S.ACCESS_KEY
    k.journey.document.submit_key(_passport_key())
    k.pump(S.CONFIRM_DETAILS)
    assert k.devices.reader.last_read.access == "bac"
    assert k.journey.session.document.name == "LIN XIAO"


def test_one_corrupted_mac_is_survived_by_reading_again(make_kiosk):
    k = chip_kiosk(make_kiosk)
    k.devices.reader.faults.set("corrupt_mac", 1)
    place_and_wait(k, "passport_mrz", S.ACCESS_KEY)
    k.journey.document.submit_key(_passport_key())
    k.pump(S.CONFIRM_DETAILS)


def test_a_chip_that_keeps_failing_its_mac_is_unreadable(make_kiosk):
    k = chip_kiosk(make_kiosk)
    k.devices.reader.faults.set("corrupt_mac", -1)
    place_and_wait(k, "passport_mrz", S.ACCESS_KEY)
    k.journey.document.submit_key(_passport_key())
    k.pump(S.PROBLEM)
    assert k.journey.session.problem.code == "unreadable_document"
    assert k.journey.session.document is None


def test_half_read_files_are_dropped_when_the_session_ends(make_kiosk):
    k = chip_kiosk(make_kiosk)
    k.devices.reader.faults.set("remove_at_apdu", 30)
    place_and_wait(k, "eligible", S.READING_DOCUMENT)
    while not k.journey.session.read_paused:
        k.pump(None)
    assert k.devices.reader._state.bytes_held() > 0
    k.journey.cancel()
    assert k.journey.state is S.ATTRACT
    assert k.devices.reader._state.bytes_held() == 0, "personal data outlived the session"


def test_pace_card_opens_with_its_can_and_proves_it_is_no_clone(make_kiosk):
    from drivers.reader.base import AccessKind, CanKey
    k = chip_kiosk(make_kiosk)
    place_and_wait(k, "permit_pace", S.ACCESS_KEY)
    assert k.journey.session.access is AccessKind.MRZ and k.journey.session.can_allowed
    k.journey.document.switch_key_kind()
    assert k.journey.session.access is AccessKind.CAN
    k.journey.document.submit_key(CanKey("000000"))
    assert k.wait_for(lambda: k.journey.input_error == "wrong_access_key", timeout_s=10)
    assert k.journey.state is S.ACCESS_KEY
    k.journey.document.submit_key(CanKey(SHIPPED["permit_pace"]["can"]))
    k.pump(S.CONFIRM_DETAILS)
    report = k.devices.reader.last_read
    assert report.access == "pace-can"
    passed = {s.step for s in report.steps if s.ok}
    assert {"chip_authentication", "active_authentication", "passive_authentication"} <= passed
    assert k.journey.session.document.name == "陈嘉欣"
    assert k.journey.session.document.document_type == "exit_entry_permit"


def test_failed_read_trace_and_logs_hold_no_personal_data(make_kiosk, caplog):
    import json
    import logging

    from kiosk.diagnostics.report import collect, reader_lines, save_failed_trace
    caplog.set_level(logging.DEBUG)
    k = chip_kiosk(make_kiosk)
    assert save_failed_trace(k.runtime) is None, "nothing failed yet"
    k.devices.reader.faults.set("corrupt_mac", -1)
    place_and_wait(k, "passport_mrz", S.ACCESS_KEY)
    k.journey.document.submit_key(_passport_key())
    k.pump(S.PROBLEM)
    k.devices.reader.faults.clear("corrupt_mac")
    k.journey.retry()
    k.devices.reader.lift()
    k.devices.reader.place("passport_mrz")
    k.pump(S.ACCESS_KEY)
    k.journey.document.submit_key(_passport_key())
    k.pump(S.CONFIRM_DETAILS)
    saved = save_failed_trace(k.runtime)
    trace = json.loads(open(saved, encoding="utf-8").read())
    assert trace["outcome"] == "SecureMessagingError" and trace["trace"]
    report = collect(k.runtime)
    lines = "\n".join(reader_lines(report.reader))
    assert "ATR=" in lines and "read_DG2" in lines and "SW 9000" in lines
    p = SHIPPED["passport_mrz"]
    secrets = [p["document_number"], p["name"], "LIN", f"{p['birth_date']:%y%m%d}",
               f"{p['expiry_date']:%y%m%d}", p["birth_date"].isoformat()]
    for text in (caplog.text, json.dumps(trace), json.dumps(report.as_dict(), default=str)):
        assert not [s for s in secrets if s in text], "personal data leaked"
    assert caplog.text, "nothing was logged: the check would prove nothing"


def test_each_document_starts_at_the_largest_read_size(make_kiosk):
    """An AES chip steps down to 223 bytes; the next resident's chip must not inherit that."""
    from drivers.reader.base import CanKey
    k = chip_kiosk(make_kiosk)
    place_and_wait(k, "permit_pace", S.ACCESS_KEY)
    k.journey.document.submit_key(CanKey(SHIPPED["permit_pace"]["can"]))
    k.pump(S.CONFIRM_DETAILS)
    assert k.devices.reader.last_read.read_size == 223
    k.journey.cancel()
    k.devices.reader.lift()
    place_and_wait(k, "eligible", S.CONFIRM_DETAILS)
    assert k.devices.reader.last_read.read_size == 231


def test_face_check_is_stored_and_a_stranger_goes_to_staff_kindly(make_kiosk):
    """人证合一: the live face against the chip's photo. A face that is not a clear match
    sends the application to staff; the resident is told kindly and never accused."""
    from pathlib import Path

    stranger = Path(__file__).resolve().parents[1] / "data" / "faces" / "obama.jpg"
    k = make_kiosk(devices__camera={"driver": "simulated",
                                    "options": {"fps": 30, "frames": str(stranger)}})
    place_and_wait(k, "eligible", S.CONFIRM_DETAILS)
    declare(k)
    photo(k)
    check = k.journey.session.face_check
    assert check is not None and check.verdict != "match" and check.threshold > 0
    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    assert M.PRINT_HERE not in k.journey.fulfilment.options()
    assert k.journey.fulfilment.print_here_blocked() == "identity_check"
    k.journey.fulfilment.choose(M.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.receipt.state is wire.ApplicationState.UNDER_REVIEW
    k.journey.finish()
    assert k.journey.session.face_check is None, "wiped with the session"


def test_the_holder_in_front_of_the_camera_matches_their_chip(make_kiosk):
    k = chip_kiosk(make_kiosk)
    place_and_wait(k, "eligible", S.CONFIRM_DETAILS)
    declare(k)
    photo(k)
    assert k.journey.session.face_check.verdict == "match"
    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    assert M.PRINT_HERE in k.journey.fulfilment.options()
