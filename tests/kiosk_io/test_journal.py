"""The side-effect journal: intent before acting, outcome after, across restarts."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk.effects.fulfilment import at_most_once
from kiosk.effects.journal import Journal
from kiosk.errors import JournalError


@pytest.fixture
def path(tmp_path):
    return tmp_path / "journal.sqlite"


def test_begin_finish_and_unfinished_survive_a_restart(path):
    with Journal(path) as j:
        j.begin("submit", "key-aaaaaaaaaaaaaaaa")
        j.begin("print_card", "key-aaaaaaaaaaaaaaaa")
        j.finish("submit", "key-aaaaaaaaaaaaaaaa", "ok")
    with Journal(path) as j:  # the power came back
        assert j.state("submit", "key-aaaaaaaaaaaaaaaa") == "done"
        assert j.state("print_card", "key-aaaaaaaaaaaaaaaa") == "begun"
        assert j.state("print_receipt", "key-aaaaaaaaaaaaaaaa") is None
        [left] = j.unfinished()
        assert (left.kind, left.key, left.outcome, left.finished_at) == (
            "print_card", "key-aaaaaaaaaaaaaaaa", None, None)
        assert j.get("submit", "key-aaaaaaaaaaaaaaaa").outcome == "ok"


def test_begin_twice_returns_the_first_entry_unchanged(path):
    with Journal(path) as j:
        first = j.begin("submit", "k1")
        j.finish("submit", "k1", "queued")
        again = j.begin("submit", "k1")
        assert again.state == "done" and again.outcome == "queued"
        assert again.begun_at == first.begun_at


def test_finish_keeps_the_first_outcome_and_needs_a_begin(path):
    with Journal(path) as j:
        j.begin("print_receipt", "k2")
        j.finish("print_receipt", "k2", "paper_out")
        assert j.finish("print_receipt", "k2", "ok").outcome == "paper_out"
        with pytest.raises(JournalError):
            j.finish("print_receipt", "never-begun", "ok")


def test_prune_forgets_only_finished_entries(path):
    with Journal(path) as j:
        j.begin("submit", "old")
        j.finish("submit", "old", "ok")
        j.begin("submit", "open")
        assert j.prune(dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=1)) == 1
        assert j.state("submit", "old") is None and j.state("submit", "open") == "begun"
        assert j.prune(dt.timedelta(days=30)) == 0


def test_journal_holds_no_personal_data(path):
    with Journal(path) as j:
        for bad in ("李明", "Li Ming lives at 3-2-501", ""):
            with pytest.raises(JournalError):
                j.begin("submit", bad)
        with pytest.raises(JournalError):
            j.begin("submit", "k3") and j.finish("submit", "k3", "printed for 李明")
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(journal)")]
    assert columns == ["kind", "key", "state", "outcome", "begun_at", "finished_at"]
    assert "李明".encode() not in path.read_bytes()


def test_housekeeping_forgets_only_what_is_finished(tmp_path):
    import datetime as dt

    from kiosk.effects.housekeeping import prune
    from kiosk.effects.outbox import Outbox, load_or_create_kiosk_key
    from tests.kiosk_io.residents import submission
    from tests.kiosk_io.test_outbox import receipt

    journal = Journal(tmp_path / "journal.sqlite3")
    outbox = Outbox(tmp_path / "outbox.sqlite3", load_or_create_kiosk_key(tmp_path / "k.key"))
    try:
        sent, waiting = submission(), submission()
        outbox.put(sent)
        outbox.put(waiting)
        outbox.mark_sent(sent.idempotency_key, receipt())
        journal.begin("card", "done-key")
        journal.finish("card", "done-key", "printed")
        journal.begin("card", "cut-off-key")
        assert prune(outbox, journal, dt.timedelta(days=30)) == (0, 0)  # all too recent
        assert prune(outbox, journal, dt.timedelta(seconds=-1)) == (1, 1)
        assert outbox.depth() == 1 and outbox.sent_receipt(sent.idempotency_key) is None
        assert [e.key for e in journal.unfinished()] == ["cut-off-key"]
    finally:
        outbox.close()
        journal.close()


def test_an_outcome_the_disk_refuses_is_kept_and_written_when_it_can(path):
    """A receipt printed after the disk turned read-only is a printed receipt: not a
    "receipt problem" for the resident, and not reprinted by a later start."""
    told: list[str] = []
    journal = Journal(path, on_write_failure=lambda: told.append("write failed"))
    printed: list[str] = []

    def print_receipt() -> None:
        printed.append("receipt")
        writable = journal._db  # the disk turns read-only while the receipt prints
        journal._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        journal.writable = writable

    assert at_most_once(journal, "receipt", "r" * 32, print_receipt) is True
    assert printed == ["receipt"] and told == ["write failed"]
    entry = journal.get("receipt", "r" * 32)
    assert (entry.state, entry.outcome) == ("done", "printed")
    assert journal.unfinished() == [], "nothing for a restart to settle while it runs"
    assert at_most_once(journal, "receipt", "r" * 32, print_receipt) is True
    assert printed == ["receipt"], "never twice"

    journal._db.close()
    journal._db = journal.writable  # the disk takes writes again
    assert journal.write_kept() == 1
    journal.close()
    with Journal(path) as again:
        assert again.get("receipt", "r" * 32).outcome == "printed"


def test_an_intent_the_disk_refuses_stops_the_side_effect(path):
    journal = Journal(path)
    journal._db.close()
    journal._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    printed: list[str] = []
    with pytest.raises(JournalError):
        at_most_once(journal, "card", "c" * 32, lambda: printed.append("card"))
    assert printed == []
    journal.close()
