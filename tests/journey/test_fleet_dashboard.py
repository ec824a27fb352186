"""The fleet dashboard in headless Chromium (Debian's, through Selenium) against the real
central server on loopback, with a real kiosk runtime on simulated devices heartbeating it
every second: paper running out turns the kiosk Warning on the open page and alerts a real
webhook; silence turns it Offline; a hall manager sees and changes only their own halls, in
the browser and on the API with their own session; a notice typed in the browser reaches the
kiosk's attract screen, with the change recorded.

Central runs with ``--offline-after-s 6`` so silence shows within seconds; the 75 s default
(Offline on the open page within 90 s of the last beat, with its 5 s refresh) is checked in
tests/central (Thresholds) and in test_fleet_end_to_end.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests

from central.dashboard.accounts import Accounts
from central.fleet.service import Fleet
from central.storage.db import make_engine
from tests.central.receivers import WebhookReceiver
from tests.central_server import central_on
from tools.browser import TABLET, Browser

KIOSK = "test-kiosk"  # in hall zz-centre (the demo seed)
OTHER_HALL_KIOSK = "test-kiosk-01"  # in hall zz-hetang
PASSWORD = "correct-horse-battery-9"
NOTICE_ZH, NOTICE_EN = "明早8点前暂停制证，可选邮寄", "No card printing before 8:00; post instead"
SHOTS = Path(os.environ.get("DASHBOARD_SHOTS", "")) if os.environ.get("DASHBOARD_SHOTS") else None


@pytest.fixture(scope="module")
def webhook():
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="module")
def central(tmp_path_factory, webhook):
    server = central_on(tmp_path_factory.mktemp("central"))
    server.extra_args = ("--alerts-interval-s", "0.5", "--alert-webhook", webhook.url,
                         "--offline-after-s", "6")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fleet(central):
    f = Fleet(make_engine(central.database))
    yield f
    f.engine.dispose()


@pytest.fixture(scope="module")
def accounts(fleet):
    a = Accounts(fleet.engine)
    a.add("li-manager", "hall_manager", ["zz-centre"], PASSWORD)
    a.add("wang-hetang", "hall_manager", ["zz-hetang"], PASSWORD)
    a.add("chen-tech", "technician", ["zz-centre"], PASSWORD)
    a.add("zhao-admin", "city_admin", [], PASSWORD)
    return a


@pytest.fixture(scope="module")
def chromium(central):
    with Browser(central.url) as b:
        yield b


@pytest.fixture
def browser(chromium, accounts):
    """The module's Chromium, signed out and in Chinese at the start of each test. It leaves
    the page first: a live part refreshing while signed out would reload the page under the
    next test's feet."""
    chromium.driver.get("about:blank")
    chromium.driver.delete_all_cookies()
    yield chromium


def live_kiosk(make_kiosk, central):
    """A real kiosk runtime that heartbeats central every second by itself."""
    return make_kiosk(url=central.url, central__heartbeat_s=1)


def card_state(b: Browser, kiosk_id: str) -> str | None:
    return b.attribute(f'article[data-kiosk="{kiosk_id}"] .badge', "data-state")


def api_session(b: Browser) -> requests.Session:
    """requests with the browser's own cookies: what a curious manager could try."""
    s = requests.Session()
    for c in b.driver.get_cookies():
        s.cookies.set(c["name"], c["value"], path=c.get("path", "/"))
    return s


def shot(b: Browser, name: str) -> None:
    if SHOTS is not None:
        b.screenshot(SHOTS / f"{name}.png")


def test_paper_out_turns_the_kiosk_warning_on_the_open_page_and_alerts_the_webhook(
        make_kiosk, central, browser, webhook):
    k = live_kiosk(make_kiosk, central)
    browser.open("/fleet")  # signed out: the sign-in page
    shot(browser, "00-login")
    browser.sign_in("li-manager", PASSWORD)
    browser.wait_for(lambda: card_state(browser, KIOSK) == "ok", what="the kiosk showing OK")
    browser.driver.execute_script("window.__notReloaded = true")
    k.devices.receipt_printer.faults.set("paper_out", -1)
    k.runtime.monitor.poll_once()
    browser.wait_for(lambda: card_state(browser, KIOSK) == "warning",
                     what="the card turning Warning")
    assert browser.driver.execute_script("return window.__notReloaded === true"), \
        "the part refreshed itself; the page was not reloaded"
    card = browser.text(f'article[data-kiosk="{KIOSK}"]')
    assert "警告" in card and "回执纸已用完" in card, card
    shot(browser, "01-overview-zh")
    bodies = webhook.wait_for(1)
    paper = [b for b in bodies if b["kiosk_id"] == KIOSK and b["kind"] == "paper_low"]
    assert paper and paper[0]["status"] == "raised", bodies
    browser.submit("a.lang")
    browser.wait_for(lambda: "Receipt paper ran out" in browser.text(
        f'article[data-kiosk="{KIOSK}"]'), what="the English page")
    assert "Warning" in browser.text(f'article[data-kiosk="{KIOSK}"]')
    shot(browser, "02-overview-en")
    browser.submit("a.lang")  # back to Chinese for the next tests
    k.devices.receipt_printer.faults.clear("paper_out")
    k.runtime.monitor.poll_once()
    browser.wait_for(lambda: card_state(browser, KIOSK) == "ok", what="paper back: OK again")


