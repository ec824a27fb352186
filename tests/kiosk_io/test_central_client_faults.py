"""The client against a scripted local HTTP server: what is retried, how long it waits, what it raises."""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket

import pytest

from kiosk.errors import CentralRejected, CentralUnavailable
from kiosk.fleet.central_client import CentralClient, backoff_delay, parse_retry_after
from protocol import wire
from tests.kiosk_io import residents
from tests.kiosk_io.fault_server import Reply, ScriptedServer

HEALTHY = Reply(200, {"status": "ok"})
UNAVAILABLE = Reply(503, {"code": "maintenance", "message": {"zh_CN": "维护中", "en": "maintenance"}})
DIRECTORY = {"city": "zhuzhou", "name": {"zh_CN": "株洲", "en": "Zhuzhou"}, "districts": []}


def make_client(url: str, sleeps: list[float], **kw) -> CentralClient:
    kw.setdefault("rng", random.Random(42))
    return CentralClient(base_url=url, kiosk_id="k-1", sleep=sleeps.append, **kw)


def receipt_body() -> dict:
    decision = wire.EligibilityDecision(decision=wire.Decision.ELIGIBLE, reasons=[])
    receipt = wire.ApplicationReceipt(application_number="ZZ-1", state=wire.ApplicationState.RECEIVED,
                                      decision=decision, tracking_url="http://x/t/ZZ-1")
    return receipt.model_dump(mode="json")


def test_503_then_200_is_retried_with_jittered_backoff():
    sleeps: list[float] = []
    with ScriptedServer(UNAVAILABLE, UNAVAILABLE, HEALTHY) as srv:
        client = make_client(srv.url, sleeps, backoff_base_s=0.25, backoff_cap_s=4.0)
        client.health()
    assert len(srv.seen) == 3
    rng = random.Random(42)  # the same draws the client made, in order
    assert sleeps == [rng.uniform(0, 0.25), rng.uniform(0, 0.5)]
    assert 0 <= sleeps[0] <= 0.25 and 0 <= sleeps[1] <= 0.5


def test_backoff_is_truncated_and_jittered():
    rng = random.Random(7)
    for attempt in range(12):
        bound = min(4.0, 0.25 * 2 ** attempt)
        draws = [backoff_delay(attempt, 0.25, 4.0, rng) for _ in range(200)]
        assert all(0 <= d <= bound for d in draws)
        assert max(draws) > bound * 0.8 and min(draws) < bound * 0.2  # spread, not lock-step


def test_503_forever_gives_up_after_retries_plus_one_attempts():
    sleeps: list[float] = []
    with ScriptedServer(UNAVAILABLE) as srv:
        client = make_client(srv.url, sleeps, retries=3)
        with pytest.raises(CentralUnavailable) as err:
            client.directory("zhuzhou")
    assert len(srv.seen) == 4 and len(sleeps) == 3
    assert err.value.status == 503 and err.value.code == "central_unavailable"


def test_retry_after_is_honoured_and_capped():
    sleeps: list[float] = []
    with ScriptedServer(Reply(503, headers={"Retry-After": "2"}),
                        Reply(503, headers={"Retry-After": "120"}), HEALTHY) as srv:
        make_client(srv.url, sleeps, backoff_cap_s=4.0).health()
    assert sleeps == [2.0, 4.0]


def test_retry_after_http_date():
    when = dt.datetime(2030, 1, 1, 0, 0, 30, tzinfo=dt.timezone.utc)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert parse_retry_after(header, now=when.timestamp() - 30) == pytest.approx(30)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_422_is_rejected_at_once_with_the_servers_code_and_sentence():
    sleeps: list[float] = []
    body = {"code": "declaration_incomplete",
            "message": {"zh_CN": "请填写住址", "en": "Please give your address"}}
    with ScriptedServer(Reply(422, body)) as srv:
        client = make_client(srv.url, sleeps)
        with pytest.raises(CentralRejected) as err:
            client.submit_application(residents.submission())
    assert len(srv.seen) == 1 and sleeps == []
    assert err.value.code == "declaration_incomplete" and err.value.status == 422
    assert err.value.message == wire.Text(zh_CN="请填写住址", en="Please give your address")


