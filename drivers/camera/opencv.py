"""USB (UVC / V4L2) cameras through OpenCV's VideoCapture, and video files for tests and replays.

``device`` is a camera index (``0``), a device node (``/dev/video0``), a video file
(played at ``fps``, looped by default) or a stream URL. OpenCV is imported only here,
and only when the camera is opened, so the kiosk runs without it where it is not used.

Frames come from OpenCV as BGR; the kiosk's ``Frame`` is RGB. A frame of another size
than asked (a camera that does not offer the size, a file) is centre-cropped to the
asked proportion and scaled, so faces are never stretched.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from drivers.camera.base import CameraError
from drivers.camera.stream import FROZEN_AFTER_S, CaptureCamera, EndOfStream

log = logging.getLogger("drivers.camera")

_BACKENDS = {"any": "CAP_ANY", "v4l2": "CAP_V4L2", "ffmpeg": "CAP_FFMPEG"}
READ_TIMEOUT_MS = 1000  # a stalled camera gives up a read after this, so stop() stays prompt
OPEN_TIMEOUT_MS = 5000  # for stream URLs


def _import_cv2() -> Any:
    try:
        import cv2  # a hardware library stays inside its driver
    except ImportError as exc:
        raise CameraError(f"OpenCV is not installed: {exc}", code="driver_unusable") from exc
    return cv2


def is_usable() -> tuple[bool, str]:
    """Whether this machine can run the driver at all (the camera itself may still be away)."""
    try:
        cv2 = _import_cv2()
    except CameraError:
        return False, "OpenCV is not installed (pip install 'opencv-python-headless<5')"
    return True, f"OpenCV {cv2.__version__}"


def _source_kind(device: int | str) -> str:
    if isinstance(device, int):
        return "index"
    if "://" in device:
        return "url"
    if device.startswith("/dev/"):
        return "node"
    return "file"


class OpenCvCamera(CaptureCamera):
    """A camera (or a video file) read by ``cv2.VideoCapture`` on ``camera-opencv-<name>``."""

    thread_label = "opencv"
    is_usable = staticmethod(is_usable)

    def __init__(self, name: str, *, device: int | str | os.PathLike[str] = 0, width: int = 640,
                 height: int = 480, fps: float = 30, backend: str = "any", mirror: bool = False,
                 reopen_after_s: float = 2.0, loop_file: bool = True, fourcc: str | None = None,
                 frozen_after_s: float = FROZEN_AFTER_S) -> None:
        super().__init__(name, width=width, height=height, fps=fps, mirror=mirror,
                         reopen_after_s=reopen_after_s, frozen_after_s=frozen_after_s)
        if backend not in _BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(_BACKENDS)}, not {backend!r}")
        if fourcc is not None and len(fourcc) != 4:
            raise ValueError("fourcc is four characters, e.g. 'MJPG'")
        source = os.fspath(device) if isinstance(device, os.PathLike) else device
        if isinstance(source, str) and source.strip().isdigit():
            source = int(source)
        if isinstance(source, str) and _source_kind(source) == "file":
            source = str(Path(source).expanduser())
        self.device: int | str = source
        self.source_kind = _source_kind(source)
        self.backend = backend
        self.loop_file = bool(loop_file)
        self.fourcc = fourcc
        self.loops = 0
        self._cap: Any = None
        self._cv2: Any = None
        self._backend_name = ""
        self._size_noted = False

    # ----- CaptureCamera hooks ---------------------------------------------------------

    def _describe(self) -> str:
        if self.source_kind == "index":
            return f"camera {self.device}"
        return str(self.device)

    def _node(self) -> str | None:
        if self.source_kind == "index" and sys.platform.startswith("linux"):
            return f"/dev/video{self.device}"
        if self.source_kind in ("node", "file"):
            return str(self.device)
        return None

    def _present(self) -> bool | None:
        node = self._node()
        return None if node is None else os.path.exists(node)

    def _pace(self) -> float | None:
        # A live camera's read() waits for its next frame; a file would be read flat out.
        return 1.0 / self.fps if self.source_kind == "file" else None

    def _open_source(self) -> None:
        cv2 = self._cv2 = _import_cv2()
        api = getattr(cv2, _BACKENDS[self.backend])
        linux = sys.platform.startswith("linux")
        if self.backend == "any" and self.source_kind == "node" and linux:
            api = cv2.CAP_V4L2  # a /dev/video path is a V4L2 device, not a file for FFmpeg
        if self.source_kind == "url":
            timeouts = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS,
                        cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS]
            cap = cv2.VideoCapture(self.device, api, timeouts)
        else:
            cap = cv2.VideoCapture(self.device, api)
        if not cap.isOpened():
            cap.release()
            raise CameraError("VideoCapture could not open it")
        if self.source_kind in ("index", "node"):
            self._configure_live(cv2, cap)
        try:
            self._backend_name = cap.getBackendName()
        except Exception:  # older builds or backends without a name
            self._backend_name = ""
        self._cap = cap

    def _configure_live(self, cv2: Any, cap: Any) -> None:
        """Ask for the size and rate; a camera may pick the nearest it has (frames are fitted)."""
        if self.fourcc:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*self.fourcc))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_FPS, self.fps)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the newest frame, not one from a queue
        if hasattr(cv2, "CAP_PROP_READ_TIMEOUT_MSEC"):
            cap.set(cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS)

    def _read(self) -> tuple[int, int, bytes] | None:
        cap = self._cap
        if cap is None:
            return None
        ok, image = cap.read()
        if (not ok or image is None) and self.source_kind == "file":
            if not self.loop_file:
                raise EndOfStream(f"{self._describe()} played to its end")
            ok, image = self._rewind()
        if not ok or image is None:
            return None
        return self._to_rgb(image)

    def _rewind(self) -> tuple[bool, Any]:
        """Back to the first frame of the file; reopen it if seeking is not supported."""
        self.loops += 1
        cap = self._cap
        if cap.set(self._cv2.CAP_PROP_POS_FRAMES, 0):
            ok, image = cap.read()
            if ok and image is not None:
                return ok, image
        cap.release()
        self._cap = None
        self._open_source()
        return self._cap.read()

    def _close_source(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()

    # ----- pixels ---------------------------------------------------------------------

    def _to_rgb(self, image: Any) -> tuple[int, int, bytes]:
        cv2 = self._cv2
        if image.ndim == 2:
            code = cv2.COLOR_GRAY2RGB
        elif image.shape[2] == 4:
            code = cv2.COLOR_BGRA2RGB
        else:
            code = cv2.COLOR_BGR2RGB
        height, width = image.shape[:2]
        if (width, height) != (self.width, self.height):
            if not self._size_noted:
                self._size_noted = True
                log.info("camera %s: %s gives %dx%d, fitted to %dx%d", self.name,
                         self._describe(), width, height, self.width, self.height)
            image = self._fit(image, width, height)
        if self.mirror:
            image = cv2.flip(image, 1)
        return self.width, self.height, cv2.cvtColor(image, code).tobytes()

    def _fit(self, image: Any, width: int, height: int) -> Any:
        """Centre-crop to the asked proportion, then scale: faces are never stretched."""
        want = self.width / self.height
        if width / height > want:
            keep = max(1, round(height * want))
            left = (width - keep) // 2
            image = image[:, left:left + keep]
        elif width / height < want:
            keep = max(1, round(width / want))
            top = (height - keep) // 2
            image = image[top:top + keep, :]
        shrinking = image.shape[1] > self.width
        return self._cv2.resize(image, (self.width, self.height),
                                interpolation=self._cv2.INTER_AREA if shrinking
                                else self._cv2.INTER_LINEAR)

    def stats(self) -> dict[str, Any]:
        out = super().stats()
        out.update(backend=self._backend_name, loops=self.loops)
        return out
