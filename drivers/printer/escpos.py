"""ESC/POS thermal receipt printers, through python-escpos, over serial, USB or TCP 9100.

Text or raster. A receipt goes to the printer either as text in the printer's own
Chinese font (``mode="text"``: FS & selects Chinese mode, text is GB18030, the QR
code is the printer's own GS ( k symbol) or as one picture of ``render_receipt``
(``mode="raster"``: GS v 0 bands, the QR code inside the picture). Measured for a
typical Chinese receipt of 15 lines (benchmarks/receipt_escpos.py; 8N1 line, 10 bits
a byte):

                 bytes    19200 baud   115200 baud
    80 mm text   0.74 kB     0.39 s       0.06 s
    80 mm raster  74 kB     38.6 s        6.4 s
    58 mm text   0.75 kB     0.39 s       0.06 s
    58 mm raster  52 kB     26.9 s        4.5 s

The default is **text**: a raster receipt is 70 to 100 times the bytes, and at
the 19200 baud most serial printers ship with, a resident would wait half a minute
for it (six seconds even at 115200), while the printer prints the text one in
about a second. Encoding either takes under 0.1 s. Text mode needs a
printer with a Chinese (GB18030/GBK) font in ROM, as printers sold in China have;
choose ``mode="raster"`` (and raise the printer's baud rate, or use USB or the
network) for a printer without one. A line with a character outside the
double-byte part of GB18030 (rare characters in an address) has no glyph in such
fonts, so text mode sends just that line as a small raster strip. Text mode lays
out in the printer's 12 x 24 / 24 x 24 dot cells (48 or 32 half-width columns on
80 or 58 mm): titles double width and height (double height only if that would
wrap), headings bold and double height, body and small lines at the one size
printers have for Chinese.

Status. Before a receipt the driver asks DLE EOT 1-4 (printer, offline cause,
error cause, paper roll sensor) itself, over its own connection: python-escpos's
``paper_status()`` says "adequate" when the printer does not answer. A printer that
does not answer within ``status_timeout_s`` is UNKNOWN ("printer_silent"), never
fine. Health codes: printer_silent, printer_garbled (answers that are no status
byte: a wrong baud rate), device_offline (port or host unreachable),
printer_offline, cover_open, paper_out, paper_low, printer_jam (autocutter error),
printer_fault, printer_recovering. Status queries go only between whole commands,
never inside another one. After the receipt it sends GS r 1: unlike DLE EOT, that command waits its
turn behind the receipt, so its answer means the whole receipt, cut included, was
printed. While waiting it asks DLE EOT 2 every 0.2 s, so a roll that runs out, or
a cover that opens, part way through fails the job at once (OutOfPaper, not
recorded as printed). A printer that never answers GS r but whose status stays
fine is taken to have printed once the receipt's printing time has passed.
A printer stopped part way keeps the rest of the receipt in its buffer and may
print it once paper is loaded; the kiosk's retry then prints a whole new copy.

DLE EOT is a real-time command: a printer acts on it wherever the three bytes
appear, even inside picture data. Raster data is therefore "defused": a dot byte
0x10 followed by 0x04, 0x05 or 0x14 (DLE EOT, DLE ENQ, DLE DC4, the last two can
clear the buffer or power the printer off) loses that single dot. Text has every
control character removed before it is sent, so no receipt text can smuggle in a
command.

Idempotency is the simulator's: ``JobIndex`` in ``job_index_dir``, a key printed
before returns its first PrintResult and nothing is sent. Nothing printed is kept
on disk (receipts carry personal data).
"""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import unicodedata
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from drivers.base import DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.printer.base import (Level, LineStyle, OutOfPaper, PrinterError, PrinterJam,
                                  PrintResult, ReceiptDocument, ReceiptLine, ReceiptPrinter,
                                  Supplies, Supply)
from drivers.printer.job_index import JobIndex
from drivers.printer.layout import font, line_height, wrap
from drivers.printer.render import printable_width, render_receipt

