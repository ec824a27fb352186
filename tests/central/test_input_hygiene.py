"""NUL, other control characters, lone surrogates and oversized values on every route, on
SQLite and on PostgreSQL: a 422 that names the field or the part, never a 500.

Before, a NUL in a string reached PostgreSQL (which refuses NUL in text) and came back as a
500 on seven routes, two of them public and unsigned (``/track/...``).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator

import pytest
import requests

from protocol import wire
from tests.central import people

BAD_TEXT = {"nul": "a\u0000b", "control": "a\u0007b", "escape": "a\u001bb",
            "c1": "a\u0085b", "long": "x" * (wire.TEXT_MAX_CHARS + 1)}
BAD_IN_PATH = {"nul": "a%00b", "control": "a%07b", "long": "x" * 600,
               "surrogate": "a%ED%A0%80b", "not_utf8": "a%FFb"}
PATH_ROUTES = [
    ("GET", "/v1/applications/{}"), ("POST", "/v1/applications/{}/card-printed"),
    ("GET", "/v1/cities/{}/directory"), ("POST", "/v1/kiosks/{}/heartbeat"),
    ("POST", "/v1/kiosks/{}/enrol"), ("GET", "/track/{}"), ("GET", "/track/ref/{}")]


def bodies() -> dict[str, dict]:
    """A well-formed body for every route that takes one."""
    now = dt.datetime.now(dt.timezone.utc)
    heartbeat = wire.Heartbeat(software_version="1.0", sent_at=now, health={
        "reader": wire.DeviceHealthReport(state="ok", code="", detail="fine")},
        out_of_service_reason="")
    return {
        "/v1/eligibility": people.eligibility(people.A).model_dump(mode="json"),
        "/v1/applications": people.submission(people.A).model_dump(mode="json"),
        "/v1/records": wire.RecordsRequest(city="zhuzhou", applicant=people.A.applicant())
        .model_dump(mode="json"),
        "/v1/applications/lookup": {"document_number": people.A.number},
        "/v1/kiosks/hygiene-kiosk/heartbeat": heartbeat.model_dump(mode="json"),
        "/v1/kiosks/hygiene-kiosk-2/enrol": {"code": "ABCDE-FGHJK",
                                             "public_key": "A" * 43 + "="},
    }


def string_leaves(value: object, path: tuple = ()) -> Iterator[tuple]:
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_leaves(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from string_leaves(item, path + (i,))


def replaced(body: dict, path: tuple, text: str) -> dict:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = text
    return copy


@pytest.mark.parametrize("bad", sorted(BAD_TEXT))
def test_every_string_of_every_body_refuses_bad_text_and_names_it(central, bad):
    session = requests.Session()
    seen = 0
    for route, body in bodies().items():
        if route == "/v1/applications":
            body = dict(body, idempotency_key=secrets.token_hex(16))
        for path in string_leaves(body):
            if path == ("idempotency_key",):
                continue  # also a header: checked below with the rest of the path
            sent = replaced(body, path, BAD_TEXT[bad])
            headers = {wire.IDEMPOTENCY_HEADER: sent["idempotency_key"]} \
                if route == "/v1/applications" else {}
            answer = session.post(central.api[:-3] + route, json=sent, headers=headers,
                                  timeout=10)
            where = f"{route} {'.'.join(map(str, path))}"
            assert answer.status_code == 422, (where, answer.status_code, answer.text[:300])
            error = wire.ApiError.model_validate_json(answer.content)
            assert error.code == "invalid_request", where
            assert str(path[-1]) in error.message.en, (where, error.message.en)
            seen += 1
    assert seen > 40, "every string field of every body"


@pytest.mark.parametrize("bad", sorted(BAD_IN_PATH))
@pytest.mark.parametrize(("method", "route"), PATH_ROUTES)
def test_every_path_parameter_refuses_bad_text(central, method, route, bad):
    url = central.url + route.format(BAD_IN_PATH[bad])
    answer = requests.request(method, url, json={} if method == "POST" else None, timeout=10)
    assert answer.status_code < 500, (url[:120], answer.status_code, answer.text[:300])
    if bad in ("nul", "control"):
        assert answer.status_code == 422, answer.status_code
        assert "path" in wire.ApiError.model_validate_json(answer.content).message.en
    # Bytes that are not UTF-8 reach the routes as U+FFFD (the server's decoding), a
    # character like any other: the route answers as for any unknown value.


def test_a_query_value_with_nul_is_refused_and_named(central):
    answer = requests.get(central.api + "/health", params={"when": "a\u0000b"}, timeout=10)
    assert answer.status_code == 422
    assert "query.when" in wire.ApiError.model_validate_json(answer.content).message.en
