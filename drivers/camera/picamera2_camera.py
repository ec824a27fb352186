"""The Raspberry Pi camera through picamera2 (libcamera).

picamera2 only exists on a Raspberry Pi with libcamera, so it is imported inside the
driver's methods, never when this module is imported. The stream is a video
configuration of the size asked, read on thread ``camera-picam-<name>`` with
``capture_array`` (one frame per call, the camera's own request loop behind it); only
the newest frame is kept. ``still_size`` makes ``capture_still`` switch to a still
configuration (the sensor's full resolution for ``"full"``) for one frame and back.
``mirror`` flips stream and stills alike, in software, so it works on every camera.

Pixel formats are named as libcamera does, which is the reverse of the byte order in
memory: ``RGB888`` arrays are B, G, R per pixel, ``XRGB8888`` are B, G, R, X;
``BGR888`` and ``XBGR8888`` are R, G, B (, X). Frames leave here as R, G, B.
"""

from __future__ import annotations

import logging
from typing import Any

from drivers.camera.base import CameraError, Frame, NoFrames
from drivers.camera.stream import FROZEN_AFTER_S, CaptureCamera

log = logging.getLogger("drivers.camera")

UNUSABLE = "picamera2 needs a Raspberry Pi with libcamera"
READ_TIMEOUT_S = 1.0  # one frame's wait; a camera whose cable came loose times out here
_BGR_IN_MEMORY = {"RGB888", "XRGB8888"}
_RGB_IN_MEMORY = {"BGR888", "XBGR8888"}
FULL_RESOLUTION = ("full", "sensor", "max")


def _import_picamera2() -> Any:
    try:
        from picamera2 import Picamera2  # only on a Pi: libcamera comes with the OS
    except Exception as exc:  # ImportError, or libcamera's own failure to load
        raise CameraError(f"{UNUSABLE}: {exc}", code="driver_unusable") from exc
    return Picamera2


def is_usable() -> tuple[bool, str]:
    """Whether picamera2 can be imported here (a missing camera is a health matter)."""
    try:
        _import_picamera2()
    except CameraError:
        return False, UNUSABLE
    return True, "picamera2 with libcamera"


def _still_size(value: Any) -> tuple[int, int] | str | None:
    if value is None or value is False:
        return None
    if isinstance(value, str):
        if value.lower() not in FULL_RESOLUTION:
            raise ValueError("still_size is (width, height) or one of "
                             + ", ".join(FULL_RESOLUTION))
        return "full"
    width, height = (int(v) for v in value)
    if width <= 0 or height <= 0:
        raise ValueError("still_size must be positive")
    return width, height


