"""The photo step's coach: it looks at the live picture a few times a second and says one
thing at a time — "move a little closer", "too dark, look toward the light" — until all
is right, then asks for the picture to be taken.

It runs on its own thread (analysis takes ~12 ms a frame here) and samples only the
newest frame, so a slow machine analyses fewer frames instead of queueing them. Its
results cross to the journey through the worker, like every other device result.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.photo")


class PhotoCoach(PeriodicThread):
    """Analyses the camera's latest frame every ``interval_s`` while the photo step is up."""

    THREAD_NAME = "photo-coach"

    def __init__(self, camera: Any, config: Any, deliver: Callable[[Any], None],
                 interval_s: float = 0.12, clock: Callable[[], float] = time.monotonic) -> None:
        from kiosk.photo.guidance import GuidanceStabiliser  # face models load on first use
        self._camera = camera
        self._deliver = deliver
        self._clock = clock
        self._config = config
        self._stabiliser = GuidanceStabiliser.from_config(config)
        self._seq = -1
        super().__init__(self.THREAD_NAME, self.look_once, interval=lambda: interval_s)

    def look_once(self) -> Any:
        """One look at the newest frame; the stabilised guidance goes to the journey when it
        changes and every time the picture may be taken."""
        from kiosk.photo.quality import assess
        frame = self._camera.latest_frame()
        if frame is None or frame.seq == self._seq:
            return None
        self._seq = frame.seq
        state = self._stabiliser.update(assess(frame, self._config), self._clock())
        if state.changed or state.ready_to_capture:
            self._deliver(state)
        return state
