"""The camera interface: a stream of frames, of which only the latest matters.

Real cameras (picamera2, OpenCV) produce frames on their own thread; the UI shows
the newest one and analysis samples it. Nothing queues, so a slow UI never makes
memory grow.
"""

from __future__ import annotations

import time
from abc import abstractmethod
from dataclasses import dataclass, field

from drivers.base import Device, DeviceError


@dataclass(frozen=True)
class Frame:
    """One RGB frame, 8 bits per channel, rows top to bottom. Personal data."""

    width: int
    height: int
    rgb: bytes = field(repr=False)
    seq: int = 0
    timestamp: float = field(default_factory=time.monotonic)


class CameraError(DeviceError):
    code = "camera_error"


class NoFrames(CameraError):
    code = "camera_no_frames"


class Camera(Device):
    kind = "camera"

    @abstractmethod
    def start(self) -> None:
        """Begin streaming."""

    @abstractmethod
    def stop(self) -> None:
        """Stop streaming; safe to call twice."""

    @abstractmethod
    def latest_frame(self) -> Frame | None:
        """The newest frame, or None before the first. Never blocks."""

    def instruct(self, instruction: str | None) -> None:
        """The instruction on the screen now (a message id; None: none). Real cameras
        ignore it; a simulator's drawn resident reads it and does what it says."""

    def capture_still(self, timeout_s: float = 2.0) -> Frame:
        """A still for the photo: by default the next fresh frame of the stream."""
        last = self.latest_frame()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            frame = self.latest_frame()
            if frame is not None and (last is None or frame.seq != last.seq):
                return frame
            time.sleep(0.01)
        raise NoFrames(f"no new frame within {timeout_s:.1f} s")
