"""The device event thread: delivery order, delayed actions, clean stop."""

from __future__ import annotations

import threading
import time

from drivers.pump import EventPump
from tests.drivers.helpers import Recorder, wait_until


def test_items_arrive_in_order_on_the_pump_thread():
    got = Recorder()
    pump = EventPump("reader-sim-pump", got)
    pump.start()
    try:
        for n in range(50):
            pump.put(n)
        assert got.wait_for(50) == list(range(50))
        assert set(got.threads) == {"reader-sim-pump"}
    finally:
        pump.stop()


def test_a_due_action_runs_even_while_items_keep_coming():
    fired = threading.Event()
    pump = EventPump("reader-sim-busy", lambda item: None)
    pump.start()
    try:
        pump.schedule(0.1, fired.set)
        deadline = time.monotonic() + 1.0
        while not fired.is_set() and time.monotonic() < deadline:
            pump.put("noise")
            time.sleep(0.005)
        assert fired.is_set()
    finally:
        pump.stop()


def test_items_put_before_start_are_dropped_and_stop_is_idempotent():
    got = Recorder()
    pump = EventPump("reader-sim-early", got)
    pump.put("nobody listening")
    pump.start()
    pump.put("heard")
    assert wait_until(lambda: got.items == ["heard"])
    pump.stop()
    pump.stop()
    assert not pump.running
