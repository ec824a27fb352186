"""The frame every step screen shares: header, bilingual title, body, error line, bottom bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache
from typing import Any

from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import Screen

from kiosk.errors import InvalidInput
from kiosk.i18n import Translator
from kiosk.journey.steps import Step
from kiosk.journey.table import IntentRejected, Trigger, offers

log = logging.getLogger("screens")


@cache
def translator(lang: str) -> Translator:
    return Translator(lang)


def tr(msgid: str, lang: str, **values: Any) -> str:
    return translator(lang)(msgid, **values)


def tro(msgid: str, lang: str, **values: Any) -> str:
    """The same message in the other language (shown smaller, under the first)."""
    return translator(lang).other(msgid, **values)


class StepScreen(Screen):
    """One journey step. Subclasses name their step, title and body class (from their .kv)."""

    step: Step = Step.ATTRACT
    body_class = ""

    title_id = StringProperty("")
    lang = StringProperty("zh_CN")
    error_text = StringProperty("")
    show_back = BooleanProperty(False)
    show_cancel = BooleanProperty(True)
    hall_zh = StringProperty("")
    hall_en = StringProperty("")

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk  # screens.app.KioskContext: journey, runtime, config
        self.local_error: str | None = None
        super().__init__(name=self.step.value, **kwargs)
        self.show_back = offers(self.step, Trigger.BACK)  # the table has a way back
        if kiosk is not None and kiosk.kiosk_config is not None:
            self.hall_zh, self.hall_en = kiosk.kiosk_config.hall_name_zh, kiosk.kiosk_config.hall_name_en
        self.body = Factory.get(self.body_class)(screen=self) if self.body_class else None
        if self.body is not None:
            self.ids.body.add_widget(self.body)

    # ----- translation ------------------------------------------------------------------
    def tr(self, msgid: str, lang: str, **values: Any) -> str:
        return tr(msgid, lang, **values)

    def tro(self, msgid: str, lang: str, **values: Any) -> str:
        return tro(msgid, lang, **values)

    @property
    def t(self) -> Translator:
        return translator(self.lang)

    # ----- the journey ----------------------------------------------------------------
    @property
    def journey(self):
        return self.kiosk.journey

    @property
    def session(self):
        return self.kiosk.journey.session

    def refresh(self) -> None:
        """Re-read what this screen shows from the journey (merged bursts, UI thread)."""
        journey = self.kiosk.journey if self.kiosk else None
        if journey is not None:
            self.lang = journey.session.language
            if self.body is not None:
                self.body.lang = self.lang
        code = (journey.input_error if journey is not None else None) or self.local_error
        self.error_text = self.t.error(code) if code else ""
        self.update()

    def update(self) -> None:
        """Screen-specific refresh; the default shows only the frame."""

    def enter(self) -> None:
        """The journey just arrived at this step. The language is set first, so what a
        subclass builds in its own enter() is already in the resident's language."""
        self.local_error = None
        journey = self.kiosk.journey if self.kiosk else None
        if journey is not None:
            self.lang = journey.session.language
            if self.body is not None:
                self.body.lang = self.lang

    def leave(self) -> None:
        """The journey just left this step (stop previews, timers, drop personal data)."""

    def forget(self) -> None:
        """The session ended: nothing of this resident may stay in any widget."""
        self.leave()

    def act(self, intent: Callable[..., Any], *args: Any) -> Any:
        """Send an intent; a refused input becomes the error line, never a traceback."""
        try:
            self.local_error = None
            return intent(*args)
        except InvalidInput as exc:
            self.local_error = exc.code
            self.refresh()
        except IntentRejected:  # a double tap after the step already moved on
            pass  # the journey logged it; a bug (IllegalTransition) is not caught here
        return None

    def show_local_error(self, code: str | None) -> None:
        self.local_error = code
        self.refresh()

    def on_back(self) -> None:
        self.act(self.journey.back)

    def on_cancel(self) -> None:
        self.act(self.journey.cancel)


class IdleOverlay(FloatLayout):
    """'Are you still there?' with a big countdown; modal while shown."""

    lang = StringProperty("zh_CN")
    seconds = NumericProperty(0)

    def __init__(self, kiosk: Any, **kwargs: Any) -> None:
        self.kiosk = kiosk
        super().__init__(**kwargs)

    def tr(self, msgid: str, lang: str, **values: Any) -> str:
        return tr(msgid, lang, **values)

    def tro(self, msgid: str, lang: str, **values: Any) -> str:
        return tro(msgid, lang, **values)

    def on_touch_down(self, touch):
        super().on_touch_down(touch)
        return True  # modal: nothing under it reacts

    def on_touch_up(self, touch):
        super().on_touch_up(touch)
        return True

    def on_continue(self) -> None:
        self.kiosk.journey.touch()
