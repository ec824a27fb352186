"""PcscSlot and VpcdBridge against a real pcscd with vsmartcard's vpcd readers.

A tiny in-test card sits behind VpcdBridge: pcscd sees it exactly as it would see a
card put on a reader, so presence events, connect and transmit go through the whole
PC/SC stack. Only pcscd restarts need the pcscd the tests started themselves.
vpcd's readers never come and go, so unplugging a reader is played on a small fake
of pyscard's scard module instead.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drivers.base import DeviceOffline, HealthState
from drivers.reader.base import DocumentRemoved
from drivers.reader.pcsc import PcscSlot, is_usable, list_readers
from tests.chip.pcscd import (
    PORT_1,
    READER_0,
    READER_1,
    wait_card_state,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
ECHO_INS = 0x10  # our tiny card echoes the data of this instruction
LIFT_INS = 0xEE  # ...and leaves the field when it gets this one


class EchoCard:
    """A VirtualCard: SELECT answers 9000, INS 10 echoes its data, INS EE lifts the card."""

    def __init__(self, atr: bytes) -> None:
        self.atr = atr
        self.powered = False
        self.commands = 0

    def power_on(self) -> bytes:
        self.powered = True
        return self.atr

    def power_off(self) -> None:
        self.powered = False

    def transmit(self, apdu: bytes) -> bytes:
        self.commands += 1
        ins = apdu[1]
        if ins == 0xA4:
            return b"\x90\x00"
        if ins == ECHO_INS:
            return apdu[5:5 + apdu[4]] + b"\x90\x00" if len(apdu) > 5 else b"\x90\x00"
        if ins == LIFT_INS:
            raise DocumentRemoved("the test card left the field")
        return b"\x6D\x00"


class Events:
    """A SlotListener that remembers (present, atr) and the thread it was called on."""

    def __init__(self) -> None:
        self.items: list[tuple[bool, bytes | None]] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()

    def __call__(self, present: bool, atr: bytes | None) -> None:
        with self._cond:
            self.items.append((present, atr))
            self.threads.add(threading.current_thread().name)
            self._cond.notify_all()

    def wait(self, count: int, timeout: float = 3.0) -> list[tuple[bool, bytes | None]]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


ATR_A = bytes.fromhex("3B8880010102030405060708" + "0C")
ATR_B = bytes.fromhex("3B8180018080")


@pytest.mark.slow
def test_list_readers_shows_both_vpcd_readers(pcscd):
    readers = list_readers()
    assert any(READER_0 in r for r in readers) and any(READER_1 in r for r in readers)
    assert is_usable()[0]


@pytest.mark.slow
def test_insert_transmit_remove_and_insert_again(bridge, slot_factory):
    card = EchoCard(ATR_A)
    slot = slot_factory("virtual pcd 00 00")  # matched case-insensitively
    events = Events()
    slot.start(events)
    assert wait_until(lambda: slot.health().state is HealthState.OK, 3)
    assert slot.name == READER_0
    assert slot.health().detail == READER_0
    with pytest.raises(DocumentRemoved):
        slot.connect()  # nothing on the reader yet

    b = bridge(card)
    started = time.monotonic()
    b.insert()
    assert b.inserted
    assert events.wait(1, 2.0) == [(True, ATR_A)], "no presence event within 2 s of insert()"
    assert time.monotonic() - started < 2.0
    assert events.threads == {"pcsc-slot-virtual pcd 00 00"}

    channel = slot.connect()
    try:
        assert channel.atr == ATR_A
        assert channel.transmit(bytes.fromhex("00A4040C07A0000002471001")) == b"\x90\x00"
        assert channel.transmit(bytes([0x00, ECHO_INS, 0, 0, 3]) + b"abc") == b"abc\x90\x00"
        assert channel.transmit(bytes.fromhex("00CA000000")) == b"\x6D\x00"
        status = slot.status()
        assert status["present"] and status["atr"] == ATR_A.hex().upper()
        assert status["reader"] == READER_0 and status["protocol"] in ("T=1", "T=0")

        b.remove()
        assert not b.inserted
        assert events.wait(2, 2.0)[1] == (False, None)
        with pytest.raises(DocumentRemoved):
            channel.transmit(bytes([0x00, ECHO_INS, 0, 0, 1]) + b"x")
    finally:
        channel.close()
        channel.close()  # safe twice
    with pytest.raises(DocumentRemoved):
        slot.connect()

    b.insert()
    assert events.wait(3, 2.0)[2] == (True, ATR_A)
    with slot.connect() as again:
        assert again.transmit(bytes([0x00, ECHO_INS, 0, 0, 2]) + b"ok") == b"ok\x90\x00"


@pytest.mark.slow
def test_card_leaving_mid_command_raises_document_removed(bridge, slot_factory):
    card = EchoCard(ATR_A)
    slot = slot_factory(READER_0)
    events = Events()
    slot.start(events)
    b = bridge(card)
    b.insert()
    assert events.wait(1, 2.0) == [(True, ATR_A)]
    with slot.connect() as channel, pytest.raises(DocumentRemoved):
        channel.transmit(bytes([0x00, LIFT_INS, 0, 0]))
    assert not b.inserted  # the bridge closed the socket: pcscd sees the removal
    assert events.wait(2, 2.0)[1] == (False, None)


@pytest.mark.slow
def test_card_already_present_is_announced_on_start(bridge, slot_factory):
    b = bridge(EchoCard(ATR_B))
    b.insert()
    assert wait_card_state(READER_0, "present", 2.0)
    slot = slot_factory(READER_0)
    events = Events()
    slot.start(events)
    assert events.wait(1, 2.0) == [(True, ATR_B)]


@pytest.mark.slow
def test_a_card_on_the_other_reader_is_not_seen(bridge, slot_factory):
    other = bridge(EchoCard(ATR_B), port=PORT_1)
    slot0 = slot_factory(READER_0)
    slot1 = slot_factory(READER_1)
    events0, events1 = Events(), Events()
    slot0.start(events0)
    slot1.start(events1)
    other.insert()
    assert events1.wait(1, 2.0) == [(True, ATR_B)]
    time.sleep(0.6)  # longer than pcscd's 400 ms presence poll
    assert events0.items == []
    with pytest.raises(DocumentRemoved):
        slot0.connect()
    with slot1.connect() as channel:
        assert channel.atr == ATR_B
        assert channel.transmit(bytes([0x00, ECHO_INS, 0, 0, 1]) + b"1") == b"1\x90\x00"


@pytest.mark.slow
def test_missing_reader_is_offline_and_never_raises(pcscd, slot_factory):
    slot = slot_factory("No Such Reader")
    assert slot.health().state is HealthState.OFFLINE
    assert slot.health().code == "reader_missing"
    slot.start(Events())
    assert wait_until(lambda: slot.health().code == "reader_missing", 2.0)
    assert slot.name == "No Such Reader"
    with pytest.raises(DeviceOffline) as raised:
        slot.connect()
    assert raised.value.code == "reader_missing"
    assert slot.status()["health_code"] == "reader_missing"


@pytest.mark.slow
def test_stop_joins_the_monitor_promptly(pcscd):
    slot = PcscSlot(READER_0, poll_timeout_s=30)  # a long wait: stop() must cancel it
    slot.start(Events())
    assert wait_until(lambda: slot.health().state is HealthState.OK, 2.0)
    assert any(t.name.startswith("pcsc-slot-") for t in threading.enumerate())
    time.sleep(0.2)  # let it settle into SCardGetStatusChange
    started = time.monotonic()
    slot.stop()
    assert time.monotonic() - started < 2.0
    assert [t.name for t in threading.enumerate() if t.name.startswith("pcsc-slot-")] == []
    slot.stop()  # safe twice


@pytest.mark.slow
def test_pcscd_restart_under_the_slot(owned_pcscd, bridge, slot_factory):
    card = EchoCard(ATR_A)
    slot = slot_factory(READER_0, poll_timeout_s=0.3)
    events = Events()
    slot.start(events)
    b = bridge(card)
    b.insert()
    assert events.wait(1, 2.0) == [(True, ATR_A)]
    monitor = [t for t in threading.enumerate() if t.name.startswith("pcsc-slot-")]
    before = slot.connect()
    try:
        owned_pcscd.stop()
        with pytest.raises(DeviceOffline) as raised:
            before.transmit(bytes([0x00, ECHO_INS, 0, 0, 1]) + b"x")
        assert raised.value.code == "pcscd_unavailable"
        before.close()
        assert wait_until(lambda: slot.health().code == "pcscd_unavailable", 3.0)
        assert slot.health().state is HealthState.OFFLINE
        assert events.wait(2, 2.0)[1] == (False, None)  # nothing can be read meanwhile
        assert list_readers() == []
        assert monitor[0].is_alive()
        with pytest.raises(DeviceOffline) as raised:
            slot.connect()
        assert raised.value.code == "pcscd_unavailable"
    finally:
        owned_pcscd.start()
    assert wait_until(lambda: slot.health().state is HealthState.OK, 5.0)
    assert events.wait(3, 5.0)[2] == (True, ATR_A), "the card was not seen after the restart"
    with slot.connect() as channel:
        assert channel.transmit(bytes([0x00, ECHO_INS, 0, 0, 1]) + b"r") == b"r\x90\x00"
    assert slot.status()["last_error"]  # the technician sees what went wrong


def test_the_package_imports_without_pyscard():
    code = ("import sys; sys.modules['smartcard'] = None\n"
            "import drivers.reader.pcsc as pcsc\n"
            "ok, why = pcsc.is_usable()\n"
            "assert ok is False and 'pyscard' in why, why\n"
            "assert pcsc.list_readers() == []\n"
            "h = pcsc.PcscSlot('x').health()\n"
            "assert h.state.value == 'offline', h\n"
            "print('ok', why)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok")


# -- reader unplugged and plugged back: vpcd's readers are fixed, so a fake pcsc-lite ------

class FakePcscLite:
    """Just enough of smartcard.scard for the monitor: readers come and go, cards too."""

    def __init__(self) -> None:
        from smartcard import scard

        for name in dir(scard):
            if name.startswith("SCARD_"):
                setattr(self, name, getattr(scard, name))
        self.cond = threading.Condition()
        self.readers: dict[str, tuple[int, bytes | None]] = {}  # name -> (events, ATR)
        self.cancelled: set[int] = set()
        self.contexts = 0

    def put(self, reader: str, atr: bytes | None) -> None:
        with self.cond:
            count = self.readers.get(reader, (0, None))[0]
            self.readers[reader] = (count + 1, atr)
            self.cond.notify_all()

    def unplug(self, reader: str) -> None:
        with self.cond:
            del self.readers[reader]
            self.cond.notify_all()

    def SCardEstablishContext(self, scope):
        self.contexts += 1
        return 0, self.contexts

    def SCardReleaseContext(self, context):
        return 0

    def SCardListReaders(self, context, groups):
        with self.cond:
            return (0, list(self.readers)) if self.readers else (self.SCARD_E_NO_READERS_AVAILABLE, [])

    def SCardCancel(self, context):
        with self.cond:
            self.cancelled.add(context)
            self.cond.notify_all()
        return 0

    def _state(self, reader: str) -> tuple[int, list[int]]:
        if reader == "\\\\?PnP?\\Notification":
            return len(self.readers) << 16, []
        if reader not in self.readers:
            return self.SCARD_STATE_UNKNOWN, []
        count, atr = self.readers[reader]
        flag = self.SCARD_STATE_PRESENT if atr is not None else self.SCARD_STATE_EMPTY
        return (count << 16) | flag, list(atr or b"")

    def SCardGetStatusChange(self, context, timeout_ms, states):
        deadline = time.monotonic() + timeout_ms / 1000
        with self.cond:
            while True:
                if context in self.cancelled:
                    self.cancelled.discard(context)
                    return self.SCARD_E_CANCELLED, []
                out = [(r, *self._state(r)) for r, _current in states]
                if any(now != current for (_r, now, _a), (_r2, current) in zip(out, states)):
                    return 0, [(r, now | self.SCARD_STATE_CHANGED, atr) for r, now, atr in out]
                left = deadline - time.monotonic()
                if left <= 0:
                    return self.SCARD_E_TIMEOUT, []
                self.cond.wait(left)


def test_reader_unplugged_and_plugged_back(monkeypatch):
    from drivers.reader import pcsc

    fake = FakePcscLite()
    monkeypatch.setattr(pcsc, "_scard", fake)
    fake.put("Other Reader 00 00", ATR_B)
    fake.put("ACS ACR1281U 00 00", ATR_A)
    slot = PcscSlot("acr1281")
    events = Events()
    slot.start(events)
    try:
        assert events.wait(1) == [(True, ATR_A)]
        assert slot.name == "ACS ACR1281U 00 00" and slot.health().state is HealthState.OK

        fake.put("Other Reader 00 00", None)  # another reader's card is none of our business
        fake.unplug("ACS ACR1281U 00 00")
        assert events.wait(2)[1] == (False, None)
        assert wait_until(lambda: slot.health().code == "reader_missing", 2.0)

        fake.put("ACS ACR1281U 01 00", ATR_B)  # plugged back, on another USB port
        assert events.wait(3)[2] == (True, ATR_B)
        assert slot.name == "ACS ACR1281U 01 00" and slot.health().state is HealthState.OK

        with fake.cond:  # lifted and another put down before the monitor looks again:
            fake.put("ACS ACR1281U 01 00", None)  # pcsc-lite's event count tells
            fake.put("ACS ACR1281U 01 00", ATR_A)
        assert events.wait(5)[3:] == [(False, None), (True, ATR_A)]
    finally:
        slot.stop()
    assert len(events.items) == 5
