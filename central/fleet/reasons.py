"""Why a kiosk is not simply OK: a stable code, a severity and a sentence in both languages.

The hall manager reads these on the dashboard and in alerts, so they name the device and the
supply in words, and say what the kiosk does meanwhile. Device codes (``paper_out``) are the
drivers' own; nothing here can carry personal data, since heartbeats carry none. The words
are in the catalogs (ids ``fleet.*``); this module picks the sentence and fills it in.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict

from central.i18n import Message, both, code_words, say
from protocol.wire import Text


class Severity(int, Enum):
    """How much a reason weighs; a kiosk's state is its heaviest reason."""

    INFO = 0  # shown, changes nothing (maintenance, outside service hours)
    WARNING = 1
    ERROR = 2
    OFFLINE = 3


class KioskReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    text: Text
    device: str = ""
    supply: str = ""


DEVICES = {"reader": "fleet.device.reader", "camera": "fleet.device.camera",
           "receipt_printer": "fleet.device.receipt_printer",
           "card_printer": "fleet.device.card_printer", "scanner": "fleet.device.scanner"}
SUPPLIES = {"paper": "fleet.supply.paper", "cards": "fleet.supply.cards",
            "ribbon": "fleet.supply.ribbon"}
# What the kiosk does while a supply is out: it serves on, so it is a warning, not an error.
FALLBACK = {"paper": "fleet.fallback.paper", "cards": "fleet.fallback.cards",
            "ribbon": "fleet.fallback.cards"}


class Named:
    """A device or supply in a sentence: the catalog's word for its code, else the code (a
    device newer than this server reads with spaces in English, a supply as sent)."""

    def __init__(self, code: str, words: dict[str, str], spaced: bool) -> None:
        self.code, self.msgid, self.spaced = code, words.get(code), spaced

    def in_language(self, language: str) -> str:
        if self.msgid is not None:
            return say(language, self.msgid)
        return code_words(self.code, language) if self.spaced else self.code


def _device(name: str) -> Named:
    return Named(name, DEVICES, spaced=True)


def _supply(name: str) -> Named:
    return Named(name, SUPPLIES, spaced=False)


def _code(code: str) -> str | Message:
    return code or Message("fleet.unknown_code")


class Duration:
    """'95 秒' / '95 s', '12 分钟' / '12 min', '3.5 小时' / '3.5 h'."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def in_language(self, language: str) -> str:
        if self.seconds < 120:
            return say(language, "duration.seconds", n=f"{self.seconds:.0f}")
        if self.seconds < 7200:
            return say(language, "duration.minutes", n=f"{self.seconds / 60:.0f}")
        return say(language, "duration.hours", n=f"{self.seconds / 3600:.1f}")


def _reason(code: str, severity: Severity, text: Text, **where: str) -> KioskReason:
    return KioskReason(code=code, severity=severity, text=text, **where)


def never_heard() -> KioskReason:
    return _reason("never_heard", Severity.OFFLINE, both("fleet.never_heard"))


def no_heartbeat(age_s: float) -> KioskReason:
    return _reason("no_heartbeat", Severity.OFFLINE,
                   both("fleet.no_heartbeat", duration=Duration(age_s)))


def device_error(device: str, code: str) -> KioskReason:
    return _reason("device_error", Severity.ERROR,
                   both("fleet.device_error", device=_device(device), code=_code(code)),
                   device=device)


def device_offline(device: str) -> KioskReason:
    return _reason("device_offline", Severity.ERROR,
                   both("fleet.device_offline", device=_device(device)), device=device)


def device_warning(device: str, code: str) -> KioskReason:
    return _reason("device_warning", Severity.WARNING,
                   both("fleet.device_warning", device=_device(device), code=_code(code)),
                   device=device)


def device_unknown(device: str) -> KioskReason:
    return _reason("device_unknown", Severity.WARNING,
                   both("fleet.device_unknown", device=_device(device)), device=device)


def supply_empty(device: str, supply: str) -> KioskReason:
    fallback = FALLBACK.get(supply)
    text = (both("fleet.supply_empty_fallback", device=_device(device), supply=_supply(supply),
                 fallback=Message(fallback)) if fallback
            else both("fleet.supply_empty", device=_device(device), supply=_supply(supply)))
    return _reason("supply_empty", Severity.WARNING, text, device=device, supply=supply)


def supply_low(device: str, supply: str, remaining: int | None,
               hours_to_empty: float | None) -> KioskReason:
    where = {"device": _device(device), "supply": _supply(supply)}
    if hours_to_empty is None:
        text = (both("fleet.supply_low", **where) if remaining is None
                else both("fleet.supply_low_left", remaining=remaining, **where))
    else:
        empty_in = Duration(hours_to_empty * 3600)  # as the supply line says it
        text = (both("fleet.supply_low_empty_in", duration=empty_in, **where)
                if remaining is None else
                both("fleet.supply_low_left_empty_in", remaining=remaining, duration=empty_in,
                     **where))
    return _reason("supply_low", Severity.WARNING, text, device=device, supply=supply)


def outbox_stuck(depth: int, oldest_s: float) -> KioskReason:
    return _reason("outbox_stuck", Severity.WARNING,
                   both("fleet.outbox_stuck", depth=depth, duration=Duration(oldest_s)))


def settings_refused(revision: int, errors: list[str]) -> KioskReason:
    why = "; ".join(errors[:3])  # the kiosk's own words, as it sent them
    return _reason("settings_refused", Severity.WARNING,
                   both("fleet.settings_refused", revision=revision, why=why))


def settings_pending(desired: int, applied: int | None, waited_s: float) -> KioskReason:
    at = applied if applied is not None else 0
    return _reason("settings_pending", Severity.WARNING,
                   both("fleet.settings_pending", desired=desired, duration=Duration(waited_s),
                        applied=at))


def maintenance() -> KioskReason:
    return _reason("maintenance", Severity.INFO, both("fleet.maintenance"))


def closed() -> KioskReason:
    return _reason("closed", Severity.INFO, both("fleet.closed"))


def out_of_service(code: str) -> KioskReason:
    return _reason("out_of_service", Severity.ERROR, both("fleet.out_of_service", code=code))
