"""Enrolling this kiosk with a one-time code: typed on the diagnostics keypad or at the
command line, or read from the QR code central prints (``protocol.enrolment``).

The kiosk makes a new Ed25519 key, sends its public half with the code, and keeps central's
key from the answer. A QR code also carries the fingerprint of central's key: the kiosk
refuses an answer signed by any other central, so a QR code cannot be used against an
impostor. The old key (a re-enrolment) is replaced only once central has said yes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.errors import CentralRejected, InvalidInput
from kiosk.fleet import credentials as stored
from kiosk.fleet.central_client import CentralClient
from kiosk.fleet.credentials import Credentials
from protocol import signing
from protocol.enrolment import (
    CODE_LENGTH,
    EnrolmentTicket,
    NotAnEnrolmentCode,
    normalise_code,
    well_formed,
)


def read_qr_payload(text: str) -> EnrolmentTicket:
    """Raises InvalidInput for anything that is not central's enrolment QR code."""
    try:
        return EnrolmentTicket.parse(text)
    except NotAnEnrolmentCode as exc:
        raise InvalidInput(str(exc), code="enrolment_qr_unknown") from None


def typed_code(text: str) -> EnrolmentTicket:
    if not well_formed(text):
        raise InvalidInput(f"an enrolment code has {CODE_LENGTH} letters and digits",
                           code="enrolment_code_format")
    return EnrolmentTicket(code=normalise_code(text))


def ticket_in_frame(frame) -> EnrolmentTicket | None:
    """The enrolment QR code in a camera frame (drivers.camera.base.Frame), if one is there
    and readable. Any other QR code in view is not an enrolment ticket: None."""
    import cv2  # OpenCV comes with the photo checks; imported here to keep start-up light
    import numpy as np

    image = np.frombuffer(frame.rgb, np.uint8).reshape(frame.height, frame.width, 3)
    text, _points, _ = cv2.QRCodeDetector().detectAndDecode(
        cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
    if not text:
        return None
    try:
        return read_qr_payload(text)
    except InvalidInput:
        return None


def scan_for_ticket(camera, timeout_s: float = 20.0, sleep_s: float = 0.15) -> EnrolmentTicket:
    """Look at the camera's frames until an enrolment QR code is read; raises InvalidInput
    (code enrolment_qr_none) when none is seen in time. The camera is started if needed
    and stopped again if this started it."""
    import time

    started = False
    if camera.latest_frame() is None:
        camera.start()
        started = True
    try:
        deadline, seen = time.monotonic() + timeout_s, -1
        while time.monotonic() < deadline:
            frame = camera.latest_frame()
            if frame is not None and frame.seq != seen:
                seen = frame.seq
                ticket = ticket_in_frame(frame)
                if ticket is not None:
                    return ticket
            time.sleep(sleep_s)
    finally:
        if started:
            camera.stop()
    raise InvalidInput("no enrolment QR code seen", code="enrolment_qr_none")


@dataclass(frozen=True)
class Enrolled:
    kiosk_id: str
    hall_id: str
    central_fingerprint: str
    credentials: Credentials


def enrol(config: KioskConfig, ticket: EnrolmentTicket) -> Enrolled:
    """Enrol and keep the credentials. Raises InvalidInput (a QR code for another kiosk or
    central), CentralRejected (central said no: code wrong, used or expired) or
    CentralUnavailable (try again)."""
    if ticket.kiosk_id and ticket.kiosk_id != config.kiosk_id:
        raise InvalidInput(f"the code is for kiosk {ticket.kiosk_id}, this is {config.kiosk_id}",
                           code="enrolment_other_kiosk")
    if ticket.url and ticket.url.rstrip("/") != config.central.url.rstrip("/"):
        raise InvalidInput("the code is for another central server", code="enrolment_other_central")
    key = stored.new_key()
    with CentralClient(base_url=config.central.url, kiosk_id=config.kiosk_id,
                       timeout_s=config.central.timeout_s, retries=config.central.retries) as c:
        answer = c.enrol(ticket.code, signing.public_key_text(key))
    fp = signing.fingerprint(answer.central_public_key)
    if ticket.central_fingerprint and ticket.central_fingerprint != fp:
        raise CentralRejected("central's key is not the one the QR code names",
                              code="enrolment_wrong_central", status=200)
    creds = Credentials(kiosk_id=answer.kiosk_id, hall_id=answer.hall_id, key=key,
                        central_key=signing.load_public_key(answer.central_public_key))
    stored.save(Path(config.storage.path()), creds)
    return Enrolled(kiosk_id=answer.kiosk_id, hall_id=answer.hall_id, central_fingerprint=fp,
                    credentials=creds)
