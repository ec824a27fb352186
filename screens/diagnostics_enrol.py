"""The technician enrols the kiosk: the one-time code typed on a keypad, or its QR code held
up to the camera. The work (camera, network, keys) is kiosk/enrolment.py's, on the worker
thread; this screen only shows where it stands, in both languages."""

from __future__ import annotations

import logging
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty

from kiosk.errors import CentralUnavailable, KioskError
from kiosk.fleet.enrolment import Enrolled, enrol, scan_for_ticket, typed_code
from protocol.enrolment import ALPHABET, CODE_LENGTH, EnrolmentTicket
from screens.diagnostics import TechnicianScreen
from screens.theme import T

log = logging.getLogger("screens.enrol")

ENROL_SCREEN = "diagnostics_enrol"
SCAN_TIMEOUT_S = 20.0
# What went wrong, by the error's code; anything else is said with its code.
FAILURES = {"enrolment_refused": "diag.enrol_refused",
            "enrolment_code_format": "diag.enrol_code_format",
            "enrolment_qr_none": "diag.enrol_qr_none",
            "enrolment_other_kiosk": "diag.enrol_other_kiosk",
            "enrolment_other_central": "diag.enrol_other_central",
            "enrolment_wrong_central": "diag.enrol_other_central"}


class EnrolScreen(TechnicianScreen):
    code_shown = StringProperty("")
    state_line = StringProperty("")
    status = StringProperty("")
    status_alert = BooleanProperty(False)
    busy = BooleanProperty(False)

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        self._code = ""
        super().__init__(name=ENROL_SCREEN, **kwargs)

    def on_kv_post(self, base_widget: Any) -> None:
        for ch in ALPHABET:
            key = Factory.DiagKey(text=ch, font_size=T.title * 0.7)
            key.widget_id = f"enrol_{ch}"
            key.bind(on_release=lambda _w, ch=ch: self.key(ch))
            self.ids.code_keys.add_widget(key)

    def reset(self) -> None:
        self._code, self.code_shown = "", ""
        self.status, self.status_alert, self.busy = self.tr("diag.enrol_hint"), False, False
        creds = self.kiosk.runtime.client.credentials
        self.state_line = (self.tr("diag.enrol_state", kiosk=creds.kiosk_id, hall=creds.hall_id,
                                   key=creds.central_fingerprint) if creds
                           else self.tr("diag.enrol_state_none"))

    def key(self, ch: str) -> None:
        if ch == "←":
            self._code = self._code[:-1]
        elif len(self._code) < CODE_LENGTH:
            self._code += ch
        self.code_shown = self._code[:5] + ("-" + self._code[5:] if len(self._code) > 5 else "")

    def submit(self) -> None:
        if self.busy:
            return
        try:
            ticket = typed_code(self._code)
        except KioskError as exc:
            return self._failed(exc)
        self._enrol(ticket)

    def scan(self) -> None:
        if self.busy:
            return
        self.busy, self.status_alert = True, False
        self.status = self.tr("diag.enrol_scanning")
        camera = self.kiosk.runtime.devices.camera
        self.kiosk.runtime.worker.run(lambda: scan_for_ticket(camera, SCAN_TIMEOUT_S),
                                      self._scanned, self._failed)

    def _scanned(self, ticket: EnrolmentTicket) -> None:
        self.busy = False
        self._enrol(ticket)

    def _enrol(self, ticket: EnrolmentTicket) -> None:
        self.busy, self.status_alert = True, False
        self.status = self.tr("diag.enrol_sending")
        runtime = self.kiosk.runtime
        runtime.worker.run(lambda: enrol(runtime.config, ticket), self._enrolled, self._failed)

    def _enrolled(self, done: Enrolled) -> None:
        self.kiosk.runtime.use_credentials(done.credentials)
        self.reset()
        self.status = self.tr("diag.enrol_done", kiosk=done.kiosk_id, hall=done.hall_id)

    def _failed(self, exc: BaseException) -> None:
        self.busy, self.status_alert = False, True
        code = getattr(exc, "code", type(exc).__name__)
        log.warning("enrolment failed code=%s", code)
        if code in FAILURES:
            self.status = self.tr(FAILURES[code])
        elif isinstance(exc, CentralUnavailable):
            self.status = self.tr("diag.enrol_unreachable", code=code)
        else:
            self.status = self.tr("diag.enrol_failed", code=code)

    def back(self) -> None:
        self.kiosk.show_diagnostics_report()
