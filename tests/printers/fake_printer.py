"""The printer end of a socat pty pair, for tests and the benchmark.

``SocatPair`` starts ``socat -d -d pty,raw,echo=0 pty,raw,echo=0`` and learns the two
/dev/pts paths from its log; ``FakeEscposPrinter`` sits on one of them in a thread,
records every byte, carries out whole commands in order and answers like a thermal
printer: DLE EOT n at once whatever its state, GS r 1 only when its turn comes and
the printer is not stopped (no paper, cover open, offline, cutter error). With
``paper_out_after`` set, the roll runs out after that many more job bytes. What
comes while it is stopped is held, as in a real printer's receive buffer, and is
carried out in order once it can go on (``load_paper``, ``close_cover``): the rest
of a receipt prints on the new roll. DLE DC4 fn=8 (clear buffers) is real time:
it drops what is held and answers 37 25 00; a model without it
(``supports_clear = False``) takes those bytes as ordinary data and ignores them
in turn, as printers do with commands they do not know.
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import threading
import time
import tty
from pathlib import Path

from tests.printers.escpos_reader import Command, Tokenizer

_PTY = re.compile(r"PTY is (/dev/pts/\d+)")


class SocatPair:
    """Two connected ptys; ``printer`` for the fake, ``host`` for the driver."""

    def __init__(self, log_path: str | os.PathLike[str], timeout_s: float = 5.0) -> None:
        self.log_path = Path(log_path)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                ["socat", "-d", "-d", "pty,raw,echo=0", "pty,raw,echo=0"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        deadline = time.monotonic() + timeout_s
        while True:
            text = self.log_path.read_text(errors="replace")
            ptys = _PTY.findall(text)
            if len(ptys) == 2 and "starting data transfer loop" in text:
                self.printer, self.host = ptys
                return
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"socat did not start: {text[-500:]}")
            time.sleep(0.01)

    def close(self) -> None:
        """Stop socat (both ptys vanish) and reap it; safe to call twice."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> SocatPair:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FakeEscposPrinter:
    """A thermal printer on a pty. Set its state attributes at any time (under ``lock``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.paper = "ok"  # "ok", "near_end", "out"
        self.cover_open = False
        self.offline = False
        self.cutter_error = False
        self.silent = False  # answers nothing at all
        self.garbled = False  # answers bytes that are no ESC/POS status (wrong baud rate)
        self.answers_gs_r = True
        self.supports_clear = True  # DLE DC4 fn=8
        self.freeze_after: int | None = None  # job bytes until the fake stops reading
        self.frozen = False  # a test's pause to kill the driver's process at a known point
        self.clears = 0  # DLE DC4 fn=8 carried out
        self.paper_out_after: int | None = None  # job bytes until the roll runs out
        self.cover_opens_after: int | None = None  # job bytes until someone opens the cover
        self.received = bytearray()  # every byte, queries included
        self.printed: list[Command] = []  # commands carried out
        self.held: list[Command] = []  # commands waiting while the printer is stopped
        self._tokens = Tokenizer()
        self._stop = threading.Event()
        self._fd: int | None = None
        self._thread: threading.Thread | None = None

    def start(self, fd: int | None = None) -> FakeEscposPrinter:
        """Open the pty at ``path``, or take over ``fd`` (a connected socket, say)."""
        if fd is None:
            fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
            tty.setraw(fd)
        self._fd = fd
        self._thread = threading.Thread(target=self._run, name="escpos-fake-printer",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    # -- state helpers

    @property
    def stopped(self) -> bool:
        return self.paper == "out" or self.cover_open or self.offline or self.cutter_error

    def load_paper(self) -> None:
        """A technician puts in a new roll; whatever was held prints on it."""
        with self.lock:
            self.paper = "ok"
            self._resume()

    def close_cover(self) -> None:
        with self.lock:
            self.cover_open = False
            self._resume()

    def thaw(self) -> None:
        """Read the line again after ``freeze_after`` (a test's pause, no printer's)."""
        with self.lock:
            self.frozen = False

    def mark(self) -> int:
        """A place in ``printed``, for ``paper_since``."""
        with self.lock:
            return len(self.printed)

    def paper_since(self, mark: int = 0) -> bytes:
        """The bytes of the commands carried out since ``mark``: what came out on paper."""
        with self.lock:
            return b"".join(c.raw for c in self.printed[mark:])

    def job_commands(self) -> list[Command]:
        """What was received, less the DLE EOT and GS r queries and DLE DC4 clears."""
        with self.lock:
            return [c for c in self.printed + self.held
                    if c.name not in ("DLE EOT", "GS r", "DLE DC4")]

    def wait_idle(self, timeout_s: float = 2.0) -> None:
        """Until no byte has come for 50 ms."""
        deadline = time.monotonic() + timeout_s
        seen = -1
        while time.monotonic() < deadline:
            with self.lock:
                now = len(self.received)
            if now == seen:
                return
            seen = now
            time.sleep(0.05)

    # -- the printer

    def _status(self, n: int) -> int:
        if self.garbled:
            return 0xFF
        out = self.paper == "out"
        if n == 1:
            return 0x12 | (0x08 if self.stopped else 0)
        if n == 2:
            return (0x12 | (0x04 if self.cover_open else 0) | (0x20 if out else 0)
                    | (0x40 if self.cutter_error else 0))
        if n == 3:
            return 0x12 | (0x08 if self.cutter_error else 0)
        return 0x12 | (0x0C if self.paper != "ok" else 0) | (0x60 if out else 0)

    def _resume(self) -> None:
        """Carry out what was held, in order, while the printer can go on (lock held)."""
        held, self.held = self.held, []
        answer = b""
        for i, cmd in enumerate(held):
            if self.stopped:
                self.held = held[i:] + self.held
                break
            answer += self._do(cmd)
        if answer and self._fd is not None and not self.silent:
            os.write(self._fd, answer)

    def _carry_out(self, cmd: Command) -> bytes:
        """Take one command off the line; the bytes to answer with."""
        if cmd.name == "DLE EOT":  # real time: answered in any state
            return b"" if self.silent else bytes([self._status(cmd.raw[2])])
        if cmd.name == "DLE DC4" and cmd.raw[2] == 8 and self.supports_clear:
            self.held.clear()  # real time: both buffers emptied, whatever the state
            self.clears += 1
            return b"" if self.silent else b"\x37\x25\x00"
        if self.stopped or self.held:
            self.held.append(cmd)
            return b""
        return self._do(cmd)

    def _do(self, cmd: Command) -> bytes:
        """Carry out one command in turn."""
        self.printed.append(cmd)
        answer = b""
        if cmd.name == "GS r" and self.answers_gs_r and not self.silent:
            answer = bytes([(0x03 if self.paper != "ok" else 0)])
        if self.paper_out_after is not None:
            self.paper_out_after -= len(cmd.raw)
            if self.paper_out_after <= 0:
                self.paper, self.paper_out_after = "out", None
        if self.cover_opens_after is not None:
            self.cover_opens_after -= len(cmd.raw)
            if self.cover_opens_after <= 0:
                self.cover_open, self.cover_opens_after = True, None
        if self.freeze_after is not None:
            self.freeze_after -= len(cmd.raw)
            if self.freeze_after <= 0:
                self.frozen, self.freeze_after = True, None
        return answer

    def _run(self) -> None:
        fd = self._fd
        assert fd is not None
        while not self._stop.is_set():
            if self.frozen:
                time.sleep(0.01)
                continue
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            except OSError:  # the other end went away
                return
            if not data:
                return
            with self.lock:
                self.received += data
                answer = b"".join(self._carry_out(cmd) for cmd in self._tokens.feed(data))
                if self.frozen:
                    answer = b""
            if answer:
                try:
                    os.write(fd, answer)
                except OSError:
                    return
