"""The kiosk's published status: immutable, replaced whole, no publisher's change lost."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from kiosk.fleet.status import JourneyCounts, KioskStatus, StatusBoard


def test_a_status_cannot_be_changed_only_replaced():
    board = StatusBoard()
    first = board.current
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.step = "photo"  # type: ignore[misc]
    board.publish(step="photo")
    assert first.step == "attract" and board.current.step == "photo"


def test_two_publishers_at_once_lose_nothing():
    """The journey's thread and the device monitor's publish different fields at once."""
    board, rounds = StatusBoard(), 5000

    def journey() -> None:
        for n in range(1, rounds + 1):
            board.publish(journeys=JourneyCounts(started=n))

    def monitor() -> None:
        for n in range(1, rounds + 1):
            board.publish(out_of_service_reason=f"r{n}")

    threads = [threading.Thread(target=journey), threading.Thread(target=monitor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert board.current.journeys.started == rounds
    assert board.current.out_of_service_reason == f"r{rounds}"


def test_in_service_and_at_rest_read_from_the_fields():
    assert KioskStatus().in_service and KioskStatus().at_rest
    assert not KioskStatus(out_of_service_reason="maintenance").in_service
    assert not KioskStatus(step="photo").at_rest
