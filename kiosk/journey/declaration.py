"""The declaration: what central already knows, residence, condition, and the eligibility check."""

from __future__ import annotations

import datetime as dt
import logging

from kiosk.errors import CentralRejected, CentralUnavailable, InvalidInput, KioskError
from kiosk.journey.context import JourneyContext, JourneyCore
from kiosk.journey.session import PhotoPurpose
from kiosk.journey.steps import Step
from kiosk.journey.table import Trigger
from kiosk.journey.validation import validate_residence
from protocol import wire

log = logging.getLogger("kiosk.journey")


class DeclarationPhase:
    """Declaring residence and the condition; checking eligibility (on arriving at the
    checking step, whichever way the journey came: declaration, renewal, 'try again')."""

    def __init__(self, ctx: JourneyContext, core: JourneyCore) -> None:
        self.ctx, self.core = ctx, core
        core.on_enter(Step.CHECKING_ELIGIBILITY, self._check_eligibility)

    def fetch_records(self) -> None:
        """Ask central what it already knows (employer, school) while the resident reads."""
        request = wire.RecordsRequest(city=self.ctx.config.city,
                                      applicant=self.core.session.applicant())
        client = self.ctx.client
        self.core.run(lambda: client.records(request), self._on_records,
                      lambda exc: log.info("records pre-check failed: %s", type(exc).__name__))

    def _on_records(self, summary: wire.RecordsSummary) -> None:
        core = self.core
        core.session.records = summary
        if summary.refusal is not None and core.state in (Step.DECLARE_RESIDENCE,
                                                          Step.DECLARE_CONDITION):
            # The answer came after the resident moved on: stop them typing for nothing.
            core.session.decision = summary.refusal
            core.fire(Trigger.REFUSED_ON_RECORD)
            return
        core.notify()

    def sponsor_choices(self, condition: wire.Condition | None) -> list[str]:
        """Employers or schools on record for a condition, offered as buttons."""
        records = self.core.session.records
        if records is None or condition is None:
            return []
        known: dict[wire.Condition, list[str]] = {wire.Condition.EMPLOYMENT: records.employers,
                                                  wire.Condition.STUDY: records.schools}
        return known.get(condition, [])

    def directory(self) -> wire.CityDirectory | None:
        """The city's address directory (cached by the client after the first call)."""
        try:
            return self.ctx.client.directory(self.ctx.config.city)
        except KioskError:
            return None

    def declare_residence(self, since: dt.date, address: wire.Address) -> bool:
        core = self.core
        core.expect(Trigger.DECLARE_RESIDENCE)
        try:
            validate_residence(since, address, core.session.document, self.ctx.today())
        except InvalidInput as e:
            core.input_error = e.code
            core.notify()
            return False
        core.session.since, core.session.address = since, address
        core.fire(Trigger.DECLARE_RESIDENCE)
        return True

    def declare_condition(self, condition: wire.Condition, sponsor: str | None) -> None:
        s = self.core.session
        self.core.expect(Trigger.DECLARE_CONDITION)
        s.condition = condition
        s.sponsor = sponsor if condition is not wire.Condition.HOME else None
        self.core.fire(Trigger.DECLARE_CONDITION)

    # ----- eligibility ---------------------------------------------------------------------------
    def _check_eligibility(self) -> None:
        s = self.core.session
        request = wire.EligibilityRequest(city=self.ctx.config.city, service=s.service,
                                          applicant=s.applicant(), declaration=s.declaration())
        client = self.ctx.client
        self.core.run(lambda: client.check_eligibility(request), self._on_decision,
                      self._on_decision_failed)

    def _on_decision(self, decision: wire.EligibilityDecision) -> None:
        s = self.core.session
        s.decision, s.central_unreachable = decision, False
        self._decided()

    def _on_decision_failed(self, exc: BaseException) -> None:
        if isinstance(exc, CentralUnavailable):
            self.core.session.central_unreachable = True
            self._decided()
        elif isinstance(exc, CentralRejected):
            self.core.problem(exc.code, Step.CHECKING_ELIGIBILITY, detail=exc.detail,
                              message=exc.message)
        else:
            self.core.problem("unexpected", None, detail=type(exc).__name__)

    def _decided(self) -> None:
        """To the decision, or first to the photo when central asked for one."""
        self.core.session.photo_purpose = PhotoPurpose.DECISION
        self.core.fire(Trigger.DECIDED)
