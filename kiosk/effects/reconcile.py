"""After a restart: settle every side effect the journal saw begin but never end.

A power cut (or ``kill -9``) can fall between journaling an intent and recording its
outcome. Nothing is ever retried blindly; each unfinished entry is settled from what
the outside world remembers:

- ``card``: the card printer's job history says whether the card came out. A job still
  waiting is cancelled, so it cannot print later by surprise with nobody there; a job
  that never arrived, failed or was cancelled is "not printed". Central is told either
  way, and posts the card when it was not printed.
- ``card_report``: the report is sent again (the application number comes from the
  outbox, which keeps it after sending).
- ``receipt``: the resident has gone; the entry is closed as interrupted. Whatever of it
  the printer still holds is settled by the driver itself when it connects (the escpos
  driver keeps its own on-disk marker and clears or voids the rest); nothing to do here.
- ``submit``: the application is in the outbox (the sync thread sends it) or it never
  got there; either way the entry is closed saying which.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from drivers.printer.base import JobState
from kiosk.effects.fulfilment import report_card_outcome

log = logging.getLogger("kiosk.reconcile")


@dataclass
class Reconciliation:
    """What a restart settled; counts only, for the log and the diagnostics screen."""

    cards_printed: int = 0
    cards_not_printed: int = 0
    jobs_cancelled: int = 0
    reports_sent: int = 0
    reports_pending: int = 0
    closed: dict[str, int] = field(default_factory=dict)
    # Applications whose card, receipt or submission the restart cut off, with when that
    # began: kiosk/recovery.py gives a resident who may still be there their receipt.
    # Random keys only; never logged.
    interrupted: dict[str, dt.datetime] = field(default_factory=dict, repr=False)

    def close(self, kind: str) -> None:
        self.closed[kind] = self.closed.get(kind, 0) + 1


def reconcile(journal, outbox, card_printer, client) -> Reconciliation:
    """Settle the unfinished journal entries; safe to run again (settled ones are done)."""
    result = Reconciliation()
    for entry in journal.unfinished():
        if entry.kind in ("card", "receipt", "submit"):
            result.interrupted.setdefault(entry.key, entry.begun_at)
        if entry.kind == "card":
            _settle_card(journal, card_printer, entry.key, result)
        elif entry.kind == "receipt":
            journal.finish("receipt", entry.key, "failed:interrupted")
            result.close("receipt")
        elif entry.kind == "recovery_receipt":
            journal.finish("recovery_receipt", entry.key, "failed:interrupted")
        elif entry.kind == "submit":
            journal.finish("submit", entry.key, "queued" if outbox.holds(entry.key)
                           else "failed:not_kept")
            result.close("submit")
    _send_reports(journal, outbox, client, result)
    log.info("journal reconciled cards_printed=%d cards_not_printed=%d cancelled=%d "
             "reports_sent=%d reports_pending=%d closed=%s", result.cards_printed,
             result.cards_not_printed, result.jobs_cancelled, result.reports_sent,
             result.reports_pending, result.closed)
    return result


def _settle_card(journal, printer, key: str, result: Reconciliation) -> None:
    """Printed, or not: decided by the printer's memory, never by printing again."""
    try:
        state = printer.job_state(key)
    except Exception as exc:  # the printer is not answering yet: settle it at the next start
        log.warning("card job state unknown, left for later code=%s",
                    getattr(exc, "code", type(exc).__name__))
        return
    if state is JobState.PENDING and printer.cancel_job(key):
        result.jobs_cancelled += 1
        state = JobState.FAILED
    if state is JobState.COMPLETED:
        journal.finish("card", key, "printed")
        result.cards_printed += 1
        return
    if state is JobState.PENDING:
        log.warning("card job still pending and could not be cancelled; left for later")
        return
    reason = {None: "not_sent", JobState.FAILED: "aborted", JobState.UNKNOWN: "unknown"}[state]
    journal.finish("card", key, f"failed:{reason}")
    result.cards_not_printed += 1


def _send_reports(journal, outbox, client, result: Reconciliation) -> None:
    """Every settled card whose outcome central has not heard yet is reported now."""
    for entry in journal.unfinished():
        if entry.kind != "card_report":
            continue
        card = journal.get("card", entry.key)
        number = outbox.sent_receipt(entry.key)
        if card is None or card.state != "done" or number is None:
            result.reports_pending += 1
            continue
        _report(journal, client, entry.key, number, card.outcome == "printed", result)
    for key, number, printed in _settled_cards_without_report(journal, outbox):
        _report(journal, client, key, number, printed, result)


def _settled_cards_without_report(journal, outbox):
    """Cards settled (now or before) whose report was never even begun."""
    for entry in journal.done("card"):
        if journal.get("card_report", entry.key) is not None:
            continue
        number = outbox.sent_receipt(entry.key)
        if number is not None:
            yield entry.key, number, entry.outcome == "printed"


def _report(journal, client, key: str, number: str, printed: bool,
            result: Reconciliation) -> None:
    try:  # an earlier attempt's 'begun' entry is reused: begin() keeps it, finish() ends it
        report_card_outcome(client, journal, key, number, printed)
        result.reports_sent += 1
    except Exception as exc:  # central unreachable: the next start (or sync) tries again
        result.reports_pending += 1
        log.warning("card outcome not reported code=%s", getattr(exc, "code", "error"))
