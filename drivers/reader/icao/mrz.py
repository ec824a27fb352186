"""Machine-readable-zone arithmetic shared by BAC, PACE and DG1 parsing (ICAO 9303-3)."""

from __future__ import annotations

import datetime as dt

_WEIGHTS = (7, 3, 1)


def char_value(ch: str) -> int:
    """0-9 as themselves, A-Z as 10-35, the filler '<' as 0; anything else is an error."""
    if ch.isdigit():
        return int(ch)
    if "A" <= ch <= "Z":
        return ord(ch) - ord("A") + 10
    if ch == "<":
        return 0
    raise ValueError(f"not an MRZ character: {ch!r}")


def check_digit(field: str) -> str:
    """The 7-3-1 weighted check digit of an MRZ field, as a character."""
    return str(sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def yymmdd(date: dt.date) -> str:
    return date.strftime("%y%m%d")


def normalise_document_number(number: str) -> str:
    """Upper case, no spaces, padded with '<' to the nine characters the MRZ field has."""
    cleaned = number.strip().upper().replace(" ", "")
    return cleaned.ljust(9, "<")


def mrz_key_seed_text(document_number: str, birth_date: dt.date, expiry_date: dt.date) -> str:
    """'MRZ information' for BAC and PACE-MRZ: number, birth and expiry, each with its check digit.

    Numbers longer than nine characters are used whole, as ICAO 9303-11 says for TD1
    documents whose number overflows into the optional data.
    """
    number = normalise_document_number(document_number)
    birth, expiry = yymmdd(birth_date), yymmdd(expiry_date)
    return (number + check_digit(number) + birth + check_digit(birth)
            + expiry + check_digit(expiry))
