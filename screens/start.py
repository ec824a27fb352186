"""Attract, language, service menu, problem and out-of-service screens."""

from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.properties import ObjectProperty, StringProperty

from kiosk.journey.availability import hours_text
from kiosk.journey.steps import Step
from protocol import wire
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton

TECH_TAPS = 5
TECH_WINDOW_S = 3.0


class TechnicianCorner:
    """Hidden technician gesture, on the screens where nobody is served: 5 taps within
    3 s in the top-left corner open the diagnostics PIN (maintenance keeps them open)."""

    _corner_taps: list[float]

    def on_touch_down(self, touch):
        if self.kiosk is not None and touch.x <= T.corner and touch.y >= self.top - T.corner:
            now = time.monotonic()
            taps = [t for t in getattr(self, "_corner_taps", []) if now - t <= TECH_WINDOW_S]
            self._corner_taps = taps + [now]
            if len(self._corner_taps) >= TECH_TAPS:
                self._corner_taps = []
                Clock.schedule_once(lambda dt: self.kiosk.open_diagnostics(), 0)
            return True
        return super().on_touch_down(touch)


class AttractScreen(TechnicianCorner, StepScreen):
    step = Step.ATTRACT
    body_class = "AttractBody"
    notice_zh = StringProperty("")
    notice_en = StringProperty("")
    hours_zh = StringProperty("")
    hours_en = StringProperty("")
    recovered_text = StringProperty("")  # an application a restart cut off, both languages
    recovered_qr = ObjectProperty(None, allownone=True)  # its QR code, when no receipt came out

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.show_cancel = False
        self.title_id = "attract.title"
        self._recovered_url = ""
        self._expiry = None
        self.hours_zh, self.hours_en = self.tr("attract.hours", "zh_CN"), self.tr(
            "attract.hours", "en")

    def update(self) -> None:
        """The fleet's notice and service hours, as they are now, in both languages."""
        notice = self.journey.availability.attract_notice()
        self.notice_zh, self.notice_en = (notice.zh_CN, notice.en) if notice else ("", "")
        hours = self.journey.availability.service_hours()
        if hours is None:
            self.hours_zh, self.hours_en = self.tr("attract.hours", "zh_CN"), self.tr(
                "attract.hours", "en")
        else:
            text = hours_text(hours)
            self.hours_zh = self.tr("attract.hours_set", "zh_CN", hours=text)
            self.hours_en = self.tr("attract.hours_set", "en", hours=text)

        self._show_recovered()

    def enter(self) -> None:
        super().enter()
        self._expiry = Clock.schedule_interval(lambda dt: self._show_recovered(), 5)

    def leave(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    def _show_recovered(self) -> None:
        """The newest application a restart cut off, until its window passes: its number,
        and the QR code to photograph when its receipt could not be printed."""
        recovered = self.journey.welcome.recovered_now()
        if not recovered:
            self.recovered_text, self.recovered_qr, self._recovered_url = "", None, ""
            return
        r = recovered[-1]
        msgid = "recovery.attract_printed" if r.receipt_printed else "recovery.attract_scan"
        number = r.number or "-"
        self.recovered_text = (self.tr(msgid, "zh_CN", number=number) + "\n"
                               + self.tr(msgid, "en", number=number))
        if not r.receipt_printed and r.tracking_url != self._recovered_url:
            from screens.finish import qr_texture
            self.recovered_qr = qr_texture(r.tracking_url)
        elif r.receipt_printed:
            self.recovered_qr = None
        self._recovered_url = r.tracking_url if not r.receipt_printed else ""

    def on_start(self) -> None:
        self.act(self.journey.welcome.begin)


class LanguageScreen(StepScreen):
    step = Step.LANGUAGE
    body_class = "LanguageBody"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "language.prompt"

    def choose(self, lang: str) -> None:
        self.act(self.journey.welcome.choose_language, lang)


SERVICE_IDS = {wire.Service.NEW: "menu.new", wire.Service.RENEWAL: "menu.renewal",
               wire.Service.STATUS: "menu.status"}


class ServiceMenuScreen(StepScreen):
    step = Step.SERVICE_MENU
    body_class = "ServiceMenuBody"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "menu.title"
        self._built_for = None

    def update(self) -> None:
        services = self.journey.welcome.services_offered()  # the config's, less what the fleet disabled
        if self._built_for == (self.lang, services):
            return
        self._built_for = (self.lang, services)
        box = self.body.ids.services
        box.clear_widgets()
        for service in services:
            msg = SERVICE_IDS[service]
            button = KioskButton(text=self.t(msg), subtext=self.t.other(msg),
                                 widget_id=f"service_{service.value}", payload=service,
                                 height=T.big_button_h)
            button.bind(on_release=lambda b: self.act(self.journey.welcome.choose_service, b.payload))
            box.add_widget(button)

    def change_language(self) -> None:
        self.act(self.journey.welcome.change_language)


class ProblemScreen(StepScreen):
    step = Step.PROBLEM
    body_class = "ProblemBody"
    message = StringProperty("")
    message_other = StringProperty("")
    action_id = StringProperty("problem.finish")

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "problem.title"

    def update(self) -> None:
        problem = self.session.problem
        code = problem.code if problem else "unexpected"
        message = problem.message if problem else None
        self.message = self.t.error(code, message)
        self.message_other = self.t.other.error(code, message)
        self.action_id = "problem.retry" if problem and problem.retry_step else "problem.finish"

    def on_action(self) -> None:
        self.act(self.journey.retry)


# Reasons with their own heading and advice; any other shows the general 'please wait'.
OWN_WORDS = frozenset({"maintenance", "closed"})
# What a technician is to do, for the reasons only a technician can clear (kiosk.effects.storage).
TECHNICIAN_WORDS = {
    "storage_read_only": "out_of_service.storage_read_only.technician",
    "storage_full": "out_of_service.storage_full.technician",
    "storage_corrupt": "out_of_service.storage_corrupt.technician",
    "storage_unwritable": "out_of_service.storage_unwritable.technician",
}


class OutOfServiceScreen(TechnicianCorner, StepScreen):
    step = Step.OUT_OF_SERVICE
    body_class = "OutOfServiceBody"
    technician_line = StringProperty("")
    heading_zh = StringProperty("")
    heading_en = StringProperty("")
    explain_zh = StringProperty("")
    explain_en = StringProperty("")

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "out_of_service.title"
        self.show_cancel = False
        self._say("out_of_service.heading", "out_of_service.explain")

    def update(self) -> None:
        problem = self.session.problem if self.kiosk is not None else None
        code = problem.code if problem is not None else ""
        if code in OWN_WORDS:
            hours = self.journey.availability.fleet_settings.service_hours
            self._say(f"out_of_service.{code}.heading", f"out_of_service.{code}.explain",
                      hours=hours_text(hours))
        else:
            self._say("out_of_service.heading", "out_of_service.explain")
        if problem is not None:
            self.technician_line = self.t(TECHNICIAN_WORDS.get(problem.code, "out_of_service.code"),
                                          code=problem.code)

    def _say(self, heading: str, explain: str, **values: str) -> None:
        """Chinese first, English beside it: whoever walks up reads one of them."""
        self.heading_zh, self.heading_en = (self.tr(heading, "zh_CN"), self.tr(heading, "en"))
        self.explain_zh = self.tr(explain, "zh_CN", **values)
        self.explain_en = self.tr(explain, "en", **values)
