"""Finding faces and measuring them: the finder lives in ``biometrics.finder`` (central
uses it too, for 人证合一 against the population registry); re-exported here unchanged."""

from __future__ import annotations

from biometrics.finder import (
    CROWN_FACTOR,
    PITCH_OFFSET,
    FaceFinder,
    FaceGeometry,
    FaceModelUnavailable,
    Point,
    default_finder,
    head_pose,
    native_stderr_silenced,
)

__all__ = ["CROWN_FACTOR", "PITCH_OFFSET", "FaceFinder", "FaceGeometry", "FaceModelUnavailable",
           "Point", "default_finder", "head_pose", "native_stderr_silenced"]
