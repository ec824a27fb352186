"""The liveness challenge's logic on landmark sequences: no camera, no model."""

from __future__ import annotations

import random

import numpy as np
import pytest

from kiosk.photo.liveness import (
    AGAIN,
    INSTRUCTION,
    LIVENESS_IDS,
    Action,
    LivenessChallenge,
    LivenessSettings,
    Sample,
    Verdict,
    draw,
    planar_residual,
)
from kiosk.photo.messages import GUIDANCE_IDS, MESSAGES

DT = 0.05
OPEN, SHUT = 0.35, 0.05
FAST = LivenessSettings(steps=2, step_s=3.0, attempts=3, pause_s=(0.3, 0.6), again_s=0.5)


class Resident:
    """Plays a face frame by frame: ``respond(action) -> list of (eyes, yaw)`` per frame."""

    def __init__(self, challenge: LivenessChallenge, t: float = 0.0) -> None:
        self.c, self.t = challenge, t
        self.asked: list[str] = []

    def frame(self, eyes: float = OPEN, yaw: float = 1.0, face: bool = True):
        self.t += DT
        state = self.c.update(Sample(self.t, eyes, yaw) if face else None, self.t)
        if state.changed and state.instruction:
            self.asked.append(state.instruction)
        return state

    def ahead(self, seconds: float) -> None:
        for _ in range(round(seconds / DT)):
            self.frame()

    def wait_for_ask(self, limit_s: float = 5.0) -> Action | None:
        for _ in range(round(limit_s / DT)):
            if self.c.current is not None:
                return self.c.current
            self.frame()
        return None

    def do(self, action: Action, react_s: float = 0.4) -> None:
        self.ahead(react_s)
        if action is Action.BLINK:
            for eyes in (0.2, SHUT, SHUT, SHUT, 0.2, OPEN):
                self.frame(eyes)
        else:
            sign = 1 if action is Action.TURN_LEFT else -1
            for yaw in (5, 10, 15, 18, 18):
                self.frame(yaw=1.0 + sign * yaw)
            for yaw in (12, 6, 1):  # and back
                self.frame(yaw=1.0 + sign * yaw)

    def follow(self) -> Verdict:
        while self.c.verdict is Verdict.PENDING:
            action = self.wait_for_ask()
            if action is None:
                break
            self.do(action)
        return self.c.verdict


def test_every_instruction_is_a_sentence_in_both_languages():
    assert set(LIVENESS_IDS) <= set(GUIDANCE_IDS)
    for msgid in LIVENESS_IDS:
        zh, en = MESSAGES[msgid]
        assert zh != msgid and en != msgid, msgid
    assert MESSAGES["photo.live.blink"] == ("请眨眨眼", "Please blink")


def test_draws_are_random_and_never_repeat_an_action():
    rng = random.Random(1)
    seen = {draw(rng, 2) for _ in range(200)}
    assert len(seen) == 6, "blink, left, right: every ordered pair of different actions"
    assert all(a != b for a, b in seen)


@pytest.mark.parametrize("seed", range(8))
def test_a_resident_who_does_what_is_asked_is_live(seed):
    c = LivenessChallenge(FAST, random.Random(seed))
    r = Resident(c)
    assert r.follow() is Verdict.LIVE
    assert c.failures == 0
    assert r.asked == [INSTRUCTION[a] for a in c.actions], "one instruction at a time, in order"


def test_nothing_is_asked_until_the_face_is_in_place():
    c = LivenessChallenge(FAST, random.Random(0))
    r = Resident(c)
    for _ in range(100):
        assert r.frame(face=False).instruction is None
    assert c.current is None and c.verdict is Verdict.PENDING and c.failures == 0


def test_a_held_photo_never_blinks_or_turns_and_goes_to_review():
    c = LivenessChallenge(FAST, random.Random(3))
    r = Resident(c)
    rng = np.random.default_rng(0)
    states = []
    for _ in range(400):  # 20 s of a still picture with the mesh's jitter
        states.append(r.frame(eyes=OPEN + rng.normal(0, 0.01), yaw=1.0 + rng.normal(0, 0.8)))
        if c.verdict is not Verdict.PENDING:
            break
    assert c.verdict is Verdict.UNSURE and c.failures == FAST.attempts
    assert c.reason == "timeout"
    assert AGAIN in r.asked, "a calm 'let's try once more' between attempts"
    assert r.asked.count(AGAIN) == FAST.attempts - 1


