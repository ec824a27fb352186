"""A whole kiosk in its own process, printing a card on a real IPP printer, to be killed.

Run by test_card_kill9.py: ``card_kiosk.py CENTRAL_URL PRINTER_URI DATA_DIR``. It walks an
eligible resident to the fulfilment step and says ``at_fulfilment`` on stdout; on a line
``print_here`` from stdin it chooses to have the card printed here, then goes on running the
journey (``step <name>`` for every step) until it is killed or reaches the receipt
(``done``). A second run on the same DATA_DIR with ``--restart`` only starts the kiosk,
waits for its start-up reconciliation and prints ``reconciled <json>``. With
``--stop-before-printing`` the card is never sent to the printer: once central has confirmed
the application the kiosk says ``confirmed`` and stands still, for a kill aimed at the gap
between the confirmation and the card's own intent.
"""

from __future__ import annotations

import json
import sys
import time

from kiosk.config import load_config
from kiosk.headless import HeadlessKiosk
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import declare, photo, present


def config(central_url: str, printer_uri: str, data_dir: str):
    return load_config(overrides={
        "kiosk_id": "kill9-kiosk",
        "central": {"url": central_url, "timeout_s": 3.0, "retries": 1, "sync_interval_s": 3600},
        "storage": {"data_dir": data_dir},
        "photo": {"speak": False, "auto_capture": False},
        "devices": {
            "health_interval_s": 0.5,
            "reader": {"driver": "virtual_chip", "options": {}},
            "camera": {"driver": "simulated", "options": {"fps": 30}},
            "receipt_printer": {"driver": "simulated",
                                "options": {"output_dir": data_dir + "/printed"}},
            "card_printer": {"driver": "cups", "options": {
                "uri": printer_uri, "job_index_dir": data_dir + "/printed", "poll_s": 0.1,
                "job_timeout_s": 60, "request_timeout_s": 30}},
            "scanner": {"driver": "simulated"},
        },
    })


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def walk_and_print(k: HeadlessKiosk) -> None:
    present(k, "eligible")
    declare(k)
    photo(k)
    k.pump(Step.DECISION)
    k.journey.decision.continue_application()
    k.pump(Step.FULFILMENT)
    deadline = time.monotonic() + 20
    while wire.FulfilmentMethod.PRINT_HERE not in k.journey.fulfilment.options():
        assert time.monotonic() < deadline, "the card printer was never offered"
        k.pump(None)
    say("at_fulfilment")
    assert sys.stdin.readline().strip() == "print_here"
    k.journey.fulfilment.choose(wire.FulfilmentMethod.PRINT_HERE)
    say("key " + k.journey.session.idempotency_key)
    seen = None
    while k.journey.state is not Step.RECEIPT:
        k.pump(None)
        if k.journey.state is not seen:
            seen = k.journey.state
            say("step " + seen.value)
    say("done")


def restart(k: HeadlessKiosk) -> None:
    deadline = time.monotonic() + 60
    while k.runtime.last_reconciliation is None:
        assert time.monotonic() < deadline, "no reconciliation at start"
        k.pump(None)
    settled = {name: value for name, value in vars(k.runtime.last_reconciliation).items()
               if name != "interrupted"}
    say("reconciled " + json.dumps(settled))
    say("recovered " + json.dumps([{"number": r.number, "tracking_url": r.tracking_url,
                                    "printed": r.receipt_printed}
                                   for r in k.journey.welcome.recovered]))


def stand_still_before_printing() -> None:
    """Replace the printing step by a wait that never ends, after saying so."""
    import threading

    from kiosk.effects import fulfilment

    def confirmed_then_stuck(job, *_args, **_kwargs) -> bool:
        say("confirmed " + job.key)
        threading.Event().wait()
        return False

    fulfilment.print_card = confirmed_then_stuck


def main(central_url: str, printer_uri: str, data_dir: str, *flags: str) -> None:
    if "--stop-before-printing" in flags:
        stand_still_before_printing()
    with HeadlessKiosk(config(central_url, printer_uri, data_dir)) as k:
        if "--restart" in flags:
            restart(k)
        else:
            walk_and_print(k)


if __name__ == "__main__":
    main(*sys.argv[1:])
