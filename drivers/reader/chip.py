"""A DocumentReader for ICAO 9303 chips, on any card slot: PC/SC or the in-process virtual chip.

The slot says when a card comes and goes and hands out a channel; this class turns
that into the kiosk's document events and reads, and keeps what a technician needs:
the ATR, each step's status word and time, the last failed read's APDU trace (which
never holds data bytes, only headers, lengths and status words).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from drivers.base import DeviceHealth
from drivers.reader.base import (
    AccessKey,
    AccessKind,
    DocumentEvent,
    DocumentEventKind,
    DocumentListener,
    DocumentReader,
    DocumentRemoved,
    IdentityDocument,
    ProgressCallback,
    ReaderError,
)
from drivers.reader.icao import files
from drivers.reader.icao.apdu import ApduTrace, PlainSender
from drivers.reader.icao.errors import AccessControlUnsupported, ChipError, StatusWordError
from drivers.reader.icao.identity import identity_from_chip
from drivers.reader.icao.pace import choose_pace
from drivers.reader.icao.reading import ChipReadState, ChipSession, ReadOptions, StepRecord
from drivers.reader.icao.trust import TrustStore

log = logging.getLogger("drivers.reader.chip")

SW_SECURITY_STATUS = 0x6982
# A read that fails on the chip's side (not a lifted document) is tried again this often,
# unless the answer will not change: a refusal by status word, a protocol we lack.
CHIP_RETRIES = 2
NOT_RETRIED = (StatusWordError, AccessControlUnsupported)


class Channel(Protocol):
    atr: bytes

    def transmit(self, apdu: bytes) -> bytes: ...

    def close(self) -> None: ...


class CardSlot(Protocol):
    """Where a document lies: a PC/SC reader, or the virtual chip's pretend glass."""

    name: str

    def start(self, listener: Callable[[bool, bytes | None], None]) -> None: ...

    def stop(self) -> None: ...

    def connect(self) -> Channel: ...

    def health(self) -> DeviceHealth: ...

    def status(self) -> dict[str, Any]: ...


@dataclass
class ReadReport:
    """The last read as a technician sees it: no personal data, ever."""

    atr: str = ""
    access: str = ""
    outcome: str = ""
    seconds: float = 0.0
    apdus: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    read_size: int | None = None
    resumed: bool = False
    steps: list[StepRecord] = field(default_factory=list)
    trace: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, with_trace: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "atr": self.atr, "access": self.access, "outcome": self.outcome,
            "seconds": round(self.seconds, 3), "apdus": self.apdus,
            "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
            "read_size": self.read_size, "resumed": self.resumed,
            "steps": [s.as_dict() for s in self.steps]}
        if with_trace:
            out["trace"] = self.trace
        return out


