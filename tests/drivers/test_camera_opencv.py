"""The OpenCV camera, driven by small video files made here (MJPG in .avi): colours,
pacing, newest-frame-only, a frozen picture, a camera that goes away and comes back."""

from __future__ import annotations

import gc
import shutil
import threading
import time

import pytest

from drivers.base import HealthState
from drivers.camera.base import Frame, NoFrames
from tests.drivers.helpers import wait_until

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

from drivers.camera.opencv import OpenCvCamera, is_usable  # noqa: E402

W, H, FPS = 160, 120, 30
PATCH = 24  # a red patch top left, a blue one top right, in every frame


def camera_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("camera-")]


@pytest.fixture(autouse=True)
def no_camera_thread_left_behind():
    yield
    assert wait_until(lambda: not camera_threads(), timeout=2.0), camera_threads()


def write_video(path, count: int, *, moving: bool = True, size=(W, H)) -> str:
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (width, height))
    assert writer.isOpened()
    for i in range(count):
        image = np.full((height, width, 3), 60, np.uint8)
        image[:PATCH, :PATCH] = (0, 0, 255)  # BGR: red
        image[:PATCH, -PATCH:] = (255, 0, 0)  # BGR: blue
        if moving:
            x = (i * 4) % (width - 30)
            image[height // 2:height // 2 + 20, x:x + 20] = (255, 255, 255)
        writer.write(image)
    writer.release()
    return str(path)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return {
        "moving": write_video(folder / "moving.avi", 90),
        "short": write_video(folder / "short.avi", 6),
        "still": write_video(folder / "still.avi", 30, moving=False),
        "wide": write_video(folder / "wide.avi", 10, size=(320, 120)),
    }


@pytest.fixture
def make_camera():
    made: list[OpenCvCamera] = []

    def make(device, **options) -> OpenCvCamera:
        options.setdefault("width", W)
        options.setdefault("height", H)
        options.setdefault("fps", FPS)
        camera = OpenCvCamera("test", device=device, **options)
        made.append(camera)
        return camera

    yield make
    for camera in made:
        camera.stop()


def first_frame(camera) -> Frame:
    assert wait_until(lambda: camera.latest_frame() is not None), camera.health()
    return camera.latest_frame()


def pixel(frame: Frame, x: int, y: int) -> tuple[int, int, int]:
    at = (y * frame.width + x) * 3
    return tuple(frame.rgb[at:at + 3])


def close_to(rgb, want, tolerance=24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, want))


def test_usable_here():
    usable, why = is_usable()
    assert usable and why.startswith("OpenCV 4.")


def test_not_usable_without_opencv(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "cv2", None)  # import cv2 now fails
    usable, why = is_usable()
    assert not usable and "opencv-python-headless" in why


def test_options_are_checked():
    assert OpenCvCamera("c", device="2").device == 2
    assert OpenCvCamera("c", device="/dev/video1").source_kind == "node"
    assert OpenCvCamera("c", device="rtsp://127.0.0.1/x").source_kind == "url"
    with pytest.raises(ValueError):
        OpenCvCamera("c", backend="gstreamer")
    with pytest.raises(ValueError):
        OpenCvCamera("c", fps=0)


