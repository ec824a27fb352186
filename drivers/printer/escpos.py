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
never inside another one. After the receipt's body it sends GS r 1: unlike DLE EOT,
that command waits its turn behind the body, so its answer means all of it was
printed. While waiting it asks DLE EOT 2 every 0.2 s, so a roll that runs out, or
a cover that opens, part way through fails the job at once (OutOfPaper, not
recorded as printed). A printer that never answers GS r but whose status stays
fine is taken to have printed once the receipt's printing time has passed.
The feed and cut go out only after GS r says the body is on paper, and are
confirmed by a second GS r: a receipt cut off part way holds no cut. Paper that
runs out during that feed leaves the whole content printed: the receipt counts.
A jam or an open cover there fails the call (the resident may not get the paper)
but the receipt is recorded as printed, so it is never printed twice; the printer
holds only the feed and cut, which finish the receipt when it goes on.

The rest of a receipt cut off part way. A stopped printer (paper out, cover open,
cutter jam) keeps the unprinted rest in its receive buffer and prints it as soon
as it can go on, e.g. when a technician loads paper: a headless half receipt in
the tray, carrying a masked ID number, an address and a tracking QR code, and that
part twice if the receipt is printed again. ESC @ cannot remove it: it is an
ordinary command, carried out in turn after the rest has printed, and clears only
the print buffer, never the receive buffer. DLE ENQ 2 clears both, but only when
recovering from a recoverable error (a cutter jam), not after a paper end. Epson's
real-time DLE DC4 fn=8 (10 14 08 01 03 14 01 06 02 08; Citizen's printers have
it too) is acted on at once in any state, empties both buffers and answers
37 25 00. ``clear_buffer`` chooses:

- "dle_dc4" (default): DLE DC4 fn=8, believed only when its answer comes; a
  printer that does not answer is treated as "void". Its cost when unsupported is
  one wait of ``status_timeout_s`` on a path that is failing anyway.
- "void", for printers without that command (or where DLE DC4 means something
  else): nothing is cleared, and a note "作废 VOID" and a cut are queued behind
  the rest. When the printer goes on, the rest comes out with the note under its
  last line, on the same piece of paper, cut off from what follows.

The note goes under the rest, not over a reprint: the rest prints when paper is
loaded whether or not anyone reprints (the resident has been shown the receipt's
QR code on screen), so a separator tied to a reprint would leave a half receipt
unmarked in the tray. Staff find a half receipt that says it is void and asks to
be handed in (it carries a resident's data), and the next receipt starts on its
own piece. The same note and cut follow a cleared receipt whose printed part is
still on the roll (cover opened, cutter jam, kiosk restarted mid-receipt), so
that part is not glued to the top of the next resident's receipt; after a paper
end it is on the spent roll's loose end and nothing is added to the new roll.

When a rest is settled: when a job fails between its first byte and the body's
GS r answer, and when a connection is opened while the driver's own marker
(``receipt_in_flight`` in ``job_index_dir``, flushed to disk before a receipt's
first byte, removed once its body is confirmed on paper or its rest settled) says
a receipt was cut off: a kiosk killed or powered off mid-receipt and restarted,
whose journal closes that receipt as interrupted. The printer's status cannot say this (no DLE EOT answer tells
whether data waits in the buffer; n=2 bit 5 says printing stopped at a paper
end), so the driver never clears blindly on open, which would also cut short a
receipt another process (``kiosk printer test``) is printing; the marker costs
one small file write per receipt.

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

import contextlib
import logging
import os
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
DLE_DC4_CLEAR = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"  # real time: clear buffers
CLEAR_RESPONSE = b"\x37\x25\x00"  # header, identifier, NUL: both buffers are empty
CLEAR_BUFFER_CHOICES = ("dle_dc4", "void")
FS_CHINESE = b"\x1c&"  # Chinese (double-byte GB18030) character mode on
BAND_ROWS = 256  # rows per GS v 0 command: small enough for printers with small buffers
_REALTIME = re.compile(rb"\x10(?=[\x04\x05\x14])")
_HALF_CELL = 12  # dots of a single-byte character in font A (12 x 24); double-byte is 24
_LINE_DOTS = 30  # default line spacing of 24-dot fonts on Chinese printers (3.75 mm)
_PRINT_MM_PER_S = 60.0  # slow end of thermal printers, for waiting on one that lacks GS r
_CONFIRM_SLACK_S = 2.0
_POLL_S = 0.2
_CUT_DOTS = 6 * _LINE_DOTS  # the feed before the cut
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


# -- the rest of a receipt cut off part way ----------------------------------------------

VOID_NOTE = (
    ReceiptLine("- - - - - - - - - - - - - - - -", LineStyle.BODY, "center"),
    ReceiptLine("作废 VOID", LineStyle.TITLE, "center"),
    ReceiptLine("以上回执打印中断，已作废。请交给工作人员。", LineStyle.BODY, "center"),
    ReceiptLine("The receipt above was interrupted and is void. Please hand it to staff.",
                LineStyle.BODY, "center"),
)


