"""The stabiliser: one instruction at a time, never flickering, each change said once,
ready to capture only after everything has been right for the hold time."""

from __future__ import annotations

import itertools

import pytest

from kiosk.config import PhotoConfig
from kiosk.photo.guidance import KEEP_STILL, GuidanceStabiliser
from kiosk.photo.quality import Assessment, CheckResult

FPS = 30
CLOSER, LEFT, DARK = "photo.guide.closer", "photo.guide.left", "photo.guide.too_dark"


def run(stabiliser, inputs, fps=FPS, start=100.0):
    return [stabiliser.update(wanted, now=start + i / fps) for i, wanted in enumerate(inputs)]


def shown(states):
    return [s.instruction for s in states]


def test_a_flip_flopping_input_never_alternates_on_screen():
    states = run(GuidanceStabiliser(4, 0.6, 0.8), itertools.islice(itertools.cycle([CLOSER, LEFT]),
                                                                   300))
    assert set(shown(states)) == {CLOSER}
    assert sum(s.changed for s in states) == 1


def test_two_challengers_taking_turns_never_replace_the_current_instruction():
    stabiliser = GuidanceStabiliser(3, 0.5, 0.8)
    run(stabiliser, [DARK] * 5)
    states = run(stabiliser, [CLOSER, LEFT] * 60, fps=2)  # even slowly, neither wins twice
    assert set(shown(states)) == {DARK} and not any(s.changed for s in states)


def test_a_lasting_change_is_shown_after_k_frames_and_said_once():
    states = run(GuidanceStabiliser(4, 10.0, 0.8), [CLOSER] * 10 + [LEFT] * 10 + [CLOSER] * 2
                 + [LEFT] * 5)
    assert shown(states)[:13] == [CLOSER] * 13
    assert shown(states)[13:] == [LEFT] * (len(states) - 13)
    assert [i for i, s in enumerate(states) if s.changed] == [0, 13]


def test_at_a_low_frame_rate_the_time_rule_switches_first():
    states = run(GuidanceStabiliser(10, 0.6, 0.8), [CLOSER] * 3 + [LEFT] * 5, fps=4)
    # LEFT first wins at frame 3 (t=0.75); 0.6 s later is frame 6 (t=1.5), long before 10 frames
    assert [i for i, s in enumerate(states) if s.changed] == [0, 6]


def test_keep_still_while_all_pass_and_ready_only_after_the_hold():
    stabiliser = GuidanceStabiliser(4, 0.6, 0.8)
    states = run(stabiliser, [CLOSER] * 5 + [None] * 40)
    passing = states[5:]
    assert all(s.all_passed for s in passing)
    assert shown(passing)[3:] == [KEEP_STILL] * (len(passing) - 3)
    first_ready = next(i for i, s in enumerate(passing) if s.ready_to_capture)
    assert 0.8 <= first_ready / FPS < 0.8 + 1.5 / FPS  # held 0.8 s, not a frame more
    assert all(s.ready_to_capture for s in passing[first_ready:])


def test_one_bad_frame_restarts_the_hold():
    stabiliser = GuidanceStabiliser(4, 0.6, 0.8)
    states = run(stabiliser, [None] * 20 + [DARK] + [None] * 30)
    assert not any(s.ready_to_capture for s in states[:25])
    assert states[20].instruction == KEEP_STILL  # one dark frame does not reach the screen
    first_ready = next(i for i, s in enumerate(states) if s.ready_to_capture)
    assert 0.8 <= (first_ready - 21) / FPS < 0.8 + 1.5 / FPS


def test_it_reads_assessments_and_resets():
    failed = Assessment((CheckResult("face_size", 0.1, 0.3, False, CLOSER),))
    passed = Assessment((CheckResult("face_found", 1, 1, True, None),))
    stabiliser = GuidanceStabiliser.from_config(PhotoConfig(guidance_frames=2, capture_hold_s=0))
    assert stabiliser.update(failed, now=0).instruction == CLOSER
    stabiliser.update(passed, now=0.01)
    state = stabiliser.update(passed, now=0.02)
    assert state.instruction == KEEP_STILL and state.changed and state.ready_to_capture
    stabiliser.reset()
    assert stabiliser.instruction is None
    with pytest.raises(ValueError):
        GuidanceStabiliser(0, 1, 1)