class ChipReader(DocumentReader):
    """Reads eMRTD chips presented on ``slot``; resumes a read the resident interrupted."""

    def __init__(self, name: str, slot: CardSlot, *, trust_store: str | TrustStore | None = None,
                 allow_unknown_csca: bool = False, read_size: int = 231,
                 extended_length: bool = True, active_authentication: bool = True,
                 require_trust_store: bool = True) -> None:
        super().__init__(name)
        self.slot = slot
        store = TrustStore.from_directory(trust_store) if isinstance(trust_store, (str, Path)) \
            else trust_store
        if store is None and require_trust_store:
            raise ValueError("a chip reader needs a trust store (devices.reader.options.trust_store)")
        self.options = ReadOptions(read_size=read_size, extended_length=extended_length,
                                   trust_store=store, allow_unknown_csca=allow_unknown_csca,
                                   active_authentication=active_authentication)
        self._state = ChipReadState()
        self._lock = threading.Lock()
        self._forget_after_read = False
        self._listener: DocumentListener | None = None
        self._atr: bytes | None = None
        self.last_read = ReadReport()
        self.last_failed = ReadReport()

    # -- watching ------------------------------------------------------------------------
    def start(self, listener: DocumentListener) -> None:
        self._listener = listener
        self.slot.start(self._on_slot)

    def stop(self) -> None:
        self.slot.stop()

    def close(self) -> None:
        self.stop()
        self.forget()

    def _on_slot(self, present: bool, atr: bytes | None) -> None:
        """From the slot's thread: find out what the chip needs, then tell the kiosk."""
        self._atr = atr if present else None
        if not present:
            self._emit(DocumentEventKind.REMOVED, AccessKind.NONE)
            return
        try:
            access, pace = self.probe_access()
        except DocumentRemoved:
            return  # gone again before we could ask; its removal event follows
        except ReaderError as exc:
            log.info("access probe failed (%s); assuming an MRZ key is needed", type(exc).__name__)
            access, pace = AccessKind.MRZ, False
        self._emit(DocumentEventKind.PRESENTED, access, pace)

    def _emit(self, kind: DocumentEventKind, access: AccessKind, can_allowed: bool = False) -> None:
        if self._listener is not None:
            self._listener(DocumentEvent(kind, self.name, access, can_allowed))

    def probe_access(self) -> tuple[AccessKind, bool]:
        """What opens this chip: nothing, or the MRZ (BAC or PACE); and whether a CAN does too.

        A chip whose EF.COM reads in the clear needs no key. EF.CardAccess offering PACE
        means the CAN printed on the card works as well as the MRZ; the resident chooses.
        """
        channel = self.slot.connect()
        try:
            sender = PlainSender(channel)
            pace = self._offers_pace(sender)
            files.select_applet(sender)
            files.FileReader(sender, read_size=8, extended=False).read_file(
                files.FID["COM"], bytearray())
            return AccessKind.NONE, False
        except StatusWordError as exc:
            if exc.sw in (SW_SECURITY_STATUS, 0x6988, 0x6A82, 0x6985):
                return AccessKind.MRZ, pace
            raise
        finally:
            channel.close()

    @staticmethod
    def _offers_pace(sender: PlainSender) -> bool:
        raw = bytearray()
        try:
            files.select_master_file(sender)
            files.FileReader(sender, read_size=231, extended=False).read_file(
                files.FID["CARD_ACCESS"], raw)
            return choose_pace(bytes(raw)) is not None
        except (ChipError, StatusWordError):
            return False

    # -- reading -------------------------------------------------------------------------
    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        """Read, resuming a read the resident interrupted; chip faults are retried a little."""
        with self._lock:
            self._forget_after_read = False
            try:
                return self._read_with_retries(key, progress)
            finally:
                if self._forget_after_read:
                    self._state.wipe()

    def _read_with_retries(self, key: AccessKey | None,
                           progress: ProgressCallback | None) -> IdentityDocument:
        for attempt in range(CHIP_RETRIES + 1):
            try:
                return self._read_once(key, progress)
            except ChipError as exc:
                if isinstance(exc, NOT_RETRIED) or attempt == CHIP_RETRIES:
                    raise
                log.info("chip read failed (%s); trying again", type(exc).__name__)
        raise AssertionError("unreachable")

    def _read_once(self, key: AccessKey | None, progress: ProgressCallback | None) -> IdentityDocument:
        trace = ApduTrace()
        started = time.perf_counter()
        session: ChipSession | None = None
        try:
            channel = self.slot.connect()
            try:
                session = ChipSession(channel, self.options, self._state, trace, progress)
                result = session.read(key)
            finally:
                channel.close()
            document = identity_from_chip(result)
        except ReaderError as exc:
            keep = isinstance(exc, DocumentRemoved)
            self._report(session, trace, started, type(exc).__name__, failed=True)
            if not keep:
                self._state.wipe()
            raise
        self._report(session, trace, started, "ok", failed=False, result=result)
        self._state.wipe()
        return document

    def _report(self, session, trace, started, outcome, *, failed, result=None) -> None:
        report = ReadReport(
            atr=(self._atr or b"").hex().upper(), access=session.access if session else "",
            outcome=outcome, seconds=time.perf_counter() - started, apdus=trace.count,
            bytes_sent=trace.bytes_sent, bytes_received=trace.bytes_received,
            read_size=result.read_size if result else self._state.read_size,
            resumed=bool(result and result.resumed), steps=list(session.steps) if session else [],
            trace=trace.as_dicts())
        self.last_read = report
        if failed:
            self.last_failed = report

    def forget(self) -> None:
        """The session ended: drop the half-read files of a document that never came back.

        Never waits for a read in progress (the UI thread calls this): that read drops
        them itself when it ends.
        """
        if self._lock.acquire(blocking=False):
            try:
                self._state.wipe()
            finally:
                self._lock.release()
        else:
            self._forget_after_read = True

    def save_failed_trace(self, path: str | Path) -> Path:
        """Write the last failed read for support: headers, lengths, status words, times."""
        target = Path(path)
        target.write_text(json.dumps({"reader": self.slot.name, **self.last_failed.as_dict(True)},
                                     indent=2), encoding="utf-8")
        return target

    # -- health --------------------------------------------------------------------------
    def health(self) -> DeviceHealth:
        return self.slot.health()

    def status(self) -> dict[str, Any]:
        """What the diagnostics screen shows about this reader."""
        return {"reader": self.slot.name, "slot": self.slot.status(),
                "last_read": self.last_read.as_dict()}
