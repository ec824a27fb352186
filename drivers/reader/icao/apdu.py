"""ISO/IEC 7816-4 APDUs, the channel they travel over, and a trace that never holds data.

A ``CardChannel`` moves raw bytes (PC/SC, the virtual chip, a test script); an
``ApduSender`` moves parsed APDUs, with or without secure messaging. Everything
that reaches the kiosk from the chip is parsed here first, so malformed bytes
become ``MalformedChipData`` instead of an IndexError three layers up.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

from drivers.reader.icao.errors import ChipError, MalformedChipData

log = logging.getLogger("drivers.reader.icao")

SW_OK = 0x9000
SHORT_MAX_NE = 256
EXTENDED_MAX_NE = 65536
_MAX_GET_RESPONSE = 64  # 64 x 256 bytes is more than any ICAO file sent in one go

_Header = tuple[int, int, int, int]  # CLA, INS, P1, P2


def ber_length(n: int) -> bytes:
    """BER-TLV definite length, because DO'87', DO'53' and the LDS files all use it."""
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    if len(body) > 4:
        raise ValueError("length too large for BER-TLV")
    return bytes([0x80 | len(body)]) + body


def parse_ber_length(data: bytes, pos: int) -> tuple[int, int]:
    """(length, position after it); MalformedChipData for indefinite or truncated lengths."""
    if pos >= len(data):
        raise MalformedChipData("TLV length missing")
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 4:
        raise MalformedChipData(f"TLV length form {first:02X} not allowed")
    if pos + 1 + count > len(data):
        raise MalformedChipData("TLV length truncated")
    return int.from_bytes(data[pos + 1:pos + 1 + count], "big"), pos + 1 + count


@dataclass(frozen=True)
class CommandApdu:
    """A command APDU. ``le``: None = no Le, 0 or 256 = up to 256; above 256 is extended."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None
    extended: bool = False  # force extended-length encoding

    def __post_init__(self) -> None:
        """Reject impossible fields at construction, where the programming error is."""
        for name in ("cla", "ins", "p1", "p2"):
            if not 0 <= getattr(self, name) <= 0xFF:
                raise ValueError(f"{name} out of range")
        if len(self.data) > 0xFFFF:
            raise ValueError("command data longer than 65535 bytes")
        if self.le is not None and not 0 <= self.le <= EXTENDED_MAX_NE:
            raise ValueError("le out of range")

    @property
    def ne(self) -> int | None:
        """Le as a byte count (0 means 256), so callers need not know the encoding rule."""
        if self.le is None:
            return None
        return self.le or SHORT_MAX_NE

    @property
    def is_extended(self) -> bool:
        """True when the encoding must use extended length (forced, long data or Ne > 256)."""
        ne = self.ne
        return self.extended or len(self.data) > 0xFF or (ne is not None and ne > SHORT_MAX_NE)

    def encode(self) -> bytes:
        """ISO 7816-4 cases 1-4, short or extended; extended Ne 65536 is sent as 0000."""
        header = bytes([self.cla, self.ins, self.p1, self.p2])
        ne = self.ne
        if not self.is_extended:
            lc = bytes([len(self.data)]) + self.data if self.data else b""
            return header + lc + (bytes([ne & 0xFF]) if ne is not None else b"")
        body = b"\x00" + len(self.data).to_bytes(2, "big") + self.data if self.data else b""
        if ne is not None:
            body += (b"" if self.data else b"\x00") + (ne & 0xFFFF).to_bytes(2, "big")
        return header + body

    @classmethod
    def decode(cls, raw: bytes) -> CommandApdu:
        """Parse a raw command (the chip's side); MalformedChipData when the lengths disagree."""
        if len(raw) < 4:
            raise MalformedChipData(f"command of {len(raw)} bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or SHORT_MAX_NE)
        if body[0] != 0:
            return cls._decode_short((cla, ins, p1, p2), body)
        return cls._decode_extended((cla, ins, p1, p2), body)

    @classmethod
    def _decode_short(cls, header: _Header, body: bytes) -> CommandApdu:
        """Short cases 3 and 4: Lc, data, optional Le."""
        lc = body[0]
        if len(body) == 1 + lc:
            return cls(*header, data=bytes(body[1:]))
        if len(body) == 2 + lc:
            return cls(*header, data=bytes(body[1:-1]), le=body[-1] or SHORT_MAX_NE)
        raise MalformedChipData(f"short command: Lc {lc} but {len(body) - 1} bytes follow")

    @classmethod
    def _decode_extended(cls, header: _Header, body: bytes) -> CommandApdu:
        """Extended cases 2, 3 and 4: a zero byte, then two-byte lengths."""
        if len(body) == 3:
            return cls(*header, le=int.from_bytes(body[1:3], "big") or EXTENDED_MAX_NE,
                       extended=True)
        if len(body) < 3:
            raise MalformedChipData("extended command truncated")
        lc = int.from_bytes(body[1:3], "big")
        if lc == 0:
            raise MalformedChipData("extended command with Lc 0")
        if len(body) == 3 + lc:
            return cls(*header, data=bytes(body[3:]), extended=True)
        if len(body) == 5 + lc:
            le = int.from_bytes(body[-2:], "big") or EXTENDED_MAX_NE
            return cls(*header, data=bytes(body[3:-2]), le=le, extended=True)
        raise MalformedChipData(f"extended command: Lc {lc} but {len(body) - 3} bytes follow")


@dataclass(frozen=True)
class ResponseApdu:
    """A response: data field and status word."""

    data: bytes
    sw: int

    @classmethod
    def parse(cls, raw: bytes) -> ResponseApdu:
        """Split data and SW; MalformedChipData when there is no status word."""
        if len(raw) < 2:
            raise MalformedChipData(f"response of {len(raw)} bytes")
        return cls(bytes(raw[:-2]), int.from_bytes(raw[-2:], "big"))

    def encode(self) -> bytes:
        """Data followed by SW1 SW2, as it travels."""
        return bytes(self.data) + self.sw.to_bytes(2, "big")

    @property
    def ok(self) -> bool:
        """The command succeeded without warning."""
        return self.sw == SW_OK

    @property
    def sw1(self) -> int:
        return self.sw >> 8

    @property
    def sw2(self) -> int:
        return self.sw & 0xFF


class CardChannel(Protocol):
    def transmit(self, apdu: bytes) -> bytes:
        """Raw command in, raw response out; raises DocumentRemoved when the card is gone."""
        ...


class ApduSender(Protocol):
    def send(self, command: CommandApdu) -> ResponseApdu:
        """Send one logical command and return its (unprotected) response."""
        ...


@dataclass(frozen=True)
class TraceEntry:
    """One physical APDU: header bytes, lengths, status and time. Never the data."""

    ins: int
    p1: int
    p2: int
    command_length: int
    response_length: int
    sw: int
    seconds: float


@dataclass
class ApduTrace:
    """Counts and times APDUs for diagnostics and benchmarks without keeping personal data."""

    entries: list[TraceEntry] = field(default_factory=list)

    def record(self, command: bytes, response: bytes, seconds: float) -> None:
        """Keep only the header and lengths of an exchange."""
        sw = int.from_bytes(response[-2:], "big") if len(response) >= 2 else 0
        self.entries.append(TraceEntry(command[1], command[2], command[3], len(command),
                                       len(response), sw, seconds))

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def bytes_sent(self) -> int:
        return sum(e.command_length for e in self.entries)

    @property
    def bytes_received(self) -> int:
        return sum(e.response_length for e in self.entries)

    @property
    def seconds(self) -> float:
        return sum(e.seconds for e in self.entries)

    def as_dicts(self) -> list[dict[str, int | float]]:
        """Plain dicts for JSON reports."""
        return [dataclasses.asdict(e) for e in self.entries]


Trace = ApduTrace


def _transmit_once(channel: CardChannel, raw: bytes, trace: ApduTrace | None) -> bytes:
    """One physical exchange, timed and traced; a response without SW is malformed."""
    started = time.perf_counter()
    response = channel.transmit(raw)
    elapsed = time.perf_counter() - started
    if trace is not None:
        trace.record(raw, response, elapsed)
    log.debug("apdu ins=%02X lc=%d -> %d bytes", raw[1], len(raw), len(response))
    if len(response) < 2:
        raise MalformedChipData(f"response of {len(response)} bytes")
    return bytes(response)


def exchange(channel: CardChannel, raw: bytes, trace: ApduTrace | None = None) -> bytes:
    """Transmit and follow 61xx with GET RESPONSE, because T=0 readers split long answers."""
    response = _transmit_once(channel, raw, trace)
    collected = b""
    for _ in range(_MAX_GET_RESPONSE):
        if response[-2] != 0x61:
            return collected + response
        collected += response[:-2]
        get_response = CommandApdu(raw[0] & 0x03, 0xC0, 0, 0, le=response[-1] or SHORT_MAX_NE)
        response = _transmit_once(channel, get_response.encode(), trace)
    raise ChipError("chip kept answering 61xx")


class PlainSender:
    """ApduSender without secure messaging: before BAC/PACE, or for chips without access control."""

    def __init__(self, channel: CardChannel, trace: ApduTrace | None = None) -> None:
        self.channel = channel
        self.trace = trace

    def send(self, command: CommandApdu) -> ResponseApdu:
        """Encode, transmit (following 61xx) and parse."""
        return ResponseApdu.parse(exchange(self.channel, command.encode(), self.trace))
