"""The ESC/POS receipt printer driver: connection, status, printing and the rest of a
receipt cut off part way (see the package's docstring for how and why)."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any, TypedDict

from drivers.base import DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.printer.base import (
    Level,
    OutOfPaper,
    PrinterError,
    PrintResult,
    ReceiptDocument,
    ReceiptPrinter,
    Supplies,
    Supply,
)
from drivers.printer.escpos.encoding import CUT_DOTS, ReceiptEncoder
from drivers.printer.escpos.links import Link, NetworkLink, SerialLink, UsbLink
from drivers.printer.escpos.marker import InFlightMarker
from drivers.printer.escpos.status import (
    CLEAR_RESPONSE,
    DLE_DC4_CLEAR,
    DLE_EOT,
    GS_R_PAPER,
    PrinterStatus,
    health_of,
    is_status_byte,
    raise_for,
)
from drivers.printer.job_index import JobIndex
from drivers.printer.options import CLEAR_BUFFER_CHOICES

log = logging.getLogger("drivers.printer.escpos")

_PRINT_MM_PER_S = 60.0  # slow end of thermal printers, for waiting on one that lacks GS r
_CONFIRM_SLACK_S = 2.0
_POLL_S = 0.2
_CHUNK = 4096


def is_usable() -> tuple[bool, str]:
    """python-escpos must import; says which transports have their libraries."""
    try:
        import escpos
        from escpos.printer import Dummy  # noqa: F401
    except ImportError as exc:
        return False, f"python-escpos is not installed ({exc})"
    have = []
    try:
        import serial
        have.append(f"serial (pyserial {serial.__version__})")
    except ImportError:
        have.append("no serial (pyserial missing)")
    try:
        import usb.core  # noqa: F401
        have.append("usb")
    except ImportError:
        have.append("no usb (pyusb missing)")
    have.append("network")
    version = getattr(escpos, "__version__", "")
    return True, f"python-escpos {version}; " + ", ".join(have)


class _SerialSettings(TypedDict):
    port: str
    baudrate: int
    bytesize: int
    parity: str
    stopbits: float
    rtscts: bool
    xonxoff: bool


class _NetworkSettings(TypedDict):
    host: str
    port: int
    timeout_s: float


class _UsbSettings(TypedDict):
    """Vendor and product may be unset in the config; the link is then never opened."""

    vendor: int | None
    product: int | None
    in_ep: int
    out_ep: int


class EscposReceiptPrinter(ReceiptPrinter):
    """A thermal receipt printer speaking ESC/POS.

    transport "serial": ``port``, ``baudrate``, ``bytesize``, ``parity`` ("N", "E", "O"),
    ``stopbits``, ``rtscts`` / ``xonxoff`` (flow control; most ESC/POS printers hold
    DTR for busy, which reaches the host's CTS with the usual cable: use rtscts).
    "usb": ``usb_vendor``, ``usb_product`` (ints or "0x0416" strings), endpoints.
    "network": ``host``, ``tcp_port`` (9100).
    ``paper_mm`` 80 or 58, ``dpi`` (203: 576 / 384 dots), ``mode`` "text" or "raster".
    ``clear_buffer`` "dle_dc4" or "void": how the rest of a receipt cut off part way
    is kept from printing as if nothing happened (the package docstring).
    ``faults`` (self-tests): "offline", "paper_out", "cover_open", "jam" override what
    the printer says.
    """

    def __init__(self, name: str, *, job_index_dir: str, transport: str = "serial",
                 port: str = "/dev/ttyUSB0", baudrate: int = 19200, bytesize: int = 8,
                 parity: str = "N", stopbits: float = 1, rtscts: bool = False,
                 xonxoff: bool = False, host: str = "", tcp_port: int = 9100,
                 usb_vendor: int | str | None = None, usb_product: int | str | None = None,
                 usb_in_ep: int | str = 0x82, usb_out_ep: int | str = 0x01, paper_mm: int = 80,
                 dpi: int = 203, mode: str = "text", status_timeout_s: float = 0.5,
                 clear_buffer: str = "dle_dc4",
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        if transport not in ("serial", "usb", "network"):
            raise ValueError(f"transport must be serial, usb or network, not {transport!r}")
        if mode not in ("text", "raster"):
            raise ValueError(f"mode must be text or raster, not {mode!r}")
        if clear_buffer not in CLEAR_BUFFER_CHOICES:
            raise ValueError(f"clear_buffer must be dle_dc4 or void, not {clear_buffer!r}")
        self.clear_buffer = clear_buffer
        self._encoder = ReceiptEncoder(mode, paper_mm, dpi)  # also checks paper_mm
        self.width = self._encoder.width
        self.transport, self.paper_mm, self.dpi, self.mode = transport, paper_mm, dpi, mode
        self.status_timeout_s = status_timeout_s
        self._serial = _SerialSettings(port=port, baudrate=baudrate, bytesize=bytesize,
                                       parity=parity, stopbits=stopbits, rtscts=rtscts,
                                       xonxoff=xonxoff)
        self._network = _NetworkSettings(host=host, port=tcp_port,
                                         timeout_s=max(1.0, status_timeout_s))
        self._usb = _UsbSettings(vendor=_optional_int(usb_vendor),
                                 product=_optional_int(usb_product), in_ep=_int(usb_in_ep),
                                 out_ep=_int(usb_out_ep))
        bits = 1 + bytesize + (parity.upper() != "N") + stopbits  # start, data, parity, stop
        self.bytes_per_s = baudrate / bits if transport == "serial" else 1e6
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._index = JobIndex(Path(job_index_dir) / "receipt_jobs.sqlite3")
        self._in_flight = InFlightMarker(Path(job_index_dir) / "receipt_in_flight")
        self._lock = threading.Lock()
        self._link: Link | None = None
        self._last_health: DeviceHealth | None = None

    # -- connection

    def open(self) -> None:
        """Connect now if the printer is there; if not, health() says so later."""
        with self._lock:
            try:
                self._connected()
            except Exception as exc:
                log.warning("receipt printer %s not reachable yet: %s", self.name, exc)

    def close(self) -> None:
        with self._lock:
            self._drop()
            self._index.close()

    def _connected(self) -> Link:
        """The open link; a new one first settles what a cut-off receipt left behind."""
        if self._link is None:
            self._link = self._open_link()
            if self._in_flight.present:
                self._settle_rest()
            if self._link is None:
                raise DeviceOffline(f"{self._where()}: stopped answering on connect")
        return self._link

    def _open_link(self) -> Link:
        if self.transport == "serial":
            return SerialLink(**self._serial)
        if self.transport == "network":
            return NetworkLink(**self._network)
        vendor, product = self._usb["vendor"], self._usb["product"]
        if vendor is None or product is None:
            # python-escpos would take the first USB device of any kind, and detach its driver
            raise DeviceOffline("usb_vendor and usb_product are not both set")
        return UsbLink(vendor, product, self._usb["in_ep"], self._usb["out_ep"])

    def _drop(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def _where(self) -> str:
        if self.transport == "serial":
            return str(self._serial["port"])
        if self.transport == "network":
            return f"{self._network['host']}:{self._network['port']}"
        return f"usb {self._usb['vendor']}:{self._usb['product']}"

    # -- status

    def _poll(self) -> tuple[DeviceHealth, PrinterStatus | None]:
        """Ask DLE EOT 1-4; never raises. The lock must be held."""
        if self.faults.value("offline"):
            return DeviceHealth(HealthState.OFFLINE, DeviceOffline.code, "fault: offline"), None
        try:
            health, status = self._ask_status(self._connected())
        except Exception as exc:
            self._drop()
            words = " ".join(f"{type(exc).__name__}: {exc}".split())
            return DeviceHealth(HealthState.OFFLINE, DeviceOffline.code,
                                f"{self._where()}: {words}"[:200]), None
        if status is None:
            return health, None
        status = self._with_faults(status)
        return health_of(status), status

    def _ask_status(self, link: Link) -> tuple[DeviceHealth, PrinterStatus | None]:
        """DLE EOT 1-4 as the printer answers them, without faults; raises on I/O errors."""
        link.discard_input()
        answers = b""
        late = 0
        for n in (1, 2, 3, 4):
            link.send(DLE_EOT + bytes([n]), self.status_timeout_s + 1.0)
            got = link.receive(1, self.status_timeout_s)
            while got and got[0] & 0x90 == 0 and late < 4:
                # GS r's answer (bits 4 and 7 off) to a held receipt whose rest printed
                # after all, e.g. when paper was loaded: late, never a DLE EOT answer.
                late += 1
                got = link.receive(1, self.status_timeout_s)
            answers += got
            if len(answers) < n:
                break
        if len(answers) < 4:
            return DeviceHealth(HealthState.UNKNOWN, "printer_silent",
                                f"{self._where()}: answered {len(answers)} of 4 status requests "
                                f"within {self.status_timeout_s:g} s"), None
        if not all(is_status_byte(b) for b in answers):
            return DeviceHealth(HealthState.UNKNOWN, "printer_garbled",
                                f"{self._where()}: not ESC/POS status bytes "
                                f"({answers.hex(' ')}): wrong baud rate?"), None
        status = PrinterStatus.parse(answers)
        return health_of(status), status

    def _with_faults(self, status: PrinterStatus) -> PrinterStatus:
        if self.faults.value("paper_out"):
            status = replace(status, paper_out=True)
        if self.faults.value("cover_open"):
            status = replace(status, cover_open=True)
        if self.faults.value("jam"):
            status = replace(status, cutter_error=True)
        return status

    def _status(self) -> tuple[DeviceHealth, PrinterStatus | None]:
        """Poll unless a receipt is being printed; then say what was last known."""
        if not self._lock.acquire(timeout=4 * self.status_timeout_s + 1.0):
            return self._last_health or DeviceHealth(HealthState.UNKNOWN, "printer_busy",
                                                     "printing"), None
        try:
            health, status = self._poll()
            self._last_health = health
            return health, status
        finally:
            self._lock.release()

    def health(self) -> DeviceHealth:
        try:
            return self._status()[0]
        except Exception as exc:  # health() never raises
            log.exception("receipt printer health failed")
            return DeviceHealth(HealthState.UNKNOWN, "printer_silent", type(exc).__name__)

    def supplies(self) -> Supplies:
        try:
            status = self._status()[1]
        except Exception:
            log.exception("receipt printer supplies failed")
            status = None
        if status is None:
            level = Level.UNKNOWN
        elif status.paper_out:
            level = Level.EMPTY
        elif status.paper_near_end:
            level = Level.LOW
        else:
            level = Level.OK
        return Supplies((Supply("paper", level),))

    # -- printing

    def print_receipt(self, receipt: ReceiptDocument, job_key: str) -> PrintResult:
        with self._lock:
            done = self._index.get(job_key)
            if done is not None:
                return done
            health, _ = self._poll()  # a new connection settles an earlier receipt's rest
            self._last_health = health
            raise_for(health)
            if self._in_flight.present and not self._settle_rest():
                raise DeviceOffline("the rest of an interrupted receipt could not be cleared",
                                    code="printer_residue")
            body, cut, length_dots = self._encoder.encode(receipt)
            self._in_flight.set()
            try:
                answered = self._send_and_confirm(body, length_dots, _CONFIRM_SLACK_S)
            except Exception:
                self._settle_rest()
                raise
            self._in_flight.clear()  # all of it is on paper: nothing left to mark void
            result = PrintResult(f"receipt-{uuid.uuid4().hex[:12]}", 1, None)
            self._index.put(job_key, result)  # printed, so a retry never prints it again
            self._feed_and_cut(cut, answered)
            return result

    def encode_receipt(self, receipt: ReceiptDocument) -> bytes:
        """The bytes print_receipt sends for ``receipt``, feed and cut included (not GS r)."""
        body, cut, _ = self._encoder.encode(receipt)
        return body + cut

    def _send_and_confirm(self, data: bytes, length_dots: int, slack_s: float) -> bool:
        """Send, then wait until GS r says it is on paper; False if taken on trust."""
        self._send(data)
        return self._confirm(length_dots, slack_s)

    def _feed_and_cut(self, cut: bytes, body_answered: bool) -> None:
        """The cut once the content is on paper; a paper end now spoils nothing printed.

        A printer stopped here by a jam or an open cover still fails the call, since the
        resident may not get that piece of paper (the kiosk shows the QR code instead);
        it holds only the feed and cut, which finish the receipt when it goes on, so
        nothing is cleared, and the job is already recorded: a retry prints no copy.
        """
        try:  # a printer that ignored GS r for the body is not waited on for the cut either
            self._send_and_confirm(cut, CUT_DOTS, _CONFIRM_SLACK_S if body_answered else 0.0)
        except OutOfPaper:
            log.warning("receipt printed; the paper ran out before its cut")

    def _send(self, job: bytes) -> None:
        link = self._connected_or_offline()
        try:
            for start in range(0, len(job), _CHUNK):
                chunk = job[start:start + _CHUNK]
                link.send(chunk, 2 * len(chunk) / self.bytes_per_s + 5.0)
        except Exception as exc:
            log.warning("receipt printer stopped taking data: %s", exc)
            self._drop()
            health, _ = self._poll()  # say why, if it still answers
            raise_for(health)
            raise DeviceOffline(f"printer stopped taking data: {type(exc).__name__}") from exc

    def _connected_or_offline(self) -> Link:
        try:
            return self._connected()
        except Exception as exc:
            self._drop()
            raise DeviceOffline(f"{self._where()}: {exc}") from exc

    def _confirm(self, length_dots: int, slack_s: float) -> bool:
        """Wait for the GS r 1 answer that follows the data; fail on paper out meanwhile.

        True when the printer answered; False when it did not but its status stayed fine
        until the printing time had passed.
        """
        link = self._connected_or_offline()
        printing_s = length_dots / (self.dpi / 25.4) / _PRINT_MM_PER_S
        try:
            link.discard_input()
            link.send(GS_R_PAPER, 5.0)
            deadline = time.monotonic() + printing_s + slack_s
            next_poll = time.monotonic() + _POLL_S
            while time.monotonic() < deadline:
                got = link.receive(1, max(0.0, min(0.05, deadline - time.monotonic())))
                if got and got[0] & 0x90 == 0:  # bit 4 off: GS r's answer, not DLE EOT's
                    if got[0] & 0x0C:
                        log.warning("receipt printed; the paper ran out just after it")
                    return True
                if got and is_status_byte(got[0]) and got[0] & 0x24:
                    break  # stopped at paper end, or the cover was opened
                if time.monotonic() >= next_poll:
                    link.send(DLE_EOT + b"\x02", 5.0)
                    next_poll = time.monotonic() + _POLL_S
        except Exception as exc:
            self._drop()
            raise DeviceOffline(f"printer went away while printing: {type(exc).__name__}") from exc
        health, status = self._poll()
        self._last_health = health
        if status is not None and status.paper_out:
            raise OutOfPaper("paper ran out while printing")
        raise_for(health)
        if status is not None and (status.error or status.offline or status.recovering):
            raise PrinterError("printer stopped while printing",
                               code=health.code or "printer_fault")
        log.warning("receipt printer %s did not answer GS r; receipt taken as printed "
                    "because its status is fine", self.name)
        return False

    # -- the rest of a receipt cut off part way

    def _settle_rest(self) -> bool:
        """Keep what a cut-off receipt left in the printer from printing unmarked.

        Cleared by DLE DC4 fn=8, or (printers without it) a void note queued behind it.
        True when settled (the marker is gone); never raises: a printer that cannot be
        reached keeps the marker, and the next connection or receipt tries again.
        """
        if not self._in_flight.present:
            return True
        try:
            if self._link is None:
                self._link = self._open_link()
            outcome = self._settle_on(self._link)
        except Exception as exc:
            log.warning("rest of an interrupted receipt not settled yet: %s",
                        type(exc).__name__)
            self._drop()
            return False
        if outcome == "unknown":
            return False
        self._in_flight.clear()
        log.info("rest of an interrupted receipt settled: %s", outcome)
        return True

    def _settle_on(self, link: Link) -> str:
        """What was done: "cleared", "void_note", "cleared, void_note" or "unknown" (the
        printer did not say its status; tried again later)."""
        cleared = self.clear_buffer == "dle_dc4" and self._clear(link)
        if self.clear_buffer == "dle_dc4" and not cleared:
            log.warning("receipt printer %s did not answer DLE DC4 fn=8 (clear buffers); "
                        "set clear_buffer = \"void\" for this model", self.name)
        _, status = self._ask_status(link)
        if status is None and not cleared:
            return "unknown"
        if cleared and status is not None and status.paper_out:
            return "cleared"  # what printed is on the spent roll's end, nothing on the new one
        # Under the rest (not cleared), or under the printed part still on the roll
        # (cleared, cover open or jam, or a kiosk restarted mid-receipt): the note and a
        # cut, so no part of this receipt is glued to the top of the next resident's.
        note = self._encoder.void_note()
        link.send(note, 5.0 + 2 * len(note) / self.bytes_per_s)
        return "cleared, void_note" if cleared else "void_note"

    def _clear(self, link: Link) -> bool:
        """DLE DC4 fn=8; True once the printer answers that both buffers are empty."""
        link.discard_input()
        link.send(DLE_DC4_CLEAR, self.status_timeout_s + 1.0)
        deadline = time.monotonic() + self.status_timeout_s + 0.5
        seen = b""
        while time.monotonic() < deadline:  # other answers may come first: skip them
            seen += link.receive(1, max(0.0, deadline - time.monotonic()))
            if seen.endswith(CLEAR_RESPONSE):
                return True
        return False


def _int(value: int | str) -> int:
    """A number from the config: an int, or text such as "0x0416"."""
    return value if isinstance(value, int) else int(value, 0)


def _optional_int(value: int | str | None) -> int | None:
    return None if value is None else _int(value)
