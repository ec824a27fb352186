"""One clock per city: every "today" is the city's own date (Asia/Shanghai), whatever the
server's zone. The night is when a 24-hour hall matters: at 00:01 in Zhuzhou the server's UTC
date is still yesterday's.

Source: Zhuzhou follows the regulation, "6 months from the residence registration" (the
project's domain notes on the Zhuzhou seed): the day the six months are complete is a local
day, the one the kiosk shows the resident, so central must judge on it too."""

from __future__ import annotations

import datetime as dt

import pytest

from central.demo_seed.residents import seed_demo
from central.permits.office import Clock, PermitOffice
from central.permits.policy import POLICY_DIR, load_policies
from central.storage.db import make_engine
from central.storage.store import CentralStore
from protocol import wire
from tests.central import people

UTC = dt.timezone.utc
# 王芳 (persona B) registered her residence 90 days before the seed day: 2025-09-15. Six
# months from then, she is eligible from 2026-03-15, local date.
SEEDED = dt.date(2025, 12, 14)
SINCE = dt.date(2025, 9, 15)


def office_at(tmp_path, instant: dt.datetime) -> PermitOffice:
    store = CentralStore(make_engine(f"sqlite:///{tmp_path / 'central.db'}"))
    store.create_tables()
    seed_demo(store, SEEDED)
    return PermitOffice(store=store, policies=load_policies(POLICY_DIR),
                        public_url="http://127.0.0.1:9", clock=Clock(now=lambda: instant))


def asking(since: dt.date) -> wire.EligibilityRequest:
    request = people.eligibility(people.B)
    declaration = request.declaration.model_copy(update={"since": since})
    return request.model_copy(update={"declaration": declaration})


@pytest.mark.parametrize(("utc", "local_day"), [
    (dt.datetime(2026, 3, 14, 15, 59, tzinfo=UTC), dt.date(2026, 3, 14)),  # 23:59 local
    (dt.datetime(2026, 3, 14, 16, 1, tzinfo=UTC), dt.date(2026, 3, 15)),   # 00:01 local
])
def test_today_is_the_citys_date_not_the_servers(tmp_path, utc, local_day):
    office = office_at(tmp_path, utc)
    assert office.today("zhuzhou") == local_day
    assert utc.date() == dt.date(2026, 3, 14), "the server's own (UTC) date, for contrast"


def test_six_months_are_complete_at_one_minute_past_local_midnight(tmp_path):
    before = office_at(tmp_path, dt.datetime(2026, 3, 14, 15, 59, tzinfo=UTC))
    after = office_at(tmp_path, dt.datetime(2026, 3, 14, 16, 1, tzinfo=UTC))
    assert before.eligibility(asking(SINCE)).decision is wire.Decision.NOT_YET
    assert after.eligibility(asking(SINCE)).decision is not wire.Decision.NOT_YET


def test_a_policy_names_a_zone_that_exists(tmp_path):
    from central.permits.policy import CityPolicy
    zhuzhou = load_policies(POLICY_DIR)["zhuzhou"]
    assert zhuzhou.time_zone == "Asia/Shanghai"
    with pytest.raises(ValueError):
        CityPolicy.model_validate({**zhuzhou.model_dump(mode="json"), "time_zone": "Mars/Base"})
