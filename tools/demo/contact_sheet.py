"""The demo's contact sheet: <output>/index.html, one page to look at everything the demo made.

At the top the journeys' table (from summary.json), then each journey's screens in the order
they were shown, as thumbnails that open the full picture, and what it printed (receipt,
card); then the fleet dashboard's pages. The page is self-contained (its style inline, no
script, nothing fetched) and links the PNGs by relative paths, so the folder can be copied
anywhere and opened from disk. Labels name things in Chinese and in English.

    python -m tools.demo.contact_sheet demo-output     # (re)writes demo-output/index.html
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tools.demo.report import card_outcome, read_summary

INDEX = "index.html"
NUMBERED = re.compile(r"^(\d+)-(.+)$")
DASHBOARD = "fleet_dashboard"

SCREENS_ZH = {
    "attract": "待机", "language": "选择语言", "service_menu": "服务菜单",
    "present_document": "放置证件", "access_key": "输入访问码", "reading_document": "读取证件",
    "confirm_details": "核对信息", "declare_residence": "申报居住地",
    "declare_condition": "申报居住条件", "checking_eligibility": "核验资格", "photo": "拍照",
    "decision": "办理结果", "fulfilment": "领取方式", "submitting": "提交申请",
    "printing_card": "制证", "receipt": "回执", "status_lookup": "查询进度",
    "status_result": "查询结果", "problem": "出现问题", "out_of_service": "暂停服务",
    "idle_warning": "无操作提醒", "diagnostics": "技术员诊断", "diagnostics_pin": "诊断密码",
    "diagnostics_enrol": "登记本机",
}
PAGES_ZH = {  # words in the dashboard pictures' names
    "login": "登录", "overview": "总览", "kiosk": "自助机", "journeys": "办理统计",
    "tablet": "平板", "technician": "技术员", "enrol": "登记", "form": "表单",
    "enrolment": "登记码", "zh": "中文", "en": "英文",
}
PRINTED_ZH = {"receipt": "回执", "card": "居住证"}
DECISIONS_ZH = {"eligible": "符合申领条件", "not_yet": "暂未满足居住时间",
                "not_required": "无需申领", "ineligible": "不能办理", "needs_review": "需要审核"}
CARDS_ZH = {"printed here": "当场制证", "posted": "邮寄", "pickup": "站点自取",
            "not printed": "未能制证", "none": "无"}

STYLE = """
body { font: 15px/1.45 system-ui, "Noto Sans CJK SC", "WenQuanYi Micro Hei", "Microsoft YaHei",
       sans-serif; color: #1d2329; background: #f4f5f7; margin: 0; }
main { max-width: 1360px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 4px; padding-top: 12px; border-top: 2px solid #d5d9de; }
h3 { font-size: 15px; margin: 14px 0 8px; color: #4a545e; }
p { margin: 4px 0; }
.lead { color: #4a545e; margin-bottom: 16px; }
a { color: #0b5cad; }
table { border-collapse: collapse; background: #fff; width: 100%; }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid #e3e6ea;
         vertical-align: top; }
th { background: #e9ecf0; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, monospace; white-space: nowrap; }
.zh { color: #5d6873; font-size: 13px; }
.nw { white-space: nowrap; }
.ok { color: #157f3b; font-weight: 700; }
.failed { color: #b3261e; font-weight: 700; }
tr.failed td { background: #fdecea; }
.error { background: #fdecea; border-left: 4px solid #b3261e; padding: 6px 10px; }
.grid { display: grid; gap: 14px 12px;
        grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); }
.grid.pages, .grid.landscape { grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); }
figure { margin: 0; }
figure a { display: block; }
figure img { display: block; width: 100%; height: auto; background: #fff;
             border: 1px solid #c9ced4; border-radius: 4px; }
figure a:hover img { outline: 3px solid #0b5cad; }
.pages img { max-height: 260px; object-fit: cover; object-position: left top; }
.printed { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.printed img { width: auto; height: 300px; }
figcaption { font-size: 12.5px; color: #4a545e; margin-top: 3px; overflow-wrap: anywhere; }
nav { margin: 10px 0 0; font-size: 13.5px; }
"""


@dataclass
class Group:
    """One numbered folder of pictures: a journey's, or the dashboard's."""
    number: str
    name: str
    folder: str
    record: Mapping[str, Any] | None
    screens: list[str] = field(default_factory=list)  # paths relative to the output folder
    printed: list[str] = field(default_factory=list)


def _landscape(path: Path) -> bool:
    """Whether a PNG is wider than tall (its IHDR chunk; False when it cannot be read)."""
    try:
        with open(path, "rb") as f:
            head = f.read(24)
    except OSError:
        return False
    if len(head) < 24 or head[12:16] != b"IHDR":
        return False
    return int.from_bytes(head[16:20], "big") > int.from_bytes(head[20:24], "big")


def _href(path: str) -> str:
    return escape(quote(path), quote=True)


def _groups(folder: Path, records: list[Mapping[str, Any]]) -> list[Group]:
    by_name = {r.get("name"): r for r in records}
    groups = []
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and NUMBERED.match(p.name)):
        number, name = NUMBERED.match(sub.name).groups()
        record = by_name.get(name)
        group = Group(number, name, sub.name, record)
        pictures = sorted(p.name for p in sub.glob("*.png"))
        printed = set((record or {}).get("printed") or []) | {
            n for n in pictures if not NUMBERED.match(n)}
        in_order = [Path(s).name for s in (record or {}).get("screenshots") or []]
        screens = [n for n in in_order if n in pictures and n not in printed]
        screens += [n for n in pictures if n not in printed and n not in screens]
        group.screens = [f"{sub.name}/{n}" for n in screens]
        group.printed = [f"{sub.name}/{n}" for n in pictures if n in printed]
        groups.append(group)
    return groups


def _others(folder: Path, groups: list[Group]) -> list[str]:
    """Pictures in no journey's folder (so that every PNG the demo made is linked)."""
    linked = {p for g in groups for p in g.screens + g.printed}
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png")
                  if p.relative_to(folder).as_posix() not in linked)


def _caption(path: str, dashboard: bool) -> str:
    stem = Path(path).stem
    m = NUMBERED.match(stem)
    number, name = m.groups() if m else ("", stem)
    if dashboard:
        zh = " ".join(PAGES_ZH.get(w, "") for w in name.split("-")).split()
        return f"{number} {escape(name)} <span class=zh>{escape(' '.join(zh))}</span>"
    zh = SCREENS_ZH.get(name, "")
    return f"{number} {escape(name)} <span class=zh>{escape(zh)}</span>"


def _printed_caption(path: str) -> str:
    kind = Path(path).stem.split("-")[0]
    return f"{escape(kind)} <span class=zh>{escape(PRINTED_ZH.get(kind, ''))}</span>"


def _figure(path: str, caption: str) -> str:
    return (f'<figure><a href="{_href(path)}"><img src="{_href(path)}" loading="lazy" '
            f'alt="{escape(Path(path).name)}"></a><figcaption>{caption}</figcaption></figure>')


def _label(en: str, zh_map: Mapping[str, str]) -> str:
    zh = zh_map.get(en, "")
    return f"<span class=nw>{escape(en)}</span>" + (
        f"<br><span class=zh>{escape(zh)}</span>" if zh else "")


def _summary_table(records: list[Mapping[str, Any]], anchors: dict[str, str]) -> str:
    head = ("#", "旅程 Journey", "说明 About", "结果 Decision", "申请编号 Application",
            "居住证 Card", "用时 Seconds", "状态 Result")
    rows = ["<tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr>"]
    for i, r in enumerate(records, 1):
        name = str(r.get("name", ""))
        anchor = anchors.get(name)
        linked = f'<a href="#{escape(anchor)}">{escape(name)}</a>' if anchor else escape(name)
        decision = r.get("decision") or "-"
        ok = bool(r.get("ok"))
        result = '<span class=ok>OK</span>' if ok else '<span class=failed>FAILED</span>'
        rows.append(
            f'<tr class="{"" if ok else "failed"}"><td class=num>{i}</td><td>{linked}</td>'
            f'<td>{escape(str(r.get("about_en", "")))}<br><span class=zh>'
            f'{escape(str(r.get("about_zh", "")))}</span></td>'
            f'<td>{_label(decision, DECISIONS_ZH)}</td>'
            f'<td class=code>{escape(str(r.get("application_number") or "-"))}</td>'
            f'<td>{_label(card_outcome(r), CARDS_ZH)}</td>'
            f'<td class=num>{float(r.get("seconds") or 0):.1f}</td><td>{result}</td></tr>')
    return "<table>" + "\n".join(rows) + "</table>"


def _journey_section(g: Group, folder: Path) -> str:
    r = g.record or {}
    ok = bool(r.get("ok"))
    status = ('<span class=ok>OK</span>' if ok else '<span class=failed>FAILED</span>') \
        if g.record is not None else ""
    out = [f'<section id="{escape(g.folder)}">'
           f'<h2>{escape(g.number)} {escape(g.name)} {status}</h2>']
    if g.record is not None:
        out.append(f'<p>{escape(str(r.get("about_en", "")))} <span class=zh>'
                   f'{escape(str(r.get("about_zh", "")))}</span></p>')
        facts = [("语言 language", r.get("language")), ("居民 resident", r.get("persona")),
                 ("结果 decision", r.get("decision")),
                 ("申请编号 application", r.get("application_number")),
                 ("居住证 card", card_outcome(r)),
                 ("用时 seconds", f'{float(r.get("seconds") or 0):.1f}')]
        out.append("<p class=zh>" + " · ".join(
            f"{escape(k)}: {escape(str(v))}" for k, v in facts if v not in (None, "", "-"))
            + "</p>")
        if not ok and r.get("error"):
            out.append(f'<p class=error>{escape(str(r["error"]))}</p>')
    if g.screens:
        wide = " landscape" if _landscape(folder / g.screens[0]) else ""
        out.append(f"<h3>屏幕 Screens ({len(g.screens)})</h3><div class='grid{wide}'>")
        out += [_figure(p, _caption(p, dashboard=False)) for p in g.screens]
        out.append("</div>")
    if g.printed:
        out.append("<h3>打印件 Printed</h3><div class=printed>")
        out += [_figure(p, _printed_caption(p)) for p in g.printed]
        out.append("</div>")
    out.append("</section>")
    return "\n".join(out)


def _dashboard_section(g: Group) -> str:
    out = [f'<section id="{escape(g.folder)}"><h2>{escape(g.number)} 管理后台 fleet dashboard</h2>',
           "<p>Headless Chromium signed in as a hall manager, then as a technician. "
           "<span class=zh>浏览器以大厅管理员、技术员身份登录后的页面。</span></p>",
           "<div class='grid pages'>"]
    out += [_figure(p, _caption(p, dashboard=True)) for p in g.screens + g.printed]
    out.append("</div></section>")
    return "\n".join(out)


def contact_sheet(folder: Path) -> str:
    """The contact sheet's HTML for a demo output folder (its summary.json and numbered
    folders of PNGs); every PNG under the folder is linked."""
    summary = read_summary(folder)
    records = list((summary or {}).get("journeys") or [])
    groups = _groups(folder, records)
    anchors = {g.name: g.folder for g in groups}
    ok = sum(1 for r in records if r.get("ok"))
    logs = sorted(p.name for p in (folder / "logs").glob("*.log")) \
        if (folder / "logs").is_dir() else []
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             "<title>OneTrip Kiosk demo 演示</title>", f"<style>{STYLE}</style></head>",
             "<body><main>", "<h1>OneTrip Kiosk demo <span class=zh>自助机演示</span></h1>"]
    if summary is None:
        parts.append("<p class=error>No summary.json: the kiosk process stopped before the "
                     "end; read logs/kiosk.log. <span class=zh>演示未完成，请查看日志。</span></p>")
    else:
        parts.append(f'<p class=lead>{ok} of {len(records)} journeys OK '
                     f'<span class=zh>{len(records)} 个旅程中 {ok} 个成功</span>. '
                     "An autopilot resident tapped the real kiosk window on simulated devices; "
                     "each picture is the window as shown. Click a picture for full size. "
                     "<span class=zh>点击图片查看原图。</span></p>")
        parts.append(_summary_table(records, anchors))
    nav = [f'<a href="#{escape(g.folder)}">{escape(g.number)} {escape(g.name)}</a>'
           for g in groups]
    parts.append("<nav>" + " · ".join(nav) + "</nav>")
    if logs:
        parts.append("<p class=zh>日志 Logs: " + ", ".join(
            f'<a href="{_href("logs/" + n)}">logs/{escape(n)}</a>' for n in logs) + "</p>")
    for g in groups:
        parts.append(_dashboard_section(g) if g.name == DASHBOARD else _journey_section(g, folder))
    others = _others(folder, groups)
    if others:
        parts.append("<section id=other><h2>其他图片 Other pictures</h2><div class=grid>")
        parts += [_figure(p, escape(p)) for p in others]
        parts.append("</div></section>")
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def write_contact_sheet(folder: Path) -> Path:
    path = folder / INDEX
    path.write_text(contact_sheet(folder), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_contact_sheet(Path(sys.argv[1] if len(sys.argv) > 1 else "demo-output")))
