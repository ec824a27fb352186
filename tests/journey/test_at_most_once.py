"""Cards and receipts are printed at most once per application, across crashes."""

from __future__ import annotations

import pytest

from drivers.printer.base import OutOfCards
from kiosk.effects.fulfilment import at_most_once
from kiosk.effects.journal import Journal


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.sqlite3")
    yield j
    j.close()


def test_done_once_then_never_again(journal):
    calls = []
    assert at_most_once(journal, "card", "k" * 32, lambda: calls.append(1))
    assert at_most_once(journal, "card", "k" * 32, lambda: calls.append(1))
    assert calls == [1]


def test_a_failure_is_journaled_and_not_retried_blindly(journal):
    def jam():
        raise OutOfCards("hopper empty")

    with pytest.raises(OutOfCards):
        at_most_once(journal, "card", "a" * 32, jam)
    assert journal.get("card", "a" * 32).outcome == "failed:cards_out"
    calls = []
    assert at_most_once(journal, "card", "a" * 32, lambda: calls.append(1)) is False
    assert calls == []


def test_cut_off_by_a_power_cut_is_never_printed_again(tmp_path):
    first = Journal(tmp_path / "journal.sqlite3")
    first.begin("card", "b" * 32)  # the intent reached the disk; the power went
    first.close()
    after_restart = Journal(tmp_path / "journal.sqlite3")
    calls = []
    assert at_most_once(after_restart, "card", "b" * 32, lambda: calls.append(1)) is False
    assert calls == [] and [e.key for e in after_restart.unfinished()] == ["b" * 32]
    after_restart.close()


def test_a_restarted_kiosk_settles_its_journal_by_itself(make_kiosk, tmp_path):
    """The journal a power cut left behind is reconciled at start-up, off the UI thread."""
    first = Journal(tmp_path / "data" / "journal.sqlite3")
    first.begin("receipt", "r" * 32)  # a receipt cut off by the power cut
    first.close()
    k = make_kiosk()
    deadline = 50
    while k.runtime.last_reconciliation is None and deadline:
        k.settle(0.1)
        deadline -= 1
    assert k.runtime.last_reconciliation.closed == {"receipt": 1}
    assert k.runtime.journal.unfinished() == []
