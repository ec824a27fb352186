"""Deferred applications start by themselves on their start date, as the receipt promises.

A resident who was 'not yet' eligible filed at the kiosk and was told no further visit is
needed. On the start date the rules decide again, as of that day, on the request kept at
filing, and the application moves on as if it had been filed that day: eligible -> the
fulfilment's approving state with the permit on file, needs_review -> the one-time list or
staff review, anything else -> staff review with the reason in the history. Every move is one
guarded transition (only from `deferred`), so a second run, a second runner or a status read
at the same moment moves nothing twice. The log gets counts per state, never who or which.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Row

from central.errors import ApiProblem
from central.i18n import both
from central.permits.applications import (
    APPROVING_STATES,
    fulfilled_state,
    home_address,
    permit_row,
    photo_date,
    plan_for,
)
from central.permits.office import PermitOffice
from central.storage.store import StateConflict
from protocol import wire

log = logging.getLogger("central.deferred")
S = wire.ApplicationState
D = wire.Decision

STARTED_NOTES: dict[wire.ApplicationState, str] = {
    S.IN_DELIVERY: "note.started_in_delivery",
    S.READY_FOR_PICKUP: "note.started_ready_for_pickup",
    S.AWAITING_DOCUMENTS: "note.started_awaiting_documents",
}
STARTED_NOTE = "note.started_under_review"


@dataclass(frozen=True)
class Start:
    """Where one due application goes, and what its history will say."""

    state: wire.ApplicationState
    note: wire.Text
    decision: wire.EligibilityDecision | None = None
    card_valid_until: dt.date | None = None
    permit: dict | None = None


def start_due_applications(office: PermitOffice, today: dt.date | None = None) -> list[str]:
    """Start every deferred application due by `today` (None: each city's own date now);
    the numbers this call moved."""
    latest = today or max((office.today(city) for city in office.policies),
                          default=office.clock.date_in())
    return _start_due(office, office.store.due_applications(S.DEFERRED.value, latest), today)


def start_if_due(office: PermitOffice, number: str) -> None:
    """Before showing one application: a resident never sees 'deferred' after its date."""
    app = office.store.application(number)
    _start_due(office, [app] if app is not None else [], None)


def start_due_for(office: PermitOffice, document_number: str) -> None:
    """Before a lookup by document: start whichever of this resident's applications are due."""
    _start_due(office, office.store.applications_for(document_number), None)


def _start_due(office: PermitOffice, apps: Iterable[Row], today: dt.date | None) -> list[str]:
    """``today`` None: each application's city's own date."""
    moved: list[str] = []
    states: Counter[str] = Counter()
    for app in apps:
        if app.state != S.DEFERRED.value or app.start_date is None \
                or app.start_date > (today or office.today(app.city)):
            continue
        state = _start(office, app)
        if state is not None:
            moved.append(app.number)
            states[state.value] += 1
    if moved:
        log.info("started %d deferred application(s): %s", len(moved),
                 ", ".join(f"{state} {count}" for state, count in sorted(states.items())))
    return moved


def _start(office: PermitOffice, app: Row) -> wire.ApplicationState | None:
    """Move one due application on; None when someone else already did."""
    start = _decide(office, app)
    now = office.clock.now()
    changes: dict = {"state": start.state.value, "updated_at": now}
    if start.decision is not None:
        changes["decision_json"] = start.decision.model_dump_json()
    if start.card_valid_until is not None:
        changes["card_valid_until"] = start.card_valid_until
    event = {"application_number": app.number, "at": now, "state": start.state.value,
             "note_zh": start.note.zh_CN, "note_en": start.note.en}
    try:
        office.store.transition(app.number, {S.DEFERRED.value}, changes, event, start.permit)
    except StateConflict:
        return None
    return start.state


def _decide(office: PermitOffice, app: Row) -> Start:
    """The rules again, as of the start date, on the request kept at filing."""
    kept = _kept_request(office, app.number)
    if kept is None:
        return _to_staff(None, both("note.request_not_on_file"))
    request, filed_on = kept
    try:
        policy = office.policy(request.city)
        decision = office.eligibility(request, on_date=app.start_date)
    except ApiProblem as problem:  # the city or its directory changed since filing
        return _to_staff(None, problem.message)
    if decision.decision not in (D.ELIGIBLE, D.NEEDS_REVIEW):
        return _to_staff(decision, decision.reasons[0].text)
    state = fulfilled_state(decision, wire.FulfilmentMethod(app.fulfilment))
    note = both(STARTED_NOTES.get(state, STARTED_NOTE))
    if state not in APPROVING_STATES:
        return Start(state, note, decision)
    plan = plan_for(decision, state, policy, app.start_date, home_address(request, decision))
    photo_on = photo_date(decision, app.photo_sha256 is not None, filed_on)
    return Start(state, note, decision, plan.card_valid_until,
                 permit_row(request, plan, app.number, photo_on))


def _kept_request(office: PermitOffice,
                  number: str) -> tuple[wire.EligibilityRequest, dt.date] | None:
    row = office.store.deferred_request(number)
    if row is None:  # filed before requests were kept
        return None
    try:
        return wire.EligibilityRequest.model_validate_json(row.request_json), row.filed_on
    except ValidationError:  # kept under an older contract: let staff look
        return None


def _to_staff(decision: wire.EligibilityDecision | None, why: wire.Text) -> Start:
    """Not approvable on the start date: staff review, and the history says why."""
    return Start(S.UNDER_REVIEW, both("note.start_refused", why=why), decision)
