"""Filing applications: recompute the decision, choose the state, store exactly once per key.

The kiosk's own decision is never trusted; the server decides again from its records. A kiosk
that lost the answer resends the same body with the same key and gets the same receipt back
(replayed=true); the same key with another body is a kiosk bug and gets 409.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from central.errors import ApiProblem
from central.i18n import both
from central.permits.dates import add_years
from central.permits.office import PermitOffice, check_address
from central.permits.policy import CityPolicy
from protocol import wire
from protocol.codes import ApiErrorCode

S = wire.ApplicationState
D = wire.Decision
M = wire.FulfilmentMethod
APPROVING_STATES = {S.APPROVED, S.IN_DELIVERY, S.READY_FOR_PICKUP}
NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone


@dataclass(frozen=True)
class Plan:
    """What the server will do with a submission, decided before anything is written."""

    decision: wire.EligibilityDecision
    state: wire.ApplicationState
    start_date: dt.date | None
    card_valid_until: dt.date | None
    address: wire.Address  # where the resident lives (and where a courier would go)


def body_digest(sub: wire.ApplicationSubmission) -> str:
    canonical = json.dumps(sub.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                           separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_application(office: PermitOffice, sub: wire.ApplicationSubmission,
                     header_key: str | None) -> tuple[wire.ApplicationReceipt, bool]:
    """The receipt, and True when this call created the application (False: a replay)."""
    check_key(sub, header_key)
    digest = body_digest(sub)
    existing = office.store.application_by_key(sub.idempotency_key)
    if existing is not None:
        return replay(existing, digest), False
    policy = office.policy(sub.city, status=422)
    plan = plan_application(office, sub, policy)
    for _ in range(5):
        number = new_number(policy, office.today(policy.code))
        receipt = wire.ApplicationReceipt(
            application_number=number, state=plan.state, decision=plan.decision,
            tracking_url=office.tracking_url(number), start_date=plan.start_date,
            card_valid_until=plan.card_valid_until)
        if _store(office, sub, plan, receipt, digest):
            return receipt, True
        existing = office.store.application_by_key(sub.idempotency_key)
        if existing is not None:  # a concurrent request with the same key won the race
            return replay(existing, digest), False
    raise ApiProblem(503, ApiErrorCode.BUSY, both("error.busy"))


def check_key(sub: wire.ApplicationSubmission, header_key: str | None) -> None:
    if header_key != sub.idempotency_key:
        raise ApiProblem(400, ApiErrorCode.IDEMPOTENCY_KEY_MISMATCH,
                         both("error.idempotency_key_mismatch"))


def replay(existing, digest: str) -> wire.ApplicationReceipt:
    if existing.body_sha256 != digest:
        raise ApiProblem(409, ApiErrorCode.IDEMPOTENCY_KEY_REUSED,
                         both("error.idempotency_key_reused"))
    receipt = wire.ApplicationReceipt.model_validate_json(existing.receipt_json)
    return receipt.model_copy(update={"replayed": True})


def new_number(policy: CityPolicy, today: dt.date) -> str:
    tail = "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(6))
    return f"{policy.number_prefix}-{today:%y%m%d}-{tail}"


def plan_application(office: PermitOffice, sub: wire.ApplicationSubmission,
                     policy: CityPolicy) -> Plan:
    """Decide again, then choose the state; refuse what cannot be filed, saying why."""
    request = request_of(sub)
    today = office.today(policy.code)
    decision = office.eligibility(request, on_date=today)
    state = choose_state(sub, decision)
    _check_fulfilment(sub, policy, state)
    _check_photo(sub)
    return plan_for(decision, state, policy, today, home_address(request, decision))


def request_of(sub: wire.ApplicationSubmission) -> wire.EligibilityRequest:
    """What the rules decide on: the submission without photo, fulfilment or kiosk choices."""
    return wire.EligibilityRequest(city=sub.city, service=sub.service,
                                   applicant=sub.applicant, declaration=sub.declaration)


def plan_for(decision: wire.EligibilityDecision, state: wire.ApplicationState,
             policy: CityPolicy, day: dt.date, address: wire.Address) -> Plan:
    """Dates follow the state: a deferral starts when eligible, an approval runs from `day`
    (a renewal from the old expiry if that is later)."""
    start, valid_until = None, None
    if state is S.DEFERRED:
        start = decision.eligible_from
    elif state in APPROVING_STATES:
        start = day
        renewal_base = decision.permit_on_file.valid_until if decision.permit_on_file else day
        valid_until = add_years(max(day, renewal_base), policy.validity_years)
    return Plan(decision, state, start, valid_until, address)


def choose_state(sub: wire.ApplicationSubmission,
                 decision: wire.EligibilityDecision) -> wire.ApplicationState:
    """The documented mapping from decision and kiosk choices to the first state."""
    if decision.decision in (D.INELIGIBLE, D.NOT_REQUIRED):
        raise ApiProblem.from_reason(422, ApiErrorCode.NOT_APPLICABLE, decision.reasons[0])
    if decision.decision is D.NOT_YET:
        if sub.defer_until_eligible:
            return S.DEFERRED
        if not sub.staff_review_requested:
            raise ApiProblem.from_reason(422, ApiErrorCode.NOT_YET_ELIGIBLE, decision.reasons[0])
    if sub.staff_review_requested or identity_review_reasons(sub):
        return review_state(decision)  # staff check the person and document before any card
    return fulfilled_state(decision, sub.fulfilment.method)


def identity_review_reasons(sub: wire.ApplicationSubmission) -> list[str]:
    """What the kiosk could not prove about who applies: the document, or the face on it."""
    reasons = list(sub.applicant.document_review_reasons)
    if sub.face_check is not None and sub.face_check.verdict != "match":
        reasons.append(f"face_{sub.face_check.verdict}")
    return reasons


def review_state(decision: wire.EligibilityDecision) -> wire.ApplicationState:
    """Staff look at it: with a one-time list of documents to bring, or without."""
    return S.AWAITING_DOCUMENTS if decision.documents_to_bring else S.UNDER_REVIEW


def fulfilled_state(decision: wire.EligibilityDecision,
                    method: wire.FulfilmentMethod) -> wire.ApplicationState:
    """eligible -> the fulfilment's approving state; needs_review -> review_state."""
    if decision.decision is not D.ELIGIBLE:
        return review_state(decision)
    return {M.PRINT_HERE: S.APPROVED, M.COURIER: S.IN_DELIVERY,
            M.PICKUP: S.READY_FOR_PICKUP}[method]


