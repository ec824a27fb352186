"""OutboxSync: faults against a tiny fake client, the real round trip against central."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest

from kiosk.effects.outbox import Outbox
from kiosk.effects.outbox_sync import OutboxSync
from kiosk.errors import CentralRejected, CentralUnavailable
from kiosk.fleet.central_client import CentralClient
from protocol import wire
from tests.central_server import central_on
from tests.kiosk_io import residents


class FailingClient:
    """Raises the given error for every submission and counts the calls."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.calls = 0

    def submit_application(self, sub):
        self.calls += 1
        raise self.error


def sync_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == OutboxSync.THREAD_NAME]


def test_unavailable_backs_off_and_stops_the_pass(outbox):
    for _ in range(3):
        outbox.put(residents.submission())
    client = FailingClient(CentralUnavailable("down"))
    sync = OutboxSync(outbox, client, backoff_base_s=2, backoff_cap_s=300, rng=random.Random(1))
    assert sync.sync_once() == 0
    assert client.calls == 1  # the other two would fail the same way
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
    [first] = [e for e in outbox.pending(now=later) if e.attempts]
    assert first.last_error == "central_unavailable"
    assert first.next_attempt_at <= dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=2)
    assert outbox.depth() == 3


@pytest.mark.parametrize("status", [409, 429])
def test_conflict_and_too_many_requests_are_retried_later(outbox, status):
    sub = residents.submission()
    outbox.put(sub)
    sync = OutboxSync(outbox, FailingClient(CentralRejected("x", code="busy", status=status)),
                      backoff_base_s=60, backoff_cap_s=60)
    sync.sync_once()
    assert outbox.held() == [] and outbox.depth() == 1
    [entry] = outbox.pending(now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=61))
    assert entry.attempts == 1 and entry.last_error == "busy"


def test_persistent_conflict_ends_up_with_staff(outbox):
    sub = residents.submission()
    outbox.put(sub)
    client = FailingClient(CentralRejected("x", code="idempotency_key_reused", status=409))
    sync = OutboxSync(outbox, client, backoff_base_s=0, backoff_cap_s=0)
    for _ in range(OutboxSync.CONFLICT_ATTEMPTS + 2):
        sync.sync_once()
    assert client.calls == OutboxSync.CONFLICT_ATTEMPTS
    [held] = outbox.held()
    assert held.last_error == "idempotency_key_reused" and outbox.depth() == 1


def test_rejected_entry_is_held_for_staff_never_deleted(outbox):
    sub = residents.submission()
    outbox.put(sub)
    client = FailingClient(CentralRejected("x", code="applicant_invalid", status=422))
    sync = OutboxSync(outbox, client)
    sync.sync_once()
    sync.sync_once()
    assert client.calls == 1  # not retried blindly
    [held] = outbox.held()
    assert (held.idempotency_key, held.last_error) == (sub.idempotency_key, "applicant_invalid")
    assert outbox.depth() == 1


def test_thread_start_stop_leaves_nothing_behind(outbox_path, kiosk_key):
    client = FailingClient(CentralUnavailable("down"))
    sync = OutboxSync(lambda: Outbox(outbox_path, kiosk_key), client, interval_s=30)
    sync.start()
    [thread] = sync_threads()
    assert not thread.daemon
    sync.kick()
    assert sync.stop(timeout=5)
    assert sync_threads() == []


def test_thread_sends_what_is_put_and_reports_it(central, outbox_path, kiosk_key, zhuzhou_codes):
    synced: list[tuple[str, str]] = []
    done = threading.Event()

    def on_synced(key: str, receipt: wire.ApplicationReceipt) -> None:
        synced.append((key, receipt.application_number))
        done.set()

    client = CentralClient(base_url=central.url, kiosk_id="test-kiosk-01")
    with Outbox(outbox_path, kiosk_key) as box:
        sync = OutboxSync(box, client, interval_s=30, on_synced=on_synced)
        sync.start()
        try:
            sub = residents.submission(*zhuzhou_codes)
            box.put(sub)
            sync.kick()
            assert done.wait(10)
        finally:
            assert sync.stop()
        assert synced == [(sub.idempotency_key, box.sent_receipt(sub.idempotency_key))]
        assert box.depth() == 0
    client.close()
    assert sync_threads() == []


def test_central_down_then_kiosk_restart_then_synced_once(tmp_path, outbox_path, kiosk_key):
    (tmp_path / "central-restart").mkdir()
    server = central_on(tmp_path / "central-restart").start()
    client = CentralClient(base_url=server.url, kiosk_id="test-kiosk-01", retries=1,
                           timeout_s=2.0, sleep=lambda s: None)
    try:
        codes = residents.first_community(client.directory(residents.CITY))
        before = len(client.lookup_status(residents.DOCUMENT_NUMBER))
        server.stop()

        sub = residents.submission(*codes)
        box = Outbox(outbox_path, kiosk_key)
        with pytest.raises(CentralUnavailable):
            client.submit_application(sub)
        box.put(sub)  # the resident is told "filed"; the outbox makes it true
        box.close()  # power cut: the kiosk restarts

        server.start()
        with Outbox(outbox_path, kiosk_key) as box:
            sync = OutboxSync(box, client)
            assert box.depth() == 1
            assert sync.sync_once() == 1
            assert box.depth() == 0 and sync.sync_once() == 0
            number = box.sent_receipt(sub.idempotency_key)
        apps = client.lookup_status(residents.DOCUMENT_NUMBER)
        assert len(apps) == before + 1
        assert [a.application_number for a in apps].count(number) == 1
        assert client.submit_application(sub).replayed  # central knows the key too
        assert len(client.lookup_status(residents.DOCUMENT_NUMBER)) == before + 1
    finally:
        server.stop()
        client.close()
