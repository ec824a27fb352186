"""Images as the face code reads them: H x W x 3 uint8 RGB arrays."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def to_rgb_array(image) -> np.ndarray:
    """An H x W x 3 uint8 RGB array from an array, a Pillow image, encoded bytes (JPEG,
    PNG, JPEG 2000...) or a camera Frame (drivers.camera.base.Frame: raw RGB rows)."""
    if hasattr(image, "rgb") and hasattr(image, "width") and hasattr(image, "height"):
        return np.frombuffer(image.rgb, dtype=np.uint8).reshape(image.height, image.width, 3)
    if isinstance(image, (bytes, bytearray, memoryview)):
        image = Image.open(io.BytesIO(bytes(image)))
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    return np.ascontiguousarray(array[..., :3], dtype=np.uint8)

