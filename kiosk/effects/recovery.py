"""After a power cut: the resident who was at the kiosk still leaves with a receipt.

The restart's reconciliation (kiosk/reconcile.py) names the applications whose card,
receipt or submission was cut off. For those cut off within ``window_s`` (the resident
may still be standing there), the kiosk prints a short receipt in both languages, since
the resident's language went with the session: the application number, what central
says happens next (the card posted, say) and the QR code of the tracking link. It is
printed at most once (journal kind ``recovery_receipt``); when the receipt printer
cannot, the attract screen shows the QR code for the same window. Nothing personal is
needed: the number and central's next step are all the receipt says.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import partial

from drivers.printer.base import LineStyle, ReceiptDocument, ReceiptLine
from kiosk.effects.fulfilment import at_most_once
from kiosk.i18n import Translator
from protocol import tracking, wire

log = logging.getLogger("kiosk.recovery")

L = LineStyle


@dataclass(frozen=True)
class Recovered:
    """One application cut off by the restart, as the attract screen shows it."""

    number: str | None  # None: still in the outbox, not yet numbered by central
    tracking_url: str
    receipt_printed: bool
    until: dt.datetime  # shown on screen until then


def recovery_receipt(number: str | None, status: wire.ApplicationStatus | None,
                     tracking_url: str, now: dt.datetime) -> ReceiptDocument:
    """Chinese first, English under it, for a resident whose language is not known."""
    zh, en = Translator("zh_CN"), Translator("en")
    lines = [ReceiptLine(zh("recovery.title"), L.TITLE, "center"),
             ReceiptLine(en("recovery.title"), L.SMALL, "center"),
             ReceiptLine(now.strftime("%Y-%m-%d %H:%M"), L.SMALL, "center"),
             ReceiptLine(zh("recovery.explain")), ReceiptLine(en("recovery.explain"), L.SMALL)]
    if number:
        lines += [ReceiptLine(zh("receipt.number", number=number), L.HEADING),
                  ReceiptLine(en("receipt.number", number=number), L.SMALL)]
    else:
        lines += [ReceiptLine(zh("receipt.queued"), L.HEADING),
                  ReceiptLine(en("receipt.queued"), L.SMALL)]
    if status is not None:
        lines += [ReceiptLine(zh("receipt.next_steps"), L.HEADING),
                  ReceiptLine(status.next_step.zh_CN), ReceiptLine(status.next_step.en, L.SMALL)]
    lines += [ReceiptLine(zh("receipt.keep"), L.SMALL, "center")]
    return ReceiptDocument(lines=tuple(lines), qr_payload=tracking_url,
                           qr_caption=zh("receipt.qr_caption") + " " + en("receipt.qr_caption"))


def recover(interrupted: dict[str, dt.datetime], journal, outbox, client, receipt_printer,
            central_url: str, window_s: float, now: dt.datetime | None = None) -> list[Recovered]:
    """A receipt for each application cut off within ``window_s`` whose own receipt never
    came out; returns what the attract screen should show."""
    now = now or dt.datetime.now(dt.timezone.utc)
    found: list[Recovered] = []
    for key, begun_at in sorted(interrupted.items(), key=lambda kv: kv[1]):
        if (now - begun_at).total_seconds() > window_s or _receipt_printed(journal, key):
            continue
        if not outbox.holds(key):
            continue  # never accepted: there is nothing to give a receipt for
        number = outbox.sent_receipt(key)
        tracking_url = tracking.reference_url(central_url, key)
        document = recovery_receipt(number, _status(client, number), tracking_url,
                                    now.astimezone())
        try:
            printed = at_most_once(journal, "recovery_receipt", key, partial(
                receipt_printer.print_receipt, document, job_key=f"{key[:24]}-recovery"))
        except Exception as exc:  # no paper: the attract screen shows the QR code instead
            log.info("recovery receipt not printed code=%s", getattr(exc, "code", "error"))
            printed = False
        log.info("recovery receipt for an interrupted application printed=%s", printed)
        found.append(Recovered(number, tracking_url, printed,
                               until=begun_at + dt.timedelta(seconds=window_s)))
    return found


def _receipt_printed(journal, key: str) -> bool:
    entry = journal.get("receipt", key)
    return entry is not None and entry.outcome == "printed"


def _status(client, number: str | None) -> wire.ApplicationStatus | None:
    if number is None:
        return None
    try:
        return client.application_status(number)
    except Exception as exc:  # central down: the receipt still has the number and the QR
        log.info("status for the recovery receipt unavailable code=%s",
                 getattr(exc, "code", type(exc).__name__))
        return None
