"""Selecting the LDS1 applet and reading its elementary files (ICAO 9303-10 and -11).

``FileReader.read_file`` is resumable: it appends to a caller-owned buffer, so a
read cut short by a lifted document continues where it stopped after the next
BAC/PACE. It adapts the chunk size to what the chip and reader accept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from drivers.reader.icao.apdu import (
    ApduSender,
    CommandApdu,
    ResponseApdu,
    ber_length,
    parse_ber_length,
)
from drivers.reader.icao.errors import (
    ChipError,
    FileNotOnChip,
    MalformedChipData,
    SecureMessagingError,
    StatusWordError,
)

log = logging.getLogger("drivers.reader.icao")

LDS1_AID = bytes.fromhex("A0000002471001")

FID: dict[str, int] = {
    "COM": 0x011E,
    **{f"DG{n}": 0x0100 + n for n in range(1, 17)},
    "SOD": 0x011D,
    "CARD_ACCESS": 0x011C,
    "ATR_INFO": 0x2F01,
}
SFI: dict[str, int] = {
    **{name: fid & 0x1F for name, fid in FID.items() if name != "ATR_INFO"},
    "ATR_INFO": 0x01,  # in the master file, so it does not clash with DG1
}
MF_FILES = frozenset({FID["CARD_ACCESS"], FID["ATR_INFO"]})  # outside the applet

READ_LADDER = (231, 223, 128, 64)  # 231 fits 3DES SM in a short APDU, 223 fits AES SM
EXTENDED_READ_SIZE = 0xFF00  # leaves room for the SM objects in a 64 KiB response
MAX_B0_OFFSET = 0x7FFF  # beyond it, READ BINARY needs odd INS B1 with DO'54'
_SFI_REFUSED = (0x6981, 0x6986, 0x6A81, 0x6A86, 0x6B00)  # chips without SFI reads say these
_TLV_HEADER_MAX = 8  # three tag bytes, five length bytes


def sfi_of(fid: int) -> int | None:
    """The short file identifier of a known file, None for files reached only by SELECT."""
    for name, known in FID.items():
        if known == fid:
            return SFI[name]
    return None


def _tag_end(prefix: bytes) -> int | None:
    """Position after a BER tag of at most three bytes; None while it is incomplete."""
    if not prefix:
        return None
    pos = 1
    if prefix[0] & 0x1F == 0x1F:
        while pos < len(prefix) and prefix[pos] & 0x80:
            pos += 1
        pos += 1
    if pos > 3:
        raise MalformedChipData("file tag longer than three bytes")
    return pos if pos <= len(prefix) else None


def tlv_total_length(prefix: bytes) -> int | None:
    """Header plus value length of the TLV a file starts with; None until enough bytes are known."""
    pos = _tag_end(prefix)
    if pos is None or pos >= len(prefix):
        return None
    first = prefix[pos]
    if first & 0x80 and pos + 1 + (first & 0x7F) > len(prefix) and first & 0x7F <= 4:
        return None
    length, start = parse_ber_length(prefix, pos)
    return start + length


def _file_total(into: bytearray) -> int | None:
    """Total file length as far as the buffer's first bytes tell."""
    return tlv_total_length(bytes(into[:_TLV_HEADER_MAX]))


def _expect_ok(response: ResponseApdu, command: str) -> None:
    """Typed error for a refusal: FileNotOnChip for 6A82, StatusWordError otherwise."""
    if response.sw == 0x6A82:
        raise FileNotOnChip(response.sw, command)
    if not response.ok:
        raise StatusWordError(response.sw, command)


def select_applet(sender: ApduSender) -> None:
    """SELECT the eMRTD application by AID (P2=0C: no FCI wanted)."""
    _expect_ok(sender.send(CommandApdu(0x00, 0xA4, 0x04, 0x0C, LDS1_AID)), "SELECT AID")


