"""A document whose holder a residence permit is not for is told so at once, kindly, with
what applies instead: residence permits are for citizens (居住证暂行条例 art. 2, "公民")."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.i18n import Translator
from kiosk.journey.steps import Step
from tests.journey.walk import menu

HOLDERS = {
    "us_passport": {"document_type": "passport", "access": "none", "issuing_state": "USA",
                    "nationality": "USA", "name": "SMITH JOHN", "sex": "M",
                    "birth_date": dt.date(1980, 1, 2), "document_number": "571234567",
                    "expiry_date": dt.date(2031, 1, 1)},
    "foreign_card": {"document_type": "foreign_permanent_residence_card", "access": "none",
                     "issuing_state": "CHN", "nationality": "CAN", "name": "MARIE DUPONT",
                     "sex": "F", "birth_date": dt.date(1975, 5, 6),
                     "document_number": "931586197505060021",
                     "expiry_date": dt.date(2033, 5, 6)},
    "hmt_permit": {"document_type": "hk_macao_taiwan_residence_permit", "access": "none",
                   "issuing_state": "CHN", "nationality": "CHN", "name": "陈美玲", "sex": "F",
                   "birth_date": dt.date(1992, 7, 8), "document_number": "810000199207080025",
                   "expiry_date": dt.date(2029, 7, 8)},
}
SENTENCE = {"us_passport": "not_a_chinese_citizen",
            "foreign_card": "foreign_permanent_residence_card",
            "hmt_permit": "hk_macao_taiwan_residence_permit"}


@pytest.mark.parametrize("holder", sorted(HOLDERS))
def test_the_holder_is_told_what_applies_instead(make_kiosk, holder):
    k = make_kiosk(devices__reader={"driver": "simulated",
                                    "options": {"documents": HOLDERS, "present_after_s": None}})
    menu(k, "en")
    k.journey.welcome.choose_service(k.journey.availability.enabled_services()[0])
    k.devices.reader.place(holder)
    assert k.pump(Step.PROBLEM) is Step.PROBLEM
    code = k.journey.session.problem.code
    assert code == SENTENCE[holder]
    for language in ("zh_CN", "en"):
        sentence = Translator(language).error(code)
        assert sentence != Translator(language)("error.unexpected"), "its own sentence"
    assert k.journey.session.decision is None, "nothing was asked of central"