log = logging.getLogger("drivers.printer.escpos")

DLE_EOT = b"\x10\x04"
GS_R_PAPER = b"\x1dr\x01"  # transmit paper sensor status, in turn after the receipt
FS_CHINESE = b"\x1c&"  # Chinese (double-byte GB18030) character mode on
BAND_ROWS = 256  # rows per GS v 0 command: small enough for printers with small buffers
_REALTIME = re.compile(rb"\x10(?=[\x04\x05\x14])")
_HALF_CELL = 12  # dots of a single-byte character in font A (12 x 24); double-byte is 24
_LINE_DOTS = 30  # default line spacing of 24-dot fonts on Chinese printers (3.75 mm)
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


# -- status -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PrinterStatus:
    """The four DLE EOT answers, decoded (bit numbers from the ESC/POS reference)."""

    offline: bool = False  # n=1 bit 3
    cover_open: bool = False  # n=2 bit 2
    paper_out: bool = False  # n=2 bit 5 (stopped at paper end) or n=4 bit 5 (end sensor)
    error: bool = False  # n=2 bit 6
    cutter_error: bool = False  # n=3 bit 3
    unrecoverable: bool = False  # n=3 bit 5
    recovering: bool = False  # n=3 bit 6: e.g. head too hot, resumes by itself
    paper_near_end: bool = False  # n=4 bits 2-3
    raw: bytes = b""

    @classmethod
    def parse(cls, raw: bytes) -> PrinterStatus:
        printer, offline, error, paper = raw[:4]
        return cls(offline=bool(printer & 0x08), cover_open=bool(offline & 0x04),
                   paper_out=bool(offline & 0x20 or paper & 0x20), error=bool(offline & 0x40),
                   cutter_error=bool(error & 0x08), unrecoverable=bool(error & 0x20),
                   recovering=bool(error & 0x40), paper_near_end=bool(paper & 0x0C),
                   raw=bytes(raw[:4]))


def is_status_byte(b: int) -> bool:
    """DLE EOT answers have bits 1 and 4 on, 0 and 7 off; anything else is noise."""
    return b & 0x93 == 0x12


def health_of(status: PrinterStatus) -> DeviceHealth:
    """The worst thing first, as the simulator does."""
    detail = "status " + status.raw.hex(" ")
    if status.cover_open:
        return DeviceHealth(HealthState.ERROR, "cover_open", "cover open; " + detail)
    if status.paper_out:
        return DeviceHealth(HealthState.ERROR, OutOfPaper.code, "paper out; " + detail)
    if status.cutter_error:
        return DeviceHealth(HealthState.ERROR, PrinterJam.code, "autocutter error; " + detail)
    if status.unrecoverable:
        return DeviceHealth(HealthState.ERROR, "printer_fault", "unrecoverable error; " + detail)
    if status.recovering:
        return DeviceHealth(HealthState.WARNING, "printer_recovering",
                            "paused until it recovers (head temperature); " + detail)
    if status.offline or status.error:
        return DeviceHealth(HealthState.OFFLINE, "printer_offline", "printer offline; " + detail)
    if status.paper_near_end:
        return DeviceHealth(HealthState.WARNING, "paper_low", "paper near end; " + detail)
    return DeviceHealth(HealthState.OK, "", detail)


def _raise_for(health: DeviceHealth) -> None:
    """Refuse to print on anything but OK or WARNING, with the matching error."""
    if health.usable:
        return
    if health.code == OutOfPaper.code:
        raise OutOfPaper(health.detail)
    if health.code == PrinterJam.code:
        raise PrinterJam(health.detail)
    if health.state in (HealthState.UNKNOWN, HealthState.OFFLINE):
        raise DeviceOffline(health.detail, code=health.code or DeviceOffline.code)
    raise PrinterError(health.detail, code=health.code or PrinterError.code)


# -- transports -------------------------------------------------------------------------

class _Link:
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


class _SerialLink(_Link):
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


