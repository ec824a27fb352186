"""2D barcode scanners, for the QR code on receipts. Registers "simulated"."""

from drivers.base import register
from drivers.scanner.simulated import SimulatedScanner

register("scanner", "simulated", SimulatedScanner)

__all__ = ["SimulatedScanner"]
