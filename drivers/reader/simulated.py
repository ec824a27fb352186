"""A document reader without hardware, for the demo, a developer's laptop and tests.

It behaves like a PC/SC reader seen through its monitor thread: putting a
document down or lifting it changes the state at once, and the listener hears
about it from the simulator's own thread, never from the caller's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from drivers.base import DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.pump import EventPump
from drivers.reader.base import (
    AccessKey,
    AccessKind,
    DocumentEvent,
    DocumentEventKind,
    DocumentListener,
    DocumentNotGenuine,
    DocumentReader,
    DocumentRemoved,
    IdentityDocument,
    ProgressCallback,
    ReaderError,
    UnreadableDocument,
    WrongAccessKey,
)
from drivers.reader.personas import SimDocument, load_documents

DEFAULT_DOCUMENT = "eligible"
READ_STEPS = 8


class SimulatedReader(DocumentReader):
    """Personas from TOML on a pretend reader.

    ``document`` is the persona the simulated resident puts down: ``place()`` with no
    key uses it, and so does ``present_after_s``, which places it that many seconds
    after ``arm()`` (lifting the previous resident's document first), so the demo
    needs no hands. Faults, set at construction or later on ``faults``:
    ``remove_during_read``, ``wrong_key``, ``unreadable``, ``not_genuine`` (counts),
    ``offline`` (while set) and ``slow_read_s`` (extra seconds per read).
    """

    def __init__(self, name: str, documents: Mapping[str, Mapping[str, Any]] | None = None,
                 documents_file: str | None = None, document: str | None = None,
                 present_after_s: float | None = None, read_time_s: float = 0.3,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        self.documents: dict[str, SimDocument] = load_documents(documents, documents_file)
        if not self.documents:
            raise ValueError("the simulated reader needs at least one document")
        self.document = document or (DEFAULT_DOCUMENT if DEFAULT_DOCUMENT in self.documents
                                     else next(iter(self.documents)))
        self._document(self.document)  # fail now on a typo, not when the demo runs
        self.present_after_s = present_after_s
        self.read_time_s = read_time_s
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._lock = threading.Lock()
        self._present: str | None = None
        self._listener: DocumentListener | None = None
        self._pump = EventPump(f"reader-sim-{name}", self._deliver)

    # -- the document on the glass ---------------------------------------------------

    @property
    def present_key(self) -> str | None:
        """Which persona lies on the reader now, if any."""
        with self._lock:
            return self._present

    def place(self, key: str | None = None) -> None:
        """A resident puts a document down (a different one on the reader is lifted first)."""
        doc = self._document(key or self.document)
        with self._lock:
            if self._present == doc.key:
                return
            if self._present is not None:
                self._lift_locked()
            self._present = doc.key
            self._announce(DocumentEventKind.PRESENTED, doc.key)

    def lift(self) -> None:
        """A resident takes their document away."""
        with self._lock:
            self._lift_locked()

    def _lift_locked(self) -> None:
        if self._present is None:
            return
        key, self._present = self._present, None
        self._announce(DocumentEventKind.REMOVED, key)

    def _announce(self, kind: DocumentEventKind, key: str) -> None:
        self._pump.put(DocumentEvent(kind, self.name, self.documents[key].access))

    def _document(self, key: str) -> SimDocument:
        try:
            return self.documents[key]
        except KeyError:
            raise ValueError(f"no sim document {key!r}; known: {', '.join(self.documents)}") \
                from None

    # -- watching ----------------------------------------------------------------------

    def start(self, listener: DocumentListener) -> None:
        """Watch for documents; a document already present is announced at once."""
        self._listener = listener
        if self._pump.running:
            return
        self._pump.start()
        with self._lock:
            if self._present is not None:
                self._announce(DocumentEventKind.PRESENTED, self._present)

    def stop(self) -> None:
        """Stop watching and join the monitor thread; safe to call twice."""
        self._pump.stop()

    def close(self) -> None:
        self.stop()

    def arm(self) -> None:
        if self.present_after_s is None:
            return
        self.lift()  # the previous resident took their document
        self._pump.schedule(self.present_after_s, self.place)

    def disarm(self) -> None:
        self._pump.cancel()

    def _deliver(self, event: DocumentEvent) -> None:
        if self._listener is not None:
            self._listener(event)

    # -- reading -----------------------------------------------------------------------

    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        report = progress or (lambda _fraction: None)
        if self.faults.value("offline"):
            raise DeviceOffline("simulated reader does not answer")
        doc = self._present_document()
        self._check_access(doc, key)
        report(0.0)
        self._read_chip(doc, report)
        if self.faults.trigger("not_genuine"):
            raise DocumentNotGenuine("passive authentication failed (simulated)")
        identity = doc.identity()
        report(1.0)
        return identity

    def _present_document(self) -> SimDocument:
        with self._lock:
            key = self._present
        if key is None:
            raise DocumentRemoved("no document on the reader")
        return self.documents[key]

    def _check_access(self, doc: SimDocument, key: AccessKey | None) -> None:
        if doc.access is not AccessKind.NONE and key is None:
            raise ReaderError(f"chip needs a {doc.access.value} key", code="access_key_required")
        if self.faults.trigger("wrong_key") or not doc.accepts(key):
            raise WrongAccessKey("access key refused by the chip (simulated)")

    def _read_chip(self, doc: SimDocument, report: ProgressCallback) -> None:
        """Spend the read time in steps, failing where a fault says so."""
        total = self.read_time_s + float(self.faults.value("slow_read_s", 0) or 0)
        remove_at = READ_STEPS // 2 if self.faults.trigger("remove_during_read") else None
        unreadable_at = READ_STEPS // 3 if self.faults.trigger("unreadable") else None
        for step in range(1, READ_STEPS + 1):
            time.sleep(total / READ_STEPS)
            if step == remove_at:
                self.lift()
            if self.present_key != doc.key:
                raise DocumentRemoved("document lifted during the read")
            if step == unreadable_at:
                raise UnreadableDocument("chip stopped answering (simulated)")
            if step < READ_STEPS:
                report(step / READ_STEPS)

    def health(self) -> DeviceHealth:
        if self.faults.value("offline"):
            return DeviceHealth(HealthState.OFFLINE, "device_offline", "simulated: not answering")
        return DeviceHealth(HealthState.OK, "", "simulated reader")
