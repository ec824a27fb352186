"""Start the touch UI: the window first, then the Kivy app with the way to build the kiosk."""

from __future__ import annotations

from kiosk.config import KioskConfig
from kiosk.runtime import KioskRuntime
from kiosk.worker import Dispatch


def run(config: KioskConfig | None, config_error: str | None = None) -> None:
    """A config error still opens the UI: an out-of-service screen, never a traceback."""
    from screens.window import configure_window  # first: Kivy reads the window's size once

    configure_window(config)
    from screens.app import KioskApp

    def build(dispatch: Dispatch) -> KioskRuntime:
        assert config is not None  # KioskApp asks only when there is a config
        return KioskRuntime(config, dispatch)

    KioskApp(config, config_error, runtime_factory=build).run()
