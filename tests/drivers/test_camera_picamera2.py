"""The picamera2 driver, around a FAKE ``picamera2`` module.

picamera2 needs a Raspberry Pi with libcamera, so the real library cannot run here.
The tiny stand-in below is put into ``sys.modules`` only to exercise OUR code: the
capture thread, the pixel-order conversions, stills, timeouts, reopening and health.
It imitates just the calls the driver makes (``global_camera_info``, the configuration
builders, ``configure``/``start``/``stop``/``close``, ``capture_array``,
``switch_mode_and_capture_array``, ``cancel_all_and_flush``); it says nothing about
how a real camera behaves, which must be checked on the kiosk's Pi.
"""

from __future__ import annotations

import ast
import sys
import threading
import time
import types
from pathlib import Path

import pytest

from drivers.base import HealthState
from drivers.camera import picamera2_camera
from drivers.camera.base import CameraError, NoFrames
from drivers.camera.picamera2_camera import UNUSABLE, Picamera2Camera, is_usable
from tests.drivers.helpers import wait_until

np = pytest.importorskip("numpy")

W, H = 64, 48
SENSOR = (320, 240)
RED, BLUE = (250, 10, 20), (15, 25, 240)  # as R, G, B


def camera_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("camera-")]


@pytest.fixture(autouse=True)
def no_camera_thread_left_behind():
    yield
    assert wait_until(lambda: not camera_threads(), timeout=2.0), camera_threads()


class FakeWorld:
    """What the fake camera does; tests change it while the driver runs."""

    def __init__(self) -> None:
        self.cameras = [{"Model": "fake", "Id": "/base/fake", "Num": 0}]
        self.fail_open = False
        self.stalled = False
        self.frozen = False
        self.stream_size: tuple[int, int] | None = None  # what libcamera "aligned" the size to
        self.period_s = 1 / 60
        self.opened: list[FakePicamera2] = []
        self.cancels = 0


