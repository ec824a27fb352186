"""A device's own event thread, as real drivers have (PC/SC monitor, serial reader loop).

Simulators use it so listeners are called from a driver thread, never from the
caller's, and so one delayed action (a document placed a few seconds after the
kiosk starts waiting) runs without a timer thread per action.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("drivers")

_STOP = object()
_WAKE = object()


class EventPump:
    """Delivers queued items to ``deliver`` on one daemon thread; ``stop`` joins it."""

    def __init__(self, thread_name: str, deliver: Callable[[Any], None]) -> None:
        self._thread_name = thread_name
        self._deliver = deliver
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._due: tuple[float, Callable[[], None]] | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        """Start the thread; items put before this are dropped, as nobody was listening."""
        if self._thread is not None:
            return
        self._queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop and join the thread; safe to call twice."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout=5)
        if thread.is_alive():
            log.error("%s did not stop within 5 s", self._thread_name)

    def put(self, item: Any) -> None:
        self._queue.put(item)

    def schedule(self, delay_s: float, action: Callable[[], None]) -> None:
        """Run ``action`` on the pump thread after ``delay_s``; replaces any pending one."""
        with self._lock:
            self._due = (time.monotonic() + delay_s, action)
        self._queue.put(_WAKE)

    def cancel(self) -> None:
        with self._lock:
            self._due = None
        self._queue.put(_WAKE)

    def _timeout(self) -> float | None:
        with self._lock:
            return None if self._due is None else max(0.0, self._due[0] - time.monotonic())

    def _run_due(self) -> None:
        with self._lock:
            if self._due is None or time.monotonic() < self._due[0]:
                return
            action, self._due = self._due[1], None
        self._call(action)

    def _call(self, function: Callable[..., None], *args: Any) -> None:
        try:
            function(*args)
        except Exception:  # a listener's bug must not kill the device thread
            log.exception("%s: callback failed", self._thread_name)

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self._timeout())
            except queue.Empty:
                item = _WAKE
            if item is _STOP:
                return
            if item is not _WAKE:
                self._call(self._deliver, item)
            self._run_due()
