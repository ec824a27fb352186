"""Synthetic portraits: drawn faces, so no real person's photo ships with the demo.

The same seed (and the same sex and age hints) always gives the same person: skin,
hair, clothes and face shape are drawn from a random generator seeded with it.
"""

from __future__ import annotations

import functools
import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

ID_PHOTO_SIZE = (358, 441)  # 26 x 32 mm at 350 dpi, the proportion of Chinese ID photos
_SUPERSAMPLE = 2

_SKIN = [(241, 204, 170), (232, 190, 150), (222, 176, 136), (205, 158, 118), (246, 214, 186)]
_HAIR = [(28, 24, 22), (45, 34, 28), (62, 44, 32), (20, 20, 24), (84, 60, 42)]
_GREY_HAIR = [(178, 176, 172), (196, 194, 190), (150, 148, 146)]
_CLOTHES = [(40, 62, 110), (70, 70, 78), (120, 36, 48), (36, 90, 80), (30, 30, 34), (96, 80, 60)]
_BACKGROUNDS = [(246, 247, 249), (232, 240, 250), (238, 242, 246)]


@dataclass(frozen=True)
class PortraitStyle:
    """Everything that makes one synthetic person look like themselves."""

    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    clothes: tuple[int, int, int]
    background: tuple[int, int, int]
    hair_style: str  # "short", "side", "long", "bun"
    face_width: float  # half-width of the face as a share of the image width
    face_height: float  # half-height of the face as a share of the image height
    eye_gap: float
    mouth_width: float
    smile: bool


def style_for(seed: str, sex: str | None = None, age: int | None = None) -> PortraitStyle:
    """Derive a stable style from a seed; sex and age only nudge hair."""
    rnd = random.Random(f"portrait:{seed}")
    styles = {"M": ["short", "side"], "F": ["long", "bun", "side"]}.get(sex or "",
                                                                      ["short", "side", "long", "bun"])
    hair = rnd.choice(_GREY_HAIR if age is not None and age >= 60 else _HAIR)
    return PortraitStyle(
        skin=rnd.choice(_SKIN), hair=hair, clothes=rnd.choice(_CLOTHES),
        background=rnd.choice(_BACKGROUNDS), hair_style=rnd.choice(styles),
        face_width=rnd.uniform(0.175, 0.215), face_height=rnd.uniform(0.215, 0.245),
        eye_gap=rnd.uniform(0.075, 0.095), mouth_width=rnd.uniform(0.055, 0.085),
        smile=rnd.random() < 0.5,
    )


