"""Find a font that draws Simplified Chinese, for receipts, cards and the screen.

Debian's fonts-wqy-microhei is preferred (small, one face for zh_CN). With
fonts-noto-cjk the collection's first face is Japanese, whose glyph shapes differ
from the mainland standard, so the Simplified Chinese face index is chosen.
fontconfig is only a fallback, because ``fc-match`` always answers something,
even a font without a single Chinese glyph.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

log = logging.getLogger("drivers.fonts")

WQY_MICROHEI = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
NOTO_CJK_COLLECTIONS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
NOTO_SC_FACE = 2  # JP, KR, SC, TC, HK: the usual order when faces cannot be named
_SC_WORDS = {"SC", "CN", "GB", "Hans", "zh_CN"}


@dataclass(frozen=True)
class FontChoice:
    """A font file and the face inside it (collections hold several)."""

    path: str
    index: int = 0


def pick_sc_face(family_names: Sequence[str], default: int = 0) -> int:
    """Index of the Simplified Chinese face among a collection's family names."""
    for index, family in enumerate(family_names):
        words = set(re.split(r"[^0-9A-Za-z]+", family))
        if words & _SC_WORDS or "简" in family:
            return index
    return default


def _face_names(path: str, limit: int = 16) -> list[str]:
    """Family names of every face in a font file, read with Pillow."""
    from PIL import ImageFont

    names: list[str] = []
    for index in range(limit):
        try:
            names.append(ImageFont.truetype(path, 12, index=index).getname()[0] or "")
        except OSError:
            break
    return names


def _noto_choice(path: str) -> FontChoice:
    names = _face_names(path)
    return FontChoice(path, pick_sc_face(names, default=NOTO_SC_FACE if names else 0))


def _fontconfig_choice() -> FontChoice | None:
    """Ask fontconfig for faces covering zh-cn; prefer one named for Simplified Chinese."""
    if shutil.which("fc-list") is None:
        return None
    try:
        out = subprocess.run(["fc-list", "-f", "%{file}\t%{index}\t%{family}\n", ":lang=zh-cn"],
                             capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    faces = [line.split("\t") for line in sorted(out.splitlines()) if line.count("\t") == 2]
    if not faces:
        return None
    best = pick_sc_face([family for _, _, family in faces], default=0)
    path, index, _ = faces[best]
    return FontChoice(path, int(index or 0))


@functools.lru_cache(maxsize=1)
def find_cjk_font() -> FontChoice | None:
    """The best installed font for Simplified Chinese, or None (then text shows as boxes)."""
    if os.path.exists(WQY_MICROHEI):
        choice: FontChoice | None = FontChoice(WQY_MICROHEI, 0)
    else:
        noto = next((p for p in NOTO_CJK_COLLECTIONS if os.path.exists(p)), None)
        choice = _noto_choice(noto) if noto else _fontconfig_choice()
    if choice is None:
        log.warning("no CJK font found; install fonts-wqy-microhei or fonts-noto-cjk")
    else:
        log.info("CJK font: %s (face %d)", choice.path, choice.index)
    return choice
