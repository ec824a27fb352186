"""Test prints: a receipt and a card that hold no personal data.

The technician prints them from the shell (``kiosk printer test``) and from the
diagnostics screen. Each print gets a fresh job key, so the printers' at-most-once
memory never swallows a second test.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from drivers.printer.base import CardDocument, LineStyle, PrintResult, ReceiptDocument, ReceiptLine
from kiosk import __version__
from kiosk.config import KioskConfig

PRINTERS = ("receipt_printer", "card_printer")
JOB_KEY_PREFIX = "test-"


def specimen_receipt(config: KioskConfig) -> ReceiptDocument:
    """Both scripts, digits and a QR code: what a hall's receipts need to come out right."""
    now = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = (ReceiptLine("打印测试 Print test", LineStyle.HEADING, "center"),
             ReceiptLine(f"自助机 Kiosk: {config.kiosk_id}"),
             ReceiptLine(f"软件 Software: {__version__}"),
             ReceiptLine(f"时间 Time: {now}"),
             ReceiptLine("中文、English、0123456789 — 若文字清晰、二维码可扫，打印机正常。"),
             ReceiptLine("If this text is sharp and the code scans, the printer is fine."))
    return ReceiptDocument(lines, qr_payload=_health_url(config),
                           qr_caption="扫码测试 Scan to test")


def specimen_card(config: KioskConfig) -> CardDocument:
    """A card marked as a specimen in every field a real permit would carry a person in."""
    today = dt.date.today()
    return CardDocument(permit_number="TEST-SPECIMEN", city_name="样张 SPECIMEN",
                        name="测试样张", sex="X", birth_date=dt.date(2000, 1, 1),
                        document_number="000000000000000000", address="打印测试 Print test",
                        valid_from=today, valid_until=today, qr_payload=_health_url(config))


def print_specimen(device: Any, kind: str, config: KioskConfig) -> PrintResult:
    """Print the specimen for ``kind`` ("receipt_printer" or "card_printer") on an open device.

    Raises what the driver raises (a DeviceError with the printer's reason code).
    """
    key = JOB_KEY_PREFIX + secrets.token_hex(8)
    if kind == "receipt_printer":
        return device.print_receipt(specimen_receipt(config), job_key=key)
    if kind == "card_printer":
        return device.print_card(specimen_card(config), job_key=key)
    raise ValueError(f"no specimen for {kind!r}")


def _health_url(config: KioskConfig) -> str:
    return config.central.url.rstrip("/") + "/v1/health"
