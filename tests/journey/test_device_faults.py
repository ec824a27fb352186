"""Devices fail and come back: the kiosk takes itself out of service and back, alone."""

from __future__ import annotations

from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import to_decision

S = Step
M = wire.FulfilmentMethod


def test_reader_unplugged_takes_the_kiosk_out_of_service_and_back(make_kiosk):
    k = make_kiosk()
    k.pump(timeout_s=0.3)
    k.devices.reader.faults.set("offline", -1)
    k.runtime.monitor.poll_once()
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "reader_offline"
    k.devices.reader.faults.clear("offline")  # plugged back in
    k.runtime.monitor.poll_once()
    k.pump(S.ATTRACT)


def test_reader_failing_while_a_resident_waits_says_why(make_kiosk):
    k = make_kiosk()
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    k.journey.welcome.choose_service(wire.Service.NEW)
    k.devices.reader.faults.set("offline", -1)
    k.runtime.monitor.poll_once()
    k.pump(S.PROBLEM)
    assert k.journey.session.problem.code == "reader_error"
    k.devices.reader.faults.clear("offline")
    k.runtime.monitor.poll_once()
    k.pump()
    k.journey.retry()
    assert k.journey.state is S.PRESENT_DOCUMENT
    k.journey.cancel()
    assert k.journey.state is S.ATTRACT


def test_reader_lost_mid_journey_goes_out_of_service_when_the_resident_leaves(make_kiosk):
    k = make_kiosk()
    to_decision(k, "eligible")
    k.devices.reader.faults.set("offline", -1)
    k.runtime.monitor.poll_once()
    k.pump()
    assert k.journey.state is S.DECISION  # the resident in front of it finishes first
    k.journey.finish()
    assert k.journey.state is S.OUT_OF_SERVICE


def test_no_card_printing_offered_without_cards(make_kiosk):
    k = make_kiosk()
    to_decision(k, "eligible")
    k.journey.decision.continue_application()
    assert M.PRINT_HERE in k.journey.fulfilment.options()
    assert k.journey.fulfilment.print_here_blocked() is None
    k.devices.card_printer.faults.set("cards_out", -1)
    k.runtime.monitor.poll_once()
    k.pump()
    assert M.PRINT_HERE not in k.journey.fulfilment.options()
    assert M.COURIER in k.journey.fulfilment.options()
    assert k.journey.fulfilment.print_here_blocked() == "cards_out", "the resident is told why"
    k.devices.card_printer.faults.clear("cards_out")
    k.devices.card_printer.faults.set("jam", -1)
    k.runtime.monitor.poll_once()
    k.pump()
    assert k.journey.fulfilment.print_here_blocked() == "printer_jam"
