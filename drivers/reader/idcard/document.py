"""A parsed card as the kiosk's IdentityDocument, with what the card text says checked.

The module has already proven the card genuine (the SAM authenticates it); what is checked
here is consistency: the citizen number against GB 11643 and against the card's own birth
date and sex. A finding goes to ``review_reasons`` for staff; an expired card is a field.
``household_city`` is the prefecture-level GB/T 2260 code from the citizen number (户籍),
e.g. "430500" for 邵阳市.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drivers.reader.base import IdentityDocument
from drivers.reader.idcard.codes import check_citizen_number, ethnic_group, sex_from_code
from drivers.reader.idcard.regions import prefecture_name
from drivers.reader.idcard.status import BadCardText
from drivers.reader.idcard.text import (
    CardText,
    ForeignResidence2017Text,
    ForeignResidence2023Text,
    HmtResidencePermitText,
    ResidentIdText,
)


def to_identity(card: CardText, photo_jpeg: bytes | None = None,
                today: dt.date | None = None) -> IdentityDocument:
    """The document the kiosk's journey reads; BadCardText if it has no birth date."""
    birth = card.birth_date
    if birth is None:
        raise BadCardText("the card's birth date cannot be read")
    sex = sex_from_code(card.sex_code)
    reasons = [f"card_{p}" for p in card.problems() if p != "unreadable_birth_date"]
    common: dict[str, Any] = dict(
        document_type=card.DOCUMENT_TYPE, issuing_state="CHN", document_number=card.number,
        sex=sex, birth_date=birth, expiry_date=card.valid_until_date, photo_jpeg=photo_jpeg,
        valid_from=card.valid_from_date, expired=card.expired(today))
    if isinstance(card, ResidentIdText | HmtResidencePermitText):
        check = check_citizen_number(card.number, birth, sex)
        reasons += [f"citizen_number_{p}" for p in check.problems]
        household = (check.prefecture if isinstance(card, ResidentIdText) and check.valid
                     and prefecture_name(check.region or "") else None)
        if isinstance(card, ResidentIdText):
            return IdentityDocument(
                **common, name=card.name, nationality="CHN", household_city=household,
                household_address=card.address or None,
                ethnic_group=ethnic_group(card.ethnic_code),
                issuing_authority=card.issuing_authority or None, review_reasons=reasons)
        return IdentityDocument(
            **common, name=card.name, nationality="CHN",
            issuing_authority=card.issuing_authority or None,
            other_document_number=card.pass_number or None, review_reasons=reasons)
    if isinstance(card, ForeignResidence2023Text):
        check = check_citizen_number(card.number, birth, sex)
        # The first digit 9 marks a foreigner: no GB/T 2260 region, so only these count.
        reasons += [f"card_number_{p}" for p in check.problems
                    if p in ("malformed", "bad_check_digit", "birth_date_mismatch")]
        return IdentityDocument(
            **common, name=card.name or card.name_en, nationality=card.nationality,
            latin_name=card.name_en or None, review_reasons=reasons,
            other_document_number=card.previous_link or None)
    assert isinstance(card, ForeignResidence2017Text)
    return IdentityDocument(
        **common, name=card.name_zh or card.name_en, nationality=card.nationality,
        latin_name=card.name_en or None, review_reasons=reasons)
