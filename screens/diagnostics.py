"""The technician's diagnostics: a PIN pad (with lockout), then the health report.

Not a journey step: the journey stays at ATTRACT underneath. The report is collected
on a worker thread (it talks to devices and the network) and shown on the UI thread.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.properties import ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.diagnostics import PinGate, collect, save_failed_trace
from screens.base import tr

log = logging.getLogger("screens.diagnostics")

PIN_SCREEN = "diagnostics_pin"
REPORT_SCREEN = "diagnostics"


class DiagnosticsPinScreen(Screen):
    pin_mask = StringProperty("")
    message = StringProperty("")

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        diag = kiosk.kiosk_config.diagnostics
        self.gate = PinGate(diag.pin, diag.max_attempts, diag.lockout_s)
        self._pin = ""
        super().__init__(name=PIN_SCREEN, **kwargs)

    def tr(self, msgid: str, **values: Any) -> str:
        return tr(msgid, "zh_CN", **values) + "  " + tr(msgid, "en", **values)

    def reset(self) -> None:
        self._pin, self.pin_mask = "", ""
        remaining = self.gate.locked_remaining()
        self.message = self.tr("diag.locked", seconds=int(remaining + 0.999)) if remaining \
            else self.tr("diag.enter_pin")

    def key(self, key: str) -> None:
        if key == "←":
            self._pin = self._pin[:-1]
        elif len(self._pin) < 8:
            self._pin += key
        self.pin_mask = "●" * len(self._pin)

    def submit(self) -> None:
        pin, self._pin, self.pin_mask = self._pin, "", ""
        if self.gate.try_pin(pin):
            self.kiosk.show_diagnostics_report()
            return
        remaining = self.gate.locked_remaining()
        if remaining:
            self.message = self.tr("diag.locked", seconds=int(remaining + 0.999))
        else:
            self.message = self.tr("diag.wrong_pin", left=self.gate.attempts_left)

    def close(self) -> None:
        self.kiosk.close_diagnostics()


class DiagnosticsScreen(Screen):
    lines = ListProperty([])
    status = StringProperty("")

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        super().__init__(name=REPORT_SCREEN, **kwargs)

    def tr(self, msgid: str, **values: Any) -> str:
        return tr(msgid, "zh_CN", **values) + "  " + tr(msgid, "en", **values)

    def refresh_report(self) -> None:
        self.status = self.tr("diag.collecting")
        runtime = self.kiosk.runtime
        runtime.worker.run(lambda: collect(runtime), self._show, self._failed)

    def _show(self, report) -> None:
        self.lines = report.lines()
        self.status = ""

    def _failed(self, exc: BaseException) -> None:
        log.warning("diagnostics collection failed: %s", type(exc).__name__)
        self.status = self.tr("diag.failed") + f" ({type(exc).__name__})"

    def close(self) -> None:
        self.kiosk.close_diagnostics()

    def save_trace(self) -> None:
        """The last failed chip read's APDU trace, for support: headers and status words only."""
        runtime = self.kiosk.runtime
        self.status = self.tr("diag.collecting")
        runtime.worker.run(lambda: save_failed_trace(runtime), self._trace_saved, self._failed)

    def _trace_saved(self, path) -> None:
        self.status = self.tr("diag.trace_saved", path=path) if path else self.tr("diag.no_trace")
