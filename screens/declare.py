"""The residence declaration: since when, where (district, community, building-unit-room), why."""

from __future__ import annotations

import datetime as dt

from kivy.properties import NumericProperty, ObjectProperty, StringProperty

from kiosk.journey.steps import Step
from protocol import wire
from screens.base import StepScreen
from screens.theme import T
from screens.widgets import KioskButton


class DeclareResidenceScreen(StepScreen):
    step = Step.DECLARE_RESIDENCE
    body_class = "DeclareResidenceBody"
    year = NumericProperty(2000)
    month = NumericProperty(1)
    district = StringProperty("")
    community = StringProperty("")
    detail = StringProperty("")
    since_text = StringProperty("")
    directory = ObjectProperty(None, allownone=True)

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "residence.title"
        self._built = None

    def enter(self) -> None:
        super().enter()
        s, today = self.session, self.journey.today()
        since = s.since or today.replace(day=1)
        self.year, self.month = since.year, since.month
        self.district = s.address.district if s.address else ""
        self.community = s.address.community if s.address else ""
        self.detail = s.address.detail if s.address else ""
        self._built = None
        self.kiosk.prefetch_directory(self._on_directory)

    def leave(self) -> None:
        self.district = self.community = self.detail = ""  # enter() restores from the session

    def _on_directory(self, directory) -> None:
        self.directory = directory
        if directory is None:
            self.show_local_error("directory_unavailable")
        elif self.manager and self.manager.current == self.name:
            self._built = None
            self.refresh()

    def update(self) -> None:
        self.since_text = self.t("residence.since_value", year=self.year, month=self.month)
        key = (self.lang, self.district, self.community, id(self.directory))
        if key != self._built:
            self._built = key
            self._build_choices()

    def _name(self, text: wire.Text) -> str:
        return self.t.text(text)

    def _build_choices(self) -> None:
        districts, communities = self.body.ids.districts, self.body.ids.communities
        districts.clear_widgets()
        communities.clear_widgets()
        if self.directory is None:
            return
        for d in self.directory.districts:
            b = KioskButton(style="secondary", text=self._name(d.name), widget_id=f"district_{d.code}",
                            payload=d.code, selected=d.code == self.district, height=T.px(110),
                            font_size=T.body * 0.9)
            b.bind(on_release=lambda btn: self.choose_district(btn.payload))
            districts.add_widget(b)
        district = next((d for d in self.directory.districts if d.code == self.district), None)
        for c in district.communities if district else []:
            b = KioskButton(style="secondary", text=self._name(c.name),
                            widget_id=f"community_{c.code}", payload=c.code,
                            selected=c.code == self.community, height=T.px(110),
                            font_size=T.body * 0.9)
            b.bind(on_release=lambda btn: self.choose_community(btn.payload))
            communities.add_widget(b)

    def choose_district(self, code: str) -> None:
        if code != self.district:
            self.district, self.community = code, ""
        self.refresh()

    def choose_community(self, code: str) -> None:
        self.community = code
        self.refresh()

    def step_month(self, delta: int) -> None:
        months = self.year * 12 + (self.month - 1) + delta
        today = self.journey.today()
        months = min(months, today.year * 12 + today.month - 1)
        self.year, self.month = divmod(months, 12)
        self.month += 1
        self.refresh()

    def step_year(self, delta: int) -> None:
        self.step_month(12 * delta)

    def key(self, key: str) -> None:
        if key == "←":
            self.detail = self.detail[:-1]
        elif len(self.detail) < 20:
            self.detail += key
        self.refresh()

    def confirm(self) -> None:
        address = wire.Address.model_construct(district=self.district, community=self.community,
                                               detail=self.detail)
        try:
            address = wire.Address(district=self.district, community=self.community,
                                   detail=self.detail)
        except ValueError:
            pass  # validate_residence names what is missing
        self.act(self.journey.declaration.declare_residence, dt.date(self.year, self.month, 1), address)
        self.refresh()


CONDITIONS = [(wire.Condition.EMPLOYMENT, "condition.employment"),
              (wire.Condition.HOME, "condition.home"),
              (wire.Condition.STUDY, "condition.study")]


class DeclareConditionScreen(StepScreen):
    step = Step.DECLARE_CONDITION
    body_class = "DeclareConditionBody"
    condition = StringProperty("")
    prompt_id = StringProperty("condition.prompt")

    def __init__(self, kiosk, **kwargs):
        super().__init__(kiosk, **kwargs)
        self.title_id = "condition.title"
        self._built = None

    def enter(self) -> None:
        super().enter()
        self.condition = ""
        self._built = None

    def leave(self) -> None:
        self._built = None
        self.body.ids.choices.clear_widgets()  # employers and schools are the resident's

    def update(self) -> None:
        sponsors = tuple(self.journey.declaration.sponsor_choices(
            wire.Condition(self.condition) if self.condition else None))
        key = (self.lang, self.condition, sponsors)
        if key == self._built:
            return
        self._built = key
        box = self.body.ids.choices
        box.clear_widgets()
        if not self.condition:
            self.prompt_id = "condition.prompt"
            for condition, msg in CONDITIONS:
                b = KioskButton(text=self.t(msg), subtext=self.t.other(msg),
                                widget_id=f"condition_{condition.value}", payload=condition,
                                height=T.big_button_h)
                b.bind(on_release=lambda btn: self.choose(btn.payload))
                box.add_widget(b)
            return
        self.prompt_id = f"condition.sponsor_prompt.{self.condition}"
        for i, name in enumerate(sponsors):
            b = KioskButton(style="secondary", text=name, widget_id=f"sponsor_{i}", payload=name)
            b.bind(on_release=lambda btn: self.choose_sponsor(btn.payload))
            box.add_widget(b)
        b = KioskButton(style="secondary", text=self.t("condition.not_listed"),
                        subtext=self.t.other("condition.not_listed"), widget_id="sponsor_none")
        b.bind(on_release=lambda btn: self.choose_sponsor(None))
        box.add_widget(b)

    def choose(self, condition: wire.Condition) -> None:
        if condition is wire.Condition.HOME:
            self.act(self.journey.declaration.declare_condition, condition, None)
        else:
            self.condition = condition.value
            self.refresh()

    def choose_sponsor(self, sponsor: str | None) -> None:
        self.act(self.journey.declaration.declare_condition, wire.Condition(self.condition), sponsor)

    def on_back(self) -> None:
        if self.condition:  # one level back inside this step first
            self.condition = ""
            self.refresh()
        else:
            super().on_back()
