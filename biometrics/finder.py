"""Finding faces and measuring them: box, landmarks, head pose, eyes and mouth.

Three models, all shipped inside the ``mediapipe`` 0.10.14 wheel (Apache-2.0, code and
weights), chosen by measurement on this 2-core machine for 640x480 frames:

* BlazeFace full-range detector: every face in the frame, ~3 ms. It counts people and
  gives each a box; faces much smaller than the largest are bystanders and ignored.
* Face Mesh with irises: 478 landmarks on one face, ~4-5 ms. It runs on a square crop
  around each detected box, so it sees the face large whatever the frame size.
* Selfie segmentation (landscape model): which pixels are the person, ~3-5 ms; the
  background check and the background replacement use it.

(dlib's HOG detector took ~18 ms a frame and missed cut and small faces; its 68-point
landmark model is trained on data (iBUG 300-W) whose licence excludes commercial use, and
its public-domain 5-point model has no mouth, chin or eyelids. OpenCV's Haar cascade
took 8-16 ms at 320x240 and gives no landmarks. dlib serves recognition only: biometrics.templates.)

Coordinates are image pixels, x to the right and y down, of the image as given
(unmirrored camera frames). "Right eye" is the person's right eye, on the image's left.
Pose angles are degrees: yaw > 0 when the person turns their face to their left (the
nose moves to the image's right), pitch > 0 when they lift their chin, roll > 0 when
their head leans toward their left shoulder (clockwise in the image).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import math
import os
import sys
import threading
import types
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Point = tuple[float, float]

# Face Mesh landmark numbers (the model's fixed topology).
_RIGHT_EYE: dict[str, Any] = {"outer": 33, "inner": 133, "upper": (159, 158, 160), "lower": (145, 153, 144)}
_LEFT_EYE: dict[str, Any] = {"outer": 263, "inner": 362, "upper": (386, 385, 387), "lower": (374, 380, 373)}
_RIGHT_IRIS, _LEFT_IRIS = 468, 473
_NOSE_TIP, _CHIN, _FOREHEAD = 1, 152, 10
_MOUTH_RIGHT, _MOUTH_LEFT, _LIP_UPPER_INNER, _LIP_LOWER_INNER = 61, 291, 13, 14
_CHEEK_RIGHT, _CHEEK_LEFT = 234, 454

CROWN_FACTOR = 1.0
"""Eyes-to-crown distance over eyes-to-chin distance (the eyes sit about half way up
the head); the crown is hidden by hair, so it is estimated from the landmarks."""

PITCH_OFFSET = 5.0
"""Degrees the mesh's forehead-to-chin line leans away from the camera on a level face
(the forehead top curves forward of the chin): 3-7 degrees on the frontal test portraits."""


class FaceModelUnavailable(RuntimeError):
    """The face models are not installed (the ``photo`` extra)."""


@dataclass(frozen=True)
class FaceGeometry:
    """One face. Personal data: keep it in memory, never log or store it."""

    box: tuple[float, float, float, float]  # x0, y0, x1, y1 of the detector's box
    score: float  # detector confidence 0..1
    landmarks: dict[str, Point] = field(repr=False)
    yaw: float = 0.0
    pitch: float = 0.0
    roll: float = 0.0
    eye_openness: float | None = None  # lid gap over eye width, the less open eye
    mouth_openness: float | None = None  # inner-lip gap over mouth width
    outline: np.ndarray | None = field(default=None, repr=False, compare=False)  # mesh (N, 2)

    @property
    def measured(self) -> bool:
        """True when the landmark model measured this face (pose, eyes and mouth are real);
        False for a face only the detector saw, whose landmarks are guessed from its box."""
        return self.outline is not None

    @property
    def height(self) -> float:
        return self.box[3] - self.box[1]

    @property
    def eyes_mid(self) -> Point:
        (rx, ry), (lx, ly) = self.landmarks["right_eye"], self.landmarks["left_eye"]
        return (rx + lx) / 2, (ry + ly) / 2

    @property
    def chin(self) -> Point:
        return self.landmarks.get("chin") or (self.eyes_mid[0], self.box[3])

    @property
    def crown(self) -> Point:
        """Estimated top of the head: as far above the eyes as the chin is below them."""
        (ex, ey), (cx, cy) = self.eyes_mid, self.chin
        return ex - (cx - ex) * CROWN_FACTOR, ey - (cy - ey) * CROWN_FACTOR

    @property
    def head_height(self) -> float:
        """Chin to (estimated) crown, in pixels."""
        (tx, ty), (cx, cy) = self.crown, self.chin
        return math.hypot(cx - tx, cy - ty)

    @property
    def head_centre(self) -> Point:
        (tx, ty), (cx, cy) = self.crown, self.chin
        return (tx + cx) / 2, (ty + cy) / 2

    @property
    def eye_distance(self) -> float:
        (rx, ry), (lx, ly) = self.landmarks["right_eye"], self.landmarks["left_eye"]
        return math.hypot(lx - rx, ly - ry)


@contextlib.contextmanager
def _without_matplotlib():
    """mediapipe's drawing helpers import matplotlib at import time and never use it
    for inference; a placeholder stands in during that import only, so the kiosk does
    not carry matplotlib. Nothing else ever sees the placeholder."""
    if "matplotlib" in sys.modules or importlib.util.find_spec("matplotlib") is not None:
        yield
        return
    plt = types.ModuleType("matplotlib.pyplot")
    mpl = types.ModuleType("matplotlib")
    mpl.pyplot = plt  # type: ignore[attr-defined,unused-ignore]  # set by hand
    sys.modules.update({"matplotlib": mpl, "matplotlib.pyplot": plt})
    try:
        yield
    finally:
        sys.modules.pop("matplotlib.pyplot", None)
        sys.modules.pop("matplotlib", None)


@functools.lru_cache(maxsize=1)
def _mediapipe_solutions():
    os.environ.setdefault("GLOG_minloglevel", "2")
    try:
        with _without_matplotlib():
            from mediapipe.python.solutions import (
                face_detection,
                face_mesh,
                selfie_segmentation,
            )
    except ImportError as e:  # pragma: no cover - depends on the installation
        raise FaceModelUnavailable(f"mediapipe is not usable: {e}") from e
    return face_detection, face_mesh, selfie_segmentation


@contextlib.contextmanager
def _quiet_protobuf():
    """mediapipe 0.10.14 calls a protobuf API that protobuf 4.25 marks deprecated on
    every frame; that warning says nothing to us."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"SymbolDatabase\.GetPrototype")
        yield


