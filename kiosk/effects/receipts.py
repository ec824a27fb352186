"""The receipt: what was decided, what happens next, and a QR code to follow it.

Printed in the resident's language; the same lines are shown on screen as a
QR code when the printer has no paper. The document number is masked.
"""

from __future__ import annotations

import datetime as dt

from drivers.printer.base import LineStyle, ReceiptDocument, ReceiptLine
from kiosk.addresses import describe, mask_document_number
from kiosk.i18n import Translator
from protocol import wire

D = wire.Decision
M = wire.FulfilmentMethod


def build_receipt(job, directory: wire.CityDirectory | None = None,
                  now: dt.datetime | None = None) -> ReceiptDocument:
    t = Translator(job.language)
    now = now or dt.datetime.now()
    lines = [ReceiptLine(t("receipt.title"), LineStyle.TITLE, "center"),
             ReceiptLine(now.strftime("%Y-%m-%d %H:%M"), LineStyle.SMALL, "center")]
    lines += _identity(job, t)
    lines += _decision(job, t)
    lines += _next_steps(job, t, directory)
    lines += _documents(job, t)
    lines.append(ReceiptLine(t("receipt.keep"), LineStyle.SMALL, "center"))
    return ReceiptDocument(lines=tuple(lines), qr_payload=job.tracking_url,
                           qr_caption=t("receipt.qr_caption"))


def _identity(job, t: Translator) -> list[ReceiptLine]:
    if job.application_number:
        number = t("receipt.number", number=job.application_number)
    else:
        number = t("receipt.reference", reference=job.key[:12].upper())
    return [ReceiptLine(number, LineStyle.HEADING),
            ReceiptLine(t("receipt.service." + job.service.value)),
            ReceiptLine(t("receipt.document",
                          number=mask_document_number(job.applicant.document_number)))]


def _decision(job, t: Translator) -> list[ReceiptLine]:
    if job.queued_offline:
        return [ReceiptLine(t("receipt.queued"), LineStyle.HEADING)]
    if job.staff_review or job.decision is None or _identity_review(job):
        return [ReceiptLine(t("decision.title.needs_review"), LineStyle.HEADING)]
    lines = [ReceiptLine(t("decision.title." + job.decision.decision.value), LineStyle.HEADING)]
    lines += [ReceiptLine(t.text(r.text)) for r in job.decision.reasons]
    return lines


def _identity_review(job) -> bool:
    face = job.face_check is not None and job.face_check.verdict != "match"
    return bool(job.applicant.document_review_reasons) or face


def _next_steps(job, t: Translator, directory) -> list[ReceiptLine]:
    lines = [ReceiptLine(t("receipt.next_steps"), LineStyle.HEADING)]
    f = job.fulfilment
    address = describe(job.courier_address(), directory, job.language)
    if job.defer and job.decision is not None:
        lines.append(ReceiptLine(t("receipt.deferred", date=t.date(job.decision.eligible_from),
                                   address=address)))
        lines.append(ReceiptLine(t("receipt.no_second_visit"), LineStyle.HEADING))
        return lines
    if job.card_printed:
        lines.append(ReceiptLine(t("receipt.card_printed")))
    elif job.card_fallback:
        lines.append(ReceiptLine(t("receipt.card_fallback", address=address)))
    elif f is not None and f.method is M.COURIER:
        lines.append(ReceiptLine(t("receipt.courier", address=address)))
    elif f is not None and f.method is M.PICKUP:
        lines.append(ReceiptLine(t("receipt.pickup", station=_station_name(job, t))))
    if job.staff_review or _identity_review(job):
        lines.append(ReceiptLine(t("receipt.staff_review")))
    return lines


def _documents(job, t: Translator) -> list[ReceiptLine]:
    docs = job.decision.documents_to_bring if job.decision is not None else []
    if not docs:
        return []
    lines = [ReceiptLine(t("receipt.notification_list"), LineStyle.HEADING)]
    lines += [ReceiptLine(f"{i}. {t.text(d.text)}") for i, d in enumerate(docs, 1)]
    lines.append(ReceiptLine(t("receipt.bring_once")))
    return lines


def _station_name(job, t: Translator) -> str:
    code = job.fulfilment.pickup_station if job.fulfilment else None
    stations = job.decision.pickup_stations if job.decision is not None else []
    station = next((s for s in stations if s.code == code), None)
    return t.text(station.name) if station else (code or "")
