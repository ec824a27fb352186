"""Options of the barcode scanner drivers ("simulated"), checked at load."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drivers.options import DriverOptions, faults_field


class SimulatedScannerOptions(DriverOptions):
    """A pretend scanner: ``scan(text)``, or ``codes`` scanned by themselves after arm()."""

    codes: list[str] | None = Field(None, description="Codes scanned in turn (cycled), "
                                    "scan_after_s after each arm().")
    scan_after_s: float | None = Field(None, ge=0, description="Seconds after arm() until "
                                       "the next of codes is scanned; none: never.")
    faults: dict[str, Any] | None = faults_field("offline, garbled")
