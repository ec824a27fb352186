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

from central.i18n import LANGUAGES, Message, both, pick, say, side_by_side
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
    tag = Message("mail.raised" if notice.status == "raised" else "mail.resolved")
    where = (notice.kiosk_id or side_by_side("mail.many_kiosks")) + (
        f" · {notice.subject}" if notice.subject else "")
    msg = EmailMessage()
    msg["Subject"] = (f"[OneTrip] {side_by_side(tag.msgid)}: {notice.title.zh_CN} / "
                      f"{notice.title.en} — {where}")
    msg["From"], msg["To"] = sender, ", ".join(recipients)
    # no hall: said in both languages inside Chinese brackets (the line is read in both)
    hall = notice.hall_id or say("zh_CN", "punct.parenthesised",
                                 text=side_by_side("mail.no_hall"))
    lines: list[str] = []
    for language in LANGUAGES:
        lines += [say(language, "mail.headline", tag=tag, title=notice.title),
                  pick(notice.text, language)]
        if notice.kiosk_id:
            lines.append(say(language, "mail.where", kiosk=notice.kiosk_id, hall=hall))
        lines += [say(language, "mail.raised_at", at=f"{notice.raised_at:%Y-%m-%d %H:%M:%S}"), ""]
    lines.pop()  # no blank line after the last language
    if notice.resolved_at:
        resolved = both("mail.resolved_at")  # English first, as it always was
        lines += [f"{resolved.en} {resolved.zh_CN}: {notice.resolved_at:%Y-%m-%d %H:%M:%S} UTC"]
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
