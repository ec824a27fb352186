"""The residence permit card face (CR80, 85.60 x 53.98 mm), drawn as one RGB image.

Positions are written in pixels at 300 dpi, the usual card-printer resolution,
and scaled for others, so the layout reads like a drawing of the card.
"""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image, ImageDraw, ImageOps

from drivers.camera.synthetic import silhouette
from drivers.printer.base import CardDocument
from drivers.printer.layout import fit_lines, font, font_size, qr_image, text_width

CARD_MM = (85.60, 53.98)
_BASE_DPI = 300
NAVY, INK, GREY, RULE = (24, 62, 120), (20, 24, 32), (104, 112, 124), (200, 160, 60)
_PAPER, _BAND_TEXT = (250, 251, 253), (255, 255, 255)
_SEX = {"M": "男 M", "F": "女 F", "X": "X"}
_LABEL_W = 150


class _Card:
    """A canvas that takes 300-dpi coordinates."""

    def __init__(self, dpi: int) -> None:
        self.k = dpi / _BASE_DPI
        width_mm, height_mm = CARD_MM
        size = (int(width_mm / 25.4 * dpi + 0.5), int(height_mm / 25.4 * dpi + 0.5))
        self.image = Image.new("RGB", size, _PAPER)
        self.draw = ImageDraw.Draw(self.image)

    @property
    def width(self) -> int:  # in 300-dpi units
        return round(self.image.width / self.k)

    @property
    def height(self) -> int:
        return round(self.image.height / self.k)

    def px(self, value: float) -> int:
        return round(value * self.k)

    def text(self, x: float, y: float, text: str, size: int, fill, bold: bool = False,
             anchor: str = "la") -> None:
        self.draw.text((self.px(x), self.px(y)), text, font=font(self.px(size)), fill=fill,
                       anchor=anchor, stroke_width=1 if bold else 0, stroke_fill=fill)

    def label(self, x: float, y: float, zh: str, en: str) -> None:
        self.text(x, y, zh, 20, GREY)
        self.text(x, y + 24, en, 14, GREY)

    def paste(self, image: Image.Image, x: float, y: float) -> None:
        self.image.paste(image, (self.px(x), self.px(y)))


def _header(card: _Card, city: str) -> None:
    card.draw.rectangle([0, 0, card.image.width, card.px(92)], fill=NAVY)
    card.draw.rectangle([0, card.px(92), card.image.width, card.px(98)], fill=RULE)
    card.text(40, 46, "居住证", 46, _BAND_TEXT, bold=True, anchor="lm")
    card.text(40 + 46 * 3 + 20, 50, "RESIDENCE PERMIT", 24, _BAND_TEXT, anchor="lm")
    size = _shrink_to(city, 34, 330, card)
    card.text(card.width - 40, 46, city, size, _BAND_TEXT, bold=True, anchor="rm")


def _photo(card: _Card, photo_jpeg: bytes | None, box: tuple[int, int, int, int]) -> None:
    x, y, w, h = box
    size = (card.px(w), card.px(h))
    if photo_jpeg:
        with Image.open(io.BytesIO(photo_jpeg)) as raw:
            photo = ImageOps.fit(raw.convert("RGB"), size, Image.Resampling.LANCZOS,
                                 centering=(0.5, 0.4))
    else:
        photo = silhouette(size)
    card.paste(photo, x, y)
    card.draw.rectangle([card.px(x) - 1, card.px(y) - 1, card.px(x + w), card.px(y + h)],
                        outline=(170, 176, 186), width=max(1, card.px(2)))


def _shrink_to(text: str, size: int, width: float, card: _Card) -> int:
    """The largest size up to ``size`` at which ``text`` fits ``width`` (300-dpi units)."""
    while size > 16 and text_width(text, font(card.px(size))) > card.px(width):
        size -= 2
    return size


def _field(card: _Card, x: float, y: float, zh: str, en: str, value: str, size: int = 28,
           bold: bool = False, width: float = 480) -> None:
    """A bilingual label with its value to the right, shrunk if it would not fit."""
    card.label(x, y, zh, en)
    size = _shrink_to(value, size, width, card)
    card.text(x + _LABEL_W, y + 20, value, size, INK, bold=bold, anchor="lm")


def _address(card: _Card, x: float, y: float, width: float, address: str) -> None:
    card.label(x, y, "住址", "Address")
    room = card.px(width - _LABEL_W)
    face, lines = fit_lines(address, (card.px(27), card.px(24)), room, max_lines=2)
    if lines[-1].endswith("…") and not address.endswith("…"):  # a third, smaller line
        face, lines = fit_lines(address, (card.px(21),), room, max_lines=3)
    step = font_size(face) * 1.3 / card.k
    for i, line in enumerate(lines):
        card.text(x + _LABEL_W, y + 4 + i * step, line, round(font_size(face) / card.k), INK)


def _dates(valid_from: dt.date, valid_until: dt.date) -> str:
    return f"{valid_from:%Y.%m.%d} – {valid_until:%Y.%m.%d}"


def render_card(card_doc: CardDocument, dpi: int = _BASE_DPI) -> Image.Image:
    """The card front: header band, photo left, fields right, QR code bottom-right."""
    card = _Card(dpi)
    _header(card, card_doc.city_name)
    _photo(card, card_doc.photo_jpeg, (40, 126, 212, 261))
    x, right = 290, card.width - 40
    wide = right - x - _LABEL_W
    _field(card, x, 124, "姓名", "Name", card_doc.name, size=36, bold=True, width=wide)
    _field(card, x, 182, "性别", "Sex", _SEX.get(card_doc.sex, card_doc.sex), width=110)
    _field(card, x + 270, 182, "出生", "Birth", f"{card_doc.birth_date:%Y.%m.%d}", width=wide - 270)
    _field(card, x, 240, "身份号码", "ID No.", card_doc.document_number, width=wide)
    _address(card, x, 298, right - x, card_doc.address)
    qr = qr_image(card_doc.qr_payload, card.px(176), quiet_modules=2).convert("RGB")
    card.paste(qr, card.width - 36 - qr.width / card.k, card.height - 36 - qr.height / card.k)
    beside_qr = card.width - 36 - qr.width / card.k - 24 - 40 - _LABEL_W
    _field(card, 40, 416, "居住证号", "Permit No.", card_doc.permit_number, size=30, bold=True,
           width=beside_qr)
    _field(card, 40, 476, "有效期限", "Valid", _dates(card_doc.valid_from, card_doc.valid_until),
           width=beside_qr)
    card.draw.rectangle([0, card.image.height - card.px(14), card.image.width, card.image.height],
                        fill=NAVY)
    return card.image
