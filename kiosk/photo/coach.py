"""The photo step's coach: it looks at the live picture a few times a second and says one
thing at a time — "move a little closer", "too dark, look toward the light" — until all
is right, then asks for the picture to be taken.

With a liveness challenge (kiosk/photo/liveness.py) it also asks, once the ordinary
guidance has nothing left to say, for the challenge's actions ("please blink"), one at a
time, which take the place of the ordinary guidance while asked; no picture is ready to take until the
challenge is decided. It looks more often while an action is asked.

It runs on its own thread (analysis takes ~12 ms a frame here) and samples only the
newest frame, so a slow machine analyses fewer frames instead of queueing them. Its
results cross to the journey through the worker, like every other device result.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from typing import Any

from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.photo")

IN_PLACE = ("face_found", "single_face", "face_size", "framing", "centring_h", "centring_v",
            "landmarks")
"""Checks that must pass before a liveness action is asked: one face, near enough, in
the frame and measured. Pose, eyes and light may still fail (the actions move them)."""


class PhotoCoach(PeriodicThread):
    """Analyses the camera's latest frame every ``interval_s`` while the photo step is up;
    ``liveness`` (a LivenessChallenge, or None) is fed from the same frames."""

    THREAD_NAME = "photo-coach"

    def __init__(self, camera: Any, config: Any, deliver: Callable[[Any], None],
                 interval_s: float = 0.12, clock: Callable[[], float] = time.monotonic,
                 liveness: Any = None) -> None:
        from kiosk.photo.guidance import GuidanceStabiliser  # face models load on first use
        self._camera = camera
        self._deliver = deliver
        self._clock = clock
        self._config = config
        self._stabiliser = GuidanceStabiliser.from_config(config)
        self._liveness = liveness
        self._interval_s = interval_s
        self._shown: str | None = None  # the instruction last delivered
        self._verdict: str | None = None  # the liveness verdict last delivered
        self._seq = -1
        super().__init__(self.THREAD_NAME, self.look_once, interval=self._interval)

    def _interval(self) -> float:
        live = self._liveness
        if live is not None and live.current is not None:
            return min(self._interval_s, getattr(self._config, "liveness_interval_s", 0.05))
        return self._interval_s

    def look_once(self) -> Any:
        """One look at the newest frame; the guidance goes to the journey when it changes,
        when the liveness verdict changes, and every time the picture may be taken."""
        from kiosk.photo.quality import assess
        frame = self._camera.latest_frame()
        if frame is None or frame.seq == self._seq:
            return None
        self._seq = frame.seq
        assessment = assess(frame, self._config)
        now = self._clock()
        state = self._with_liveness(assessment, now)
        changed = state.instruction != self._shown
        verdict_changed = state.liveness != self._verdict
        self._shown, self._verdict = state.instruction, state.liveness
        state = dataclasses.replace(state, changed=state.changed or changed)
        if state.changed or state.ready_to_capture or verdict_changed:
            self._deliver(state)
        return state

    def _with_liveness(self, assessment: Any, now: float) -> Any:
        from kiosk.photo.liveness import Sample, Verdict
        live = self._liveness
        if live is None:
            return self._stabiliser.update(assessment, now)
        if live.verdict is Verdict.PENDING:
            # One thing at a time: the challenge starts once the ordinary guidance has
            # nothing left to say (pose, eyes and light right too); once started, only the
            # face being in place counts, since the actions move the head and the eyes.
            ready = all(c.passed for c in assessment.checks)
            in_place = assessment.face is not None and (live.started or ready) and all(
                c.passed for c in assessment.checks if c.name in IN_PLACE)
            sample = Sample.of(assessment.face, now) if in_place else None
            asked = live.update(sample, now)
            if asked.instruction is not None:
                self._stabiliser.reset()  # the ordinary guidance starts afresh afterwards
                return _state(asked.instruction, asked.changed, False, False,
                              asked.verdict.value)
        guided = self._stabiliser.update(assessment, now)
        decided = live.verdict is not Verdict.PENDING
        # "waiting": no face has been in place yet, so nothing has been asked.
        verdict = live.verdict.value if decided or live.started else "waiting"
        return dataclasses.replace(guided, liveness=verdict,
                                   ready_to_capture=guided.ready_to_capture and decided)


def _state(instruction: str | None, changed: bool, ready: bool, passed: bool,
           liveness: str | None) -> Any:
    from kiosk.photo.guidance import GuidanceState
    return GuidanceState(instruction, changed, ready, passed, liveness)
