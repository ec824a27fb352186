"""The codes central answers with, as enums both sides use.

An ``ApiError``'s ``code`` stays a plain string on the wire, so a kiosk keeps working when a
newer central answers a code it does not know (it shows the sentence central sent); these
enums are what each side writes and compares against.
"""

from __future__ import annotations

from enum import Enum


class TrustCode(str, Enum):
    """Central's refusals that are about the kiosk's credentials, not about the request: the
    kiosk keeps the work in its outbox (retrying the same request will not help)."""

    KIOSK_NOT_SIGNED = "kiosk_not_signed"
    KIOSK_NOT_ENROLLED = "kiosk_not_enrolled"
    KIOSK_REVOKED = "kiosk_revoked"
    BAD_SIGNATURE = "bad_signature"
    STALE_REQUEST = "stale_request"
    REPLAYED_REQUEST = "replayed_request"
    WRONG_KIOSK = "wrong_kiosk"

    @property
    def lasting(self) -> bool:
        """True when every request will be refused the same way until a technician enrols
        the kiosk again: the kiosk goes out of service. A stale or replayed request is
        about that one request (its clock, its nonce)."""
        return self not in (TrustCode.STALE_REQUEST, TrustCode.REPLAYED_REQUEST)


# The kiosk's own finding, never sent by central: an answer not signed by the central it
# enrolled with. As lasting as a revoked enrolment.
CENTRAL_UNSIGNED = "central_unsigned"

# What takes a kiosk out of service until a technician enrols it again.
OUT_OF_SERVICE_TRUST_CODES = frozenset(
    {c.value for c in TrustCode if c.lasting} | {CENTRAL_UNSIGNED})


class ApiErrorCode(str, Enum):
    """Every other code an ``ApiError`` carries. The resident's sentence comes with it."""

    # any route
    INVALID_REQUEST = "invalid_request"  # the body or the path does not validate (422)
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    INTERNAL_ERROR = "internal_error"
    DATABASE_UNAVAILABLE = "database_unavailable"
    BUSY = "busy"
    FORM_TOO_LARGE = "form_too_large"
    # permits
    UNKNOWN_CITY = "unknown_city"
    UNKNOWN_APPLICATION = "unknown_application"
    UNKNOWN_ADDRESS = "unknown_address"
    UNKNOWN_STATION = "unknown_station"
    WRONG_SERVICE = "wrong_service"
    DECLARATION_INCOMPLETE = "declaration_incomplete"
    IDEMPOTENCY_KEY_MISMATCH = "idempotency_key_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    STATE_CONFLICT = "state_conflict"
    FULFILMENT_NOT_AVAILABLE = "fulfilment_not_available"
    COURIER_ADDRESS_MISSING = "courier_address_missing"
    PHOTO_INVALID = "photo_invalid"
    NOT_APPLICABLE = "not_applicable"  # filed against a refusal (not required, ineligible)
    NOT_YET_ELIGIBLE = "not_yet_eligible"  # filed early without asking to defer
    # identity (人证合一 against the population registry)
    PHOTO_TOO_LARGE = "photo_too_large"  # the live JPEG is over central's limit (413)
    TOO_MANY_FACE_CHECKS = "too_many_face_checks"  # this kiosk's per-minute limit (429)
    REGISTRY_UNAVAILABLE = "registry_unavailable"  # no registry or no face code here (501/503)
    # enrolment
    BAD_PUBLIC_KEY = "bad_public_key"
    ENROLMENT_REFUSED = "enrolment_refused"


def http_code(status: int) -> str:
    """The code of an HTTP error no route raised itself (``http_405`` ...)."""
    return f"http_{status}"
