"""Small helpers for driver tests: a recording listener, a polling wait, thread names."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any


class Recorder:
    """A listener that remembers what it got and on which thread."""

    def __init__(self) -> None:
        self.items: list[Any] = []
        self.threads: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, item: Any) -> None:
        with self._cond:
            self.items.append(item)
            self.threads.append(threading.current_thread().name)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 3.0) -> list[Any]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.items) >= count, timeout)
            return list(self.items)


SIM_THREAD_PREFIXES = ("reader-", "camera-", "scanner-sim-")


def sim_threads() -> list[str]:
    """Names of simulator threads still alive (they are named by kind and device)."""
    return [t.name for t in threading.enumerate() if t.name.startswith(SIM_THREAD_PREFIXES)]


def wait_until(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