def test_a_kiosk_that_stops_heartbeating_turns_offline_on_the_open_page(
        make_kiosk, central, browser):
    k = live_kiosk(make_kiosk, central)
    browser.sign_in("li-manager", PASSWORD)
    browser.wait_for(lambda: card_state(browser, KIOSK) == "ok", what="the kiosk showing OK")
    k.runtime.heartbeat.stop()  # the network cable is pulled
    browser.wait_for(lambda: card_state(browser, KIOSK) == "offline", timeout_s=20,
                     what="the card turning Offline")
    assert "没有心跳" in browser.text(f'article[data-kiosk="{KIOSK}"]')


def test_a_hall_manager_sees_and_changes_only_their_own_halls(central, fleet, browser):
    browser.sign_in("wang-hetang", PASSWORD)
    shown = browser.texts("article.kiosk h3 a")
    assert OTHER_HALL_KIOSK in shown and KIOSK not in shown, shown
    browser.open(f"/fleet/kiosks/{KIOSK}")
    assert "没有这台自助机" in browser.text()
    browser.open(f"/fleet/kiosks/{OTHER_HALL_KIOSK}")  # their own: a form with their token
    csrf = browser.attribute("form.settings input[name=csrf]", "value")
    before = fleet.audit(KIOSK)

    api = api_session(browser)
    listed = api.get(central.url + "/fleet/api/kiosks", timeout=5).json()
    assert {s["hall_id"] for s in listed} == {"zz-hetang"}
    got = api.get(f"{central.url}/fleet/api/kiosks/{KIOSK}", timeout=5)
    assert got.status_code == 404 and got.json()["code"] == "unknown_kiosk"
    put = api.put(f"{central.url}/fleet/api/kiosks/{KIOSK}/settings",
                  json={"maintenance": True}, headers={"X-CSRF-Token": csrf}, timeout=5)
    assert put.status_code == 404
    form = api.post(f"{central.url}/fleet/kiosks/{KIOSK}/settings", timeout=5,
                    data={"csrf": csrf, "maintenance": "on", "services": "new"})
    assert form.status_code == 404
    assert fleet.audit(KIOSK) == before and not fleet.settings_for(KIOSK)[1].maintenance
    mine = api.put(f"{central.url}/fleet/api/kiosks/{OTHER_HALL_KIOSK}/settings",
                   json={"attract_notice": None}, headers={"X-CSRF-Token": "forged"}, timeout=5)
    assert mine.status_code == 403 and mine.json()["code"] == "csrf"


def test_a_technician_sees_the_kiosk_but_cannot_change_it(central, fleet, browser):
    browser.sign_in("chen-tech", PASSWORD)
    browser.open(f"/fleet/kiosks/{KIOSK}")
    assert "只能查看" in browser.text() and not browser.driver.find_elements(
        "css selector", "form.settings")
    api = api_session(browser)
    csrf = browser.attribute("header form input[name=csrf]", "value")
    put = api.put(f"{central.url}/fleet/api/kiosks/{KIOSK}/settings",
                  json={"maintenance": True}, headers={"X-CSRF-Token": csrf}, timeout=5)
    assert put.status_code == 403 and put.json()["code"] == "forbidden"


def test_a_notice_typed_in_the_browser_reaches_the_kiosks_attract_screen(
        make_kiosk, central, fleet, browser):
    k = live_kiosk(make_kiosk, central)
    browser.sign_in("li-manager", PASSWORD)
    browser.open(f"/fleet/kiosks/{KIOSK}")
    browser.type("#notice_zh", NOTICE_ZH)
    browser.type("#notice_en", NOTICE_EN)
    browser.submit("#save")
    saved = browser.text(".saved")
    assert "已保存为第" in saved, saved
    revision, settings = fleet.settings_for(KIOSK)
    assert settings.attract_notice.zh_CN == NOTICE_ZH and settings.attract_notice.en == NOTICE_EN
    entry = fleet.audit(KIOSK)[0]
    assert (entry.revision, entry.who) == (revision, "li-manager")
    assert entry.changes["attract_notice.zh_CN"][1] == NOTICE_ZH
    assert entry.changes["attract_notice.en"][1] == NOTICE_EN
    audit = browser.text(".audit")
    assert "li-manager" in audit and f"待机屏通知·英文：– → {NOTICE_EN}" in audit, audit

    def shown() -> bool:
        k.pump()  # the answer is handled on the journey's thread
        notice = k.journey.availability.attract_notice()
        return notice is not None and (notice.zh_CN, notice.en) == (NOTICE_ZH, NOTICE_EN)
    browser.wait_for(shown, timeout_s=15, what="the notice on the attract screen")
    browser.wait_for(lambda: f"已应用 {revision}" in browser.text(".live"), timeout_s=15,
                     what="the page saying the kiosk applied it")
    shot(browser, "03-kiosk")
    browser.type("#notice_en", "")  # one language alone is refused, and nothing typed is lost
    browser.submit("#save")
    assert "设置未保存" in browser.text(".problem")
    assert browser.attribute("#notice_zh", "value") == NOTICE_ZH
    assert fleet.settings_for(KIOSK)[0] == revision


def test_statistics_and_the_tablet_view(make_kiosk, central, browser):
    browser.sign_in("zhao-admin", PASSWORD)
    browser.open("/fleet/stats")
    text = browser.text()
    assert "株洲市政务服务中心" in text and "望京" in text, "a city administrator sees every hall"
    shot(browser, "04-stats")
    browser.resize(TABLET)
    try:
        browser.open("/fleet")
        width = browser.driver.execute_script("return document.documentElement.scrollWidth")
        assert width <= TABLET[0], "no sideways scrolling on a tablet"
        shot(browser, "05-overview-tablet")
    finally:
        browser.resize((1366, 900))
