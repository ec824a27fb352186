"""Enrolment, signed requests and revocation, with the real central server requiring
signatures (``--kiosk-auth required``) and real kiosk runtimes on simulated devices.

A kiosk not enrolled is out of service and says why to the technician; a one-time code (from
central's own command line, typed or read from its QR payload) enrols it; every request is
then signed and every answer checked; a tampered request is refused with its own code; a
revoked kiosk goes out of service, keeps the application it accepted, and sends it once
enrolled again.
"""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys
import time

import pytest
import requests

from central.fleet.service import Fleet
from central.storage.db import make_engine
from kiosk.errors import CentralRejected, InvalidInput, KioskNotTrusted
from kiosk.fleet import credentials as stored
from kiosk.fleet.credentials import Credentials
from kiosk.fleet.enrolment import enrol, read_qr_payload, scan_for_ticket, typed_code
from kiosk.journey.steps import Step
from protocol import signing, wire
from tests.central_server import central_on, enrolment_at
from tests.journey.walk import drive_to

S = Step
HALL = "zz-centre"


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = central_on(tmp_path_factory.mktemp("central"))
    server.kiosk_auth = "required"
    server.extra_args = ("--kiosk-key-cache-s", "0")  # a revocation acts at once
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def enrolment(central):
    with enrolment_at(central) as e:
        yield e


@pytest.fixture(scope="module")
def fleet(central):
    f = Fleet(make_engine(central.database))
    yield f
    f.engine.dispose()


def code_from_cli(central, kiosk_id: str) -> tuple[str, str]:
    """What a technician is given: `python -m central fleet enrolment-code`."""
    out = subprocess.run(
        [sys.executable, "-m", "central", "fleet", "enrolment-code", kiosk_id, "--hall", HALL,
         "--who", "tech-wu", "--public-url", central.url, "--database", central.database],
        capture_output=True, text=True, timeout=60, check=True).stdout
    code = out.split("Enrolment code: ")[1].split()[0]
    payload = out.split("QR payload: ")[1].split()[0]
    return code, payload


def quiet_kiosk(make_kiosk, central, kiosk_id: str):
    k = make_kiosk(url=central.url, kiosk_id=kiosk_id)
    k.runtime.heartbeat.stop()  # each heartbeat when the test says (the outbox's own
    return k                    # round is an hour away: the test calls sync_once)


