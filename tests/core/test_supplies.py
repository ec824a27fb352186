"""Time to empty comes from the hall's recent pace; a refill starts the count afresh."""

from __future__ import annotations

from drivers.printer.base import Level, Supplies, Supply
from kiosk.devices.supplies import HISTORY_LIMIT, SupplyTracker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def cards(left: int, level: Level = Level.OK) -> dict[str, Supplies]:
    return {"card_printer": Supplies((Supply("cards", level, left),
                                      Supply("ribbon", Level.UNKNOWN, None)))}


def by_supply(tracker: SupplyTracker) -> dict[str, object]:
    return {f.supply: f for f in tracker.forecast()}


def test_pace_and_time_to_empty():
    clock = Clock()
    tracker = SupplyTracker(window_s=6 * 3600, clock=clock)
    for hour, left in enumerate([100, 96, 92, 88]):  # four cards an hour
        clock.now = hour * 3600
        tracker.observe(cards(left))
    f = by_supply(tracker)["cards"]
    assert f.remaining == 88 and f.per_hour == 4.0 and f.hours_to_empty == 22.0
    assert by_supply(tracker)["ribbon"].per_hour is None, "not counted: no pace, no guess"


def test_a_refill_starts_afresh_and_idle_means_no_forecast():
    clock = Clock()
    tracker = SupplyTracker(clock=clock)
    tracker.observe(cards(5, Level.LOW))
    clock.now = 3600
    tracker.observe(cards(3, Level.LOW))
    clock.now = 3700
    tracker.observe(cards(200))  # a technician filled the hopper
    f = by_supply(tracker)["cards"]
    assert f.remaining == 200 and f.per_hour is None and f.hours_to_empty is None
    assert f.level == "ok"


def test_only_the_recent_window_counts_and_history_is_bounded():
    clock = Clock()
    tracker = SupplyTracker(window_s=3600, clock=clock)
    tracker.observe(cards(1000))
    clock.now = 100
    tracker.observe(cards(900))  # a burst long ago
    for i in range(HISTORY_LIMIT * 3):
        clock.now = 10_000 + i * 60
        tracker.observe(cards(900 - i // 10))
    f = by_supply(tracker)["cards"]
    assert f.per_hour is not None and 5 <= f.per_hour <= 7  # one card per 10 min, not the burst
    assert len(tracker._history[("card_printer", "cards")]) <= HISTORY_LIMIT
