"""The CJK font draws real Chinese glyphs, not boxes."""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw, ImageFont

from drivers.fonts import FontChoice, find_cjk_font, pick_sc_face

UNASSIGNED = "\u0378"  # no character is assigned here, so any font draws its "missing" glyph


def glyph(choice: FontChoice, char: str) -> Image.Image:
    face = ImageFont.truetype(choice.path, 48, index=choice.index)
    image = Image.new("L", (64, 64), 0)
    ImageDraw.Draw(image).text((8, 4), char, font=face, fill=255)
    return image


def test_a_cjk_font_is_found():
    choice = find_cjk_font()
    assert isinstance(choice, FontChoice)
    assert choice.path.endswith((".ttc", ".otf", ".ttf"))


def test_chinese_characters_are_drawn_and_differ_from_the_missing_glyph():
    choice = find_cjk_font()
    missing = glyph(choice, UNASSIGNED)
    for char in "居住证株洲":
        drawn = glyph(choice, char)
        assert drawn.getbbox() is not None, char
        assert ImageChops.difference(drawn, missing).getbbox() is not None, char
    assert ImageChops.difference(glyph(choice, "居"), glyph(choice, "住")).getbbox() is not None


def test_the_simplified_chinese_face_of_noto_is_picked():
    noto = ["Noto Sans CJK JP", "Noto Sans CJK KR", "Noto Sans CJK SC", "Noto Sans CJK TC",
            "Noto Sans CJK HK"]
    assert pick_sc_face(noto) == 2
    assert pick_sc_face(["AR PL UMing TW", "AR PL UMing CN"]) == 1
    assert pick_sc_face(["WenQuanYi Micro Hei"], default=0) == 0
