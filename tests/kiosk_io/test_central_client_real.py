"""The client against the real central server over loopback HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.errors import CentralRejected
from protocol import wire
from tests.kiosk_io import residents


def test_health_reports_latency(client):
    latency = client.health()
    assert 0 < latency < 5


def test_li_ming_is_eligible(client, zhuzhou_codes):
    decision = client.check_eligibility(residents.eligibility_request(*zhuzhou_codes))
    assert decision.decision == wire.Decision.ELIGIBLE, [r.code for r in decision.reasons]


def test_resubmission_with_the_same_key_creates_one_application(client, zhuzhou_codes):
    before = len(client.lookup_status(residents.DOCUMENT_NUMBER))
    sub = residents.submission(*zhuzhou_codes)
    first = client.submit_application(sub)
    again = client.submit_application(sub)
    assert not first.replayed and again.replayed
    assert again.application_number == first.application_number
    assert len(client.lookup_status(residents.DOCUMENT_NUMBER)) == before + 1


def test_status_by_number_and_by_document(client, zhuzhou_codes):
    receipt = client.submit_application(residents.submission(*zhuzhou_codes))
    status = client.application_status(receipt.application_number)
    assert status.application_number == receipt.application_number
    assert status.city == residents.CITY and status.history
    numbers = {s.application_number for s in client.lookup_status(residents.DOCUMENT_NUMBER)}
    assert receipt.application_number in numbers


def test_unknown_application_is_rejected_with_a_code(client):
    with pytest.raises(CentralRejected) as err:
        client.application_status("NO-SUCH-APPLICATION")
    assert err.value.status == 404 and err.value.code and err.value.message


def test_same_key_other_body_is_a_conflict(client, zhuzhou_codes):
    sub = residents.submission(*zhuzhou_codes)
    client.submit_application(sub)
    with pytest.raises(CentralRejected) as err:
        client.submit_application(sub.model_copy(update={"kiosk_id": "another-kiosk"}))
    assert err.value.status == 409


def test_directory_is_cached_for_the_process(client):
    first = client.directory(residents.CITY)
    assert first.city == residents.CITY and first.districts
    client.base_url = "http://127.0.0.1:9"  # nothing listens there: a second fetch would fail
    assert client.directory(residents.CITY) is first


def test_heartbeat_answers_with_server_time(client):
    now = dt.datetime.now(dt.timezone.utc)
    answer = client.heartbeat(wire.Heartbeat(software_version="0.1.0", sent_at=now, outbox_depth=2))
    server_time = answer.server_time
    if server_time.tzinfo is None:
        server_time = server_time.replace(tzinfo=dt.timezone.utc)
    assert abs(server_time - now) < dt.timedelta(minutes=1)
