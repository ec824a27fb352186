"""Chip reads through the real PC/SC stack: APDUs, bytes, wall time and the kiosk's own share.

The project's virtual chip is attached to pcscd through vsmartcard's vpcd and read
with BAC by the kiosk's ChipSession over pyscard: DG1, a 20 kB DG2 and the SOD, at
read sizes 223, 231 (the most BAC's encrypted answers carry in a short APDU) and
extended length. The kiosk's own time is the read's wall time minus the time spent
inside transmit (pcscd, the socket and the card itself).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.base import FaultScript
from drivers.camera.synthetic import portrait_jpeg
from drivers.reader.base import MrzKey
from drivers.reader.icao import files
from drivers.reader.icao.apdu import ApduTrace
from drivers.reader.icao.reading import ChipReadState, ChipSession, ReadOptions
from drivers.reader.icao.trust import TrustStore
from drivers.reader.pcsc import PcscSlot
from drivers.reader.personas import load_documents
from drivers.reader.vchip.chip import ChipProfile, VirtualChip
from drivers.reader.vchip.issuer import build_com, build_data_groups, build_sod
from drivers.reader.vchip.reader import holder_for
from drivers.reader.vchip.reader import test_pki as issuing_state
from drivers.reader.vchip.vpcd import VpcdBridge
from tests.chip.pcscd import PORT_0, READER_0, Pcscd, wait_card_state

DG2_BYTES = 20_000
# Fixed APDUs of a BAC read: SELECT MF and the look for EF.CardAccess (ICAO 9303-11 has
# the terminal try PACE first), SELECT applet, GET CHALLENGE, EXTERNAL AUTHENTICATE.
FIXED_APDUS = 5
EXTENDED = "extended"


class TimedChannel:
    """Counts the seconds spent inside transmit: everything that is not the kiosk's own work."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel
        self.atr = channel.atr
        self.seconds = 0.0

    def transmit(self, apdu: bytes) -> bytes:
        started = time.perf_counter()
        try:
            return self.channel.transmit(apdu)
        finally:
            self.seconds += time.perf_counter() - started

    def close(self) -> None:
        self.channel.close()


def passport_files() -> tuple[dict[int, bytes], MrzKey, TrustStore]:
    """DG1, a DG2 of 20 kB and the SOD, signed by the test state; and the key to open them."""
    persona = load_documents()["passport_mrz"]
    pki = issuing_state("CN")
    groups = build_data_groups(holder_for(persona), portrait_jpeg("bench"), pad_dg2_to=DG2_BYTES)
    groups = {dg: raw for dg, raw in groups.items() if dg in (1, 2)}
    chip_files = {files.FID[f"DG{dg}"]: raw for dg, raw in groups.items()}
    chip_files[files.FID["COM"]] = build_com(groups)
    chip_files[files.FID["SOD"]] = build_sod(groups, pki)
    store = TrustStore.empty()
    store.add_certificate(pki.csca_certificate_der())
    f = persona.fields
    return chip_files, MrzKey(f["document_number"], f["birth_date"], f["expiry_date"]), store


def minimum_apdus(chip_files: dict[int, bytes], size: int) -> int:
    """What the chip's read size allows at best: every file in full chunks, nothing else."""
    return FIXED_APDUS + sum(math.ceil(len(raw) / size) for raw in chip_files.values())


def one_read(slot: PcscSlot, size: int | str, key: MrzKey, store: TrustStore) -> dict[str, Any]:
    extended = size == EXTENDED
    options = ReadOptions(read_size=231 if extended else int(size), extended_length=extended,
                          trust_store=store, active_authentication=False)
    channel = TimedChannel(slot.connect())
    trace = ApduTrace()
    started = time.perf_counter()
    try:
        result = ChipSession(channel, options, ChipReadState(), trace).read(key)
        wall = time.perf_counter() - started
    finally:
        channel.close()
    assert result.passive is not None and result.passive.verdict == "valid"
    return {"apdus": trace.count, "bytes_sent": trace.bytes_sent,
            "bytes_received": trace.bytes_received, "wall_s": wall,
            "transmit_s": channel.seconds, "kiosk_s": wall - channel.seconds,
            "read_size": result.read_size}


def bench_size(size: int | str, chip_files, key, store, rounds: int) -> dict[str, Any]:
    max_read = 0xFF00 if size == EXTENDED else int(size)
    profile = ChipProfile(files=chip_files, access="bac", mrz_key=key, max_read=max_read,
                          extended_length=size == EXTENDED)
    bridge = VpcdBridge(VirtualChip(profile, FaultScript()), port=PORT_0)
    slot = PcscSlot(READER_0)
    try:
        bridge.insert()
        _wait_present(slot)
        runs = [one_read(slot, size, key, store) for _ in range(rounds)]
    finally:
        bridge.close()
        wait_card_state(READER_0, "empty")
    apdus = runs[0]["apdus"]
    floor = minimum_apdus(chip_files, max_read if size != EXTENDED else 0xFF00)
    wall = statistics.median(r["wall_s"] for r in runs)
    kiosk = statistics.median(r["kiosk_s"] for r in runs)
    return {"apdus": apdus, "minimum_apdus": floor, "bytes_sent": runs[0]["bytes_sent"],
            "bytes_received": runs[0]["bytes_received"], "wall_s_median": round(wall, 4),
            "kiosk_own_s_median": round(kiosk, 5),
            "kiosk_own_ms_per_apdu": round(kiosk / apdus * 1000, 4),
            "kiosk_share_of_wall": round(kiosk / wall, 4),
            "read_size_used": runs[0]["read_size"],
            "target_apdus_within_5pct": apdus <= floor * 1.05,
            "target_kiosk_under_5pct": kiosk / wall < 0.05}


def _wait_present(slot: PcscSlot, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            slot.connect().close()
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def bench_chip_reads(rounds: int = 5) -> dict[str, Any]:
    chip_files, key, store = passport_files()
    sizes: dict[str, Any] = {"dg_bytes": {files_name(fid): len(raw)
                                          for fid, raw in chip_files.items()}}
    with tempfile.TemporaryDirectory() as tmp:
        daemon = Pcscd(Path(tmp) / "pcscd.log")
        daemon.ensure()
        try:
            for size in (223, 231, EXTENDED):
                sizes[str(size)] = bench_size(size, chip_files, key, store, rounds)
        finally:
            if daemon.owned:
                daemon.stop()
    return sizes


def files_name(fid: int) -> str:
    return next((name for name, known in files.FID.items() if known == fid), f"{fid:04X}")
