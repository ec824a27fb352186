"""Presenting the document, the access key, reading it, and confirming the details."""

from __future__ import annotations

import io

from kivy.core.image import Image as CoreImage
from kivy.properties import (
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.widget import Widget

from drivers.reader.base import AccessKind, CanKey, MrzKey
from kiosk.addresses import mask_document_number
from kiosk.journey.access_key import NUMBER_MAX, access_key_from, check_field
from kiosk.journey.steps import Step
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PresentDocumentScreen(StepScreen):
    step = Step.PRESENT_DOCUMENT
    body_class = "PresentDocumentBody"
    hint_id = "present.hint"

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "present.title"


class StatusLookupScreen(PresentDocumentScreen):
    step = Step.STATUS_LOOKUP

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "status.lookup_title"
        self.body.hint_id = "status.lookup_hint"


class AccessKeyScreen(StepScreen):
    """Document number and the two MRZ dates (YYMMDD), or the 6-digit CAN, on a big keypad."""

    step = Step.ACCESS_KEY
    body_class = "AccessKeyBody"
    fields = ListProperty([])  # [(field name, message id)]
    values = ObjectProperty({}, rebind=True)
    active = StringProperty("")
    letters = NumericProperty(0)
    explain_id = StringProperty("access.explain")
    switch_id = StringProperty("")  # offers the CAN instead of the MRZ (or back) on PACE chips
    kind = ObjectProperty(None, allownone=True)

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "access.title"

    def enter(self) -> None:
        super().enter()
        self._show_fields_for(self.session.access)
        if self.journey.input_error == "wrong_access_key":
            # Show what was typed, so the resident corrects one digit, not all of them.
            self.values.update(_typed(self.session.access_key))
            self._build_fields()

    def update(self) -> None:
        if self.session.access is not self.kind:  # the resident switched MRZ <-> CAN
            self._show_fields_for(self.session.access)

    def _show_fields_for(self, access: AccessKind) -> None:
        self.kind = access
        if access is AccessKind.CAN:
            self.fields = [("can", "access.can")]
        else:
            self.fields = [("number", "access.number"), ("birth", "access.birth"),
                           ("expiry", "access.expiry")]
        self.values = {name: "" for name, _ in self.fields}
        self.active = self.fields[0][0]
        self.letters = 0
        self.explain_id = "access.explain_can" if access is AccessKind.CAN else "access.explain"
        self.switch_id = ("access.use_mrz" if access is AccessKind.CAN else "access.use_can") \
            if self.session.can_allowed else ""
        self._build_fields()
        self._build_keys()

    def switch_kind(self) -> None:
        self.act(self.journey.document.switch_key_kind)

    def _build_fields(self) -> None:
        box = self.body.ids.fields
        box.clear_widgets()
        today = self.journey.today()
        for name, msg in self.fields:
            check = check_field(name, self.values[name], today)
            mark = " ✓" if check.ok else ""
            b = KioskButton(style="secondary", widget_id=f"field_{name}", payload=name,
                            selected=name == self.active, height=T.px(130),
                            text=(self.values[name] or "—") + mark,
                            subtext=self.t(check.problem or msg), alert=bool(check.problem))
            b.bind(on_release=lambda btn: self._select(btn.payload))
            box.add_widget(b)

    def _build_keys(self) -> None:
        grid = self.body.ids.keypad
        grid.clear_widgets()
        letters_key = "" if self.kind is AccessKind.CAN else "ABC"  # a CAN is digits only
        keys = list(LETTERS) if self.letters else list("123456789") + [letters_key, "0", "←"]
        if self.letters:
            keys += ["123", "←"]
        grid.cols = 7 if self.letters else 3
        for key in keys:
            if not key:
                grid.add_widget(Widget())
                continue
            kid = {"←": "key_del", "ABC": "key_letters", "123": "key_digits"}.get(key, f"key_{key}")
            b = KioskButton(style="key", text=key, widget_id=kid, payload=key,
                            height=T.key_h, font_size=T.title * (0.6 if self.letters else 0.8))
            b.bind(on_release=lambda btn: self._key(btn.payload))
            grid.add_widget(b)

    def _select(self, name: str) -> None:
        self.active = name
        self._build_fields()

    def _key(self, key: str) -> None:
        if key in ("ABC", "123"):
            self.letters = 1 if key == "ABC" else 0
            return self._build_keys()
        value = self.values.get(self.active, "")
        limit = 6 if self.active != "number" else NUMBER_MAX
        value = value[:-1] if key == "←" else (value + key)[:limit]
        self.values[self.active] = value
        if key != "←" and len(value) == limit and self.active != "number":
            names = [n for n, _ in self.fields]
            i = names.index(self.active)
            if i + 1 < len(names):
                self.active = names[i + 1]
        self._build_fields()

    def leave(self) -> None:
        self.values = {}  # the typed key lives in the session only, which is wiped
        self.body.ids.fields.clear_widgets()

    def submit(self) -> None:
        key = self._key_from_values()
        if key is None:
            return self.show_local_error("access_key_format")
        self.act(self.journey.document.submit_key, key)

    def _key_from_values(self):
        return access_key_from(dict(self.values), self.journey.today())


def _typed(key) -> dict[str, str]:
    """The keypad fields of a key the resident typed before."""
    if isinstance(key, CanKey):
        return {"can": key.can}
    if isinstance(key, MrzKey):
        return {"number": key.document_number, "birth": key.birth_date.strftime("%y%m%d"),
                "expiry": key.expiry_date.strftime("%y%m%d")}
    return {}


class ReadingScreen(StepScreen):
    step = Step.READING_DOCUMENT
    body_class = "ReadingBody"
    progress = NumericProperty(0.0)
    hint_id = StringProperty("reading.hint")  # "reading.paused" while the document is lifted

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "reading.title"
        self.show_cancel = False

    def enter(self) -> None:
        super().enter()
        self.body.ids.busy.start()

    def leave(self) -> None:
        self.body.ids.busy.stop()

    def update(self) -> None:
        self.progress = float(self.session.read_progress or 0.0)
        self.hint_id = "reading.paused" if self.session.read_paused else "reading.hint"


class ConfirmDetailsScreen(StepScreen):
    step = Step.CONFIRM_DETAILS
    body_class = "ConfirmDetailsBody"
    rows = ListProperty([])  # [(label, value)]
    photo = ObjectProperty(None, allownone=True)

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "confirm.title"

    def enter(self) -> None:
        super().enter()
        self.kiosk.prefetch_directory()

    def leave(self) -> None:
        self.photo = None
        self.rows = []
        self.body.ids.rows.clear_widgets()

    def update(self) -> None:
        doc = self.session.document
        if doc is None:
            return
        t = self.t
        self.rows = [(t("confirm.name"), doc.name),
                     (t("confirm.sex"), t(f"sex.{doc.sex}")),
                     (t("confirm.birth"), t.date(doc.birth_date)),
                     (t("confirm.number"), mask_document_number(doc.document_number))]
        if doc.document_type != "id_card":  # travel documents: the state matters
            country = f"country.{doc.nationality}"
            self.rows.append((t("confirm.nationality"),
                              t(country) if t.has(country) else doc.nationality))
        if doc.expiry_date is not None:
            self.rows.append((t("confirm.expiry"), t.date(doc.expiry_date)))
        self.rows.append((t("confirm.household"),
                          doc.household_address or doc.household_city or "—"))
        self._build_rows()
        if doc.photo_jpeg and self.photo is None:
            self.photo = _texture_from_jpeg(doc.photo_jpeg)

    def _build_rows(self) -> None:
        from kivy.factory import Factory
        box = self.body.ids.rows
        box.clear_widgets()
        for label, value in self.rows:
            box.add_widget(Factory.DetailRow(label=label, value=value))

    def yes(self) -> None:
        self.act(self.journey.document.confirm)

    def no(self) -> None:
        self.act(self.journey.document.reject)


def _texture_from_jpeg(jpeg: bytes):
    try:
        return CoreImage(io.BytesIO(bytes(jpeg)), ext="jpg").texture
    except Exception:  # a broken chip photo must not stop the resident
        return None
