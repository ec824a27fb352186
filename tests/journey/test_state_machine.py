"""The journey's transitions: the table itself, cancel and idle timeout from every step,
double taps rejected, bugs refused, nothing left behind."""

from __future__ import annotations

import pytest

from kiosk.journey import table
from kiosk.journey.session import PhotoPurpose, Problem, ResidentSession
from kiosk.journey.steps import ANONYMOUS_STEPS, BUSY_STEPS, IDLE_STEPS, PERSONAL_STEPS, Step
from kiosk.journey.table import IllegalTransition, IntentRejected, Trigger
from protocol import wire
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
    k.journey.declaration.declare_condition(wire.Condition.EMPLOYMENT, None)
    assert k.journey.state is S.CHECKING_ELIGIBILITY
    clock.now += 1000
    k.journey.tick()
    assert k.journey.state is S.CHECKING_ELIGIBILITY
    k.pump(S.PHOTO)


def test_a_result_after_cancel_is_ignored(make_kiosk):
    k = make_kiosk()
    drive_to(k, S.DECLARE_CONDITION)
    k.journey.declaration.declare_condition(wire.Condition.EMPLOYMENT, None)
    k.journey.cancel()
    k.settle(1.0)  # the eligibility answer arrives for a session that is gone
    assert_wiped(k)


def test_a_tap_for_another_step_is_rejected_not_a_bug(make_kiosk):
    k = make_kiosk()
    with pytest.raises(IntentRejected):
        k.journey.document.confirm()  # a double tap after the step moved on
    with pytest.raises(IntentRejected):
        k.journey.back()  # no way back from the attract screen
    assert k.journey.state is S.ATTRACT


@pytest.mark.illegal_transition_expected
def test_a_move_or_event_the_table_does_not_hold_is_a_bug(make_kiosk, caplog):
    k = make_kiosk()
    with pytest.raises(IllegalTransition):
        k.journey._move(S.RECEIPT)
    with pytest.raises(IllegalTransition):
        k.journey.fire(Trigger.DECIDED)  # an eligibility answer at the attract screen
    assert "illegal transition" in caplog.text
    assert k.journey.state is S.ATTRACT


def test_every_step_can_be_reached_and_left_for_attract():
    reached, frontier = {S.ATTRACT}, [S.ATTRACT]
    while frontier:
        step = frontier.pop()
        for r in table.TABLE:
            if step in r.sources and r.to not in reached:
                reached.add(r.to)
                frontier.append(r.to)
    assert reached == set(S)
    for step in set(S) - IDLE_STEPS:
        assert table.offers(step, Trigger.CANCEL) and table.offers(step, Trigger.TIMED_OUT)
        assert table.holds(step, S.OUT_OF_SERVICE)
    assert not (BUSY_STEPS & ANONYMOUS_STEPS)
    assert PERSONAL_STEPS | ANONYMOUS_STEPS == set(S)


def test_every_source_and_trigger_has_a_way_that_always_applies():
    """Guards are tried in order; the last row of each (step, trigger) pair needs none,
    except where the guards name every case: the retry targets and the photo's purposes
    (set by every way into the photo step), and a document put back (only while paused)."""
    pairs: dict[tuple[Step, Trigger], list[table.Row]] = {}
    for r in table.TABLE:
        for source in r.sources:
            pairs.setdefault((source, r.trigger), []).append(r)
    for (source, trigger), rows in pairs.items():
        if trigger is Trigger.RETRY or (source, trigger) in {
                (S.READING_DOCUMENT, Trigger.DOCUMENT_PRESENTED),
                (S.PHOTO, Trigger.ACCEPT_PHOTO)}:
            continue
        assert rows[-1].guard is None, f"{source.value} on {trigger.value}"


@pytest.mark.parametrize("purpose, to", [(PhotoPurpose.DECISION, S.DECISION),
                                         (PhotoPurpose.DEFERRAL, S.SUBMITTING),
                                         (PhotoPurpose.STAFF_REVIEW, S.FULFILMENT)])
def test_an_accepted_photo_goes_where_its_purpose_says(purpose, to):
    session = ResidentSession(photo_purpose=purpose)
    assert table.route(S.PHOTO, Trigger.ACCEPT_PHOTO, session).to is to


@pytest.mark.parametrize("retry", table.RETRY_STEPS)
def test_retry_goes_where_the_problem_said(retry):
    session = ResidentSession(problem=Problem("x", retry))
    assert table.route(S.PROBLEM, Trigger.RETRY, session).to is retry
    assert table.route(S.PROBLEM, Trigger.RETRY, ResidentSession(problem=Problem("x"))
                       ).to is S.ATTRACT


def test_back_goes_where_the_table_says(make_kiosk):
    k = make_kiosk()
    drive_to(k, S.DECLARE_CONDITION)
    k.journey.back()
    assert k.journey.state is S.DECLARE_RESIDENCE
    k.journey.back()
    assert k.journey.state is S.CONFIRM_DETAILS
    with pytest.raises(IntentRejected):
        k.journey.back()


def test_services_come_from_config(make_kiosk):
    k = make_kiosk(journey__services=["new"])
    k.journey.welcome.begin()
    k.journey.welcome.choose_language("en")
    from kiosk.errors import InvalidInput
    with pytest.raises(InvalidInput):
        k.journey.welcome.choose_service(wire.Service.RENEWAL)
