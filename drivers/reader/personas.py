"""The simulated reader's documents: invented personas loaded from TOML.

Kept apart from the simulator so the demo, tests and the technician's self-test
can list and check personas without starting a reader.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.base import AccessKey, AccessKind, CanKey, IdentityDocument, MrzKey

DEFAULT_DOCUMENTS_FILE = Path(__file__).with_name("sim_documents.toml")

_REQUIRED = ("document_type", "issuing_state", "document_number", "name", "sex",
             "birth_date", "nationality", "expiry_date")
_OPTIONAL = ("household_city", "household_address", "genuine", "review_reasons", "access", "can")
# How the virtual chip issues the persona's document; the simulated reader ignores them.
_CHIP = ("latin_name", "signer", "tamper_dg", "chip_access", "active_auth", "chip_auth")
_DATES = ("birth_date", "expiry_date")


@dataclass(frozen=True)
class SimDocument:
    """One persona's document, and what it takes to open its chip."""

    key: str
    access: AccessKind
    fields: Mapping[str, Any] = field(repr=False)
    can: str | None = field(default=None, repr=False)
    chip: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def accepts(self, key: AccessKey | None) -> bool:
        """Whether ``key`` opens this chip (documents without access control take any)."""
        if self.access is AccessKind.NONE:
            return True
        if self.access is AccessKind.CAN:
            return isinstance(key, CanKey) and key.can == self.can
        return isinstance(key, MrzKey) and (
            key.document_number.strip().upper() == self.fields["document_number"].upper()
            and key.birth_date == self.fields["birth_date"]
            and key.expiry_date == self.fields["expiry_date"])

    def identity(self, today: dt.date | None = None) -> IdentityDocument:
        """A fresh IdentityDocument, with this persona's synthetic photo."""
        values = dict(self.fields)
        values["review_reasons"] = list(values.get("review_reasons", []))
        age = _age(values["birth_date"], today or dt.date.today())
        photo = portrait_jpeg(self.key, sex=values["sex"], age=age)
        return IdentityDocument(**values, photo_jpeg=photo)


def _age(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _as_date(key: str, name: str, value: Any) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ValueError(f"sim document {key!r}: {name} must be a date, not {value!r}")


def parse_document(key: str, raw: Mapping[str, Any]) -> SimDocument:
    """Check one persona's fields; errors name the persona and the field."""
    unknown = sorted(set(raw) - set(_REQUIRED) - set(_OPTIONAL) - set(_CHIP))
    missing = [name for name in _REQUIRED if name not in raw]
    if unknown or missing:
        raise ValueError(f"sim document {key!r}: unknown fields {unknown}, missing {missing}")
    fields = {name: raw[name] for name in raw if name not in ("access", "can", *_CHIP)}
    for name in _DATES:
        fields[name] = _as_date(key, name, raw[name])
    try:
        access = AccessKind(raw.get("access", "none"))
    except ValueError:
        raise ValueError(f"sim document {key!r}: access must be none, mrz or can") from None
    if access is AccessKind.CAN and not raw.get("can"):
        raise ValueError(f"sim document {key!r}: access 'can' needs a 'can' field")
    chip = {name: raw[name] for name in _CHIP if name in raw}
    return SimDocument(key, access, fields, raw.get("can"), chip)


def load_documents(documents: Mapping[str, Mapping[str, Any]] | None = None,
                   documents_file: str | Path | None = None) -> dict[str, SimDocument]:
    """Personas from a dict, else from a TOML file, else from the shipped file."""
    if documents is None:
        with open(documents_file or DEFAULT_DOCUMENTS_FILE, "rb") as f:
            documents = tomllib.load(f)
    return {key: parse_document(key, raw) for key, raw in documents.items()}
