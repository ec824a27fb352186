"""One kiosk process for the kill soak (benchmarks/kill_soak.py), on simulated devices.

``kill_soak_kiosk.py CENTRAL_URL DATA_DIR serve`` starts the kiosk, says ``attract`` once
the start-up reconciliation is done and the attract screen is up, then serves residents who
have their card printed here, one after another (``chose KEY`` when one chooses, ``receipt
KEY`` when their receipt is out), until it is killed. ``... drain`` starts, says ``attract``,
waits until every application is at central and every card's fate is told, says
``drained`` and stops.
"""

from __future__ import annotations

import sys
import time

from kiosk.config import load_config
from kiosk.headless import HeadlessKiosk
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import drive_to


def config(central_url: str, data_dir: str):
    return load_config(overrides={
        "kiosk_id": "kill-soak",
        "central": {"url": central_url, "timeout_s": 3.0, "retries": 1, "sync_interval_s": 0.2},
        "storage": {"data_dir": data_dir},
        "photo": {"speak": False},
        "devices": {
            "health_interval_s": 0.5,
            "reader": {"driver": "virtual_chip", "options": {"bits_per_s": 848000}},
            "camera": {"driver": "simulated", "options": {"fps": 30}},
            "receipt_printer": {"driver": "simulated",
                                "options": {"output_dir": data_dir + "/printed"}},
            "card_printer": {"driver": "simulated", "options": {
                "output_dir": data_dir + "/printed", "print_time_s": 0.3}},
            "scanner": {"driver": "simulated"},
        },
    })


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def settled(k: HeadlessKiosk) -> bool:
    outbox = k.runtime.outbox
    return (outbox.depth() == 0 and not outbox.cards_owed() and not outbox.cards_to_report())


def main(central_url: str, data_dir: str, mode: str) -> None:
    with HeadlessKiosk(config(central_url, data_dir)) as k:
        assert k.wait_for(lambda: k.runtime.last_reconciliation is not None
                          and k.journey.state is Step.ATTRACT, timeout_s=120)
        say("attract")
        if mode == "drain":
            assert k.wait_for(lambda: settled(k), timeout_s=120), "not drained"
            say("drained")
            return
        while True:
            drive_to(k, Step.FULFILMENT)
            key = k.journey.session.idempotency_key
            k.journey.fulfilment.choose(wire.FulfilmentMethod.PRINT_HERE)
            say("chose " + key)
            k.pump(Step.RECEIPT, timeout_s=60)
            say("receipt " + key)
            k.journey.finish()
            k.devices.reader.lift()
            k.pump(Step.ATTRACT, timeout_s=30)
            time.sleep(0.01)


if __name__ == "__main__":
    main(*sys.argv[1:])
