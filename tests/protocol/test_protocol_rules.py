"""The rules kiosk and central share: one definition each, read back as it was written."""

from __future__ import annotations

import pytest

from protocol import tracking
from protocol.codes import OUT_OF_SERVICE_TRUST_CODES, TrustCode
from protocol.enrolment import (
    ALPHABET,
    CODE_LENGTH,
    EnrolmentTicket,
    NotAnEnrolmentCode,
    grouped,
    normalise_code,
    well_formed,
)


def test_an_enrolment_ticket_reads_back_as_central_wrote_it():
    ticket = EnrolmentTicket(code="ABCDE-FGHJK", url="https://central.example/x",
                             kiosk_id="zz-01", central_fingerprint="0123456789abcdef")
    assert EnrolmentTicket.parse(ticket.payload()) == ticket


@pytest.mark.parametrize("text", ["", "https://central.example/track/X", "onetrip-enrol:1?url=x"])
def test_other_qr_codes_are_not_enrolment_tickets(text):
    with pytest.raises(NotAnEnrolmentCode):
        EnrolmentTicket.parse(text)


def test_codes_are_typed_loosely_and_kept_strictly():
    assert normalise_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert grouped("abcdefghjk") == "ABCDE-FGHJK"
    assert well_formed("abcde fghjk")
    assert not well_formed("ABCDE-FGHJ")  # nine
    assert not well_formed("ABCDE-FGHJ0")  # 0 is a look-alike of O: not in the alphabet
    assert len(ALPHABET) == len(set(ALPHABET)) and CODE_LENGTH == 10


def test_tracking_addresses_are_read_back_as_built():
    number = tracking.application_url("https://c.example/", "ZZ-2026-ABC234")
    assert number == "https://c.example/track/ZZ-2026-ABC234"
    assert tracking.parse(number) == tracking.ScannedCode(number="ZZ-2026-ABC234")
    key = "0123456789abcdef0123456789abcdef"
    reference = tracking.reference_url("https://c.example", key)
    assert tracking.parse(reference) == tracking.ScannedCode(reference=key)
    assert tracking.parse("ZZ-2026-ABC234") == tracking.ScannedCode(number="ZZ-2026-ABC234")
    assert tracking.parse("hello world") is None


def test_only_lasting_trust_refusals_take_a_kiosk_out_of_service():
    assert TrustCode.KIOSK_REVOKED.value in OUT_OF_SERVICE_TRUST_CODES
    assert "central_unsigned" in OUT_OF_SERVICE_TRUST_CODES
    assert TrustCode.REPLAYED_REQUEST.value not in OUT_OF_SERVICE_TRUST_CODES
