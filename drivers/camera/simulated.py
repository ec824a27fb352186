"""A camera without hardware: image files or a drawn resident, streamed at a fixed rate.

Frames come from the simulator's own thread and only the newest is kept, as with
picamera2 or an OpenCV capture loop, so the kiosk's threading is exercised for real.

``frames`` is one image (a still picture), a folder of images (a recorded sequence,
played in name order) or a list of files; they are fitted to the frame size (cropped to
its proportion, then scaled) and cycled at ``fps``. Without it, a drawn resident sways.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from drivers.base import DeviceHealth, FaultScript, HealthState
from drivers.camera.base import Camera, Frame
from drivers.camera.stream import FrameStream
from drivers.camera.synthetic import portrait_layer, style_for

DEFAULT_PERSONA = "eligible"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".tif", ".tiff")
PRELOAD_LIMIT_BYTES = 64 * 1024 * 1024  # longer sequences are decoded frame by frame

FrameSource = str | os.PathLike | Sequence[str | os.PathLike]


def image_paths(source: FrameSource) -> list[str]:
    """The images a ``frames`` option names: a file, a folder (name order) or a list."""
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise ValueError(f"no images in {path}")
            return [str(p) for p in found]
        if not path.is_file():
            raise FileNotFoundError(f"no image or folder at {path}")
        return [str(path)]
    paths = [str(Path(p).expanduser()) for p in source]
    if not paths:
        raise ValueError("frames is an empty list")
    return paths


class ResidentMotion:
    """The drawn resident's eyes and head over time: they do what the screen asks.

    ``instruct`` gives them the instruction on screen (a message id); after
    ``reaction_s`` they blink (and blink again every ``BLINK_AGAIN_S`` while still asked),
    or turn their head a little toward their left or right and hold it there until the
    instruction changes, then look ahead again. ``pose(now)`` is (eyes open 0..1, turn
    -1..1) as synthetic.portrait_layer draws them, quantised so a few layers serve all.
    """

    BLINK_S = 0.4  # shutting, shut (the middle half), opening
    BLINK_AGAIN_S = 1.4
    TURN_S = 0.35  # to turn the head, or turn it back

    def __init__(self, reaction_s: float = 0.45) -> None:
        self.reaction_s = reaction_s
        self.instruction: str | None = None
        self.since = 0.0
        self._turn_from = 0.0  # where the head was when the instruction changed

    def instruct(self, instruction: str | None, now: float) -> None:
        if instruction == self.instruction:
            return
        self._turn_from = self._turn(now)
        self.instruction, self.since = instruction, now

    def _turn(self, now: float) -> float:
        target = {"photo.live.turn_left": 1.0, "photo.live.turn_right": -1.0}.get(
            self.instruction or "", 0.0)
        elapsed = now - self.since - (self.reaction_s if target else 0.2)
        share = min(1.0, max(0.0, elapsed / self.TURN_S))
        return self._turn_from + (target - self._turn_from) * share

    def _eyes(self, now: float) -> float:
        if self.instruction != "photo.live.blink":
            return 1.0
        elapsed = now - self.since - self.reaction_s
        if elapsed < 0:
            return 1.0
        phase = (elapsed % self.BLINK_AGAIN_S) / self.BLINK_S
        if phase >= 1.0:
            return 1.0
        return min(1.0, max(0.0, abs(phase - 0.5) * 5.0 - 1.25))  # shut through the middle

    def pose(self, now: float) -> tuple[float, float]:
        return round(self._eyes(now) * 2) / 2, round(self._turn(now) * 4) / 4


class SyntheticScene:
    """A drawn resident in front of a plain wall, swaying a little from frame to frame.

    ``behaviour`` is what the resident is doing wrong, as a technician's switch on the
    simulator (fault ``resident``): ``far`` (a step back), ``off_centre`` (to one side),
    ``tilted`` (head on one side), ``hat`` (wearing one), ``dark`` (a dim hall),
    ``photo`` (not the resident: a printed photo of them held up to the lens, one still
    picture shaking a little with the hand, with the sensor's noise). The demo and the
    tests use it to drive the photo guidance through the real pipeline. ``pose`` is the
    resident's (eyes, turn) of ResidentMotion; a photo has none.
    """

    BEHAVIOURS = ("far", "off_centre", "tilted", "hat", "dark", "photo")

    def __init__(self, persona: str, width: int, height: int) -> None:
        self.persona = persona
        self.size = (width, height)
        self.wall = Image.new("RGB", self.size, style_for(persona).background)
        side = int(height * 0.95)
        self.person = portrait_layer(persona, (int(side * 358 / 441), side))
        self.origin = ((width - self.person.width) // 2, height - self.person.height)
        self._layers: dict[tuple[str, float, float],
                           tuple[Image.Image, tuple[int, int]]] = {}
        self._print: Any = None  # numpy arrays, made when a photo is first held up
        self._noise: list[Any] = []

    def _layer(self, behaviour: str | None,
               pose: tuple[float, float] = (1.0, 0.0)) -> tuple[Image.Image, tuple[int, int]]:
        """The person as drawn for this behaviour and pose, and where on the wall; made once."""
        key = (behaviour or "", *pose)
        if key not in self._layers:
            person, (x, y) = self.person, self.origin
            if pose != (1.0, 0.0):
                person = portrait_layer(self.persona, self.person.size, eyes=pose[0],
                                        turn=pose[1])
            if behaviour == "far":
                person = person.resize((person.width * 11 // 20, person.height * 11 // 20))
                x, y = (self.size[0] - person.width) // 2, self.size[1] - person.height
            elif behaviour == "off_centre":
                x += int(self.size[0] * 0.22)
            elif behaviour == "tilted":
                person = person.rotate(16, resample=Image.Resampling.BICUBIC, center=(
                    person.width / 2, person.height * 0.45))
            elif behaviour == "hat":
                person = with_hat(person)
            self._layers[key] = (person, (x, y))
        return self._layers[key]

    def frame(self, seq: int, behaviour: str | None = None,
              pose: tuple[float, float] = (1.0, 0.0)) -> bytes:
        if behaviour == "photo":
            return self.held_print(seq)
        image = self.wall.copy()
        dx = int(6 * math.sin(seq / 9))
        dy = int(3 * math.sin(seq / 5))
        person, (x, y) = self._layer(behaviour, pose)
        image.paste(person, (x + dx, y + dy + 3), person)
        if behaviour == "dark":
            image = image.point(lambda v: v * 0.22)
        return image.tobytes()

    def held_print(self, seq: int) -> bytes:
        """One still picture of the resident (frame 3, eyes open, looking ahead) held up:
        moved by a hand's shake of a pixel or two and overlaid with the sensor's noise."""
        import numpy as np  # only the photo extra brings numpy
        if self._print is None:
            self._print = np.frombuffer(self.frame(3), np.uint8).reshape(
                self.size[1], self.size[0], 3)
            rng = np.random.default_rng(7)
            self._noise = [rng.normal(0, 2.5, self._print.shape).astype(np.int16)
                           for _ in range(4)]
        dx, dy = round(1.5 * math.sin(seq * 1.7)), round(1.5 * math.cos(seq * 1.1))
        shaken = np.roll(self._print, (dy, dx), axis=(0, 1)).astype(np.int16)
        shaken += self._noise[seq % len(self._noise)]
        return np.clip(shaken, 0, 255).astype(np.uint8).tobytes()


def with_hat(person: Image.Image) -> Image.Image:
    """The drawn person (as portrait_layer makes them) wearing a dark cap down to the brows."""
    hatted = person.copy()
    draw = ImageDraw.Draw(hatted)
    w, h = person.size
    colour = (44, 52, 74, 255)
    draw.chord([0.27 * w, 0.12 * h, 0.73 * w, 0.64 * h], 180, 360, fill=colour)
    draw.rectangle([0.25 * w, 0.35 * h, 0.75 * w, 0.385 * h], fill=colour)
    return hatted


class FileScene:
    """Image files fitted to the frame size and cycled; decoded once when they fit in
    ``PRELOAD_LIMIT_BYTES``, else one by one as they are shown."""

    def __init__(self, paths: list[str], width: int, height: int) -> None:
        self.paths = paths
        self.size = (width, height)
        self.frames: list[bytes] | None = None
        if len(paths) * width * height * 3 <= PRELOAD_LIMIT_BYTES:
            self.frames = [self._load(path) for path in paths]
        else:
            self._load(paths[0])  # a broken first file is a config error, said at once

    def _load(self, path: str) -> bytes:
        with Image.open(path) as image:
            return ImageOps.fit(image.convert("RGB"), self.size).tobytes()

    def frame(self, seq: int) -> bytes:
        index = seq % len(self.paths)
        if self.frames is not None:
            return self.frames[index]
        return self._load(self.paths[index])


class SimulatedCamera(Camera):
    """Streams at ``fps`` on its own thread. Faults (while set): ``no_frames`` (nothing is
    produced), ``frozen`` (the same frame is delivered again and again, its seq unchanged),
    ``unplugged`` (OFFLINE, no frames); ``resident`` makes the drawn resident do one of
    SyntheticScene.BEHAVIOURS; ``shown`` (an image file's path) is held up to the lens, as
    a technician shows the enrolment QR code on a phone or a sheet of paper.

    The drawn resident reads the screen: ``instruct`` (the photo step's instruction)
    makes them blink or turn their head as ResidentMotion says."""

    def __init__(self, name: str, frames: FrameSource | None = None, fps: float = 15,
                 width: int = 640, height: int = 480, persona: str | None = None,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        if fps <= 0:
            raise ValueError("fps must be positive")
        self.fps, self.width, self.height = fps, width, height
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._scene: FileScene | SyntheticScene = (
            FileScene(image_paths(frames), width, height) if frames
            else SyntheticScene(persona or DEFAULT_PERSONA, width, height))
        self.motion = ResidentMotion()
        self._stream = FrameStream()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._stream.reset()
        self._thread = threading.Thread(target=self._run, name=f"camera-sim-{self.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=5)
        self._stream.reset()

    def close(self) -> None:
        self.stop()

    def instruct(self, instruction: str | None) -> None:
        self.motion.instruct(instruction, time.monotonic())

    def latest_frame(self) -> Frame | None:
        if self.faults.value("unplugged") or self.faults.value("no_frames"):
            return None
        return self._stream.latest()

    def _run(self) -> None:
        period, seq = 1.0 / self.fps, 0
        next_at = time.monotonic()
        while not self._stop.wait(max(0.0, next_at - time.monotonic())):
            next_at = max(next_at + period, time.monotonic() - period)  # no catch-up burst
            if self.faults.value("unplugged") or self.faults.value("no_frames"):
                continue
            if self.faults.value("frozen"):
                self._stream.republish()
                continue
            seq += 1
            self._stream.publish(self.width, self.height, self._next_frame(seq))

    def _next_frame(self, seq: int) -> bytes:
        shown = self.faults.value("shown")
        if shown:
            return self._held_up(str(shown), seq)
        if isinstance(self._scene, SyntheticScene):
            return self._scene.frame(seq, self.faults.value("resident"),
                                     self.motion.pose(time.monotonic()))
        return self._scene.frame(seq)

    def _held_up(self, path: str, seq: int) -> bytes:
        """The image filling most of the frame on a grey desk, swaying a little."""
        if getattr(self, "_shown", (None,))[0] != path:
            with Image.open(path) as image:
                side = int(min(self.width, self.height) * 0.8)
                self._shown = (path, ImageOps.contain(image.convert("RGB"), (side, side)))
        picture = self._shown[1]
        frame = Image.new("RGB", (self.width, self.height), (118, 122, 128))
        x = (self.width - picture.width) // 2 + int(4 * math.sin(seq / 7))
        y = (self.height - picture.height) // 2 + int(3 * math.sin(seq / 5))
        frame.paste(picture, (x, y))
        return frame.tobytes()

    def _blocked(self) -> bool:
        return any(self.faults.value(name) for name in ("unplugged", "no_frames", "frozen"))

    def measured_fps(self) -> float:
        """Frames actually delivered per second over the last two seconds."""
        return self._stream.fps()

    def stats(self) -> dict[str, Any]:
        """The same figures as the real drivers give the diagnostics screen."""
        out = self._stream.stats()
        health = self.health()
        out.update(state=health.state.value, code=health.code, device="simulated",
                   requested=f"{self.width}x{self.height}@{self.fps:g}")
        return out

    def health(self) -> DeviceHealth:
        if self.faults.value("unplugged"):
            return DeviceHealth(HealthState.OFFLINE, "camera_unplugged", "simulated: unplugged")
        if self._thread is None:
            return DeviceHealth(HealthState.OK, "", "idle")
        fps = self.measured_fps()
        if self.faults.value("frozen"):
            return DeviceHealth(HealthState.ERROR, "camera_frozen",
                                f"fps={fps:.1f}; simulated: frozen")
        if self._blocked() or (fps == 0 and self._stream.since_start() > 1.0):
            return DeviceHealth(HealthState.ERROR, "camera_no_frames", f"fps={fps:.1f}")
        return DeviceHealth(HealthState.OK, "", f"fps={fps:.1f}")
