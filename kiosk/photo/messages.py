"""What the photo guidance says: the message ids, whose sentences live in the catalogs.

Directions are the resident's own: "left" is their left, whichever way the screen
mirrors the preview. One short sentence each, to be shown and spoken.
"""

from __future__ import annotations

from kiosk.i18n import Translator

GUIDANCE_IDS: tuple[str, ...] = (
    "photo.guide.no_face",
    "photo.guide.one_person",
    "photo.guide.closer",
    "photo.guide.farther",
    "photo.guide.left",
    "photo.guide.right",
    "photo.guide.up",
    "photo.guide.down",
    "photo.guide.turn_left",
    "photo.guide.turn_right",
    "photo.guide.tilt",
    "photo.guide.uncover",
    "photo.guide.chin_up",
    "photo.guide.chin_down",
    "photo.guide.open_eyes",
    "photo.guide.close_mouth",
    "photo.guide.too_dark",
    "photo.guide.too_bright",
    "photo.guide.uneven_light",
    "photo.guide.background",
    "photo.guide.blurry",
    "photo.guide.keep_still",
    # The liveness challenge (kiosk/photo/liveness.py): one action at a time.
    "photo.live.blink",
    "photo.live.turn_left",
    "photo.live.turn_right",
    "photo.live.again",
)


def text(msgid: str, language: str = "zh_CN") -> str:
    """The sentence for ``msgid`` in ``language`` ("zh_CN" or "en") from the catalogs."""
    return Translator("en" if language.startswith("en") else "zh_CN")(msgid)


# Both languages of every guidance sentence, for the CLI and the tests.
MESSAGES: dict[str, tuple[str, str]] = {k: (text(k, "zh_CN"), text(k, "en")) for k in GUIDANCE_IDS}
