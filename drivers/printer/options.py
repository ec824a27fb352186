"""Options of the printer drivers, checked at load: "simulated" (receipt and card),
"escpos" (receipt) and "cups" (card)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from drivers.options import DriverOptions, faults_field, project_path

CLEAR_BUFFER_CHOICES = ("dle_dc4", "void")
CONNECTING_GRACE_S = 30.0


class SimulatedReceiptPrinterOptions(DriverOptions):
    """A thermal printer that writes each receipt as a PNG; paper counted in centimetres."""

    output_dir: str = project_path(..., "Folder for the receipts' pictures and the job index, "
                                   "relative to the project.")
    paper_mm: Literal[58, 80] = Field(80, description="Paper width, mm.")
    paper_left: int = Field(200, description="Centimetres of roll left.")
    near_end_at: int = Field(20, ge=0, description="Centimetres left at which paper is low.")
    faults: dict[str, Any] | None = faults_field("offline, jam, paper_out, paper_out_after")


class SimulatedCardPrinterOptions(DriverOptions):
    """A card printer that writes each card as a PNG; cards and ribbon counted in prints."""

    output_dir: str = project_path(..., "Folder for the cards' pictures and the job index, "
                                   "relative to the project.")
    cards_left: int = Field(100, description="Blank cards in the hopper.")
    ribbon_left: int = Field(200, description="Prints left on the ribbon.")
    print_time_s: float = Field(0.5, ge=0, description="Seconds a card takes to print.")
    faults: dict[str, Any] | None = faults_field("offline, jam, cards_out, ribbon_out")


class EscposOptions(DriverOptions):
    """A thermal receipt printer speaking ESC/POS over serial, USB or the network."""

    job_index_dir: str = project_path(..., "Folder for the job index and the in-flight "
                                      "marker, relative to the project.")
    transport: Literal["serial", "usb", "network"] = Field("serial", description="How the "
                                                           "printer is connected.")
    port: str = Field("/dev/ttyUSB0", min_length=1, description="Serial device (serial).")
    baudrate: int = Field(19200, gt=0, description="Serial speed, as set on the printer.")
    bytesize: Literal[5, 6, 7, 8] = Field(8, description="Data bits (serial).")
    parity: Literal["N", "E", "O", "M", "S"] = Field("N", description="Parity (serial): N, E, "
                                                     "O (or M, S).")
    stopbits: float = Field(1, description="Stop bits (serial): 1, 1.5 or 2.")
    rtscts: bool = Field(False, description="RTS/CTS flow control (serial); most ESC/POS "
                         "printers signal busy on DTR, which reaches CTS with the usual cable.")
    xonxoff: bool = Field(False, description="XON/XOFF flow control (serial).")
    host: str = Field("", description="Printer's address (network).")
    tcp_port: int = Field(9100, gt=0, le=65535, description="TCP port (network).")
    usb_vendor: int | str | None = Field(None, description="USB vendor id, e.g. 0x0416 (usb).")
    usb_product: int | str | None = Field(None, description="USB product id (usb).")
    usb_in_ep: int | str = Field(0x82, description="USB IN endpoint (usb).")
    usb_out_ep: int | str = Field(0x01, description="USB OUT endpoint (usb).")
    paper_mm: Literal[58, 80] = Field(80, description="Paper width, mm.")
    dpi: int = Field(203, gt=0, description="Print head resolution, dots per inch.")
    mode: Literal["text", "raster"] = Field("text", description="text: the printer's own "
                                            "Chinese font; raster: the receipt as a picture.")
    status_timeout_s: float = Field(0.5, gt=0, description="How long to wait for each status "
                                    "answer before the printer counts as silent.")
    clear_buffer: str = Field("dle_dc4", description=(
        "How the rest of a receipt cut off part way (paper out, cover open) is kept from "
        "printing later as if nothing happened. \"dle_dc4\": the printer's real-time buffer "
        "clear, DLE DC4 fn=8, believed when the printer answers it, \"void\" otherwise. "
        "\"void\", for printers without that command: the rest prints when the printer goes "
        "on, with a 作废 VOID note under it and a cut."))
    faults: dict[str, Any] | None = faults_field("offline, paper_out, cover_open, jam")

    @field_validator("clear_buffer")
    @classmethod
    def _clear_buffer(cls, value: str) -> str:
        if value not in CLEAR_BUFFER_CHOICES:
            raise ValueError(f"clear_buffer must be \"dle_dc4\" or \"void\", not {value!r}")
        return value

    @field_validator("stopbits")
    @classmethod
    def _stopbits(cls, value: float) -> float:
        if value not in (1, 1.5, 2):
            raise ValueError("stop bits are 1, 1.5 or 2")
        return value

    @field_validator("usb_vendor", "usb_product", "usb_in_ep", "usb_out_ep")
    @classmethod
    def _usb_number(cls, value: int | str | None) -> int | str | None:
        if isinstance(value, str):
            try:
                int(value, 0)
            except ValueError:
                raise ValueError(f"not a number: {value!r} (e.g. 0x0416 or 1046)") from None
        return value


class CupsOptions(DriverOptions):
    """A CR80 card printer behind a CUPS queue, or any IPP printer."""

    uri: str = Field("ipp://localhost:631/printers/card", pattern=r"^(ipps?|https?)://[^/]+",
                     description="The queue or printer, e.g. ipp://localhost:631/printers/card.")
    duplex: bool = Field(False, description="Print the card's back too.")
    dpi: int = Field(300, gt=0, description="Resolution wanted; the closest the printer offers "
                     "is used.")
    job_timeout_s: float = Field(120, gt=0, description="A job not done by then is cancelled.")
    poll_s: float = Field(0.5, gt=0, description="How often a job is looked at.")
    resume_paused: bool = Field(True, description="Resume a queue CUPS paused after a fault "
                                "once no fault remains.")
    job_index_dir: str = project_path("var/printed", "Folder for the job indexes.")
    faults: dict[str, Any] | None = faults_field(
        "offline, jam, cards_out, cards_low, ribbon_out, ribbon_low")
    user: str = Field("kiosk", min_length=1, description="requesting-user-name sent to CUPS.")
    auth: tuple[str, str] | None = Field(None, description="[user, password] for HTTP Basic "
                                         "(CUPS asks it for Resume-Printer).")
    request_timeout_s: float = Field(10.0, gt=0, description="Timeout of each IPP request.")
    formats: list[str] | None = Field(None, min_length=1, description="Document formats to "
                                      "try, in order; none: PWG raster, PDF, PNG.")
    connecting_grace_s: float = Field(CONNECTING_GRACE_S, ge=0, description=(
        "How long connecting-to-device may last before the printer counts as offline."))
