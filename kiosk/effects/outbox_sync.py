"""The background sender: due outbox entries to central, and every card's fate after them.

It is the second sender of an application, never a rival of the first: it sends only
entries it has claimed (``Outbox.claim``), and the journey claims its own before sending.
An application it sends was never printed here (the journey prints only after its own send
was confirmed), so one approved for printing here is recorded 'not printed' in the same
write as the confirmation, and central is told to post the card. Every card whose fate
central has not heard is reported on each pass, not only at the next start: a kiosk may
run for months without one.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
from collections.abc import Callable

from kiosk.effects.outbox import CLAIM_S, CardFate, Outbox, OutboxEntry
from kiosk.effects.storage import OnDemand
from kiosk.errors import CentralError, CentralRejected, CentralUnavailable
from kiosk.fleet.central_client import backoff_delay
from protocol import wire

log = logging.getLogger("kiosk.outbox")

# The outbox itself, one opened when the disk allows, or how to open one (on first use).
OutboxSource = Outbox | OnDemand[Outbox] | Callable[[], Outbox]


def card_fate_when_sent_late(entry: OutboxEntry,
                             receipt: wire.ApplicationReceipt) -> CardFate | None:
    """A print-here application that central approved only now: it was not printed here."""
    approved = receipt.state is wire.ApplicationState.APPROVED
    print_here = entry.submission.fulfilment.method is wire.FulfilmentMethod.PRINT_HERE
    return "not_printed" if approved and print_here else None


def report_cards(outbox: Outbox, client) -> tuple[int, int]:
    """Tell central every card's fate it has not heard; (reported, still waiting)."""
    reported = waiting = 0
    for key, number, printed in outbox.cards_to_report():
        try:
            client.report_card(number, printed)
        except CentralRejected as exc:
            if exc.status == 429:
                waiting += 1
                continue
            # Central holds another fate (it posted a card this kiosk then printed, say):
            # telling it again cannot change that, and staff see it in the log.
            log.error("card outcome refused by central code=%s printed=%s", exc.code, printed,
                      extra={"idempotency_key": key})
        except CentralError as exc:  # unreachable or not trusted: the next pass tries again
            log.info("card outcome not reported yet code=%s", exc.code)
            waiting += 1
            continue
        outbox.card_reported(key)
        reported += 1
    return reported, waiting


class OutboxSync:
    """Sends due outbox entries to central, in a background thread or one pass at a time."""

    THREAD_NAME = "outbox-sync"
    CONFLICT_ATTEMPTS = 5  # a 409 that persists this many tries is held for staff

    def __init__(self, outbox: OutboxSource, client, *, interval_s: float = 10,
                 backoff_base_s: float = 2, backoff_cap_s: float = 300,
                 on_synced: Callable[[str, wire.ApplicationReceipt], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self._source = outbox
        self._owned: Outbox | None = None
        self._client = client
        self.interval_s = interval_s
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self._on_synced = on_synced
        self._rng = rng or random.Random()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._open_lock = threading.Lock()

    def sync_once(self) -> int:
        """Send every due entry once, then every card's fate; returns how many entries
        central acknowledged."""
        outbox = self._outbox()
        sent = 0
        for entry in outbox.pending():
            if self._stopping.is_set():
                break
            if not outbox.claim(entry.idempotency_key, CLAIM_S):
                continue  # the journey is sending it itself
            outcome = self._send(outbox, entry)
            if outcome == "sent":
                sent += 1
            elif outcome == "unavailable":
                break  # the rest would fail the same way; try again next round
        if not self._stopping.is_set():
            report_cards(outbox, self._client)
        return sent

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=False)
        self._thread.start()

    def kick(self) -> None:
        """Try now instead of at the next interval (e.g. the network came back)."""
        self._wake.set()

    def central_answers_again(self) -> None:
        """After an outage: what waited for its backoff is due now, and the pass starts at
        once, so the queue drains within one pass of central's return."""
        try:
            self._outbox().due_now()
        except Exception as exc:  # storage trouble is reported elsewhere; the kick still helps
            log.warning("outbox could not be made due code=%s", getattr(exc, "code", "error"))
        self.kick()

    def stop(self, timeout: float = 5) -> bool:
        """Wake the thread, wait for it and close the outbox we opened; True if it ended."""
        self._stopping.set()
        self._wake.set()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
            if not ended:
                log.warning("outbox-sync did not stop in time", extra={"timeout_s": timeout})
            else:
                self._thread = None
        if ended and self._owned is not None:
            self._owned.close()
            self._owned = None
        return ended

    # internals

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                sent = self.sync_once()
                if sent:
                    log.info("outbox synced", extra={"sent": sent})
            except Exception as exc:  # a bug must not end the thread; never log the message
                log.error("outbox sync pass failed: %s", type(exc).__name__)
            self._wake.wait(self.interval_s)
            self._wake.clear()

    def _outbox(self) -> Outbox:
        if isinstance(self._source, (Outbox, OnDemand)):
            return self._source  # type: ignore[return-value]
        with self._open_lock:
            if self._owned is None:
                self._owned = self._source()
            return self._owned

    def _send(self, outbox: Outbox, entry: OutboxEntry) -> str:
        key = entry.idempotency_key
        try:
            receipt = self._client.submit_application(entry.submission)
        except CentralUnavailable as exc:
            outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            return "unavailable"
        except CentralRejected as exc:
            if self._worth_retrying(exc, entry.attempts):
                outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            else:
                outbox.hold(key, exc.code)
            return "rejected"
        except CentralError as exc:
            outbox.mark_failed(key, exc.code, self._retry_at(entry.attempts))
            return "failed"
        except BaseException:
            outbox.release_claim(key)
            raise
        outbox.mark_sent(key, receipt, card_fate_when_sent_late(entry, receipt))
        self._notify(key, receipt)
        return "sent"

    def _worth_retrying(self, exc: CentralRejected, attempts: int) -> bool:
        """429 always passes; a 409 may be a request still in flight, but one that persists
        (central: the same key with another body) needs staff, not endless retries."""
        if exc.status == 429:
            return True
        return exc.status == 409 and attempts + 1 < self.CONFLICT_ATTEMPTS

    def _retry_at(self, attempts: int) -> dt.datetime:
        delay = backoff_delay(attempts, self.backoff_base_s, self.backoff_cap_s, self._rng)
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=delay)

    def _notify(self, key: str, receipt: wire.ApplicationReceipt) -> None:
        if self._on_synced is None:
            return
        try:
            self._on_synced(key, receipt)
        except Exception as exc:
            log.error("on_synced callback failed: %s", type(exc).__name__)
