"""The access key is checked on the keypad, before the chip is asked."""

from __future__ import annotations

import datetime as dt

from drivers.reader.base import CanKey, MrzKey
from kiosk.journey.access_key import access_key_from, check_can, check_date, check_number

TODAY = dt.date(2026, 11, 22)


def test_number_with_its_check_digit_is_confirmed_and_dropped():
    check = check_number("L898902C3")  # nine characters: a plain number, nothing to confirm
    assert check.ok and not check.confirmed
    typed = check_number("E123456782")  # E12345678 followed by its check digit 2
    assert typed.ok and typed.confirmed and typed.value == "E12345678"


def test_number_whose_tenth_character_is_a_wrong_check_digit_is_flagged():
    check = check_number("E123456783")
    assert check.complete and check.problem == "access.check.number_digit"


def test_number_rejects_characters_a_document_number_cannot_have():
    assert check_number("AB-12345").problem == "access.check.number"
    assert not check_number("AB12").complete  # still typing


def test_dates_must_exist_birth_in_the_past_expiry_in_the_future():
    assert check_date("900231", birth=True, today=TODAY).problem == "access.check.date"
    assert check_date("271231", birth=True, today=TODAY).ok  # 1927, not 2027
    assert check_date("261121", birth=False, today=TODAY).problem == "access.check.expired"
    assert check_date("261122", birth=False, today=TODAY).ok
    assert not check_date("2611", birth=False, today=TODAY).complete


def test_can_is_six_digits():
    assert check_can("123456").ok
    assert not check_can("12345").complete
    assert check_can("12345A").problem == "access.check.can"


def test_key_is_built_only_when_every_field_is_right():
    values = {"number": "E123456782", "birth": "850820", "expiry": "300101"}
    assert access_key_from(values, TODAY) == MrzKey("E12345678", dt.date(1985, 8, 20),
                                                    dt.date(2030, 1, 1))
    assert access_key_from({**values, "expiry": "200101"}, TODAY) is None
    assert access_key_from({"can": "123456"}, TODAY) == CanKey("123456")
    assert access_key_from({"can": "12345"}, TODAY) is None
