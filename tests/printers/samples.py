"""Receipts shaped like kiosk/receipts.py builds them, in Chinese and in English.

Invented numbers; the document number is masked as the kiosk masks it.
"""

from __future__ import annotations

from drivers.printer.base import LineStyle, ReceiptDocument, ReceiptLine

L = LineStyle
TRACKING_URL = "https://jzz.zhuzhou.example.cn/t/ZZ-2026-000123"


def chinese_receipt(url: str = TRACKING_URL) -> ReceiptDocument:
    """A typical one: pickup, three documents to bring."""
    return ReceiptDocument(lines=(
        ReceiptLine("居住证申请回执", L.TITLE, "center"),
        ReceiptLine("2026-11-22 14:05", L.SMALL, "center"),
        ReceiptLine("申请编号：ZZ-2026-000123", L.HEADING),
        ReceiptLine("业务：居住证首次申领"),
        ReceiptLine("证件号码：4302**********1236"),
        ReceiptLine("符合申领条件", L.HEADING),
        ReceiptLine("已在株洲市荷塘区连续居住满半年，并有合法稳定就业。"),
        ReceiptLine("下一步", L.HEADING),
        ReceiptLine("请凭本回执到荷塘区月塘派出所户政窗口领取居住证。"),
        ReceiptLine("一次性告知单：请携带以下材料", L.HEADING),
        ReceiptLine("1. 本人居民身份证原件"),
        ReceiptLine("2. 劳动合同或营业执照（任选其一）"),
        ReceiptLine("3. 居住地址：湖南省株洲市荷塘区月塘街道新华社区新华西路36号3栋2单元501室"),
        ReceiptLine("携带以上材料到任一派出所即可，一次办结。"),
        ReceiptLine("请妥善保管本回执", L.SMALL, "center"),
    ), qr_payload=url, qr_caption="扫码查询办理进度")


def english_receipt(url: str = TRACKING_URL) -> ReceiptDocument:
    return ReceiptDocument(lines=(
        ReceiptLine("Residence permit application receipt", L.TITLE, "center"),
        ReceiptLine("2026-11-22 14:05", L.SMALL, "center"),
        ReceiptLine("Application no. ZZ-2026-000123", L.HEADING),
        ReceiptLine("Service: new residence permit"),
        ReceiptLine("Document no. 4302**********1236"),
        ReceiptLine("What happens next", L.HEADING),
        ReceiptLine("The card will be posted to: 36 Xinhua West Road, Hetang District, "
                    "Zhuzhou, Hunan"),
        ReceiptLine("Please keep this receipt", L.SMALL, "center"),
    ), qr_payload=url, qr_caption="Scan to follow your application")
