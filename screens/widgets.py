"""Small widgets every screen uses: big bilingual buttons, wrapping labels, a progress bar."""

from __future__ import annotations

import math

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    OptionProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.widget import Widget

from screens.theme import T


class KioskButton(ButtonBehavior, BoxLayout):
    """A large touch target: text in the chosen language, the other language under it."""

    text = StringProperty("")
    subtext = StringProperty("")
    widget_id = StringProperty("")  # the autopilot taps by this id (or by the kv id)
    style = OptionProperty("primary", options=["primary", "secondary", "quiet", "key"])
    selected = BooleanProperty(False)
    alert = BooleanProperty(False)  # the subtext says what is wrong with this field
    font_size = NumericProperty(0)
    face = ListProperty([1, 1, 1, 1])
    ink = ListProperty([0, 0, 0, 1])
    sub_ink = ListProperty([0, 0, 0, 1])
    line = ListProperty([0, 0, 0, 0])
    payload = ObjectProperty(None, allownone=True)  # what a dynamically built button stands for

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.font_size:
            self.font_size = T.button_font
        self.bind(state=self._paint, style=self._paint, selected=self._paint,
                  disabled=self._paint, alert=self._paint)
        self._paint()

    def _paint(self, *_):
        pressed = self.state == "down"
        if self.style == "primary":
            face = T.primary_pressed if pressed else T.primary
            ink, sub, line = T.primary_text, T.header_muted, face
        elif self.style == "quiet":
            face = T.panel_line if pressed else T.quiet_bg
            ink, sub, line = T.quiet_text, T.muted, T.quiet_bg
        else:  # secondary / key / toggle
            face = T.selected_bg if (pressed or self.selected) else T.secondary_bg
            ink, sub = T.secondary_text if self.style == "secondary" else T.text, T.muted
            line = T.primary if self.selected else T.panel_line
        if self.disabled:
            face, ink, sub, line = T.quiet_bg, T.muted, T.muted, T.quiet_bg
        if self.alert:
            sub = T.error
        self.face, self.ink, self.sub_ink, self.line = list(face), list(ink), list(sub), list(line)


class ShotThumb(ButtonBehavior, BoxLayout):
    """One of the resident's pictures, small, to tap and choose; the best one is marked."""

    texture = ObjectProperty(None, allownone=True)
    label = StringProperty("")  # "第1张", in the resident's language
    sublabel = StringProperty("")  # "Photo 1", the other language
    badge = StringProperty("")  # "推荐 Best", on the shot the checks like most
    selected = BooleanProperty(False)
    widget_id = StringProperty("")
    payload = ObjectProperty(None, allownone=True)  # the shot's index


class WrapLabel(Label):
    """A label that wraps to its width and is as tall as its text."""


class HintLabel(WrapLabel):
    """The other language, or a hint: smaller and muted."""


class Body(BoxLayout):
    """The middle of a step screen; its kv rule lives in the screen's own .kv file."""

    screen = ObjectProperty(None)
    lang = StringProperty("zh_CN")

    def tr(self, msgid: str, lang: str, **values) -> str:
        return self.screen.tr(msgid, lang, **values)

    def tro(self, msgid: str, lang: str, **values) -> str:
        return self.screen.tro(msgid, lang, **values)


class ProgressBarK(Widget):
    """A thick, rounded progress bar (Kivy's own is thin and grey)."""

    value = NumericProperty(0.0)  # 0..1


class BusyIndicator(Widget):
    """Three dots that pulse in turn: the machine is working."""

    phase = NumericProperty(0.0)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._event = None

    def start(self):
        if self._event is None:
            self._event = Clock.schedule_interval(self._step, 1 / 20)

    def stop(self):
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def _step(self, dt):
        self.phase = (self.phase + dt) % 1.2

    def dot_alpha(self, index: int, phase: float) -> float:
        return 0.25 + 0.75 * max(0.0, math.cos((phase / 1.2 - index / 3) * 2 * math.pi))


def texture_from_rgb(width: int, height: int, rgb: bytes, texture: Texture | None = None,
                     ) -> Texture:
    """An RGB byte buffer (rows top to bottom) as a texture, reused when the size fits."""
    if texture is None or texture.size != (width, height):
        texture = Texture.create(size=(width, height), colorfmt="rgb")
        texture.flip_vertical()
    texture.blit_buffer(rgb, colorfmt="rgb", bufferfmt="ubyte")
    return texture


def texture_from_pil(image) -> Texture:
    image = image.convert("RGB")
    return texture_from_rgb(image.width, image.height, image.tobytes())


class DetailRow(BoxLayout):
    """'Name   李明' on the confirm-details screen."""

    label = StringProperty("")
    value = StringProperty("")


class StatusCard(BoxLayout):
    """One application on the progress-result screen."""

    number = StringProperty("")
    state = StringProperty("")
    state_other = StringProperty("")
    next_step = StringProperty("")
