"""The demo's fleet dashboard: accounts for a hall manager and a technician, then Chromium
signs in and photographs each page against the demo's own central server, with the demo
kiosk's real heartbeats in it; the technician asks for an enrolment code for a kiosk about to
be installed (demo-kiosk-02, never enrolled: its code simply expires). The passwords are random
for each run and never written down.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from central.dashboard.accounts import Accounts
from central.storage.db import make_engine
from tools.browser import TABLET, Browser

KIOSK = "demo-kiosk-01"


def dashboard_screenshots(central_url: str, database: str, out: Path) -> list[Path]:
    engine = make_engine(database)
    manager, technician = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    try:
        accounts = Accounts(engine)
        accounts.add("li-manager", "hall_manager", ["zz-centre"], manager)
        accounts.add("chen-tech", "technician", ["zz-centre", "zz-hetang"], technician)
    finally:
        engine.dispose()
    shots: list[Path] = []
    with Browser(central_url) as b:
        b.open("/fleet")
        shots.append(b.screenshot(out / "01-login.png"))
        b.sign_in("li-manager", manager)
        shots.append(b.screenshot(out / "02-overview-zh.png"))
        b.open(f"/fleet/kiosks/{KIOSK}")
        shots.append(b.screenshot(out / "03-kiosk-zh.png"))
        b.open("/fleet/stats")
        shots.append(b.screenshot(out / "04-journeys-zh.png"))
        b.submit("a.lang")
        shots.append(b.screenshot(out / "05-journeys-en.png"))
        b.open("/fleet")
        shots.append(b.screenshot(out / "06-overview-en.png"))
        b.resize(TABLET)
        b.open(f"/fleet/kiosks/{KIOSK}")
        shots.append(b.screenshot(out / "07-kiosk-tablet-en.png"))
        b.driver.get("about:blank")  # off the live page before its session ends
        b.driver.delete_all_cookies()
        b.sign_in("chen-tech", technician)
        shots.append(b.screenshot(out / "08-overview-technician-en.png"))
        b.open("/fleet/enrol")
        b.type("input[name=kiosk_id]", "demo-kiosk-02")
        shots.append(b.screenshot(out / "09-enrol-form-en.png"))
        b.submit("button[type=submit].primary")
        shots.append(b.screenshot(out / "10-enrolment-code-en.png"))
    return shots
