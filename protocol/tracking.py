"""The addresses behind a receipt's QR code: built by central and the kiosk, read by the kiosk.

``{central}/track/{number}`` is an application central has numbered. A receipt printed while
central could not be reached carries ``{central}/track/ref/{key}`` instead: the kiosk's own
reference (the application's idempotency key), which central redirects to the number once
the application has arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TRACK_PATH = "/track/"
REFERENCE_PATH = "/track/ref/"
_REFERENCE = re.compile(r"/track/ref/([0-9a-f]{16,64})/?$")
_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")


def application_url(central_url: str, number: str) -> str:
    return central_url.rstrip("/") + TRACK_PATH + number


def reference_url(central_url: str, key: str) -> str:
    return central_url.rstrip("/") + REFERENCE_PATH + key


@dataclass(frozen=True)
class ScannedCode:
    """A scanned receipt code: central's application number, or the kiosk's reference."""

    number: str | None = None
    reference: str | None = None


def parse(code: str) -> ScannedCode | None:
    """A tracking address (or a bare application number) read from a receipt; None for
    anything else."""
    text = code.strip()
    found = _REFERENCE.search(text)
    if found:
        return ScannedCode(reference=found.group(1))
    if TRACK_PATH in text:
        text = text.rsplit(TRACK_PATH, 1)[1].split("?", 1)[0].strip("/")
    return ScannedCode(number=text) if _NUMBER.match(text) else None
