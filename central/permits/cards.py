"""The card's fate after an on-the-spot approval: printed at the kiosk, or mailed instead.

A kiosk whose card printer jams must not leave an approved resident without a card, so a
failed print falls back to courier delivery to the address on the application.
"""

from __future__ import annotations

from central import errors
from central.errors import ApiProblem
from central.i18n import both
from central.permits.office import PermitOffice
from central.storage.store import StateConflict
from protocol import wire
from protocol.codes import ApiErrorCode

S = wire.ApplicationState
M = wire.FulfilmentMethod


def apply_card_outcome(office: PermitOffice, number: str,
                       outcome: wire.CardPrintOutcome) -> wire.ApplicationStatus:
    """Idempotent: telling the same outcome twice answers the same status."""
    app = office.store.application(number)
    if app is None:
        raise errors.unknown_application()
    target = S.CARD_PRINTED if outcome.printed else S.IN_DELIVERY
    already = app.state == target.value and (outcome.printed or app.fulfilment == M.COURIER.value)
    if not already:
        _move(office, app, target)
    return office.status(number)


def _move(office: PermitOffice, app, target: wire.ApplicationState) -> None:
    if app.fulfilment != M.PRINT_HERE.value:
        raise _conflict()
    now = office.clock.now()
    changes: dict = {"state": target.value, "updated_at": now}
    if target is S.CARD_PRINTED:
        note = both("note.card_printed")
    else:
        changes["fulfilment"] = M.COURIER.value
        note = both("note.card_not_printed")
    event = {"application_number": app.number, "at": now, "state": target.value,
             "note_zh": note.zh_CN, "note_en": note.en}
    try:
        office.store.transition(app.number, {S.APPROVED.value}, changes, event)
    except StateConflict:
        raise _conflict() from None


def _conflict() -> ApiProblem:
    return ApiProblem(409, ApiErrorCode.STATE_CONFLICT, both("error.state_conflict"))