def test_turning_the_wrong_way_fails_the_attempt_and_a_new_draw_follows():
    c = LivenessChallenge(FAST, random.Random(0))
    r = Resident(c)
    asked = r.wait_for_ask()
    first = c.actions
    wrong = {Action.TURN_LEFT: Action.TURN_RIGHT, Action.TURN_RIGHT: Action.TURN_LEFT,
             Action.BLINK: Action.TURN_LEFT}[asked]
    r.do(wrong)
    assert c.failures == 1 and c.reason == "wrong_action"
    assert r.frame().instruction == AGAIN
    assert r.follow() is Verdict.LIVE, "the retry is a fresh chance"
    assert c.failures == 1
    assert first is not c.actions


def test_a_blink_while_a_turn_is_asked_is_ignored():
    rng = random.Random(0)
    while True:
        c = LivenessChallenge(FAST, random.Random(rng.random()))
        if c.actions[0] is not Action.BLINK:
            break
    r = Resident(c)
    r.wait_for_ask()
    r.do(Action.BLINK)
    assert c.failures == 0 and c.current is c.actions[0]
    r.do(c.actions[0])
    assert c.current is None and c.failures == 0, "first step done, pausing before the next"


def test_an_action_before_the_instruction_is_no_answer():
    """Whatever happened just before the instruction (a recording's blink) does not count."""
    c = LivenessChallenge(LivenessSettings(steps=1, step_s=2.0, pause_s=(0.5, 0.5)),
                          random.Random(0))
    while c.actions != (Action.BLINK,):
        c = LivenessChallenge(c.settings, random.Random(random.random()))
    r = Resident(c)
    r.wait_for_ask()
    for eyes in (SHUT, SHUT, OPEN):  # within min_reaction_s of the instruction
        r.frame(eyes)
    assert c.verdict is Verdict.PENDING


def test_a_flat_picture_turned_to_the_camera_does_not_count_as_a_turn():
    """The passive check: a turn whose landmarks move as one plane (a photo swung round)
    fails; the same yaw with depth in the motion passes."""
    settings = LivenessSettings(steps=1, step_s=3.0, attempts=1, pause_s=(0.3, 0.3),
                                min_parallax=0.04)
    grid = np.array([(x, y) for x in np.linspace(-1, 1, 9) for y in np.linspace(-1, 1, 9)])
    depth = 1.0 - (grid ** 2).sum(axis=1) / 2  # a dome: the middle nearer the camera

    def project(angle: float, solid: bool) -> np.ndarray:
        z = depth if solid else np.zeros(len(grid))
        x = grid[:, 0] * np.cos(angle) + z * np.sin(angle)
        zz = -grid[:, 0] * np.sin(angle) + z * np.cos(angle) + 6.0
        return np.column_stack([x / zz, grid[:, 1] / zz]) * 600 + 320

    for solid, expected in ((True, Verdict.LIVE), (False, Verdict.UNSURE)):
        c = LivenessChallenge(settings, random.Random(0))
        while c.actions[0] is Action.BLINK:
            c = LivenessChallenge(settings, random.Random(random.random()))
        sign = 1 if c.actions[0] is Action.TURN_LEFT else -1
        t = 0.0
        for _ in range(60):
            t += DT
            yaw = 0.0 if c.current is None else 18.0 * sign
            points = project(np.radians(yaw), solid)
            c.update(Sample(t, OPEN, yaw, 100.0, points), t)
            if c.verdict is not Verdict.PENDING:
                break
        assert c.verdict is expected, solid
        if not solid:
            assert c.reason == "flat"


def test_planar_residual_is_nil_for_a_plane_and_grows_with_depth():
    rng = np.random.default_rng(1)
    pts = rng.uniform(0, 200, (50, 2))
    h = np.array([[1.02, 0.05, 3.0], [-0.04, 0.98, -2.0], [1e-4, -2e-4, 1.0]])
    q = np.column_stack([pts, np.ones(50)]) @ h.T
    moved = q[:, :2] / q[:, 2:]
    assert planar_residual(pts, moved, 60.0) < 1e-6
    bumped = moved + rng.normal(0, 3.0, moved.shape)
    assert planar_residual(pts, bumped, 60.0) > 0.02
