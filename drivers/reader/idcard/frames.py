"""Frames of the reader module's serial protocol, built and taken apart without I/O.

Public description of the layout (vendor manuals of SAM modules, e.g. the "SAM_V通信协议"
of eastcoms.com/service/downdrive/508.html and the protocol summary at
softs.im, "身份证阅读器通信协议"): a frame starts with the preamble ``AA AA AA 96 69``
(three bytes to synchronise, two to mark the start), then two length bytes, high byte first,
counting everything after them including the check byte. A request carries CMD and PARA and
optional data; an answer carries SW1 SW2 SW3 and optional data. The check byte is the XOR
of every byte after the preamble up to the check byte itself (the length bytes included).

Kept free of I/O so the same code builds the virtual module's answers, the driver's
requests, and is fuzzed with hundreds of thousands of byte strings in a test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce

PREAMBLE = bytes.fromhex("AAAAAA9669")
HEADER_LEN = len(PREAMBLE) + 2  # preamble and the two length bytes
# Smallest answer after the length bytes: SW1 SW2 SW3 and the check byte.
MIN_ANSWER_LEN = 4
# The largest answer the protocol knows: 30 10 with text (256), photo (1024) and
# fingerprints (1024) and three length words: 3 + 6 + 2304 + 1 = 2314. Room is left for
# firmware that appends more; anything beyond is noise, not a frame.
MAX_FRAME_LEN = 4096


def check_byte(data: bytes) -> int:
    """XOR of ``data`` (the length bytes through the last data byte)."""
    return reduce(lambda a, b: a ^ b, data, 0)


@dataclass(frozen=True)
class Command:
    """CMD and PARA of one request, named for traces."""

    cmd: int
    para: int
    name: str

    @property
    def label(self) -> str:
        return f"{self.cmd:02X} {self.para:02X}"


SAM_RESET = Command(0x10, 0xFF, "sam_reset")
SAM_STATUS = Command(0x11, 0xFF, "sam_status")
SAM_ID = Command(0x12, 0xFF, "sam_id")
FIND_CARD = Command(0x20, 0x01, "find_card")
SELECT_CARD = Command(0x20, 0x02, "select_card")
READ_TEXT_PHOTO = Command(0x30, 0x01, "read_text_photo")
READ_TEXT_PHOTO_FINGERPRINT = Command(0x30, 0x10, "read_text_photo_fingerprint")
COMMANDS = {(c.cmd, c.para): c for c in (SAM_RESET, SAM_STATUS, SAM_ID, FIND_CARD,
                                         SELECT_CARD, READ_TEXT_PHOTO,
                                         READ_TEXT_PHOTO_FINGERPRINT)}


@dataclass(frozen=True)
class Request:
    cmd: int
    para: int
    data: bytes = b""

    def encode(self) -> bytes:
        return _frame(bytes((self.cmd, self.para)) + self.data)


@dataclass(frozen=True)
class Answer:
    """SW1 SW2 SW3 and the data. ``data`` may hold personal data: kept out of reprs."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = field(default=b"", repr=False)

    @property
    def status(self) -> str:
        return f"{self.sw1:02X} {self.sw2:02X} {self.sw3:02X}"

    def encode(self) -> bytes:
        return _frame(bytes((self.sw1, self.sw2, self.sw3)) + self.data)


def _frame(body: bytes) -> bytes:
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((check_byte(length + body),))


def decode_request(frame: bytes) -> Request:
    """A whole request frame (the virtual module's side); raises ValueError if malformed."""
    body = _body(frame, min_len=3)
    return Request(body[0], body[1], bytes(body[2:]))


def decode_answer(frame: bytes) -> Answer:
    """A whole answer frame; raises ValueError if malformed (the link maps it to a type)."""
    body = _body(frame, min_len=MIN_ANSWER_LEN)
    return Answer(body[0], body[1], body[2], bytes(body[3:]))


def _body(frame: bytes, min_len: int) -> bytes:
    if frame[:len(PREAMBLE)] != PREAMBLE:
        raise ValueError("bad preamble")
    if len(frame) < HEADER_LEN:
        raise ValueError("short frame")
    length = int.from_bytes(frame[5:7], "big")
    if not min_len <= length <= MAX_FRAME_LEN or len(frame) != HEADER_LEN + length:
        raise ValueError("bad length")
    if check_byte(frame[5:-1]) != frame[-1]:
        raise ValueError("bad check byte")
    return frame[HEADER_LEN:-1]
