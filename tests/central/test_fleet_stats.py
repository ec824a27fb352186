"""Journeys per kiosk and hall from the daily counts kiosks report, median time included."""

from __future__ import annotations

import datetime as dt

import pytest

from central.fleet.stats import BUCKETS, median_from_buckets
from protocol.wire import DURATION_BUCKETS_S
from tests.central.fleet_world import beat, day, fleet_on

D1, D2, D3 = dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)


def buckets(**at: int) -> list[int]:
    """buckets(b180=4): 4 journeys in the bucket whose upper bound is 180 s."""
    out = [0] * BUCKETS
    for name, n in at.items():
        out[BUCKETS - 1 if name == "over" else DURATION_BUCKETS_S.index(int(name[1:]))] = n
    return out


@pytest.mark.parametrize("counts,median", [
    ([0] * BUCKETS, None),
    (buckets(b60=2), 30.0),  # half of 2 is 1: halfway through 0-60 s
    (buckets(b180=4), 150.0),  # 120-180 s, two of four: the middle
    (buckets(b60=1, b300=3), 260.0),  # 2 of 4: first of three in 240-300 s
    (buckets(b120=1, over=5), 1800.0),  # in the open bucket: its lower bound
])
def test_median_from_buckets(counts, median):
    assert median_from_buckets(counts) == median


def test_stats_per_kiosk_hall_and_total_over_the_days_asked(tmp_path):
    fleet = fleet_on(tmp_path)
    fleet.heartbeat("test-kiosk", beat(journeys=[
        day(D1, started=50, completed=1),  # outside the range asked below
        day(D2, started=10, completed=7, abandoned_at={"photo": 2, "declare_residence": 1},
            decisions={"eligible": 5, "not_yet": 2}, cards_printed_here=4, cards_queued=1,
            duration_buckets=buckets(b180=4, b300=3))]))
    fleet.heartbeat("test-kiosk", beat(journeys=[  # the next beat adds today
        day(D3, started=4, completed=3, abandoned_at={"photo": 1}, decisions={"eligible": 3},
            cards_printed_here=2, cards_queued=1, duration_buckets=buckets(b180=3))]))
    fleet.heartbeat("demo-kiosk-01", beat(journeys=[
        day(D3, started=2, completed=2, decisions={"ineligible": 2},
            duration_buckets=buckets(b420=2))]))
    fleet.heartbeat("test-kiosk-01", beat(journeys=[day(D3, started=6, completed=6)]))
    fleet.heartbeat("stray-kiosk", beat(journeys=[day(D3, started=1)]))

    stats = fleet.journey_stats(None, D2, D3)
    k = stats.kiosks["test-kiosk"]
    assert (k.started, k.completed, k.abandoned) == (14, 10, 4)
    assert k.abandoned_at == {"photo": 3, "declare_residence": 1}
    assert k.decisions == {"eligible": 8, "not_yet": 2}
    assert (k.cards_printed_here, k.cards_queued) == (6, 2)
    assert k.median_s == 162.9  # the 5th of 10 is the 5th of 7 in 120-180 s: 120 + 5/7 * 60
    centre = stats.halls["zz-centre"]
    assert centre.started == 16 and centre.decisions["ineligible"] == 2
    assert stats.halls["zz-hetang"].completed == 6 and stats.halls[""].started == 1
    assert stats.total.started == 23
    assert stats.total.summary()["abandoned"] == 4

    only_hetang = fleet.journey_stats(["zz-hetang"], D1, D3)
    assert set(only_hetang.kiosks) == {"test-kiosk-01"} and set(only_hetang.halls) == {"zz-hetang"}


def test_a_day_reported_again_is_replaced_not_added(tmp_path):
    fleet = fleet_on(tmp_path)
    for started in (3, 5, 8):  # the same day, counted up as the day goes
        fleet.heartbeat("test-kiosk", beat(journeys=[day(D3, started=started, completed=1)]))
    assert fleet.journey_stats(None, D3, D3).total.started == 8
