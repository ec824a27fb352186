"""Fixtures that run the real PC/SC stack: pcscd with vsmartcard's vpcd readers.

``pcscd`` is session-scoped: it uses a pcscd that already serves, or starts one as a
child (and only then stops it at the end). Where pcscd cannot run the tests FAIL with
the reason: the Makefile installs it and CI runs as root, so a skip would hide a
broken machine.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from drivers.reader.pcsc import PcscSlot
from drivers.reader.vchip.vpcd import VpcdBridge
from tests.chip.pcscd import (
    PORT_0,
    READER_0,
    READER_1,
    Pcscd,
    PcscdUnavailable,
    SessionLock,
    Vicc,
    wait_card_state,
)

OUR_THREADS = ("pcsc-slot-", "vpcd-bridge-")


def our_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith(OUR_THREADS)]


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory):
    lock = SessionLock()
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd") / "pcscd.log")
    try:
        lock.acquire()
        daemon.ensure()
    except PcscdUnavailable as exc:
        daemon.stop()
        lock.release()
        pytest.fail(f"pcscd with vpcd is needed for the chip tests: {exc}", pytrace=False)
    yield daemon
    if daemon.owned:
        daemon.stop()
    lock.release()


@pytest.fixture
def owned_pcscd(pcscd: Pcscd) -> Pcscd:
    """The session pcscd, when the tests may stop and start it again."""
    if not pcscd.owned:
        pytest.skip("pcscd was started outside the tests; they will not restart it")
    return pcscd


@pytest.fixture
def vicc_factory(tmp_path: Path, pcscd: Pcscd):
    """Start vicc processes; all are terminated and reaped when the test ends."""
    started: list[Vicc] = []

    def start(card_type: str = "iso7816", port: int = 35964, **kwargs) -> Vicc:
        vicc = Vicc(tmp_path, card_type, port, **kwargs)
        started.append(vicc)
        vicc.start()
        return vicc

    yield start
    for vicc in started:
        vicc.stop()


@pytest.fixture(autouse=True)
def no_pcsc_thread_left_behind():
    yield
    assert our_threads() == [], "a PC/SC slot or vpcd bridge thread outlived its test"


@pytest.fixture
def bridge(pcscd):
    made: list[VpcdBridge] = []

    def make(card, port: int = PORT_0) -> VpcdBridge:
        b = VpcdBridge(card, port=port)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()
    for reader in (READER_0, READER_1):  # the next test must not find a stale card
        assert wait_card_state(reader, "empty"), f"{reader} still shows a card"


@pytest.fixture
def slot_factory(pcscd):
    made: list[PcscSlot] = []

    def make(reader: str = READER_0, **kwargs) -> PcscSlot:
        s = PcscSlot(reader, **kwargs)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()
