"""The receipt screen and the progress-lookup result."""

from __future__ import annotations

import qrcode
from kivy.factory import Factory
from kivy.properties import BooleanProperty, ObjectProperty, StringProperty

from kiosk.journey.steps import Step
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton, texture_from_pil


def qr_texture(text: str):
    image = qrcode.make(text, box_size=8, border=2).get_image()
    texture = texture_from_pil(image)
    texture.mag_filter = "nearest"
    return texture


class ReceiptScreen(StepScreen):
    step = Step.RECEIPT
    body_class = "ReceiptBody"
    number = StringProperty("")
    qr = ObjectProperty(None, allownone=True)
    show_qr = BooleanProperty(False)

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "done.title"
        self.show_cancel = False
        self._built = None

    def leave(self) -> None:
        self.qr, self.number, self._built = None, "", None

    def update(self) -> None:
        o = self.session.outcome
        key = (self.lang, o.application_number, o.receipt_problem)
        if key == self._built:
            return
        self._built = key
        self.number = o.application_number or ""
        self.show_qr = bool(o.receipt_problem and o.tracking_url)
        self.qr = qr_texture(o.tracking_url) if self.show_qr else None
        lines = self.body.ids.lines
        lines.clear_widgets()
        t = self.t
        messages = []
        if o.card_printed:
            messages.append(("done.take_card", True))
        elif o.card_fallback:
            messages.append(("done.card_fallback", False))
        if o.receipt_printed:
            messages.append(("done.take_receipt", True))
        if o.receipt_problem:
            messages.append(("done.photograph_qr", True))
        if o.queued_offline:
            messages.append(("done.queued", False))
        s = self.session
        if s.defer:
            messages.append(("done.deferred", False))
        elif s.fulfilment is not None and not o.card_printed:
            messages.append((f"done.{s.fulfilment.method.value}", False))
        for msgid, strong in messages:
            lines.add_widget(Factory.WrapLabel(text=t(msgid), bold=strong, halign="center",
                                               font_size=T.title * 0.7 if strong else T.body))
            lines.add_widget(Factory.HintLabel(text=t.other(msgid), halign="center"))

    def finish(self) -> None:
        self.act(self.journey.finish)


class StatusResultScreen(StepScreen):
    step = Step.STATUS_RESULT
    body_class = "StatusResultBody"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "status.result_title"
        self.show_cancel = False
        self._built = None

    def leave(self) -> None:
        self._built = None
        self.body.ids.results.clear_widgets()

    def update(self) -> None:
        results = self.session.status_results
        key = (self.lang, tuple(r.application_number for r in results))
        if key == self._built:
            return
        self._built = key
        box = self.body.ids.results
        box.clear_widgets()
        t = self.t
        if not results:
            box.add_widget(Factory.WrapLabel(text=t("status.none"), bold=True,
                                             font_size=T.title * 0.7))
            box.add_widget(Factory.WrapLabel(text=t("status.none_next")))
            box.add_widget(Factory.HintLabel(text=t.other("status.none_next")))
            return
        for r in results:
            box.add_widget(Factory.StatusCard(
                number=t("status.number", number=r.application_number),
                state=t(f"status.state.{r.state.value}"),
                state_other=t.other(f"status.state.{r.state.value}"),
                next_step=t.text(r.next_step)))

    def finish(self) -> None:
        self.act(self.journey.finish)


__all__ = ["ReceiptScreen", "StatusResultScreen", "KioskButton"]
