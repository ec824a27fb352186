"""The shipped demo personas are consistent, and bad persona files are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from drivers.reader.base import AccessKind
from drivers.reader.personas import load_documents, parse_document

WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
EXPECTED = {"eligible", "not_yet", "needs_documents", "senior", "local", "renewal",
            "unregistered", "student", "passport_mrz", "permit_pace", "expired"}
TRAVEL_DOCUMENTS = {"passport_mrz", "permit_pace"}


def check_digit(number: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], WEIGHTS)) % 11]


def test_all_personas_are_there():
    assert set(load_documents()) == EXPECTED


@pytest.mark.parametrize("key", sorted(EXPECTED - TRAVEL_DOCUMENTS))
def test_id_numbers_agree_with_birth_date_and_sex(key):
    doc = load_documents()[key]
    number, fields = doc.fields["document_number"], doc.fields
    assert len(number) == 18 and number[17] == check_digit(number)
    assert number[6:14] == f"{fields['birth_date']:%Y%m%d}"
    assert fields["sex"] == ("M" if int(number[16]) % 2 else "F")
    assert doc.access is AccessKind.NONE and fields["document_type"] == "id_card"


def test_only_the_expired_persona_is_expired():
    today = dt.date.today()
    for key, doc in load_documents().items():
        assert (doc.fields["expiry_date"] < today) == (key == "expired"), key


def test_unknown_field_is_named():
    with pytest.raises(ValueError, match="colour"):
        parse_document("x", {"colour": "red"})


def test_documents_file_option(tmp_path):
    path = tmp_path / "docs.toml"
    path.write_text('[one]\ndocument_type = "id_card"\nissuing_state = "CHN"\n'
                    'nationality = "CHN"\nname = "甲"\nsex = "M"\nbirth_date = 2000-01-01\n'
                    'document_number = "1"\nexpiry_date = 2040-01-01\n', encoding="utf-8")
    docs = load_documents(documents_file=str(path))
    assert list(docs) == ["one"] and docs["one"].identity().name == "甲"
