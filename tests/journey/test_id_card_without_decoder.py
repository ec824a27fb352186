"""An ID card read by a kiosk without the reader vendor's licensed photo decoder: the card's
photo (WLT) cannot be expanded here, so 人证合一 is asked of central's registry check; a kiosk
that central will not answer (not enrolled: the check needs a signed kiosk) proves nothing,
so the application goes to staff review: never a card printed on an unproven face."""

from __future__ import annotations

import pytest

from drivers.reader.idcard.virtual import socat_usable
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import declare, menu, photo

WITHOUT_DECODER = {"driver": "combined", "options": {"readers": [
    {"driver": "virtual_idcard", "options": {"photo_decoder": None}},
    {"driver": "virtual_chip", "options": {}}]}}

pytestmark = pytest.mark.skipif(not socat_usable()[0], reason=socat_usable()[1])


def test_no_decoder_and_no_registry_answer_is_unsure_and_goes_to_staff(make_kiosk):
    k = make_kiosk(devices__reader=WITHOUT_DECODER)
    menu(k)
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.place("eligible")
    assert k.pump(Step.CONFIRM_DETAILS, timeout_s=15) is Step.CONFIRM_DETAILS
    assert k.journey.session.document.photo_jpeg is None, "WLT, not expanded here"
    declare(k)
    photo(k)
    k.pump(Step.DECISION)
    check = k.journey.session.face_check
    assert check is not None and check.verdict == "unsure"
    assert k.journey.session.document_review, "staff look at the face and the card first"
    assert wire.FulfilmentMethod.PRINT_HERE not in k.journey.fulfilment.options()
