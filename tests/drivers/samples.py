"""Documents to print in tests: invented people, realistic lengths."""

from __future__ import annotations

import datetime as dt

from drivers.camera.synthetic import portrait_jpeg
from drivers.printer.base import CardDocument, LineStyle, ReceiptDocument, ReceiptLine


def receipt(payload: str = "https://permits.example.cn/s/ZZ-2026-000123") -> ReceiptDocument:
    return ReceiptDocument(
        lines=(ReceiptLine("株洲市居住证申请回执", LineStyle.TITLE, "center"),
               ReceiptLine("Residence Permit Application Receipt", LineStyle.SMALL, "center"),
               ReceiptLine("申请信息", LineStyle.HEADING),
               ReceiptLine("受理编号：ZZ-2026-000123"),
               ReceiptLine("居住地址：湖南省株洲市荷塘区月塘街道新华社区新华西路36号3栋2单元501室"),
               ReceiptLine("Please bring your ID card when you collect the permit."),
               ReceiptLine("2026-11-22 14:05", LineStyle.SMALL, "right")),
        qr_payload=payload, qr_caption="扫码查询办理进度 Scan to check progress")


def card(photo: bool = True) -> CardDocument:
    return CardDocument(
        permit_number="430202-2026-000123", city_name="株洲市", name="李明", sex="M",
        birth_date=dt.date(1990, 3, 15), document_number="430502199003151236",
        address="湖南省株洲市荷塘区新华西路36号", valid_from=dt.date(2026, 11, 22),
        valid_until=dt.date(2027, 11, 21), qr_payload="https://permits.example.cn/v/000123",
        photo_jpeg=portrait_jpeg("eligible") if photo else None)
