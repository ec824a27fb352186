"""Card text of the three card types, built by hand from the public layouts, and its codes."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.reader.idcard.codes import (
    ETHNIC_GROUPS,
    check_citizen_number,
    check_digit,
    ethnic_group,
    sex_from_code,
)
from drivers.reader.idcard.document import to_identity
from drivers.reader.idcard.regions import PREFECTURES, PROVINCES, prefecture_name, region_label
from drivers.reader.idcard.status import BadCardText
from drivers.reader.idcard.text import (
    ForeignResidence2017Text,
    ForeignResidence2023Text,
    HmtResidencePermitText,
    ResidentIdText,
    parse_card_text,
)


def field(value: str, size: int) -> bytes:
    """One UCS-2 little-endian field, space-padded, as the card stores it."""
    raw = value.encode("utf-16-le")
    assert len(raw) <= size
    return raw + b" \x00" * ((size - len(raw)) // 2)


def id_card_text(name="周静", sex="2", ethnic="01", birth="19920520",
                 address="广东省广州市天河区体育西路191号", number="44010619920520328X",
                 authority="广州市公安局天河分局", valid_from="20170825",
                 valid_until="20370825") -> bytes:
    raw = (field(name, 30) + field(sex, 2) + field(ethnic, 4) + field(birth, 16)
           + field(address, 70) + field(number, 36) + field(authority, 30)
           + field(valid_from, 16) + field(valid_until, 16) + field("", 36))
    assert len(raw) == 256
    return raw


TODAY = dt.date(2026, 12, 8)


def test_an_id_card_with_an_x_check_digit():
    card = parse_card_text(id_card_text())
    assert isinstance(card, ResidentIdText)
    doc = to_identity(card, today=TODAY)
    assert (doc.document_type, doc.name, doc.sex) == ("id_card", "周静", "F")
    assert doc.document_number == "44010619920520328X"
    assert doc.birth_date == dt.date(1992, 5, 20) and doc.expiry_date == dt.date(2037, 8, 25)
    assert doc.valid_from == dt.date(2017, 8, 25) and doc.ethnic_group == "汉族"
    assert doc.household_city == "440100" and prefecture_name("440106") == "广州市"
    assert doc.household_address.startswith("广东省广州市") and not doc.expired
    assert doc.issuing_authority == "广州市公安局天河分局" and doc.review_reasons == []


def test_a_long_term_card_has_no_expiry():
    raw = id_card_text(name="赵秀英", birth="19500214", number="430902195002142825",
                       valid_from="20060630", valid_until="长期", ethnic="15")
    card = parse_card_text(raw)
    assert card.long_term and card.valid_until_date is None
    doc = to_identity(card, today=TODAY)
    assert doc.expiry_date is None and not doc.expired and doc.ethnic_group == "土家族"
    assert doc.household_city == "430900"


def test_an_expired_card_is_a_field_not_an_exception():
    raw = id_card_text(name="吴刚", sex="1", birth="19850820", number="43010419850820431X",
                       valid_from="20050820", valid_until="20250820")
    doc = to_identity(parse_card_text(raw), today=TODAY)
    assert doc.expired and doc.expiry_date == dt.date(2025, 8, 20)


def test_a_2023_foreigners_card():
    number = "936430198502140119"
    assert check_digit(number[:17]) == number[17]
    raw = (field("本杰明", 30) + field("1", 2) + field("00", 4) + field("19850214", 16)
           + field("OKONKWO-BENNETT CHRISTOPHER ALEXA", 70) + field(number, 36)
           + field("", 30) + field("20240110", 16) + field("20340110", 16)
           + field("NDER", 22) + field("GBR", 6) + field("Y", 2) + field("", 6))
    card = parse_card_text(raw)
    assert isinstance(card, ForeignResidence2023Text)
    assert card.name_en == "OKONKWO-BENNETT CHRISTOPHER ALEXANDER"
    doc = to_identity(card, today=TODAY)
    assert doc.document_type == "foreign_permanent_residence_card"
    assert (doc.name, doc.latin_name, doc.nationality) == ("本杰明", card.name_en, "GBR")
    assert doc.household_city is None and doc.review_reasons == []


def test_a_2017_foreigners_card():
    raw = (field("MUELLER ANNA MARIA", 120) + field("2", 2) + field("DEU110090052801", 30)
           + field("DEU", 6) + field("安娜", 30) + field("20190301", 16)
           + field("20290301", 16) + field("19900528", 16) + field("01", 4)
           + field("1100", 8) + field("I", 2) + field("", 6))
    card = parse_card_text(raw)
    assert isinstance(card, ForeignResidence2017Text)
    doc = to_identity(card, today=TODAY)
    assert (doc.name, doc.latin_name, doc.sex) == ("安娜", "MUELLER ANNA MARIA", "F")
    assert doc.document_number == "DEU110090052801"


def test_a_hong_kong_residents_permit():
    number = "810000199207161314"
    raw = (field("陈家明", 30) + field("1", 2) + field("", 4) + field("19920716", 16)
           + field("广东省深圳市福田区福华路18号", 70) + field(number, 36)
           + field("深圳市公安局", 30) + field("20230601", 16) + field("20280601", 16)
           + field("H12345678", 18) + field("01", 4) + field("", 6) + field("J", 2)
           + field("", 6))
    card = parse_card_text(raw)
    assert isinstance(card, HmtResidencePermitText) and card.issue_count == "01"
    doc = to_identity(card, today=TODAY)
    assert doc.document_type == "hk_macao_taiwan_residence_permit"
    assert doc.other_document_number == "H12345678" and doc.review_reasons == []
    assert region_label(number[:6]) == "香港特别行政区"


def test_inconsistent_numbers_go_to_review():
    raw = id_card_text(number="440106199205203281")  # wrong check digit
    assert "citizen_number_bad_check_digit" in to_identity(parse_card_text(raw)).review_reasons
    raw = id_card_text(birth="19920521")
    assert "citizen_number_birth_date_mismatch" in \
        to_identity(parse_card_text(raw)).review_reasons
    with pytest.raises(BadCardText):
        to_identity(parse_card_text(id_card_text(birth="19921340")))


def test_gb11643_checks():
    assert check_citizen_number("430502199003151236", dt.date(1990, 3, 15), "M").valid
    assert check_citizen_number("43010419850820431x").valid  # lower-case x is X
    assert check_citizen_number("430502199003151236", sex="F").problems == ("sex_mismatch",)
    assert check_citizen_number("000000199003151236").problems[0] == "unknown_region"
    assert check_citizen_number("4305021990031512").problems == ("malformed",)
    assert check_citizen_number("430502199002301236").problems[0] == "bad_birth_date"
    assert check_citizen_number("430502199003151236").prefecture == "430500"


def test_codes_and_regions():
    assert len([c for c in ETHNIC_GROUPS if int(c) <= 56]) == 56
    assert ethnic_group("97") == "其他" and ethnic_group("99") is None
    assert (sex_from_code("1"), sex_from_code("2"), sex_from_code("9")) == ("M", "F", "X")
    assert len(PROVINCES) == 35 and len(PREFECTURES) >= 334
    assert region_label("430502") == "湖南省 邵阳市" and region_label("110105") == "北京市"
    assert prefecture_name("371202") == "莱芜市"  # merged away; old numbers keep the code


def test_no_personal_data_in_reprs():
    card = parse_card_text(id_card_text())
    doc = to_identity(card)
    for text in (repr(card), repr(doc), repr(check_citizen_number(card.number))):
        assert "周静" not in text and "4401" not in text and "1992" not in text
