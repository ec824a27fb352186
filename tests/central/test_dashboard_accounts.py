"""Dashboard accounts and sessions on SQLite on disk, with a clock the test moves; the sign-in
and the API's refusals through the real application (the browser tests in
tests/journey/test_fleet_dashboard.py drive the pages themselves)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import select

from central.api.app import create_app
from central.dashboard.accounts import AccountError, Accounts, LoginRefused, Role, SessionLimits
from central.permits.office import Clock, PermitOffice
from central.permits.policy import POLICY_DIR, load_policies
from central.storage import db
from central.storage.store import CentralStore
from tests.central.fleet_world import MovingClock, fleet_on

PASSWORD = "correct-horse-battery-9"
FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)  # the same algorithm, cheaper


@pytest.fixture
def clock():
    return MovingClock()


@pytest.fixture
def accounts(tmp_path, clock):
    fleet = fleet_on(tmp_path, clock)
    a = Accounts(fleet.engine, SessionLimits(idle_s=600, absolute_s=3600, max_failures=3,
                                             lockout_s=300), clock=clock, hasher=FAST)
    a.add("li-manager", Role.HALL_MANAGER, ["zz-centre"], PASSWORD)
    yield a
    fleet.engine.dispose()


def test_a_password_is_kept_only_as_an_argon2_hash_and_a_session_only_as_a_digest(accounts):
    token, signed = accounts.login("li-manager", PASSWORD)
    with accounts.engine.connect() as c:
        stored = c.execute(select(db.accounts.c.password_hash)).scalar_one()
        sessions = c.execute(select(db.dashboard_sessions)).all()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert len(sessions) == 1 and token not in str(tuple(sessions[0]))
    assert signed.account.hall_scope == ["zz-centre"] and signed.account.can_change_settings


@pytest.mark.parametrize("name,role,halls,password,why", [
    ("Li Manager", "hall_manager", ["zz-centre"], PASSWORD, "user name"),
    ("li2", "hall_manager", ["zz-centre"], "short", "at least 10"),
    ("li3", "hall_manager", [], PASSWORD, "needs at least one hall"),
    ("li4", "technician", ["nowhere"], PASSWORD, "no such hall: nowhere"),
    ("li-manager", "hall_manager", ["zz-centre"], PASSWORD, "exists already"),
])
def test_accounts_that_cannot_be_made_say_why(accounts, name, role, halls, password, why):
    with pytest.raises(AccountError, match=why):
        accounts.add(name, role, halls, password)


def test_wrong_passwords_lock_the_account_for_a_while(accounts, clock):
    for _ in range(3):
        with pytest.raises(LoginRefused) as refused:
            accounts.login("li-manager", "not-the-password")
    assert not refused.value.locked
    with pytest.raises(LoginRefused) as refused:
        accounts.login("li-manager", PASSWORD)  # right, but locked now
    assert refused.value.locked
    clock.advance(301)
    accounts.login("li-manager", PASSWORD)
    with pytest.raises(LoginRefused) as unknown:
        accounts.login("nobody", PASSWORD)
    assert not unknown.value.locked


def test_sessions_end_when_idle_and_after_their_absolute_limit(accounts, clock):
    token, _ = accounts.login("li-manager", PASSWORD)
    clock.advance(599)
    assert accounts.session(token) is not None
    clock.advance(599)
    assert accounts.session(token) is not None, "used within the idle limit: still open"
    clock.advance(601)
    assert accounts.session(token) is None, "idle too long"
    token, _ = accounts.login("li-manager", PASSWORD)
    for _ in range(8):  # busy all along, but an hour is the most a session lives
        clock.advance(500)
        accounts.session(token)
    assert accounts.session(token) is None


def test_a_new_password_or_disabling_ends_every_session(accounts):
    first, _ = accounts.login("li-manager", PASSWORD)
    accounts.set_password("li-manager", "another-long-password")
    assert accounts.session(first) is None
    second, _ = accounts.login("li-manager", "another-long-password")
    accounts.disable("li-manager")
    assert accounts.session(second) is None
    with pytest.raises(LoginRefused):
        accounts.login("li-manager", "another-long-password")


def test_roles_decide_scope_and_changes(accounts):
    admin = accounts.add("zhao-admin", "city_admin", [], PASSWORD)
    tech = accounts.add("chen-tech", "technician", ["zz-centre", "zz-hetang"], PASSWORD)
    assert admin.hall_scope is None and admin.sees_hall(None) and admin.can_change_settings
    assert tech.hall_scope == ["zz-centre", "zz-hetang"] and not tech.can_change_settings
    assert tech.sees_hall("zz-hetang") and not tech.sees_hall("bj-chaoyang")
    assert not tech.sees_hall(None), "a kiosk in no hall is the city administrator's"


@pytest.fixture
def client(tmp_path, clock):
    fleet = fleet_on(tmp_path, clock)
    store = CentralStore(fleet.engine)
    store.create_tables()
    office = PermitOffice(store=store, policies=load_policies(POLICY_DIR),
                          public_url="http://testserver", clock=Clock(now=clock), fleet=fleet)
    Accounts(fleet.engine, hasher=FAST).add("li-manager", "hall_manager", ["zz-centre"],
                                            PASSWORD)
    with TestClient(create_app(office)) as c:
        yield c
    fleet.engine.dispose()


def test_signed_out_pages_go_to_sign_in_and_the_api_says_401(client):
    page = client.get("/fleet", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/fleet/login")
    api = client.get("/fleet/api/kiosks")
    assert api.status_code == 401 and api.json()["message"]["zh_CN"]
    assert api.headers["cache-control"] == "no-store"
    part = client.get("/fleet/part/overview")
    assert part.status_code == 401, "the live part sends the browser back to sign in"


def test_signing_in_needs_the_forms_own_token_and_sets_a_strict_http_only_cookie(client):
    forged = client.post("/fleet/login", data={"username": "li-manager", "password": PASSWORD,
                                               "csrf": "from-another-site"})
    assert forged.status_code == 400 and "页面已过期" in forged.text
    form = client.get("/fleet/login")
    assert "frame-ancestors 'none'" in form.headers["content-security-policy"]
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/fleet/login", data={"username": "li-manager", "password": "nope-nope-1",
                                              "csrf": csrf})
    assert wrong.status_code == 401 and "用户名或密码不正确" in wrong.text
    assert 'value="li-manager"' in wrong.text, "the name typed is kept"
    ok = client.post("/fleet/login", follow_redirects=False,
                     data={"username": "li-manager", "password": PASSWORD, "csrf": csrf})
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/fleet" in cookie
    assert client.get("/fleet/api/kiosks").status_code == 200


def test_the_cli_makes_and_lists_accounts_with_the_password_on_stdin(tmp_path):
    fleet = fleet_on(tmp_path)
    url = str(fleet.engine.url)
    fleet.engine.dispose()

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "central", "accounts", *args,
                               "--database", url], input=stdin, capture_output=True,
                              text=True, timeout=60)
    made = cli("add", "wang-hetang", "--role", "hall_manager", "--hall", "zz-hetang",
               "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0 and "wang-hetang: hall_manager zz-hetang" in made.stdout
    refused = cli("add", "xu-tech", "--role", "technician", "--password-stdin", stdin=PASSWORD)
    assert refused.returncode == 2 and "needs at least one hall" in refused.stderr
    listed = cli("list")
    assert "wang-hetang" in listed.stdout and PASSWORD not in listed.stdout + made.stdout
