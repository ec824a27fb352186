"""What the resident does with the decision: continue, register now for later, or file it
for staff when central cannot be reached."""

from __future__ import annotations

from kiosk.errors import InvalidInput
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.session import PhotoPurpose
from kiosk.journey.table import Trigger
from protocol import wire


class DecisionPhase:
    """The decision screen's three ways on."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore) -> None:
        self.ctx, self.core = ctx, core

    def continue_application(self) -> None:
        """eligible or needs_review: on to fulfilment."""
        self.core.expect(Trigger.CONTINUE)
        d = self.core.session.decision
        if d is None or d.decision not in (wire.Decision.ELIGIBLE, wire.Decision.NEEDS_REVIEW):
            raise InvalidInput(code="cannot_continue")
        self.core.fire(Trigger.CONTINUE)

    def defer(self) -> None:
        """not_yet: register now, start automatically on the date, courier the card home.
        A photo first when there is none yet."""
        s = self.core.session
        self.core.expect(Trigger.DEFER)
        if s.decision is None or s.decision.decision is not wire.Decision.NOT_YET:
            raise InvalidInput(code="cannot_defer")
        s.defer = True
        s.fulfilment = wire.Fulfilment(method=wire.FulfilmentMethod.COURIER,
                                       courier_address=s.address)
        s.photo_purpose = PhotoPurpose.DEFERRAL
        self.core.fire(Trigger.DEFER)

    def queue_for_review(self) -> None:
        """Central unreachable: file the application for staff to decide, nothing lost.
        A photo first when there is none yet."""
        s = self.core.session
        self.core.expect(Trigger.QUEUE_FOR_REVIEW)
        if not s.central_unreachable:
            raise InvalidInput(code="cannot_queue")
        s.staff_review = True
        s.photo_purpose = PhotoPurpose.STAFF_REVIEW
        self.core.fire(Trigger.QUEUE_FOR_REVIEW)
