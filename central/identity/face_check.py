"""POST /v1/identity/face-check: the live face against the registry's photo, a verdict back.

What is read is bounded: the body (the kiosk-auth middleware stops reading past the limit),
the JPEG's bytes, and its width x height, checked from the header before any pixel is
decoded. Whatever the input (not a JPEG, truncated, a decompression bomb, no face), the
answer is a verdict or a 4xx, never a 500. Each kiosk may ask ``checks_per_minute`` times a
minute (one process's count: with several workers the limit is per worker).

Templates are computed in memory, compared, and wiped before the answer leaves; the live
face and the registry photo are neither stored nor logged, and only the verdict and the
distance are answered. The log line has the kiosk, the verdict and the time, nothing else.
"""

from __future__ import annotations

import io
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Literal

import numpy as np
from PIL import Image

from biometrics.finder import FaceModelUnavailable
from biometrics.templates import FaceTemplate, NoFaceFound, Recogniser, default_recogniser
from central.config import IdentityCheck
from central.errors import ApiProblem
from central.i18n import both
from central.identity.registry import PopulationRegistry
from protocol import wire
from protocol.codes import ApiErrorCode

log = logging.getLogger("central.identity")


class RateLimit:
    """At most ``limit`` events per kiosk in any ``window_s``: a sliding window of times."""

    def __init__(self, limit: int, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window_s, self.clock = limit, window_s, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, kiosk_id: str) -> float | None:
        """None when this kiosk may go on (and counts it), else seconds until it may."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(kiosk_id, deque())
            while times and times[0] <= now - self.window_s:
                times.popleft()
            if len(times) >= self.limit:
                return max(0.0, times[0] + self.window_s - now)
            times.append(now)
            if len(self._seen) > 10_000:  # forget kiosks idle for a window
                for k in [k for k, t in self._seen.items() if not t or t[-1] <= now - self.window_s]:
                    del self._seen[k]
            return None


def too_large() -> ApiProblem:
    return ApiProblem(413, ApiErrorCode.PHOTO_TOO_LARGE, both("error.photo_too_large"))


def _invalid() -> ApiProblem:
    return ApiProblem(422, ApiErrorCode.PHOTO_INVALID, both("error.photo_invalid"))


def read_jpeg(data: bytes, max_bytes: int, max_pixels: int) -> np.ndarray:
    """The live JPEG as RGB pixels, within bounds: 413 when too large (bytes or pixels),
    422 when it is not a readable JPEG."""
    if len(data) > max_bytes:
        raise too_large()
    try:
        image = Image.open(io.BytesIO(data), formats=["JPEG"])
        width, height = image.size
    except Exception:  # noqa: BLE001 - any undecodable input is the caller's, not ours
        raise _invalid() from None
    if width <= 0 or height <= 0 or width * height > max_pixels:
        raise too_large()
    try:
        return np.asarray(image.convert("RGB"))
    except Exception:  # noqa: BLE001 - truncated or corrupt data
        raise _invalid() from None


class FaceChecker:
    """The registry check for one central: registry, settings, recogniser, rate limit."""

    def __init__(self, registry: PopulationRegistry, settings: IdentityCheck,
                 recogniser: Callable[[], Recogniser] = default_recogniser,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.registry, self.settings = registry, settings
        self._recogniser = recogniser
        self.limit = RateLimit(settings.checks_per_minute, 60.0, clock)

    def check(self, kiosk_id: str, request: wire.RegistryFaceCheckRequest) -> wire.RegistryFaceCheck:
        started = time.perf_counter()
        s = self.settings
        wait = self.limit.take(kiosk_id)
        if wait is not None:
            raise ApiProblem(429, ApiErrorCode.TOO_MANY_FACE_CHECKS,
                             both("error.too_many_face_checks"),
                             headers={"Retry-After": str(max(1, round(wait)))})
        live = read_jpeg(request.live_jpeg, s.max_jpeg_bytes, s.max_pixels)
        answer = self._compare(live, request.document_type, request.document_number)
        log.info("registry face check kiosk=%s verdict=%s ms=%.0f", kiosk_id, answer.verdict,
                 (time.perf_counter() - started) * 1000)
        return answer

    def _compare(self, live: np.ndarray, document_type: str,
                 document_number: str) -> wire.RegistryFaceCheck:
        s = self.settings
        try:
            reference = self.registry.photo(document_type, document_number)
        except Exception as exc:  # noqa: BLE001 - the registry service's fault, not the kiosk's
            log.error("population registry failed: %s", type(exc).__name__)
            raise _unavailable(503) from None
        if reference is None:
            return wire.RegistryFaceCheck(verdict="no_reference", threshold=s.threshold)
        try:
            recogniser = self._recogniser()
        except FaceModelUnavailable:
            log.error("face check asked, but the face models are not installed here")
            raise _unavailable(501) from None
        templates: list[FaceTemplate] = []
        try:
            try:
                templates.append(recogniser.template(live))
            except NoFaceFound:
                return wire.RegistryFaceCheck(verdict="no_face", threshold=s.threshold)
            try:
                templates.append(recogniser.template(reference))
            except (NoFaceFound, OSError, ValueError, SyntaxError):
                log.warning("registry photo without a usable face")
                return wire.RegistryFaceCheck(verdict="no_reference", threshold=s.threshold)
            distance = templates[0].distance(templates[1])
        finally:
            for template in templates:
                template.wipe()
        return wire.RegistryFaceCheck(verdict=verdict_for(distance, s.threshold, s.unsure_band),
                                      distance=round(distance, 4), threshold=s.threshold)


def verdict_for(distance: float, threshold: float,
                unsure_band: float) -> Literal["match", "no_match", "unsure"]:
    """The kiosk's own rule (kiosk.photo.verify.verdict_for), on central's settings."""
    if distance <= threshold - unsure_band:
        return "match"
    if distance >= threshold + unsure_band:
        return "no_match"
    return "unsure"


def _unavailable(status: int) -> ApiProblem:
    return ApiProblem(status, ApiErrorCode.REGISTRY_UNAVAILABLE, both("error.registry_unavailable"))
