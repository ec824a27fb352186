"""Journey counts per day on disk: buckets, codes only, and a file that outlives the process."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.fleet import daily_counts as jd
from kiosk.fleet.statistics import JourneyEnd, JourneyStatistics
from protocol import wire

DAY = dt.date(2025, 3, 3)


@pytest.mark.parametrize("seconds,bucket", [(0, 0), (60, 0), (60.5, 1), (300, 4), (1800, 9),
                                            (1801, 10), (86400, 10)])
def test_durations_fall_in_the_wire_buckets_with_one_overflow(seconds, bucket):
    assert jd.duration_bucket(seconds) == bucket
    assert len(wire.DURATION_BUCKETS_S) == 10


def test_counts_are_kept_in_the_file_and_read_back_per_day(tmp_path):
    days = jd.JourneyDays(tmp_path / "s.sqlite3")
    stats = JourneyStatistics(days=days, today=lambda: DAY)
    stats.record_start()
    stats.record_end("completed", "receipt", JourneyEnd(
        "completed", "receipt", day=DAY, decision="eligible", card=jd.CARD_HERE,
        duration_s=250))
    stats.record_start()
    stats.record_end("idle_timeout", "photo", JourneyEnd(
        "idle_timeout", "photo", day=DAY, decision="not_yet"))
    days.close()
    again = jd.JourneyDays(tmp_path / "s.sqlite3")
    got = again.day(DAY)
    assert (got.started, got.completed, got.abandoned_at, got.cards_printed_here) == (
        2, 1, {"photo": 1}, 1)
    assert got.decisions == {"eligible": 1, "not_yet": 1}
    assert got.duration_buckets[4] == 1 and sum(got.duration_buckets) == 1
    assert again.day(DAY + dt.timedelta(days=1)).started == 0
    assert stats.timed_out == 1 and stats.abandoned_at == {"photo": 1}
    again.close()


def test_only_codes_are_counted_never_a_sentence_or_a_name(tmp_path):
    days = jd.JourneyDays(tmp_path / "s.sqlite3")
    with pytest.raises(jd.StatisticsError):
        days.add(DAY, [(jd.DECISION, "李明")])
    with pytest.raises(jd.StatisticsError):
        days.add(DAY, [("names", "")])
    assert days.days() == []
    days.close()


def test_a_full_disk_does_not_stop_a_journey(tmp_path, caplog):
    days = jd.JourneyDays(tmp_path / "s.sqlite3")
    days.close()  # every write now fails, as on a broken disk
    stats = JourneyStatistics(days=days, today=lambda: DAY)
    stats.record_start()
    stats.record_end("completed", "receipt")
    assert stats.completed == 1
