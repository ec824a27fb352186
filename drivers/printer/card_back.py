"""The back of the residence permit card, for printers that print both sides.

Simple on purpose: the issuing authority, the permit number and validity again, and a
large QR code that a clerk's phone reads at arm's length. Drawn on the same 300-dpi
canvas as the front (card_render), so both sides scale the same way.
"""

from __future__ import annotations

from PIL import Image

from drivers.printer.base import CardDocument
from drivers.printer.card_render import GREY, INK, NAVY, RULE, _Card, _dates
from drivers.printer.layout import fit_lines, font_size, qr_image

_BASE_DPI = 300


def issuing_authority(city_name: str) -> tuple[str, str]:
    """Residence permits are issued by the city's public security bureau."""
    city = city_name.strip()
    return f"{city}公安局", "Public Security Bureau"


def render_card_back(card_doc: CardDocument, dpi: int = _BASE_DPI) -> Image.Image:
    """The card back: a thin band, the authority and dates on the left, the QR on the right."""
    card = _Card(dpi)
    card.draw.rectangle([0, 0, card.image.width, card.px(26)], fill=NAVY)
    card.draw.rectangle([0, card.px(26), card.image.width, card.px(30)], fill=RULE)

    qr = qr_image(card_doc.qr_payload, card.px(300), quiet_modules=2).convert("RGB")
    qr_x = card.width - 40 - qr.width / card.k
    qr_y = (card.height - qr.height / card.k) / 2 + 8
    card.paste(qr, qr_x, qr_y)
    card.text(qr_x + qr.width / card.k / 2, qr_y + qr.height / card.k + 4,
              "扫码核验 Scan to verify", 16, GREY, anchor="ma")

    left, room = 44, qr_x - 44 - 30
    zh, en = issuing_authority(card_doc.city_name)
    card.text(left, 70, "签发机关", 20, GREY)
    card.text(left, 94, "Issuing authority", 14, GREY)
    face, lines = fit_lines(zh, (card.px(34), card.px(28), card.px(24)), card.px(room),
                            max_lines=2)
    y = 122.0
    for line in lines:
        card.text(left, y, line, round(font_size(face) / card.k), INK, bold=True)
        y += font_size(face) * 1.25 / card.k
    card.text(left, y + 2, en, 18, INK)

    card.text(left, 262, "居住证号 Permit No.", 18, GREY)
    card.text(left, 288, card_doc.permit_number, 28, INK, bold=True)
    card.text(left, 350, "有效期限 Valid", 18, GREY)
    card.text(left, 376, _dates(card_doc.valid_from, card_doc.valid_until), 26, INK)
    card.text(left, 450, "本证仅限持证人本人使用", 18, GREY)
    card.text(left, 476, "Valid only for the holder named on the front", 14, GREY)
    card.draw.rectangle([0, card.image.height - card.px(14), card.image.width,
                         card.image.height], fill=NAVY)
    return card.image
