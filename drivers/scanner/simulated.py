"""A barcode scanner without hardware: codes arrive from its own thread, as from a serial loop."""

from __future__ import annotations

import itertools
from typing import Any

from drivers.base import DeviceHealth, FaultScript, HealthState
from drivers.pump import EventPump
from drivers.scanner.base import BarcodeScanner, ScanListener


class SimulatedScanner(BarcodeScanner):
    """``scan(text)`` simulates a resident holding up a code. With ``codes`` and
    ``scan_after_s``, the next of ``codes`` (in turn, cycled) is scanned that many
    seconds after each ``arm()``. Faults: ``offline`` (while set: OFFLINE, scans lost),
    ``garbled`` (count: the next scans deliver a misread, truncated text)."""

    def __init__(self, name: str, codes: list[str] | None = None, scan_after_s: float | None = None,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        self.codes = list(codes or [])
        self.scan_after_s = scan_after_s
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._next_code = itertools.cycle(self.codes) if self.codes else None
        self._listener: ScanListener | None = None
        self._pump = EventPump(f"scanner-sim-{name}", self._deliver)

    def start(self, listener: ScanListener) -> None:
        self._listener = listener
        self._pump.start()

    def stop(self) -> None:
        self._pump.stop()

    def close(self) -> None:
        self.stop()

    def arm(self) -> None:
        codes = self._next_code
        if self.scan_after_s is not None and codes is not None:
            self._pump.schedule(self.scan_after_s, lambda: self.scan(next(codes)))

    def disarm(self) -> None:
        self._pump.cancel()

    def scan(self, text: str) -> None:
        """A code is held under the scanner; the listener hears it from the scanner's thread."""
        if self.faults.value("offline"):
            return
        if self.faults.trigger("garbled"):
            text = text[: max(1, len(text) // 2)]
        self._pump.put(text)

    def _deliver(self, text: str) -> None:
        if self._listener is not None:
            self._listener(text)

    def health(self) -> DeviceHealth:
        if self.faults.value("offline"):
            return DeviceHealth(HealthState.OFFLINE, "device_offline", "simulated: not answering")
        return DeviceHealth(HealthState.OK, "", "simulated scanner")