def pixels(width: int, height: int, fmt: str, count: int) -> np.ndarray:
    """A red patch top left, a blue one top right, and a moving bar, laid out as libcamera
    lays out ``fmt`` in memory."""
    rgb = np.full((height, width, 3), 90, np.uint8)
    rgb[:8, :8] = RED
    rgb[:8, -8:] = BLUE
    rgb[height // 2, count % width] = (255, 255, 255)
    if fmt in ("RGB888", "XRGB8888"):
        out = rgb[..., ::-1]  # B, G, R in memory
    else:
        out = rgb
    if fmt.startswith("X"):
        out = np.concatenate([out, np.full((height, width, 1), 255, np.uint8)], axis=2)
    return np.ascontiguousarray(out)


class FakePicamera2:
    world: FakeWorld

    @staticmethod
    def global_camera_info():
        return list(FakePicamera2.world.cameras)

    def __init__(self, camera_num: int = 0) -> None:
        world = self.world
        if world.fail_open or camera_num >= len(world.cameras):
            raise RuntimeError("Camera __init__ sequence did not complete.")
        self.sensor_resolution = SENSOR
        self.config = None
        self.started = False
        self.closed = False
        self.count = 0
        self.video_args: dict = {}
        self.still_args: dict = {}
        self.stills = 0
        world.opened.append(self)

    def create_video_configuration(self, main=None, controls=None, buffer_count=6):
        self.video_args = {"main": dict(main or {}), "controls": dict(controls or {}),
                           "buffer_count": buffer_count}
        return {"use_case": "video", "main": dict(main), "controls": dict(controls or {})}

    def create_still_configuration(self, main=None):
        main = {"size": self.sensor_resolution, **(main or {})}
        self.still_args = {"main": dict(main)}
        return {"use_case": "still", "main": main}

    def configure(self, config) -> None:
        self.config = config

    def start(self) -> None:
        assert self.config is not None, "configure before start"
        self.started = True

    def stop(self) -> None:
        self.started = False

    def close(self) -> None:
        self.started, self.closed = False, True

    def cancel_all_and_flush(self) -> None:
        self.world.cancels += 1

    def _frame(self, config) -> np.ndarray:
        main = config["main"]
        width, height = main["size"]
        if config["use_case"] == "video" and self.world.stream_size:
            width, height = self.world.stream_size
        if not self.world.frozen:
            self.count += 1
        return pixels(width, height, main["format"], self.count)

    def capture_array(self, name="main", wait=None):
        assert name == "main" and self.started and not self.closed
        if self.world.stalled:
            time.sleep(min(float(wait), 0.2))
            raise TimeoutError()
        time.sleep(self.world.period_s)
        return self._frame(self.config)

    def switch_mode_and_capture_array(self, camera_config, name="main", wait=None):
        assert self.started
        self.stills += 1
        return self._frame(camera_config)


@pytest.fixture
def world(monkeypatch):
    world = FakeWorld()
    FakePicamera2.world = world
    module = types.ModuleType("picamera2")
    module.Picamera2 = FakePicamera2
    monkeypatch.setitem(sys.modules, "picamera2", module)
    return world


@pytest.fixture
def make_camera(world):
    made: list[Picamera2Camera] = []

    def make(**options) -> Picamera2Camera:
        options.setdefault("width", W)
        options.setdefault("height", H)
        options.setdefault("reopen_after_s", 0.1)
        camera = Picamera2Camera("test", **options)
        camera.read_timeout_s = 0.05
        made.append(camera)
        return camera

    yield make
    for camera in made:
        camera.stop()


def first_frame(camera):
    assert wait_until(lambda: camera.latest_frame() is not None), camera.health()
    return camera.latest_frame()


def pixel(frame, x, y):
    at = (y * frame.width + x) * 3
    return tuple(frame.rgb[at:at + 3])


def test_unusable_without_picamera2(monkeypatch):
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import picamera2 now fails
    assert is_usable() == (False, UNUSABLE)
    assert UNUSABLE == "picamera2 needs a Raspberry Pi with libcamera"


def test_usable_with_picamera2(world):
    assert is_usable()[0] is True


def test_picamera2_is_imported_only_inside_methods():
    tree = ast.parse(Path(picamera2_camera.__file__).read_text())
    top = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    names = {a.name for n in top for a in n.names} | {getattr(n, "module", "") for n in top}
    assert not any(name and name.split(".")[0] in ("picamera2", "libcamera", "numpy")
                   for name in names)


def test_video_configuration_of_the_asked_size_and_rate(make_camera, world):
    camera = make_camera(fps=25)
    camera.start()
    first_frame(camera)
    cam = world.opened[-1]
    assert cam.video_args["main"] == {"size": (W, H), "format": "RGB888"}
    assert cam.video_args["controls"] == {"FrameDurationLimits": (40000, 40000)}
    assert cam.started and not cam.still_args  # no still configuration unless asked


@pytest.mark.parametrize("fmt", ["RGB888", "XRGB8888", "BGR888", "XBGR8888"])
def test_every_format_becomes_rgb(make_camera, fmt):
    camera = make_camera(format=fmt)
    camera.start()
    frame = first_frame(camera)
    assert (frame.width, frame.height, len(frame.rgb)) == (W, H, W * H * 3)
    assert pixel(frame, 2, 2) == RED
    assert pixel(frame, W - 2, 2) == BLUE


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        Picamera2Camera("c", format="YUV420")


def test_mirror_flips_left_and_right(make_camera):
    camera = make_camera(mirror=True)
    camera.start()
    frame = first_frame(camera)
    assert pixel(frame, W - 2, 2) == RED and pixel(frame, 2, 2) == BLUE


def test_stream_of_an_aligned_size_is_fitted_back(make_camera, world):
    world.stream_size = (W + 16, H)  # libcamera rounded the width up
    camera = make_camera()
    camera.start()
    frame = first_frame(camera)
    assert (frame.width, frame.height, len(frame.rgb)) == (W, H, W * H * 3)


def test_frames_advance_newest_only_with_fps_and_stats(make_camera):
    camera = make_camera()
    camera.start()
    start = first_frame(camera)
    time.sleep(0.4)  # a slow consumer
    newest = camera.latest_frame()
    assert newest.seq - start.seq >= 5 and newest.rgb != start.rgb
    health = camera.health()
    assert health.state is HealthState.OK and float(health.detail.removeprefix("fps=")) > 0
    stats = camera.stats()
    assert stats["fps"] > 0 and stats["dropped"] >= 3 and stats["last_error"] == ""
    assert camera_threads() == ["camera-picam-test"]


def test_still_at_full_resolution_then_back_to_the_stream(make_camera, world):
    camera = make_camera(still_size="full")
    camera.start()
    first_frame(camera)
    still = camera.capture_still(timeout_s=1.0)
    assert (still.width, still.height) == SENSOR
    assert len(still.rgb) == SENSOR[0] * SENSOR[1] * 3
    assert pixel(still, 2, 2) == RED
    assert world.opened[-1].stills == 1
    seq = camera.latest_frame().seq
    assert wait_until(lambda: camera.latest_frame().seq > seq)
    assert camera.latest_frame().width == W  # the preview stream goes on at its own size


def test_still_of_a_given_size(make_camera, world):
    camera = make_camera(still_size=[200, 150])
    camera.start()
    first_frame(camera)
    assert world.opened[-1].still_args["main"]["size"] == (200, 150)
    assert (camera.capture_still(timeout_s=1.0).width, world.opened[-1].stills) == (200, 1)


def test_still_without_still_size_is_the_next_stream_frame(make_camera, world):
    camera = make_camera()
    camera.start()
    seen = first_frame(camera)
    still = camera.capture_still(timeout_s=1.0)
    assert still.seq > seen.seq and (still.width, still.height) == (W, H)
    assert world.opened[-1].stills == 0


def test_still_when_not_streaming_is_refused(make_camera, world):
    world.cameras = []
    camera = make_camera(still_size="full")
    camera.start()
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.2)


