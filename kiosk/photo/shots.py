"""The resident's photos of one session: up to ``max_shots``, one chosen, the rest wiped.

The issue's promise is "retake it, twice more, choosing the best of their shots": the
resident sees each picture already cropped to the permit's size, may take another
while shots remain, and picks one. The kiosk marks the shot its checks like best,
but the choice is the resident's. Every shot is personal data: the bytes are
overwritten when a shot is dropped, not just forgotten.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import wire

# How far a shot proves 人证合一; a shot that matches the chip beats one that does not.
FACE_RANK = {"match": 3, "unsure": 2, None: 1, "no_face": 0, "no_match": 0}


@dataclass
class PhotoShot:
    """One picture as it would be submitted, with what the kiosk measured of it."""

    jpeg: bytearray = field(repr=False)  # the permit crop
    face_check: wire.FaceCheck | None = None
    checks_passed: int = 0
    checks_total: int = 0

    def rank(self) -> tuple[int, int, float]:
        """Larger is better: the face check first, then the checks passed, then how close
        the face is to the chip's (a smaller distance)."""
        verdict = self.face_check.verdict if self.face_check else None
        distance = self.face_check.distance if self.face_check and \
            self.face_check.distance is not None else 0.0
        return FACE_RANK.get(verdict, 0), self.checks_passed, -distance

    def erase(self) -> None:
        self.jpeg[:] = bytes(len(self.jpeg))


def best_index(shots: list[PhotoShot]) -> int | None:
    """The shot to recommend; the earliest wins a tie (the resident saw it first)."""
    if not shots:
        return None
    return max(range(len(shots)), key=lambda i: (shots[i].rank(), -i))


def shot_from(jpeg: bytes, face_check: wire.FaceCheck | None,
              quality: list[dict[str, object]]) -> PhotoShot:
    return PhotoShot(bytearray(jpeg), face_check,
                     checks_passed=sum(1 for c in quality if c.get("passed")),
                     checks_total=len(quality))
