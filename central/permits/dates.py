"""Calendar arithmetic the rules depend on: calendar months, days clamped to the month's end."""

from __future__ import annotations

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, clamped (31 Aug + 6 months = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def add_years(day: dt.date, years: int) -> dt.date:
    """Whole calendar years later (29 Feb clamps to 28 Feb)."""
    return add_months(day, 12 * years)


def age_on(birth: dt.date, today: dt.date) -> int:
    """Completed years of age: one is 70 from the 70th birthday on."""
    before_birthday = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - (1 if before_birthday else 0)
