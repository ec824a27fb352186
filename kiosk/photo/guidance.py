"""One calm instruction at a time while the resident poses.

Per-frame checks are noisy: a face on the edge of a threshold passes one frame and
fails the next. ``GuidanceStabiliser`` shows one instruction, the most important
failing one, and replaces it only when a different instruction has won every frame
for ``frames`` frames in a row or for ``seconds`` without a break, so two instructions
never alternate on screen. While everything passes it says "keep still"; once every
check has passed for ``hold_s`` without a break it reports ``ready_to_capture``.
``changed`` is true only on the update where the instruction changed, so the caller
speaks each instruction once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol

KEEP_STILL = "photo.guide.keep_still"


class _HasGuidance(Protocol):
    @property
    def passed(self) -> bool: ...

    def guidance(self) -> str | None: ...


@dataclass(frozen=True)
class GuidanceState:
    """What to show now. ``instruction`` is a message id (None before the first frame)."""

    instruction: str | None
    changed: bool
    ready_to_capture: bool
    all_passed: bool
    liveness: str | None = None  # the liveness verdict (liveness.Verdict's value); None: off


class GuidanceStabiliser:
    def __init__(self, frames: int = 4, seconds: float = 0.6, hold_s: float = 0.8) -> None:
        if frames < 1 or seconds <= 0 or hold_s < 0:
            raise ValueError("frames >= 1, seconds > 0 and hold_s >= 0")
        self.frames, self.seconds, self.hold_s = frames, seconds, hold_s
        self.reset()

    @classmethod
    def from_config(cls, config) -> GuidanceStabiliser:
        """From a PhotoConfig: guidance_frames, guidance_s, capture_hold_s."""
        return cls(config.guidance_frames, config.guidance_s, config.capture_hold_s)

    def reset(self) -> None:
        """Forget everything (a new resident, or the photo step shown again)."""
        self.instruction: str | None = None
        self._challenger: str | None = None
        self._challenger_frames = 0
        self._challenger_since = 0.0
        self._passing_since: float | None = None

    def update(self, assessment: _HasGuidance | str | None,
               now: float | None = None) -> GuidanceState:
        """Feed one frame's result: an Assessment, or directly its guidance message id
        (None meaning every check passed). ``now`` is a monotonic time in seconds."""
        now = time.monotonic() if now is None else now
        if assessment is None or isinstance(assessment, str):
            wanted, all_passed = assessment, assessment is None
        else:
            wanted, all_passed = assessment.guidance(), assessment.passed
        wanted = wanted or KEEP_STILL
        all_passed = all_passed and wanted == KEEP_STILL

        if all_passed:
            if self._passing_since is None:
                self._passing_since = now
        else:
            self._passing_since = None
        ready = self._passing_since is not None and now - self._passing_since >= self.hold_s

        changed = False
        if self.instruction is None:
            self.instruction, changed = wanted, True
            self._challenger = None
        elif wanted == self.instruction:
            self._challenger = None
        else:
            if wanted != self._challenger:
                self._challenger, self._challenger_frames, self._challenger_since = wanted, 0, now
            self._challenger_frames += 1
            if (self._challenger_frames >= self.frames
                    or now - self._challenger_since >= self.seconds):
                self.instruction, changed = wanted, True
                self._challenger = None
        return GuidanceState(self.instruction, changed, ready, all_passed)
