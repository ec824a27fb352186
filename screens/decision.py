"""Checking eligibility, the photo, the decision and how the card reaches the resident."""

from __future__ import annotations

import datetime as dt
import io

from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)

from kiosk.journey.steps import Step
from protocol import wire
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton, ShotThumb, texture_from_rgb

PREVIEW_FPS = 15


class CheckingScreen(StepScreen):
    step = Step.CHECKING_ELIGIBILITY
    body_class = "BusyBody"
    hint_id = "checking.hint"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "checking.title"
        self.show_cancel = False
        self.body.hint_id = self.hint_id

    def enter(self) -> None:
        super().enter()
        self.body.ids.busy.start()

    def leave(self) -> None:
        self.body.ids.busy.stop()


class SubmittingScreen(CheckingScreen):
    step = Step.SUBMITTING
    body_class = "SubmittingBody"
    hint_id = "submitting.hint"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "submitting.title"


class PrintingCardScreen(CheckingScreen):
    step = Step.PRINTING_CARD
    body_class = "PrintingBody"
    hint_id = "printing.hint"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "printing.title"
        self._event = None

    def enter(self) -> None:
        super().enter()
        self.body.fraction = 0.0
        self._event = Clock.schedule_interval(self._advance, 0.25)

    def _advance(self, dt) -> None:
        body = self.body  # an estimate: the printer takes about 40 s
        body.fraction = min(0.97, body.fraction + dt / 40.0)

    def leave(self) -> None:
        super().leave()
        if self._event is not None:
            self._event.cancel()
            self._event = None


class PhotoScreen(StepScreen):
    """Live mirrored preview with a head outline; then the pictures taken, cropped as the
    permit will print them, to choose from, use or retake while shots remain."""

    step = Step.PHOTO
    body_class = "PhotoBody"
    preview = ObjectProperty(None, allownone=True)
    taken = ObjectProperty(None, allownone=True)
    has_photo = BooleanProperty(False)
    waiting = BooleanProperty(False)
    hint_id = StringProperty("photo.hint")  # the coach's instruction while the camera is live
    shots_left = NumericProperty(0)
    shot_count = NumericProperty(0)

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "photo.title"
        self._event = None
        self._seq = -1
        self._texture = None
        self._shot_textures: list = []  # one per shot, made once from its JPEG

    def enter(self) -> None:
        super().enter()
        self._event = Clock.schedule_interval(self._show_latest, 1 / PREVIEW_FPS)

    def leave(self) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None
        self.preview = self.taken = self._texture = None
        self._shot_textures = []
        self.body.ids.shots.clear_widgets()
        self.has_photo = self.waiting = False
        self.shot_count = 0

    def _show_latest(self, dt) -> None:
        """Only the newest frame is shown; a slow UI never queues frames."""
        if self.has_photo:
            return
        frame = self.kiosk.runtime.devices.camera.latest_frame()
        if frame is None or frame.seq == self._seq:
            return
        self._seq = frame.seq
        previous = self._texture
        self._texture = texture_from_rgb(frame.width, frame.height, frame.rgb, self._texture)
        if self._texture is not previous:
            self._texture.flip_horizontal()  # a mirror: the resident moves the way they expect
        self.preview = None
        self.preview = self._texture
        self.body.ids.preview.canvas.ask_update()

    def update(self) -> None:
        s = self.session
        jpeg = s.photo_jpeg
        if jpeg is not None:
            self.hint_id = "photo.hint_choose" if len(s.photo_shots) > 1 else "photo.hint_taken"
        else:
            self.hint_id = self.journey.photo.guidance or "photo.hint"
        self.shots_left = self.journey.photo.shots_left
        self._sync_shots()
        self.taken = self._shot_textures[s.chosen_shot] if s.chosen_shot is not None else None
        self.has_photo = jpeg is not None
        if self.has_photo:
            self.waiting = False

    def _sync_shots(self) -> None:
        """Textures for new shots; the row of thumbnails shows once there is a choice."""
        from kivy.core.image import Image as CoreImage
        shots = self.session.photo_shots
        if len(shots) < len(self._shot_textures):
            self._shot_textures = []  # shots were wiped (accepted or a new session)
        for shot in shots[len(self._shot_textures):]:
            self._shot_textures.append(CoreImage(io.BytesIO(bytes(shot.jpeg)), ext="jpg").texture)
        self.shot_count = len(shots)
        row = self.body.ids.shots
        row.clear_widgets()
        if len(shots) < 2:
            return
        best, chosen, lang = self.session.best_shot, self.session.chosen_shot, self.lang
        for i, texture in enumerate(self._shot_textures):
            row.add_widget(ShotThumb(
                texture=texture, payload=i, widget_id=f"photo_shot_{i + 1}",
                selected=i == chosen,
                label=self.tr("photo.shot_n", lang, n=i + 1),
                sublabel=self.tro("photo.shot_n", lang, n=i + 1),
                badge=(self.tr("photo.best", lang) + " " + self.tro("photo.best", lang))
                if i == best else "",
                on_release=lambda thumb: self.choose(thumb.payload)))

    def take(self) -> None:
        self.waiting = True
        self.act(self.journey.photo.take)

    def retake(self) -> None:
        self.act(self.journey.photo.retake)

    def choose(self, index: int) -> None:
        self.act(self.journey.photo.choose, index)

    def use(self) -> None:
        self.act(self.journey.photo.accept)


