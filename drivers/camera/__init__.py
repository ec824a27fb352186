"""Cameras: "simulated" (drawn residents, image files or sequences), "opencv" (USB/V4L2
cameras, or a video file) and "picamera2" (the Raspberry Pi camera). Each hardware
library is imported only inside its own driver; registering them imports only their
options models."""

from typing import Any

from drivers.base import register
from drivers.camera.options import (
    OpenCvCameraOptions,
    Picamera2CameraOptions,
    SimulatedCameraOptions,
)

register("camera", "simulated", "drivers.camera.simulated:SimulatedCamera",
         options=SimulatedCameraOptions)
register("camera", "opencv", "drivers.camera.opencv:OpenCvCamera",
         "drivers.camera.opencv:is_usable", options=OpenCvCameraOptions)
register("camera", "picamera2", "drivers.camera.picamera2_camera:Picamera2Camera",
         "drivers.camera.picamera2_camera:is_usable", options=Picamera2CameraOptions)

__all__ = ["SimulatedCamera"]


def __getattr__(name: str) -> Any:
    if name == "SimulatedCamera":
        from drivers.camera.simulated import SimulatedCamera
        return SimulatedCamera
    raise AttributeError(name)
