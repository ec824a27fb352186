"""Journey steps of the declaration: what central already knows, residence, condition, eligibility."""

from __future__ import annotations

import datetime as dt
import logging

from protocol import wire
from kiosk.errors import CentralRejected, CentralUnavailable, InvalidInput, KioskError
from kiosk.journey.steps import Step
from kiosk.journey.validation import validate_residence

log = logging.getLogger("kiosk.journey")


class DeclarationSteps:
    """Mixed into Journey: declaring residence and checking eligibility."""

    # ----- declaration ----------------------------------------------------------------------
    def _fetch_records(self) -> None:
        """Ask central what it already knows (employer, school) while the resident reads."""
        request = wire.RecordsRequest(city=self.config.city, applicant=self.session.applicant())
        self._run(lambda: self.client.records(request), self._on_records,
                  lambda exc: log.info("records pre-check failed: %s", type(exc).__name__))

    def _on_records(self, summary: wire.RecordsSummary) -> None:
        self.session.records = summary
        if summary.refusal is not None and self.state in (Step.DECLARE_RESIDENCE,
                                                          Step.DECLARE_CONDITION):
            # The answer came after the resident moved on: stop them typing for nothing.
            self.session.decision = summary.refusal
            self.set_state(Step.DECISION)
            return
        self._notify("update")

    def sponsor_choices(self, condition: wire.Condition | None) -> list[str]:
        """Employers or schools on record for a condition, offered as buttons."""
        records = self.session.records
        if records is None:
            return []
        return {wire.Condition.EMPLOYMENT: records.employers,
                wire.Condition.STUDY: records.schools}.get(condition, [])

    def directory(self) -> wire.CityDirectory | None:
        """The city's address directory (cached by the client after the first call)."""
        try:
            return self.client.directory(self.config.city)
        except KioskError:
            return None

    def declare_residence(self, since: dt.date, address: wire.Address) -> bool:
        self._expect(Step.DECLARE_RESIDENCE)
        try:
            validate_residence(since, address, self.session.document, self.today())
        except InvalidInput as e:
            self.input_error = e.code
            self._notify("update")
            return False
        self.session.since, self.session.address = since, address
        self.set_state(Step.DECLARE_CONDITION)
        return True

    def declare_condition(self, condition: wire.Condition, sponsor: str | None) -> None:
        self._expect(Step.DECLARE_CONDITION)
        self.session.condition = condition
        self.session.sponsor = sponsor if condition is not wire.Condition.HOME else None
        self._check_eligibility()

    # ----- eligibility --------------------------------------------------------------------
    def _check_eligibility(self) -> None:
        s = self.session
        request = wire.EligibilityRequest(city=self.config.city, service=s.service,
                                          applicant=s.applicant(), declaration=s.declaration())
        self.set_state(Step.CHECKING_ELIGIBILITY)
        self._run(lambda: self.client.check_eligibility(request),
                  self._on_decision, self._on_decision_failed)

    def _on_decision(self, decision: wire.EligibilityDecision) -> None:
        s = self.session
        s.decision, s.central_unreachable = decision, False
        refused = decision.decision in (wire.Decision.INELIGIBLE, wire.Decision.NOT_REQUIRED)
        if not refused and decision.photo_required and s.photo_jpeg is None:
            self.set_state(Step.PHOTO)
        else:
            self.set_state(Step.DECISION)

    def _on_decision_failed(self, exc: BaseException) -> None:
        if isinstance(exc, CentralUnavailable):
            self.session.central_unreachable = True
            self.set_state(Step.DECISION)
        elif isinstance(exc, CentralRejected):
            self._problem(exc.code, Step.CHECKING_ELIGIBILITY, detail=exc.detail,
                          message=exc.message)
        else:
            self._problem("unexpected", None, detail=type(exc).__name__)