class DecisionScreen(StepScreen):
    step = Step.DECISION
    body_class = "DecisionBody"
    headline = StringProperty("")
    headline_other = StringProperty("")
    tone = ListProperty([0, 0, 0, 1])

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "decision.title"
        self._built = None

    def enter(self) -> None:
        super().enter()
        self._built = None

    def leave(self) -> None:
        self._built = None
        self.body.ids.lines.clear_widgets()
        self.body.ids.actions.clear_widgets()

    def update(self) -> None:
        s = self.session
        key = (self.lang, id(s.decision), s.central_unreachable)
        if key == self._built:
            return
        self._built = key
        lines = self.body.ids.lines
        actions = self.body.ids.actions
        lines.clear_widgets()
        actions.clear_widgets()
        if s.central_unreachable or s.decision is None:
            self._unreachable(lines, actions)
        else:
            self._decided(s.decision, lines, actions)

    def _line(self, box, text: str, hint: bool = False, **kw) -> None:
        from kivy.factory import Factory
        box.add_widget(Factory.HintLabel(text=text, **kw) if hint else
                       Factory.WrapLabel(text=text, **kw))

    def _button(self, box, widget_id: str, msgid: str, action, style="primary", **values):
        def say(t):  # dates are written the way each language writes them
            return t(msgid, **{k: t.date(v) if isinstance(v, dt.date) else v
                               for k, v in values.items()})

        b = KioskButton(text=say(self.t), subtext=say(self.t.other),
                        widget_id=widget_id, style=style, height=T.big_button_h)
        b.bind(on_release=lambda btn: self.act(action))
        box.add_widget(b)

    def _unreachable(self, lines, actions) -> None:
        self.headline = self.t("decision.unreachable")
        self.headline_other = self.t.other("decision.unreachable")
        self.tone = list(T.warn)
        self._line(lines, self.t("decision.unreachable_explain"))
        self._button(actions, "queue_review", "decision.queue_review", self.journey.decision.queue_for_review)
        self._button(actions, "finish", "decision.finish", self.journey.finish, style="secondary")

    def _decided(self, d: wire.EligibilityDecision, lines, actions) -> None:
        t, D = self.t, wire.Decision
        self.headline = t(f"decision.title.{d.decision.value}")
        self.headline_other = t.other(f"decision.title.{d.decision.value}")
        self.tone = list(T.good if d.decision in (D.ELIGIBLE, D.NOT_REQUIRED) else
                         T.warn if d.decision in (D.NOT_YET, D.NEEDS_REVIEW) else T.error)
        gap = "" if t.language == "zh_CN" else " "  # Kivy wraps at spaces only
        for reason in d.reasons:
            self._line(lines, "•" + gap + t.text(reason.text))
        if d.decision is D.NOT_YET and d.eligible_from:
            self._line(lines, t("decision.eligible_from", date=t.date(d.eligible_from)), bold=True)
        if d.documents_to_bring:
            self._line(lines, t("decision.bring_once"), bold=True, color=T.primary)
            for i, doc in enumerate(d.documents_to_bring, 1):
                self._line(lines, f"{i}.{gap}{t.text(doc.text)}")
        if d.decision in (D.ELIGIBLE, D.NEEDS_REVIEW):
            self._button(actions, "continue", "decision.continue", self.journey.decision.continue_application)
        elif d.decision is D.NOT_YET:
            self._button(actions, "defer", "decision.defer", self.journey.decision.defer,
                         date=d.eligible_from)
        else:
            self._line(lines, t(f"decision.next.{d.decision.value}"))
        style = "primary" if d.decision in (D.NOT_REQUIRED, D.INELIGIBLE) else "secondary"
        self._button(actions, "finish", "decision.finish", self.journey.finish, style=style)


