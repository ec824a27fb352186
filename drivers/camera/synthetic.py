"""Synthetic portraits: drawn faces, so no real person's photo ships with the demo.

They are drawn by ``biometrics.drawn`` (central's reference population registry draws the
same persona's face as its registry photo); re-exported here unchanged.
"""

from __future__ import annotations

from biometrics.drawn import (
    ID_PHOTO_SIZE,
    PortraitStyle,
    portrait,
    portrait_jpeg,
    portrait_layer,
    silhouette,
    style_for,
)

__all__ = ["ID_PHOTO_SIZE", "PortraitStyle", "portrait", "portrait_jpeg", "portrait_layer",
           "silhouette", "style_for"]
