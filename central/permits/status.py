"""What an application's state means to the resident: a label and the next step, in both languages.

Shared by the JSON status answers and the tracking page, so the kiosk, the receipt's QR code
and the phone all say the same thing. The words are in the catalogs (ids ``state.*`` and
``next.*``); this module picks which to say.
"""

from __future__ import annotations

from sqlalchemy import Row

from central.i18n import Joined, both
from central.permits.policy import CityPolicy
from central.storage import db
from protocol import wire

S = wire.ApplicationState
T = wire.Text

STATE_LABELS: dict[wire.ApplicationState, str] = {
    S.RECEIVED: "state.received",
    S.DEFERRED: "state.deferred",
    S.AWAITING_DOCUMENTS: "state.awaiting_documents",
    S.UNDER_REVIEW: "state.under_review",
    S.APPROVED: "state.approved",
    S.CARD_PRINTED: "state.card_printed",
    S.IN_DELIVERY: "state.in_delivery",
    S.READY_FOR_PICKUP: "state.ready_for_pickup",
    S.REJECTED: "state.rejected",
}


def state_label(state: wire.ApplicationState) -> wire.Text:
    return both(STATE_LABELS[state])


def next_step(app: Row, policy: CityPolicy | None) -> wire.Text:
    """The one thing the resident should do (or know) now."""
    state = S(app.state)
    if state is S.DEFERRED and app.start_date:
        return both("next.deferred", start=app.start_date)
    if state is S.AWAITING_DOCUMENTS:
        return _bring_documents(app)
    if state is S.READY_FOR_PICKUP:
        return _collect_at(app, policy)
    if state is S.CARD_PRINTED and app.card_valid_until:
        return both("next.card_printed", valid_until=app.card_valid_until)
    return both(FIXED_STEPS.get(state, FIXED_STEPS[S.RECEIVED]))


FIXED_STEPS: dict[wire.ApplicationState, str] = {
    S.RECEIVED: "next.received",
    S.UNDER_REVIEW: "next.under_review",
    S.APPROVED: "next.approved",
    S.IN_DELIVERY: "next.in_delivery",
    S.REJECTED: "next.rejected",
}


def _bring_documents(app: Row) -> wire.Text:
    decision = wire.EligibilityDecision.model_validate_json(app.decision_json)
    documents = Joined((d.text for d in decision.documents_to_bring), "punct.semicolon")
    return both("next.bring_documents", documents=documents)


def _collect_at(app: Row, policy: CityPolicy | None) -> wire.Text:
    station = policy.station(app.pickup_station) if policy and app.pickup_station else None
    if station is None:
        return both("next.collect")
    return both("next.collect_at", station=station.name.text(), address=station.address.text())


def application_status(app: Row, events: list[Row],
                       policy: CityPolicy | None) -> wire.ApplicationStatus:
    history = [wire.StatusEvent(at=db.utc(e.at), state=S(e.state),
                                note=T(zh_CN=e.note_zh, en=e.note_en) if e.note_zh else None)
               for e in events]
    return wire.ApplicationStatus(
        application_number=app.number, state=S(app.state), service=wire.Service(app.service),
        city=app.city, start_date=app.start_date, card_valid_until=app.card_valid_until,
        fulfilment=wire.FulfilmentMethod(app.fulfilment), history=history,
        next_step=next_step(app, policy))
