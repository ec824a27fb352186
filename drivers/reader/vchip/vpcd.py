"""Put an in-process virtual card into a real PC/SC reader: vsmartcard's vpcd driver.

pcscd loads vpcd (``/etc/reader.conf.d/vpcd``), which shows readers named
"Virtual PCD 00 00", "Virtual PCD 00 01"... and listens on TCP port 35963 + slot
number for the card side. Whoever connects there is "the card on the reader":
pcscd sees it as inserted, powers it and sends it APDUs; closing the socket is the
card being lifted. This module is that card side, so the PC/SC driver and the whole
read can be tested end to end against a real pcscd without hardware.

The wire format: every message is a 2-byte big-endian length and then the payload.
A 1-byte payload from vpcd is a control code (0 power off, 1 power on, 2 reset,
4 "send the ATR", which is answered with the framed ATR); anything longer is a
command APDU, answered with the framed response APDU.

If vpcd drops the connection while the document is still "on the glass" (pcscd was
stopped or restarted), the bridge keeps dialling in, as a card left on a reader is
seen again by a restarted pcscd.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from typing import Protocol

from drivers.base import DeviceOffline
from drivers.reader.base import DocumentRemoved

log = logging.getLogger("drivers.reader.vpcd")

DEFAULT_PORT = 35963
CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4
RECONNECT_S = 0.2
CONNECT_TIMEOUT_S = 2.0


class VirtualCard(Protocol):
    atr: bytes

    def power_on(self) -> bytes: ...

    def power_off(self) -> None: ...

    def transmit(self, apdu: bytes) -> bytes: ...


class _Lifted(Exception):
    """The card left the field during a command: drop the connection for good."""


class VpcdBridge:
    """One virtual card on one vpcd slot; ``insert`` and ``remove`` as often as wanted."""

    def __init__(self, card: VirtualCard, host: str = "127.0.0.1",
                 port: int = DEFAULT_PORT) -> None:
        self.card = card
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._wanted = False  # the document lies on the reader
        self._stop = threading.Event()

    @property
    def inserted(self) -> bool:
        """True while the document lies on the reader (even while vpcd is re-dialled)."""
        with self._lock:
            return self._wanted

    def insert(self) -> None:
        """Connect to vpcd: from now on pcscd sees a card. Raises DeviceOffline if vpcd
        does not listen (pcscd not running, or vpcd not configured)."""
        with self._lock:
            if self._wanted:
                return
        self.remove()  # a thread left over from a card lifted by the chip itself
        sock = self._dial()
        with self._lock:
            self._sock = sock
            self._wanted = True
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._serve, args=(self._stop,),
                                            name=f"vpcd-bridge-{self.port}", daemon=True)
            self._thread.start()
        log.info("virtual card inserted on vpcd port %d", self.port)

    def remove(self) -> None:
        """The document is lifted: close the socket and join the serving thread.

        pcscd notices at its next presence poll (vpcd asks for the ATR about every
        400 ms); a card inserted again before then may be taken for the same one.
        """
        with self._lock:
            was = self._wanted
            self._wanted = False
            self._stop.set()
            sock, self._sock = self._sock, None
            thread, self._thread = self._thread, None
        _close(sock)
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
            if thread.is_alive():
                log.error("vpcd bridge thread on port %d did not stop", self.port)
        if was:
            log.info("virtual card removed from vpcd port %d", self.port)

    def close(self) -> None:
        self.remove()

    # -- the serving thread ------------------------------------------------------------

    def _dial(self) -> socket.socket:
        try:
            sock = socket.create_connection((self.host, self.port), timeout=CONNECT_TIMEOUT_S)
        except OSError as exc:
            # refused: pcscd/vpcd not running; timed out: vpcd's one-deep queue is full,
            # i.e. another card is already on this slot
            raise DeviceOffline(f"vpcd does not take a card on {self.host}:{self.port}: {exc}",
                                code="vpcd_unavailable") from None
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _serve(self, stop: threading.Event) -> None:
        while not stop.is_set():
            with self._lock:
                sock = self._sock
            if sock is None:
                sock = self._redial(stop)
                if sock is None:
                    return
            try:
                self._serve_connection(sock)
            except _Lifted:
                log.info("virtual card left the field: closing vpcd port %d", self.port)
                with self._lock:
                    if self._sock is sock:
                        self._sock = None
                        self._wanted = False
                _close(sock)
                return
            except OSError:
                pass  # vpcd went away (pcscd stopped) or remove() closed the socket
            with self._lock:
                if self._sock is sock:
                    self._sock = None
            _close(sock)
            if not stop.is_set():
                log.warning("vpcd closed port %d; dialling again", self.port)
                self._power_off()

    def _redial(self, stop: threading.Event) -> socket.socket | None:
        while not stop.wait(RECONNECT_S):
            try:
                sock = self._dial()
            except DeviceOffline:
                continue
            with self._lock:
                if stop.is_set():
                    _close(sock)
                    return None
                self._sock = sock
            log.info("virtual card back on vpcd port %d", self.port)
            return sock
        return None

    def _serve_connection(self, sock: socket.socket) -> None:
        while True:
            (size,) = struct.unpack("!H", _recv_exact(sock, 2))
            payload = _recv_exact(sock, size) if size else b""
            if size == 1:
                answer = self._control(payload[0])
                if answer is not None:
                    sock.sendall(struct.pack("!H", len(answer)) + answer)
            elif size > 1:
                try:
                    answer = self.card.transmit(payload)
                except DocumentRemoved:
                    raise _Lifted() from None
                except Exception:  # a card's bug: answer, or pcscd would wait forever
                    log.exception("virtual card failed on a command; answering 6F00")
                    answer = b"\x6F\x00"
                sock.sendall(struct.pack("!H", len(answer)) + answer)

    def _control(self, code: int) -> bytes | None:
        if code == CTRL_OFF:
            self._power_off()
        elif code in (CTRL_ON, CTRL_RESET):
            self.card.power_on()
        elif code == CTRL_ATR:
            return bytes(self.card.atr)
        else:
            log.warning("vpcd sent unknown control code %d", code)
        return None

    def _power_off(self) -> None:
        try:
            self.card.power_off()
        except Exception:  # a card's bug must not kill the bridge
            log.exception("virtual card power_off failed")


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionResetError("vpcd closed the connection")
        data += chunk
    return data


def _close(sock: socket.socket | None) -> None:
    if sock is None:
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


__all__ = ["DEFAULT_PORT", "VirtualCard", "VpcdBridge"]
