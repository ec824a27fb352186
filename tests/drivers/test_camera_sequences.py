"""The simulated camera playing pictures: one still, a folder or a list as a sequence,
fitted to the frame size; and its scripted faults as the figures show them."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from drivers.base import HealthState
from drivers.camera import simulated
from drivers.camera.base import NoFrames
from drivers.camera.simulated import SimulatedCamera, image_paths
from tests.drivers.helpers import wait_until

COLOURS = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]


@pytest.fixture
def sequence(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, colour in enumerate(COLOURS):
        Image.new("RGB", (80, 60), colour).save(folder / f"{i:02d}.png")
    (folder / "notes.txt").write_text("not a picture")
    return folder


@pytest.fixture
def cameras():
    made: list[SimulatedCamera] = []

    def make(**options) -> SimulatedCamera:
        options.setdefault("fps", 30)
        options.setdefault("width", 40)
        options.setdefault("height", 30)
        camera = SimulatedCamera("seq", **options)
        made.append(camera)
        return camera

    yield make
    for camera in made:
        camera.stop()


def colour_of(frame) -> tuple[int, int, int]:
    return tuple(frame.rgb[:3])


def sample(camera, count: int = 12) -> list:
    frames, last = [], None
    deadline = time.monotonic() + 3
    while len(frames) < count and time.monotonic() < deadline:
        frame = camera.latest_frame()
        if frame is not None and frame is not last:
            frames.append(frame)
            last = frame
        time.sleep(0.005)
    return frames


def test_a_folder_is_a_sequence_in_name_order(cameras, sequence):
    assert [p.rsplit("/", 1)[-1] for p in image_paths(sequence)] == ["00.png", "01.png", "02.png"]
    camera = cameras(frames=str(sequence))
    camera.start()
    frames = sample(camera)
    assert len(frames) >= 6
    for frame in frames:  # frame n shows picture n modulo three: cycled in order, at fps
        assert colour_of(frame) == COLOURS[frame.seq % 3]
        assert (frame.width, frame.height, len(frame.rgb)) == (40, 30, 40 * 30 * 3)


def test_a_long_sequence_is_decoded_frame_by_frame(cameras, sequence, monkeypatch):
    monkeypatch.setattr(simulated, "PRELOAD_LIMIT_BYTES", 0)
    camera = cameras(frames=sequence)
    assert camera._scene.frames is None
    camera.start()
    frames = sample(camera, 6)
    assert frames and all(colour_of(f) == COLOURS[f.seq % 3] for f in frames)


def test_a_still_image_is_fitted_not_stretched(cameras, tmp_path):
    path = tmp_path / "wide.png"
    image = Image.new("RGB", (300, 100), COLOURS[0])  # red | green | blue, side by side
    image.paste(COLOURS[1], (100, 0, 200, 100))
    image.paste(COLOURS[2], (200, 0, 300, 100))
    image.save(path)
    camera = cameras(frames=str(path), width=40, height=40)
    camera.start()
    frames = sample(camera, 3)
    assert len({f.rgb for f in frames}) == 1  # the same picture every time
    # Square from a 3:1 picture: the middle third is kept whole, the sides are cut off.
    # (Stretched, the first pixel would be red and the last blue.)
    first, last = colour_of(frames[0]), tuple(frames[0].rgb[-3:])
    assert all(abs(a - b) <= 40 for a, b in zip(first + last, COLOURS[1] * 2)), (first, last)


def test_bad_sources_are_config_errors(tmp_path):
    with pytest.raises(ValueError):
        SimulatedCamera("c", frames=str(tmp_path))  # a folder with no pictures
    with pytest.raises(FileNotFoundError):
        SimulatedCamera("c", frames=str(tmp_path / "nowhere.png"))


def test_frozen_repeats_the_same_frame(cameras, sequence):
    camera = cameras(frames=sequence)
    camera.start()
    assert wait_until(lambda: camera.latest_frame() is not None)
    camera.faults.set("frozen", -1)
    time.sleep(0.1)
    stuck, counted = camera.latest_frame(), camera.stats()["frames"]
    assert wait_until(lambda: camera.stats()["frames"] >= counted + 5)  # frames keep coming...
    assert camera.latest_frame() is stuck  # ...and they are all the same one
    assert camera.measured_fps() > 0
    health = camera.health()
    assert (health.state, health.code) == (HealthState.ERROR, "camera_frozen")
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.2)
    camera.faults.clear("frozen")
    assert wait_until(lambda: camera.latest_frame().seq > stuck.seq)
    assert camera.health().state is HealthState.OK


def test_no_frames_produces_nothing(cameras):
    camera = cameras()
    camera.start()
    assert wait_until(lambda: camera.latest_frame() is not None)
    camera.faults.set("no_frames", -1)
    time.sleep(0.1)
    counted = camera.stats()["frames"]
    time.sleep(0.3)
    assert camera.stats()["frames"] == counted and camera.latest_frame() is None
    assert camera.health().code == "camera_no_frames"


def test_unplugged_is_offline_with_no_frames(cameras):
    camera = cameras()
    camera.start()
    assert wait_until(lambda: camera.latest_frame() is not None)
    camera.faults.set("unplugged", -1)
    time.sleep(0.1)
    counted = camera.stats()["frames"]
    time.sleep(0.3)
    assert camera.stats()["frames"] == counted and camera.latest_frame() is None
    health = camera.health()
    assert (health.state, health.code) == (HealthState.OFFLINE, "camera_unplugged")
    camera.faults.clear("unplugged")
    assert wait_until(lambda: camera.health().state is HealthState.OK)


def test_stats_for_the_diagnostics_screen(cameras):
    camera = cameras()
    camera.start()
    assert wait_until(lambda: camera.stats()["frames"] >= 5)
    stats = camera.stats()
    assert set(stats) >= {"fps", "frames", "dropped", "last_error", "state"}
    assert stats["fps"] > 0 and stats["dropped"] >= 1 and stats["state"] == "ok"
