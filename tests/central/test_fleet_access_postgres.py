"""Dashboard accounts and kiosk enrolment on PostgreSQL too (central's database by URL):
the same service code, the same answers as on SQLite."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher

from central.dashboard.accounts import Accounts, LoginRefused
from central.demo_seed.residents import seed_fleet
from central.fleet.enrolment import Enrolment
from central.fleet.service import Fleet
from central.storage.db import create_tables, make_engine
from kiosk.fleet.credentials import new_key
from protocol.signing import public_key_text

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


@pytest.fixture
def engine(postgres):
    e = make_engine(postgres.new_database(f"access_{dt.datetime.now():%H%M%S%f}"))
    create_tables(e)
    seed_fleet(Fleet(e))
    yield e
    e.dispose()


def test_accounts_and_sessions_on_postgresql(engine):
    accounts = Accounts(engine, hasher=FAST)
    accounts.add("li-manager", "hall_manager", ["zz-centre"], "correct-horse-9")
    token, signed = accounts.login("li-manager", "correct-horse-9")
    assert accounts.session(token).account.hall_scope == ["zz-centre"]
    with pytest.raises(LoginRefused):
        accounts.login("li-manager", "wrong-password")
    accounts.disable("li-manager")
    assert accounts.session(token) is None


def test_enrolment_and_revocation_on_postgresql(engine):
    enrolment = Enrolment(engine, new_key(), "http://central.invalid")
    before = enrolment.clock()
    issued = enrolment.issue_code("pg-kiosk", "zz-centre", "tech-wu")
    key = public_key_text(new_key())
    assert enrolment.enrol("pg-kiosk", issued.code, key) == enrolment.central_public_key
    assert enrolment.key_of("pg-kiosk") == (key, False)
    assert enrolment.keys_changed_since(before) == [("pg-kiosk", key, False)]
    assert enrolment.revoke("pg-kiosk", "manager-li", "test")
    assert enrolment.key_of("pg-kiosk") == (key, True)
    assert Fleet(engine).hall_of("pg-kiosk") == "zz-centre"
    assert [a["what"] for a in enrolment.audit("pg-kiosk")] == ["code_issued", "enrolled",
                                                                "revoked"]