def test_4xx_without_api_error_body_still_has_a_code():
    with ScriptedServer(Reply(404, {"detail": "Not Found"})) as srv:
        with pytest.raises(CentralRejected) as err:
            make_client(srv.url, []).application_status("ZZ-404")
    assert err.value.code == "http_404" and err.value.message is None


def test_500_is_unavailable_but_not_retried():
    sleeps: list[float] = []
    with ScriptedServer(Reply(500, {})) as srv:
        with pytest.raises(CentralUnavailable) as err:
            make_client(srv.url, sleeps).health()
    assert len(srv.seen) == 1 and sleeps == [] and err.value.status == 500


def test_read_timeout_is_retried_then_unavailable():
    sleeps: list[float] = []
    with ScriptedServer(Reply(200, {"status": "ok"}, delay_s=5.0)) as srv:
        client = make_client(srv.url, sleeps, timeout_s=0.2, retries=1)
        with pytest.raises(CentralUnavailable) as err:
            client.health()
    assert err.value.code == "central_timeout"
    assert len(srv.seen) == 2 and len(sleeps) == 1


def test_connection_refused_is_unavailable_after_retries():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    sleeps: list[float] = []
    client = make_client(f"http://127.0.0.1:{port}", sleeps, retries=2, timeout_s=1.0)
    with pytest.raises(CentralUnavailable) as err:
        client.check_eligibility(residents.eligibility_request("d", "c"))
    assert err.value.status is None and len(sleeps) == 2


def test_heartbeat_is_not_retried():
    sleeps: list[float] = []
    with ScriptedServer(UNAVAILABLE, Reply(200, {"server_time": "2030-01-01T00:00:00Z"})) as srv:
        client = make_client(srv.url, sleeps)
        hb = wire.Heartbeat(software_version="0.1.0", sent_at=dt.datetime.now(dt.timezone.utc))
        with pytest.raises(CentralUnavailable):
            client.heartbeat(hb)
    assert len(srv.seen) == 1 and sleeps == []
    assert srv.seen[0].path == "/v1/kiosks/k-1/heartbeat"


def test_submission_retried_with_the_same_idempotency_key():
    sub = residents.submission()
    with ScriptedServer(Reply(504, {}), Reply(201, receipt_body())) as srv:
        receipt = make_client(srv.url, []).submit_application(sub)
    assert receipt.application_number == "ZZ-1"
    keys = [seen.headers.get(wire.IDEMPOTENCY_HEADER) for seen in srv.seen]
    assert keys == [sub.idempotency_key, sub.idempotency_key]


def test_answer_outside_the_contract_is_unavailable():
    with ScriptedServer(Reply(200, {"unexpected": True})) as srv:
        with pytest.raises(CentralUnavailable) as err:
            make_client(srv.url, []).directory("zhuzhou")
    assert err.value.code == "central_bad_response"


def test_directory_is_fetched_once_per_process():
    with ScriptedServer(Reply(200, DIRECTORY)) as srv:
        client = make_client(srv.url, [])
        first, second = client.directory("zhuzhou"), client.directory("zhuzhou")
    assert first is second and len(srv.seen) == 1


def test_personal_data_never_reaches_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    refused = Reply(422, {"code": "bad", "message": {"zh_CN": "x", "en": "x"}})
    with ScriptedServer(UNAVAILABLE, refused) as srv:
        client = make_client(srv.url, [])
        with pytest.raises(CentralRejected):
            client.submit_application(residents.submission())
        with pytest.raises(CentralRejected):
            client.lookup_status(residents.DOCUMENT_NUMBER)
    assert srv.seen  # the requests really went out, with the data in the body
    assert residents.DOCUMENT_NUMBER.encode() in srv.seen[-1].body
    logged = caplog.text + repr([r.__dict__ for r in caplog.records])
    for secret in (residents.NAME, residents.DOCUMENT_NUMBER, residents.PHOTO_B64[:40]):
        assert secret not in logged
