"""Where the reference photos come from: the population registry, behind a small interface.

The resident's ID card carries their photo in WLT, a licensed format only the card reader
vendor's decoder expands; a kiosk without that decoder asks central, and central asks the
population registry (人口信息库), which holds the same photo. A real deployment plugs in
the province's registry service here: an implementation of ``PopulationRegistry`` that
calls it (over the government network, with central's own credentials) and returns the
photo's bytes. The reference central has ``DemoRegistry``: the demo residents' drawn faces.

A registry photo is personal data: it is held in memory for one comparison, never stored,
logged, or sent to the kiosk.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from biometrics.drawn import portrait_jpeg


class PopulationRegistry(Protocol):
    """The registry's one question: the holder's photo (JPEG or PNG bytes), or None when it
    knows no such document or holds no photo for it."""

    def photo(self, document_type: str, document_number: str) -> bytes | None: ...


class _Resident(Protocol):
    @property
    def document_number(self) -> str: ...

    @property
    def portrait(self) -> str | None: ...


class DemoRegistry:
    """The demo residents' registry photos: each a face drawn by ``biometrics.drawn`` with
    the resident's ``portrait`` seed (the persona key of the kiosk's simulated reader and
    camera), so the simulated camera's face of a persona is that persona's registry face.
    Drawn on demand (the drawing is cached in memory, as for the simulated reader); nothing
    is written anywhere."""

    def __init__(self, seeds: dict[str, str]) -> None:
        self._seeds = dict(seeds)  # document number (upper case) -> portrait seed

    @classmethod
    def of_residents(cls, residents: Iterable[_Resident]) -> DemoRegistry:
        """From central.demo_seed's residents (anything with document_number, portrait)."""
        seeds: dict[str, str] = {}
        for r in residents:
            seeds[r.document_number.upper()] = r.portrait or r.document_number
        return cls(seeds)

    def __contains__(self, document_number: str) -> bool:
        return document_number.upper() in self._seeds

    def photo(self, document_type: str, document_number: str) -> bytes | None:
        seed = self._seeds.get(document_number.upper())
        return None if seed is None else portrait_jpeg(seed)
