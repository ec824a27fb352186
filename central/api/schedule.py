"""The server's own clockwork: start due deferred applications at start-up, then every interval.

One asyncio task, started and stopped by FastAPI's lifespan, so nothing outlives the server;
other services with their own thread (the fleet's alert runner) are started and stopped there too.
The database work runs in a worker thread and never holds up a request. A failed run is
logged by exception type only (a message can quote data) and tried again next interval.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from typing import Protocol

from central.permits.deferred import start_due_applications
from central.permits.office import PermitOffice

log = logging.getLogger("central.schedule")
DEFERRED_INTERVAL_S = 3600.0


class Service(Protocol):
    """Something that runs beside the server on its own thread."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


def lifespan(office: PermitOffice | None, interval_s: float = DEFERRED_INTERVAL_S,
             services: tuple[Service, ...] = ()) -> Callable:
    """A lifespan that runs the deferred starts and `services` for as long as the server serves."""

    @asynccontextmanager
    async def run(_app) -> AsyncIterator[None]:
        task = asyncio.create_task(_every(office, interval_s)) if office is not None else None
        for service in services:
            service.start()
        try:
            yield
        finally:
            for service in services:
                await asyncio.to_thread(service.stop)
            if task is not None:
                task.cancel()
                with suppress(asyncio.CancelledError):
                    await task

    return run


async def _every(office: PermitOffice, interval_s: float) -> None:
    while True:
        try:
            await asyncio.to_thread(start_due_applications, office)
        except Exception as exc:  # noqa: BLE001 - keep serving; the next run retries
            log.error("starting due deferred applications failed: %s", type(exc).__name__)
        await asyncio.sleep(interval_s)
