"""Journey counts per local day: whole journeys counted right, kept over a restart, and
carried by the heartbeat (today and yesterday) to the real central server, which adds them
up per kiosk and hall."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from central.fleet.stats import JourneyTotals
from central.storage import db
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import drive_to, menu, to_decision

S = Step
M = wire.FulfilmentMethod
DAY = dt.date(2025, 3, 3)
BUCKETS = len(wire.DURATION_BUCKETS_S) + 1


class Clocks:
    """The journey's monotonic clock and the hall's wall clock, both moved by the test."""

    def __init__(self, at: dt.datetime) -> None:
        self.t, self.at = 1000.0, at

    def mono(self) -> float:
        return self.t

    def now(self) -> dt.datetime:
        return self.at


def buckets(**counts: int) -> list[int]:
    out = [0] * BUCKETS
    for index, n in counts.items():
        out[int(index.lstrip("b"))] = n
    return out


def test_whole_journeys_are_counted_and_the_counts_survive_a_restart(make_kiosk):
    c = Clocks(dt.datetime(2025, 3, 3, 10, 0))
    k = make_kiosk(clock=c.mono, now=c.now)
    drive_to(k, S.FULFILMENT)  # an eligible resident who has the card printed here
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(S.RECEIPT, timeout_s=20)
    c.t += 200  # 3 min 20 s from touching the screen
    k.journey.finish()
    menu(k)
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.journey.cancel()  # walks away at 'present your document'
    to_decision(k, "senior")  # told no permit is needed
    c.t += 30
    k.journey.finish()

    expected = wire.JourneyDay(
        day=DAY, started=3, completed=2, abandoned_at={"present_document": 1},
        decisions={"eligible": 1, "not_required": 1}, cards_printed_here=1, cards_queued=0,
        duration_buckets=buckets(b0=1, b3=1))
    assert k.runtime.journey_days.day(DAY) == expected
    assert (k.journey.stats.started, k.journey.stats.completed, k.journey.stats.cancelled) \
        == (3, 2, 1), "the in-memory counters go on as before"

    k.runtime.stop()  # a restart: the new kiosk opens the same data dir
    k2 = make_kiosk(clock=c.mono, now=c.now)
    assert k2.journey.stats.completed == 0
    assert k2.runtime.journey_days.day(DAY) == expected
    drive_to(k2, S.RECEIPT)  # courier: the card is queued, not printed here
    c.t += 1900
    k2.journey.finish()
    day = k2.runtime.journey_days.day(DAY)
    assert (day.started, day.completed, day.cards_printed_here, day.cards_queued) == (4, 3, 1, 1)
    assert day.decisions == {"eligible": 2, "not_required": 1}
    assert day.duration_buckets == buckets(b0=1, b3=1, b10=1), "over 30 min: the overflow"


def test_old_days_are_pruned_after_the_configured_days(make_kiosk):
    c = Clocks(dt.datetime(2025, 3, 1, 9, 0))
    k = make_kiosk(now=c.now, storage__statistics_keep_days=2)
    k.runtime.housekeeping.stop()  # its pass at start is done; the test runs the next one
    for day in (1, 2, 3, 4):
        c.at = dt.datetime(2025, 3, day, 9, 0)
        menu(k)
        k.journey.cancel()
    days = k.runtime.journey_days
    assert days.days() == [dt.date(2025, 3, d) for d in (1, 2, 3, 4)]
    k.runtime.housekeeping._work()  # the hourly pass, now on 4 March
    assert days.days() == [dt.date(2025, 3, 2), dt.date(2025, 3, 3), dt.date(2025, 3, 4)]


def totals(day: wire.JourneyDay) -> JourneyTotals:
    return JourneyTotals(**day.model_dump(exclude={"day"}))


def test_the_heartbeat_carries_today_and_yesterday_and_nothing_personal(
        make_kiosk, desk, fleet, kiosk_id):
    c = Clocks(dt.datetime(2025, 3, 3, 23, 50))
    k = make_kiosk(url=desk.url, kiosk_id=kiosk_id, clock=c.mono, now=c.now)
    k.runtime.heartbeat.stop()  # the test sends each heartbeat itself
    drive_to(k, S.RECEIPT)
    c.t += 100
    k.journey.finish()
    k.devices.reader.lift()  # the resident takes their card and goes
    c.at = dt.datetime(2025, 3, 4, 0, 10)  # past midnight
    menu(k, "en")
    k.journey.cancel()
    desk.down.add("POST /v1/applications")  # the next application waits in the outbox
    drive_to(k, S.RECEIPT)
    assert k.journey.session.outcome.queued_offline
    k.journey.finish()
    c.at += dt.timedelta(minutes=1)

    assert k.runtime.heartbeat.send_once()
    assert desk.central_status[-1] == 200, "central took it as the wire contract says"
    yesterday = wire.JourneyDay(
        day=DAY, started=1, completed=1, decisions={"eligible": 1}, cards_queued=1,
        duration_buckets=buckets(b1=1))
    assert fleet.journey_stats(None, DAY, DAY).kiosks[kiosk_id] == totals(yesterday)
    today = fleet.journey_stats(None, dt.date(2025, 3, 4), dt.date(2025, 3, 4)).kiosks[kiosk_id]
    assert (today.started, today.completed, today.cards_queued) == (2, 1, 1)
    assert today.abandoned_at == {"service_menu": 1}
    [state] = [s for s in fleet.kiosk_states() if s.kiosk_id == kiosk_id]
    assert state.outbox_depth == 1 and 0 <= state.outbox_oldest_s < 120
    assert state.in_service and state.out_of_service_reason == ""
    assert state.applied_revision is None  # nothing set yet
    sent = desk.last_heartbeat()
    assert [d.day for d in sent.journeys] == [DAY, dt.date(2025, 3, 4)]
    body = sent.model_dump_json()
    for personal in ("430502199003151236", "李明", "12-3-401"):
        assert personal not in body


def test_a_day_with_nothing_yet_sends_today_alone(make_kiosk, fleet, kiosk_id):
    day = dt.date(2025, 6, 1)
    k = make_kiosk(kiosk_id=kiosk_id, now=lambda: dt.datetime(2025, 6, 1, 8, 0))
    k.runtime.heartbeat.stop()
    assert k.runtime.heartbeat.send_once()
    j = db.journey_days
    with fleet.engine.connect() as c:
        days = c.execute(select(j.c.day).where(j.c.kiosk_id == kiosk_id)).scalars().all()
    assert days == [day], "today alone, no empty yesterday"
    assert fleet.journey_stats(None, day, day).kiosks[kiosk_id] == JourneyTotals()
