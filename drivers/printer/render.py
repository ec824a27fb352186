"""Raster images of receipts and cards, for printers that take pictures and for simulators.

A thermal receipt printer at 203 dpi prints 576 dots across 80 mm paper and 384
across 58 mm; sizes here are in those dots. Text is drawn without anti-aliasing so
the 1-bit result is crisp rather than a threshold of grey edges.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw

from drivers.printer.base import LineStyle, ReceiptDocument, ReceiptLine
from drivers.printer.card_render import render_card
from drivers.printer.layout import Font, font, line_height, qr_image, text_width, wrap

__all__ = ["render_receipt", "render_card", "printable_width"]

_WIDTH_AT_203 = {80: 576, 58: 384}
_BASE_DPI = 203


@dataclass(frozen=True)
class _Style:
    size: int  # pixels at 203 dpi
    bold: bool
    space_before: int


_STYLES = {
    LineStyle.TITLE: _Style(40, True, 10),
    LineStyle.HEADING: _Style(30, True, 14),
    LineStyle.BODY: _Style(24, False, 0),
    LineStyle.SMALL: _Style(20, False, 0),
}


@dataclass(frozen=True)
class _Row:
    text: str
    face: Font
    bold: bool
    align: str
    top: int  # space above the row
    height: int


def printable_width(paper_mm: int, dpi: int = _BASE_DPI) -> int:
    """Dots across the printable area of 58 or 80 mm paper."""
    if paper_mm not in _WIDTH_AT_203:
        raise ValueError(f"paper must be 58 or 80 mm, not {paper_mm}")
    return round(_WIDTH_AT_203[paper_mm] * dpi / _BASE_DPI)


def _wrap_shrinking(text: str, sizes: list[int], width: int) -> tuple[Font, list[str]]:
    """Wrap at the first size that keeps ``text`` on one line, else at the smallest."""
    for size in sizes:
        lines = wrap(text, font(size), width)
        if len(lines) == 1:
            break
    return font(size), lines


def _rows(line: ReceiptLine, width: int, scale: float) -> list[_Row]:
    style = _STYLES[line.style]
    sizes = [round(style.size * scale)]
    if line.style is LineStyle.TITLE:  # a title shrinks a little before it wraps
        sizes += [round(size * scale) for size in (36, 32, 28)]
    face, texts = _wrap_shrinking(line.text, sizes, width) if line.text.strip() \
        else (font(sizes[0]), [""])
    height = line_height(face)
    return [_Row(text, face, style.bold, line.align,
                 round(style.space_before * scale) if i == 0 else 0, height)
            for i, text in enumerate(texts)]


def _draw_row(draw: ImageDraw.ImageDraw, row: _Row, y: int, margin: int, width: int) -> None:
    """Bold is struck twice, one dot apart, as thermal printers do it."""
    free = width - text_width(row.text, row.face) - (1 if row.bold else 0)
    x = margin + {"center": free / 2, "right": free}.get(row.align, 0)
    for dx in (0, 1) if row.bold else (0,):
        draw.text((x + dx, y + row.top), row.text, font=row.face, fill=0)


def _caption(text: str, width: int, scale: float) -> list[_Row]:
    if not text:
        return []
    return _rows(ReceiptLine(text, LineStyle.SMALL, "center"), width, scale)


def render_receipt(receipt: ReceiptDocument, paper_mm: int = 80, dpi: int = _BASE_DPI) -> Image.Image:
    """The whole receipt as one 1-bit image, as tall as its content."""
    scale = dpi / _BASE_DPI
    full = printable_width(paper_mm, dpi)
    margin = round(8 * scale)
    width = full - 2 * margin
    rows = [row for line in receipt.lines for row in _rows(line, width, scale)]
    qr = qr_image(receipt.qr_payload, int(full * (0.5 if paper_mm == 80 else 0.62)))
    caption = _caption(receipt.qr_caption, width, scale)
    top, gap, bottom = round(16 * scale), round(12 * scale), round(40 * scale)
    height = (top + sum(r.top + r.height for r in rows) + gap + qr.height
              + sum(r.height for r in caption) + bottom)
    image = Image.new("L", (full, height), 255)
    draw = ImageDraw.Draw(image)
    draw.fontmode = "1"
    y = top
    for row in rows:
        _draw_row(draw, row, y, margin, width)
        y += row.top + row.height
    y += gap
    image.paste(qr.convert("L"), ((full - qr.width) // 2, y))
    y += qr.height
    for row in caption:
        _draw_row(draw, row, y, margin, width)
        y += row.height
    return image.convert("1", dither=Image.Dither.NONE)
