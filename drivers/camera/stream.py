"""What every camera driver shares: the newest frame, a frame-rate window, a frozen picture,
and (for real cameras) a capture thread that reopens a camera that went away.

``FrameStream`` keeps exactly one frame: a producer that is faster than its consumers
replaces it, and the replaced frame is counted as dropped, never queued.

``CaptureCamera`` is the capture loop of the OpenCV and picamera2 drivers: it opens the
source on its own thread (``start()`` returns at once, as the journey calls it from the
UI thread), reads frames, and when the source fails or disappears it closes it and tries
again every ``reopen_after_s`` until the camera is back. Its health is worked out from
what the loop saw, so ``health()`` never touches the device and never raises.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from drivers.base import DeviceHealth, HealthState
from drivers.camera.base import Camera, Frame, NoFrames
from drivers.camera.options import FROZEN_AFTER_S

log = logging.getLogger("drivers.camera")

FPS_WINDOW_S = 2.0


class EndOfStream(Exception):
    """A recording played to its end and is not looped: no more frames, nothing to reopen."""


class FrameStream:
    """The newest frame, frames per second over a sliding window, and how long the picture
    has not changed. Thread-safe: one producer publishes, any thread reads."""

    def __init__(self, *, fps_window_s: float = FPS_WINDOW_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.fps_window_s = fps_window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._stamps: collections.deque[float] = collections.deque()
        self.reset()

    def reset(self) -> None:
        """Forget the picture and the counters (a camera that was stopped starts afresh)."""
        with self._lock:
            self._latest: Frame | None = None
            self._latest_taken = True
            self._seq = 0
            self._stamps.clear()
            self._started_at = self._clock()
            self._unchanged_since: float | None = None
            self._last_at: float | None = None
            self.frames = 0
            self.dropped = 0
            self.failed_reads = 0
            self.last_error = ""

    # ----- producer side ----------------------------------------------------------------

    def publish(self, width: int, height: int, rgb: bytes) -> Frame:
        """A new picture from the camera: it becomes the latest frame, with the next seq."""
        with self._lock:
            now = self._clock()
            previous = self._latest
            if previous is not None and previous.rgb == rgb:
                if self._unchanged_since is None:
                    self._unchanged_since = previous.timestamp
            else:
                self._unchanged_since = None
            self._seq += 1
            frame = Frame(width, height, rgb, self._seq, now)
            self._replace(frame, now)
            return frame

    def republish(self) -> Frame | None:
        """The same frame again (seq unchanged): a camera whose picture stopped."""
        with self._lock:
            frame = self._latest
            if frame is None:
                return None
            now = self._clock()
            if self._unchanged_since is None:
                self._unchanged_since = frame.timestamp
            self._replace(frame, now)
            return frame

    def _replace(self, frame: Frame, now: float) -> None:
        if not self._latest_taken:
            self.dropped += 1  # nobody looked at the previous one: dropped, not queued
        self._latest, self._latest_taken = frame, False
        self.frames += 1
        self._last_at = now
        self._stamps.append(now)
        self._trim(now)

    def failed_read(self, error: str = "") -> None:
        with self._lock:
            self.failed_reads += 1
            if error:
                self.last_error = error

    def note_error(self, error: str) -> None:
        with self._lock:
            self.last_error = error

    # ----- consumer side ----------------------------------------------------------------

    def latest(self) -> Frame | None:
        with self._lock:
            self._latest_taken = True
            return self._latest

    def peek(self) -> Frame | None:
        """The latest frame without counting it as seen (for health and tests)."""
        with self._lock:
            return self._latest

    @property
    def seq(self) -> int:
        with self._lock:
            return self._seq

    def fps(self) -> float:
        """Frames published per second over the last ``fps_window_s`` seconds."""
        with self._lock:
            now = self._clock()
            self._trim(now)
            span = min(self.fps_window_s, now - self._started_at)
            return len(self._stamps) / span if span > 0 else 0.0

    def frozen_for(self) -> float:
        """Seconds the picture has been byte-for-byte the same while frames kept coming
        (0.0 while it changes). A real sensor's noise means identical frames are a stuck
        driver or pipeline, never a still scene."""
        with self._lock:
            if self._unchanged_since is None:
                return 0.0
            return max(0.0, self._clock() - self._unchanged_since)

    def age(self) -> float | None:
        """Seconds since a frame last arrived, or None before the first."""
        with self._lock:
            if self._last_at is None:
                return None
            return self._clock() - self._last_at

    def since_start(self) -> float:
        with self._lock:
            return self._clock() - self._started_at

    def stats(self) -> dict[str, Any]:
        fps, frozen = self.fps(), self.frozen_for()
        with self._lock:
            latest = self._latest
            return {"fps": round(fps, 1), "frames": self.frames, "dropped": self.dropped,
                    "failed_reads": self.failed_reads, "last_error": self.last_error,
                    "frozen_s": round(frozen, 1),
                    "size": f"{latest.width}x{latest.height}" if latest else ""}

    def _trim(self, now: float) -> None:
        oldest = now - self.fps_window_s
        while self._stamps and self._stamps[0] < oldest:
            self._stamps.popleft()


class CaptureCamera(Camera):
    """A camera read on a thread of its own (``camera-<label>-<name>``), newest frame only.

    Subclasses say how to open, read and close the source. ``_read()`` returns
    ``(width, height, rgb)`` or None for a failed read; it may block up to about a second
    (a live camera waits for its next frame) but no longer, so ``stop()`` stays prompt.
    """

    thread_label = "capture"
    max_failed_reads = 5  # in a row, then the source is closed and opened again
    presence_check_s = 0.5  # how often a running loop asks whether the device is still there
    startup_grace_s = 3.0  # a camera just opened may take this long to give its first frame
    stale_after_s = 2.0  # no frame for this long while streaming: no frames
    join_timeout_s = 3.0

    def __init__(self, name: str, *, width: int = 640, height: int = 480, fps: float = 30,
                 mirror: bool = False, reopen_after_s: float = 2.0,
                 frozen_after_s: float = FROZEN_AFTER_S) -> None:
        super().__init__(name)
        if fps <= 0:
            raise ValueError("fps must be positive")
        if width <= 0 or height <= 0:
            raise ValueError("width and height must be positive")
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.mirror = bool(mirror)
        self.reopen_after_s = float(reopen_after_s)
        self.frozen_after_s = float(frozen_after_s)
        self._stream = FrameStream()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._stuck: threading.Thread | None = None
        self._control = threading.Lock()  # start() and stop() one at a time
        self._state_lock = threading.Lock()
        self._io_lock = threading.Lock()  # held around every use of the open source
        self._is_open = False
        self._opened_at = 0.0
        self._problem: tuple[HealthState, str, str] | None = None
        self.reopens = 0

    # ----- what a driver provides --------------------------------------------------------

    @abstractmethod
    def _open_source(self) -> None:
        """Open the camera; raise (any exception) if it cannot be opened."""

    @abstractmethod
    def _read(self) -> tuple[int, int, bytes] | None:
        """The next frame as RGB, or None when the read failed."""

    @abstractmethod
    def _close_source(self) -> None:
        """Release the camera; called on the capture thread, must not raise."""

    def _present(self) -> bool | None:
        """Is the device there? True, False, or None when this driver cannot tell cheaply."""
        return None

    def _pace(self) -> float | None:
        """Seconds between reads when the source does not pace itself (a file); else None."""
        return None

    def _describe(self) -> str:
        return self.name

    # ----- Camera ----------------------------------------------------------------------

    def start(self) -> None:
        with self._control:
            self._start()

    def _start(self) -> None:
        if self._thread is not None:
            return
        stuck = self._stuck
        if stuck is not None and stuck.is_alive():  # the last stop() timed out: wait once more
            stuck.join(timeout=self.join_timeout_s)
        self._stuck = None
        self._stop = threading.Event()  # one per run: a thread that outlived stop() keeps its own
        self._stream.reset()
        with self._state_lock:
            self._problem = None
            self._is_open = False
            self._opened_at = 0.0
        self.reopens = 0
        self._thread = threading.Thread(target=self._run, args=(self._stop,), daemon=True,
                                        name=f"camera-{self.thread_label}-{self.name}")
        self._thread.start()

    def stop(self) -> None:
        with self._control:
            self._stop_thread()

    def _stop_thread(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout=self.join_timeout_s)
        if thread.is_alive():  # a driver call is stuck inside the camera library
            self._stuck = thread
            log.warning("camera %s: capture thread did not stop within %.1f s",
                        self.name, self.join_timeout_s)
        self._stream.reset()
        with self._state_lock:
            self._problem = None

    def close(self) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._thread is not None

    def latest_frame(self) -> Frame | None:
        if self._thread is None:
            return None
        return self._stream.latest()

    def capture_still(self, timeout_s: float = 2.0) -> Frame:
        """The next fresh frame; refused while the picture is frozen (it could be anyone's)."""
        self._refuse_frozen()
        return super().capture_still(timeout_s)

    def _refuse_frozen(self) -> None:
        frozen = self._stream.frozen_for()
        if frozen > self.frozen_after_s:
            raise NoFrames(f"the picture has not changed for {frozen:.0f} s")

    def stats(self) -> dict[str, Any]:
        """Figures for the diagnostics screen: fps, frames, dropped, last_error and more."""
        out = self._stream.stats()
        health = self.health()
        out.update(state=health.state.value, code=health.code, reopens=self.reopens,
                   device=self._describe(), requested=f"{self.width}x{self.height}@{self.fps:g}")
        return out

    def health(self) -> DeviceHealth:
        try:
            return self._health()
        except Exception as exc:  # health() must not raise
            return DeviceHealth(HealthState.UNKNOWN, "health_failed", type(exc).__name__)

    def _health(self) -> DeviceHealth:
        if self._thread is None:
            present = self._present()
            if present is False:
                return DeviceHealth(HealthState.OFFLINE, "camera_missing",
                                    f"fps=0.0; {self._describe()} not found")
            return DeviceHealth(HealthState.OK, "", "idle")
        fps = self._stream.fps()
        detail = f"fps={fps:.1f}"
        with self._state_lock:
            problem, is_open, opened_at = self._problem, self._is_open, self._opened_at
        if problem is not None:
            state, code, why = problem
            return DeviceHealth(state, code, f"{detail}; {why}")
        if not is_open:
            return DeviceHealth(HealthState.OK, "", f"{detail}; opening")
        age = self._stream.age()
        if age is None:
            if time.monotonic() - opened_at > self.startup_grace_s:
                return DeviceHealth(HealthState.ERROR, "camera_no_frames",
                                    f"{detail}; no frame since the camera was opened")
        elif age > self.stale_after_s:
            return DeviceHealth(HealthState.ERROR, "camera_no_frames",
                                f"{detail}; no frame for {age:.1f} s")
        frozen = self._stream.frozen_for()
        if frozen > self.frozen_after_s:
            return DeviceHealth(HealthState.WARNING, "camera_frozen",
                                f"{detail}; picture unchanged for {frozen:.1f} s")
        return DeviceHealth(HealthState.OK, "", detail)

    # ----- the capture thread ---------------------------------------------------------

    def _set_problem(self, state: HealthState, code: str, why: str) -> bool:
        """Remember what is wrong; True when it is news (so a retry loop logs it once)."""
        with self._state_lock:
            news, self._problem = self._problem != (state, code, why), (state, code, why)
        self._stream.note_error(why)
        return news

    def _run(self, stop: threading.Event) -> None:
        next_open = 0.0
        try:
            while not stop.is_set():
                if not self._is_open:
                    if stop.wait(max(0.0, next_open - time.monotonic())):
                        break
                    if not self._try_open():
                        next_open = time.monotonic() + self.reopen_after_s
                        continue
                if not self._stream_until_failure(stop):
                    break  # stopped
                next_open = time.monotonic() + self.reopen_after_s
        finally:
            self._close()

    def _try_open(self) -> bool:
        present = self._present()
        if present is False:
            if self._set_problem(HealthState.OFFLINE, "camera_missing",
                                 f"{self._describe()} not found"):
                log.warning("camera %s: %s not found; looking again every %.1f s", self.name,
                            self._describe(), self.reopen_after_s)
            return False
        try:
            with self._io_lock:
                self._open_source()
        except Exception as exc:
            why = f"cannot open {self._describe()}: {exc}"
            if present:  # it is there but will not open: busy, broken, unreadable
                news = self._set_problem(HealthState.ERROR, "camera_open_failed", why)
            else:
                news = self._set_problem(HealthState.OFFLINE, "camera_missing", why)
            if news:
                log.warning("camera %s: %s; trying again every %.1f s", self.name, why,
                            self.reopen_after_s)
            return False
        with self._state_lock:
            if self._opened_at:
                self.reopens += 1
            self._is_open, self._opened_at, self._problem = True, time.monotonic(), None
        log.info("camera %s: opened %s", self.name, self._describe())
        return True

    def _stream_until_failure(self, stop: threading.Event) -> bool:
        """Read until the source fails (returns True) or stop() is called (returns False)."""
        failures, next_check = 0, time.monotonic() + self.presence_check_s
        read_error = ""
        period = self._pace()
        next_at = time.monotonic()
        while not stop.is_set():
            if period is not None:
                if stop.wait(max(0.0, next_at - time.monotonic())):
                    return False
                next_at = max(next_at + period, time.monotonic() - period)  # no catch-up burst
            now = time.monotonic()
            if now >= next_check:
                next_check = now + self.presence_check_s
                if self._present() is False:
                    self._lost(HealthState.OFFLINE, "camera_missing",
                               f"{self._describe()} disappeared")
                    return True
            try:
                with self._io_lock:
                    got = self._read()
            except EndOfStream as end:
                self._set_problem(HealthState.ERROR, "camera_no_frames",
                                  str(end) or "end of stream")
                stop.wait()
                return False
            except Exception as exc:
                got = None
                read_error = f"read failed: {exc}"
                self._stream.note_error(read_error)
            if got is not None:
                failures, read_error = 0, ""
                with self._state_lock:
                    self._problem = None
                self._stream.publish(*got)
                continue
            failures += 1
            self._stream.failed_read()
            if failures >= self.max_failed_reads:
                present = self._present()
                if present is False:
                    self._lost(HealthState.OFFLINE, "camera_missing",
                               f"{self._describe()} disappeared")
                else:
                    why = f"{failures} reads failed in a row"
                    self._lost(HealthState.ERROR, "camera_no_frames",
                               f"{why} ({read_error})" if read_error else why)
                return True
            if period is None and stop.wait(0.05):  # do not spin on a failing device
                return False
        return False

    def _lost(self, state: HealthState, code: str, why: str) -> None:
        log.warning("camera %s: %s; reopening every %.1f s", self.name, why, self.reopen_after_s)
        self._close()
        self._set_problem(state, code, why)

    def _close(self) -> None:
        with self._io_lock:
            if self._is_open:
                try:
                    self._close_source()
                except Exception:  # closing a vanished camera may fail; it is closed anyway
                    log.debug("camera %s: close failed", self.name, exc_info=True)
            with self._state_lock:
                self._is_open = False
