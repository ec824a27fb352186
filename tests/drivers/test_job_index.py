"""The job index on disk: remembered across restarts, pruned by age at a bounded cost,
imported from the JSON file of earlier versions, shared between threads, and the
temporary files a kill mid-write left are cleared at start."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time

import pytest

from drivers.printer.base import PrintResult
from drivers.printer.job_index import DAY_S, PRUNE_BATCH, JobIndex
from drivers.printer.orphan_temps import remove_orphan_temps
from drivers.printer.simulated import SimulatedCardPrinter, SimulatedReceiptPrinter
from tests.drivers import samples

HOUR_S = 3600.0


class Clock:
    """Wall time the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def rows(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0]


def test_a_job_put_is_there_after_reopening(tmp_path):
    index = JobIndex(tmp_path / "jobs.sqlite3")
    assert index.get("key-1") is None
    index.put("key-1", PrintResult("job-1", 2, str(tmp_path / "job-1.png")))
    index.close()

    reopened = JobIndex(tmp_path / "jobs.sqlite3")
    assert reopened.get("key-1") == PrintResult("job-1", 2, str(tmp_path / "job-1.png"))
    assert reopened.get("key-2") is None
    reopened.put("key-1", PrintResult("job-9"))  # a later put replaces the earlier one
    assert reopened.get("key-1") == PrintResult("job-9", 1, None)
    assert reopened.count() == 1
    reopened.close()
    reopened.close()  # twice is fine


def test_entries_older_than_the_retention_are_pruned(tmp_path):
    clock = Clock()
    index = JobIndex(tmp_path / "jobs.sqlite3", retention_s=30 * DAY_S, clock=clock)
    index.put("old", PrintResult("1"))
    clock.now += 20 * DAY_S
    index.put("recent", PrintResult("2"))
    clock.now += 11 * DAY_S  # "old" is 31 days old, "recent" 11; an hour passed: prune
    index.put("new", PrintResult("3"))

    assert index.get("old") is None
    assert index.get("recent") == PrintResult("2") and index.get("new") == PrintResult("3")
    assert index.count() == 2


def test_pruning_waits_for_enough_puts_or_an_hour(tmp_path):
    clock = Clock()
    index = JobIndex(tmp_path / "jobs.sqlite3", retention_s=600, prune_every=5, clock=clock)
    index.put("first", PrintResult("1"))
    clock.now += 2 * HOUR_S
    index.put("a", PrintResult("a"))  # an hour since the last prune (at open): "first" goes
    assert index.get("first") is None
    index.put("b", PrintResult("b"))
    clock.now += 30 * 60  # "a" and "b" are past the retention now
    for key in "cde":
        index.put(key, PrintResult(key))
    assert index.count() == 5, "no prune before 5 puts or an hour since the last"
    index.put("f", PrintResult("f"))  # the fifth put since the last prune
    assert [k for k in "abcdef" if index.get(k)] == ["c", "d", "e", "f"]


def test_one_prune_deletes_a_bounded_batch(tmp_path):
    clock = Clock()
    index = JobIndex(tmp_path / "jobs.sqlite3", retention_s=DAY_S, clock=clock)
    index.count()  # open
    with sqlite3.connect(tmp_path / "jobs.sqlite3") as db:
        db.executemany("INSERT INTO jobs VALUES (?, ?, 1, NULL, ?)",
                       [(digest(f"k{n}"), str(n), clock.now - 2 * DAY_S) for n in range(2500)])
    assert index.prune() == PRUNE_BATCH
    assert index.prune() == PRUNE_BATCH
    assert index.prune() == 500 and index.prune() == 0


def test_the_index_stays_bounded_however_many_jobs_are_put(tmp_path):
    """The cost of a put is bounded if the rows and the file are: with a job an hour and a
    ten-day retention, the rows level off at ten days' worth and the file stops growing
    (freed pages are reused), however long the kiosk runs. No timing involved."""
    clock = Clock()
    path = tmp_path / "jobs.sqlite3"
    index = JobIndex(path, retention_s=10 * DAY_S, prune_every=10, clock=clock)
    kept = int(10 * DAY_S / HOUR_S)  # 240 jobs are younger than the retention
    most = 0
    sizes = []
    for n in range(3000):
        index.put(f"application-{n}/card", PrintResult(f"job-{n}", 1, f"/x/card-{n}.png"))
        clock.now += HOUR_S
        if n % 10 == 0:
            most = max(most, index.count())
        if n in (999, 2999):
            index.close()  # the WAL goes back into the file
            sizes.append(path.stat().st_size)
    assert kept <= index.count() <= kept + 10
    assert most <= kept + 10, "never more than the retention's rows and one prune's worth"
    assert sizes[1] <= sizes[0] + 4 * 4096, f"the file kept growing: {sizes}"
    assert rows(path) == index.count()


