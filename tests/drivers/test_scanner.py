"""The simulated barcode scanner delivers codes from its own thread."""

from __future__ import annotations

import time

import pytest

from drivers.base import HealthState
from drivers.scanner.simulated import SimulatedScanner
from tests.drivers.helpers import sim_threads


@pytest.fixture
def scanner():
    device = SimulatedScanner("test", codes=["ZZ-1", "ZZ-2"], scan_after_s=0.1)
    yield device
    device.stop()


def test_scan_reaches_the_listener_from_the_scanner_thread(scanner, recorder):
    scanner.start(recorder)
    scanner.scan("https://permits.example.cn/s/ZZ-9")
    assert recorder.wait_for(1) == ["https://permits.example.cn/s/ZZ-9"]
    assert recorder.threads == ["scanner-sim-test"]


def test_arm_scans_the_configured_codes_in_turn(scanner, recorder):
    scanner.start(recorder)
    time.sleep(0.2)
    assert recorder.items == []
    scanner.arm()
    assert recorder.wait_for(1) == ["ZZ-1"]
    scanner.arm()
    scanner.arm()  # arming again replaces the pending scan, it does not add one
    assert recorder.wait_for(2) == ["ZZ-1", "ZZ-2"]
    time.sleep(0.2)
    assert len(recorder.items) == 2


def test_disarm_cancels_the_pending_scan(scanner, recorder):
    scanner.start(recorder)
    scanner.arm()
    scanner.disarm()
    time.sleep(0.25)
    assert recorder.items == []


def test_faults(scanner, recorder):
    scanner.start(recorder)
    scanner.faults.set("offline", -1)
    assert scanner.health().state is HealthState.OFFLINE
    scanner.scan("lost")
    scanner.faults.clear()
    scanner.faults.set("garbled", 1)
    scanner.scan("ABCDEFGH")
    scanner.scan("ABCDEFGH")
    assert recorder.wait_for(2) == ["ABCD", "ABCDEFGH"]
    assert scanner.health().state is HealthState.OK


def test_stop_is_idempotent_and_joins(scanner, recorder):
    scanner.start(recorder)
    assert sim_threads() == ["scanner-sim-test"]
    scanner.stop()
    scanner.stop()
    assert sim_threads() == []