class InFlightMarker:
    """A file saying a receipt's body went to the printer and is not settled yet.

    Made (and flushed to disk) before the first byte goes out, removed once the body is
    confirmed on paper or its rest settled, so a kiosk killed mid-receipt knows at its
    next start. It holds no job key and no personal data.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.present = path.exists()

    def set(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "wb") as f:
            f.write(b"receipt body sent, not settled\n")
            f.flush()
            os.fsync(f.fileno())
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:  # the new name itself must survive a power cut
            os.fsync(directory)
        finally:
            os.close(directory)
        self.present = True

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.present = False


# -- the driver -------------------------------------------------------------------------

class EscposReceiptPrinter(ReceiptPrinter):
    """A thermal receipt printer speaking ESC/POS.

    transport "serial": ``port``, ``baudrate``, ``bytesize``, ``parity`` ("N", "E", "O"),
    ``stopbits``, ``rtscts`` / ``xonxoff`` (flow control; most ESC/POS printers hold
    DTR for busy, which reaches the host's CTS with the usual cable: use rtscts).
    "usb": ``usb_vendor``, ``usb_product`` (ints or "0x0416" strings), endpoints.
    "network": ``host``, ``tcp_port`` (9100).
    ``paper_mm`` 80 or 58, ``dpi`` (203: 576 / 384 dots), ``mode`` "text" or "raster".
    ``clear_buffer`` "dle_dc4" or "void": how the rest of a receipt cut off part way
    is kept from printing as if nothing happened (module docstring).
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
        self._in_flight = InFlightMarker(Path(job_index_dir) / "receipt_in_flight")
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
        """The open link; a new one first settles what a cut-off receipt left behind."""
        if self._link is None:
            self._link = self._open_link()
            if self._in_flight.present:
                self._settle_rest()
            if self._link is None:
                raise DeviceOffline(f"{self._where()}: stopped answering on connect")
        return self._link

    def _open_link(self) -> _Link:
        if self.transport == "serial":
            return _SerialLink(**self._serial)
        if self.transport == "network":
            return _NetworkLink(**self._network)
        return _UsbLink(**self._usb)

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

    def _ask_status(self, link: _Link) -> tuple[DeviceHealth, PrinterStatus | None]:
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
            _raise_for(health)
            if self._in_flight.present and not self._settle_rest():
                raise DeviceOffline("the rest of an interrupted receipt could not be cleared",
                                    code="printer_residue")
            body, cut, length_dots = self._encode(receipt)
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
        body, cut, _ = self._encode(receipt)
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
            self._send_and_confirm(cut, _CUT_DOTS, _CONFIRM_SLACK_S if body_answered else 0.0)
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
            _raise_for(health)
            raise DeviceOffline(f"printer stopped taking data: {type(exc).__name__}") from exc

    def _connected_or_offline(self) -> _Link:
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
        _raise_for(health)
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

    def _settle_on(self, link: _Link) -> str:
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
        note = self._void_note()
        link.send(note, 5.0 + 2 * len(note) / self.bytes_per_s)
        return "cleared, void_note" if cleared else "void_note"

    def _clear(self, link: _Link) -> bool:
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

    def _void_note(self) -> bytes:
        """Marks the rest above it void and cuts it off, in this printer's mode."""
        from escpos.printer import Dummy
        p = Dummy()
        p.hw("INIT")  # the rest may have left any size or alignment set
        if self.mode == "text":
            p._raw(FS_CHINESE)
        p._raw(b"\x1bJ\x18")
        for line in VOID_NOTE:
            if self.mode == "text":
                self._text_line(p, line)
            else:
                size = 40 if line.style is LineStyle.TITLE else 24
                for band in _raster_bands(_strip(line, self.width, size)):
                    p._raw(band)
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        p.cut()
        return p.output

    # -- encoding

    def _encode(self, receipt: ReceiptDocument) -> tuple[bytes, bytes, int]:
        """The body, the feed and cut after it, and the paper length of the body in dots."""
        from escpos.printer import Dummy
        p = Dummy()
        p.hw("INIT")
        if self.mode == "raster":
            image = render_receipt(receipt, self.paper_mm, self.dpi)
            p.set(align="left")
            for band in _raster_bands(image):
                p._raw(band)
            return p.output, _cut_bytes(), image.height
        p._raw(FS_CHINESE)
        length = 0
        for line in receipt.lines:
            length += self._text_line(p, line)
        length += self._qr(p, receipt.qr_payload)
        if receipt.qr_caption:
            length += self._text_line(p, ReceiptLine(receipt.qr_caption, LineStyle.SMALL,
                                                     "center"))
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        return p.output, _cut_bytes(), length

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


def _cut_bytes() -> bytes:
    """python-escpos's feed past the cutter (ESC d 6) and full cut."""
    from escpos.printer import Dummy
    p = Dummy()
    p.cut()
    return p.output


def _int(value: int | str | None) -> int | None:
    if value is None or isinstance(value, int):
        return value
    return int(value, 0)


__all__ = ["CLEAR_BUFFER_CHOICES", "EscposReceiptPrinter", "InFlightMarker", "PrinterStatus",
           "clean_text", "defuse", "health_of", "is_status_byte", "is_usable"]
