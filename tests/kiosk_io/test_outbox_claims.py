"""One sender per application at a time, and a card owed written with the confirmation:
the outbox's own promises, on a real SQLite file, with threads racing for them."""

from __future__ import annotations

import sqlite3
import threading

from kiosk.effects.outbox import Outbox
from tests.kiosk_io import residents
from tests.kiosk_io.test_outbox import receipt


def test_what_the_journey_keeps_to_send_is_not_handed_to_the_sync(outbox):
    sub = residents.submission()
    assert outbox.put(sub, claim_s=600)
    assert outbox.pending() == [], "held by its sender"
    assert not outbox.claim(sub.idempotency_key), "one sender at a time"
    outbox.release_claim(sub.idempotency_key)  # central did not answer: the sync takes over
    [entry] = outbox.pending()
    assert outbox.claim(entry.idempotency_key)
    assert not outbox.put(sub, claim_s=600), "a journey retrying now does not send it again"


def test_a_claim_lapses_and_a_restart_releases_every_claim(outbox_path, kiosk_key):
    sub = residents.submission()
    with Outbox(outbox_path, kiosk_key) as box:
        assert box.put(sub, claim_s=0.0)  # lapsed at once: the sender took too long
        assert [e.idempotency_key for e in box.pending()] == [sub.idempotency_key]
        assert box.claim(sub.idempotency_key, 600)
    with Outbox(outbox_path, kiosk_key) as box:  # killed while sending; the kiosk restarts
        assert box.pending() == []
        assert box.release_claims() == 1
        assert [e.idempotency_key for e in box.pending()] == [sub.idempotency_key]


def test_of_many_racing_senders_exactly_one_gets_the_entry(outbox_path, kiosk_key):
    sub = residents.submission()
    boxes = [Outbox(outbox_path, kiosk_key) for _ in range(8)]  # a connection each
    boxes[0].put(sub)
    start, won = threading.Barrier(len(boxes)), []

    def race(box: Outbox) -> None:
        start.wait()
        if box.claim(sub.idempotency_key):
            won.append(box)

    threads = [threading.Thread(target=race, args=(b,)) for b in boxes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    for box in boxes:
        box.close()
    assert len(won) == 1


def test_the_confirmation_records_the_card_owed_and_a_replay_keeps_its_fate(outbox):
    sub = residents.submission()
    outbox.put(sub, claim_s=600)
    outbox.mark_sent(sub.idempotency_key, receipt(), "owed")
    assert outbox.card(sub.idempotency_key) == "owed"
    assert [k for k, _ in outbox.cards_owed()] == [sub.idempotency_key]
    assert outbox.claim(sub.idempotency_key) is False and outbox.pending() == []
    outbox.settle_card(sub.idempotency_key, printed=True)
    outbox.mark_sent(sub.idempotency_key, receipt(), "not_printed")  # a late replayed answer
    assert outbox.card(sub.idempotency_key) == "printed"
    assert outbox.cards_to_report() == [(sub.idempotency_key, "ZZ-0001", True)]
    outbox.card_reported(sub.idempotency_key)
    assert outbox.cards_to_report() == [] and outbox.card_to_report(sub.idempotency_key) is None


FIRST_RELEASE_SCHEMA = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'attention', 'quarantined', 'sent')),
    payload BLOB, attempts INTEGER NOT NULL DEFAULT 0, created_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL, last_error TEXT, application_number TEXT, sent_at REAL);
INSERT INTO outbox (idempotency_key, state, created_at, next_attempt_at, application_number,
                    sent_at) VALUES ('k1', 'sent', 1, 1, 'ZZ-0009', 1);
PRAGMA user_version = 1;
"""


def test_an_outbox_from_the_first_release_gains_the_new_columns(outbox_path, kiosk_key):
    outbox_path.parent.mkdir(parents=True)
    with sqlite3.connect(outbox_path) as db:
        db.executescript(FIRST_RELEASE_SCHEMA)
    with Outbox(outbox_path, kiosk_key) as box:
        assert box.sent_receipt("k1") == "ZZ-0009" and box.card("k1") is None
        box.owe_report("k1", printed=False)
        assert box.cards_to_report() == [("k1", "ZZ-0009", False)]
