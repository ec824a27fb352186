"""Is the forehead above the eyebrows bare skin? A hat pulled down, a headband or a thick
fringe over the brows makes it something else.

ID photo rules want the head uncovered and the brows visible. The face mesh places
the forehead even under a hat, so the band between the brows and the middle of the
forehead is compared with the cheeks: the share of its pixels with the cheeks' colour
(chromaticity, so light and skin tone do not matter) and a similar brightness. Bare
foreheads measure 0.7-1.0 on the test portraits; a hat coming down to the brows 0.0,
half-way down about 0.3-0.6. A hat the colour of skin is not seen.
"""

from __future__ import annotations

import numpy as np

from kiosk.photo.faces import FaceGeometry

BAND = (0.30, 0.60)  # from the eye line towards the mesh's forehead point, as shares
CHROMA_TOLERANCE = 0.06  # distance of normalised r, g, b from the cheeks' own
BRIGHTNESS_RANGE = (0.55, 1.6)  # of the cheeks' brightness


def _pixels(rgb: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    h, w = rgb.shape[:2]
    xa, xb = max(0, int(x0)), min(w, int(x1))
    ya, yb = max(0, int(y0)), min(h, int(y1))
    if xb <= xa or yb <= ya:
        return np.empty((0, 3), np.float32)
    return rgb[ya:yb, xa:xb].reshape(-1, 3).astype(np.float32)


def _chromaticity(rgb: np.ndarray) -> np.ndarray:
    return rgb / (rgb.sum(axis=-1, keepdims=True) + 1e-3)


def _alike(band: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Which band pixels have the skin patch's colour and a similar brightness."""
    reference = np.median(skin, axis=0)
    chroma = np.linalg.norm(_chromaticity(band) - _chromaticity(reference), axis=1)
    brightness = band.sum(axis=1) / (float(reference.sum()) + 1e-3)
    return (chroma < CHROMA_TOLERANCE) & (brightness > BRIGHTNESS_RANGE[0]) \
        & (brightness < BRIGHTNESS_RANGE[1])


def forehead_skin_share(rgb: np.ndarray, face: FaceGeometry) -> float | None:
    """0..1: how much of the band above the brows looks like the face's own skin; None
    when the face has no mesh (no forehead point) or the band is off the frame.

    Each half of the band is compared with the cheek on its own side, so light from one
    side (the light-balance check's business) does not read as a hat."""
    lm = face.landmarks
    if not {"forehead", "mouth_left", "mouth_right"} <= lm.keys():
        return None
    ex, ey = face.eyes_mid
    fy = lm["forehead"][1]
    d, r = face.eye_distance, 0.12 * face.eye_distance
    top, bottom = ey + (fy - ey) * BAND[1], ey + (fy - ey) * BAND[0]
    alike: list[np.ndarray] = []
    for eye, corner, x0, x1 in (("right_eye", "mouth_right", ex - 0.6 * d, ex),
                                ("left_eye", "mouth_left", ex, ex + 0.6 * d)):
        cx, cy = (lm[eye][0] + lm[corner][0]) / 2, (lm[eye][1] + lm[corner][1]) / 2
        band = _pixels(rgb, x0, top, x1, bottom)
        skin = _pixels(rgb, cx - r, cy - r, cx + r, cy + r)
        if len(band) < 8 or len(skin) < 8:
            return None
        alike.append(_alike(band, skin))
    return float(np.concatenate(alike).mean())
