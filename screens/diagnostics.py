"""The technician's diagnostics: a PIN pad (with lockout), then the health report.

Not a journey step: the journey stays at rest underneath (attract, or out of service,
e.g. in maintenance). The report is collected
on a worker thread (it talks to devices and the network) and shown on the UI thread;
so are the test prints, on the running kiosk's own printers.
"""

from __future__ import annotations

import logging
from typing import Any

from kivy.properties import BooleanProperty, ListProperty, StringProperty
from kivy.uix.screenmanager import Screen

from kiosk.diagnostics.report import collect, save_failed_trace
from kiosk.diagnostics.technician import PinGate
from kiosk.diagnostics.test_print import PrintTestResult, print_test
from kiosk.journey.steps import Step
from screens.base import tr

log = logging.getLogger("screens.diagnostics")

PIN_SCREEN = "diagnostics_pin"
REPORT_SCREEN = "diagnostics"


class TechnicianScreen(Screen):
    """A technician's screen: every line in Chinese and English side by side; a button's
    main line in Chinese with the English under it."""

    def tr(self, msgid: str, **values: Any) -> str:
        return tr(msgid, "zh_CN", **values) + "  " + tr(msgid, "en", **values)

    def tr_zh(self, msgid: str) -> str:
        return tr(msgid, "zh_CN")

    def tr_en(self, msgid: str) -> str:
        return tr(msgid, "en")


class DiagnosticsPinScreen(TechnicianScreen):
    pin_mask = StringProperty("")
    message = StringProperty("")

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        diag = kiosk.kiosk_config.diagnostics
        self.gate = PinGate(diag.pin, diag.max_attempts, diag.lockout_s)
        self._pin = ""
        super().__init__(name=PIN_SCREEN, **kwargs)

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


class DiagnosticsScreen(TechnicianScreen):
    lines = ListProperty([])
    status = StringProperty("")
    status_alert = BooleanProperty(False)  # the status says something failed
    printing = BooleanProperty(False)  # a test print is under way: its buttons are off

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        self._said = 0
        super().__init__(name=REPORT_SCREEN, **kwargs)

    def on_status(self, *_: Any) -> None:
        self._said += 1  # a collection started before this must not wipe it
        self.status_alert = False

    def refresh_report(self) -> None:
        self.status = self.tr("diag.collecting")
        self._collect(clear_status=True)

    def _collect(self, clear_status: bool) -> None:
        runtime, said = self.kiosk.runtime, self._said
        runtime.worker.run(lambda: collect(runtime),
                           lambda report: self._show(report, clear_status and said == self._said),
                           self._failed)

    def _show(self, report, clear_status: bool = True) -> None:
        self.lines = report.lines()
        if clear_status:
            self.status = ""

    def _failed(self, exc: BaseException) -> None:
        log.warning("diagnostics collection failed: %s", type(exc).__name__)
        self.status = self.tr("diag.failed") + f" ({type(exc).__name__})"
        self.status_alert = True

    def close(self) -> None:
        self.kiosk.close_diagnostics()

    def save_trace(self) -> None:
        """The last failed chip read's APDU trace, for support: headers and status words only."""
        runtime = self.kiosk.runtime
        self.status = self.tr("diag.collecting")
        runtime.worker.run(lambda: save_failed_trace(runtime), self._trace_saved, self._failed)

    def _trace_saved(self, path) -> None:
        self.status = self.tr("diag.trace_saved", path=path) if path else self.tr("diag.no_trace")

    def print_test(self, kind: str) -> None:
        """A test receipt or card on the kiosk's own printer; one at a time, never mid-journey.

        The button is disabled while one prints, and the core refuses a second one too
        (a double tap can land before the button repaints).
        """
        if self.printing or self.kiosk.journey.state is not Step.ATTRACT:
            return
        self.printing = True
        self.status = self.tr(f"diag.test_{kind}_printing")
        runtime = self.kiosk.runtime
        runtime.worker.run(lambda: print_test(runtime, kind), self._test_printed,
                           self._test_print_failed)

    def _test_printed(self, result: PrintTestResult) -> None:
        self.printing = False
        if result.printed:
            self.status = self.tr(f"diag.test_{result.kind}_printed", job=result.job_id)
        else:
            self.status = self.tr(f"diag.test_{result.kind}_failed", code=result.code)
            self.status_alert = True
        self._collect(clear_status=False)  # the supplies it used, the printer's state now

    def _test_print_failed(self, exc: BaseException) -> None:
        self.printing = False
        log.warning("test print failed: %s", type(exc).__name__)
        self.status = self.tr("diag.failed") + f" ({type(exc).__name__})"
        self.status_alert = True
        self._collect(clear_status=False)
