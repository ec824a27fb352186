"""The side-effect journal: intent before acting, outcome after, across restarts."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from kiosk.errors import JournalError
from kiosk.journal import Journal


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