class _NetworkLink(_Link):
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
        except (socket.timeout, BlockingIOError):
            return b""
        if not data:
            raise ConnectionError("printer closed the connection")
        return data


class _UsbLink(_Link):
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


# -- layout -----------------------------------------------------------------------------

@dataclass(frozen=True)
class _TextStyle:
    width: int  # GS ! multipliers
    height: int
    bold: bool
    space_before: int  # dots fed before the line


_TEXT_STYLES = {
    LineStyle.TITLE: _TextStyle(2, 2, True, 10),
    LineStyle.HEADING: _TextStyle(1, 2, True, 14),
    LineStyle.BODY: _TextStyle(1, 1, False, 0),
    LineStyle.SMALL: _TextStyle(1, 1, False, 0),  # printers have one size of Chinese glyph
}


class _Cells:
    """Measures text in dots of the printer's font, so layout.wrap can wrap it."""

    def __init__(self, width: int) -> None:
        self.width = width

    def getlength(self, text: str) -> float:
        return sum(_HALF_CELL * self.width * len(ch.encode("gb18030")) for ch in text)


def clean_text(text: str) -> str:
    """No control characters reach the printer: tabs become spaces, the rest go."""
    text = text.replace("\t", " ")
    return "".join(ch for ch in text if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf"))


def _double_byte_only(text: str) -> bool:
    try:
        return all(len(ch.encode("gb18030")) <= 2 for ch in text)
    except UnicodeEncodeError:
        return False


def defuse(raster: bytes) -> bytes:
    """Clear the one dot that would make picture data read as a real-time command."""
    return _REALTIME.sub(b"\x00", raster)


def _raster_bands(image: Image.Image) -> list[bytes]:
    """GS v 0 commands for a 1-bit picture, BAND_ROWS rows each."""
    from escpos.image import EscposImage
    bands = []
    for top in range(0, image.height, BAND_ROWS):
        band = EscposImage(image.crop((0, top, image.width, min(image.height, top + BAND_ROWS))))
        header = (b"\x1dv0\x00" + band.width_bytes.to_bytes(2, "little")
                  + band.height.to_bytes(2, "little"))
        bands.append(header + defuse(band.to_raster_format()))
    return bands


def _strip(line: ReceiptLine, width: int, size: int) -> Image.Image:
    """One receipt line as a picture, for text the printer's font cannot show."""
    face = font(size)
    rows = wrap(line.text, face, width - 16) or [""]
    step = line_height(face)
    image = Image.new("L", (width, step * len(rows)), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    for i, row in enumerate(rows):
        free = width - 16 - face.getlength(row)
        x = 8 + {"center": free / 2, "right": free}.get(line.align, 0)
        draw.text((x, i * step), row, font=face, fill=0)
    return image.convert("1", dither=Image.Dither.NONE)


# -- the driver -------------------------------------------------------------------------

class EscposReceiptPrinter(ReceiptPrinter):
    """A thermal receipt printer speaking ESC/POS.

    transport "serial": ``port``, ``baudrate``, ``bytesize``, ``parity`` ("N", "E", "O"),
    ``stopbits``, ``rtscts`` / ``xonxoff`` (flow control; most ESC/POS printers hold
    DTR for busy, which reaches the host's CTS with the usual cable: use rtscts).
    "usb": ``usb_vendor``, ``usb_product`` (ints or "0x0416" strings), endpoints.
    "network": ``host``, ``tcp_port`` (9100).
    ``paper_mm`` 80 or 58, ``dpi`` (203: 576 / 384 dots), ``mode`` "text" or "raster".
    ``faults`` (self-tests): "offline", "paper_out", "cover_open", "jam" override what
    the printer says.
    """

    def __init__(self, name: str, *, job_index_dir: str, transport: str = "serial",
                 port: str = "/dev/ttyUSB0", baudrate: int = 19200, bytesize: int = 8,
                 parity: str = "N", stopbits: float = 1, rtscts: bool = False,
                 xonxoff: bool = False, host: str = "", tcp_port: int = 9100,
                 usb_vendor: int | str | None = None, usb_product: int | str | None = None,
                 usb_in_ep: int = 0x82, usb_out_ep: int = 0x01, paper_mm: int = 80,
                 dpi: int = 203, mode: str = "text", status_timeout_s: float = 0.5,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        if transport not in ("serial", "usb", "network"):
            raise ValueError(f"transport must be serial, usb or network, not {transport!r}")
        if mode not in ("text", "raster"):
            raise ValueError(f"mode must be text or raster, not {mode!r}")
        self.width = printable_width(paper_mm, dpi)  # also checks paper_mm
        self.transport, self.paper_mm, self.dpi, self.mode = transport, paper_mm, dpi, mode
        self.status_timeout_s = status_timeout_s
        self._serial = dict(port=port, baudrate=baudrate, bytesize=bytesize, parity=parity,
                            stopbits=stopbits, rtscts=rtscts, xonxoff=xonxoff)
        self._network = dict(host=host, port=tcp_port, timeout_s=max(1.0, status_timeout_s))
        self._usb = dict(vendor=_int(usb_vendor), product=_int(usb_product), in_ep=_int(usb_in_ep),
                         out_ep=_int(usb_out_ep))
        bits = 1 + bytesize + (parity.upper() != "N") + stopbits  # start, data, parity, stop
        self.bytes_per_s = baudrate / bits if transport == "serial" else 1e6
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._index = JobIndex(Path(job_index_dir) / "receipt_jobs.json")
        self._lock = threading.Lock()
        self._link: _Link | None = None
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

    def _connected(self) -> _Link:
        if self._link is None:
            if self.transport == "serial":
                self._link = _SerialLink(**self._serial)
            elif self.transport == "network":
                self._link = _NetworkLink(**self._network)
            else:
                self._link = _UsbLink(**self._usb)
        return self._link

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
            link = self._connected()
            link.discard_input()
            answers = b""
            for n in (1, 2, 3, 4):
                link.send(DLE_EOT + bytes([n]), self.status_timeout_s + 1.0)
                answers += link.receive(1, self.status_timeout_s)
                if len(answers) < n:
                    break
        except Exception as exc:
            self._drop()
            words = " ".join(f"{type(exc).__name__}: {exc}".split())
            return DeviceHealth(HealthState.OFFLINE, DeviceOffline.code,
                                f"{self._where()}: {words}"[:200]), None
        if len(answers) < 4:
            return DeviceHealth(HealthState.UNKNOWN, "printer_silent",
                                f"{self._where()}: answered {len(answers)} of 4 status requests "
                                f"within {self.status_timeout_s:g} s"), None
        if not all(is_status_byte(b) for b in answers):
            return DeviceHealth(HealthState.UNKNOWN, "printer_garbled",
                                f"{self._where()}: not ESC/POS status bytes "
                                f"({answers.hex(' ')}): wrong baud rate?"), None
        status = self._with_faults(PrinterStatus.parse(answers))
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
            health, _ = self._poll()
            self._last_health = health
            _raise_for(health)
            job, length_dots = self._encode(receipt)
            self._send(job)
            self._confirm(length_dots)
            result = PrintResult(f"receipt-{uuid.uuid4().hex[:12]}", 1, None)
            self._index.put(job_key, result)
            return result

    def encode_receipt(self, receipt: ReceiptDocument) -> bytes:
        """The bytes print_receipt sends for ``receipt`` (before its GS r 1)."""
        return self._encode(receipt)[0]

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
            _raise_for(health)
            raise DeviceOffline(f"printer stopped taking data: {type(exc).__name__}") from exc

    def _connected_or_offline(self) -> _Link:
        try:
            return self._connected()
        except Exception as exc:
            self._drop()
            raise DeviceOffline(f"{self._where()}: {exc}") from exc

    def _confirm(self, length_dots: int) -> None:
        """Wait for the GS r 1 answer that follows the receipt; fail on paper out meanwhile."""
        link = self._connected_or_offline()
        printing_s = length_dots / (self.dpi / 25.4) / _PRINT_MM_PER_S
        try:
            link.discard_input()
            link.send(GS_R_PAPER, 5.0)
            deadline = time.monotonic() + printing_s + _CONFIRM_SLACK_S
            next_poll = time.monotonic() + _POLL_S
            while time.monotonic() < deadline:
                got = link.receive(1, max(0.0, min(0.05, deadline - time.monotonic())))
                if got and got[0] & 0x90 == 0:  # bit 4 off: GS r's answer, not DLE EOT's
                    if got[0] & 0x0C:
                        log.warning("receipt printed; the paper ran out just after it")
                    return
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
        _raise_for(health)
        if status is not None and (status.error or status.offline or status.recovering):
            raise PrinterError("printer stopped while printing",
                               code=health.code or "printer_fault")
        log.warning("receipt printer %s did not answer GS r; receipt taken as printed "
                    "because its status is fine", self.name)

    # -- encoding

    def _encode(self, receipt: ReceiptDocument) -> tuple[bytes, int]:
        """Job bytes and the paper length they print, in dots."""
        from escpos.printer import Dummy
        p = Dummy()
        p.hw("INIT")
        if self.mode == "raster":
            image = render_receipt(receipt, self.paper_mm, self.dpi)
            p.set(align="left")
            for band in _raster_bands(image):
                p._raw(band)
            p.cut()
            return p.output, image.height + 6 * _LINE_DOTS
        p._raw(FS_CHINESE)
        length = 0
        for line in receipt.lines:
            length += self._text_line(p, line)
        length += self._qr(p, receipt.qr_payload)
        if receipt.qr_caption:
            length += self._text_line(p, ReceiptLine(receipt.qr_caption, LineStyle.SMALL,
                                                     "center"))
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        p.cut()
        return p.output, length + 6 * _LINE_DOTS

    def _text_line(self, p: Any, line: ReceiptLine) -> int:
        style = _TEXT_STYLES[line.style]
        text = clean_text(line.text)
        length = 0
        if style.space_before:
            p._raw(b"\x1bJ" + bytes([style.space_before]))
            length += style.space_before
        if not _double_byte_only(text):
            size = {LineStyle.TITLE: 40, LineStyle.HEADING: 30}.get(line.style, 24)
            strip = _strip(replace(line, text=text), self.width, size)
            p.set(align="left")
            for band in _raster_bands(strip):
                p._raw(band)
            return length + strip.height
        width = style.width
        if width > 1 and len(wrap(text, _Cells(width), self.width)) > 1:
            width = 1  # a title loses its double width before it wraps
        rows = wrap(text, _Cells(width), self.width) if text.strip() else [""]
        p.set(align=line.align if line.align in ("left", "center", "right") else "left",
              bold=style.bold, custom_size=True, width=width, height=style.height)
        for row in rows:
            p._raw(row.encode("gb18030") + b"\n")
        return length + len(rows) * _LINE_DOTS * style.height

    def _qr(self, p: Any, payload: str) -> int:
        """The printer's own QR symbol, model 2, level M, as wide as the raster one."""
        import qrcode
        from escpos.constants import QR_ECLEVEL_M
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(payload)
        code.make(fit=True)
        modules = code.modules_count
        target = int(self.width * (0.5 if self.paper_mm == 80 else 0.62))
        size = max(1, min(16, target // (modules + 8)))
        p._raw(b"\x1bJ\x0c")
        p.set(align="center", bold=False, custom_size=True, width=1, height=1)
        p.qr(payload, ec=QR_ECLEVEL_M, size=size, native=True)
        p._raw(b"\n")
        return 12 + (modules + 8) * size + _LINE_DOTS


def _int(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(value, 0)


__all__ = ["EscposReceiptPrinter", "PrinterStatus", "clean_text", "defuse", "health_of",
           "is_status_byte", "is_usable"]
