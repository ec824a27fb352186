"""A virtual reader module that speaks the protocol byte for byte on one end of a pty.

It answers exactly what the driver would get from a real module — frames built by
``frames``, statuses from the public tables — so the demo and the tests read through
pyserial the way a kiosk reads the hardware. It paces its answers at the configured baud
rate (ten bits a byte), so timings are those of a real line.

Scripted faults (a FaultScript; counts, or -1 for always):
``silent``            answers nothing (a hung or unplugged module)
``sam_fault``         every command answers 00 00 60 (the SAM failed its self-test)
``lift_after_select`` the card is lifted right after a successful select (read gets 41)
``read_fails``        a read answers 00 00 41 while the card stays
``not_authentic``     a read answers 00 00 32 (the module did not authenticate the card)
``corrupt_check``     the next answer's check byte is wrong
``wrong_baud``        answers come as a wrong baud rate would make them: no preamble
"""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Mapping

from drivers.base import FaultScript
from drivers.reader.idcard.cards import VirtualCard
from drivers.reader.idcard.frames import (
    FIND_CARD,
    PREAMBLE,
    READ_TEXT_PHOTO,
    READ_TEXT_PHOTO_FINGERPRINT,
    SAM_ID,
    SAM_RESET,
    SAM_STATUS,
    SELECT_CARD,
    Answer,
    Request,
    check_byte,
)

SAM_ID_BYTES = bytes.fromhex("0501000020230815000012340000ABCD")


class VirtualIdCardModule:
    """The module's firmware, on the file descriptor of a pty (``path``)."""

    def __init__(self, path: str, cards: Mapping[str, VirtualCard],
                 faults: FaultScript | None = None, *, baud: int = 115200, pace: bool = True,
                 name: str = "virtual") -> None:
        self.path = path
        self.cards = dict(cards)
        self.faults = faults or FaultScript()
        self.baud = baud
        self.pace = pace
        self.name = name
        self._lock = threading.Lock()
        self._present: str | None = None
        self._activated = False  # found since it was put down: a second find answers 80
        self._selected = False
        self._fd: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.busy_s = 0.0  # time spent answering (line time included), for the benchmark
        self.requests = 0

    # --- the card on the reader ----------------------------------------------------------

    @property
    def present_key(self) -> str | None:
        return self._present

    def place(self, key: str) -> None:
        if key not in self.cards:
            raise KeyError(f"no virtual card {key!r}")
        with self._lock:
            self._present, self._activated, self._selected = key, False, False

    def lift(self) -> None:
        with self._lock:
            self._present, self._activated, self._selected = None, False, False

    # --- the line ------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY)
        self._stop.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"reader-idcard-module-{self.name}")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout=5)
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _serve(self) -> None:
        buffer = bytearray()
        assert self._fd is not None
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._fd], [], [], 0.05)
                if not ready:
                    continue
                chunk = os.read(self._fd, 4096)
            except OSError:  # the other end went away (socat stopped)
                return
            if not chunk:
                return
            buffer += chunk
            for request in _take_requests(buffer):
                self._answer(request)

    def _answer(self, request: Request | None) -> None:
        started = time.perf_counter()
        self.requests += 1
        if self.faults.trigger("silent"):
            return
        answer = (Answer(0x00, 0x00, 0x10) if request is None else self.handle(request))
        frame = bytearray(answer.encode())
        if self.faults.trigger("corrupt_check"):
            frame[-1] ^= 0x5A
        if self.faults.trigger("wrong_baud"):
            frame = bytearray(b ^ 0xF0 for b in frame)  # what a mismatched UART makes of it
        self._write(bytes(frame))
        self.busy_s += time.perf_counter() - started

    def _write(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            return
        chunk = 64
        for at in range(0, len(data), chunk):
            piece = data[at:at + chunk]
            if self.pace:
                time.sleep(len(piece) * 10.0 / self.baud)
            try:
                os.write(fd, piece)
            except OSError:
                return

    # --- the firmware --------------------------------------------------------------------

    def handle(self, request: Request) -> Answer:
        """The answer to one well-formed request (also called directly by tests)."""
        key = (request.cmd, request.para)
        if self.faults.value("sam_fault"):
            self.faults.trigger("sam_fault")
            return Answer(0x00, 0x00, 0x60)
        if key in ((SAM_STATUS.cmd, SAM_STATUS.para), (SAM_RESET.cmd, SAM_RESET.para)):
            return Answer(0x00, 0x00, 0x90)
        if key == (SAM_ID.cmd, SAM_ID.para):
            return Answer(0x00, 0x00, 0x90, SAM_ID_BYTES)
        with self._lock:
            if key == (FIND_CARD.cmd, FIND_CARD.para):
                if self._present is None or self._activated:
                    return Answer(0x00, 0x00, 0x80)
                self._activated = True
                return Answer(0x00, 0x00, 0x9F, b"\x00\x00\x00\x00")
            if key == (SELECT_CARD.cmd, SELECT_CARD.para):
                if self._present is None or not self._activated:
                    return Answer(0x00, 0x00, 0x81)
                self._selected = True
                if self.faults.trigger("lift_after_select"):
                    self._present, self._activated, self._selected = None, False, False
                return Answer(0x00, 0x00, 0x90, bytes(8))
            if key in ((READ_TEXT_PHOTO.cmd, READ_TEXT_PHOTO.para),
                       (READ_TEXT_PHOTO_FINGERPRINT.cmd, READ_TEXT_PHOTO_FINGERPRINT.para)):
                if self._present is None or not self._selected:
                    return Answer(0x00, 0x00, 0x41)
                if self.faults.trigger("read_fails"):
                    return Answer(0x00, 0x00, 0x41)
                if self.faults.trigger("not_authentic"):
                    return Answer(0x00, 0x00, 0x32)
                card = self.cards[self._present]
                return Answer(0x00, 0x00, 0x90, read_data(card, request.para == 0x10))
        return Answer(0x00, 0x00, 0x21)


def read_data(card: VirtualCard, with_fingerprints: bool) -> bytes:
    """The data of a read answer: lengths, text, photo (and fingerprints)."""
    text = card.text.encode()
    parts = [len(text), len(card.wlt)]
    if with_fingerprints:
        parts.append(len(card.fingerprints))
    head = b"".join(n.to_bytes(2, "big") for n in parts)
    return head + text + card.wlt + (card.fingerprints if with_fingerprints else b"")


def _take_requests(buffer: bytearray) -> list[Request | None]:
    """Whole requests out of ``buffer`` (None for a frame whose check byte is wrong);
    noise before a preamble is dropped, a partial frame is left for more bytes."""
    requests: list[Request | None] = []
    while True:
        start = buffer.find(PREAMBLE)
        if start < 0:
            del buffer[:max(0, len(buffer) - len(PREAMBLE) + 1)]
            return requests
        del buffer[:start]
        if len(buffer) < 7:
            return requests
        length = int.from_bytes(buffer[5:7], "big")
        if length < 3 or length > 4096:
            del buffer[:len(PREAMBLE)]
            requests.append(None)
            continue
        if len(buffer) < 7 + length:
            return requests
        frame = bytes(buffer[:7 + length])
        del buffer[:7 + length]
        if check_byte(frame[5:-1]) != frame[-1]:
            requests.append(None)
            continue
        requests.append(Request(frame[7], frame[8], frame[9:-1]))
