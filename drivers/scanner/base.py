"""The 2D barcode scanner interface: it reads the QR code on a resident's receipt.

Kiosk scanner modules (USB HID or serial) decode on board and send the text, so
the interface is a stream of decoded strings from the driver's own thread.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable

from drivers.base import Device, DeviceError

ScanListener = Callable[[str], None]


class ScannerError(DeviceError):
    code = "scanner_error"


class BarcodeScanner(Device):
    """Delivers each decoded code to the listener, from the driver's thread."""

    kind = "scanner"

    @abstractmethod
    def start(self, listener: ScanListener) -> None:
        """Begin listening for scans."""

    @abstractmethod
    def stop(self) -> None:
        """Stop listening and join any thread; safe to call twice."""

    def arm(self) -> None:
        """The kiosk waits for a code: a real module may light its aimer, a simulator
        may scan a code by itself."""

    def disarm(self) -> None:
        """The kiosk no longer waits for a code."""