def test_stalled_camera_gives_no_frames_then_recovers(make_camera, world):
    camera = make_camera()
    camera.start()
    first_frame(camera)
    world.stalled = True  # the ribbon cable came loose: requests stop completing
    assert wait_until(lambda: camera.health().code == "camera_no_frames")
    assert camera.health().state is HealthState.ERROR
    assert world.cancels >= 1 and camera.stats()["timeouts"] >= 1
    assert wait_until(lambda: any(cam.closed for cam in world.opened))  # given back, reopened
    world.stalled = False
    assert wait_until(lambda: camera.health().state is HealthState.OK)
    assert camera.stats()["reopens"] >= 1


def test_missing_camera_is_offline_and_found_when_it_appears(make_camera, world):
    world.cameras = []
    camera = make_camera()
    assert camera.health().state is HealthState.OFFLINE  # idle, asked libcamera's list
    camera.start()
    assert wait_until(lambda: camera.health().code == "camera_missing")
    assert camera.latest_frame() is None
    world.cameras = [{"Model": "fake", "Id": "/base/fake", "Num": 0}]
    first_frame(camera)
    assert wait_until(lambda: camera.health().state is HealthState.OK)


def test_camera_that_will_not_open_is_an_error(make_camera, world):
    world.fail_open = True  # listed, but another process holds it
    camera = make_camera()
    camera.start()
    assert wait_until(lambda: camera.health().code == "camera_open_failed")
    assert "did not complete" in camera.stats()["last_error"]
    world.fail_open = False
    first_frame(camera)


def test_failed_configuration_closes_the_camera(make_camera, world, monkeypatch):
    def refuse(self, config):
        raise RuntimeError("bad configuration")

    monkeypatch.setattr(FakePicamera2, "configure", refuse)
    camera = make_camera()
    camera.start()
    assert wait_until(lambda: len(world.opened) >= 2)
    assert all(cam.closed for cam in world.opened[:-1])
    assert camera.health().code == "camera_open_failed"


def test_frozen_picture_is_a_warning_and_refuses_stills(make_camera, world):
    camera = make_camera(frozen_after_s=0.3, still_size="full")
    camera.start()
    first_frame(camera)
    world.frozen = True
    assert wait_until(lambda: camera.health().code == "camera_frozen")
    assert camera.health().state is HealthState.WARNING
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.2)
    world.frozen = False
    assert wait_until(lambda: camera.health().state is HealthState.OK)


def test_stop_joins_closes_and_is_idempotent(make_camera, world):
    camera = make_camera()
    camera.stop()
    camera.start()
    camera.start()
    first_frame(camera)
    assert len(world.opened) == 1
    camera.stop()
    camera.stop()
    assert camera_threads() == []
    assert world.opened[-1].closed and not world.opened[-1].started
    assert camera.latest_frame() is None and camera.health().detail == "idle"


def test_unexpected_array_is_a_failed_read_not_a_crash(make_camera, world, monkeypatch):
    monkeypatch.setattr(FakePicamera2, "capture_array",
                        lambda self, name="main", wait=None: np.zeros((H, W), np.uint8))
    camera = make_camera()
    camera.start()
    assert wait_until(lambda: "unexpected frame shape" in camera.stats()["last_error"])
    assert camera.latest_frame() is None
    with pytest.raises(CameraError):
        camera._to_rgb(np.zeros((H, W), np.uint8), fit=True)
