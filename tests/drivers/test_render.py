"""Receipt and card images: sizes, wrapping, QR codes, Chinese text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops

from drivers.printer.layout import fit_lines, font, qr_image, text_width, wrap
from drivers.printer.render import printable_width, render_card, render_receipt
from tests.drivers import samples


def dark_pixels(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> int:
    grey = image.convert("L").crop(box) if box else image.convert("L")
    return sum(1 for value in grey.getdata() if value < 128)


@pytest.mark.parametrize(("paper", "width"), [(80, 576), (58, 384)])
def test_receipt_width_follows_the_paper(paper, width):
    image = render_receipt(samples.receipt(), paper_mm=paper)
    assert image.width == width == printable_width(paper)
    assert image.mode == "1"
    assert image.height > 400


@pytest.mark.parametrize("paper", [80, 58])
def test_receipt_text_stays_inside_the_margins(paper):
    image = render_receipt(samples.receipt(), paper_mm=paper)
    assert dark_pixels(image, (0, 0, 6, image.height)) == 0
    assert dark_pixels(image, (image.width - 6, 0, image.width, image.height)) == 0


def test_unknown_paper_width_is_refused():
    with pytest.raises(ValueError):
        render_receipt(samples.receipt(), paper_mm=110)


def test_receipt_qr_is_drawn_centred_and_depends_on_the_payload():
    one = render_receipt(samples.receipt("A-1"))
    other = render_receipt(samples.receipt("B-2"))
    assert one.size == other.size
    diff = ImageChops.difference(one.convert("L"), other.convert("L")).getbbox()
    assert diff is not None  # only the code differs ...
    left, top, right, bottom = diff
    assert abs((left + right) / 2 - one.width / 2) < 20  # ... and it sits in the middle
    assert dark_pixels(one, diff) > 500
    assert bottom < one.height - 40  # the caption and the tear-off margin follow


def test_receipt_text_is_drawn():
    image = render_receipt(samples.receipt())
    assert dark_pixels(image, (0, 0, image.width, 60)) > 300  # the title


def test_card_is_cr80_at_300_dpi():
    image = render_card(samples.card())
    assert abs(image.width - 1011) <= 1 and abs(image.height - 638) <= 1
    assert image.mode == "RGB"


def test_card_scales_with_dpi():
    image = render_card(samples.card(), dpi=600)
    assert abs(image.width - 2022) <= 1 and abs(image.height - 1275) <= 1


def test_card_has_a_qr_code_bottom_right_and_a_photo():
    image = render_card(samples.card())
    w, h = image.size
    assert dark_pixels(image, (w - 230, h - 230, w - 20, h - 20)) > 3000
    with_photo = image.crop((40, 126, 252, 387))
    without = render_card(samples.card(photo=False)).crop((40, 126, 252, 387))
    assert ImageChops.difference(with_photo, without).getbbox() is not None
    assert len(set(without.getdata())) > 1  # the placeholder silhouette is drawn


def test_wrapped_cjk_lines_fit_and_respect_punctuation():
    face = font(24)
    text = "居住地址：湖南省株洲市荷塘区月塘街道新华社区新华西路36号，请在领证时核对地址信息。" * 2
    lines = wrap(text, face, 300)
    assert len(lines) > 3
    assert all(text_width(line, face) <= 300 for line in lines)
    assert not any(line[0] in "，。：" for line in lines)
    assert "".join(lines) == text


def test_latin_wraps_at_spaces_and_long_words_break():
    face = font(24)
    lines = wrap("Please bring your identity card tomorrow", face, 200)
    assert all(line.split() and text_width(line, face) <= 200 for line in lines)
    assert " ".join(lines).split() == "Please bring your identity card tomorrow".split()
    long = wrap("x" * 200, face, 200)
    assert len(long) > 1 and all(text_width(line, face) <= 200 for line in long)


def test_fit_lines_shrinks_then_cuts():
    face, lines = fit_lines("湖南省株洲市荷塘区" * 3, (30, 24, 20), 300, max_lines=2)
    assert len(lines) <= 2
    _, cut = fit_lines("湖南省株洲市荷塘区" * 20, (30, 24), 300, max_lines=2)
    assert len(cut) == 2 and cut[-1].endswith("…")


def test_qr_image_fits_the_target_with_whole_modules():
    code = qr_image("https://permits.example.cn/s/ZZ-2026-000123", 240)
    assert code.width == code.height <= 240
    assert code.width > 120  # it uses the room it has
    assert code.getpixel((0, 0)) == 255  # quiet zone


_ALPHABET = "居住证株洲市荷塘区，。：ABCxyzWMW0123 -()"


@settings(max_examples=150, deadline=None)
@given(text=st.text(alphabet=_ALPHABET, max_size=80), width=st.integers(60, 500))
def test_wrap_never_overflows_and_loses_nothing(text, width):
    face = font(24)
    lines = wrap(text, face, width)
    for line in lines:
        assert text_width(line, face) <= width
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
