"""Why a kiosk is not simply OK: a stable code, a severity and a sentence in both languages.

The hall manager reads these on the dashboard and in alerts, so they name the device and the
supply in words, and say what the kiosk does meanwhile. Device codes (``paper_out``) are the
drivers' own; nothing here can carry personal data, since heartbeats carry none.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict

from protocol.wire import Text


class Severity(int, Enum):
    """How much a reason weighs; a kiosk's state is its heaviest reason."""

    INFO = 0  # shown, changes nothing (maintenance, outside service hours)
    WARNING = 1
    ERROR = 2
    OFFLINE = 3


class KioskReason(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    severity: Severity
    text: Text
    device: str = ""
    supply: str = ""


DEVICES = {"reader": ("证件阅读器", "document reader"), "camera": ("摄像头", "camera"),
           "receipt_printer": ("回执打印机", "receipt printer"),
           "card_printer": ("制证打印机", "card printer"), "scanner": ("扫码器", "barcode scanner")}
SUPPLIES = {"paper": ("回执纸", "receipt paper"), "cards": ("空白卡", "blank cards"),
            "ribbon": ("色带", "ribbon")}
# What the kiosk does while a supply is out: it serves on, so it is a warning, not an error.
FALLBACK = {"paper": ("回执改为二维码显示", "receipts are shown as a QR code"),
            "cards": ("证卡改为邮寄", "cards are posted instead"),
            "ribbon": ("证卡改为邮寄", "cards are posted instead")}


def _device(name: str) -> tuple[str, str]:
    return DEVICES.get(name, (name, name.replace("_", " ")))


def _supply(name: str) -> tuple[str, str]:
    return SUPPLIES.get(name, (name, name))


def duration(seconds: float) -> tuple[str, str]:
    """'95 秒' / '95 s', '12 分钟' / '12 min', '3.5 小时' / '3.5 h'."""
    if seconds < 120:
        return f"{seconds:.0f} 秒", f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} 分钟", f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} 小时", f"{seconds / 3600:.1f} h"


def _reason(code: str, severity: Severity, zh: str, en: str, **where: str) -> KioskReason:
    return KioskReason(code=code, severity=severity, text=Text(zh_CN=zh, en=en), **where)


def never_heard() -> KioskReason:
    return _reason("never_heard", Severity.OFFLINE, "尚未收到过心跳，可能尚未安装或未联网。",
                   "Never heard from: not installed yet, or not on the network.")


def no_heartbeat(age_s: float) -> KioskReason:
    zh, en = duration(age_s)
    return _reason("no_heartbeat", Severity.OFFLINE, f"已 {zh} 没有心跳。",
                   f"No heartbeat for {en}.")


def device_error(device: str, code: str) -> KioskReason:
    zh, en = _device(device)
    return _reason("device_error", Severity.ERROR, f"{zh}故障（{code or '未知'}）。",
                   f"{en.capitalize()} fault ({code or 'unknown'}).", device=device)


def device_offline(device: str) -> KioskReason:
    zh, en = _device(device)
    return _reason("device_offline", Severity.ERROR, f"{zh}离线或无响应。",
                   f"{en.capitalize()} offline or not answering.", device=device)


def device_warning(device: str, code: str) -> KioskReason:
    zh, en = _device(device)
    return _reason("device_warning", Severity.WARNING, f"{zh}需要注意（{code or '未知'}）。",
                   f"{en.capitalize()} needs attention ({code or 'unknown'}).", device=device)


def device_unknown(device: str) -> KioskReason:
    zh, en = _device(device)
    return _reason("device_unknown", Severity.WARNING, f"{zh}状态未知。",
                   f"{en.capitalize()}: state unknown.", device=device)


def supply_empty(device: str, supply: str) -> KioskReason:
    dz, de = _device(device)
    sz, se = _supply(supply)
    fz, fe = FALLBACK.get(supply, ("", ""))
    return _reason("supply_empty", Severity.WARNING,
                   f"{dz}{sz}已用完" + (f"，{fz}。" if fz else "。"),
                   f"{se.capitalize()} ran out on the {de}" + (f"; {fe}." if fe else "."),
                   device=device, supply=supply)


def supply_low(device: str, supply: str, remaining: int | None,
               hours_to_empty: float | None) -> KioskReason:
    dz, de = _device(device)
    sz, se = _supply(supply)
    left_zh = f"，剩余 {remaining}" if remaining is not None else ""
    left_en = f": {remaining} left" if remaining is not None else ""
    if hours_to_empty is not None:
        zh, en = duration(hours_to_empty * 3600)  # as the supply line says it
        left_zh += f"，约 {zh}后用完"
        left_en += f", about {en} to empty"
    return _reason("supply_low", Severity.WARNING, f"{dz}{sz}不足{left_zh}。",
                   f"{se.capitalize()} low on the {de}{left_en}.", device=device, supply=supply)


def outbox_stuck(depth: int, oldest_s: float) -> KioskReason:
    zh, en = duration(oldest_s)
    return _reason("outbox_stuck", Severity.WARNING,
                   f"有 {depth} 份申请未能送达，最早一份已等待 {zh}。",
                   f"{depth} application(s) not delivered; the oldest has waited {en}.")


def settings_refused(revision: int, errors: list[str]) -> KioskReason:
    why = "; ".join(errors[:3])
    return _reason("settings_refused", Severity.WARNING,
                   f"自助机拒绝了第 {revision} 版设置：{why}",
                   f"The kiosk refused settings revision {revision}: {why}")


def settings_pending(desired: int, applied: int | None, waited_s: float) -> KioskReason:
    zh, en = duration(waited_s)
    at = applied if applied is not None else 0
    return _reason("settings_pending", Severity.WARNING,
                   f"第 {desired} 版设置已下发 {zh} 仍未生效（自助机为第 {at} 版）。",
                   f"Settings revision {desired} sent {en} ago is not applied yet "
                   f"(the kiosk is at {at}).")


def maintenance() -> KioskReason:
    return _reason("maintenance", Severity.INFO, "维护中，暂停为群众服务。",
                   "In maintenance: not serving residents.")


def closed() -> KioskReason:
    return _reason("closed", Severity.INFO, "服务时间以外。", "Outside its service hours.")


def out_of_service(code: str) -> KioskReason:
    return _reason("out_of_service", Severity.ERROR, f"暂停服务（{code}）。",
                   f"Out of service ({code}).")