def _check_fulfilment(sub: wire.ApplicationSubmission, policy: CityPolicy,
                      state: wire.ApplicationState) -> None:
    f = sub.fulfilment
    if f.method is M.PRINT_HERE and (state is not S.APPROVED or not policy.print_here_allowed):
        raise ApiProblem(422, ApiErrorCode.FULFILMENT_NOT_AVAILABLE,
                         both("error.fulfilment_not_available"))
    if f.method is M.COURIER:
        if f.courier_address is None:
            raise ApiProblem(422, ApiErrorCode.COURIER_ADDRESS_MISSING,
                             both("error.courier_address_missing"))
        check_address(policy, f.courier_address)
    if f.method is M.PICKUP and policy.station(f.pickup_station or "") is None:
        raise ApiProblem(422, ApiErrorCode.UNKNOWN_STATION, both("error.unknown_station"))


def _check_photo(sub: wire.ApplicationSubmission) -> None:
    if sub.photo_jpeg_b64 is None:
        return
    try:
        photo = base64.b64decode(sub.photo_jpeg_b64, validate=True)
    except (binascii.Error, ValueError):
        photo = b""
    if not photo.startswith(b"\xff\xd8"):
        raise ApiProblem(422, ApiErrorCode.PHOTO_INVALID, both("error.photo_invalid"))


def home_address(request: wire.EligibilityRequest,
                 decision: wire.EligibilityDecision) -> wire.Address:
    if request.declaration is not None:
        return request.declaration.address
    assert decision.permit_on_file is not None  # a renewal without declaration has a permit
    return decision.permit_on_file.address