def test_a_kiosk_not_enrolled_is_out_of_service_until_a_typed_code_enrols_it(
        make_kiosk, central, fleet, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    assert not k.runtime.heartbeat.send_once()
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "kiosk_not_signed"

    code, _ = code_from_cli(central, kiosk_id)
    done = enrol(k.runtime.config, typed_code(code.lower().replace("-", " ")))
    assert (done.kiosk_id, done.hall_id) == (kiosk_id, HALL)
    folder = stored.folder(k.runtime.config.storage.path())
    mode = stat.S_IMODE((folder / stored.KEY_FILE).stat().st_mode)
    assert mode == 0o600, oct(mode)
    k.runtime.use_credentials(done.credentials)
    assert k.runtime.heartbeat.send_once(), "signed, and central's answer verified"
    k.pump(S.ATTRACT)
    assert fleet.hall_of(kiosk_id) == HALL
    with pytest.raises(CentralRejected) as again:
        enrol(k.runtime.config, typed_code(code))
    assert again.value.code == "enrolment_refused", "a code is good once"


def test_the_qr_payload_names_the_kiosk_and_centrals_key(make_kiosk, central, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    _, payload = code_from_cli(central, kiosk_id)
    ticket = read_qr_payload(payload)
    assert ticket.kiosk_id == kiosk_id and ticket.url == central.url
    other = quiet_kiosk(make_kiosk, central, kiosk_id + "-b")
    with pytest.raises(InvalidInput) as wrong:
        enrol(other.runtime.config, ticket)
    assert wrong.value.code == "enrolment_other_kiosk"
    forged = read_qr_payload(payload.replace("fp=", "fp=0000"))
    with pytest.raises(CentralRejected) as impostor:
        enrol(k.runtime.config, forged)
    assert impostor.value.code == "enrolment_wrong_central"
    assert stored.load(k.runtime.config.storage.path()) is None, "nothing kept from it"
    with pytest.raises(InvalidInput):
        read_qr_payload("https://example.invalid/not-ours")


def test_a_code_is_for_its_own_kiosk_and_expires(enrolment, central, make_kiosk, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    theirs = enrolment.issue_code("someone-else", HALL, "tech-wu")
    with pytest.raises(CentralRejected):
        enrol(k.runtime.config, typed_code(theirs.code))
    old = enrolment.issue_code(kiosk_id, HALL, "tech-wu", valid_for=dt.timedelta(seconds=-1))
    with pytest.raises(CentralRejected):
        enrol(k.runtime.config, typed_code(old.code))


def signed_beat(creds: Credentials, central, path_kiosk: str | None = None,
                body: bytes | None = None, now: float | None = None):
    path = f"/v1/kiosks/{path_kiosk or creds.kiosk_id}/heartbeat"
    data = body or wire.Heartbeat(software_version="t", sent_at=wire_now()).model_dump_json() \
        .encode()
    headers = signing.sign_request(creds.key, creds.kiosk_id, "POST", path, data, now=now)
    return path, data, headers


def wire_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def post(central, path: str, data: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(central.url + path, data=data, timeout=5,
                         headers={**headers, "Content-Type": "application/json"})


def test_tampered_requests_are_refused_each_with_its_code(make_kiosk, central, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    creds = enrol(k.runtime.config, typed_code(code_from_cli(central, kiosk_id)[0])).credentials
    path, data, headers = signed_beat(creds, central)
    ok = post(central, path, data, headers)
    assert ok.status_code == 200 and creds.answer_is_centrals(
        headers[signing.NONCE], 200, ok.content, ok.headers.get(signing.CENTRAL_SIGNATURE))

    def code(response: requests.Response) -> str:
        return response.json()["code"]
    assert code(post(central, path, data, headers)) == "replayed_request"
    path, data, headers = signed_beat(creds, central)
    assert code(post(central, path, data.replace(b'"t"', b'"u"'), headers)) == "bad_signature"
    path, data, headers = signed_beat(creds, central, now=time.time() - 600)
    assert code(post(central, path, data, headers)) == "stale_request"
    path, data, headers = signed_beat(creds, central, path_kiosk="test-kiosk")
    assert code(post(central, path, data, headers)) == "wrong_kiosk"
    stranger = Credentials(kiosk_id=kiosk_id, hall_id=HALL, key=stored.new_key(),
                           central_key=creds.central_key)
    path, data, headers = signed_beat(stranger, central)
    assert code(post(central, path, data, headers)) == "bad_signature", "another key"
    unsigned = post(central, path, data, {signing.KIOSK_ID: kiosk_id})
    assert unsigned.status_code == 401 and code(unsigned) == "kiosk_not_signed"
    assert unsigned.json()["message"]["zh_CN"]
    open_route = requests.get(central.url + "/v1/health", timeout=5)
    assert open_route.status_code == 200, "health needs no signature"


def test_an_answer_not_signed_by_the_pinned_central_is_never_applied(
        make_kiosk, central, fleet, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    creds = enrol(k.runtime.config, typed_code(code_from_cli(central, kiosk_id)[0])).credentials
    impostor = Credentials(kiosk_id=kiosk_id, hall_id=HALL, key=creds.key,
                           central_key=stored.new_key().public_key())
    k.runtime.use_credentials(impostor)
    fleet.set_settings(kiosk_id, {"maintenance": True}, who="someone")
    with pytest.raises(KioskNotTrusted) as refused:
        k.runtime.client.heartbeat(wire.Heartbeat(software_version="t",
                                                            sent_at=wire_now()))
    assert refused.value.code == "central_unsigned"
    assert not k.runtime.heartbeat.send_once()
    assert k.runtime.remote_settings.revision == 0, "the settings in it were not applied"


def test_a_revoked_kiosk_keeps_what_it_accepted_and_sends_it_once_enrolled_again(
        make_kiosk, central, enrolment, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    k.runtime.use_credentials(
        enrol(k.runtime.config, typed_code(code_from_cli(central, kiosk_id)[0])).credentials)
    assert k.runtime.heartbeat.send_once()
    drive_to(k, S.FULFILMENT)  # a resident is being served
    subprocess.run([sys.executable, "-m", "central", "fleet", "revoke", kiosk_id, "--who",
                    "manager-li", "--reason", "stolen cabinet key", "--database",
                    central.database], check=True, capture_output=True, timeout=60)
    k.journey.fulfilment.choose(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    assert k.journey.session.outcome.queued_offline, "kept in the outbox, not lost"
    k.journey.finish()
    assert not k.runtime.heartbeat.send_once()
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "kiosk_revoked"
    assert k.runtime.sync.sync_once() == 0 and k.runtime.outbox.depth() == 1
    later = wire_now() + dt.timedelta(hours=1)
    assert k.runtime.outbox.pending(now=later), "still pending (retried later), not held"

    k.runtime.use_credentials(   # a technician enrols it again: a new key
        enrol(k.runtime.config, typed_code(code_from_cli(central, kiosk_id)[0])).credentials)
    assert k.runtime.heartbeat.send_once()
    k.pump(S.ATTRACT)
    [entry] = k.runtime.outbox.pending(now=later)
    k.runtime.outbox.mark_failed(entry.idempotency_key, "test", wire_now())  # due now
    assert k.runtime.sync.sync_once() == 1 and k.runtime.outbox.depth() == 0
    history = enrolment.audit(kiosk_id)
    assert [a["what"] for a in history] == ["code_issued", "enrolled", "revoked", "code_issued",
                                            "enrolled"]
    assert history[2]["who"] == "manager-li" and history[2]["detail"] == "stolen cabinet key"


def test_the_qr_code_held_up_to_the_camera_enrols_the_kiosk(make_kiosk, central, kiosk_id,
                                                             tmp_path):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    png = tmp_path / "enrol.png"
    subprocess.run([sys.executable, "-m", "central", "fleet", "enrolment-code", kiosk_id,
                    "--hall", HALL, "--who", "tech-wu", "--public-url", central.url,
                    "--database", central.database, "--qr", str(png)],
                   check=True, capture_output=True, timeout=60)
    camera = k.devices.camera
    with pytest.raises(InvalidInput) as nothing:  # the drawn resident, no QR code in view
        scan_for_ticket(camera, timeout_s=1.0)
    assert nothing.value.code == "enrolment_qr_none"
    camera.faults.set("shown", str(png))
    ticket = scan_for_ticket(camera, timeout_s=10.0)
    assert ticket.kiosk_id == kiosk_id and ticket.central_fingerprint
    assert camera.latest_frame() is None, "the camera it started is stopped again"
    k.runtime.use_credentials(enrol(k.runtime.config, ticket).credentials)
    assert k.runtime.heartbeat.send_once()


def test_with_keys_held_in_memory_enrolment_acts_at_once_and_revocation_within_seconds(
        make_kiosk, tmp_path_factory, kiosk_id):
    """Central as deployed: the kiosks' keys in memory, refreshed every 2 s."""
    server = central_on(tmp_path_factory.mktemp("central-cached"))
    server.kiosk_auth = "required"
    server.start()
    try:
        k = quiet_kiosk(make_kiosk, server, kiosk_id)
        assert not k.runtime.heartbeat.send_once(), "not enrolled: refused"
        k.runtime.use_credentials(
            enrol(k.runtime.config, typed_code(code_from_cli(server, kiosk_id)[0])).credentials)
        assert k.runtime.heartbeat.send_once(), "the new key is known at once"
        subprocess.run([sys.executable, "-m", "central", "fleet", "revoke", kiosk_id, "--who",
                        "manager-li", "--reason", "test", "--database", server.database],
                       check=True, capture_output=True, timeout=60)
        revoked_at = time.monotonic()
        while k.runtime.heartbeat.send_once():
            assert time.monotonic() - revoked_at < 5, "still served 5 s after revocation"
            time.sleep(0.2)
        k.pump(S.OUT_OF_SERVICE)
        assert k.journey.session.problem.code == "kiosk_revoked"
    finally:
        server.stop()
