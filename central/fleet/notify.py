"""Alert notices out of the building: a JSON POST to a webhook, and an e-mail over SMTP.

A notice names the kiosk, its hall, the kind of trouble and the device, with a sentence in
both languages; kiosks know nothing personal, and nothing here adds any. Each channel is tried
once per notice with a short timeout: the next evaluation is never far off, and a notice
that could not go out is logged by channel and error type.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from email.message import EmailMessage
from typing import Protocol

import requests
from pydantic import BaseModel

from protocol.wire import Text

log = logging.getLogger("central.alerts")


class AlertNotice(BaseModel):
    """What a webhook receives (as JSON) and what an e-mail says."""

    status: str  # "raised" or "resolved"
    kind: str
    kiosk_id: str
    hall_id: str | None
    subject: str  # the device, or "" for the kiosk as a whole
    detail: str  # a stable code
    title: Text
    text: Text
    raised_at: dt.datetime
    resolved_at: dt.datetime | None = None


class Notifier(Protocol):
    name: str

    def send(self, notice: AlertNotice) -> None: ...


class WebhookNotifier:
    name = "webhook"

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        self.url, self.timeout_s = url, timeout_s
        self._session = requests.Session()

    def send(self, notice: AlertNotice) -> None:
        answer = self._session.post(self.url, json=notice.model_dump(mode="json"),
                                    timeout=self.timeout_s)
        answer.raise_for_status()


class MailNotifier:
    name = "mail"

    def __init__(self, host: str, port: int, sender: str, recipients: list[str],
                 timeout_s: float = 5.0, starttls: bool = False) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.recipients, self.timeout_s, self.starttls = list(recipients), timeout_s, starttls

    def send(self, notice: AlertNotice) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout_s) as smtp:
            if self.starttls:
                smtp.starttls()
            smtp.send_message(mail_for(notice, self.sender, self.recipients))


def mail_for(notice: AlertNotice, sender: str, recipients: list[str]) -> EmailMessage:
    """Chinese first, English beside it, in the subject and the body."""
    raised = notice.status == "raised"
    tag_zh, tag_en = ("告警", "ALERT") if raised else ("已恢复", "RESOLVED")
    where = (notice.kiosk_id or "多台自助机 many kiosks") + (
        f" · {notice.subject}" if notice.subject else "")
    msg = EmailMessage()
    msg["Subject"] = (f"[OneTrip] {tag_zh} {tag_en}: {notice.title.zh_CN} / {notice.title.en}"
                      f" — {where}")
    msg["From"], msg["To"] = sender, ", ".join(recipients)
    hall = notice.hall_id or "（未分配 unassigned）"
    kiosk_zh = [f"自助机：{notice.kiosk_id}  服务厅：{hall}"] if notice.kiosk_id else []
    kiosk_en = [f"Kiosk: {notice.kiosk_id}  Hall: {hall}"] if notice.kiosk_id else []
    lines = [f"{tag_zh}：{notice.title.zh_CN}", notice.text.zh_CN, *kiosk_zh,
             f"发生时间：{notice.raised_at:%Y-%m-%d %H:%M:%S} UTC", "",
             f"{tag_en}: {notice.title.en}", notice.text.en, *kiosk_en,
             f"Raised: {notice.raised_at:%Y-%m-%d %H:%M:%S} UTC"]
    if notice.resolved_at:
        lines += [f"Resolved 恢复时间: {notice.resolved_at:%Y-%m-%d %H:%M:%S} UTC"]
    msg.set_content("\n".join(lines) + "\n")
    return msg


def deliver(notices: list[AlertNotice], notifiers: list[Notifier]) -> int:
    """Send each notice on each channel; how many sends failed (logged, never raised)."""
    failed = 0
    for notice in notices:
        for channel in notifiers:
            try:
                channel.send(notice)
            except Exception as exc:  # noqa: BLE001 - one channel's trouble stops no other
                failed += 1
                log.error("alert %s %s not sent by %s: %s", notice.status, notice.kind,
                          channel.name, type(exc).__name__)
    return failed
