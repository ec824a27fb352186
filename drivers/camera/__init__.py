"""Cameras: "simulated" (drawn residents, image files or sequences), "opencv" (USB/V4L2
cameras, or a video file) and "picamera2" (the Raspberry Pi camera). Each hardware
library is imported only inside its own driver."""

from drivers.base import register
from drivers.camera import opencv, picamera2_camera
from drivers.camera.simulated import SimulatedCamera

register("camera", "simulated", SimulatedCamera)
register("camera", "opencv", opencv.OpenCvCamera, opencv.is_usable)
register("camera", "picamera2", picamera2_camera.Picamera2Camera, picamera2_camera.is_usable)

__all__ = ["SimulatedCamera"]
