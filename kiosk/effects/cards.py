"""The residence permit card's content, from the application the central system approved."""

from __future__ import annotations

import datetime as dt

from drivers.printer.base import CardDocument
from kiosk.addresses import describe


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def build_card(job, directory) -> CardDocument:
    receipt = job.receipt
    today = dt.date.today()
    years = (job.decision.validity_years if job.decision and job.decision.validity_years else 1)
    valid_until = receipt.card_valid_until if receipt and receipt.card_valid_until \
        else add_years(today, years) - dt.timedelta(days=1)
    a = job.applicant
    return CardDocument(
        permit_number=job.application_number or job.key[:12].upper(),
        city_name=directory.name.zh_CN if directory else job.city,
        name=a.name, sex={"M": "男", "F": "女"}.get(a.sex, a.sex), birth_date=a.birth_date,
        document_number=a.document_number,
        address=describe(job.courier_address(), directory, "zh_CN"),
        valid_from=today, valid_until=valid_until, qr_payload=job.tracking_url,
        photo_jpeg=job.photo_jpeg)

