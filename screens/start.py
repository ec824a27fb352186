"""Attract, language, service menu, problem and out-of-service screens."""

from __future__ import annotations

import time

from kivy.clock import Clock
from kivy.properties import StringProperty

from central import wire
from kiosk.steps import Step
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton

TECH_TAPS = 5
TECH_WINDOW_S = 3.0


class AttractScreen(StepScreen):
    step = Step.ATTRACT
    body_class = "AttractBody"
    notice_zh = StringProperty("")
    notice_en = StringProperty("")

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.show_cancel = False
        self.title_id = "attract.title"
        self._corner_taps: list[float] = []
        if kiosk is not None and kiosk.kiosk_config is not None:
            self.notice_zh, self.notice_en = kiosk.kiosk_config.notice_zh, kiosk.kiosk_config.notice_en

    def on_touch_down(self, touch):
        """Hidden technician gesture: 5 taps within 3 s in the top-left corner."""
        if touch.x <= T.corner and touch.y >= self.top - T.corner:
            now = time.monotonic()
            self._corner_taps = [t for t in self._corner_taps if now - t <= TECH_WINDOW_S]
            self._corner_taps.append(now)
            if len(self._corner_taps) >= TECH_TAPS:
                self._corner_taps = []
                Clock.schedule_once(lambda dt: self.kiosk.open_diagnostics(), 0)
            return True
        return super().on_touch_down(touch)

    def on_start(self) -> None:
        self.act(self.journey.begin)


class LanguageScreen(StepScreen):
    step = Step.LANGUAGE
    body_class = "LanguageBody"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "language.prompt"

    def choose(self, lang: str) -> None:
        self.act(self.journey.choose_language, lang)


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
        if self._built_for == self.lang:
            return
        self._built_for = self.lang
        box = self.body.ids.services
        box.clear_widgets()
        for service in self.kiosk.kiosk_config.journey.services:
            msg = SERVICE_IDS[service]
            button = KioskButton(text=self.t(msg), subtext=self.t.other(msg),
                                 widget_id=f"service_{service.value}", payload=service,
                                 height=T.big_button_h)
            button.bind(on_release=lambda b: self.act(self.journey.choose_service, b.payload))
            box.add_widget(button)

    def change_language(self) -> None:
        self.act(self.journey.change_language)


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


class OutOfServiceScreen(StepScreen):
    step = Step.OUT_OF_SERVICE
    body_class = "OutOfServiceBody"
    technician_line = StringProperty("")

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "out_of_service.title"
        self.show_cancel = False

    def update(self) -> None:
        problem = self.session.problem if self.kiosk is not None else None
        if problem is not None:
            self.technician_line = self.t("out_of_service.code", code=problem.code)
