"""Enrolment codes and revocation from the fleet dashboard, in headless Chromium against the
real central server requiring signed kiosks (``--kiosk-auth required``), with real kiosk
runtimes on simulated devices.

A technician asks for a code in the browser and the kiosk's camera reads the QR code off the
page; the kiosk then heartbeats with its new key. A hall manager revokes a kiosk in the
browser, with a reason on record, and the kiosk goes out of service. Another hall's manager
can neither revoke it nor pull it into their hall with a code of their own; a technician
cannot revoke.
"""

from __future__ import annotations

import pytest
import requests

from central.dashboard.accounts import Accounts
from central.fleet.service import Fleet
from central.storage.db import make_engine
from kiosk.errors import CentralRejected
from kiosk.fleet.enrolment import enrol, scan_for_ticket, typed_code
from kiosk.journey.steps import Step
from tests.central_server import central_on, enrolment_at
from tools.browser import Browser

PASSWORD = "correct-horse-battery-9"
HALL, OTHER_HALL = "zz-centre", "zz-hetang"


@pytest.fixture(scope="module")
def central(tmp_path_factory):
    server = central_on(tmp_path_factory.mktemp("central"))
    server.kiosk_auth = "required"  # keys held in memory, refreshed every 2 s (the default)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def enrolment(central):
    with enrolment_at(central) as e:
        yield e


@pytest.fixture(scope="module")
def accounts(central):
    a = Accounts(make_engine(central.database))
    a.add("li-manager", "hall_manager", [HALL], PASSWORD)
    a.add("wang-hetang", "hall_manager", [OTHER_HALL], PASSWORD)
    a.add("chen-tech", "technician", [HALL], PASSWORD)
    yield a
    a.engine.dispose()


@pytest.fixture(scope="module")
def chromium(central):
    with Browser(central.url) as b:
        yield b


@pytest.fixture
def browser(chromium, accounts):
    chromium.driver.get("about:blank")
    chromium.driver.delete_all_cookies()
    yield chromium


def quiet_kiosk(make_kiosk, central, kiosk_id: str):
    k = make_kiosk(url=central.url, kiosk_id=kiosk_id)
    k.runtime.heartbeat.stop()  # each heartbeat when the test says
    return k


def code_in_browser(b: Browser, kiosk_id: str) -> tuple[str, str]:
    """Ask for a code on /fleet/enrol as the signed-in account: (code, QR payload)."""
    b.open("/fleet/enrol")
    b.type("input[name=kiosk_id]", kiosk_id)
    b.submit("button[type=submit].primary")
    return b.attribute(".enrol-code", "data-code"), b.attribute(".qr", "data-payload")


def session_of(b: Browser) -> tuple[requests.Session, str]:
    """requests with the browser's cookies and its page's CSRF token: what a curious
    account could send by hand."""
    s = requests.Session()
    for c in b.driver.get_cookies():
        s.cookies.set(c["name"], c["value"], path=c.get("path", "/"))
    return s, b.attribute("header input[name=csrf]", "value")


def test_a_technician_issues_a_code_and_the_kiosk_reads_its_qr_code_off_the_page(
        make_kiosk, central, browser, enrolment, kiosk_id, tmp_path):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    assert not k.runtime.heartbeat.send_once(), "not enrolled: refused"
    browser.sign_in("chen-tech", PASSWORD)
    browser.submit("header nav a[href='/fleet/enrol']")
    halls = browser.driver.find_elements("css selector", "select[name=hall_id] option")
    assert [h.get_attribute("value") for h in halls] == [HALL], "only the technician's hall"
    code, payload = code_in_browser(browser, kiosk_id)
    page = browser.text()
    assert code in page and kiosk_id in page and "只能使用一次" in page
    png = tmp_path / "qr-on-screen.png"
    browser.driver.find_element("css selector", ".qr").screenshot(str(png))

    k.devices.camera.faults.set("shown", str(png))  # the tablet held up to the lens
    ticket = scan_for_ticket(k.devices.camera, timeout_s=10.0)
    assert ticket.kiosk_id == kiosk_id and ticket.code == code
    k.runtime.use_credentials(enrol(k.runtime.config, ticket).credentials)
    assert k.runtime.heartbeat.send_once(), "signed with the new key and accepted"
    assert Fleet(enrolment.engine).hall_of(kiosk_id) == HALL
    with pytest.raises(CentralRejected):
        enrol(k.runtime.config, typed_code(code))  # good once

    browser.open(f"/fleet/kiosks/{kiosk_id}")
    card = browser.text("#credentials")
    held = enrolment.credential(kiosk_id)
    assert "已登记" in card and held.fingerprint in card
    assert "chen-tech" in card and "签发登记码" in card and "用其登记码登记" in card
    assert "hall" not in card and "code by" not in card, "no English inside the Chinese page"
    assert not browser.driver.find_elements("css selector", "form.revoke"), \
        "a technician is not offered revocation"
    s, csrf = session_of(browser)
    refused = s.post(f"{central.url}/fleet/kiosks/{kiosk_id}/revoke",
                     data={"csrf": csrf, "reason": "testing"}, allow_redirects=False)
    assert refused.status_code == 403 and enrolment.credential(kiosk_id).revoked_at is None


