"""Camera preview throughput: frames per second the OpenCV driver delivers while an
analysis function (face checks, later) runs on its own thread on the newest frame.

The camera plays a 640x480 MJPG file at 30 fps made here from the drawn resident, so
the figures need no camera; on the kiosk's Pi they show whether analysis starves the
preview. Figures, not asserts: run it with ``python benchmarks/camera_preview.py``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.camera.base import Frame  # noqa: E402
from drivers.camera.opencv import OpenCvCamera  # noqa: E402
from drivers.camera.simulated import DEFAULT_PERSONA, SyntheticScene  # noqa: E402

WIDTH, HEIGHT, FPS = 640, 480, 30
UI_POLL_S = 1 / 60  # the preview screen looks for a new frame this often


def make_preview_video(path: str | Path, seconds: float = 3.0, persona: str = DEFAULT_PERSONA,
                       size: tuple[int, int] = (WIDTH, HEIGHT), fps: int = FPS) -> str:
    """An MJPG .avi of the drawn resident swaying: something a face check can find."""
    import cv2
    import numpy as np

    width, height = size
    scene = SyntheticScene(persona, width, height)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"cannot write {path}")
    try:
        for seq in range(max(1, int(seconds * fps))):
            rgb = np.frombuffer(scene.frame(seq), np.uint8).reshape(height, width, 3)
            writer.write(np.ascontiguousarray(rgb[..., ::-1]))  # OpenCV writes BGR
    finally:
        writer.release()
    return str(path)


class _Analyser(threading.Thread):
    """Runs ``analyse`` on each new latest frame, as fast as it can, never on a stale one."""

    def __init__(self, camera: OpenCvCamera, analyse: Callable[[Frame], object]) -> None:
        super().__init__(name="camera-bench-analysis", daemon=True)
        self.camera, self.analyse = camera, analyse
        self.durations: list[float] = []
        self.errors = 0
        self.first_error = ""
        self.measuring = threading.Event()
        self.done = threading.Event()

    def run(self) -> None:
        last_seq = -1
        while not self.done.is_set():
            frame = self.camera.latest_frame()
            if frame is None or frame.seq == last_seq:
                time.sleep(0.002)
                continue
            last_seq = frame.seq
            started = time.perf_counter()
            try:
                self.analyse(frame)
            except Exception as exc:  # a failing analysis is a figure too
                self.errors += 1
                self.first_error = self.first_error or f"{type(exc).__name__}: {exc}"
            if self.measuring.is_set():
                self.durations.append(time.perf_counter() - started)


def bench_preview(analyse: Callable[[Frame], object] | None = None, seconds: float = 5,
                  *, warmup_s: float = 0.5, video: str | None = None,
                  video_seconds: float = 3.0) -> dict[str, Any]:
    """Frames per second delivered by OpenCvCamera playing a 640x480 file at 30 fps, and
    (with ``analyse``) analysis calls per second and their mean time, over ``seconds``."""
    with tempfile.TemporaryDirectory(prefix="camera-bench-") as tmp:
        path = video or make_preview_video(Path(tmp) / "preview.avi", seconds=video_seconds)
        camera = OpenCvCamera("bench", device=path, width=WIDTH, height=HEIGHT, fps=FPS)
        analyser = _Analyser(camera, analyse) if analyse is not None else None
        camera.start()
        try:
            deadline = time.monotonic() + 10
            while camera.latest_frame() is None:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"no frame from {path}: {camera.health().detail}")
                time.sleep(0.01)
            if analyser is not None:
                analyser.start()
            time.sleep(warmup_s)
            if analyser is not None:
                analyser.measuring.set()
            frames0, dropped0 = camera.stats()["frames"], camera.stats()["dropped"]
            cpu0, started = time.process_time(), time.perf_counter()
            seen, last_seq = 0, -1
            while time.perf_counter() - started < seconds:  # the preview screen's view
                frame = camera.latest_frame()
                if frame is not None and frame.seq != last_seq:
                    seen, last_seq = seen + 1, frame.seq
                time.sleep(UI_POLL_S)
            elapsed = time.perf_counter() - started
            if analyser is not None:
                analyser.measuring.clear()
            stats = camera.stats()
            cpu = time.process_time() - cpu0
        finally:
            if analyser is not None:
                analyser.done.set()
                if analyser.is_alive():
                    analyser.join(timeout=10)
            camera.stop()
    durations = analyser.durations if analyser is not None else []
    return {
        "seconds": round(elapsed, 2),
        "size": f"{WIDTH}x{HEIGHT}",
        "fps_requested": FPS,
        "fps_delivered": round((stats["frames"] - frames0) / elapsed, 1),
        "fps_seen_by_preview": round(seen / elapsed, 1),
        "dropped": stats["dropped"] - dropped0,
        "analysis_calls": len(durations),
        "analysis_per_s": round(len(durations) / elapsed, 1),
        "analysis_mean_ms": round(statistics.fmean(durations) * 1000, 2) if durations else None,
        "analysis_p95_ms": (round(sorted(durations)[int(0.95 * (len(durations) - 1))] * 1000, 2)
                            if durations else None),
        "analysis_errors": analyser.errors if analyser is not None else 0,
        "analysis_first_error": analyser.first_error if analyser is not None else "",
        "cpu_percent": round(100 * cpu / elapsed, 1),
        "health": stats["state"],
    }


def _sleeper(ms: float) -> Callable[[Frame], None]:
    def analyse(frame: Frame) -> None:
        time.sleep(ms / 1000)
    return analyse


def _grey_mean(frame: Frame) -> float:
    import numpy as np

    return float(np.frombuffer(frame.rgb, np.uint8).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--analysis", choices=["none", "mean", "sleep"], default="none",
                        help="a stand-in analysis: none, the frame's mean, or a sleep")
    parser.add_argument("--sleep-ms", type=float, default=50, help="for --analysis sleep")
    args = parser.parse_args(argv)
    analyse = {"none": None, "mean": _grey_mean, "sleep": _sleeper(args.sleep_ms)}[args.analysis]
    print(json.dumps(bench_preview(analyse, args.seconds), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