class Picamera2Camera(CaptureCamera):
    """A Raspberry Pi camera module (CSI) or a libcamera-supported USB camera."""

    thread_label = "picam"
    is_usable = staticmethod(is_usable)
    read_timeout_s = READ_TIMEOUT_S

    def __init__(self, name: str, *, camera_num: int = 0, width: int = 640, height: int = 480,
                 fps: float = 30, mirror: bool = False, reopen_after_s: float = 2.0,
                 still_size: tuple[int, int] | list[int] | str | None = None,
                 format: str = "RGB888", buffer_count: int | None = None,
                 frozen_after_s: float = FROZEN_AFTER_S) -> None:
        super().__init__(name, width=width, height=height, fps=fps, mirror=mirror,
                         reopen_after_s=reopen_after_s, frozen_after_s=frozen_after_s)
        if format not in _BGR_IN_MEMORY | _RGB_IN_MEMORY:
            raise ValueError("format must be one of "
                             + ", ".join(sorted(_BGR_IN_MEMORY | _RGB_IN_MEMORY)))
        self.camera_num = int(camera_num)
        self.format = format
        self.still_size = _still_size(still_size)
        self.buffer_count = buffer_count
        self.timeouts = 0
        self._cam: Any = None
        self._still_config: Any = None
        self._size_noted = False

    # ----- CaptureCamera hooks ---------------------------------------------------------

    def _describe(self) -> str:
        return f"camera {self.camera_num}"

    def _present(self) -> bool | None:
        if self._cam is not None:
            return None  # open and streaming: a CSI camera is not hot-plugged, timeouts tell
        try:
            cameras = _import_picamera2().global_camera_info()
        except Exception:
            return None
        return self.camera_num < len(cameras)

    def _open_source(self) -> None:
        picamera2 = _import_picamera2()
        cam = picamera2(self.camera_num)
        try:
            period_us = int(round(1_000_000 / self.fps))
            video: dict[str, Any] = {
                "main": {"size": (self.width, self.height), "format": self.format},
                # libcamera's own frame-duration limits: a fixed rate, in microseconds
                "controls": {"FrameDurationLimits": (period_us, period_us)},
            }
            if self.buffer_count is not None:
                video["buffer_count"] = self.buffer_count
            cam.configure(cam.create_video_configuration(**video))
            if self.still_size is not None:
                main: dict[str, Any] = {"format": self.format}
                if self.still_size != "full":  # without a size: the sensor's full resolution
                    main["size"] = tuple(self.still_size)
                self._still_config = cam.create_still_configuration(main=main)
            cam.start()
        except Exception:
            self._still_config = None
            try:
                cam.close()  # give the camera back: libcamera lets one process hold it
            except Exception:
                log.debug("camera %s: close after a failed open failed", self.name, exc_info=True)
            raise
        self._cam = cam

    def _read(self) -> tuple[int, int, bytes] | None:
        cam = self._cam
        if cam is None:
            return None
        try:
            array = cam.capture_array("main", wait=self.read_timeout_s)
        except TimeoutError:
            self._timed_out(cam, "no frame within %.1f s" % self.read_timeout_s)
            return None
        return self._to_rgb(array, fit=True)

    def _timed_out(self, cam: Any, why: str) -> None:
        self.timeouts += 1
        self._stream.note_error(why)
        try:
            cam.cancel_all_and_flush()  # drop the job that timed out, so the camera can close
        except Exception:
            log.debug("camera %s: cancel_all_and_flush failed", self.name, exc_info=True)

    def _close_source(self) -> None:
        cam, self._cam, self._still_config = self._cam, None, None
        if cam is None:
            return
        try:
            cam.stop()
        finally:
            cam.close()

    # ----- stills ---------------------------------------------------------------------

    def capture_still(self, timeout_s: float = 2.0) -> Frame:
        """With ``still_size``: one frame in the still configuration, then back to the
        stream. Without: the next fresh frame of the stream."""
        self._refuse_frozen()
        if self.still_size is None:
            return super().capture_still(timeout_s)
        if not self._io_lock.acquire(timeout=timeout_s):  # the capture thread is mid-read
            raise NoFrames(f"camera busy for {timeout_s:.1f} s")
        try:
            cam, config = self._cam, self._still_config
            if cam is None or config is None:
                raise NoFrames(f"{self._describe()} is not streaming")
            try:
                array = cam.switch_mode_and_capture_array(config, "main", wait=timeout_s)
            except TimeoutError:
                self._timed_out(cam, "no still within %.1f s" % timeout_s)
                raise NoFrames(f"no still within {timeout_s:.1f} s") from None
            except CameraError:
                raise
            except Exception as exc:
                raise CameraError(f"still capture failed: {exc}") from exc
        finally:
            self._io_lock.release()
        width, height, rgb = self._to_rgb(array, fit=False)
        return Frame(width, height, rgb, self._stream.seq)

    # ----- pixels ---------------------------------------------------------------------

    def _to_rgb(self, array: Any, *, fit: bool) -> tuple[int, int, bytes]:
        import numpy as np  # picamera2 brings numpy; only needed where picamera2 is

        array = np.asarray(array)
        if array.ndim != 3 or array.shape[2] not in (3, 4):
            raise CameraError(f"unexpected frame shape {array.shape} for {self.format}")
        rgb = array[..., 2::-1] if self.format in _BGR_IN_MEMORY else array[..., :3]
        if self.mirror:
            rgb = rgb[:, ::-1]
        height, width = rgb.shape[:2]
        if fit and (width, height) != (self.width, self.height):
            return self._fit(np.ascontiguousarray(rgb), width, height)
        return width, height, rgb.tobytes()

    def _fit(self, rgb: Any, width: int, height: int) -> tuple[int, int, bytes]:
        """libcamera may round the stream's size for alignment: crop and scale back to the
        size asked, keeping the proportion."""
        from PIL import Image, ImageOps

        if not self._size_noted:
            self._size_noted = True
            log.info("camera %s: stream is %dx%d, fitted to %dx%d", self.name, width, height,
                     self.width, self.height)
        image = ImageOps.fit(Image.fromarray(rgb), (self.width, self.height))
        return self.width, self.height, image.tobytes()

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out.update(timeouts=self.timeouts, still_size=(
            "x".join(map(str, self.still_size)) if isinstance(self.still_size, tuple)
            else self.still_size or ""))
        return out
