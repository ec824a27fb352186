"""Typed errors the resident and the technician can act on.

``code`` is stable: the translation catalog holds the resident's sentence under ``error.<code>``,
and technicians search logs for it. ``detail`` is the technician's words (the device's or the
server's own), never personal data. Keep this a flat list of small classes.
"""

from __future__ import annotations

from protocol import wire


class KioskError(Exception):
    """Base of every error the kiosk expects and knows how to explain."""

    code = "kiosk_error"

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        super().__init__(detail or self.code)
        if code:
            self.code = code
        self.detail = detail


class CentralError(KioskError):
    """Talking to the central API failed."""

    code = "central_error"


class CentralUnavailable(CentralError):
    """Network error, timeout or 5xx: worth trying again later; the outbox keeps the work."""

    code = "central_unavailable"

    def __init__(self, detail: str = "", *, code: str | None = None,
                 status: int | None = None, retry_after_s: float | None = None) -> None:
        super().__init__(detail, code=code)
        self.status = status
        self.retry_after_s = retry_after_s


class KioskNotTrusted(CentralUnavailable):
    """Central does not accept this kiosk's credentials (not enrolled, revoked, a signature
    that does not verify), or an answer is not signed by the central this kiosk enrolled with.
    Like an outage for the work in hand: the outbox keeps every application until a
    technician enrols the kiosk again. ``code`` is central's (kiosk_revoked ...)."""

    code = "kiosk_not_trusted"


class CentralRejected(CentralError):
    """A 4xx answer: the server understood and said no. Retrying the same request will not help.

    ``code`` is the server's ``ApiError.code``; ``message`` its sentence for the resident.
    """

    code = "central_rejected"

    def __init__(self, detail: str = "", *, code: str | None = None, status: int = 400,
                 message: wire.Text | None = None) -> None:
        super().__init__(detail, code=code)
        self.status = status
        self.message = message


class OutboxError(KioskError):
    """The durable outbox cannot be used (bad key file, unwritable database)."""

    code = "outbox_error"


class JournalError(KioskError):
    """The side-effect journal was used wrongly or cannot be written."""

    code = "journal_error"


class StorageUnavailable(KioskError):
    """The kiosk's own files cannot be written (read-only, full or corrupt): a state the
    kiosk shows and heals from, not a crash. ``code`` is one of ``kiosk.effects.storage``'s."""

    code = "storage_unwritable"


class InvalidInput(KioskError):
    """What the resident entered cannot be accepted; ``code`` names the translated message."""

    code = "invalid_input"
