"""One read of an eMRTD chip, start to finish: access control, files, genuineness.

The read is resumable. Everything it has learnt lives in a ``ChipReadState`` that the
caller keeps when the document is lifted half-way; the next attempt re-opens secure
messaging with the same key and continues each file from the byte it stopped at,
instead of reading a 20 kB photo again.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from drivers.reader.base import AccessKey, CanKey, DocumentRemoved, ReaderError
from drivers.reader.icao import files, lds, sod, trust
from drivers.reader.icao.active_auth import perform_active_auth
from drivers.reader.icao.apdu import ApduSender, ApduTrace, CardChannel, PlainSender
from drivers.reader.icao.bac import perform_bac
from drivers.reader.icao.chip_auth import choose_chip_auth, parse_dg14, perform_chip_auth
from drivers.reader.icao.errors import (
    AccessControlUnsupported,
    ChipError,
    FileNotOnChip,
    MalformedChipData,
    StatusWordError,
)
from drivers.reader.icao.pace import PaceParameters, choose_pace, perform_pace
from drivers.reader.icao.sm import SecureSender

log = logging.getLogger("drivers.reader.icao")

# How much of the progress bar each file fills: the photo is nearly all of the wait.
_WEIGHTS = {files.FID["COM"]: 2, files.FID["SOD"]: 8, files.FID["DG1"]: 4, files.FID["DG2"]: 76,
            files.FID["DG11"]: 3, files.FID["DG12"]: 2, files.FID["DG14"]: 2, files.FID["DG15"]: 3}
# Data groups the kiosk reads when EF.COM lists them (DG3/DG4 need Extended Access Control).
WANTED_DATA_GROUPS = (1, 2, 11, 12, 14, 15)

Progress = Callable[[float], None]
T = TypeVar("T")


@dataclass
class ReadOptions:
    """How to read; built from the reader's config."""

    read_size: int = 231  # plaintext bytes per READ BINARY: 231 is the most BAC can carry
    extended_length: bool = True  # try extended-length reads first; falls back by itself
    trust_store: trust.TrustStore | None = None  # None: genuineness is not checked (tests only)
    allow_unknown_csca: bool = False  # accept (for staff review) states missing from the store
    active_authentication: bool = True
    chip_authentication: bool = True  # when DG14 offers it and BAC or PACE opened the session
    at: dt.datetime | None = None  # the moment certificates must be valid at; None = now


@dataclass
class StepRecord:
    """One step of a read as a technician sees it: name, outcome, status word, time."""

    step: str
    ok: bool
    seconds: float
    sw: int | None = None
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {"step": self.step, "ok": self.ok, "seconds": round(self.seconds, 4),
                "sw": f"{self.sw:04X}" if self.sw is not None else None, "detail": self.detail}


@dataclass
class ChipReadState:
    """What survives a lifted document. Holds personal data: drop it with the session."""

    key: AccessKey | None = None
    contents: dict[int, bytearray] = field(default_factory=dict, repr=False)
    complete: set[int] = field(default_factory=set)
    absent: set[int] = field(default_factory=set)
    attempts: int = 0
    read_size: int | None = None

    def bytes_held(self) -> int:
        return sum(len(buf) for buf in self.contents.values())

    def wipe(self) -> None:
        for buf in self.contents.values():
            buf[:] = b"\0" * len(buf)
        self.contents.clear()
        self.complete.clear()
        self.absent.clear()
        self.key = None
        self.read_size = None  # the next document may take a larger size than this one did
        self.attempts = 0


@dataclass
class ChipReadResult:
    """Everything read and proven. ``files`` holds personal data."""

    access: str  # "none", "bac", "pace-mrz" or "pace-can"
    com: lds.EfCom
    mrz: lds.MachineReadableZone
    face: lds.FaceImage | None
    personal: lds.AdditionalPersonalDetails | None
    document_details: lds.AdditionalDocumentDetails | None
    passive: trust.PassiveAuthResult | None
    active: str  # "passed", "not_supported" or "skipped"
    files: dict[int, bytes] = field(repr=False)
    read_size: int
    resumed: bool
    chip_auth: str = "not_supported"  # "passed", "not_supported" or "skipped"

    def sizes(self) -> dict[str, int]:
        return {file_name(fid): len(data) for fid, data in self.files.items()}


