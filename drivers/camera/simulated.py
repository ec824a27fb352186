"""A camera without hardware: image files or a drawn resident, streamed at a fixed rate.

Frames come from the simulator's own thread and only the newest is kept, as with
picamera2 or an OpenCV capture loop, so the kiosk's threading is exercised for real.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Any

from PIL import Image

from drivers.base import DeviceHealth, FaultScript, HealthState
from drivers.camera.base import Camera, Frame
from drivers.camera.synthetic import portrait_layer, style_for

DEFAULT_PERSONA = "eligible"
_FPS_WINDOW_S = 2.0


class SyntheticScene:
    """A drawn resident in front of a plain wall, swaying a little from frame to frame."""

    def __init__(self, persona: str, width: int, height: int) -> None:
        self.size = (width, height)
        self.wall = Image.new("RGB", self.size, style_for(persona).background)
        side = int(height * 0.95)
        self.person = portrait_layer(persona, (int(side * 358 / 441), side))
        self.origin = ((width - self.person.width) // 2, height - self.person.height)

    def frame(self, seq: int) -> bytes:
        image = self.wall.copy()
        dx = int(6 * math.sin(seq / 9))
        dy = int(3 * math.sin(seq / 5))
        image.paste(self.person, (self.origin[0] + dx, self.origin[1] + dy + 3), self.person)
        return image.tobytes()


class FileScene:
    """Image files, fitted to the frame size once and cycled."""

    def __init__(self, paths: list[str], width: int, height: int) -> None:
        self.frames = [self._load(path, width, height) for path in paths]

    @staticmethod
    def _load(path: str, width: int, height: int) -> bytes:
        with Image.open(path) as image:
            return image.convert("RGB").resize((width, height)).tobytes()

    def frame(self, seq: int) -> bytes:
        return self.frames[seq % len(self.frames)]


class SimulatedCamera(Camera):
    """Streams at ``fps`` on its own thread. Faults (while set): ``no_frames``,
    ``frozen`` (the picture stops changing), ``unplugged`` (OFFLINE, no frames)."""

    def __init__(self, name: str, frames: list[str] | None = None, fps: float = 15,
                 width: int = 640, height: int = 480, persona: str | None = None,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps, self.width, self.height = fps, width, height
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._scene: FileScene | SyntheticScene = (
            FileScene(frames, width, height) if frames
            else SyntheticScene(persona or DEFAULT_PERSONA, width, height))
        self._latest: Frame | None = None
        self._published: collections.deque[float] = collections.deque()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._started_at = 0.0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._started_at = time.monotonic()
        self._thread = threading.Thread(target=self._stream, name=f"camera-sim-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=5)
        with self._lock:
            self._latest = None
            self._published.clear()

    def close(self) -> None:
        self.stop()

    def latest_frame(self) -> Frame | None:
        if self.faults.value("unplugged") or self.faults.value("no_frames"):
            return None
        with self._lock:
            return self._latest

    def _stream(self) -> None:
        period, seq = 1.0 / self.fps, 0
        next_at = time.monotonic()
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at = max(next_at + period, time.monotonic() - period)  # no catch-up burst
            if self._blocked():
                continue
            seq += 1
            self._publish(Frame(self.width, self.height, self._scene.frame(seq), seq))

    def _blocked(self) -> bool:
        return any(self.faults.value(name) for name in ("unplugged", "no_frames", "frozen"))

    def _publish(self, frame: Frame) -> None:
        with self._lock:
            self._latest = frame
            self._published.append(frame.timestamp)
            _trim(self._published, frame.timestamp - _FPS_WINDOW_S)

    def measured_fps(self) -> float:
        """Frames actually published per second over the last two seconds."""
        now = time.monotonic()
        with self._lock:
            _trim(self._published, now - _FPS_WINDOW_S)
            count = len(self._published)
        span = min(_FPS_WINDOW_S, now - self._started_at)
        return count / span if span > 0 else 0.0

    def health(self) -> DeviceHealth:
        if self.faults.value("unplugged"):
            return DeviceHealth(HealthState.OFFLINE, "camera_unplugged", "simulated: unplugged")
        if self._thread is None:
            return DeviceHealth(HealthState.OK, "", "idle")
        fps = self.measured_fps()
        if self._blocked() or (fps == 0 and time.monotonic() - self._started_at > 1.0):
            return DeviceHealth(HealthState.ERROR, "camera_no_frames", f"fps={fps:.1f}")
        return DeviceHealth(HealthState.OK, "", f"fps={fps:.1f}")


def _trim(stamps: collections.deque[float], oldest: float) -> None:
    while stamps and stamps[0] < oldest:
        stamps.popleft()
