"""Checks on what the resident entered, each failing with a typed, translatable error."""

from __future__ import annotations

import datetime as dt
import re

from drivers.reader.base import IdentityDocument
from kiosk.errors import InvalidInput
from protocol import wire

_DETAIL = re.compile(r"^[0-9]{1,5}(-[0-9]{1,5}){0,3}$")


# Documents a kiosk reads that do not make their holder a resident this kiosk serves: a
# residence permit is for citizens (居住证暂行条例 art. 2, "公民"). Each has its own sentence
# saying what applies instead; the certified ID-card module reads the first two.
NOT_FOR_A_RESIDENCE_PERMIT = {
    "foreign_permanent_residence_card": "foreign_permanent_residence_card",
    "hk_macao_taiwan_residence_permit": "hk_macao_taiwan_residence_permit",
}


def document_not_served(document: IdentityDocument) -> str | None:
    """The code of the sentence for a holder a residence permit is not for, else None."""
    code = NOT_FOR_A_RESIDENCE_PERMIT.get(document.document_type)
    if code is None and document.nationality and document.nationality != "CHN":
        code = "not_a_chinese_citizen"
    return code


def validate_residence(since: dt.date, address: wire.Address,
                       document: IdentityDocument | None, today: dt.date) -> None:
    """Raise InvalidInput with a catalog code when the declaration cannot be right."""
    if since > today:
        raise InvalidInput(code="since_in_future")
    if document is not None and since < document.birth_date:
        raise InvalidInput(code="since_before_birth")
    if not address.district or not address.community:
        raise InvalidInput(code="address_incomplete")
    if not _DETAIL.match(address.detail):
        raise InvalidInput(code="address_detail_invalid")
