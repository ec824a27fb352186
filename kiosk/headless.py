"""Run the kiosk without a screen: scenario tests, benchmarks and scripts drive it here.

The journey's thread is the caller's: ``pump`` runs the callbacks the workers and
devices handed back, and ticks the idle timer, until the journey reaches a step.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

from kiosk.config import KioskConfig
from kiosk.journey.steps import Step
from kiosk.runtime import KioskRuntime
from kiosk.worker import QueueDispatch


class StepTimeout(AssertionError):
    """The journey did not reach the expected step in time."""


class HeadlessKiosk:
    def __init__(self, config: KioskConfig, *, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today,
                 now: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.dispatch = QueueDispatch()
        self.runtime = KioskRuntime(config, self.dispatch, clock=clock, today=today, now=now)
        self.journey = self.runtime.journey
        self.devices = self.runtime.devices
        self.steps: list[Step] = []
        self.journey.add_listener(self._note_step)

    def _note_step(self, what: str) -> None:
        if what == "step":
            self.steps.append(self.journey.state)

    def __enter__(self) -> HeadlessKiosk:
        self.runtime.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.runtime.stop()

    def pump(self, until: Step | tuple[Step, ...] | None = None, timeout_s: float = 10.0) -> Step:
        """Run pending callbacks until the journey is at ``until`` (or once, when None)."""
        wanted = (until,) if isinstance(until, Step) else until
        deadline = time.monotonic() + timeout_s
        while True:
            self.dispatch.run_pending(timeout_s=0.02)
            self.journey.tick()
            if wanted is None or self.journey.state in wanted:
                return self.journey.state
            if time.monotonic() > deadline:
                names = ", ".join(s.value for s in wanted)
                raise StepTimeout(f"expected {names}, still at {self.journey.state.value}")

    def wait_for(self, condition: Callable[[], bool], timeout_s: float = 5.0) -> bool:
        """Run pending callbacks until ``condition()`` holds; False if it did not in time."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if time.monotonic() > deadline:
                return False
            self.dispatch.run_pending(timeout_s=0.02)
        return True

    def settle(self, seconds: float = 0.3) -> None:
        """Let background results arrive without expecting a step change."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.dispatch.run_pending(timeout_s=0.02)
