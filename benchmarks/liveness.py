"""Liveness (活体检测) figures: attacks that pass (APCER) and live residents refused (BPCER),
per attack kind, and the time per frame.

Every frame goes through the real pipeline (FaceFinder: mediapipe detector and mesh) and
the kiosk's LivenessChallenge with the default [photo] settings, at 15 analysed frames
a second of simulated time (the coach looks every 0.05 s while an action is asked):

* live: the drawn resident (drivers/camera/simulated.py, several personas) reads each
  instruction and blinks or turns after a reaction time (ResidentMotion);
* still_print: a printed photo of them held up: one frame, hand shake, sensor noise
  (SyntheticScene.held_print);
* still_print_real: the public-domain portraits of tests/data/faces held up the same way
  (real faces, the only real footage here: no public-domain video of faces blinking and
  turning was found to record);
* swung_print: the held print turned about its upright axis (perspective warp, 25°)
  whenever a turn is asked: the depth check's attack;
* replay: the frames of an earlier live session of this bench, played back from its
  start against a new random draw, looped; recordings with a blink included.

Refused means the verdict is not "live" (then staff review: nobody is turned away).
Frames that repeat (a replay, a shaking print) are analysed once and the result reused:
the mesh of the same image is the same. Times: the face mesh per frame (already paid by
the photo checks) and the challenge's own work per frame (what liveness adds).
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.camera.simulated import ResidentMotion, SyntheticScene  # noqa: E402
from kiosk.config import PhotoConfig  # noqa: E402
from kiosk.photo.faces import FaceFinder  # noqa: E402
from kiosk.photo.liveness import (  # noqa: E402
    Action,
    LivenessChallenge,
    LivenessSettings,
    Sample,
    Verdict,
)

W, H, FPS = 640, 480, 15.0
LIMIT_S = 45.0  # longer than every attempt's steps and pauses together
PERSONAS = ("bench-a", "bench-b", "bench-c", "bench-d", "bench-e", "bench-f")
FACES = ROOT / "tests" / "data" / "faces"


class _Timed:
    def __init__(self) -> None:
        self.finder = FaceFinder()
        self.mesh_ms: list[float] = []
        self.logic_ms: list[float] = []
        self.cache: dict[Any, Sample | None] = {}

    def sample(self, key: Any, rgb: Any, t: float) -> Sample | None:
        if key not in self.cache:
            start = time.perf_counter()
            faces = self.finder.find(rgb() if callable(rgb) else rgb)
            self.mesh_ms.append((time.perf_counter() - start) * 1000)
            self.cache[key] = Sample.of(faces[0], 0.0) if faces else None
        s = self.cache[key]
        return None if s is None else Sample(t, s.eye_openness, s.yaw, s.eye_distance, s.points)

    def step(self, challenge: LivenessChallenge, sample: Sample | None, t: float):
        start = time.perf_counter()
        state = challenge.update(sample, t)
        self.logic_ms.append((time.perf_counter() - start) * 1000)
        return state


def _array(data: bytes) -> np.ndarray:
    return np.frombuffer(data, np.uint8).reshape(H, W, 3)


def _session(timed: _Timed, settings: LivenessSettings, seed: int, frame_at) -> tuple[
        LivenessChallenge, list[Any]]:
    """Run one challenge; ``frame_at(i, t, instruction) -> (cache key, rgb or maker)``."""
    challenge = LivenessChallenge(settings, random.Random(seed))
    keys: list[Any] = []
    instruction = None
    for i in range(int(LIMIT_S * FPS)):
        t = i / FPS
        key, rgb = frame_at(i, t, instruction)
        keys.append(key)
        state = timed.step(challenge, timed.sample(key, rgb, t), t)
        instruction = state.instruction
        if challenge.verdict is not Verdict.PENDING:
            break
    return challenge, keys


def _print_of(image: Image.Image) -> np.ndarray:
    """A portrait held up: fitted into most of the frame on a grey desk."""
    frame = Image.new("RGB", (W, H), (118, 122, 128))
    picture = ImageOps.contain(image.convert("RGB"), (int(W * 0.8), int(H * 0.9)))
    frame.paste(picture, ((W - picture.width) // 2, (H - picture.height) // 2))
    return np.asarray(frame)


def _shaken(still: np.ndarray, i: int, noise: list[np.ndarray]) -> np.ndarray:
    dx, dy = round(1.5 * np.sin(i * 1.7)), round(1.5 * np.cos(i * 1.1))
    moved = np.roll(still, (dy, dx), axis=(0, 1)).astype(np.int16) + noise[i % len(noise)]
    return np.clip(moved, 0, 255).astype(np.uint8)


def _swung(still: np.ndarray, degrees: float) -> np.ndarray:
    """The flat print turned about its upright axis, seen in perspective."""
    import cv2
    if not degrees:
        return still
    a, f = np.radians(degrees), 900.0
    corners = np.array([[0, 0], [W, 0], [W, H], [0, H]], np.float32)
    moved = []
    for x, y in corners:
        X, Y = x - W / 2, y - H / 2
        Z = f - X * np.sin(a)
        moved.append([W / 2 + f * X * np.cos(a) / Z, H / 2 + f * Y / Z])
    m = cv2.getPerspectiveTransform(corners, np.array(moved, np.float32))
    return cv2.warpPerspective(still, m, (W, H), borderValue=(118, 122, 128))


def bench_liveness(replays_per_recording: int = 3) -> dict:
    settings = LivenessSettings.from_config(PhotoConfig())
    timed = _Timed()
    rng = np.random.default_rng(5)
    noise = [rng.normal(0, 2.5, (H, W, 3)).astype(np.int16) for _ in range(4)]
    results: dict[str, list[bool]] = {}  # kind -> passed as live, per session
    seconds: list[float] = []
    recordings: list[tuple[str, list[tuple[float, float]], tuple[Action, ...]]] = []

    for n, persona in enumerate(PERSONAS):
        scene, motion = SyntheticScene(persona, W, H), ResidentMotion(reaction_s=0.3 + 0.1 * n)
        poses: list[tuple[float, float]] = []

        def live_frame(i, t, instruction, scene=scene, motion=motion, poses=poses,
                       persona=persona):
            motion.instruct(instruction, t)
            pose = motion.pose(t)
            poses.append(pose)
            return ((persona, i % 40, pose),
                    lambda: _array(scene.frame(i % 40, None, pose)))
        challenge, _ = _session(timed, settings, 100 + n, live_frame)
        results.setdefault("live", []).append(challenge.verdict is Verdict.LIVE)
        seconds.append(len(poses) / FPS)
        recordings.append((persona, poses, challenge.actions))

        still = _array(scene.frame(3))
        challenge, _ = _session(timed, settings, 200 + n, lambda i, t, _, still=still, p=persona: (
            ("print", p, i % 60), lambda: _shaken(still, i, noise)))
        results.setdefault("still_print", []).append(challenge.verdict is Verdict.LIVE)

        def swung_frame(i, t, instruction, still=still, p=persona):
            degrees = {"photo.live.turn_left": 25.0, "photo.live.turn_right": -25.0}.get(
                instruction or "", 0.0)
            return ("swung", p, degrees, i % 20), lambda: _shaken(_swung(still, degrees), i, noise)
        for k in range(3):
            challenge, _ = _session(timed, settings, 300 + 10 * n + k, swung_frame)
            results.setdefault("swung_print", []).append(challenge.verdict is Verdict.LIVE)

    for path in sorted(FACES.glob("*.jpg")):
        if "two_people" in path.name or "partial" in path.name:
            continue
        with Image.open(path) as image:
            still = _print_of(image)
        challenge, _ = _session(timed, settings, 400, lambda i, t, _, still=still, p=path.name: (
            ("real", p, i % 60), lambda: _shaken(still, i, noise)))
        results.setdefault("still_print_real", []).append(challenge.verdict is Verdict.LIVE)

    with_blink = 0
    for n, (persona, poses, actions) in enumerate(recordings):
        with_blink += Action.BLINK in actions
        scene = SyntheticScene(persona, W, H)
        for k in range(replays_per_recording):
            def replay(i, t, _, poses=poses, scene=scene, persona=persona):
                j = i % len(poses)  # the recording, looped
                return ((persona, j % 40, poses[j]),
                        lambda: _array(scene.frame(j % 40, None, poses[j])))
            challenge, _ = _session(timed, settings, 500 + 10 * n + k, replay)
            results.setdefault("replay", []).append(challenge.verdict is Verdict.LIVE)

    out: dict[str, Any] = {"sessions": {k: len(v) for k, v in results.items()}}
    live = results["live"]
    out["bpcer_live"] = round(1 - sum(live) / len(live), 3)
    out["apcer"] = {k: round(sum(v) / len(v), 3) for k, v in results.items() if k != "live"}
    out["replay_recordings_with_blink"] = with_blink
    out["live_seconds_median"] = round(statistics.median(seconds), 2)
    out["mesh_ms_per_frame_median"] = round(statistics.median(timed.mesh_ms), 1)
    out["liveness_ms_per_frame_median"] = round(statistics.median(timed.logic_ms), 3)
    out["liveness_ms_per_frame_p99"] = round(
        sorted(timed.logic_ms)[int(0.99 * (len(timed.logic_ms) - 1))], 3)
    out["frames_analysed"] = len(timed.mesh_ms)
    out["frames_judged"] = len(timed.logic_ms)
    return out


if __name__ == "__main__":
    import json
    print(json.dumps(bench_liveness(), indent=2))
