"""Everything one resident gave the kiosk, in one object that is wiped when they leave.

Nothing personal is kept anywhere else in memory: screens read from here, and
``wipe()`` overwrites the photo bytes and drops every reference, whether the
session ended by success, cancel, idle timeout or crash recovery.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from enum import Enum

from drivers.reader.base import AccessKey, AccessKind, IdentityDocument
from kiosk.journey.steps import Step
from kiosk.photo.shots import PhotoShot, best_index
from protocol import wire


class PhotoPurpose(Enum):
    """Why the photo step is up, which says where it leads once a picture is accepted."""

    DECISION = "decision"  # central asked for it before telling its decision
    DEFERRAL = "deferral"  # for the application that starts by itself on its date
    STAFF_REVIEW = "staff_review"  # for the application filed for staff (central unreachable)


@dataclass
class Problem:
    """Why the journey stopped, and where 'try again' leads. ``code`` is a catalog id."""

    code: str
    retry_step: Step | None = None  # where "try again" leads; None: only "finish"
    detail: str = ""  # technician words, never personal data
    message: wire.Text | None = None  # the central system's own sentence, when it sent one


@dataclass
class Outcome:
    """What was submitted and what the resident takes home (no raw personal data)."""

    application_number: str | None = None
    receipt: wire.ApplicationReceipt | None = None
    tracking_url: str = ""  # the receipt's QR code: central's link, or the kiosk's reference
    queued_offline: bool = False  # in the outbox: 'accepted, will be confirmed'
    card_printed: bool = False
    card_fallback: str | None = None  # reason code when a card could not be printed here
    receipt_printed: bool = False
    receipt_problem: str | None = None  # e.g. paper_out: show the QR on screen instead


@dataclass
class ResidentSession:
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    language: str = "zh_CN"
    service: wire.Service | None = None
    access: AccessKind = AccessKind.NONE
    can_allowed: bool = False  # the chip takes its 6-digit CAN as well as the MRZ
    access_key: AccessKey | None = None
    read_progress: float = 0.0
    read_interruptions: int = 0  # times the document was lifted mid-read this session
    read_paused: bool = False  # lifted mid-read: waiting for it to come back
    document: IdentityDocument | None = None
    records: wire.RecordsSummary | None = None  # what central knows before the declaration
    since: dt.date | None = None
    address: wire.Address | None = None
    condition: wire.Condition | None = None
    sponsor: str | None = None
    photo_jpeg: bytearray | None = None  # the chosen shot's picture; None while the camera is live
    face_check: wire.FaceCheck | None = None  # the live face against the chip's: a distance
    photo_shots: list[PhotoShot] = field(default_factory=list)  # this session's pictures
    chosen_shot: int | None = None
    decision: wire.EligibilityDecision | None = None
    central_unreachable: bool = False
    photo_purpose: PhotoPurpose | None = None
    defer: bool = False
    staff_review: bool = False
    fulfilment: wire.Fulfilment | None = None
    idempotency_key: str = field(default_factory=lambda: uuid.uuid4().hex)
    outcome: Outcome = field(default_factory=Outcome)
    problem: Problem | None = None
    status_results: list[wire.ApplicationStatus] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def __repr__(self) -> str:
        return f"ResidentSession(id={self.id}, service={self.service})"

    def declaration(self) -> wire.ResidenceDeclaration | None:
        if self.since is None or self.address is None or self.condition is None:
            return None
        return wire.ResidenceDeclaration(since=self.since, address=self.address,
                                         condition=self.condition, sponsor=self.sponsor)

    def applicant(self) -> wire.Applicant | None:
        doc = self.document
        if doc is None:
            return None
        return wire.Applicant(
            document_type=doc.document_type, document_number=doc.document_number,
            name=doc.name, sex=doc.sex, birth_date=doc.birth_date,
            nationality=doc.nationality, document_expiry=doc.expiry_date,
            household_city=doc.household_city,
            document_review_reasons=list(doc.review_reasons))

    @property
    def document_review(self) -> bool:
        """Who applies is not fully proven: the document (no CSCA for its state) or the face
        on it (人证合一 not a clear match). Staff check before any card is made."""
        face_unproven = self.face_check is not None and self.face_check.verdict != "match"
        return bool(self.document is not None and self.document.review_reasons) or face_unproven

    def set_photo(self, jpeg: bytes | None) -> None:
        """One picture and nothing else: every earlier shot is wiped (tests, status flows)."""
        self._erase_photo()
        if jpeg is not None:
            self.add_shot(PhotoShot(bytearray(jpeg)))

    def add_shot(self, shot: PhotoShot) -> int:
        """A new picture, shown to the resident at once: it becomes the chosen one."""
        self.photo_shots.append(shot)
        self.choose_shot(len(self.photo_shots) - 1)
        return len(self.photo_shots) - 1

    def choose_shot(self, index: int | None) -> None:
        """Show (and, if accepted, submit) shot ``index``; None goes back to the camera."""
        shot = self.photo_shots[index] if index is not None else None
        self.chosen_shot = index
        self.photo_jpeg = shot.jpeg if shot is not None else None
        self.face_check = shot.face_check if shot is not None else None

    @property
    def best_shot(self) -> int | None:
        return best_index(self.photo_shots)

    def keep_chosen_shot(self) -> None:
        """The resident settled on a picture: wipe the others now, not at session end."""
        if self.chosen_shot is None:
            return
        chosen = self.photo_shots[self.chosen_shot]
        for shot in self.photo_shots:
            if shot is not chosen:
                shot.erase()
        self.photo_shots = [chosen]
        self.choose_shot(0)

    def _erase_photo(self) -> None:
        for shot in self.photo_shots:
            shot.erase()
        if self.photo_jpeg is not None:
            self.photo_jpeg[:] = bytes(len(self.photo_jpeg))
        self.photo_shots, self.chosen_shot, self.photo_jpeg = [], None, None

    def wipe(self) -> None:
        """Overwrite what can be overwritten and drop every reference to personal data."""
        self._erase_photo()
        if self.document is not None and self.document.photo_jpeg is not None:
            self.document.photo_jpeg = None
        for name in ("document", "access_key", "records", "since", "address", "condition",
                     "sponsor", "decision", "fulfilment", "problem", "face_check",
                     "photo_purpose"):
            setattr(self, name, None)
        self.status_results = []
        self.outcome = Outcome()