def _mesh_points(landmarks, width: int, height: int) -> np.ndarray:
    """(N, 3) pixel coordinates; z is relative depth in x's scale, smaller is nearer."""
    return np.array([(p.x * width, p.y * height, p.z * width) for p in landmarks.landmark],
                    dtype=np.float64)


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else v


def head_pose(points: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees from mesh points, from the face's own axes.

    Across the face: from the right cheek to the left cheek, and the outer eye corners;
    down the face: from the forehead to the chin, made square to the first. A frontal,
    upright face has them along the image's x and y; turning adds depth to the first,
    nodding to the second, and leaning turns the first within the image.
    """
    across = _unit(_unit(points[_CHEEK_LEFT] - points[_CHEEK_RIGHT])
                   + _unit(points[_LEFT_EYE["outer"]] - points[_RIGHT_EYE["outer"]]))
    down = points[_CHIN] - points[_FOREHEAD]
    down = _unit(down - across * float(np.dot(down, across)))
    roll = math.degrees(math.atan2(across[1], across[0]))
    # Turning to the left takes the left cheek away from the camera (z grows); lifting
    # the chin brings the chin nearer than the forehead (z of the downward axis falls).
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, float(across[2])))))
    pitch = PITCH_OFFSET - math.degrees(math.asin(max(-1.0, min(1.0, float(down[2])))))
    return yaw, pitch, roll



def _eye_openness(points: np.ndarray, eye: dict) -> float:
    width = float(np.linalg.norm(points[eye["outer"], :2] - points[eye["inner"], :2]))
    gaps = [float(np.linalg.norm(points[u, :2] - points[lo, :2]))
            for u, lo in zip(eye["upper"], eye["lower"])]
    return (sum(gaps) / len(gaps)) / width if width > 1e-6 else 0.0


def _geometry(points: np.ndarray, score: float) -> FaceGeometry:
    xy = points[:, :2]

    def p(*indices: int) -> Point:
        x, y = xy[list(indices)].mean(axis=0)
        return float(x), float(y)

    has_iris = len(points) > _LEFT_IRIS  # the iris centre is the eye's centre
    right_eye = p(_RIGHT_IRIS) if has_iris else p(_RIGHT_EYE["outer"], _RIGHT_EYE["inner"])
    left_eye = p(_LEFT_IRIS) if has_iris else p(_LEFT_EYE["outer"], _LEFT_EYE["inner"])
    landmarks = {"right_eye": right_eye, "left_eye": left_eye, "nose_tip": p(_NOSE_TIP),
                 "mouth_right": p(_MOUTH_RIGHT), "mouth_left": p(_MOUTH_LEFT),
                 "chin": p(_CHIN), "forehead": p(_FOREHEAD),
                 "cheek_right": p(_CHEEK_RIGHT), "cheek_left": p(_CHEEK_LEFT)}
    mouth_width = float(np.linalg.norm(xy[_MOUTH_LEFT] - xy[_MOUTH_RIGHT]))
    mouth_gap = float(np.linalg.norm(xy[_LIP_LOWER_INNER] - xy[_LIP_UPPER_INNER]))
    yaw, pitch, roll = head_pose(points)
    x0, y0 = xy.min(axis=0)
    x1, y1 = xy.max(axis=0)
    return FaceGeometry(
        box=(float(x0), float(y0), float(x1), float(y1)), score=score, landmarks=landmarks,
        yaw=yaw, pitch=pitch, roll=roll,
        eye_openness=min(_eye_openness(points, _RIGHT_EYE), _eye_openness(points, _LEFT_EYE)),
        mouth_openness=mouth_gap / mouth_width if mouth_width > 1e-6 else None,
        outline=xy.astype(np.float32))


class FaceFinder:
    """Faces in an RGB image (H x W x 3, uint8), largest first.

    ``min_confidence`` is the detector's score below which a face is not a face;
    ``bystander_ratio`` ignores faces smaller than that share of the largest one's
    height (people far behind in the hall); at most ``max_faces`` are measured.
    Thread-safe: one lock around the models, which are not.
    """

    def __init__(self, min_confidence: float = 0.5, bystander_ratio: float = 0.35,
                 max_faces: int = 4) -> None:
        face_detection, face_mesh, selfie_segmentation = _mediapipe_solutions()
        self.min_confidence = min_confidence
        self.bystander_ratio = bystander_ratio
        self.max_faces = max_faces
        self._lock = threading.Lock()
        self._detector = face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence)
        self._mesh = face_mesh.FaceMesh(static_image_mode=True, max_num_faces=1,
                                        refine_landmarks=True,
                                        min_detection_confidence=min_confidence)
        self._segmenter = selfie_segmentation.SelfieSegmentation(model_selection=1)

    def warm_up(self) -> None:
        """Start every model once (the first call of each costs ~50 ms more)."""
        blank = np.full((64, 64, 3), 128, dtype=np.uint8)
        with self._lock, _quiet_protobuf():
            self._detector.process(blank)
            self._mesh.process(blank)
            self._segmenter.process(blank)

    def close(self) -> None:
        with self._lock:
            self._detector.close()
            self._mesh.close()
            self._segmenter.close()

    def person_mask(self, rgb: np.ndarray) -> np.ndarray:
        """How much each pixel is the person (H x W float32, 0 = background, 1 = person).
        Large images are segmented at most 640 pixels wide and the mask scaled back."""
        import cv2
        rgb = _as_rgb(rgb)
        h, w = rgb.shape[:2]
        scale = min(1.0, 640 / max(h, w))
        small = rgb if scale == 1.0 else cv2.resize(
            rgb, (max(1, int(w * scale)), max(1, int(h * scale))), interpolation=cv2.INTER_AREA)
        with self._lock, _quiet_protobuf():
            mask = self._segmenter.process(small).segmentation_mask
        mask = np.asarray(mask, dtype=np.float32)
        if mask.shape[:2] != (h, w):
            mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_LINEAR)
        return np.clip(mask, 0.0, 1.0)

    def find(self, rgb: np.ndarray) -> list[FaceGeometry]:
        rgb = _as_rgb(rgb)
        with self._lock, _quiet_protobuf():
            boxes = self._boxes(rgb, 0)
            if not boxes:
                # A face filling an ID photo to its edges is missed by the detector; with
                # a margin around the picture it is found (chip photos, permit crops).
                boxes = self._boxes(rgb, round(0.25 * max(rgb.shape[:2])))
            if not boxes:
                return []
            boxes.sort(key=lambda b: -(b[4] - b[2]))
            largest = boxes[0][4] - boxes[0][2]
            boxes = [b for b in boxes if b[4] - b[2] >= self.bystander_ratio * largest]
            faces = []
            for score, x0, y0, x1, y1 in boxes[:self.max_faces]:
                points = self._mesh_in(rgb, (x0, y0, x1, y1))
                if points is not None:
                    faces.append(_geometry(points, score))
                else:
                    faces.append(_box_only(score, (x0, y0, x1, y1)))
        return sorted(faces, key=lambda f: -f.height)

    def _boxes(self, rgb: np.ndarray, margin: int) -> list[tuple[float, ...]]:
        """(score, x0, y0, x1, y1) of each detection, in ``rgb``'s pixels; with ``margin``
        the detector sees the picture inside a grey border that wide."""
        h, w = rgb.shape[:2]
        seen = rgb
        if margin:
            seen = np.full((h + 2 * margin, w + 2 * margin, 3), 128, dtype=np.uint8)
            seen[margin:margin + h, margin:margin + w] = rgb
        sh, sw = seen.shape[:2]
        boxes: list[tuple[float, ...]] = []
        for d in self._detector.process(seen).detections or []:
            b = d.location_data.relative_bounding_box
            boxes.append((float(d.score[0]), b.xmin * sw - margin, b.ymin * sh - margin,
                          (b.xmin + b.width) * sw - margin, (b.ymin + b.height) * sh - margin))
        return boxes

    def _mesh_in(self, rgb: np.ndarray, box: tuple[float, float, float, float]):
        """The mesh of the face in ``box``, run on a square crop twice its size (padded
        with black where the crop leaves the image, so a cut face is still measured)."""
        x0, y0, x1, y1 = box
        side = max(x1 - x0, y1 - y0) * 2.0
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        left, top = round(cx - side / 2), round(cy - side / 2)
        size = max(16, round(side))
        crop = _padded_crop(rgb, left, top, size)
        scale = 1.0
        if size > 512:  # the mesh sees 192x192 anyway; a smaller crop costs less to feed
            scale = 512 / size
            crop = _resize(crop, 512)
        result = self._mesh.process(crop)
        if not result.multi_face_landmarks:
            return None
        points = _mesh_points(result.multi_face_landmarks[0], crop.shape[1], crop.shape[0])
        points /= scale
        points[:, 0] += left
        points[:, 1] += top
        return points


def _as_rgb(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array[..., :3], dtype=np.uint8)


def _box_only(score: float, box: tuple[float, float, float, float]) -> FaceGeometry:
    """A face the mesh could not measure: its box, and eyes and chin guessed from it."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    landmarks = {"right_eye": (x0 + 0.3 * w, y0 + 0.4 * h), "left_eye": (x0 + 0.7 * w, y0 + 0.4 * h),
                 "chin": ((x0 + x1) / 2, y1)}
    return FaceGeometry(box=box, score=score, landmarks=landmarks)


