"""Checks on what the resident entered, each failing with a typed, translatable error."""

from __future__ import annotations

import datetime as dt
import re

from drivers.reader.base import IdentityDocument
from kiosk.errors import InvalidInput
from protocol import wire

_DETAIL = re.compile(r"^[0-9]{1,5}(-[0-9]{1,5}){0,3}$")


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
