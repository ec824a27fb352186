"""Is a live person in front of the camera (活体检测)? A short random challenge, plus one
passive check, over the landmarks the photo checks already measure.

**The active challenge.** Once the face is in place (found, alone, near enough, framed and
measured), the resident is asked for ``steps`` actions, one at a time, drawn at random per
attempt from: blink, turn the head a little to the left, to the right (no action twice
in a row). Before each one the face must look ahead, eyes open, for a random pause
(``pause_s``), which gives the baseline: the eyes' openness and the yaw of this face, in
this light. An action counts only from ``min_reaction_s`` after its instruction and within
``step_s``:

* blink: the eye openness (FaceGeometry.eye_openness, lid gap over eye width, the less
  open eye) falls below ``blink_ratio`` of the baseline, then opens again past
  ``reopen_ratio`` of it;
* turn: the yaw (faces.head_pose, from the mesh's 3-D cheek and eye axes) moves
  ``turn_deg`` from the baseline the way asked.

A turn the other way, or a turn when a blink is asked, ends the attempt (a replayed
video does what its recording did, not what is asked now); a blink while a turn is asked
is ignored (people blink). A failed attempt is followed by a calm "let's try once more"
and a new random draw; after ``attempts`` failures the verdict is UNSURE, which sends the
application to staff review: the kiosk never tells anyone they are a fake.

Why random: a recording of an earlier session holds one order and one direction of the
actions; it matches a new draw only by chance (1 in 6 for two steps) and then only if
its actions also fall inside this session's windows, whose starts depend on the random
pauses. Measured in benchmarks/liveness.py.

**The passive check: the turn must show depth.** A printed photo or a phone held up and
tilted moves as a flat thing: the 478 mesh points of every frame are then the points
of the front frame mapped by one plane-to-plane transform (a homography), up to the
mesh's jitter. A real head turning shows parallax: the nose tip and the cheeks move
by different amounts. For a turn to count, the least-squares homography from the front
frame's mesh to the turned frame's must leave a residual (RMS, over the eye distance)
of at least ``min_parallax``. Chosen over screen moiré or frequency energy, highlight
or stillness measures because it needs nothing the coach does not already compute, it
does not depend on the camera, the light or the screen's pixel pitch (none of which
could be measured honestly here on drawn faces), and its failure case (a flat object)
is exactly the attack it is meant for. It does not stop a replayed video of a real
face: the random challenge is for that.

Pure logic over samples (time, eye openness, yaw, mesh points): no camera, no model,
no clock of its own. Not thread-safe: one coach thread feeds it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from kiosk.photo.faces import FaceGeometry


class Action(str, Enum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"  # the resident's own left: yaw grows
    TURN_RIGHT = "turn_right"


class Verdict(str, Enum):
    PENDING = "pending"  # not decided yet
    LIVE = "live"  # the challenge was met
    UNSURE = "unsure"  # not met after every attempt: staff look at the application


INSTRUCTION: dict[Action, str] = {
    Action.BLINK: "photo.live.blink",
    Action.TURN_LEFT: "photo.live.turn_left",
    Action.TURN_RIGHT: "photo.live.turn_right",
}
AGAIN = "photo.live.again"  # after a failed attempt, before the next draw
LIVENESS_IDS: tuple[str, ...] = (*INSTRUCTION.values(), AGAIN)


@dataclass(frozen=True)
class Sample:
    """What one frame says about the face. ``points`` is the mesh (N x 2 pixels), or None."""

    t: float
    eye_openness: float
    yaw: float
    eye_distance: float = 1.0
    points: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, face: FaceGeometry, t: float) -> Sample | None:
        """From a measured face; None for a face only the detector saw."""
        if not face.measured or face.eye_openness is None:
            return None
        return cls(t, face.eye_openness, face.yaw, max(face.eye_distance, 1.0), face.outline)


@dataclass(frozen=True)
class LivenessSettings:
    steps: int = 2
    step_s: float = 6.0  # time for each action, from its instruction
    attempts: int = 3  # failed attempts before the verdict is UNSURE
    pause_s: tuple[float, float] = (0.4, 1.2)  # looking ahead before each instruction
    again_s: float = 1.5  # "let's try once more" stays this long
    min_reaction_s: float = 0.15  # nothing a person does this soon is an answer
    blink_ratio: float = 0.55
    reopen_ratio: float = 0.8
    turn_deg: float = 10.0
    min_parallax: float = 0.0  # 0 switches the passive check off
    front_deg: float = 6.0  # |yaw - baseline| allowed while looking ahead

    @classmethod
    def from_config(cls, config) -> LivenessSettings:
        """From a PhotoConfig's liveness_* fields."""
        return cls(steps=config.liveness_steps, step_s=config.liveness_step_s,
                   attempts=config.liveness_attempts, turn_deg=config.liveness_turn_deg,
                   blink_ratio=config.liveness_blink_ratio,
                   min_parallax=config.liveness_min_parallax)


