"""After a restart: settle every side effect the journal saw begin but never end, and every
card the outbox says is owed.

A power cut (or ``kill -9``) can fall between journaling an intent and recording its
outcome. Nothing is ever retried blindly; each unfinished entry is settled from what
the outside world remembers:

- ``card``: the card printer's job history says whether the card came out. A job still
  waiting is cancelled, so it cannot print later by surprise with nobody there; a job
  that never arrived, failed or was cancelled is "not printed". A job the printer is
  already making is not cancelled (a card in motion cannot be stopped): it is left for
  the printer to finish and settled at the next look.
- ``receipt``: the resident has gone; the entry is closed as interrupted. Whatever of it
  the printer still holds is settled by the driver itself when it connects (the escpos
  driver keeps its own on-disk marker and clears or voids the rest); nothing to do here.
- ``submit``: the application is in the outbox (the sync thread sends it) or it never
  got there; either way the entry is closed saying which.

Then the outbox's owed cards (``card = 'owed'``, written with central's confirmation): one
whose print never began was cut off between the confirmation and the printer, so it is
"not printed" and central posts it. Every settled fate central has not heard is reported
(the sync thread goes on reporting any that fail now).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from drivers.printer.base import JobState
from kiosk.effects.fulfilment import card_fate
from kiosk.effects.outbox_sync import report_cards

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
    """Settle the unfinished journal entries and owed cards; safe to run again."""
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
        elif entry.kind == "card_report":  # kept in the journal by an earlier release
            _move_report(journal, outbox, entry.key)
    _settle_owed(journal, outbox, result)
    sent, waiting = report_cards(outbox, client)
    result.reports_sent += sent
    result.reports_pending += waiting
    log.info("journal reconciled cards_printed=%d cards_not_printed=%d cancelled=%d "
             "reports_sent=%d reports_pending=%d closed=%s", result.cards_printed,
             result.cards_not_printed, result.jobs_cancelled, result.reports_sent,
             result.reports_pending, result.closed)
    return result


def _settle_card(journal, printer, key: str, result: Reconciliation) -> None:
    """Printed, or not: decided by the printer's memory, never by printing again."""
    try:
        state = printer.job_state(key)
        if state is JobState.PENDING:
            if printer.cancel_job(key):
                result.jobs_cancelled += 1
                state = JobState.FAILED
            else:  # the printer could not stop it: it followed the job to its end
                state = printer.job_state(key)
    except Exception as exc:  # the printer is not answering yet: settle it at the next start
        log.warning("card job state unknown, left for later code=%s",
                    getattr(exc, "code", type(exc).__name__))
        return
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


def _settle_owed(journal, outbox, result: Reconciliation) -> None:
    """Owed cards whose fate the journal now knows; one never begun was cut off after
    central's confirmation and before the printer, so it was not printed."""
    for key, confirmed_at in outbox.cards_owed():
        printed = card_fate(journal, key)
        if printed is None:
            result.reports_pending += 1
            continue
        if journal.get("card", key) is None:
            result.interrupted.setdefault(key, confirmed_at)
            result.cards_not_printed += 1
        outbox.settle_card(key, printed)


def _move_report(journal, outbox, key: str) -> None:
    card = journal.get("card", key)
    if card is not None and card.state == "done":
        outbox.owe_report(key, card.outcome == "printed")
    journal.finish("card_report", key, "moved")