def test_an_old_json_index_is_imported_once_then_removed(tmp_path):
    old = tmp_path / "receipt_jobs.json"
    old.write_text(json.dumps({
        digest("APP-1/receipt"): {"job_id": "receipt-aaaaaaaaaaaa", "pages": 1,
                                  "image": "receipt-aaaaaaaaaaaa.png"},
        digest("APP-2/receipt"): {"job_id": "17", "pages": 2, "image": None},
        "not-an-entry": "garbage"}), encoding="utf-8")
    written = time.time() - 10 * DAY_S
    os.utime(old, (written, written))

    clock = Clock(written + 11 * DAY_S)
    index = JobIndex(tmp_path / "receipt_jobs.sqlite3", retention_s=30 * DAY_S, clock=clock)
    assert index.get("APP-1/receipt") == PrintResult(
        "receipt-aaaaaaaaaaaa", 1, str(tmp_path / "receipt-aaaaaaaaaaaa.png"))
    assert index.get("APP-2/receipt") == PrintResult("17", 2, None)
    assert index.count() == 2
    assert not old.exists(), "imported once: the JSON file is gone"
    index.close()

    # the entries date from the old file's last write: kept for the retention from then
    clock.now = written + 31 * DAY_S
    later = JobIndex(tmp_path / "receipt_jobs.sqlite3", retention_s=30 * DAY_S, clock=clock)
    assert later.count() == 0


def test_an_unreadable_old_index_is_left_in_place(tmp_path):
    old = tmp_path / "card_jobs.json"
    old.write_text("{not json", encoding="utf-8")
    index = JobIndex(tmp_path / "card_jobs.sqlite3")
    assert index.get("x") is None and index.count() == 0
    assert old.read_text(encoding="utf-8") == "{not json"


def test_an_upgraded_simulator_does_not_print_again_what_the_old_one_printed(tmp_path):
    first = SimulatedReceiptPrinter("r", str(tmp_path))
    printed = first.print_receipt(samples.receipt(), "APP-7/receipt")
    first.close()
    # as the JSON index of earlier versions held it
    (tmp_path / "receipt_jobs.sqlite3").unlink()
    (tmp_path / "receipt_jobs.json").write_text(json.dumps({digest("APP-7/receipt"): {
        "job_id": printed.job_id, "pages": 1, "image": f"{printed.job_id}.png"}}))

    upgraded = SimulatedReceiptPrinter("r", str(tmp_path))
    paper = upgraded.paper_left
    assert upgraded.print_receipt(samples.receipt(), "APP-7/receipt") == printed
    assert upgraded.paper_left == paper and len(list(tmp_path.glob("*.png"))) == 1


def test_puts_from_many_threads_all_land(tmp_path):
    path = tmp_path / "jobs.sqlite3"
    shared, other = JobIndex(path), JobIndex(path)  # a second handle, as another process
    errors: list[BaseException] = []

    def put_many(index: JobIndex, thread: int) -> None:
        try:
            for n in range(40):
                index.put(f"t{thread}-{n}", PrintResult(f"{thread}.{n}"))
                assert index.get(f"t{thread}-{n}") == PrintResult(f"{thread}.{n}")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=put_many, args=(shared if t % 2 else other, t))
               for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert shared.count() == other.count() == 8 * 40
    assert other.get("t3-39") == PrintResult("3.39")


def aged(path, seconds: float) -> None:
    path.write_bytes(b"half a file")
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_temporary_files_of_a_killed_write_are_removed_at_open(tmp_path):
    ours_old = tmp_path / "cups_card_jobs.json.k2x9_abc.tmp"
    ours_new = tmp_path / "cups_card_jobs.json.q7w8e9r0.tmp"  # a writer may be at work
    not_ours = [tmp_path / "notes.tmp", tmp_path / "cups_card_sent.json.k2x9_abc.tmp",
                tmp_path / "cups_card_jobs.json.tmp", tmp_path / "cups_card_jobs.json.a-b.tmp"]
    aged(ours_old, 120)
    aged(ours_new, 5)
    for path in not_ours:
        aged(path, 3600)

    JobIndex(tmp_path / "cups_card_jobs.sqlite3").count()

    assert not ours_old.exists() and ours_new.exists()
    assert all(path.exists() for path in not_ours)


def test_a_simulator_clears_images_a_kill_cut_off(tmp_path):
    cut_off = tmp_path / "card-0123456789ab.png.abc_1234.tmp"
    receipt_cut_off = tmp_path / "receipt-0123456789ab.png.abc_1234.tmp"
    fresh = tmp_path / "card-ba9876543210.png.zz99yy88.tmp"
    other = tmp_path / "photo.png.abc_1234.tmp"
    aged(cut_off, 90)
    aged(receipt_cut_off, 90)
    aged(fresh, 1)
    aged(other, 90)

    SimulatedCardPrinter("c", str(tmp_path), print_time_s=0)

    assert not cut_off.exists() and fresh.exists() and other.exists()
    assert receipt_cut_off.exists(), "the card printer clears only its own"
    SimulatedReceiptPrinter("r", str(tmp_path))
    assert not receipt_cut_off.exists()


def test_no_folder_no_temporary_files(tmp_path):
    assert remove_orphan_temps(tmp_path / "absent", "x") == 0


@pytest.mark.parametrize("name", ["jobs.json.abcdefgh.tmp", "jobs.json.a_b_c_d_.tmp"])
def test_the_names_mkstemp_makes_are_recognised(tmp_path, name):
    aged(tmp_path / name, 61)
    assert remove_orphan_temps(tmp_path, r"jobs\.json") == 1
