"""ID photo tests: quality checks, guidance, crop, face verification, the CLI.

Shared helpers live here: the public-domain test portraits (tests/data/faces) and a
config that switches off the checks those press photos cannot pass (their mouths
smile and their backgrounds are offices), so each manipulation can be shown to fail
exactly the check it should.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image

from kiosk.config import PhotoConfig

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"


@functools.cache
def photo_bytes(name: str) -> bytes:
    return (FACES / name).read_bytes()


def photo(name: str) -> Image.Image:
    return Image.open(FACES / name).convert("RGB")


def press_photo_config(**changes) -> PhotoConfig:
    """The defaults, with the mouth and background checks out of the way."""
    values = {"max_mouth_openness": 1.0, "min_background_brightness": 0.0,
              "max_background_texture": 1.0, **changes}
    return PhotoConfig(**values)
