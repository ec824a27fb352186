"""Several document readers as one device: a hall's kiosk has the certified ID-card module
(the resident identity card) beside a passport reader (ICAO chips: passports, exit-entry
permits). The journey sees one reader: whichever sub-reader reports a document is the one
read; its events pass through as they come.

Health is the best of the sub-readers' (a kiosk whose passport reader is down still serves
ID-card holders), with each sub-reader's state in the detail for the technician.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from drivers.base import Device, DeviceHealth, HealthState, create
from drivers.reader.base import (
    AccessKey,
    DocumentEvent,
    DocumentEventKind,
    DocumentListener,
    DocumentReader,
    IdentityDocument,
    ProgressCallback,
    ReaderError,
)

_BEST_FIRST = (HealthState.OK, HealthState.WARNING, HealthState.ERROR, HealthState.UNKNOWN,
               HealthState.OFFLINE)


class _AllFaults:
    """A technician's switch on the simulators (demo and tests) set on every sub-reader that
    has them; each sub-reader acts only on the fault names it knows."""

    def __init__(self, readers: list[DocumentReader]) -> None:
        self._scripts = [f for f in (getattr(r, "faults", None) for r in readers) if f]

    def set(self, name: str, value: Any = 1) -> None:
        for script in self._scripts:
            script.set(name, value)

    def clear(self, name: str | None = None) -> None:
        for script in self._scripts:
            script.clear(name)

    def value(self, name: str, default: Any = None) -> Any:
        return next((v for v in (s.value(name) for s in self._scripts) if v is not None),
                    default)


class CombinedReader(DocumentReader):
    def __init__(self, name: str, readers: list[Mapping[str, Any]]) -> None:
        super().__init__(name)
        self.readers: list[DocumentReader] = []
        try:
            for sub in readers:
                built = create("reader", sub["driver"], **dict(sub.get("options") or {}))
                assert isinstance(built, DocumentReader)
                self.readers.append(built)
        except BaseException:
            for built in self.readers:
                built.close()
            raise
        self._active: DocumentReader | None = None
        self._lock = threading.Lock()
        self.faults = _AllFaults(self.readers)

    # -- the device ------------------------------------------------------------------------
    def open(self) -> None:
        for reader in self.readers:
            reader.open()

    def close(self) -> None:
        for reader in self.readers:
            reader.close()

    def health(self) -> DeviceHealth:
        healths = [(reader.name, reader.health()) for reader in self.readers]
        best = min(healths, key=lambda nh: _BEST_FIRST.index(nh[1].state))[1]
        detail = "; ".join(f"{name}: {h.state.value}{' ' + h.code if h.code else ''}"
                           for name, h in healths)
        return DeviceHealth(best.state, best.code, detail)

    # -- documents -------------------------------------------------------------------------
    def start(self, listener: DocumentListener) -> None:
        for reader in self.readers:
            reader.start(self._listener_for(reader, listener))

    def _listener_for(self, reader: DocumentReader,
                      listener: DocumentListener) -> DocumentListener:
        def heard(event: DocumentEvent) -> None:
            with self._lock:
                if event.kind is DocumentEventKind.PRESENTED:
                    self._active = reader
                elif self._active is not reader:
                    return  # a document lifted from a reader nobody is reading
            listener(event)
        return heard

    def stop(self) -> None:
        for reader in self.readers:
            reader.stop()

    def arm(self) -> None:
        for reader in self.readers:
            reader.arm()

    def disarm(self) -> None:
        for reader in self.readers:
            reader.disarm()

    def forget(self) -> None:
        for reader in self.readers:
            reader.forget()

    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        with self._lock:
            active = self._active
        if active is None:
            raise ReaderError("no document on any reader", code="document_removed")
        return active.read(key, progress)

    # -- the simulators' hands (demo and tests) --------------------------------------------
    @property
    def documents(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for reader in reversed(self.readers):
            found.update(getattr(reader, "documents", None) or {})
        return found

    def place(self, key: str | None = None) -> None:
        """Put the persona's document on the first sub-reader that reads its kind and
        holds it (a passport on the chip reader, an ID card on the ID-card module)."""
        persona = self.documents.get(key) if key is not None else None
        kind = getattr(persona, "fields", {}).get("document_type") if persona else None
        for reader in self.readers:
            place = getattr(reader, "place", None)
            if place is None or (kind is not None and reader.reads is not None
                                 and kind not in reader.reads):
                continue
            try:
                place(key)
            except (KeyError, ValueError):
                continue
            return
        raise KeyError(f"no reader holds a document {key!r}")

    @property
    def present_key(self) -> str | None:
        for reader in self.readers:
            key = getattr(reader, "present_key", None)
            if key is not None:
                return key
        return None

    def lift(self) -> None:
        for reader in self.readers:
            lift = getattr(reader, "lift", None)
            if lift is not None:
                lift()


def combined_reader(name: str, readers: list[Mapping[str, Any]]) -> Device:
    return CombinedReader(name, readers)
