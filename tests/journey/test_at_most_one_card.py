"""At most one card, with the outbox's sync thread running as fast as it can and central away
and back: the journey and the sync never both send an application, an application sent late
is posted (never printed here and posted too), and the queue drains as soon as central answers.
"""

from __future__ import annotations

import datetime as dt
import threading

from kiosk.effects import fulfilment as fulfil
from kiosk.effects.outbox_sync import OutboxSync
from kiosk.fleet.central_client import CentralClient
from kiosk.journey.fulfilment import job_from
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import drive_to

S = wire.ApplicationState
M = wire.FulfilmentMethod


def walk_printing_here(k) -> str:
    """One resident has the card printed here; the application's number."""
    drive_to(k, Step.FULFILMENT)
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(Step.RECEIPT, timeout_s=30)
    outcome = k.journey.session.outcome
    assert outcome.card_printed, outcome.card_fallback
    number = outcome.application_number
    k.journey.finish()
    k.devices.reader.lift()
    k.pump(Step.ATTRACT)
    return number


def test_an_eager_sync_never_makes_a_second_card(make_kiosk, central):
    """The sync thread looks every 50 ms: before, it sent the journey's application again
    while the journey was sending it, and its answer had central post a card the kiosk was
    printing (69 of 100 residents in the probe)."""
    k = make_kiosk(central__sync_interval_s=0.05)
    numbers = [walk_printing_here(k) for _ in range(8)]
    with CentralClient(base_url=central.url, kiosk_id="check") as client:
        def states() -> list[wire.ApplicationState]:
            return [client.application_status(n).state for n in numbers]
        assert k.wait_for(lambda: S.APPROVED not in states(), timeout_s=10), "every fate told"
        assert states() == [S.CARD_PRINTED] * 8, "printed here, never posted as well"
    assert k.devices.card_printer.cards_left == 100 - 8


class HeldCentral(CentralClient):
    """Central taking its time over the journey's submission, until the test lets it answer."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.inside, self.answer = threading.Event(), threading.Event()

    def submit_application(self, sub):
        self.inside.set()
        assert self.answer.wait(30)
        return super().submit_application(sub)


class CountingClient(CentralClient):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.submitted: list[str] = []

    def submit_application(self, sub):
        self.submitted.append(sub.idempotency_key)
        return super().submit_application(sub)


def test_the_sync_leaves_alone_what_the_journey_is_sending(make_kiosk, central):
    k = make_kiosk()
    k.runtime.sync.stop()
    drive_to(k, Step.FULFILMENT)
    s = k.journey.session  # the resident's application, sent by the test in the journey's way
    s.fulfilment = wire.Fulfilment(method=M.COURIER, courier_address=s.address)
    job = job_from(s, k.runtime.config)
    held = HeldCentral(base_url=central.url, kiosk_id="test-kiosk")
    other = CountingClient(base_url=central.url, kiosk_id="test-kiosk")
    done: list[fulfil.Submitted] = []
    try:
        sending = threading.Thread(target=lambda: done.append(fulfil.submit(
            job, held, k.runtime.outbox, k.runtime.journal)))
        sending.start()
        assert held.inside.wait(10)
        assert OutboxSync(k.runtime.outbox, other).sync_once() == 0
        assert other.submitted == [], "the sync thread does not send what the journey sends"
        held.answer.set()
        sending.join(10)
        assert done and done[0].application_number
    finally:
        held.answer.set()
        held.close()
        other.close()


def test_an_application_sent_late_has_its_card_posted(make_kiosk, desk, central):
    """Central away at the moment of sending: no card here, and once the sync sends it,
    central is told to post it, in the pass that sent it."""
    k = make_kiosk(url=desk.url)
    drive_to(k, Step.FULFILMENT)
    desk.down.add("POST /v1/applications")
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(Step.RECEIPT, timeout_s=30)
    outcome = k.journey.session.outcome
    assert outcome.queued_offline and not outcome.card_printed
    key = k.journey.session.idempotency_key
    desk.down.clear()
    assert k.runtime.sync.sync_once() == 1
    number = k.runtime.outbox.sent_receipt(key)
    assert k.runtime.outbox.card(key) == "not_printed"
    assert k.runtime.outbox.cards_to_report() == []
    with CentralClient(base_url=central.url, kiosk_id="check") as client:
        assert client.application_status(number).state is S.IN_DELIVERY
    assert k.devices.card_printer.cards_left == 100


def test_the_queue_drains_as_soon_as_central_answers_again(make_kiosk, desk):
    """After an outage the waiting applications do not sit out their backoff (up to five
    minutes) or the sync's interval: the first answer from central (here a heartbeat)
    wakes the sync."""
    k = make_kiosk(url=desk.url, central__heartbeat_s=0.3)
    desk.down.add("POST /v1/applications")
    for _ in range(2):
        drive_to(k, Step.FULFILMENT)
        k.journey.fulfilment.choose(M.COURIER)
        k.pump(Step.RECEIPT, timeout_s=30)
        assert k.journey.session.outcome.queued_offline
        k.journey.finish()
        k.devices.reader.lift()
        k.pump(Step.ATTRACT)
    desk.outage = True
    desk.down.clear()
    outbox = k.runtime.outbox
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=300)
    for entry in outbox.pending():
        outbox.mark_failed(entry.idempotency_key, "central_unreachable", later)  # backed off
    assert k.wait_for(lambda: k.runtime.heartbeat.failures > 0, timeout_s=10)
    assert outbox.depth() == 2
    desk.outage = False
    assert k.wait_for(lambda: outbox.depth() == 0, timeout_s=10), "drained once central answered"
