"""Fixtures for the kiosk's I/O layer: a real central server on loopback, outboxes on disk."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from kiosk.effects.journal import Journal
from kiosk.effects.outbox import Outbox
from kiosk.fleet.central_client import CentralClient
from protocol import wire
from tests.central_server import CentralProcess, central_on
from tests.kiosk_io import residents


@pytest.fixture(scope="module")
def central(tmp_path_factory) -> CentralProcess:
    """One real central server per test module (the tests count applications as deltas)."""
    server = central_on(tmp_path_factory.mktemp("central")).start()
    yield server
    server.stop()


@pytest.fixture
def client(central) -> CentralClient:
    c = CentralClient(base_url=central.url, kiosk_id="test-kiosk-01", timeout_s=5.0)
    yield c
    c.close()


@pytest.fixture
def zhuzhou_codes(client) -> tuple[str, str]:
    """A real (district, community) pair from the server's directory."""
    return residents.first_community(client.directory(residents.CITY))


@pytest.fixture
def kiosk_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def outbox_path(tmp_path) -> Path:
    return tmp_path / "var" / "outbox.sqlite"


@pytest.fixture
def outbox(outbox_path, kiosk_key) -> Outbox:
    box = Outbox(outbox_path, kiosk_key)
    yield box
    box.close()


@pytest.fixture
def store(tmp_path, kiosk_key):
    outbox = Outbox(tmp_path / "outbox.sqlite3", kiosk_key)
    journal = Journal(tmp_path / "journal.sqlite3")
    yield outbox, journal
    outbox.close()
    journal.close()


def print_here_application(client, outbox, zhuzhou_codes) -> tuple[str, str]:
    """An approved print-here application, sent and kept: what exists when printing starts."""
    sub = residents.submission(*zhuzhou_codes).model_copy(update={"fulfilment": wire.Fulfilment(
        method=wire.FulfilmentMethod.PRINT_HERE)})
    outbox.put(sub)
    receipt = client.submit_application(sub)
    assert receipt.state is wire.ApplicationState.APPROVED
    outbox.mark_sent(sub.idempotency_key, receipt, "owed")  # as kiosk.effects.fulfilment.submit
    return sub.idempotency_key, receipt.application_number
