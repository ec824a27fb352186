"""The page the receipt's QR code opens on a phone: state and next step, in Chinese and English.

Anyone holding the receipt can open it, so it shows no name and no document number, only the
application number, what is happening, and what to do.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from central.i18n import bilingual, both
from central.permits.status import state_label
from protocol import wire

STYLE = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif;margin:0;
background:#f4f6f8;color:#1d2733}
main{max-width:36rem;margin:0 auto;padding:1.2rem}
h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:0 0 .5rem}
.card{background:#fff;border-radius:.6rem;padding:1rem;margin-bottom:1rem;
box-shadow:0 1px 3px rgba(0,0,0,.1)}
.state{font-size:1.4rem;font-weight:bold;color:#0b5cab}
.en{color:#55606e}
table{width:100%;border-collapse:collapse}td{padding:.3rem 0;vertical-align:top}
"""


def _both(text: wire.Text, tag: str = "p") -> str:
    return (f'<{tag} lang="zh-CN">{escape(text.zh_CN)}</{tag}>'
            f'<{tag} lang="en" class="en">{escape(text.en)}</{tag}>')


def _page(title: wire.Text, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"robots\" content=\"noindex\">"
            f"<title>{escape(title.zh_CN)} / {escape(title.en)}</title><style>{STYLE}</style>"
            f"</head><body><main><h1>{escape(title.zh_CN)}<br><span class=\"en\">"
            f"{escape(title.en)}</span></h1>{body}</main></body></html>\n")


CHINA_TIME = dt.timezone(dt.timedelta(hours=8), "CST")


def _pair(msgid: str, between: str = " / ") -> str:
    """A label in both languages on one line (escaped)."""
    text = both(msgid)
    return escape(text.zh_CN + between + text.en)


def _dates(status: wire.ApplicationStatus) -> str:
    rows = []
    if status.start_date:
        rows.append(("tracking.starts", bilingual(status.start_date)))
    if status.card_valid_until:
        rows.append(("tracking.valid_until", bilingual(status.card_valid_until)))
    return "".join(f"<tr><td>{_pair(label)}</td><td>{escape(day.zh_CN)}<br>"
                   f"<span class=\"en\">{escape(day.en)}</span></td></tr>"
                   for label, day in rows)


def _history(status: wire.ApplicationStatus) -> str:
    rows = []
    for event in status.history:
        label = state_label(event.state)
        note = f"<br>{_both(event.note, 'span')}" if event.note else ""
        local = event.at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        rows.append(f"<tr><td>{escape(local)}</td>"
                    f"<td>{escape(label.zh_CN)} / {escape(label.en)}{note}</td></tr>")
    return "".join(rows)


def tracking_page(status: wire.ApplicationStatus) -> str:
    label = state_label(status.state)
    body = (f'<div class="card"><p>{_pair("tracking.application_number")}</p>'
            f'<p><strong>{escape(status.application_number)}</strong></p>'
            f'<p class="state">{escape(label.zh_CN)}</p><p class="state en">{escape(label.en)}</p>'
            f'<table>{_dates(status)}</table></div>'
            f'<div class="card"><h2>{_pair("tracking.next_step")}</h2>'
            f'{_both(status.next_step)}</div>'
            # a full-width bracket ends the Chinese: no space before the slash
            f'<div class="card"><h2>{_pair("tracking.history", "/ ")}</h2>'
            f'<table>{_history(status)}</table></div>')
    return _page(both("tracking.title"), body)


def not_found_page(number: str) -> str:
    body = '<div class="card">' + _both(both("tracking.not_found", number=number)) + "</div>"
    return _page(both("tracking.title"), body)


def pending_page() -> str:
    body = '<div class="card">' + _both(both("tracking.pending")) + "</div>"
    return _page(both("tracking.title"), body)
