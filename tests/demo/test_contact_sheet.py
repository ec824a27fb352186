"""The demo's contact sheet and console table, on a small output folder made here."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from tools.demo.contact_sheet import contact_sheet, write_contact_sheet
from tools.demo.report import card_outcome, summary_table

ODD = 'the <script>alert("x")</script> & co'


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.srcs: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href") and not a["href"].startswith("#"):
            self.hrefs.append(unquote(a["href"]))
        if tag == "img":
            self.srcs.append(unquote(a["src"]))


def png(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x89PNG\r\n\x1a\n")  # the sheet links pictures, it never opens them


def record(name: str, **kw) -> dict:
    return {"name": name, "persona": "eligible", "language": "zh_CN", "decision": None,
            "application_number": None, "card_printed": False, "fulfilment": None,
            "screenshots": [], "printed": [], "seconds": 1.0, "ok": True, "error": "",
            "about_en": "", "about_zh": ""} | kw


def demo_folder(tmp_path: Path) -> Path:
    out = tmp_path / "demo-output"
    shots = ["01-eligible_zh/01-attract.png", "01-eligible_zh/02-language.png",
             "01-eligible_zh/10-receipt.png"]
    for p in shots + ["01-eligible_zh/card-1a2b.png", "01-eligible_zh/receipt-3c4d.png",
                      "02-odd/01-attract.png", "03-fleet_dashboard/01-login.png",
                      "03-fleet_dashboard/02-overview-zh.png", "stray.png"]:
        png(out / p)
    journeys = [
        record("eligible_zh", decision="eligible", application_number="ZZ-261207-ABCDEF",
               card_printed=True, fulfilment="print_here", screenshots=shots,
               printed=["card-1a2b.png", "receipt-3c4d.png"], seconds=25.43,
               about_en="an eligible resident", about_zh="符合条件的居民"),
        record("odd", about_en=ODD, ok=False, error="expected <decision> & more",
               screenshots=["02-odd/01-attract.png"]),
    ]
    (out / "summary.json").write_text(json.dumps({"ok": False, "journeys": journeys}))
    (out / "logs").mkdir()
    (out / "logs" / "kiosk.log").write_text("")
    return out


def test_every_picture_is_linked_and_shown(tmp_path):
    out = demo_folder(tmp_path)
    links = Links()
    links.feed(contact_sheet(out))
    pngs = {p.relative_to(out).as_posix() for p in out.rglob("*.png")}
    assert pngs <= set(links.hrefs), pngs - set(links.hrefs)
    assert pngs == set(links.srcs)
    assert all((out / href).exists() for href in links.hrefs), "relative links into the folder"
    assert "logs/kiosk.log" in links.hrefs


def test_screens_in_order_then_printouts_then_dashboard(tmp_path):
    html = contact_sheet(demo_folder(tmp_path))
    order = ["01-eligible_zh/01-attract.png", "01-eligible_zh/02-language.png",
             "01-eligible_zh/10-receipt.png", "01-eligible_zh/card-1a2b.png",
             "02-odd/01-attract.png", "03-fleet_dashboard/01-login.png"]
    positions = [html.index(f'href="{p}"') for p in order]
    assert positions == sorted(positions)
    printed = html[html.index("Printed"):html.index('id="02-odd"')]
    assert "card-1a2b.png" in printed and "10-receipt.png" not in printed, \
        "the receipt screen is a screen; the receipt file is a printout"


def test_summary_at_the_top_in_both_languages(tmp_path):
    html = contact_sheet(demo_folder(tmp_path))
    table = html[html.index("<table>"):html.index("</table>")]
    assert html.index("<table>") < html.index("<figure>")
    for text in ("eligible_zh", "ZZ-261207-ABCDEF", "printed here", "当场制证", "25.4", "OK",
                 "FAILED", "an eligible resident", "符合条件的居民", "旅程 Journey"):
        assert text in table, text
    assert "1 of 2 journeys OK" in html


def test_names_and_errors_are_escaped(tmp_path):
    html = contact_sheet(demo_folder(tmp_path))
    assert "<script>" not in html
    assert "the &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    assert "expected &lt;decision&gt; &amp; more" in html


def test_self_contained(tmp_path):
    html = write_contact_sheet(demo_folder(tmp_path)).read_text(encoding="utf-8")
    links = Links()
    links.feed(html)
    assert all(":" not in h and not h.startswith("/") for h in links.hrefs + links.srcs)
    assert "<link" not in html and "<script" not in html and "url(" not in html


def test_without_a_summary_the_pictures_are_still_there(tmp_path):
    out = demo_folder(tmp_path)
    (out / "summary.json").unlink()
    links = Links()
    links.feed(contact_sheet(out))
    assert {p.relative_to(out).as_posix() for p in out.rglob("*.png")} <= set(links.hrefs)
    assert "logs/kiosk.log" in links.hrefs


def test_console_table_and_the_card_column():
    rows = summary_table([
        record("eligible_zh", decision="eligible", application_number="ZZ-1",
               card_printed=True, seconds=25.43),
        record("paper_out_en", application_number="ZZ-2", fulfilment="courier", ok=False)])
    assert rows[0].split() == ["journey", "decision", "application", "card", "seconds",
                               "result"]
    assert rows[1].split()[-2:] == ["25.4", "OK"] and "printed here" in rows[1]
    assert "posted" in rows[2] and rows[2].endswith("FAILED")
    assert card_outcome(record("senior_en")) == "none"
    assert card_outcome(record("x", application_number="ZZ-3", fulfilment="pickup")) == "pickup"


def test_landscape_screens_get_wider_thumbnails(tmp_path):
    from PIL import Image
    out = tmp_path / "out"
    for name, size in (("01-wide/01-attract.png", (192, 108)), ("02-tall/01-attract.png",
                                                                (108, 192))):
        (out / name).parent.mkdir(parents=True)
        Image.new("RGB", size, "white").save(out / name)
    html = contact_sheet(out)
    wide, tall = html.split('id="02-tall"')
    assert "grid landscape" in wide and "grid landscape" not in tall