def select_master_file(sender: ApduSender) -> bool:
    """Back to the MF, where EF.CardAccess lives, after an earlier read selected the applet.

    Some chips refuse SELECT MF; they answer READ BINARY by SFI from the MF anyway, so a
    refusal is not an error: the caller just tries.
    """
    return sender.send(CommandApdu(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00")).ok


def select_file(sender: ApduSender, fid: int) -> None:
    """SELECT EF under the current DF by file identifier; FileNotOnChip when absent."""
    command = CommandApdu(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big"))
    _expect_ok(sender.send(command), f"SELECT {fid:04X}")


def _do53_overhead(n: int) -> int:
    """Tag and length bytes of a DO'53' carrying n bytes."""
    return 1 + len(ber_length(n))


def _offset_object(offset: int) -> bytes:
    """DO'54' with the offset in as few bytes as it needs."""
    body = offset.to_bytes(max(1, (offset.bit_length() + 7) // 8), "big")
    return bytes([0x54, len(body)]) + body


def _unwrap_do53(data: bytes) -> bytes:
    """The file bytes inside an odd-INS READ BINARY answer."""
    if not data:
        return b""
    if data[0] != 0x53:
        raise MalformedChipData("READ BINARY B1 answer is not DO'53'")
    length, start = parse_ber_length(data, 1)
    if start + length > len(data):
        raise MalformedChipData("DO'53' truncated")
    return data[start:start + length]


class _Budget:
    """How many retries a single file read may spend before it gives up."""

    def __init__(self, retries: int) -> None:
        self.left = retries

    def spend(self, why: str) -> None:
        """Use one retry; ChipError when none are left, so a sick chip cannot loop us."""
        self.left -= 1
        log.info("READ BINARY retry: %s (%d left)", why, self.left)
        if self.left < 0:
            raise ChipError(f"READ BINARY retry budget exhausted ({why})")


@dataclass
class _ReadState:
    """What one read_file call has learnt so far."""

    fid: int
    sfi: int | None
    budget: _Budget
    selected: bool = False  # the EF is current (after SELECT or a read by SFI)
    le_override: int | None = None  # the Le a 6Cxx asked for


class FileReader:
    """Reads EFs in chunks, resuming from a partly filled buffer and adapting the chunk size."""

    def __init__(self, sender: ApduSender, *, read_size: int = 231, extended: bool = False,
                 use_sfi: bool = True, retries: int = 8) -> None:
        self.sender = sender
        self.extended = extended
        self.read_size = EXTENDED_READ_SIZE if extended else read_size
        self.use_sfi = use_sfi
        self.retries = retries

    def select_file(self, fid: int) -> None:
        """SELECT EF by FID (P1=02, P2=0C); FileNotOnChip on 6A82."""
        select_file(self.sender, fid)

    def read_file(self, fid: int, into: bytearray,
                  progress: Callable[[int, int], None] | None = None) -> bytes:
        """Append the rest of EF ``fid`` to ``into`` (resuming at its length); return the file."""
        state = _ReadState(fid, sfi_of(fid) if self.use_sfi else None, _Budget(self.retries))
        while (total := _file_total(into)) is None or len(into) < total:
            if self._read_chunk(state, into, total) and progress is not None:
                progress(len(into), _file_total(into) or 0)
        del into[total:]
        return bytes(into)

    def _read_chunk(self, state: _ReadState, into: bytearray, total: int | None) -> bool:
        """One READ BINARY (after a SELECT when needed); True when it added bytes."""
        offset = len(into)
        if not state.selected and (state.sfi is None or offset > 0xFF):
            self.select_file(state.fid)
            state.selected = True
        sfi = None if state.selected else state.sfi
        command = self._command(sfi, offset, total, state.le_override)
        state.le_override = None
        response = self._send(command, state.budget)
        if response is None:
            return False
        return self._absorb(response, command, into, total, state)

    def _send(self, command: CommandApdu, budget: _Budget) -> ResponseApdu | None:
        """Send a READ BINARY; None after a size fallback, so the caller plans the chunk again."""
        try:
            response = self.sender.send(command)
        except SecureMessagingError:
            if not self._large():
                raise
            self._fall_back(budget, "SM error on a large read")
            return None
        if response.sw == 0x6700:
            self._fall_back(budget, "6700")
            return None
        return response

    def _absorb(self, response: ResponseApdu, command: CommandApdu, into: bytearray,
                total: int | None, state: _ReadState) -> bool:
        """Act on a READ BINARY status; True when data was added to ``into``."""
        sw = response.sw
        if sw in (0x9000, 0x6282):
            return self._take(response, command, into, total, state)
        if sw >> 8 == 0x6C:
            state.budget.spend(f"chip asked for Le {sw & 0xFF}")
            state.le_override = sw & 0xFF or 0x100
            return False
        if sw == 0x6A82:
            raise FileNotOnChip(sw, f"READ BINARY {state.fid:04X}")
        if command.ins == 0xB0 and command.p1 & 0x80 and sw in _SFI_REFUSED:
            state.budget.spend(f"read by SFI refused with {sw:04X}")
            state.sfi = None
            return False
        if sw == 0x6B00:
            raise MalformedChipData("file ends before its header says")
        raise StatusWordError(sw, "READ BINARY")

    @staticmethod
    def _take(response: ResponseApdu, command: CommandApdu, into: bytearray,
              total: int | None, state: _ReadState) -> bool:
        """Append a chunk (a shorter one than asked is fine); empty chunks spend the budget."""
        data = _unwrap_do53(response.data) if command.ins == 0xB1 else response.data
        if total is not None:
            data = data[:total - len(into)]
        state.selected = True  # a READ BINARY by SFI makes the file current
        if not data:
            if response.sw == 0x6282:
                raise MalformedChipData("file ends before its header says")
            state.budget.spend("empty answer")
            return False
        into += data
        return True

    def _command(self, sfi: int | None, offset: int, total: int | None,
                 le_override: int | None) -> CommandApdu:
        """The READ BINARY for the next chunk: by SFI, by offset, or odd INS beyond 32 KiB."""
        remaining = None if total is None else total - offset
        extended = self.extended and self.read_size > 0x100
        if offset > MAX_B0_OFFSET:
            cap = self.read_size - _do53_overhead(self.read_size)
            want = cap if remaining is None else min(cap, remaining)
            le = le_override or want + _do53_overhead(want)
            return CommandApdu(0x00, 0xB1, 0, 0, _offset_object(offset), le, extended)
        want = self.read_size if remaining is None else min(self.read_size, remaining)
        le = le_override or want
        if sfi is not None:
            return CommandApdu(0x00, 0xB0, 0x80 | sfi, offset, le=le, extended=extended)
        return CommandApdu(0x00, 0xB0, offset >> 8, offset & 0xFF, le=le, extended=extended)

    def _large(self) -> bool:
        """Reads above 223 bytes are the ones a reader or chip may mangle."""
        return self.extended or self.read_size > READ_LADDER[1]

    def _fall_back(self, budget: _Budget, why: str) -> None:
        """Step down the size ladder; ChipError when already at the smallest size."""
        smaller = [size for size in READ_LADDER if size < self.read_size]
        if not smaller:
            raise ChipError(f"READ BINARY refused even {self.read_size} bytes ({why})")
        budget.spend(why)
        self.read_size, self.extended = smaller[0], False
        log.info("READ BINARY size now %d", self.read_size)
