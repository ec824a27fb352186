"""The one boundary between slow work and the journey's own thread.

Slow work (chip reads, API calls, printing) runs on a small thread pool; its
result is handed back through ``dispatch``, which the host supplies: Kivy's
``Clock.schedule_once`` in the UI, a plain queue when the journey runs headless.
The journey itself is only ever touched from that one thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

log = logging.getLogger("kiosk.worker")

Dispatch = Callable[[Callable[[], None]], None]


class Worker:
    """Runs blocking calls off the journey's thread and reports back through ``dispatch``."""

    def __init__(self, dispatch: Dispatch, max_workers: int = 2) -> None:
        self._dispatch = dispatch
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="kiosk-work")
        self._closed = False

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> None:
        if self._closed:
            return

        def job() -> None:
            try:
                result = fn()
            except BaseException as exc:  # handed to the journey, which decides what it means
                error = exc  # `exc` is unbound when the except block ends
                self._dispatch(lambda: on_error(error))
            else:
                self._dispatch(lambda: on_done(result))

        self._pool.submit(job)

    def dispatch_event(self, fn: Callable[[Any], object], value: Any) -> None:
        """Hand a device event (from a driver's own thread) to the journey's thread."""
        def deliver() -> None:
            fn(value)
        self._dispatch(deliver)

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work and join the threads: no thread is left behind."""
        self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)


class QueueDispatch:
    """A dispatch for headless hosts: callbacks wait in a queue until ``run_pending``."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self.thread = threading.current_thread()

    def __call__(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def run_pending(self, timeout_s: float = 0.0) -> int:
        """Run queued callbacks on the caller's thread; wait up to timeout for the first."""
        ran = 0
        try:
            fn = self._queue.get(timeout=timeout_s) if timeout_s > 0 else self._queue.get_nowait()
        except queue.Empty:
            return 0
        while True:
            fn()
            ran += 1
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                return ran
