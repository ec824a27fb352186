"""The resident's own ID card, read through the certified module's protocol (a virtual module
on a pty, read by the real pyserial driver) beside the passport reader, as a hall's kiosk has
them: the journey reads whichever document the resident puts down."""

from __future__ import annotations

import pytest

from drivers.reader.idcard.virtual import socat_usable
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import declare, menu, photo

COMBINED = {"driver": "combined", "options": {"readers": [
    {"driver": "virtual_idcard", "options": {}},
    {"driver": "virtual_chip", "options": {}}]}}

pytestmark = pytest.mark.skipif(not socat_usable()[0], reason=socat_usable()[1])


def test_an_id_card_is_read_through_the_module_and_the_journey_goes_on(make_kiosk):
    k = make_kiosk(devices__reader=COMBINED)
    menu(k)
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("eligible")
    assert k.pump(Step.CONFIRM_DETAILS, timeout_s=15) is Step.CONFIRM_DETAILS
    document = k.journey.session.document
    assert document.document_type == "id_card" and document.document_number.startswith("4305")
    assert document.ethnic_group and document.issuing_authority, "what art. 4 puts on a permit"
    declare(k)
    photo(k)
    k.pump(Step.DECISION)
    assert k.journey.session.decision.decision is wire.Decision.ELIGIBLE


def test_a_passport_on_the_same_kiosk_is_read_by_the_chip_reader(make_kiosk):
    k = make_kiosk(devices__reader=COMBINED)
    menu(k)
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("passport_mrz")
    assert k.pump(Step.ACCESS_KEY, timeout_s=15) is Step.ACCESS_KEY


def test_the_technician_sees_the_module_its_sam_and_the_photo_decoder(make_kiosk):
    from kiosk.diagnostics.report import collect
    k = make_kiosk(devices__reader=COMBINED)
    assert k.wait_for(lambda: collect(k.runtime).id_card_module.get("sam_id", "-") != "-", 10)
    report = collect(k.runtime)
    module = report.id_card_module
    assert module["port"] and "simulated" in module["photo_decoder"]
    assert report.reader, "the chip reader beside it is still shown"
    assert any(line.startswith("ID-card module") for line in report.lines())
