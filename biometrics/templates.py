"""Face templates: dlib's 128-number ResNet descriptor of the largest face in an image.

A template is dlib's descriptor (``dlib_face_recognition_resnet_model_v1``, public domain,
from the ``face_recognition_models`` package) computed on the face aligned by dlib's
5-point landmark model (public domain, same package). Faces are found by FaceFinder
(mediapipe, ``biometrics.finder``), whose box is mapped onto the box dlib's own HOG
detector would draw, which the 5-point model expects (measured on the test portraits: a
square 1.23 times the eyes-to-chin distance, centred 0.28 of the way from the eyes to the
chin). Two templates of the same person lie closer than about 0.6 (dlib's threshold);
what a distance means for an application is the caller's decision, not this module's.

Templates are personal data: they print as "FaceTemplate(hidden)", refuse to be pickled,
are wiped after use, and are never logged or stored. Used by the kiosk
(``kiosk.photo.verify``) and by central (``central.identity``).
"""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np
from PIL import Image

from biometrics.finder import FaceFinder, FaceGeometry, FaceModelUnavailable, default_finder
from biometrics.images import to_rgb_array

BOX_SIDE, BOX_SHIFT = 1.23, 0.28  # dlib HOG box from eyes and chin, see the docstring


class NoFaceFound(ValueError):
    """No face in the image: no template can be made."""


def models_dir() -> Path:
    """The ``face_recognition_models`` package's model folder, found without importing
    the package (its __init__ needs pkg_resources, which new setuptools no longer has)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise FaceModelUnavailable("face_recognition_models is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class FaceTemplate:
    """One face's descriptor. Personal data: compare it, then ``wipe()`` it (or use it as
    a context manager). It never prints its numbers and cannot be pickled."""

    __slots__ = ("_vector",)

    def __init__(self, vector: np.ndarray) -> None:
        self._vector: np.ndarray | None = np.array(vector, dtype=np.float64).ravel()

    @classmethod
    def from_image(cls, image: np.ndarray | Image.Image | bytes,
                   recogniser: Recogniser | None = None) -> FaceTemplate:
        """The template of the largest face; NoFaceFound when there is none."""
        return (recogniser or default_recogniser()).template(image)

    @property
    def wiped(self) -> bool:
        return self._vector is None

    def distance(self, other: FaceTemplate) -> float:
        if self._vector is None or other._vector is None:
            raise ValueError("a wiped template cannot be compared")
        return float(np.linalg.norm(self._vector - other._vector))

    def wipe(self) -> None:
        """Overwrite the numbers and forget them."""
        if self._vector is not None:
            self._vector.fill(0.0)
            self._vector = None

    def __enter__(self) -> FaceTemplate:
        return self

    def __exit__(self, *exc: object) -> None:
        self.wipe()

    def __repr__(self) -> str:
        return "FaceTemplate(wiped)" if self._vector is None else "FaceTemplate(hidden)"

    __str__ = __repr__

    def __reduce__(self):
        raise TypeError("face templates are personal data and are never stored")


def compare(a: FaceTemplate, b: FaceTemplate) -> float:
    """Euclidean distance between two templates: small is the same person."""
    return a.distance(b)


class Recogniser:
    """dlib's 5-point aligner and ResNet descriptor, on faces found by ``finder``.
    Loading takes ~0.3 s; one is shared per process (``default_recogniser``)."""

    def __init__(self, finder: FaceFinder | None = None, models: Path | None = None) -> None:
        try:
            import dlib
        except ImportError as e:  # pragma: no cover - depends on the installation
            raise FaceModelUnavailable(f"dlib is not installed: {e}") from e
        folder = models or models_dir()
        self._dlib = dlib
        self._shape = dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat"))
        self._net = dlib.face_recognition_model_v1(
            str(folder / "dlib_face_recognition_resnet_model_v1.dat"))
        self._finder = finder or default_finder()
        self._lock = threading.Lock()

    def dlib_box(self, face: FaceGeometry):
        (ex, ey), (cx, cy) = face.eyes_mid, face.chin
        reach = float(np.hypot(cx - ex, cy - ey))
        side = BOX_SIDE * reach
        mx, my = ex + BOX_SHIFT * (cx - ex), ey + BOX_SHIFT * (cy - ey)
        return self._dlib.rectangle(round(mx - side / 2), round(my - side / 2),
                                    round(mx + side / 2), round(my + side / 2))

    def template(self, image: np.ndarray | Image.Image | bytes,
                 face: FaceGeometry | None = None) -> FaceTemplate:
        rgb = to_rgb_array(image)
        if face is None:
            faces = self._finder.find(rgb)
            if not faces:
                raise NoFaceFound("no face in the image")
            face = faces[0]
        with self._lock:
            shape = self._shape(rgb, self.dlib_box(face))
            vector = np.array(self._net.compute_face_descriptor(rgb, shape))
        try:
            return FaceTemplate(vector)
        finally:
            vector.fill(0.0)


_recogniser: Recogniser | None = None
_recogniser_lock = threading.Lock()


def default_recogniser() -> Recogniser:
    global _recogniser
    with _recogniser_lock:
        if _recogniser is None:
            _recogniser = Recogniser()
        return _recogniser
