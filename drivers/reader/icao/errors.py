"""Typed errors of the chip protocol, each a ReaderError the journey can explain.

The resident's message is chosen by ``code``; ``detail`` is for the technician and
never holds personal data (status words, offsets, lengths, algorithm names only).
"""

from __future__ import annotations

from drivers.reader.base import DocumentNotGenuine, UnreadableDocument, WrongAccessKey


class ChipError(UnreadableDocument):
    """The chip answered in a way the protocol does not allow; reading it again may help."""

    code = "unreadable_document"


class StatusWordError(ChipError):
    """The chip refused a command with a status word other than 9000."""

    def __init__(self, sw: int, command: str = "", detail: str = "") -> None:
        self.sw = sw
        self.command = command
        super().__init__(detail or f"{command or 'command'} answered {sw:04X}")


class FileNotOnChip(StatusWordError):
    """SELECT answered 6A82: the document has no such file (an optional data group)."""


class SecureMessagingError(ChipError):
    """A protected answer failed its MAC, padding or structure check, or the chip
    dropped secure messaging (6987/6988). The session keys are no longer usable."""


class MalformedChipData(ChipError):
    """A file's bytes are not the TLV structure ICAO 9303 prescribes."""


class AccessKeyRejected(WrongAccessKey):
    """BAC or PACE mutual authentication failed: the MRZ key or CAN is wrong."""


class AccessControlUnsupported(ChipError):
    """The chip asks for an access-control protocol or parameter the kiosk lacks."""

    code = "access_control_unsupported"


class PassiveAuthenticationFailed(DocumentNotGenuine):
    """A data group's hash, the SOD's signature or its certificate chain did not verify.

    ``reason`` is a stable code: "dg_hash_mismatch", "bad_signature",
    "signer_expired", "signer_revoked", "unknown_csca", "chain_invalid", "malformed_sod".
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(detail or reason)


class ActiveAuthenticationFailed(DocumentNotGenuine):
    """The chip could not prove it holds the private key of DG15 (or DG14): a clone."""
