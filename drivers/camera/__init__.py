"""Cameras. Registers "simulated"; "opencv" and "picamera2" drivers come later."""

from drivers.base import register
from drivers.camera.simulated import SimulatedCamera

register("camera", "simulated", SimulatedCamera)

__all__ = ["SimulatedCamera"]
