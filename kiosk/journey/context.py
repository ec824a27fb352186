"""What every part of the journey is given: the kiosk's services, and the machine's core.

Each phase (``welcome``, ``document``, ``declaration``, ``photo``, ``decision``,
``fulfilment``, ``status_lookup``, ``availability``) is a small class holding its own
state; it reaches the rest of the kiosk only through a ``JourneyContext`` (config, devices,
the central client, the outbox, the journal, the worker, the clocks) and the journey's
moves only through ``JourneyCore``: fire a trigger of the table, run slow work, report a
problem. Nothing is shared by mixing attributes into one object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.config import KioskConfig
from kiosk.devices.build import Devices
from kiosk.devices.speech import Speaker
from kiosk.effects.journal import Journal
from kiosk.effects.outbox import Outbox
from kiosk.fleet.central_client import CentralClient
from kiosk.journey.session import ResidentSession
from kiosk.journey.steps import Step
from kiosk.journey.table import Trigger
from kiosk.worker import Worker
from protocol import wire


@dataclass(frozen=True)
class JourneyContext:
    """The kiosk's services, as the journey's parts use them (built once by the runtime)."""

    config: KioskConfig
    devices: Devices
    client: CentralClient
    outbox: Outbox
    journal: Journal
    worker: Worker
    speaker: Speaker
    clock: Callable[[], float]  # monotonic seconds: idle time, durations
    today: Callable[[], dt.date]  # the kiosk's local date: what the resident declares
    now: Callable[[], dt.datetime]  # the kiosk's local wall clock: service hours, the day


class JourneyCore(Protocol):
    """The machine as its parts see it."""

    state: Step
    session: ResidentSession
    input_error: str | None

    def fire(self, trigger: Trigger) -> Step:
        """Move as the table says; raises IntentRejected or IllegalTransition."""

    def expect(self, trigger: Trigger) -> None:
        """Raise IntentRejected unless the table leaves the current step on ``trigger``."""

    def require(self, *steps: Step) -> None:
        """Raise IntentRejected unless the journey is at one of ``steps``."""

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> None:
        """Slow work on a worker; its result comes back on the journey's thread, and is
        dropped if the session it belongs to has ended."""

    def for_this_session(self, fn: Callable[..., None]) -> Callable[..., None]:
        """``fn``, dropped when called after this session has ended."""

    def problem(self, code: str, retry: Step | None = None, detail: str = "",
                message: wire.Text | None = None) -> None:
        """The problem screen: why (a catalog code or central's words) and where 'try
        again' leads."""

    def notify(self) -> None:
        """Something the screens show changed (not the step)."""

    def touch(self) -> None:
        """The resident is still here: the idle time starts again."""

    def on_enter(self, step: Step, action: Callable[[], None]) -> None:
        """Run ``action`` each time the journey arrives at ``step`` (after the screens know)."""

    def on_leave(self, step: Step, action: Callable[[], None]) -> None:
        """Run ``action`` each time the journey leaves ``step`` for another."""

    def begin_session(self) -> None:
        """A resident is here: the session's time and day start."""

    def stop_service(self, code: str) -> None:
        """Out of service (the resident's session, if any, ends)."""

    def resume_service(self) -> None:
        """Back in service from out of service."""
