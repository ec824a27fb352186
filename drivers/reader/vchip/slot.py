"""The virtual chip's pretend glass: a card slot without PC/SC, for the demo and tests.

It behaves as a PC/SC slot does seen from ChipReader: placing a chip or lifting it is
announced from the slot's own thread, ``connect`` powers the chip up and hands out a
channel, and a chip lifted mid-read makes ``transmit`` raise DocumentRemoved.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from drivers.base import DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.pump import EventPump
from drivers.reader.base import DocumentRemoved
from drivers.reader.vchip.chip import VirtualChip

SlotListener = Callable[[bool, "bytes | None"], None]


class VirtualChannel:
    """A connection to the chip on the glass; dead once that chip is lifted."""

    def __init__(self, slot: VirtualSlot, key: str, chip: VirtualChip) -> None:
        self._slot = slot
        self._key = key
        self._chip = chip
        self.atr = chip.atr

    def transmit(self, apdu: bytes) -> bytes:
        if self._slot.present_key != self._key:
            raise DocumentRemoved("the document was lifted")
        self._slot.air_time(len(apdu))
        answer = self._chip.transmit(apdu)
        self._slot.air_time(len(answer))
        return answer

    def close(self) -> None:
        """Nothing to release: the chip stays powered while it lies on the glass."""


class VirtualSlot:
    """Holds named virtual chips, issued on first use; one at a time lies on the reader.

    ``bits_per_s`` makes each exchange take as long as it would over the air (ISO 14443
    at 424 kbit/s, say), so the demo's progress bar moves as a real read's would; 0 is
    instant, for tests. ``air_seconds`` adds up that pretend time for the benchmark.
    """

    def __init__(self, name: str, chips: Mapping[str, Callable[[], VirtualChip]],
                 faults: FaultScript | None = None, bits_per_s: float = 0.0) -> None:
        self.name = name
        self._factories = dict(chips)
        self._chips: dict[str, VirtualChip] = {}
        self.faults = faults or FaultScript()
        self.bits_per_s = bits_per_s
        self.air_seconds = 0.0
        self._lock = threading.Lock()
        self._present: str | None = None
        self._listener: SlotListener | None = None
        self._pump = EventPump(f"reader-vchip-{name}", self._deliver)

    def chip(self, key: str) -> VirtualChip:
        """The persona's chip, issued the first time it is asked for."""
        chip = self._chips.get(key)
        if chip is None:
            chip = self._chips[key] = self._factories[key]()
            chip.on_removed = lambda: self._removed_by_chip(key)
        return chip

    def air_time(self, length: int) -> None:
        """Spend the time ``length`` bytes take over the air (plus a frame's overhead)."""
        if self.bits_per_s > 0:
            seconds = (length + 4) * 8 / self.bits_per_s
            self.air_seconds += seconds
            time.sleep(seconds)

    @property
    def present_key(self) -> str | None:
        with self._lock:
            return self._present

    def place(self, key: str) -> None:
        """A resident puts a document down (another one on the glass is lifted first)."""
        if key not in self._factories:
            raise ValueError(f"no virtual document {key!r}; known: {', '.join(self._factories)}")
        chip = self.chip(key)
        with self._lock:
            if self._present == key:
                return
            if self._present is not None:
                self._lift_locked()
            chip.power_on()
            self._present = key
            self._pump.put((True, chip.atr))

    def lift(self) -> None:
        with self._lock:
            self._lift_locked()

    def _lift_locked(self) -> None:
        if self._present is None:
            return
        self._chips[self._present].power_off()
        self._present = None
        self._pump.put((False, None))

    def _removed_by_chip(self, key: str) -> None:
        """The chip's 'removed at APDU n' fault fired: the document left the field."""
        with self._lock:
            if self._present == key:
                self._lift_locked()

    # -- the CardSlot interface ------------------------------------------------------------
    def start(self, listener: SlotListener) -> None:
        self._listener = listener
        if self._pump.running:
            return
        self._pump.start()
        with self._lock:
            if self._present is not None:
                self._pump.put((True, self._chips[self._present].atr))

    def stop(self) -> None:
        self._pump.stop()

    def schedule(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run ``action`` on the slot's thread after ``delay_s`` (replaces one pending)."""
        self._pump.schedule(delay_s, action)

    def cancel(self) -> None:
        self._pump.cancel()

    def connect(self) -> VirtualChannel:
        if self.faults.value("offline"):
            raise DeviceOffline("virtual reader does not answer")
        with self._lock:
            key = self._present
        if key is None:
            raise DocumentRemoved("no document on the reader")
        return VirtualChannel(self, key, self._chips[key])

    def _deliver(self, event: tuple[bool, bytes | None]) -> None:
        if self._listener is not None:
            self._listener(*event)

    def health(self) -> DeviceHealth:
        if self.faults.value("offline"):
            return DeviceHealth(HealthState.OFFLINE, "device_offline", "virtual reader: not answering")
        return DeviceHealth(HealthState.OK, "",
                            f"virtual chip reader ({len(self._factories)} documents)")

    def status(self) -> dict[str, Any]:
        key = self.present_key
        return {"present": key is not None,
                "atr": self._chips[key].atr.hex().upper() if key else "",
                "protocol": "virtual"}
