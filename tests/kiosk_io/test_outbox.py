"""The durable outbox on a real SQLite file: round trip, encryption at rest, quarantine, keys."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sqlite3
import stat

import pytest

from kiosk.effects.outbox import Outbox, load_or_create_kiosk_key
from kiosk.errors import OutboxError
from protocol import wire
from tests.kiosk_io import residents


def receipt(number: str = "ZZ-0001") -> wire.ApplicationReceipt:
    decision = wire.EligibilityDecision(decision=wire.Decision.ELIGIBLE, reasons=[])
    return wire.ApplicationReceipt(application_number=number,
                                   state=wire.ApplicationState.RECEIVED, decision=decision,
                                   tracking_url="http://central/track/" + number)


def raw_bytes(path) -> bytes:
    """Everything SQLite has on disk for this database: main file, WAL and shared memory."""
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def test_put_pending_mark_sent_round_trip(outbox):
    sub = residents.submission()
    outbox.put(sub)
    [entry] = outbox.pending()
    assert entry.idempotency_key == sub.idempotency_key
    assert entry.submission == sub and entry.attempts == 0 and entry.last_error is None
    assert outbox.depth() == 1 and outbox.sent_receipt(sub.idempotency_key) is None
    outbox.mark_sent(sub.idempotency_key, receipt())
    assert outbox.pending() == [] and outbox.depth() == 0
    assert outbox.sent_receipt(sub.idempotency_key) == "ZZ-0001"


def test_put_is_idempotent_on_the_key(outbox):
    sub = residents.submission()
    outbox.put(sub)
    outbox.put(sub.model_copy(update={"kiosk_id": "other"}))
    [entry] = outbox.pending()
    assert entry.submission.kiosk_id == sub.kiosk_id and outbox.depth() == 1
    outbox.mark_sent(sub.idempotency_key, receipt())
    outbox.put(sub)  # a late duplicate must not resurrect a sent application
    assert outbox.depth() == 0 and outbox.pending() == []


def test_pending_is_oldest_first_and_limited(outbox):
    subs = [residents.submission() for _ in range(5)]
    for sub in subs:
        outbox.put(sub)
    assert [e.idempotency_key for e in outbox.pending()] == [s.idempotency_key for s in subs]
    assert len(outbox.pending(limit=2)) == 2 and outbox.depth() == 5


def test_failed_entry_waits_until_its_retry_time(outbox):
    sub = residents.submission()
    outbox.put(sub)
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)  # from now, not import
    outbox.mark_failed(sub.idempotency_key, "central_unavailable", later)
    assert outbox.pending() == []
    [entry] = outbox.pending(now=later + dt.timedelta(seconds=1))
    assert entry.attempts == 1 and entry.last_error == "central_unavailable"
    assert entry.next_attempt_at == pytest.approx(later, abs=dt.timedelta(milliseconds=1))


def test_personal_data_is_encrypted_at_rest(outbox, outbox_path):
    subs = [residents.submission() for _ in range(3)]
    for sub in subs:
        outbox.put(sub)
    assert (outbox_path.parent / (outbox_path.name + "-wal")).exists()  # data lives in the WAL now
    assert_no_personal_data(raw_bytes(outbox_path))
    outbox.close()
    assert_no_personal_data(raw_bytes(outbox_path))  # and after the checkpoint at close
    assert stat.S_IMODE(os.stat(outbox_path).st_mode) == 0o600


def assert_no_personal_data(blob: bytes) -> None:
    assert len(blob) > 4096
    for secret in (residents.NAME.encode(), residents.DOCUMENT_NUMBER.encode(),
                   residents.EMPLOYER.encode(), residents.PHOTO_B64[:32].encode(),
                   b"PHOTO-MARKER", b"document_number"):
        assert secret not in blob, secret


def test_sent_entry_keeps_nothing_personal(outbox, outbox_path):
    sub = residents.submission()
    outbox.put(sub)
    with sqlite3.connect(outbox_path) as db:
        [(ciphertext,)] = db.execute("SELECT payload FROM outbox").fetchall()
    assert ciphertext[100:132] in raw_bytes(outbox_path)
    outbox.mark_sent(sub.idempotency_key, receipt())
    with sqlite3.connect(outbox_path) as db:
        row = db.execute("SELECT payload, state, application_number FROM outbox").fetchone()
    assert row == (None, "sent", "ZZ-0001")
    assert ciphertext[100:132] not in raw_bytes(outbox_path)  # overwritten, not just unlinked


def test_wrong_key_quarantines_instead_of_crashing(outbox_path, kiosk_key):
    sub = residents.submission()
    with Outbox(outbox_path, kiosk_key) as box:
        box.put(sub)
    with Outbox(outbox_path, secrets.token_bytes(32)) as box:
        assert box.pending() == []
        [problem] = box.quarantined()
        assert problem.idempotency_key == sub.idempotency_key
        assert problem.last_error == "undecryptable"
        assert box.depth() == 1  # counted, never silently dropped
    with Outbox(outbox_path, kiosk_key) as box:  # the right key is back: staff release it
        box.release(sub.idempotency_key)
        [entry] = box.pending()
        assert entry.submission == sub and box.quarantined() == []


def test_tampered_row_is_quarantined_and_others_still_flow(outbox, outbox_path):
    bad, good = residents.submission(), residents.submission()
    outbox.put(bad)
    outbox.put(good)
    with sqlite3.connect(outbox_path) as db:  # flip one byte of the ciphertext
        db.execute("UPDATE outbox SET payload = substr(payload, 1, 20) || x'00' ||"
                   " substr(payload, 22) WHERE idempotency_key = ?", (bad.idempotency_key,))
        # a payload moved to another row fails too: the key is the associated data
        blob = db.execute("SELECT payload FROM outbox WHERE idempotency_key = ?",
                          (good.idempotency_key,)).fetchone()[0]
        moved = residents.submission()
        db.execute("INSERT INTO outbox (idempotency_key, state, payload, created_at,"
                   " next_attempt_at) VALUES (?, 'pending', ?, 0, 0)", (moved.idempotency_key, blob))
    assert [e.idempotency_key for e in outbox.pending()] == [good.idempotency_key]
    assert {p.idempotency_key for p in outbox.quarantined()} == {bad.idempotency_key,
                                                                 moved.idempotency_key}
    assert outbox.depth() == 3


def test_held_entry_is_kept_for_staff(outbox):
    sub = residents.submission()
    outbox.put(sub)
    outbox.hold(sub.idempotency_key, "document_invalid")
    assert outbox.pending() == [] and outbox.depth() == 1
    [held] = outbox.held()
    assert (held.idempotency_key, held.last_error, held.attempts) == (
        sub.idempotency_key, "document_invalid", 1)


def test_entry_repr_hides_the_submission(outbox):
    outbox.put(residents.submission())
    [entry] = outbox.pending()
    assert residents.NAME not in repr(entry) and residents.DOCUMENT_NUMBER not in repr(entry)


def test_naive_times_are_refused(outbox):
    with pytest.raises(ValueError):
        outbox.pending(now=dt.datetime.now())


def test_kiosk_key_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "secrets" / "kiosk.key"
    key = load_or_create_kiosk_key(path)
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_or_create_kiosk_key(path) == key
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind


@pytest.mark.parametrize("size", [0, 16, 33])
def test_kiosk_key_of_wrong_size_is_refused(tmp_path, size):
    path = tmp_path / "kiosk.key"
    path.write_bytes(b"k" * size)
    with pytest.raises(OutboxError) as err:
        load_or_create_kiosk_key(path)
    assert err.value.code == "outbox_key_invalid"
    assert path.read_bytes() == b"k" * size  # never overwritten: the old rows need that key


def test_outbox_refuses_a_short_key(outbox_path):
    with pytest.raises(OutboxError):
        Outbox(outbox_path, b"short")


def test_unreadable_database_is_an_outbox_error(tmp_path):
    path = tmp_path / "outbox.sqlite"
    path.write_bytes(b"this is not a database" * 500)
    with pytest.raises(OutboxError) as err:
        Outbox(path, secrets.token_bytes(32))
    assert err.value.code == "outbox_open_failed"
