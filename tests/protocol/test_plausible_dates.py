"""Dates no one can state are refused at the wire, with the field named: a birth in the
future, a residence that began before its resident was born or after today, a question about
a day centuries away."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from protocol import wire

TODAY = dt.date.today()


def applicant(born: dt.date) -> dict:
    return {"document_type": "id_card", "document_number": "430502199003151236", "name": "李明",
            "sex": "M", "birth_date": born.isoformat(), "nationality": "CHN"}


def declaration(since: dt.date) -> dict:
    return {"since": since.isoformat(), "condition": "employment",
            "address": {"district": "tianyuan", "community": "liyu", "detail": "1-101"}}


def request(born=dt.date(1990, 3, 15), since=dt.date(2024, 1, 1), on_date=None) -> dict:
    body = {"city": "zhuzhou", "service": "new", "applicant": applicant(born),
            "declaration": declaration(since)}
    if on_date is not None:
        body["on_date"] = on_date.isoformat()
    return body


@pytest.mark.parametrize(("body", "field"), [
    (request(born=dt.date(2030, 1, 1)), "birth_date"),
    (request(born=dt.date(1899, 12, 31)), "birth_date"),
    (request(since=TODAY + dt.timedelta(days=30)), "since"),
    (request(born=dt.date(2000, 1, 1), since=dt.date(1999, 1, 1)), "since"),
    (request(on_date=dt.date(1, 1, 1)), "on_date"),
    (request(on_date=dt.date(9999, 12, 31)), "on_date"),
])
def test_an_impossible_date_is_refused_and_named(body, field):
    with pytest.raises(ValidationError) as refused:
        wire.EligibilityRequest.model_validate(body)
    assert field in str(refused.value)


def test_plausible_dates_pass():
    wire.EligibilityRequest.model_validate(request(on_date=TODAY + dt.timedelta(days=200)))
    wire.EligibilityRequest.model_validate(request(born=TODAY, since=TODAY))
