"""The technician's way in: the PIN with its lockout, and the last warnings and errors.

The diagnostics screen is behind a PIN so a passer-by cannot reach it; five wrong tries
lock it for a while. The last warnings and errors (logs hold no personal data) are kept
for the screen and ``kiosk diag``.
"""

from __future__ import annotations

import collections
import logging
import time
from collections.abc import Callable

log = logging.getLogger("kiosk.diagnostics")


class PinGate:
    """Checks the technician PIN; after ``max_attempts`` wrong tries it locks for ``lockout_s``."""

    def __init__(self, pin: str, max_attempts: int, lockout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pin = pin
        self.max_attempts = max_attempts
        self.lockout_s = lockout_s
        self._clock = clock
        self._failures = 0
        self._locked_until = 0.0

    def locked_remaining(self) -> float:
        return max(0.0, self._locked_until - self._clock())

    @property
    def attempts_left(self) -> int:
        return self.max_attempts - self._failures

    def try_pin(self, pin: str) -> bool:
        if self.locked_remaining() > 0:
            return False
        if pin == self._pin:
            self._failures = 0
            return True
        self._failures += 1
        if self._failures >= self.max_attempts:
            self._locked_until = self._clock() + self.lockout_s
            self._failures = 0
            log.warning("diagnostics PIN locked out")
        return False


class RecentErrors(logging.Handler):
    """Keeps the last warnings and errors for the diagnostics screen (logs hold no personal data)."""

    def __init__(self, capacity: int = 20) -> None:
        super().__init__(level=logging.WARNING)
        self.records: collections.deque[str] = collections.deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        stamp = time.strftime("%H:%M:%S", time.localtime(record.created))
        self.records.append(f"{stamp} {record.levelname} {record.name}: {record.getMessage()}")


RECENT_ERRORS = RecentErrors()


def install_recent_errors() -> None:
    root = logging.getLogger()
    if RECENT_ERRORS not in root.handlers:
        root.addHandler(RECENT_ERRORS)
