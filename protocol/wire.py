"""The wire contract between kiosks and the central API.

This is the only module the kiosk and the central server share. It holds
pydantic models for every request and response; the OpenAPI document in
``central/openapi.json`` is generated from the server built on them, and a
test fails when that file is stale. Keep this module free of FastAPI and of
anything else only the server needs: the kiosk imports it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

API_PREFIX = "/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"


# Characters no field may carry: NUL and the other control characters (tab, line feed and
# carriage return excepted, which sentences may hold), and lone UTF-16 surrogates, which
# no text can encode. PostgreSQL refuses NUL in text outright; the rest only ever arrive
# by mistake or by intent.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
TEXT_MAX_CHARS = 4000  # any string without a bound of its own
ENCODED_MAX_CHARS = 8 * 1024 * 1024  # base64 payloads (``*_b64``): a photo, a scan


def check_text(value: str, bound: int = TEXT_MAX_CHARS) -> str:
    """Raise ValueError for a string no wire field may carry; the caller names the field."""
    if len(value) > bound:
        raise ValueError(f"longer than {bound} characters")
    if _UNSAFE.search(value):
        raise ValueError("control characters and lone surrogates are not allowed")
    return value


def _check_strings(value: object, bound: int) -> None:
    if isinstance(value, str):
        check_text(value, bound)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _check_strings(item, bound)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, bound)
            _check_strings(item, bound)


class WireModel(BaseModel):
    """Base for every wire model: unknown fields are rejected, not ignored, and every
    string is bounded and free of control characters (the error names the field)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _safe_strings(cls, value: object, info: ValidationInfo) -> object:
        name = info.field_name or ""
        _check_strings(value, ENCODED_MAX_CHARS if name.endswith("_b64") else TEXT_MAX_CHARS)
        return value


# A kiosk's id: it stands in URL paths and in central's 64-character columns, so the kiosk's
# own config, central's enrolment and the dashboard all hold it to this.
KIOSK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Service(str, Enum):
    """What the resident came to do."""

    NEW = "new"
    RENEWAL = "renewal"
    STATUS = "status"


class Condition(str, Enum):
    """The three conditions of DOMAIN.md; one must hold besides the waiting period."""

    EMPLOYMENT = "employment"  # 合法稳定就业
    HOME = "home"  # 合法稳定住所
    STUDY = "study"  # 连续就读


class Decision(str, Enum):
    ELIGIBLE = "eligible"
    NOT_YET = "not_yet"
    NOT_REQUIRED = "not_required"
    INELIGIBLE = "ineligible"
    NEEDS_REVIEW = "needs_review"


class FulfilmentMethod(str, Enum):
    PRINT_HERE = "print_here"
    COURIER = "courier"
    PICKUP = "pickup"


class ApplicationState(str, Enum):
    RECEIVED = "received"  # accepted, being processed
    DEFERRED = "deferred"  # filed now, starts automatically on start_date
    AWAITING_DOCUMENTS = "awaiting_documents"  # one-time notification list pending
    UNDER_REVIEW = "under_review"  # staff review
    APPROVED = "approved"
    CARD_PRINTED = "card_printed"  # handed out at the kiosk
    IN_DELIVERY = "in_delivery"
    READY_FOR_PICKUP = "ready_for_pickup"
    REJECTED = "rejected"


class Text(WireModel):
    """A sentence in both languages the kiosk speaks."""

    zh_CN: str
    en: str


class Reason(WireModel):
    """Why a decision came out as it did: a stable code and a plain sentence."""

    code: str = Field(description="Stable machine code, e.g. 'waiting_period_not_met'.")
    text: Text


class RequiredDocument(WireModel):
    """One entry of the one-time notification list (一次性告知单)."""

    code: str
    text: Text


class Station(WireModel):
    """A police station or service hall where a card can be collected."""

    code: str
    name: Text
    address: Text


class Community(WireModel):
    code: str
    name: Text


class District(WireModel):
    code: str
    name: Text
    communities: list[Community]


class CityDirectory(WireModel):
    """The city's districts and communities, so residents pick an address instead of typing it."""

    city: str
    name: Text
    districts: list[District]


class Address(WireModel):
    """A residence address, chosen from the city's directory plus a house number."""

    district: str = Field(description="District code from the city's directory.")
    community: str = Field(description="Community (社区) code from the city's directory.")
    detail: str = Field(min_length=1, max_length=80, description="Building, unit and room.")


EARLIEST_DATE = dt.date(1900, 1, 1)


