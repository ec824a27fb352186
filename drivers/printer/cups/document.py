"""The card as a print job: a format the printer takes, at its resolution, with the job
attributes (sides, resolution, CR80 media, colour) it supports."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from PIL import Image

from drivers.printer import pwg_raster
from drivers.printer.base import CardDocument, PrinterError
from drivers.printer.card_back import render_card_back
from drivers.printer.card_render import CARD_MM, render_card
from drivers.printer.ipp import Attribute, Group, Resolution, Tag, attr

PWG_RASTER, PDF, PNG = "image/pwg-raster", "application/pdf", "image/png"
# PWG raster first: exact pixels at the printer's own resolution, several pages, and the
# format every IPP Everywhere printer takes. PDF is what any CUPS queue with cups-filters
# converts for its driver. PNG last: one page only, so never for duplex.
DEFAULT_FORMATS = (PWG_RASTER, PDF, PNG)


def card_media(printer: Group) -> str | None:
    """A media-supported keyword whose self-describing size is CR80 (either way round)."""
    want = sorted(CARD_MM)
    for keyword in printer.all("media-supported"):
        size = str(keyword).rsplit("_", 1)[-1]
        unit = 25.4 if size.endswith("in") else 1.0 if size.endswith("mm") else None
        if unit is None or "x" not in size:
            continue
        try:
            dims = sorted(float(v) * unit for v in size[:-2].split("x"))
        except ValueError:
            continue
        if all(abs(a - b) <= 0.6 for a, b in zip(dims, want)):
            return str(keyword)
    return None


def closest_dpi(resolutions: Iterable[Any], wanted: int) -> int | None:
    square = sorted({r.dpi for r in resolutions if isinstance(r, Resolution) and r.x == r.y})
    if not square:
        return None
    return min(square, key=lambda d: (abs(d - wanted), -d))


def card_job(card: CardDocument, printer: Group, *, formats: Sequence[str], duplex: bool,
             dpi: int) -> tuple[bytes, str, list[Attribute]]:
    """Render the card at the printer's resolution in a format it takes: the document,
    its format and the job attributes."""
    supported = set(printer.all("document-format-supported"))
    choices = [f for f in formats if f in supported and not (duplex and f == PNG)]
    if not choices:
        raise PrinterError(f"card printer takes none of {', '.join(formats)}"
                           + (" for two pages" if duplex else ""),
                           code="card_format_unsupported")
    fmt = choices[0]
    job = _sides(printer, duplex)
    printer_dpi = closest_dpi(printer.all("printer-resolution-supported"), dpi)
    wanted, dpi = dpi, printer_dpi or dpi
    if fmt == PWG_RASTER:
        dpi = closest_dpi(printer.all("pwg-raster-document-resolution-supported"),
                          wanted) or dpi
    if printer_dpi == dpi:
        job.append(attr("printer-resolution", Tag.RESOLUTION, Resolution(dpi, dpi)))
    media = card_media(printer)
    if media:
        job.append(attr("media", Tag.KEYWORD, media))
    color = _colour(printer, fmt, job)
    pages = [render_card(card, dpi)]
    if duplex:
        pages.append(render_card_back(card, dpi))
    return encode_pages(pages, fmt, dpi, color, media or "", duplex), fmt, job


def _sides(printer: Group, duplex: bool) -> list[Attribute]:
    sides = printer.all("sides-supported")
    if duplex:
        side = next((s for s in ("two-sided-long-edge", "two-sided-short-edge")
                     if s in sides), None)
        if side is None:
            raise PrinterError("card printer does not print both sides",
                               code="card_duplex_unsupported")
        return [attr("sides", Tag.KEYWORD, side)]
    return [attr("sides", Tag.KEYWORD, "one-sided")] if "one-sided" in sides else []


def _colour(printer: Group, fmt: str, job: list[Attribute]) -> bool:
    """Whether the card is sent in colour; adds print-color-mode to ``job`` if supported."""
    color = True
    if fmt == PWG_RASTER:
        types = printer.all("pwg-raster-document-type-supported")
        color = not types or "srgb_8" in types
        if not color and "sgray_8" not in types:
            raise PrinterError("card printer takes neither srgb_8 nor sgray_8 raster",
                               code="card_format_unsupported")
    modes = printer.all("print-color-mode-supported")
    if color and "color" in modes:
        job.append(attr("print-color-mode", Tag.KEYWORD, "color"))
    elif not color and "monochrome" in modes:
        job.append(attr("print-color-mode", Tag.KEYWORD, "monochrome"))
    return color


def encode_pages(pages: list[Image.Image], fmt: str, dpi: int, color: bool, media: str,
                 duplex: bool) -> bytes:
    if fmt == PWG_RASTER:
        return pwg_raster.encode(pages, dpi, duplex=duplex, page_size_name=media, color=color)
    out = io.BytesIO()
    if fmt == PDF:
        first, *rest = [p.convert("RGB") for p in pages]
        first.save(out, "PDF", resolution=float(dpi), save_all=True, append_images=rest,
                   quality=95)
    else:
        pages[0].save(out, "PNG", dpi=(dpi, dpi))
    return out.getvalue()
