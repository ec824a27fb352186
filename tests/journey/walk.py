"""Drive a headless kiosk to any step, as a resident would, for the journey tests."""

from __future__ import annotations

import datetime as dt

from kiosk.headless import HeadlessKiosk
from kiosk.journey.steps import Step
from protocol import wire

S = Step


def address_in(k: HeadlessKiosk, district_en: str | None = None) -> wire.Address:
    directory = k.journey.declaration.directory()
    assert directory is not None, "central directory unavailable"
    district = directory.districts[0]
    if district_en:
        district = next(d for d in directory.districts if district_en.lower() in d.name.en.lower())
    return wire.Address(district=district.code, community=district.communities[0].code,
                        detail="12-3-401")


def menu(k: HeadlessKiosk, language: str = "zh_CN") -> None:
    k.journey.welcome.begin()
    k.journey.welcome.choose_language(language)


def present(k: HeadlessKiosk, persona: str, service=wire.Service.NEW,
            language: str = "zh_CN") -> None:
    menu(k, language)
    k.journey.welcome.choose_service(service)
    k.devices.reader.place(persona)
    k.pump(S.CONFIRM_DETAILS)


def declare(k: HeadlessKiosk, condition=wire.Condition.EMPLOYMENT, district_en=None,
            since=dt.date(2024, 1, 1), use_known_sponsor: bool = True) -> None:
    # The records pre-check (employers, schools) runs while the resident reads: wait for its
    # answer, however slow the machine is, or a known sponsor is not offered yet.
    k.wait_for(lambda: k.journey.session.records is not None)
    k.journey.document.confirm()
    if k.journey.state is S.DECISION:  # refused before declaring anything
        return
    assert k.journey.declaration.declare_residence(since, address_in(k, district_en))
    records = k.journey.session.records
    sponsors = {wire.Condition.EMPLOYMENT: records.employers,
                wire.Condition.STUDY: records.schools}.get(condition, []) if records else []
    sponsor = sponsors[0] if use_known_sponsor and sponsors else None
    k.journey.declaration.declare_condition(condition, sponsor)


def photo(k: HeadlessKiosk) -> None:
    k.pump(S.PHOTO)
    k.journey.photo.take()  # taken once the liveness challenge is met (a few seconds)
    deadline = dt.datetime.now() + dt.timedelta(seconds=20)
    while k.journey.session.photo_jpeg is None and dt.datetime.now() < deadline:
        k.pump()
    k.journey.photo.accept()


def to_decision(k: HeadlessKiosk, persona: str, **declare_args) -> wire.EligibilityDecision:
    present(k, persona)
    declare(k, **declare_args)
    step = k.pump((S.PHOTO, S.DECISION))
    if step is S.PHOTO:
        photo(k)
    k.pump(S.DECISION)
    return k.journey.session.decision


def drive_to(k: HeadlessKiosk, target: Step) -> None:
    """Walk the eligible resident's journey until ``target`` (a step on that path)."""
    order = [S.LANGUAGE, S.SERVICE_MENU, S.PRESENT_DOCUMENT, S.CONFIRM_DETAILS,
             S.DECLARE_RESIDENCE, S.DECLARE_CONDITION, S.PHOTO, S.DECISION, S.FULFILMENT,
             S.RECEIPT]
    j = k.journey
    actions = {
        S.LANGUAGE: j.welcome.begin,
        S.SERVICE_MENU: lambda: j.welcome.choose_language("zh_CN"),
        S.PRESENT_DOCUMENT: lambda: j.welcome.choose_service(wire.Service.NEW),
        S.CONFIRM_DETAILS: lambda: (k.devices.reader.place("eligible"), k.pump(S.CONFIRM_DETAILS)),
        S.DECLARE_RESIDENCE: j.document.confirm,
        S.DECLARE_CONDITION: lambda: j.declaration.declare_residence(dt.date(2024, 1, 1), address_in(k)),
        S.PHOTO: lambda: (j.declaration.declare_condition(wire.Condition.EMPLOYMENT, None), k.pump(S.PHOTO)),
        S.DECISION: lambda: photo(k),
        S.FULFILMENT: lambda: (k.pump(S.DECISION), j.decision.continue_application()),
        S.RECEIPT: lambda: (j.fulfilment.choose(wire.FulfilmentMethod.COURIER),
                            k.pump(S.RECEIPT)),
    }
    for step in order:
        actions[step]()
        if step is target:
            k.pump(target)
            return
    raise ValueError(f"{target} is not on the eligible path")
