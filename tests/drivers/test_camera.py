"""The simulated camera: a paced stream on its own thread, newest frame only, faults."""

from __future__ import annotations

import time

import pytest
from PIL import Image

from drivers.base import HealthState
from drivers.camera.base import NoFrames
from drivers.camera.simulated import SimulatedCamera
from tests.drivers.helpers import sim_threads, wait_until


@pytest.fixture
def camera():
    device = SimulatedCamera("test", fps=20, width=320, height=240)
    yield device
    device.stop()


def first_frame(camera):
    assert wait_until(lambda: camera.latest_frame() is not None)
    return camera.latest_frame()


def test_frames_come_at_roughly_the_frame_rate(camera):
    camera.start()
    start = first_frame(camera)
    time.sleep(1.0)
    advanced = camera.latest_frame().seq - start.seq
    assert 10 <= advanced <= 30
    fps = float(camera.health().detail.removeprefix("fps="))
    assert 10 <= fps <= 30


def test_frames_are_rgb_of_the_configured_size(camera):
    camera.start()
    frame = first_frame(camera)
    assert (frame.width, frame.height, len(frame.rgb)) == (320, 240, 320 * 240 * 3)
    assert "rgb" not in repr(frame)  # the picture is personal data: kept out of logs


def test_only_the_latest_frame_is_kept(camera):
    camera.start()
    before = first_frame(camera)
    time.sleep(0.5)  # about ten frames pass while nobody looks
    newest = camera.latest_frame()
    assert newest.seq - before.seq >= 5  # skipped frames were dropped, not queued
    assert camera.latest_frame() is newest or camera.latest_frame().seq > newest.seq
    assert not hasattr(camera, "_queue")


def test_the_synthetic_resident_moves(camera):
    camera.start()
    first = first_frame(camera)
    assert wait_until(lambda: camera.latest_frame().rgb != first.rgb)


def test_frames_from_files_are_cycled(tmp_path):
    paths = []
    for colour in ("red", "blue"):
        path = tmp_path / f"{colour}.png"
        Image.new("RGB", (64, 48), colour).save(path)
        paths.append(str(path))
    camera = SimulatedCamera("files", frames=paths, fps=30, width=32, height=24)
    camera.start()
    try:
        colours: set[bytes] = set()

        def both_seen() -> bool:
            frame = camera.latest_frame()
            if frame is not None:
                colours.add(frame.rgb[:3])
            return len(colours) == 2

        assert wait_until(both_seen)
        assert colours == {b"\xff\x00\x00", b"\x00\x00\xff"}
    finally:
        camera.stop()


def test_capture_still_returns_a_fresh_frame(camera):
    camera.start()
    seen = first_frame(camera)
    still = camera.capture_still(timeout_s=1.0)
    assert still.seq > seen.seq


def test_fault_no_frames(camera):
    camera.faults.set("no_frames", -1)
    camera.start()
    time.sleep(0.2)
    assert camera.latest_frame() is None
    assert camera.health().state is HealthState.ERROR
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.2)
    camera.faults.clear("no_frames")
    assert wait_until(lambda: camera.latest_frame() is not None)


def test_fault_frozen(camera):
    camera.start()
    first_frame(camera)
    camera.faults.set("frozen", -1)
    time.sleep(0.1)
    stuck = camera.latest_frame().seq
    time.sleep(0.3)
    assert camera.latest_frame().seq == stuck
    assert camera.health().state is HealthState.ERROR


def test_fault_unplugged(camera):
    camera.start()
    first_frame(camera)
    camera.faults.set("unplugged", -1)
    assert camera.latest_frame() is None
    assert camera.health().state is HealthState.OFFLINE
    camera.faults.clear()
    assert wait_until(lambda: camera.health().state is HealthState.OK)


def test_stop_joins_the_thread_and_is_idempotent(camera):
    camera.start()
    camera.start()
    assert sim_threads() == ["camera-sim-test"]
    camera.stop()
    camera.stop()
    assert sim_threads() == []
    assert camera.latest_frame() is None
    assert camera.health().detail == "idle"
