"""A crash is logged by type and place, never with the values that caused it."""

from __future__ import annotations

import pydantic
import pytest

from kiosk.crash import describe
from protocol import wire


def test_description_names_type_and_place_but_not_the_values():
    with pytest.raises(pydantic.ValidationError) as caught:
        wire.Applicant(document_type="id_card", document_number="430502199003151236" * 2,
                       name="李明", sex="M", birth_date="1990-03-15", nationality="CHN")
    assert "430502199003151236" in str(caught.value)  # the message does carry it...
    text = describe(caught.value)
    assert text.startswith("ValidationError at ") and "test_crash.py" in text
    assert "430502199003151236" not in text and "李明" not in text  # ...the log line does not
