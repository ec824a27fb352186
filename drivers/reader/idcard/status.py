"""The module's status bytes, and the typed ReaderError each failure becomes.

SW1 and SW2 are the card's own APDU status passed through; SW3 is the module's status. The
SW3 values below are the ones the public protocol descriptions list (the "SAM_V通信协议"
at eastcoms.com/service/downdrive/508.html; the summary at softs.im,
"身份证阅读器通信协议"): 90 success, 9F card found, 10 bad check byte received, 11 bad
length received, 21 bad command, 23 operation not allowed, 24 unknown error, 31 card does
not authenticate the module, 32 module does not authenticate the card, 33 information
verification failed, 40 wrong card, 41 read failed, 47 random number failed, 60 module
self-test failed, 66 module not authorised, 80 find card failed, 81 select failed,
91 no such content on the card.

Codes are stable: technicians quote them and the kiosk translates them.
"""

from __future__ import annotations

from drivers.base import DeviceOffline
from drivers.reader.base import DocumentNotGenuine, DocumentRemoved, ReaderError, UnreadableDocument

SW3_SUCCESS = 0x90
SW3_CARD_FOUND = 0x9F
SW3_NO_CARD = 0x80
SW3_SELECT_FAILED = 0x81
SW3_READ_FAILED = 0x41
SW3_NO_CONTENT = 0x91


class IdCardError(ReaderError):
    """Anything the reader module or the line to it did wrong."""

    code = "idcard_error"

    def __init__(self, detail: str = "", *, status: str | None = None) -> None:
        super().__init__(detail)
        self.status = status  # "00 00 80": the module's words, never personal data


# --- the line: frames that are not frames ------------------------------------------------

class FrameError(IdCardError):
    code = "idcard_bad_frame"


class BadPreamble(FrameError):
    """Bytes that do not start with AA AA AA 96 69: noise, or a wrong baud rate."""

    code = "idcard_bad_preamble"


class BadLength(FrameError):
    code = "idcard_bad_length"


class BadCheckByte(FrameError):
    code = "idcard_bad_check_byte"


class ModuleSilent(FrameError, DeviceOffline):
    """No answer (or half of one) in time: unplugged, powered off, or hung."""

    code = "idcard_module_silent"


class PortUnavailable(IdCardError, DeviceOffline):
    """The serial device cannot be opened or went away (USB unplugged)."""

    code = "idcard_port_unavailable"


# --- the module said no -------------------------------------------------------------------

class NoCard(IdCardError, DocumentRemoved):
    code = "idcard_no_card"


class CardRemoved(IdCardError, DocumentRemoved):
    """The card left the field during a read (found, then gone)."""

    code = "idcard_card_removed"


class SelectFailed(IdCardError, DocumentRemoved):
    code = "idcard_select_failed"


class ReadFailed(IdCardError, UnreadableDocument):
    code = "idcard_read_failed"


class NoContent(IdCardError, UnreadableDocument):
    code = "idcard_no_content"


class CardNotAuthentic(IdCardError, DocumentNotGenuine):
    """Mutual authentication between the SAM and the card failed: not a genuine card."""

    code = "idcard_not_authentic"


class WrongCard(IdCardError, UnreadableDocument):
    code = "idcard_wrong_card"


class SamFault(IdCardError, DeviceOffline):
    """The security module failed its self-test or is not authorised: the reader is out."""

    code = "idcard_sam_fault"


class CommandRejected(IdCardError):
    """The module refused our request (check byte, length, command): a driver bug or noise."""

    code = "idcard_command_rejected"


class UnknownStatus(IdCardError):
    code = "idcard_unknown_status"


class BadCardText(IdCardError, UnreadableDocument):
    """The module said success but the text is not of any known card layout."""

    code = "idcard_bad_card_text"


_BY_SW3: dict[int, tuple[type[IdCardError], str]] = {
    0x10: (CommandRejected, "module received a bad check byte"),
    0x11: (CommandRejected, "module received a bad length"),
    0x21: (CommandRejected, "module rejected the command"),
    0x23: (CommandRejected, "operation not allowed"),
    0x24: (CommandRejected, "module reports an unrecognised error"),
    0x31: (CardNotAuthentic, "card did not authenticate the module"),
    0x32: (CardNotAuthentic, "module did not authenticate the card"),
    0x33: (CardNotAuthentic, "card information failed verification"),
    0x40: (WrongCard, "not an identity card"),
    SW3_READ_FAILED: (ReadFailed, "reading the card failed"),
    0x47: (ReadFailed, "card gave no random number"),
    0x60: (SamFault, "security module failed its self-test"),
    0x66: (SamFault, "security module not authorised"),
    SW3_NO_CARD: (NoCard, "no card found"),
    SW3_SELECT_FAILED: (SelectFailed, "selecting the card failed"),
    SW3_NO_CONTENT: (NoContent, "the card has no such content"),
}


def is_success(sw3: int) -> bool:
    return sw3 in (SW3_SUCCESS, SW3_CARD_FOUND)


def error_for(sw1: int, sw2: int, sw3: int) -> IdCardError:
    """The typed error for a failure status (never called with a success status)."""
    status = f"{sw1:02X} {sw2:02X} {sw3:02X}"
    kind, text = _BY_SW3.get(sw3, (UnknownStatus, "unknown module status"))
    return kind(f"{text} ({status})", status=status)


def status_codes() -> dict[int, str]:
    """SW3 → stable code, for diagnostics pages and tests."""
    return {sw3: kind.code for sw3, (kind, _) in _BY_SW3.items()}
