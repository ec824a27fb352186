"""One named thread that does a piece of work every so often and stops when asked.

The device monitor, the heartbeat and housekeeping all need exactly this; a kiosk
that runs for months must be able to stop each of them and leave no thread behind.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("kiosk.periodic")


class PeriodicThread:
    """Runs ``work`` after ``first_delay()`` and then every ``interval()`` seconds."""

    def __init__(self, name: str, work: Callable[[], object], interval: Callable[[], float],
                 first_delay: Callable[[], float] = lambda: 0.0) -> None:
        self.name = name
        self._work, self._interval, self._first_delay = work, interval, first_delay
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by stop() and wake()
        self._thread: threading.Thread | None = None

    def _loop(self) -> None:
        delay = self._first_delay()
        while True:
            self._wake.wait(delay)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._work()
            except Exception as exc:  # one bad pass must not end the thread; no message text
                log.error("%s pass failed: %s", self.name, type(exc).__name__)
            delay = self._interval()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._wake.clear()
            self._thread = threading.Thread(target=self._loop, name=self.name)
            self._thread.start()

    def wake(self) -> None:
        """Do the work now rather than at the end of the interval (no effect when stopped)."""
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        """Wake the thread and join it; safe to call twice."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