class ChipSession:
    """Reads one chip through one channel; a new ChipSession per attempt, one state per document."""

    def __init__(self, channel: CardChannel, options: ReadOptions, state: ChipReadState,
                 trace: ApduTrace | None = None, progress: Progress | None = None) -> None:
        self.channel = channel
        self.options = options
        self.state = state
        self.trace = trace if trace is not None else ApduTrace()
        self.steps: list[StepRecord] = []
        self._progress = progress or (lambda _f: None)
        self.access = "none"  # how the chip was opened: none, bac, pace-mrz, pace-can

    # -- the read as a whole ----------------------------------------------------------------
    def read(self, key: AccessKey | None) -> ChipReadResult:
        """Open, read and verify; a lifted document raises DocumentRemoved and keeps the state."""
        if self.state.key is not None and self.state.key != key:
            self.state.wipe()  # another key means another document: start over
        resumed = self.state.bytes_held() > 0
        self.state.key = key
        self.state.attempts += 1
        sender = self._step("access_control", lambda: self._open(key))
        known = self.state.read_size  # a resumed read keeps the size that worked
        extended = self.options.extended_length if known is None else known > 256
        reader = files.FileReader(sender, read_size=known or self.options.read_size,
                                  extended=extended)
        com = lds.parse_com(self._file(reader, "COM"))
        sod_raw = self._file(reader, "SOD")
        # EF.COM is not signed: a clone could leave DG14/DG15 out of it to dodge chip and
        # active authentication. The SOD is signed, so what it lists is read too.
        listed = set(com.data_groups) | set(sod.parse_sod(sod_raw).dg_hashes)
        groups: dict[int, bytes] = {}
        for dg in (dg for dg in WANTED_DATA_GROUPS if dg in listed):
            raw = self._file(reader, "DG1") if dg == 1 else self._optional_file(reader, f"DG{dg}")
            if raw is not None:
                groups[dg] = raw
        self.state.read_size = reader.read_size
        chip_auth = self._chip_auth(sender, groups.get(14))
        passive = self._step("passive_authentication", lambda: self._verify(sod_raw, groups))
        active = self._active_auth(sender, groups.get(15))
        self._progress(1.0)
        return self._result(com, groups, sod_raw, passive, active, reader.read_size, resumed,
                            chip_auth)

    def _open(self, key: AccessKey | None) -> ApduSender:
        """PACE when EF.CardAccess offers it, else BAC, else plain for chips without access control."""
        plain = PlainSender(self.channel, trace=self.trace)
        params = self._pace_parameters(plain) if key is not None else None
        if key is not None and params is not None:
            sm = perform_pace(self.channel, key, params, trace=self.trace)
            self.access = "pace-can" if isinstance(key, CanKey) else "pace-mrz"
            sender: ApduSender = SecureSender(self.channel, sm, trace=self.trace)
            files.select_applet(sender)
            return sender
        if isinstance(key, CanKey):
            raise AccessControlUnsupported("a CAN was given but the chip offers no PACE")
        files.select_applet(plain)
        if key is None:
            return plain
        sm = perform_bac(self.channel, key, trace=self.trace)
        self.access = "bac"
        return SecureSender(self.channel, sm, trace=self.trace)

    def _pace_parameters(self, plain: PlainSender) -> PaceParameters | None:
        """EF.CardAccess sits in the master file; a chip without it knows only BAC."""
        raw = bytearray()
        try:
            files.select_master_file(plain)
            files.FileReader(plain, read_size=self.options.read_size).read_file(
                files.FID["CARD_ACCESS"], raw)
        except (StatusWordError, ChipError):
            return None
        try:
            return choose_pace(bytes(raw))
        finally:
            raw[:] = b"\0" * len(raw)

    # -- files ----------------------------------------------------------------------------
    def _file(self, reader: files.FileReader, name: str) -> bytes:
        """A file the read cannot do without: FileNotOnChip if the chip lacks it."""
        fid = files.FID[name]
        buf = self.state.contents.setdefault(fid, bytearray())
        if fid not in self.state.complete:
            self._step(f"read_{name}", lambda: reader.read_file(
                fid, buf, lambda done, total: self._file_progress(fid, done, total)))
            self.state.complete.add(fid)
        return bytes(buf)

    def _optional_file(self, reader: files.FileReader, name: str) -> bytes | None:
        """None for a file the chip lacks, remembered so a resumed read does not ask again."""
        fid = files.FID[name]
        if fid in self.state.absent:
            return None
        try:
            return self._file(reader, name)
        except FileNotOnChip:
            self.state.absent.add(fid)
            self.state.contents.pop(fid, None)
            return None

    def _file_progress(self, fid: int, done: int, total: int) -> None:
        finished = sum(_WEIGHTS.get(f, 1) for f in self.state.complete)
        current = _WEIGHTS.get(fid, 1) * (done / total if total else 1.0)
        self._progress(min(0.99, (finished + current) / sum(_WEIGHTS.values())))

    # -- genuineness ------------------------------------------------------------------------
    def _verify(self, sod_raw: bytes, groups: dict[int, bytes]) -> trust.PassiveAuthResult | None:
        store = self.options.trust_store
        if store is None:
            return None
        return trust.verify_passive(sod_raw, groups, store, at=self.options.at,
                                    allow_unknown_csca=self.options.allow_unknown_csca)

    def _chip_auth(self, sender: ApduSender, dg14: bytes | None) -> str:
        """Chip Authentication after the last file: a clone raises ActiveAuthenticationFailed.

        Later commands (active authentication) travel under the new keys. A DG14 the kiosk
        cannot parse counts as no offer: passive authentication judges whether it is the
        issuer's.
        """
        if dg14 is None:
            return "not_supported"
        try:
            info = choose_chip_auth(parse_dg14(dg14))
        except MalformedChipData:
            self.steps.append(StepRecord("chip_authentication", False, 0.0, None,
                                         "MalformedChipData"))
            return "not_supported"
        if info is None:
            return "not_supported"
        if not self.options.chip_authentication or not isinstance(sender, SecureSender):
            return "skipped"
        sm = self._step("chip_authentication", lambda: perform_chip_auth(
            sender, self.channel, info, trace=self.trace))
        sender.sm = sm
        return "passed"

    def _active_auth(self, sender: ApduSender, dg15: bytes | None) -> str:
        if dg15 is None:
            return "not_supported"
        if not self.options.active_authentication:
            return "skipped"
        self._step("active_authentication", lambda: perform_active_auth(sender, dg15))
        return "passed"

    # -- bookkeeping ----------------------------------------------------------------------
    def _step(self, name: str, action: Callable[[], T]) -> T:
        """Run one step, recording its outcome and time for the technician."""
        started = time.perf_counter()
        sent_before = self.trace.count
        try:
            result = action()
        except ReaderError as exc:
            self.steps.append(StepRecord(name, False, time.perf_counter() - started,
                                         getattr(exc, "sw", None), type(exc).__name__))
            if not isinstance(exc, DocumentRemoved):
                log.info("chip step %s failed: %s", name, type(exc).__name__)
            raise
        sent = self.trace.count > sent_before  # steps without APDUs have no status word
        last_sw = self.trace.entries[-1].sw if sent and self.trace.entries else None
        self.steps.append(StepRecord(name, True, time.perf_counter() - started, last_sw))
        return result

    def _result(self, com: lds.EfCom, groups: dict[int, bytes], sod_raw: bytes,
                passive: trust.PassiveAuthResult | None, active: str, read_size: int,
                resumed: bool, chip_auth: str = "not_supported") -> ChipReadResult:
        if 1 not in groups:  # neither EF.COM nor the SOD listed it: a malformed chip, and
            # a typed error, so the half-read files are wiped like any failed read's
            raise MalformedChipData("the chip lists no DG1 (the MRZ)")
        mrz = lds.parse_dg1(groups[1])
        face = lds.parse_dg2(groups[2]) if 2 in groups else None
        personal = lds.parse_dg11(groups[11]) if 11 in groups else None
        details = lds.parse_dg12(groups[12]) if 12 in groups else None
        contents = {files.FID[f"DG{dg}"]: raw for dg, raw in groups.items()}
        contents[files.FID["SOD"]] = sod_raw
        return ChipReadResult(self.access, com, mrz, face, personal, details, passive, active,
                              contents, read_size, resumed, chip_auth)


def read_chip(channel: CardChannel, key: AccessKey | None, options: ReadOptions,
              state: ChipReadState | None = None, progress: Progress | None = None,
              trace: ApduTrace | None = None) -> tuple[ChipReadResult, ChipSession]:
    """Convenience for one-shot reads (the CLI, benchmarks)."""
    session = ChipSession(channel, options, state or ChipReadState(), trace, progress)
    return session.read(key), session


def file_name(fid: int) -> str:
    """'DG2' for 0x0102: how files are named to technicians and in JSON."""
    for name, known in files.FID.items():
        if known == fid:
            return name
    return f"{fid:04X}"
