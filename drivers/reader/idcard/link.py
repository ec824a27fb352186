"""The line to the module: write a request, read back exactly one answer frame, in time.

A serial line gives bytes, not frames: an answer may come in pieces, after noise (a module
powering up, a wrong baud rate), cut short (unplugged mid-answer) or not at all. The frame
reader turns each of those into a typed error the driver can act on (retry, report the
module offline) instead of hanging or crashing the polling thread. Both serial ports and
USB-CDC ports are device paths to pyserial, so one link serves both.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from drivers.reader.idcard.frames import (
    HEADER_LEN,
    MAX_FRAME_LEN,
    MIN_ANSWER_LEN,
    PREAMBLE,
    Answer,
    Command,
    Request,
    check_byte,
)
from drivers.reader.idcard.status import (
    BadCheckByte,
    BadLength,
    BadPreamble,
    FrameError,
    IdCardError,
    ModuleSilent,
    PortUnavailable,
    error_for,
    is_success,
)

# Noise tolerated before a preamble (a module that just powered up sends a few bytes).
MAX_JUNK = 64


class Port(Protocol):
    """What the frame reader needs of a port: pyserial's Serial has it, so do test fakes."""

    timeout: float | None

    def read(self, size: int = 1) -> bytes: ...

    def write(self, data: bytes) -> int | None: ...

    def reset_input_buffer(self) -> None: ...


class AnswerCutShort(ModuleSilent):
    """The answer stopped part way (module unplugged or reset mid-frame)."""

    code = "idcard_answer_cut_short"


def byte_time(baud: int) -> float:
    """Seconds one byte takes on the line: 8N1 is ten bits a byte."""
    return 10.0 / baud


def read_answer(port: Port, first_byte_timeout: float, baud: int = 115200) -> Answer:
    """One answer frame from ``port``; raises a FrameError subclass if it is none."""
    per_byte = byte_time(baud)
    inter_byte = max(0.05, 20 * per_byte)  # a gap this long mid-frame: the module stopped
    port.timeout = first_byte_timeout
    first = port.read(1)
    if not first:
        raise ModuleSilent(f"no answer within {first_byte_timeout:.2f} s")
    window = bytearray(first)
    port.timeout = inter_byte
    seen = 1
    while bytes(window[-len(PREAMBLE):]) != PREAMBLE:
        if seen >= MAX_JUNK + len(PREAMBLE):
            raise BadPreamble(f"no AA AA AA 96 69 in the first {seen} bytes")
        more = port.read(1)
        if not more:
            raise BadPreamble(f"{seen} bytes without a preamble, then silence")
        window += more
        seen += 1
    length_bytes = _read_exactly(port, 2, inter_byte, 2 * per_byte)
    length = int.from_bytes(length_bytes, "big")
    if not MIN_ANSWER_LEN <= length <= MAX_FRAME_LEN:
        raise BadLength(f"length {length} outside {MIN_ANSWER_LEN}..{MAX_FRAME_LEN}")
    rest = _read_exactly(port, length, inter_byte, length * per_byte)
    if check_byte(length_bytes + rest[:-1]) != rest[-1]:
        raise BadCheckByte(f"check byte {rest[-1]:02X} does not match a {length}-byte answer")
    return Answer(rest[0], rest[1], rest[2], bytes(rest[3:-1]))


def _read_exactly(port: Port, size: int, inter_byte: float, line_time: float) -> bytes:
    """``size`` bytes, allowing the line time plus slack; AnswerCutShort if they stop."""
    deadline = time.monotonic() + 2 * line_time + inter_byte + 0.2
    got = bytearray()
    while len(got) < size:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        port.timeout = min(left, max(inter_byte, line_time))
        chunk = port.read(size - len(got))
        if not chunk:
            break
        got += chunk
    if len(got) < size:
        raise AnswerCutShort(f"answer cut short: {len(got)} of {size} bytes")
    return bytes(got)


@dataclass(frozen=True)
class TraceEntry:
    """One command on the line: no data, so no personal data."""

    command: str  # "20 01"
    name: str  # "find_card"
    status: str  # "00 00 9F", or the error code when no answer came
    seconds: float
    bytes_sent: int
    bytes_received: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LinkTrace:
    """The last commands and their statuses, for diagnostics and the technician's CLI."""

    def __init__(self, keep: int = 64) -> None:
        self._entries: collections.deque[TraceEntry] = collections.deque(maxlen=keep)
        self._lock = threading.Lock()

    def add(self, entry: TraceEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[TraceEntry]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class ModuleLink:
    """Requests and answers over one open port, one at a time (``lock`` spans sequences)."""

    def __init__(self, port: Port, *, baud: int = 115200, answer_timeout_s: float = 1.0,
                 read_timeout_s: float = 3.0, retries: int = 1,
                 trace: LinkTrace | None = None) -> None:
        self.port = port
        self.baud = baud
        self.answer_timeout_s = answer_timeout_s
        self.read_timeout_s = read_timeout_s  # reading a card takes the module ~1 s itself
        self.retries = retries
        self.trace = trace or LinkTrace()
        self.lock = threading.RLock()

    def transact(self, command: Command, data: bytes = b"", *, check: bool = True,
                 slow: bool = False) -> Answer:
        """Send ``command``; its answer, or a typed error. Garbled answers are asked again
        (every command here may be repeated safely); a failure status raises unless
        ``check`` is false."""
        request = Request(command.cmd, command.para, data).encode()
        timeout = self.read_timeout_s if slow else self.answer_timeout_s
        with self.lock:
            for attempt in range(self.retries + 1):
                started = time.perf_counter()
                try:
                    self._write(request)
                    answer = read_answer(self.port, timeout, self.baud)
                except FrameError as exc:
                    self._record(command, exc.code, started, len(request), 0)
                    self._drain()
                    if isinstance(exc, ModuleSilent) or attempt == self.retries:
                        raise
                    continue
                except IdCardError as exc:
                    self._record(command, exc.code, started, len(request), 0)
                    raise
                except Exception as exc:  # pyserial: SerialException or OSError when unplugged
                    self._record(command, PortUnavailable.code, started, len(request), 0)
                    raise PortUnavailable(f"the module's port failed: {type(exc).__name__}") from exc
                self._record(command, answer.status, started, len(request),
                             HEADER_LEN + 4 + len(answer.data))
                break
        if check and not is_success(answer.sw3):
            raise error_for(answer.sw1, answer.sw2, answer.sw3)
        return answer

    def _write(self, data: bytes) -> None:
        self.port.reset_input_buffer()  # a late answer to an earlier request is not ours
        self.port.write(data)

    def _drain(self) -> None:
        """Drop what is left of a bad answer so the next one starts clean."""
        try:
            self.port.reset_input_buffer()
        except Exception:  # a port gone away is found by the next command
            pass

    def _record(self, command: Command, status: str, started: float, sent: int,
                received: int) -> None:
        self.trace.add(TraceEntry(command.label, command.name, status,
                                  round(time.perf_counter() - started, 4), sent, received))


def open_serial(path: str, baud: int) -> Any:
    """The pyserial port at ``path`` (a serial port or a USB-CDC ttyACM); PortUnavailable."""
    try:
        import serial
    except ImportError as exc:  # pragma: no cover - pyserial is in the serial extra
        raise PortUnavailable("pyserial is not installed") from exc
    try:
        return serial.Serial(path, baudrate=baud, bytesize=8, parity="N", stopbits=1,
                             timeout=0.5, write_timeout=1.0, exclusive=True)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise PortUnavailable(f"cannot open {path}: {exc}") from exc
