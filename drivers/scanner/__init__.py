"""2D barcode scanners, for the QR code on receipts. Registers "simulated"."""

from typing import Any

from drivers.base import register
from drivers.scanner.options import SimulatedScannerOptions

register("scanner", "simulated", "drivers.scanner.simulated:SimulatedScanner",
         options=SimulatedScannerOptions)

__all__ = ["SimulatedScanner"]


def __getattr__(name: str) -> Any:
    if name == "SimulatedScanner":
        from drivers.scanner.simulated import SimulatedScanner
        return SimulatedScanner
    raise AttributeError(name)
