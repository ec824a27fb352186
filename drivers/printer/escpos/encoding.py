"""A receipt as ESC/POS bytes: text in the printer's own Chinese font, or raster bands.

python-escpos's ``Dummy`` printer collects the commands; python-escpos and qrcode are
imported only when something is encoded.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Any

from PIL import Image, ImageDraw

from drivers.printer.base import LineStyle, ReceiptDocument, ReceiptLine
from drivers.printer.layout import font, line_height, wrap
from drivers.printer.render import printable_width, render_receipt

FS_CHINESE = b"\x1c&"  # Chinese (double-byte GB18030) character mode on
BAND_ROWS = 256  # rows per GS v 0 command: small enough for printers with small buffers
_REALTIME = re.compile(rb"\x10(?=[\x04\x05\x14])")
_HALF_CELL = 12  # dots of a single-byte character in font A (12 x 24); double-byte is 24
_LINE_DOTS = 30  # default line spacing of 24-dot fonts on Chinese printers (3.75 mm)
CUT_DOTS = 6 * _LINE_DOTS  # the feed before the cut

VOID_NOTE = (
    ReceiptLine("- - - - - - - - - - - - - - - -", LineStyle.BODY, "center"),
    ReceiptLine("作废 VOID", LineStyle.TITLE, "center"),
    ReceiptLine("以上回执打印中断，已作废。请交给工作人员。", LineStyle.BODY, "center"),
    ReceiptLine("The receipt above was interrupted and is void. Please hand it to staff.",
                LineStyle.BODY, "center"),
)


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


def raster_bands(image: Image.Image) -> list[bytes]:
    """GS v 0 commands for a 1-bit picture, BAND_ROWS rows each."""
    from escpos.image import EscposImage
    bands = []
    for top in range(0, image.height, BAND_ROWS):
        band = EscposImage(image.crop((0, top, image.width, min(image.height, top + BAND_ROWS))))
        header = (b"\x1dv0\x00" + band.width_bytes.to_bytes(2, "little")
                  + band.height.to_bytes(2, "little"))
        bands.append(header + defuse(band.to_raster_format()))
    return bands


def line_strip(line: ReceiptLine, width: int, size: int) -> Image.Image:
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


def cut_bytes() -> bytes:
    """python-escpos's feed past the cutter (ESC d 6) and full cut."""
    from escpos.printer import Dummy
    p = Dummy()
    p.cut()
    return p.output


class ReceiptEncoder:
    """Encodes receipts for one printer: ``mode`` "text" or "raster", paper and dpi."""

    def __init__(self, mode: str, paper_mm: int, dpi: int) -> None:
        self.mode, self.paper_mm, self.dpi = mode, paper_mm, dpi
        self.width = printable_width(paper_mm, dpi)  # also checks paper_mm

    def encode(self, receipt: ReceiptDocument) -> tuple[bytes, bytes, int]:
        """The body, the feed and cut after it, and the paper length of the body in dots."""
        from escpos.printer import Dummy
        p = Dummy()
        p.hw("INIT")
        if self.mode == "raster":
            image = render_receipt(receipt, self.paper_mm, self.dpi)
            p.set(align="left")
            for band in raster_bands(image):
                p._raw(band)
            return p.output, cut_bytes(), image.height
        p._raw(FS_CHINESE)
        length = 0
        for line in receipt.lines:
            length += self.text_line(p, line)
        length += self._qr(p, receipt.qr_payload)
        if receipt.qr_caption:
            length += self.text_line(p, ReceiptLine(receipt.qr_caption, LineStyle.SMALL,
                                                    "center"))
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        return p.output, cut_bytes(), length

    def text_line(self, p: Any, line: ReceiptLine) -> int:
        style = _TEXT_STYLES[line.style]
        text = clean_text(line.text)
        length = 0
        if style.space_before:
            p._raw(b"\x1bJ" + bytes([style.space_before]))
            length += style.space_before
        if not _double_byte_only(text):
            size = {LineStyle.TITLE: 40, LineStyle.HEADING: 30}.get(line.style, 24)
            strip = line_strip(replace(line, text=text), self.width, size)
            p.set(align="left")
            for band in raster_bands(strip):
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

    def void_note(self) -> bytes:
        """Marks the rest above it void and cuts it off, in this printer's mode."""
        from escpos.printer import Dummy
        p = Dummy()
        p.hw("INIT")  # the rest may have left any size or alignment set
        if self.mode == "text":
            p._raw(FS_CHINESE)
        p._raw(b"\x1bJ\x18")
        for line in VOID_NOTE:
            if self.mode == "text":
                self.text_line(p, line)
            else:
                size = 40 if line.style is LineStyle.TITLE else 24
                for band in raster_bands(line_strip(line, self.width, size)):
                    p._raw(band)
        p.set(align="left", bold=False, custom_size=True, width=1, height=1)
        p.cut()
        return p.output
