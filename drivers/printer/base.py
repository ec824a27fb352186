"""Printer interfaces and the device-neutral documents they print.

A receipt is a list of lines and a QR code; a card is its fields and a photo.
Drivers decide how to put them on paper or plastic (raster image, ESC/POS text,
a CUPS job), so the kiosk never knows which printer it has.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from dataclasses import dataclass, field
from enum import Enum

from drivers.base import Device, DeviceError


class Level(str, Enum):
    OK = "ok"
    LOW = "low"  # near end
    EMPTY = "empty"
    UNKNOWN = "unknown"  # the printer did not say: never assume it is fine


@dataclass(frozen=True)
class Supply:
    name: str  # "paper", "cards", "ribbon"
    level: Level
    remaining: int | None = None  # sheets, cards or prints left when the device counts them


@dataclass(frozen=True)
class Supplies:
    items: tuple[Supply, ...]

    def get(self, name: str) -> Supply | None:
        return next((s for s in self.items if s.name == name), None)

    @property
    def ready(self) -> bool:
        return all(s.level in (Level.OK, Level.LOW) for s in self.items)


class LineStyle(str, Enum):
    TITLE = "title"
    HEADING = "heading"
    BODY = "body"
    SMALL = "small"


@dataclass(frozen=True)
class ReceiptLine:
    text: str
    style: LineStyle = LineStyle.BODY
    align: str = "left"  # "left", "center", "right"


@dataclass(frozen=True)
class ReceiptDocument:
    """What goes on a receipt, already translated. Holds no ID number in full."""

    lines: tuple[ReceiptLine, ...]
    qr_payload: str
    qr_caption: str = ""


@dataclass(frozen=True)
class CardDocument:
    """The residence permit card (CR80). Personal data: printed, never logged."""

    permit_number: str
    city_name: str
    name: str
    sex: str
    birth_date: dt.date
    document_number: str
    address: str
    valid_from: dt.date
    valid_until: dt.date
    qr_payload: str
    photo_jpeg: bytes | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"CardDocument(permit={self.permit_number})"


@dataclass(frozen=True)
class PrintResult:
    job_id: str
    pages: int = 1
    image_path: str | None = None  # where a simulator left its rendering


class PrinterError(DeviceError):
    code = "printer_error"


class OutOfPaper(PrinterError):
    code = "paper_out"


class OutOfCards(PrinterError):
    code = "cards_out"


class OutOfRibbon(PrinterError):
    code = "ribbon_out"


class PrinterJam(PrinterError):
    code = "printer_jam"


class ReceiptPrinter(Device):
    kind = "receipt_printer"

    @abstractmethod
    def supplies(self) -> Supplies: ...

    @abstractmethod
    def print_receipt(self, receipt: ReceiptDocument, job_key: str) -> PrintResult:
        """Print once; the same job_key again must not print a second copy."""


class JobState(str, Enum):
    """What became of a print job, as the printer (or its spooler) remembers it."""

    COMPLETED = "completed"  # the card came out
    PENDING = "pending"  # queued or printing now
    FAILED = "failed"  # aborted or cancelled: nothing came out
    UNKNOWN = "unknown"  # the printer keeps no history it can be asked


class CardPrinter(Device):
    kind = "card_printer"

    @abstractmethod
    def supplies(self) -> Supplies: ...

    @abstractmethod
    def print_card(self, card: CardDocument, job_key: str) -> PrintResult:
        """Print once; the same job_key again must not print a second card."""

    def job_state(self, job_key: str) -> JobState | None:
        """What happened to the job for ``job_key``; None when it never reached the printer.

        A kiosk restarted after a power cut asks this to settle a card whose print intent
        was journaled but whose outcome was not. Printers that cannot tell say UNKNOWN.
        """
        return JobState.UNKNOWN

    def cancel_job(self, job_key: str) -> bool:
        """Cancel a job still waiting or printing; True only when the printer confirms it
        ended without printing (canceled or aborted).

        A job that outlived its kiosk must not print later by surprise; but a card in
        motion cannot be stopped, so a job still printing after the request is followed
        to its end, and False means its card may exist.
        """
        return False