def _store(office: PermitOffice, sub: wire.ApplicationSubmission, plan: Plan,
           receipt: wire.ApplicationReceipt, digest: str) -> bool:
    now, today = office.clock.now(), office.today(sub.city)
    number = receipt.application_number
    event = {"application_number": number, "at": now, "state": plan.state.value,
             **_filing_note(plan)}
    return office.store.insert_application(
        _application_row(sub, plan, receipt, digest, now), event,
        _registration(sub, plan, today), _permit(sub, plan, number, today),
        _deferred(sub, plan, number, today))


def _application_row(sub: wire.ApplicationSubmission, plan: Plan,
                     receipt: wire.ApplicationReceipt, digest: str, now: dt.datetime) -> dict:
    courier = sub.fulfilment.courier_address
    photo_sha = (hashlib.sha256(sub.photo_jpeg_b64.encode()).hexdigest()
                 if sub.photo_jpeg_b64 else None)
    return {
        "number": receipt.application_number, "idempotency_key": sub.idempotency_key,
        "body_sha256": digest, "document_number": sub.applicant.document_number,
        "kiosk_id": sub.kiosk_id[:64], "city": sub.city, "service": sub.service.value,
        "state": plan.state.value, "fulfilment": sub.fulfilment.method.value,
        "pickup_station": sub.fulfilment.pickup_station,
        "delivery_address": (courier or plan.address).model_dump_json(),
        "start_date": plan.start_date, "card_valid_until": plan.card_valid_until,
        "photo_sha256": photo_sha,
        "review_reasons": ",".join(identity_review_reasons(sub)) or None,
        "face_check_json": sub.face_check.model_dump_json() if sub.face_check else None,
        "decision_json": plan.decision.model_dump_json(),
        "receipt_json": receipt.model_dump_json(), "created_at": now, "updated_at": now}


def _registration(sub: wire.ApplicationSubmission, plan: Plan, today: dt.date) -> dict | None:
    """A deferral with no residence registration on record registers residence today."""
    if plan.state is not S.DEFERRED or not plan.decision.registration_needed:
        return None
    return {"document_number": sub.applicant.document_number, "city": sub.city,
            "district": plan.address.district, "community": plan.address.community,
            "registered_on": today}


def _deferred(sub: wire.ApplicationSubmission, plan: Plan, number: str,
              today: dt.date) -> dict | None:
    """A deferral keeps its request, so the rules can decide again on the start date."""
    if plan.state is not S.DEFERRED:
        return None
    return {"application_number": number, "request_json": request_of(sub).model_dump_json(),
            "filed_on": today}


def _filing_note(plan: Plan) -> dict:
    registered = plan.state is S.DEFERRED and plan.decision.registration_needed
    note = both("note.filed_with_registration" if registered else "note.filed")
    return {"note_zh": note.zh_CN, "note_en": note.en}


def _permit(sub: wire.ApplicationSubmission, plan: Plan, number: str,
            today: dt.date) -> dict | None:
    if plan.state not in APPROVING_STATES:
        return None
    photo_taken_on = photo_date(plan.decision, bool(sub.photo_jpeg_b64), today)
    return permit_row(request_of(sub), plan, number, photo_taken_on)


def photo_date(decision: wire.EligibilityDecision, photo_sent: bool, taken_on: dt.date) -> dt.date:
    """A renewal's photo not resent keeps its old date; a new photo dates from `taken_on`."""
    on_file = decision.permit_on_file
    return on_file.photo_taken_on if on_file and not photo_sent else taken_on


def permit_row(request: wire.EligibilityRequest, plan: Plan, number: str,
               photo_taken_on: dt.date) -> dict:
    """The permit on file after approval; a renewal keeps its number."""
    on_file = plan.decision.permit_on_file
    said = request.declaration or on_file  # a renewal declares nothing: the permit says
    if said is None:
        raise ValueError("an approved application without a declaration or a permit on file")
    condition, sponsor = said.condition, said.sponsor
    return {"permit_number": on_file.permit_number if on_file else "P" + number,
            "document_number": request.applicant.document_number, "city": request.city,
            "valid_until": plan.card_valid_until, "district": plan.address.district,
            "community": plan.address.community, "detail": plan.address.detail,
            "condition": condition.value, "sponsor": sponsor, "photo_taken_on": photo_taken_on}
