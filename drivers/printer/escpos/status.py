"""DLE EOT status of an ESC/POS printer: the four answers decoded, and what they mean."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.base import DeviceHealth, DeviceOffline, HealthState
from drivers.printer.base import OutOfPaper, PrinterError, PrinterJam

DLE_EOT = b"\x10\x04"
GS_R_PAPER = b"\x1dr\x01"  # transmit paper sensor status, in turn after the receipt
DLE_DC4_CLEAR = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"  # real time: clear buffers
CLEAR_RESPONSE = b"\x37\x25\x00"  # header, identifier, NUL: both buffers are empty

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


def raise_for(health: DeviceHealth) -> None:
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

