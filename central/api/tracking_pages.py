"""The page the receipt's QR code opens on a phone: state and next step, in Chinese and English.

Anyone holding the receipt can open it, so it shows no name and no document number, only the
application number, what is happening, and what to do.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from protocol import wire
from central.permits.dates import en_date, zh_date
from central.permits.status import STATE_LABELS

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
TITLE = wire.Text(zh_CN="居住证申请进度", en="Residence permit application")


def _dates(status: wire.ApplicationStatus) -> str:
    rows = []
    if status.start_date:
        rows.append(("生效日期 / Starts", status.start_date))
    if status.card_valid_until:
        rows.append(("有效期至 / Valid until", status.card_valid_until))
    return "".join(f"<tr><td>{escape(label)}</td><td>{escape(zh_date(day))}<br>"
                   f"<span class=\"en\">{escape(en_date(day))}</span></td></tr>"
                   for label, day in rows)


def _history(status: wire.ApplicationStatus) -> str:
    rows = []
    for event in status.history:
        label = STATE_LABELS[event.state]
        note = f"<br>{_both(event.note, 'span')}" if event.note else ""
        local = event.at.astimezone(CHINA_TIME).strftime("%Y-%m-%d %H:%M")
        rows.append(f"<tr><td>{escape(local)}</td>"
                    f"<td>{escape(label.zh_CN)} / {escape(label.en)}{note}</td></tr>")
    return "".join(rows)


def tracking_page(status: wire.ApplicationStatus) -> str:
    label = STATE_LABELS[status.state]
    body = (f'<div class="card"><p>申请编号 / Application number</p>'
            f'<p><strong>{escape(status.application_number)}</strong></p>'
            f'<p class="state">{escape(label.zh_CN)}</p><p class="state en">{escape(label.en)}</p>'
            f'<table>{_dates(status)}</table></div>'
            f'<div class="card"><h2>下一步 / Next step</h2>{_both(status.next_step)}</div>'
            f'<div class="card"><h2>办理记录（北京时间）/ History (China time)</h2>'
            f'<table>{_history(status)}</table></div>')
    return _page(TITLE, body)


def not_found_page(number: str) -> str:
    body = ('<div class="card">'
            + _both(wire.Text(zh_CN=f"未找到申请编号 {number}，请核对回执上的编号。",
                              en=f"No application has the number {number}; please check the "
                                 "number on your receipt."))
            + "</div>")
    return _page(TITLE, body)


def pending_page() -> str:
    body = ('<div class="card">'
            + _both(wire.Text(zh_CN="您的申请已在自助机受理，正在等待提交到办证系统，请稍后再查看。",
                              en="Your application was accepted at the kiosk and is waiting to "
                                 "reach the permit system. Please check again later."))
            + "</div>")
    return _page(TITLE, body)
