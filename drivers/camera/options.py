"""Options of the camera drivers ("simulated", "opencv", "picamera2"), checked at load."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from drivers.options import DriverOptions, faults_field

FROZEN_AFTER_S = 3.0  # a stream unchanged this long is frozen (drivers.camera.stream)
FULL_RESOLUTION = ("full", "sensor", "max")


class SimulatedCameraOptions(DriverOptions):
    """A camera without hardware: image files or a drawn resident, streamed at ``fps``."""

    frames: str | list[str] | None = Field(
        None, description="An image (a still picture), a folder of images (played in name "
        "order) or a list of image files; without it a drawn resident sways.")
    fps: float = Field(15, gt=0, description="Frames per second.")
    width: int = Field(640, gt=0, description="Frame width, pixels.")
    height: int = Field(480, gt=0, description="Frame height, pixels.")
    persona: str | None = Field(None, description="Whose drawn face is shown (a persona key; "
                                "any text gives a stable face).")
    faults: dict[str, Any] | None = faults_field(
        "no_frames, frozen, unplugged, resident (far, off_centre, tilted, hat, dark), shown")


class CaptureCameraOptions(DriverOptions):
    """What every real camera driver shares: the stream's size and rate, and recovery."""

    width: int = Field(640, gt=0, description="Frame width asked of the camera.")
    height: int = Field(480, gt=0, description="Frame height asked of the camera.")
    fps: float = Field(30, gt=0, description="Frame rate asked of the camera.")
    mirror: bool = Field(False, description="Flip frames left to right (a selfie view).")
    reopen_after_s: float = Field(2.0, ge=0, description="Wait before reopening a "
                                  "camera that failed or went away.")
    frozen_after_s: float = Field(FROZEN_AFTER_S, gt=0, description="A stream whose "
                                  "picture has not changed this long counts as frozen.")


class OpenCvCameraOptions(CaptureCameraOptions):
    """A USB (UVC / V4L2) camera, a video file or a stream URL, read by OpenCV."""

    device: int | str = Field(0, description="Camera index (0), device node (/dev/video0), "
                              "video file or stream URL.")
    backend: Literal["any", "v4l2", "ffmpeg"] = Field("any", description="OpenCV capture "
                                                      "backend.")
    loop_file: bool = Field(True, description="Play a video file again from the start when "
                            "it ends.")
    fourcc: str | None = Field(None, min_length=4, max_length=4, description="Pixel format "
                               "asked of the camera, four characters, e.g. 'MJPG'.")


class Picamera2CameraOptions(CaptureCameraOptions):
    """The Raspberry Pi camera through picamera2 (libcamera)."""

    camera_num: int = Field(0, ge=0, description="Which camera, for boards with several.")
    still_size: tuple[int, int] | str | None = Field(
        None, description="Size of photo stills, [width, height], or \"full\" for the "
        "sensor's full resolution; none: stills are stream frames.")
    format: Literal["RGB888", "XRGB8888", "BGR888", "XBGR8888"] = Field(
        "RGB888", description="libcamera pixel format of the stream.")
    buffer_count: int | None = Field(None, ge=1, description="libcamera buffers; none: "
                                     "picamera2's default.")

    @field_validator("still_size")
    @classmethod
    def _still_size(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() not in FULL_RESOLUTION:
            raise ValueError("still_size is [width, height] or one of "
                             + ", ".join(FULL_RESOLUTION))
        if isinstance(value, tuple) and min(value) <= 0:
            raise ValueError("still_size must be positive")
        return value