def _shade(rgb: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    r, g, b = (max(0, min(255, int(c * factor))) for c in rgb)
    return r, g, b


class _Painter:
    """Draws one portrait in image-relative coordinates (0..1 of width and height).

    ``eyes`` is how open the eyes are (1 open, 0 shut: a blink is a few frames of less);
    ``turn`` turns the head (-1..1, > 0 toward the person's own left, the image's right):
    the eyes, nose, mouth and fringe slide that way across the face and the far eye and
    ear narrow, as a face seen a little from the side."""

    def __init__(self, image: Image.Image, style: PortraitStyle, eyes: float = 1.0,
                 turn: float = 0.0) -> None:
        self.draw = ImageDraw.Draw(image)
        self.w, self.h = image.size
        self.s = style
        self.cx, self.cy = 0.5, 0.43
        self.eyes = max(0.0, min(1.0, eyes))
        self.turn = max(-1.0, min(1.0, turn))

    def box(self, x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [x0 * self.w, y0 * self.h, x1 * self.w, y1 * self.h]

    def ellipse(self, cx: float, cy: float, rx: float, ry: float, fill) -> None:
        self.draw.ellipse(self.box(cx - rx, cy - ry, cx + rx, cy + ry), fill=fill)

    def paint(self) -> None:
        s, fw, fh = self.s, self.s.face_width, self.s.face_height
        self.paint_hair_back()
        self.draw.rectangle(self.box(0.5 - fw * 0.42, self.cy + fh * 0.5, 0.5 + fw * 0.42, 0.82),
                            fill=_shade(s.skin, 0.9))
        self.ellipse(0.5, 1.06, 0.47, 0.3, s.clothes)
        self.draw.polygon([(0.5 - fw * 0.45) * self.w, 0.765 * self.h, 0.5 * self.w, 0.88 * self.h,
                           (0.5 + fw * 0.45) * self.w, 0.765 * self.h], fill=(245, 245, 245))
        self.draw.polygon([(0.5 - fw * 0.3) * self.w, 0.765 * self.h, 0.5 * self.w, 0.84 * self.h,
                           (0.5 + fw * 0.3) * self.w, 0.765 * self.h], fill=_shade(s.skin, 0.9))
        for side in (-1, 1):
            # The ear on the side the face turns toward goes behind the head.
            ear = 0.03 * (1.0 - max(0.0, side * self.turn))
            self.ellipse(self.cx + side * fw, self.cy + 0.01, ear, 0.05, _shade(s.skin, 0.95))
        self.ellipse(self.cx, self.cy, fw, fh, s.skin)
        self.paint_fringe()
        self.paint_features()

    def paint_hair_back(self) -> None:
        s, fw, fh = self.s, self.s.face_width, self.s.face_height
        if s.hair_style == "long":
            self.draw.rounded_rectangle(self.box(self.cx - fw - 0.04, self.cy - fh * 0.5,
                                                 self.cx + fw + 0.04, self.cy + fh + 0.1),
                                        radius=0.08 * self.w, fill=s.hair)
        if s.hair_style == "bun":
            self.ellipse(self.cx, self.cy - fh - 0.035, 0.08, 0.06, s.hair)
        self.ellipse(self.cx, self.cy - 0.035, fw + 0.022, fh + 0.02, s.hair)

    def paint_fringe(self) -> None:
        s, fw, fh = self.s, self.s.face_width, self.s.face_height
        shift = 0.04 if s.hair_style == "side" else 0.0
        shift += self.turn * fw * 0.15
        self.ellipse(self.cx + shift, self.cy - fh * 0.78, fw * 1.0 - abs(shift) / 2, fh * 0.34,
                     s.hair)

    def paint_features(self) -> None:
        s, cy = self.s, self.cy
        cx = self.cx + self.turn * s.face_width * 0.42  # the face's middle line, turned
        dark, lip = (40, 32, 30), _shade(s.skin, 0.72)
        for side in (-1, 1):
            # The eye on the far side is seen at a slant: narrower, and nearer the middle.
            far = max(0.0, side * self.turn)
            ex = cx + side * s.eye_gap * (1.0 - 0.35 * far)
            rx = 0.032 * (1.0 - 0.45 * far)
            self.paint_eye(ex, cy - 0.005, rx, dark)
            self.draw.line(self.box(ex - 0.035, cy - 0.045, ex + 0.035, cy - 0.05 - side * 0.003),
                           fill=_shade(s.hair, 0.9) if s.hair[0] < 120 else (90, 80, 70),
                           width=max(2, self.h // 110))
        nose = cx + self.turn * 0.02  # the tip stands out of the face: it moves the most
        self.draw.line(self.box(cx, cy + 0.01, nose - 0.012, cy + 0.07), fill=_shade(s.skin, 0.8),
                       width=max(2, self.h // 160))
        mw, my = s.mouth_width, cy + 0.125
        if s.smile:
            self.draw.chord(self.box(cx - mw, my - 0.03, cx + mw, my + 0.025), 0, 180, fill=lip)
        else:
            self.ellipse(cx, my, mw, 0.011, lip)

    def paint_eye(self, ex: float, ey: float, rx: float, dark) -> None:
        """One eye: white and iris, covered from above by the lid as it closes."""
        self.ellipse(ex, ey, rx, 0.016, (250, 250, 250))
        self.ellipse(ex, ey, min(0.014, rx), 0.014, dark)
        if self.eyes >= 1.0:
            return
        lid = _shade(self.s.skin, 0.93)
        bottom = ey - 0.016 + 0.032 * (1.0 - self.eyes)  # where the lid's edge has come down to
        top = ey - 0.022
        self.draw.rectangle(self.box(ex - rx - 0.004, top, ex + rx + 0.004, bottom), fill=lid)
        self.draw.line(self.box(ex - rx, bottom, ex + rx, bottom), fill=dark,
                       width=max(2, self.h // 200))


def portrait_layer(seed: str, size: tuple[int, int] = ID_PHOTO_SIZE, *,
                   sex: str | None = None, age: int | None = None, eyes: float = 1.0,
                   turn: float = 0.0) -> Image.Image:
    """The person alone on a transparent RGBA layer, so callers can move them over a
    background; ``eyes`` and ``turn`` as _Painter (a blink, a head turned a little)."""
    style = style_for(seed, sex, age)
    big = Image.new("RGBA", (size[0] * _SUPERSAMPLE, size[1] * _SUPERSAMPLE), (0, 0, 0, 0))
    _Painter(big, style, eyes, turn).paint()
    return big.resize(size, Image.Resampling.LANCZOS)


def portrait(seed: str, size: tuple[int, int] = ID_PHOTO_SIZE, *,
             sex: str | None = None, age: int | None = None) -> Image.Image:
    """An ID-style photo: the person on a plain light background."""
    style = style_for(seed, sex, age)
    image = Image.new("RGB", size, style.background)
    image.paste(layer := portrait_layer(seed, size, sex=sex, age=age), (0, 0), layer)
    return image


@functools.lru_cache(maxsize=32)
def portrait_jpeg(seed: str, size: tuple[int, int] = ID_PHOTO_SIZE, *,
                  sex: str | None = None, age: int | None = None) -> bytes:
    """The portrait as the JPEG bytes a chip would hold."""
    out = io.BytesIO()
    portrait(seed, size, sex=sex, age=age).save(out, "JPEG", quality=88)
    return out.getvalue()


def silhouette(size: tuple[int, int] = ID_PHOTO_SIZE) -> Image.Image:
    """A neutral grey head-and-shoulders, where a photo is missing."""
    w, h = size
    image = Image.new("RGB", size, (236, 238, 241))
    draw = ImageDraw.Draw(image)
    grey = (178, 184, 192)
    draw.ellipse([0.06 * w, 0.74 * h, 0.94 * w, 1.35 * h], fill=grey)
    draw.rectangle([0.42 * w, 0.55 * h, 0.58 * w, 0.8 * h], fill=grey)
    draw.ellipse([0.3 * w, 0.18 * h, 0.7 * w, 0.66 * h], fill=grey)
    return image
