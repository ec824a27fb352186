"""Shared drawing helpers for printed documents: fonts, line wrapping, QR codes.

Wrapping works in pixels because Chinese has no spaces: any character may start
a line, except closing punctuation, which pulls the character before it along.
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Protocol

import qrcode
from PIL import Image, ImageFont

from drivers.fonts import find_cjk_font

log = logging.getLogger("drivers.printer")

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_BITMAP_FONT_SIZE = 12  # Pillow's fallback bitmap font has no size; about its line height


class TextMeasure(Protocol):
    """What wrapping needs of a font: a font, or the printer's own cells (ESC/POS text)."""

    def getlength(self, text: str) -> float: ...


# One token is a run of Latin-like characters, a run of spaces, or a single other character.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u3000-\u303f"
_TOKEN = re.compile(rf"\s+|[^\s{_CJK}]+|.")
_NO_LINE_START = set("，。、；：！？）」』】》〉”’,.;:!?)]}%·…")


@functools.lru_cache(maxsize=64)
def font(size: int) -> Font:
    """The CJK font at ``size`` pixels; Pillow's own font if none is installed."""
    choice = find_cjk_font()
    if choice is None:
        return ImageFont.load_default(size)
    return ImageFont.truetype(choice.path, size, index=choice.index)


def text_width(text: str, face: TextMeasure) -> float:
    return face.getlength(text)


def font_size(face: Font) -> float:
    """The face's size in pixels; Pillow's fallback bitmap font has none of its own."""
    if isinstance(face, ImageFont.FreeTypeFont):
        return face.size
    return _BITMAP_FONT_SIZE


def line_height(face: Font, spacing: float = 1.25) -> int:
    """Distance between baselines; from the font size, so CJK and Latin lines match."""
    return int(round(font_size(face) * spacing))


def _tokens(text: str, face: TextMeasure, width: int) -> list[str]:
    """Split into breakable pieces; a word wider than the line is broken anywhere."""
    pieces: list[str] = []
    for token in _TOKEN.findall(text):
        if token.isspace() or text_width(token, face) <= width:
            pieces.append(token)
            continue
        chunk = ""
        for char in token:
            if chunk and text_width(chunk + char, face) > width:
                pieces.append(chunk)
                chunk = ""
            chunk += char
        pieces.append(chunk)
    return pieces


def wrap(text: str, face: TextMeasure, width: int) -> list[str]:
    """Lines of ``text`` no wider than ``width`` pixels; explicit newlines are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current: list[str] = []
        for token in _tokens(paragraph, face, width):
            if not current and token.isspace():
                continue
            if not current or text_width("".join(current + [token]).rstrip(), face) <= width:
                current.append(token)
                continue
            carry = []
            if (token[0] in _NO_LINE_START and len(current) > 1
                    and text_width(current[-1] + token, face) <= width):
                carry = [current.pop()]
            lines.append("".join(current).rstrip())
            current = carry + ([] if token.isspace() else [token])
        lines.append("".join(current).rstrip())
    return lines


def fit_lines(text: str, sizes: tuple[int, ...], width: int,
              max_lines: int) -> tuple[Font, list[str]]:
    """The largest size whose wrapping fits ``max_lines``; else the smallest, cut with '…'."""
    for size in sizes:
        lines = wrap(text, font(size), width)
        if len(lines) <= max_lines:
            return font(size), lines
    face = font(sizes[-1])
    lines = wrap(text, face, width)[:max_lines]
    last = lines[-1]
    while last and text_width(last + "…", face) > width:
        last = last[:-1]
    lines[-1] = last + "…"
    return face, lines


def qr_image(payload: str, target_px: int, quiet_modules: int = 4) -> Image.Image:
    """A black-on-white QR code (mode "1") no wider than ``target_px``, whole pixels per module.

    Error correction M survives the smudges of thermal paper without a huge code.
    """
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                         box_size=1, border=quiet_modules)
    code.add_data(payload)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    box = max(1, target_px // modules)
    if target_px < modules:
        log.warning("QR code needs %d px, only %d available", modules, target_px)
    return small.resize((modules * box, modules * box), Image.Resampling.NEAREST)