def _not_after_today(value: dt.date, what: str) -> dt.date:
    """No date a person states lies in the future, or before 1900. "Today" allows a day of
    leeway: the sender's date may be a zone ahead of the receiver's."""
    if value < EARLIEST_DATE:
        raise ValueError(f"{what} before {EARLIEST_DATE:%Y}")
    if value > dt.date.today() + dt.timedelta(days=1):
        raise ValueError(f"{what} in the future")
    return value


class ResidenceDeclaration(WireModel):
    since: dt.date
    address: Address
    condition: Condition
    sponsor: str | None = Field(
        default=None, max_length=80,
        description="Employer (employment), school (study); None for home.")

    @field_validator("since")
    @classmethod
    def _since_plausible(cls, value: dt.date) -> dt.date:
        return _not_after_today(value, "a residence that starts")


class Applicant(WireModel):
    """Who applies, as read from the identity document."""

    document_type: str
    document_number: str = Field(min_length=4, max_length=32)
    name: str
    sex: str = Field(pattern="^[MFX]$")
    birth_date: dt.date
    nationality: str = Field(min_length=3, max_length=3)
    document_expiry: dt.date | None = None
    household_city: str | None = Field(
        default=None, description="City of household registration (户籍), when the document says.")
    document_review_reasons: list[str] = Field(
        default_factory=list, max_length=8,
        description="Why staff must check the identity document before a card is issued, "
                    "e.g. no_csca_for_country (its issuing state is not in the kiosk's trust "
                    "store). Empty when the chip was proven genuine.")

    @field_validator("birth_date")
    @classmethod
    def _born_plausibly(cls, value: dt.date) -> dt.date:
        return _not_after_today(value, "a birth date")

    @field_validator("document_expiry")
    @classmethod
    def _expiry_plausible(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and not EARLIEST_DATE <= value <= dt.date(2200, 1, 1):
            raise ValueError("a document expiry outside 1900-2200")
        return value


class EligibilityRequest(WireModel):
    city: str
    service: Service
    applicant: Applicant
    declaration: ResidenceDeclaration | None = Field(
        default=None, description="None for a renewal that keeps what the central system has.")
    on_date: dt.date | None = Field(default=None, description="Decide as of this day; today if None.")

    @field_validator("on_date")
    @classmethod
    def _on_date_near(cls, value: dt.date | None) -> dt.date | None:
        """A question about a day within a year back and ten years ahead, no further."""
        today = dt.date.today()
        if value is not None and not (today - dt.timedelta(days=366) <= value
                                      <= today + dt.timedelta(days=3660)):
            raise ValueError("on_date more than a year back or ten years ahead")
        return value

    @model_validator(mode="after")
    def _residence_after_birth(self) -> EligibilityRequest:
        if self.declaration is not None and self.declaration.since < self.applicant.birth_date:
            raise ValueError("declaration.since is before applicant.birth_date")
        return self


class PermitOnFile(WireModel):
    """The permit the central system already holds, reused by a renewal."""

    permit_number: str
    valid_until: dt.date
    address: Address
    condition: Condition
    sponsor: str | None = None
    photo_taken_on: dt.date


class EligibilityDecision(WireModel):
    decision: Decision
    reasons: list[Reason]
    documents_to_bring: list[RequiredDocument] = []
    eligible_from: dt.date | None = Field(
        default=None, description="For not_yet: the first day an application can start.")
    registration_date: dt.date | None = Field(
        default=None, description="Residence registration (居住登记) the period counts from.")
    registration_needed: bool = Field(
        default=False, description="No registration on record: applying registers residence today.")
    validity_years: int | None = None
    photo_required: bool = Field(
        default=True, description="False for a renewal whose photo on file is still valid.")
    print_here_allowed: bool = False
    pickup_stations: list[Station] = []
    known_sponsors: list[str] = Field(
        default=[], description="Employers or schools shared records show, to offer as choices.")
    permit_on_file: PermitOnFile | None = None


class RecordsRequest(WireModel):
    """What does central already know about this resident? Asked while they check their details."""

    city: str
    applicant: Applicant


class RecordsSummary(WireModel):
    """Shared records offered back as choices, and a refusal known before any declaration."""

    registration_date: dt.date | None = None
    employers: list[str] = Field(default=[], description="From social insurance.")
    schools: list[str] = Field(default=[], description="From enrolment records.")
    refusal: EligibilityDecision | None = Field(
        default=None,
        description="Set when the answer is already no (local, aged, expired, exempt), "
                    "whatever the resident would declare: they are told before declaring.")


class Fulfilment(WireModel):
    method: FulfilmentMethod
    courier_address: Address | None = None
    pickup_station: str | None = None


class FaceCheck(WireModel):
    """人证合一: the live photo against the document chip's photo, as a distance only.

    The face templates themselves are personal data and never leave the kiosk's session.
    Anything but "match" sends the application to staff review; nobody is accused.
    """

    verdict: Literal["match", "no_match", "unsure", "no_face"]
    distance: float | None = Field(default=None, ge=0)
    threshold: float = Field(gt=0)


FACE_CHECK_PATH = "/identity/face-check"  # under API_PREFIX
FACE_CHECK_MAX_JPEG_BYTES = 2 * 1024 * 1024  # the contract's bound; central's own may be lower


class RegistryFaceCheckRequest(WireModel):
    """人证合一 against the population registry, for a document whose photo the kiosk
    cannot read (the ID card's photo is WLT, a format only the reader vendor's decoder
    expands): the document, and the live face as a JPEG (base64 in JSON). Only signed
    kiosks may ask."""

    model_config = ConfigDict(extra="forbid", ser_json_bytes="base64", val_json_bytes="base64")

    document_type: str = Field(pattern=r"^[a-z_]{1,32}$")  # "id_card" (citizen number) ...
    document_number: str = Field(pattern=r"^[0-9A-Za-z]{4,32}$")
    live_jpeg: bytes = Field(max_length=FACE_CHECK_MAX_JPEG_BYTES)

    def __repr__(self) -> str:  # never the number or the face
        return f"RegistryFaceCheckRequest(document_type={self.document_type!r}, hidden)"

    __str__ = __repr__


class RegistryFaceCheck(WireModel):
    """Central's answer: a verdict and a distance, nothing else of the resident (never the
    registry photo, nor any template). ``threshold`` is the one central compared against.
    "no_reference": the registry holds no photo for this document; "no_face": no face
    was found in the live image (or in the registry photo)."""

    verdict: Literal["match", "no_match", "unsure", "no_face", "no_reference"]
    distance: float | None = Field(default=None, ge=0)
    threshold: float = Field(gt=0)


class ApplicationSubmission(WireModel):
    idempotency_key: str = Field(min_length=16, max_length=64)
    kiosk_id: str
    city: str
    service: Service
    applicant: Applicant
    declaration: ResidenceDeclaration | None = None
    photo_jpeg_b64: str | None = None
    fulfilment: Fulfilment
    defer_until_eligible: bool = Field(
        default=False,
        description="not_yet accepted: register residence now, start on eligible_from, courier.")
    staff_review_requested: bool = Field(
        default=False, description="Filed without a decision (central was unreachable).")
    face_check: FaceCheck | None = Field(
        default=None, description="The kiosk's comparison of the live face with the chip's "
        "photo; None when the document carries no photo.")
    submitted_at: dt.datetime

    @model_validator(mode="after")
    def _residence_after_birth(self) -> ApplicationSubmission:
        if self.declaration is not None and self.declaration.since < self.applicant.birth_date:
            raise ValueError("declaration.since is before applicant.birth_date")
        return self


class ApplicationReceipt(WireModel):
    application_number: str
    state: ApplicationState
    decision: EligibilityDecision
    tracking_url: str
    start_date: dt.date | None = None
    card_valid_until: dt.date | None = None
    replayed: bool = Field(default=False, description="True when the key was seen before.")


class StatusEvent(WireModel):
    at: dt.datetime
    state: ApplicationState
    note: Text | None = None


class ApplicationStatus(WireModel):
    application_number: str
    state: ApplicationState
    service: Service
    city: str
    start_date: dt.date | None = None
    card_valid_until: dt.date | None = None
    fulfilment: FulfilmentMethod
    history: list[StatusEvent]
    next_step: Text


class StatusLookup(WireModel):
    """Find applications by document (in the body, so numbers never reach access logs)."""

    document_number: str


class StatusLookupResult(WireModel):
    applications: list[ApplicationStatus]


class DeviceHealthReport(WireModel):
    state: str
    code: str = ""
    detail: str = ""


class SupplyReport(WireModel):
    """One printer supply: its level, what is left, and when it runs out at the recent pace."""

    device: str
    supply: str = Field(description="paper, cards or ribbon")
    level: str = Field(description="ok, low, empty or unknown")
    remaining: int | None = None
    per_hour: float | None = Field(default=None, description="Use per hour over the recent window.")
    hours_to_empty: float | None = Field(
        default=None, description="At the recent pace; None when not counted or not used lately.")


class ServiceHours(WireModel):
    """When the kiosk serves residents, in the hall's local time; outside them it shows
    the hours and where to go instead. ``opens == closes`` means around the clock;
    ``closes`` before ``opens`` runs past midnight."""

    opens: dt.time = dt.time(0, 0)
    closes: dt.time = dt.time(0, 0)

    def open_at(self, at: dt.time) -> bool:
        if self.opens == self.closes:
            return True
        if self.opens < self.closes:
            return self.opens <= at < self.closes
        return at >= self.opens or at < self.closes


class KioskSettings(WireModel):
    """What a hall manager sets from the fleet dashboard. The kiosk validates what it is
    sent with this same model (and its own config limits) before applying anything."""

    maintenance: bool = Field(
        default=False, description="Out of service for residents; diagnostics stay open.")
    service_hours: ServiceHours = Field(default_factory=ServiceHours)
    enabled_services: list[Service] = Field(
        default_factory=lambda: [Service.NEW, Service.RENEWAL, Service.STATUS], min_length=1)
    attract_notice: Text | None = Field(
        default=None, description="A short notice on the attract screen, in both languages.")

    @field_validator("attract_notice")
    @classmethod
    def _showable_notice(cls, value: Text | None) -> Text | None:
        """Short, in both languages, and nothing a screen cannot draw."""
        if value is None:
            return value
        if max(len(value.zh_CN), len(value.en)) > NOTICE_MAX_CHARS:
            raise ValueError(f"the notice is longer than {NOTICE_MAX_CHARS} characters")
        if not value.zh_CN.strip() or not value.en.strip():
            raise ValueError("both zh_CN and en are needed")
        if any(unicodedata.category(ch).startswith("C") and ch != "\n"
               for ch in value.zh_CN + value.en):
            raise ValueError("control characters cannot be shown")
        return value


NOTICE_MAX_CHARS = 160
# Journey durations are counted in these buckets (upper bounds, seconds), so a hall's
# median can be estimated from all its kiosks without sending any single journey.
DURATION_BUCKETS_S: tuple[int, ...] = (60, 120, 180, 240, 300, 420, 600, 900, 1200, 1800)


class JourneyDay(WireModel):
    """One kiosk's journeys on one local day: counts only, never who."""

    day: dt.date
    started: int = Field(default=0, ge=0)
    completed: int = Field(default=0, ge=0)
    abandoned_at: dict[str, int] = Field(
        default_factory=dict, description="Journeys left unfinished, by the step they left at.")
    decisions: dict[str, int] = Field(default_factory=dict, description="By Decision value.")
    cards_printed_here: int = Field(default=0, ge=0)
    cards_queued: int = Field(default=0, ge=0, description="Courier or pickup instead.")
    duration_buckets: list[int] = Field(
        default_factory=list, description="Completed journeys per DURATION_BUCKETS_S bucket, "
        "with one more for longer ones.")


class SettingsApplied(WireModel):
    """What the kiosk did with the settings of ``revision``."""

    revision: int = Field(ge=0)
    applied_at: dt.datetime
    errors: list[str] = Field(default_factory=list, description="Why a setting was refused.")


class Heartbeat(WireModel):
    software_version: str
    sent_at: dt.datetime
    health: dict[str, DeviceHealthReport] = {}
    outbox_depth: int = 0
    outbox_oldest_s: float | None = Field(
        default=None, description="Age of the oldest unsent application: a stuck outbox.")
    journeys_completed: int = 0
    supplies: list[SupplyReport] = []
    journeys: list[JourneyDay] = Field(
        default_factory=list, description="Today and any day not yet acknowledged.")
    settings_applied: SettingsApplied | None = None
    in_service: bool = True
    out_of_service_reason: str = ""


class HeartbeatAnswer(WireModel):
    server_time: dt.datetime
    settings_revision: int = Field(default=0, ge=0)
    settings: KioskSettings | None = Field(
        default=None, description="Sent when settings_revision is newer than the kiosk's.")


class EnrolmentRequest(WireModel):
    """A kiosk enrolling: the one-time code a technician typed or scanned, and the public
    half of the Ed25519 key the kiosk has just made (raw, base64)."""

    code: str = Field(min_length=4, max_length=32)
    public_key: str = Field(min_length=40, max_length=64)


class EnrolmentAnswer(WireModel):
    kiosk_id: str
    hall_id: str
    central_public_key: str = Field(description="Ed25519, raw, base64: answers are signed "
                                                "with it; the kiosk pins it.")


class ApiError(WireModel):
    """Every non-2xx answer carries this body."""

    code: str
    message: Text


class CardPrintOutcome(WireModel):
    """POST /applications/{number}/card-printed: did the print_here card come out?"""

    printed: bool = Field(
        description="True: handed out (card_printed). False: mail it instead (in_delivery).")


class Health(WireModel):
    """GET /health answers 200 with status 'ok' while the server and its database answer."""

    status: str = "ok"