@dataclass(frozen=True)
class LivenessState:
    """What the resident should be asked now (a message id, None: nothing, the ordinary
    guidance shows), whether that changed with this sample, and the verdict so far."""

    instruction: str | None
    changed: bool
    verdict: Verdict
    failures: int
    reason: str = ""  # why the last attempt failed: "timeout", "wrong_action", "flat"


def draw(rng: random.Random, steps: int) -> tuple[Action, ...]:
    """``steps`` actions at random, never the same twice in a row."""
    out: list[Action] = []
    for _ in range(steps):
        out.append(rng.choice([a for a in Action if not out or a is not out[-1]]))
    return tuple(out)


def planar_residual(front: np.ndarray, moved: np.ndarray, scale: float) -> float:
    """RMS distance, over ``scale``, left between ``moved`` and ``front`` mapped by the
    least-squares homography between them (direct linear transform, normalised points):
    ~0 when the points lie on one plane that moved, larger with depth (parallax)."""
    a, b = np.asarray(front, np.float64), np.asarray(moved, np.float64)
    if a.shape != b.shape or len(a) < 8:
        return 0.0
    ta, tb = _normaliser(a), _normaliser(b)
    pa, pb = _apply(ta, a), _apply(tb, b)
    rows = np.zeros((2 * len(a), 9))
    x, y, u, v = pa[:, 0], pa[:, 1], pb[:, 0], pb[:, 1]
    rows[0::2, 0:3] = np.column_stack([-x, -y, -np.ones_like(x)])
    rows[0::2, 6:9] = np.column_stack([u * x, u * y, u])
    rows[1::2, 3:6] = np.column_stack([-x, -y, -np.ones_like(x)])
    rows[1::2, 6:9] = np.column_stack([v * x, v * y, v])
    h = np.linalg.svd(rows)[2][-1].reshape(3, 3)
    h = np.linalg.inv(tb) @ h @ ta
    mapped = _apply(h, a)
    return float(np.sqrt(np.mean(np.sum((mapped - b) ** 2, axis=1)))) / max(scale, 1e-6)


def _normaliser(p: np.ndarray) -> np.ndarray:
    centre = p.mean(axis=0)
    spread = float(np.sqrt(np.mean(np.sum((p - centre) ** 2, axis=1)))) or 1.0
    s = math.sqrt(2) / spread
    return np.array([[s, 0, -s * centre[0]], [0, s, -s * centre[1]], [0, 0, 1]])


def _apply(h: np.ndarray, p: np.ndarray) -> np.ndarray:
    q = np.column_stack([p, np.ones(len(p))]) @ h.T
    w = np.where(np.abs(q[:, 2:3]) < 1e-12, 1e-12, q[:, 2:3])
    return q[:, :2] / w


