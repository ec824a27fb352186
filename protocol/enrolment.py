"""Enrolment codes, as central issues them and a kiosk reads them.

A code is ten characters from an alphabet without look-alikes, shown grouped for reading
aloud (``ABCDE-FGHJK``). Central's QR code for it, ``onetrip-enrol:1?url=&kiosk=&code=&fp=``,
also says which central (its address and its key's fingerprint) and which kiosk the code is
for, so a kiosk can refuse a code meant for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no I, L, O, 0, 1
CODE_LENGTH = 10
QR_PREFIX = "onetrip-enrol:1?"


class NotAnEnrolmentCode(ValueError):
    """Text that is not an enrolment code or central's QR code for one."""


def normalise_code(typed: str) -> str:
    """What a person typed, as central stores it: upper case, without spaces and dashes."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def well_formed(code: str) -> bool:
    """Ten characters of the alphabet (after normalising)."""
    code = normalise_code(code)
    return len(code) == CODE_LENGTH and all(ch in ALPHABET for ch in code)


def grouped(code: str) -> str:
    """'ABCDE-FGHJK': how the code is shown and read aloud."""
    code = normalise_code(code)
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


@dataclass(frozen=True)
class EnrolmentTicket:
    """What a technician brings to a kiosk: a code, and from central's QR code also which
    central (address, key fingerprint) and which kiosk it is for."""

    code: str
    url: str | None = None
    kiosk_id: str | None = None
    central_fingerprint: str | None = None

    def payload(self) -> str:
        query = urlencode({"url": self.url or "", "kiosk": self.kiosk_id or "",
                           "code": self.code, "fp": self.central_fingerprint or ""})
        return QR_PREFIX + query

    @classmethod
    def parse(cls, text: str) -> EnrolmentTicket:
        """Raises NotAnEnrolmentCode for any other text (another QR code in view, say)."""
        if not text.startswith(QR_PREFIX):
            raise NotAnEnrolmentCode("not an enrolment QR code")
        fields = {k: v[0] for k, v in parse_qs(text[len(QR_PREFIX):]).items()}
        if not fields.get("code"):
            raise NotAnEnrolmentCode("the QR code carries no enrolment code")
        return cls(code=fields["code"], url=fields.get("url"), kiosk_id=fields.get("kiosk"),
                   central_fingerprint=fields.get("fp"))
