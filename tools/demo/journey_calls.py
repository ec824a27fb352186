"""Every call the demo makes into the running kiosk's journey: its step, its session, its
intents. The journey's API may change shape; when it does, only this file follows it.

(The autopilot itself only taps the window and handles devices, and reads the current step.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from kiosk.journey.steps import Step

# Where the journey can be once the resident has been asked for a photo, or was not asked.
PHOTO_OR_LATER = frozenset({Step.PHOTO, Step.DECISION, Step.PROBLEM, Step.RECEIPT,
                            Step.SUBMITTING, Step.PRINTING_CARD})


def listen(app: Any, listener: Callable[[str], None]) -> None:
    app.journey.add_listener(listener)


def step(app: Any) -> Step:
    return app.journey.state


def language(app: Any) -> str:
    return app.journey.session.language


def read_paused(app: Any) -> bool:
    """The document was lifted mid-read and the kiosk asks for it back."""
    return app.journey.session.read_paused


def photo_guidance(app: Any) -> str | None:
    """The instruction on the photo screen now (a message id), if any."""
    return app.journey.photo.guidance


def photo_taken(app: Any) -> bool:
    return app.journey.session.photo_jpeg is not None


def record_outcome(app: Any, journey: Any, what: str) -> None:
    """Note on the demo's journey record what the kiosk's session says happened (called on
    every journey event): steps, decision, application number, how the card goes to the
    resident, what was printed."""
    s = app.journey.session
    if what == "step":
        journey.steps.append(app.journey.state.value)
    if s.decision is not None:
        journey.decision = s.decision.decision.value
    if s.fulfilment is not None:
        journey.fulfilment = s.fulfilment.method.value
    o = s.outcome
    if o.application_number:
        journey.application_number = o.application_number
    if o.receipt is not None:
        journey.tracking_url = o.receipt.tracking_url
    journey.card_printed |= o.card_printed
    journey.receipt_printed |= o.receipt_printed


def session_dropped(app: Any) -> bool:
    """Nothing the resident gave is left in the session."""
    s = app.journey.session
    return (s.document is None and s.photo_jpeg is None and s.decision is None
            and s.address is None and s.outcome.application_number is None)


def cancel(app: Any) -> None:
    app.journey.cancel()


def show_recovered(app: Any, application_number: str | None, tracking_url: str | None,
                   shown: bool = True) -> None:
    """What the attract screen shows after a restart cut an application off and no receipt
    could be printed (kept on screen for five minutes); ``shown=False`` takes it away."""
    from kiosk.effects.recovery import Recovered
    until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
    recovered = [Recovered(application_number, tracking_url or "-", False, until)]
    app.journey.welcome.show_recovered(recovered if shown else [])
