"""Checks on what the resident entered, each failing with a typed, translatable error."""

from __future__ import annotations

import datetime as dt
import re

from protocol import wire
from drivers.reader.base import IdentityDocument
from kiosk.errors import InvalidInput

_DETAIL = re.compile(r"^[0-9]{1,5}(-[0-9]{1,5}){0,3}$")
_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")


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


_REFERENCE = re.compile(r"/track/ref/([0-9a-f]{16,64})/?$")


def parse_reference(code: str) -> str | None:
    """The kiosk's reference (idempotency key) on a receipt printed while offline, or None."""
    found = _REFERENCE.search(code.strip())
    return found.group(1) if found else None


def parse_tracking_code(code: str) -> str | None:
    """The application number in a scanned receipt QR code (a tracking link), or None."""
    text = code.strip()
    if parse_reference(text) is not None:
        return None
    if "/track/" in text:
        text = text.rsplit("/track/", 1)[1].split("?", 1)[0].strip("/")
    return text if _NUMBER.match(text) else None
