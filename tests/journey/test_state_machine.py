"""The journey's transitions: cancel and idle timeout from every step, nothing left behind."""

from __future__ import annotations

import pytest

from protocol import wire
from kiosk.journey.steps import (ANONYMOUS_STEPS, BUSY_STEPS, IllegalTransition, PERSONAL_STEPS,
                                 Step, allowed_next)
from tests.journey.walk import drive_to

S = Step
PATH = [S.LANGUAGE, S.SERVICE_MENU, S.PRESENT_DOCUMENT, S.CONFIRM_DETAILS, S.DECLARE_RESIDENCE,
        S.DECLARE_CONDITION, S.PHOTO, S.DECISION, S.FULFILMENT, S.RECEIPT]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def assert_wiped(k) -> None:
    s = k.journey.session
    assert k.journey.state is S.ATTRACT
    assert s.document is None and s.photo_jpeg is None and s.address is None
    assert s.decision is None and s.records is None and s.service is None


@pytest.mark.parametrize("step", PATH, ids=lambda s: s.value)
def test_cancel_from_every_step_wipes_the_session(make_kiosk, step):
    k = make_kiosk()
    drive_to(k, step)
    assert k.journey.state is step
    k.journey.cancel()
    assert_wiped(k)


@pytest.mark.parametrize("step", PATH, ids=lambda s: s.value)
def test_idle_warning_then_reset_from_every_step(make_kiosk, step):
    clock = FakeClock()
    k = make_kiosk(clock=clock)
    drive_to(k, step)
    if step is S.RECEIPT:  # the receipt returns by itself, sooner than the idle reset
        clock.now += k.runtime.config.journey.receipt_return_s
        k.journey.tick()
        assert_wiped(k)
        return
    clock.now += 59
    k.journey.tick()
    assert k.journey.idle_remaining is None
    clock.now += 2
    k.journey.tick()
    assert k.journey.idle_remaining == pytest.approx(29, abs=1)
    k.journey.touch()  # 'continue': the countdown goes away and the time starts again
    assert k.journey.idle_remaining is None and k.journey.state is step
    clock.now += 91
    k.journey.tick()
    assert_wiped(k)
    assert k.journey.stats.timed_out == 1


def test_busy_steps_do_not_time_out(make_kiosk):
    clock = FakeClock()
    k = make_kiosk(clock=clock)
    drive_to(k, S.DECLARE_CONDITION)
    k.devices.reader  # the eligibility call is the busy part
    k.journey.declare_condition(wire.Condition.EMPLOYMENT, None)
    assert k.journey.state is S.CHECKING_ELIGIBILITY
    clock.now += 1000
    k.journey.tick()
    assert k.journey.state is S.CHECKING_ELIGIBILITY
    k.pump(S.PHOTO)


def test_a_result_after_cancel_is_ignored(make_kiosk):
    k = make_kiosk()
    drive_to(k, S.DECLARE_CONDITION)
    k.journey.declare_condition(wire.Condition.EMPLOYMENT, None)
    k.journey.cancel()
    k.settle(1.0)  # the eligibility answer arrives for a session that is gone
    assert_wiped(k)


def test_illegal_moves_are_refused(make_kiosk):
    k = make_kiosk()
    with pytest.raises(IllegalTransition):
        k.journey.set_state(S.RECEIPT)
    with pytest.raises(IllegalTransition):
        k.journey.confirm_details()


def test_every_step_can_return_to_attract():
    for step in S:
        assert S.ATTRACT in allowed_next(step)
    assert not (BUSY_STEPS & ANONYMOUS_STEPS)
    assert PERSONAL_STEPS | ANONYMOUS_STEPS == set(S)


def test_services_come_from_config(make_kiosk):
    k = make_kiosk(journey__services=["new"])
    k.journey.begin()
    k.journey.choose_language("en")
    from kiosk.errors import InvalidInput
    with pytest.raises(InvalidInput):
        k.journey.choose_service(wire.Service.RENEWAL)
