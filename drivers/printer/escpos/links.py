"""Raw bytes both ways over one python-escpos connection: serial, TCP 9100 or USB.

python-escpos is imported inside the links, so importing this module needs none of it.
"""

from __future__ import annotations

import logging
import socket
import time
from typing import Any

log = logging.getLogger("drivers.printer.escpos")

class Link:
    """Raw bytes both ways over one open python-escpos connection."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer
        self._pending = b""

    def send(self, data: bytes, timeout_s: float) -> None:
        raise NotImplementedError

    def _read_some(self, timeout_s: float) -> bytes:
        raise NotImplementedError

    def receive(self, size: int, timeout_s: float) -> bytes:
        """Up to ``size`` bytes, waiting at most ``timeout_s`` for them."""
        deadline = time.monotonic() + timeout_s
        while len(self._pending) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._pending += self._read_some(left)
        got, self._pending = self._pending[:size], self._pending[size:]
        return got

    def discard_input(self) -> None:
        """Forget answers nobody waits for any more."""
        self._pending = b""
        while self._read_some(0.0):
            pass

    def close(self) -> None:
        try:
            self.printer.close()
        except Exception:  # a vanished device may fail to close; it is gone either way
            log.debug("closing the printer connection failed", exc_info=True)
        self.printer._device = False  # python-escpos reopens on access otherwise


class SerialLink(Link):
    def __init__(self, port: str, baudrate: int, bytesize: int, parity: str, stopbits: float,
                 rtscts: bool, xonxoff: bool) -> None:
        from escpos.printer import Serial
        printer = Serial(devfile=port, baudrate=baudrate, bytesize=bytesize, timeout=0,
                         parity=parity, stopbits=stopbits, xonxoff=xonxoff, dsrdtr=False)
        printer.open()
        super().__init__(printer)
        self.port = printer.device
        self.port.rtscts = rtscts

    def send(self, data: bytes, timeout_s: float) -> None:
        import serial
        self.port.write_timeout = timeout_s
        self.printer._raw(data)
        # Wait until it left the UART rather than tcdrain(), which has no timeout
        # and would hang for good on a printer holding flow control.
        deadline = time.monotonic() + timeout_s
        while self.port.out_waiting:
            if time.monotonic() > deadline:
                raise serial.SerialTimeoutException("printer does not take data")
            time.sleep(0.005)

    def _read_some(self, timeout_s: float) -> bytes:
        self.port.timeout = timeout_s
        return self.port.read(max(1, self.port.in_waiting))

    def discard_input(self) -> None:
        self._pending = b""
        self.port.reset_input_buffer()

    def close(self) -> None:
        try:  # close() of a tty waits for unsent output: drop it first
            self.port.reset_output_buffer()
            self.port.close()
        except Exception:
            log.debug("closing the serial port failed", exc_info=True)
        self.printer._device = False


class NetworkLink(Link):
    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        from escpos.printer import Network
        printer = Network(host=host, port=port, timeout=timeout_s)
        printer.open()
        super().__init__(printer)
        self.sock: socket.socket = printer.device

    def send(self, data: bytes, timeout_s: float) -> None:
        self.sock.settimeout(timeout_s)
        self.printer._raw(data)

    def _read_some(self, timeout_s: float) -> bytes:
        self.sock.settimeout(timeout_s if timeout_s > 0 else 0.0)
        try:
            data = self.sock.recv(64)
        except (TimeoutError, BlockingIOError):
            return b""
        if not data:
            raise ConnectionError("printer closed the connection")
        return data


class UsbLink(Link):
    def __init__(self, vendor: int, product: int, in_ep: int, out_ep: int) -> None:
        from escpos.printer import Usb
        printer = Usb(idVendor=vendor, idProduct=product, timeout=0, in_ep=in_ep, out_ep=out_ep)
        printer.open()
        super().__init__(printer)
        self.dev, self.in_ep, self.out_ep = printer.device, in_ep, out_ep

    def send(self, data: bytes, timeout_s: float) -> None:
        self.dev.write(self.out_ep, data, max(1, int(timeout_s * 1000)))

    def _read_some(self, timeout_s: float) -> bytes:
        import usb.core
        try:
            return bytes(self.dev.read(self.in_ep, 64, max(1, int(timeout_s * 1000))))
        except usb.core.USBTimeoutError:
            return b""