def test_a_hall_manager_revokes_a_kiosk_in_the_browser_and_it_goes_out_of_service(
        make_kiosk, central, browser, enrolment, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    browser.sign_in("li-manager", PASSWORD)
    code, _ = code_in_browser(browser, kiosk_id)
    k.runtime.use_credentials(enrol(k.runtime.config, typed_code(code)).credentials)
    assert k.runtime.heartbeat.send_once()

    browser.open(f"/fleet/kiosks/{kiosk_id}")
    s, csrf = session_of(browser)
    blank = s.post(f"{central.url}/fleet/kiosks/{kiosk_id}/revoke",
                   data={"csrf": csrf, "reason": "  "}, allow_redirects=False)
    assert blank.status_code == 422 and "请填写撤销原因" in blank.text
    assert enrolment.credential(kiosk_id).revoked_at is None
    browser.type("form.revoke input[name=reason]", "机柜钥匙丢失")
    browser.submit("form.revoke button.danger")
    card = browser.text("#credentials")
    assert "已撤销" in card and "机柜钥匙丢失" in card and "li-manager" in card
    assert not browser.driver.find_elements("css selector", "form.revoke")
    assert enrolment.credential(kiosk_id).revoked_at is not None

    browser.wait_for(lambda: not k.runtime.heartbeat.send_once(), timeout_s=15,
                     what="central refusing the revoked kiosk (keys refresh every 2 s)")
    k.pump(Step.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "kiosk_revoked"


def test_another_halls_manager_can_neither_revoke_a_kiosk_nor_claim_it_with_a_code(
        make_kiosk, central, browser, enrolment, kiosk_id):
    k = quiet_kiosk(make_kiosk, central, kiosk_id)
    issued = enrolment.issue_code(kiosk_id, HALL, "tech-wu")
    k.runtime.use_credentials(enrol(k.runtime.config, typed_code(issued.code)).credentials)
    record = len(enrolment.audit(kiosk_id))

    browser.sign_in("wang-hetang", PASSWORD)
    browser.open(f"/fleet/kiosks/{kiosk_id}")
    assert "没有这台自助机" in browser.text()
    s, csrf = session_of(browser)
    revoke = s.post(f"{central.url}/fleet/kiosks/{kiosk_id}/revoke",
                    data={"csrf": csrf, "reason": "not mine"}, allow_redirects=False)
    assert revoke.status_code == 404
    claim = s.post(f"{central.url}/fleet/enrol",
                   data={"csrf": csrf, "kiosk_id": kiosk_id, "hall_id": OTHER_HALL})
    assert claim.status_code == 422 and "您负责范围以外" in claim.text
    elsewhere = s.post(f"{central.url}/fleet/enrol",
                       data={"csrf": csrf, "kiosk_id": kiosk_id + "-new", "hall_id": HALL})
    assert elsewhere.status_code == 422 and "请选择您负责的服务厅" in elsewhere.text
    forged = s.post(f"{central.url}/fleet/enrol",
                    data={"csrf": "forged", "kiosk_id": kiosk_id + "-b", "hall_id": OTHER_HALL})
    assert forged.status_code == 403
    assert len(enrolment.audit(kiosk_id)) == record, "no code issued, nothing revoked"
    assert enrolment.audit(kiosk_id + "-b") == [] and enrolment.audit(kiosk_id + "-new") == []
    assert enrolment.credential(kiosk_id).revoked_at is None
    assert k.runtime.heartbeat.send_once()


def test_a_bad_kiosk_id_is_refused_on_the_form_and_what_was_typed_is_kept(browser):
    browser.sign_in("li-manager", PASSWORD)
    browser.open("/fleet/enrol")
    browser.type("input[name=kiosk_id]", "厅 1/自助机")
    browser.submit("button[type=submit].primary")
    assert "自助机编号格式不正确" in browser.text()
    assert browser.attribute("input[name=kiosk_id]", "value") == "厅 1/自助机"
    browser.submit("a.lang")
    browser.open("/fleet/enrol")
    assert "Issue an enrolment code" in browser.text()
    browser.submit("a.lang")