FULFILMENT_IDS = {wire.FulfilmentMethod.PRINT_HERE: "fulfilment.print_here",
                  wire.FulfilmentMethod.COURIER: "fulfilment.courier",
                  wire.FulfilmentMethod.PICKUP: "fulfilment.pickup"}


class FulfilmentScreen(StepScreen):
    step = Step.FULFILMENT
    body_class = "FulfilmentBody"
    choosing_station = BooleanProperty(False)
    prompt_id = StringProperty("fulfilment.prompt")
    blocked_id = StringProperty("")  # why the card cannot be printed here right now

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "fulfilment.title"
        self._built = None

    def enter(self) -> None:
        super().enter()
        self.choosing_station = False
        self._built = None

    def update(self) -> None:
        # A printer that runs out (or comes back) while the resident looks changes the choices.
        options, blocked = self.journey.fulfilment.options(), self.journey.fulfilment.print_here_blocked()
        key = (self.lang, self.choosing_station, tuple(options), blocked)
        if key == self._built:
            return
        self._built = key
        box = self.body.ids.options
        box.clear_widgets()
        if self.choosing_station:
            self.prompt_id = "fulfilment.station_prompt"
            self.blocked_id = ""
            d = self.session.decision
            for station in d.pickup_stations if d else []:
                b = KioskButton(style="secondary", text=self.t.text(station.name),
                                subtext=self.t.text(station.address),
                                widget_id=f"station_{station.code}", payload=station.code)
                b.bind(on_release=lambda btn: self.act(
                    self.journey.fulfilment.choose, wire.FulfilmentMethod.PICKUP, btn.payload))
                box.add_widget(b)
            return
        self.prompt_id = "fulfilment.prompt"
        self.blocked_id = f"fulfilment.no_print.{blocked}" if blocked else ""
        if blocked and not self.t.has(self.blocked_id):
            self.blocked_id = "fulfilment.no_print.printer_error"
        for method in options:
            msg = FULFILMENT_IDS[method]
            b = KioskButton(text=self.t(msg), subtext=self.t.other(msg), height=T.big_button_h,
                            widget_id=f"fulfil_{method.value}", payload=method)
            b.bind(on_release=lambda btn: self.choose(btn.payload))
            box.add_widget(b)

    def choose(self, method: wire.FulfilmentMethod) -> None:
        if method is wire.FulfilmentMethod.PICKUP:
            self.choosing_station = True
            self.refresh()
        else:
            self.act(self.journey.fulfilment.choose, method)

    def on_back(self) -> None:
        if self.choosing_station:
            self.choosing_station = False
            self.refresh()
        else:
            super().on_back()