class LivenessChallenge:
    """Feed it one sample per analysed frame (None: no face in place) with its time;
    it says what to ask and, in the end, LIVE or UNSURE. ``rng`` draws the actions and
    pauses (seed it in tests; the kiosk uses the system's randomness)."""

    def __init__(self, settings: LivenessSettings | None = None,
                 rng: random.Random | None = None) -> None:
        self.settings = settings or LivenessSettings()
        self.rng = rng or random.SystemRandom()
        self.verdict = Verdict.PENDING
        self.failures = 0
        self.reason = ""
        self.started = False  # a face has been in place: the challenge is under way
        self._instruction: str | None = None
        self._new_attempt(None)

    # ----- the attempt's state -------------------------------------------------------------------
    def _new_attempt(self, now: float | None) -> None:
        self.actions = draw(self.rng, self.settings.steps)
        self._index = 0
        self._again_until = None if now is None else now + self.settings.again_s
        self._new_pause()

    def _new_pause(self) -> None:
        low, high = self.settings.pause_s
        self._pause_s = self.rng.uniform(low, high)
        self._front: list[Sample] = []  # looking ahead, since the pause began
        self._asked_at: float | None = None  # when the current action was asked
        self._closed = False  # the eyes were seen shut since the blink was asked

    @property
    def current(self) -> Action | None:
        """The action asked now, or None (pausing, or decided)."""
        if self.verdict is not Verdict.PENDING or self._asked_at is None:
            return None
        return self.actions[self._index]

    def _state(self) -> LivenessState:
        if self.verdict is not Verdict.PENDING:
            wanted = None
        elif self._again_until is not None:
            wanted = AGAIN
        elif self._asked_at is not None:
            wanted = INSTRUCTION[self.actions[self._index]]
        else:
            wanted = None
        changed, self._instruction = wanted != self._instruction, wanted
        return LivenessState(wanted, changed, self.verdict, self.failures, self.reason)

    def _fail(self, why: str, now: float) -> None:
        self.failures += 1
        self.reason = why
        if self.failures >= self.settings.attempts:
            self.verdict = Verdict.UNSURE
        else:
            self._new_attempt(now)

    # ----- one frame ---------------------------------------------------------------------------
    def update(self, sample: Sample | None, now: float) -> LivenessState:
        self.started = self.started or sample is not None
        if self.verdict is not Verdict.PENDING:
            return self._state()
        if self._again_until is not None:
            if now < self._again_until:
                return self._state()
            self._again_until = None
        if self._asked_at is None:
            self._look_ahead(sample, now)
        else:
            self._answer(sample, now)
        return self._state()

    def _look_ahead(self, sample: Sample | None, now: float) -> None:
        """The pause: a face looking ahead, eyes open, for ``_pause_s`` without a break."""
        s = self.settings
        if sample is None:
            self._front = []
            return
        if self._front:
            yaws = sorted(f.yaw for f in self._front)
            if abs(sample.yaw - yaws[len(yaws) // 2]) > s.front_deg:
                self._front = []  # still turning back, or moving: start the pause again
        if self._front and sample.eye_openness < s.blink_ratio * self._open_level():
            return  # a blink during the pause is no baseline, and no answer either
        self._front.append(sample)
        if sample.t - self._front[0].t >= self._pause_s and len(self._front) >= 3:
            self._asked_at = now

    def _open_level(self) -> float:
        values = sorted(f.eye_openness for f in self._front)
        return values[len(values) // 2]

    def _baseline_yaw(self) -> float:
        values = sorted(f.yaw for f in self._front)
        return values[len(values) // 2]

    def _answer(self, sample: Sample | None, now: float) -> None:
        s = self.settings
        assert self._asked_at is not None
        if now - self._asked_at > s.step_s:
            self._fail("timeout", now)
            return
        if sample is None or sample.t < self._asked_at + s.min_reaction_s:
            return
        action = self.actions[self._index]
        turned = sample.yaw - self._baseline_yaw()
        if action is Action.BLINK:
            if abs(turned) >= s.turn_deg:
                self._fail("wrong_action", now)
                return
            level = self._open_level()
            if sample.eye_openness < s.blink_ratio * level:
                self._closed = True
            elif self._closed and sample.eye_openness >= s.reopen_ratio * level:
                self._done(now)
            return
        sign = 1.0 if action is Action.TURN_LEFT else -1.0
        if sign * turned <= -s.turn_deg:
            self._fail("wrong_action", now)
        elif sign * turned >= s.turn_deg:
            if s.min_parallax > 0 and self._flatness(sample) < s.min_parallax:
                self._fail("flat", now)
            else:
                self._done(now)

    def _flatness(self, sample: Sample) -> float:
        """The planar residual between the pause's last frame and this turned one."""
        front = next((f.points for f in reversed(self._front) if f.points is not None), None)
        if front is None or sample.points is None:
            return math.inf  # nothing to measure: the check does not judge
        return planar_residual(front, sample.points, sample.eye_distance)

    def _done(self, now: float) -> None:
        self._index += 1
        if self._index >= len(self.actions):
            self.verdict = Verdict.LIVE
            self.reason = ""
        else:
            self._new_pause()


def run(samples: Sequence[tuple[float, Sample | None]], settings: LivenessSettings | None = None,
        rng: random.Random | None = None) -> LivenessChallenge:
    """Feed a whole recorded sequence (time, sample) and return the challenge (tests)."""
    challenge = LivenessChallenge(settings, rng)
    for now, sample in samples:
        challenge.update(sample, now)
    return challenge