def test_frames_are_rgb_of_the_asked_size(make_camera, videos):
    camera = make_camera(videos["moving"])
    camera.start()
    frame = first_frame(camera)
    assert (frame.width, frame.height, len(frame.rgb)) == (W, H, W * H * 3)
    assert close_to(pixel(frame, PATCH // 2, PATCH // 2), (255, 0, 0))  # BGR red is RGB red
    assert close_to(pixel(frame, W - PATCH // 2, PATCH // 2), (0, 0, 255))
    assert "rgb" not in repr(frame)


def test_frames_advance_at_about_the_asked_rate(make_camera, videos):
    camera = make_camera(videos["moving"])
    camera.start()
    start = first_frame(camera)
    assert wait_until(lambda: camera.latest_frame().seq >= start.seq + 10)
    assert wait_until(lambda: camera.latest_frame().rgb != start.rgb)  # the square moves
    health = camera.health()
    assert health.state is HealthState.OK and health.code == ""
    fps = float(health.detail.removeprefix("fps="))
    assert 0 < fps <= FPS * 1.5  # paced like a camera, not read flat out
    stats = camera.stats()
    assert stats["fps"] > 0 and stats["frames"] >= 10 and stats["last_error"] == ""
    assert set(stats) >= {"fps", "frames", "dropped", "last_error"}


def test_only_the_newest_frame_is_kept(make_camera, videos):
    camera = make_camera(videos["moving"])
    camera.start()
    before = first_frame(camera)
    time.sleep(0.6)  # a slow consumer: about 18 frames come and go unseen
    newest = camera.latest_frame()
    assert newest.seq - before.seq >= 5
    stats = camera.stats()
    assert stats["dropped"] >= 5  # replaced, not queued
    gc.collect()
    alive = [o for o in gc.get_objects() if isinstance(o, Frame)]
    assert len(alive) <= 4  # ours, the stream's, perhaps one being built: nothing piles up
    assert len(camera._stream._stamps) <= FPS * camera._stream.fps_window_s * 1.5


def test_a_file_loops(make_camera, videos):
    camera = make_camera(videos["short"])  # six frames: a fifth of a second
    camera.start()
    first_frame(camera)
    assert wait_until(lambda: camera.stats()["loops"] >= 2)
    assert camera.latest_frame().seq > 6
    assert camera.health().state is HealthState.OK


def test_a_file_played_once_ends_with_no_frames(make_camera, videos):
    camera = make_camera(videos["short"], loop_file=False, reopen_after_s=0.1)
    camera.start()
    first_frame(camera)
    assert wait_until(lambda: camera.health().code == "camera_no_frames")
    assert camera.health().state is HealthState.ERROR
    seq = camera.latest_frame().seq
    time.sleep(0.3)
    assert camera.latest_frame().seq == seq <= 6  # not reopened, not replayed


def test_reads_that_fail_give_no_frames_and_the_camera_is_reopened(make_camera, videos):
    camera = make_camera(videos["moving"], reopen_after_s=0.1)
    real_read, failing = camera._read, threading.Event()

    def read():
        frame = real_read()  # the device is read, but gives nothing usable
        return None if failing.is_set() else frame

    camera._read = read
    camera.start()
    first_frame(camera)
    failing.set()
    assert wait_until(lambda: camera.health().code == "camera_no_frames")
    assert camera.health().state is HealthState.ERROR
    stats = camera.stats()
    assert stats["failed_reads"] >= camera.max_failed_reads and "in a row" in stats["last_error"]
    failing.clear()
    assert wait_until(lambda: camera.health().state is HealthState.OK)
    assert camera.stats()["reopens"] >= 1


def test_frozen_picture_is_a_warning_and_gives_no_still(make_camera, videos):
    camera = make_camera(videos["still"], frozen_after_s=0.4)
    camera.start()
    first_frame(camera)
    assert wait_until(lambda: camera.health().code == "camera_frozen")
    health = camera.health()
    assert health.state is HealthState.WARNING and health.usable
    assert health.detail.startswith("fps=")
    assert camera.stats()["frozen_s"] >= 0.4
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.5)  # a stuck picture could be the last resident's


def test_moving_picture_is_never_frozen(make_camera, videos):
    camera = make_camera(videos["moving"], frozen_after_s=0.3)
    camera.start()
    first_frame(camera)
    time.sleep(0.6)
    assert camera.health().state is HealthState.OK
    still = camera.capture_still(timeout_s=1.0)
    assert still.seq > 0


def test_camera_that_goes_away_is_offline_then_comes_back(make_camera, videos, tmp_path):
    path = tmp_path / "camera.avi"
    shutil.copy(videos["moving"], path)
    camera = make_camera(str(path), reopen_after_s=0.2)
    camera.start()
    first_frame(camera)
    path.unlink()  # the device node vanishes, as when a USB camera is pulled out
    assert wait_until(lambda: camera.health().state is HealthState.OFFLINE)
    health = camera.health()
    assert health.code == "camera_missing" and health.detail.startswith("fps=")
    gone_at = camera.stats()["frames"]
    shutil.copy(videos["moving"], path)  # plugged back in
    assert wait_until(lambda: camera.health().state is HealthState.OK)
    assert wait_until(lambda: camera.stats()["frames"] > gone_at + 5)
    assert camera.stats()["reopens"] >= 1


def test_unreadable_device_is_an_error_until_it_reads_again(make_camera, videos, tmp_path):
    path = tmp_path / "camera.avi"
    path.write_bytes(b"this is not a video" * 100)
    camera = make_camera(str(path), reopen_after_s=0.1)
    camera.start()
    assert wait_until(lambda: camera.health().code == "camera_open_failed")
    assert camera.health().state is HealthState.ERROR
    assert camera.latest_frame() is None
    assert "cannot open" in camera.stats()["last_error"]
    shutil.copy(videos["moving"], path)
    first_frame(camera)
    assert wait_until(lambda: camera.health().state is HealthState.OK)


def test_missing_device_is_offline_even_when_idle(make_camera):
    camera = make_camera("/dev/video-that-is-not-there", reopen_after_s=0.1)
    assert camera.health().state is HealthState.OFFLINE  # idle, and still honest
    camera.start()
    assert wait_until(lambda: camera.health().code == "camera_missing")
    assert camera.latest_frame() is None
    with pytest.raises(NoFrames):
        camera.capture_still(timeout_s=0.2)


def test_other_sizes_are_cropped_not_stretched_and_mirror_flips(make_camera, videos):
    camera = make_camera(videos["wide"], width=120, height=120, mirror=True)  # 320x120 source
    camera.start()
    frame = first_frame(camera)
    assert (frame.width, frame.height) == (120, 120)
    # The centre 120 columns of 320 hold neither patch: they were cropped, not squeezed in.
    assert not close_to(pixel(frame, 5, 5), (255, 0, 0), 60)
    camera.stop()
    full = make_camera(videos["moving"], mirror=True)
    full.start()
    frame = first_frame(full)
    assert close_to(pixel(frame, W - PATCH // 2, PATCH // 2), (255, 0, 0))  # red now on the right
    assert close_to(pixel(frame, PATCH // 2, PATCH // 2), (0, 0, 255))


def test_start_and_stop_are_idempotent_and_stop_joins_promptly(make_camera, videos):
    camera = make_camera(videos["moving"])
    camera.stop()
    camera.start()
    camera.start()
    assert camera_threads() == ["camera-opencv-test"]
    first_frame(camera)
    began = time.monotonic()
    camera.stop()
    camera.stop()
    assert time.monotonic() - began < 1.5
    assert camera_threads() == []
    assert camera.latest_frame() is None
    assert camera.health().detail == "idle"
    camera.start()  # and it starts again
    first_frame(camera)


def test_health_never_raises(make_camera, videos, monkeypatch):
    camera = make_camera(videos["moving"])

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(camera, "_health", broken)
    assert camera.health().state is HealthState.UNKNOWN


def test_preview_benchmark_reports_its_figures():
    from benchmarks.camera_preview import bench_preview

    calls: list[int] = []
    result = bench_preview(lambda frame: calls.append(frame.seq), seconds=1, warmup_s=0.2,
                           video_seconds=0.5)
    assert result["size"] == "640x480" and result["fps_delivered"] > 0
    assert result["analysis_calls"] > 0 and result["analysis_mean_ms"] is not None
    assert result["analysis_per_s"] <= result["fps_delivered"] * 1.5  # only new frames analysed
    assert len(calls) == len(set(calls))
    assert result["analysis_errors"] == 0 and result["health"] == "ok"
