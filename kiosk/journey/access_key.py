"""Checking an access key as the resident types it, before the chip is asked.

A wrong key costs a slow round trip to the chip (and some chips slow down after
several failures), so the kiosk catches what it can on the keypad: characters that
cannot be in a document number, a check digit that does not match, dates that do
not exist, a birth date in the future, an expired document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from drivers.reader.base import AccessKey, CanKey, MrzKey
from drivers.reader.icao.mrz import check_digit, normalise_document_number

NUMBER_MIN = 5
NUMBER_MAX = 20


@dataclass(frozen=True)
class FieldCheck:
    """The verdict on one field: ``problem`` is a message id, shown under the field."""

    value: str
    complete: bool = False
    problem: str | None = None
    confirmed: bool = False  # a check digit was typed and it matches

    @property
    def ok(self) -> bool:
        return self.complete and self.problem is None


def check_number(text: str) -> FieldCheck:
    """A document number; a tenth character that is its check digit confirms and is dropped."""
    value = text.strip().upper()
    if not value.isalnum() or not value.isascii():
        return FieldCheck(value, bool(value), "access.check.number" if value else None)
    if len(value) < NUMBER_MIN:
        return FieldCheck(value)
    if len(value) == 10 and value[-1].isdigit():
        if check_digit(normalise_document_number(value[:9])) == value[-1]:
            return FieldCheck(value[:9], True, None, confirmed=True)
        return FieldCheck(value, True, "access.check.number_digit")
    return FieldCheck(value, True)


def parse_yymmdd(text: str, *, past: bool, today: dt.date) -> dt.date | None:
    """MRZ dates have two-digit years: a birth date is in the past, an expiry in this century."""
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    year = 2000 + yy
    if past and year > today.year:
        year -= 100
    try:
        return dt.date(year, mm, dd)
    except ValueError:
        return None


def check_date(text: str, *, birth: bool, today: dt.date) -> FieldCheck:
    if len(text) < 6:
        return FieldCheck(text)
    date = parse_yymmdd(text, past=birth, today=today)
    if date is None:
        return FieldCheck(text, True, "access.check.date")
    if birth and date > today:
        return FieldCheck(text, True, "access.check.birth_future")
    if not birth and date < today:
        return FieldCheck(text, True, "access.check.expired")
    return FieldCheck(text, True)


def check_can(text: str) -> FieldCheck:
    if not text.isdigit() and text:
        return FieldCheck(text, True, "access.check.can")
    return FieldCheck(text, len(text) == 6)


def check_field(name: str, text: str, today: dt.date) -> FieldCheck:
    """One keypad field by its name: number, birth, expiry or can."""
    if name == "number":
        return check_number(text)
    if name == "can":
        return check_can(text)
    return check_date(text, birth=name == "birth", today=today)


def access_key_from(values: dict[str, str], today: dt.date) -> AccessKey | None:
    """The key, when every field is complete and right; None tells the screen to say which is not."""
    checks = {name: check_field(name, text, today) for name, text in values.items()}
    if not checks or not all(c.ok for c in checks.values()):
        return None
    if "can" in checks:
        return CanKey(checks["can"].value)
    birth = parse_yymmdd(checks["birth"].value, past=True, today=today)
    expiry = parse_yymmdd(checks["expiry"].value, past=False, today=today)
    if birth is None or expiry is None:  # checked as dates above: cannot happen, say None
        return None
    return MrzKey(checks["number"].value, birth, expiry)
