"""The sentences behind every decision: each says WHY and WHAT TO DO NEXT, in zh_CN and en.

Never a bare 'rejected': a resident who is turned away must learn from the screen alone what
would change the answer, so no second trip is wasted. The words are in the catalogs
(central/locale, ids ``reason.*``); this module picks which sentence and fills it in.
"""

from __future__ import annotations

import datetime as dt

from central.i18n import Message, both
from protocol import wire

CONDITION_NAMES = {
    wire.Condition.EMPLOYMENT: "reason.condition.employment",
    wire.Condition.HOME: "reason.condition.home",
    wire.Condition.STUDY: "reason.condition.study",
}


def reason(code: str, text: wire.Text) -> wire.Reason:
    return wire.Reason(code=code, text=text)


def _condition(condition: wire.Condition) -> Message:
    return Message(CONDITION_NAMES[condition])


def document_expired(expiry: dt.date) -> wire.Reason:
    return reason("document_expired", both("reason.document_expired", expiry=expiry))


def local_household(city: wire.Text) -> wire.Reason:
    return reason("local_household", both("reason.local_household", city=city))


def not_a_citizen() -> wire.Reason:
    return reason("not_a_citizen", both("reason.not_a_citizen"))


def aged_exempt(age: int, exempt_age: int) -> wire.Reason:
    return reason("aged_exempt", both("reason.aged_exempt", age=age, exempt_age=exempt_age))


def registration_needed(period: wire.Text, eligible_from: dt.date) -> wire.Reason:
    return reason("registration_needed", both("reason.registration_needed", period=period,
                                              eligible_from=eligible_from))


def waiting_period_not_met(registered_on: dt.date, period: wire.Text,
                           eligible_from: dt.date) -> wire.Reason:
    return reason("waiting_period_not_met", both(
        "reason.waiting_period_not_met", registered_on=registered_on, period=period,
        eligible_from=eligible_from))


def waiting_period_met(registered_on: dt.date, period: wire.Text) -> wire.Reason:
    return reason("waiting_period_met", both("reason.waiting_period_met",
                                             registered_on=registered_on, period=period))


def condition_confirmed(condition: wire.Condition, evidence: wire.Text) -> wire.Reason:
    return reason("condition_confirmed", both("reason.condition_confirmed",
                                              condition=_condition(condition), evidence=evidence))


def condition_not_confirmed(condition: wire.Condition) -> wire.Reason:
    return reason("condition_not_confirmed", both("reason.condition_not_confirmed",
                                                  condition=_condition(condition)))


def condition_not_accepted(condition: wire.Condition, city: wire.Text) -> wire.Reason:
    return reason("condition_not_accepted", both("reason.condition_not_accepted",
                                                 condition=_condition(condition), city=city))


def no_permit_on_file() -> wire.Reason:
    return reason("no_permit_on_file", both("reason.no_permit_on_file"))


def permit_renewable(valid_until: dt.date) -> wire.Reason:
    return reason("permit_on_file", both("reason.permit_on_file", valid_until=valid_until))


def photo_reusable(taken_on: dt.date) -> wire.Reason:
    return reason("photo_reused", both("reason.photo_reused", taken_on=taken_on))


def photo_outdated(taken_on: dt.date, max_years: int) -> wire.Reason:
    return reason("photo_outdated", both("reason.photo_outdated", taken_on=taken_on,
                                         max_years=max_years))