def _padded_crop(rgb: np.ndarray, left: int, top: int, size: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    out = np.zeros((size, size, 3), dtype=np.uint8)
    sx0, sy0 = max(0, left), max(0, top)
    sx1, sy1 = min(w, left + size), min(h, top + size)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - top:sy1 - top, sx0 - left:sx1 - left] = rgb[sy0:sy1, sx0:sx1]
    return out


def _resize(rgb: np.ndarray, size: int) -> np.ndarray:
    import cv2  # mediapipe depends on OpenCV; imported here to keep start-up light
    return cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)


@contextlib.contextmanager
def native_stderr_silenced():
    """Send file descriptor 2 to /dev/null for a moment: mediapipe's native code prints
    start-up notes there that Python cannot filter. For command-line tools only (it
    would also hide other threads' messages)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_finders: dict[tuple[float, float], FaceFinder] = {}
_finders_lock = threading.Lock()


def default_finder(min_confidence: float = 0.5, bystander_ratio: float = 0.35) -> FaceFinder:
    """One shared finder per setting in this process (loading takes ~0.1 s)."""
    key = (float(min_confidence), float(bystander_ratio))
    with _finders_lock:
        if key not in _finders:
            _finders[key] = FaceFinder(min_confidence, bystander_ratio)
        return _finders[key]
