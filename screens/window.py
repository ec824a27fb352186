"""Window size and Kivy start-up options: must run before the Kivy window is created."""

from __future__ import annotations

import os

os.environ.setdefault("KIVY_NO_ARGS", "1")  # our own command lines are parsed by argparse

from kivy.config import Config  # noqa: E402  (after the environment is set)

from kiosk.config import KioskConfig  # noqa: E402

DESIGN_SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}


def window_size(config: KioskConfig | None) -> tuple[int, int]:
    orientation = config.display.orientation if config else "portrait"
    scale = config.display.window_scale if config else 0.5
    w, h = DESIGN_SIZES[orientation]
    return int(round(w * scale)), int(round(h * scale))


def configure_window(config: KioskConfig | None) -> tuple[int, int]:
    """Set the window's size (and fullscreen on a real kiosk) before it is created."""
    width, height = window_size(config)
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "fullscreen", "auto" if config and config.display.fullscreen else "0")
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "log_level", os.environ.get("KIOSK_KIVY_LOG", "warning"))
    return width, height
