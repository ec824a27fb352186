"""Full journeys through the real Kivy UI, touched by the autopilot, in both languages.

Kivy runs one App per process, so every scenario is its own ``python -m tools.demo.kiosk_demo``
subprocess; the demo's summary.json says what happened, its PNGs are what was shown, its
logs/kiosk.log what the kiosk logged. The last test runs the whole ``make demo`` command on
one journey.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from PIL import Image

from tools.demo.run import write_kiosk_config

pytestmark = pytest.mark.ui

ROOT = Path(__file__).resolve().parents[2]


def run_demo(tmp_path: Path, display: str, central, journeys: list[str],
             orientation: str = "portrait") -> dict:
    config = write_kiosk_config(tmp_path, central.url, orientation, scale=0.4)
    output = tmp_path / "out"
    cmd = [sys.executable, "-m", "tools.demo.kiosk_demo", "--config", str(config), "--output", str(output),
           "--central-database", central.database]
    for name in journeys:
        cmd += ["--journey", name]
    env = dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT))
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    summary = json.loads((output / "summary.json").read_text()) \
        if (output / "summary.json").exists() else {}
    log = output / "logs" / "kiosk.log"
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + (
        log.read_text(errors="replace")[-3000:] if log.exists() else "")
    summary["output"] = output
    return summary


def assert_real_picture(path: Path) -> None:
    assert path.stat().st_size > 0
    with Image.open(path) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 1, f"{path.name} is a single colour"


def check_journey(summary: dict, name: str, must_visit: list[str]) -> dict:
    journey = next(j for j in summary["journeys"] if j["name"] == name)
    assert journey["ok"], journey["error"]
    for step in must_visit:
        assert step in journey["steps"], (step, journey["steps"])
    assert journey["wiped"], "personal data left in the session"
    assert journey["texts_checked"], "no on-screen text was checked"
    assert journey["screenshots"]
    for shot in journey["screenshots"]:
        assert_real_picture(summary["output"] / shot)
    return journey


def test_eligible_resident_in_chinese_prints_card(tmp_path, display, central):
    summary = run_demo(tmp_path, display, central, ["eligible_zh"])
    journey = check_journey(summary, "eligible_zh", [
        "language", "service_menu", "present_document", "confirm_details", "declare_residence",
        "declare_condition", "checking_eligibility", "decision", "fulfilment", "receipt",
        "attract"])
    assert journey["decision"] == "eligible"
    assert journey["photo_took_itself"], "the live guidance took the photo under Xvfb"
    assert journey["card_printed"] and journey["receipt_printed"]
    assert any("确认居住信息" in t for t in journey["texts_checked"])
    assert any(p.startswith("card") for p in journey["printed"])


def test_senior_not_yet_and_passport_in_english(tmp_path, display, central):
    summary = run_demo(tmp_path, display, central, ["senior_en", "not_yet_en", "passport_en"])
    passport = check_journey(summary, "passport_en", ["access_key", "reading_document",
                                                      "confirm_details", "attract"])
    assert any(t.startswith("error.wrong_access_key=") for t in passport["texts_checked"])
    senior = check_journey(summary, "senior_en", ["decision", "attract"])
    assert senior["decision"] == "not_required"
    assert any("You do not need a residence permit" in t for t in senior["texts_checked"])
    assert "declare_residence" not in " ".join(senior["screenshots"])  # told before declaring
    not_yet = check_journey(summary, "not_yet_en", ["decision", "submitting", "receipt"])
    assert any("Confirm my address" in t for t in not_yet["texts_checked"])
    assert not_yet["decision"] == "not_yet" and not_yet["application_number"]


def test_idle_diagnostics_and_paper_out_landscape(tmp_path, display, central):
    summary = run_demo(tmp_path, display, central, ["idle_zh", "diagnostics", "paper_out_en"],
                       orientation="landscape")
    idle = check_journey(summary, "idle_zh", ["service_menu", "attract"])
    assert any(s.endswith("idle_warning.png") for s in idle["screenshots"])
    diagnostics = next(j for j in summary["journeys"] if j["name"] == "diagnostics")
    assert diagnostics["ok"], diagnostics["error"]
    shot = summary["output"] / diagnostics["screenshots"][-2]
    with Image.open(shot) as image:
        assert image.size[0] > image.size[1]  # the landscape window the config asked for
    paper_out = check_journey(summary, "paper_out_en", ["receipt", "attract"])
    assert any(t.startswith("done.photograph_qr=") for t in paper_out["texts_checked"])
    assert not paper_out["receipt_printed"]  # nothing came out: the QR code was on screen


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: set[str] = set()

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href and not href.startswith("#"):
            self.hrefs.add(unquote(href))


def test_make_demo_on_one_journey_says_little_and_files_the_rest(tmp_path, display):
    """`python -m tools.demo.run` (what `make demo` runs) with its own central: a short
    console, every log under logs/ with no personal data in it, and a contact sheet that
    links every screenshot and printout."""
    output = tmp_path / "demo-output"
    proc = subprocess.run(
        [sys.executable, "-m", "tools.demo.run", "--output", str(output),
         "--journey", "eligible_zh"], cwd=ROOT, capture_output=True, text=True, timeout=280,
        env=dict(os.environ, DISPLAY=display, PYTHONPATH=str(ROOT)))
    logs = output / "logs"
    assert proc.returncode == 0, proc.stdout + proc.stderr + (
        (logs / "kiosk.log").read_text(errors="replace")[-3000:])
    lines = proc.stdout.splitlines()
    assert proc.stderr == "" and len(lines) <= 12, proc.stdout + proc.stderr
    assert sum("eligible_zh" in line for line in lines) == 3, "started, ended, the table"
    assert any(line.startswith("eligible_zh ") and line.endswith("OK") for line in lines)
    assert any("index.html" in line for line in lines)
    assert not any(word in proc.stdout for word in ("DEBUG", "INFO", "WARNING", "Kivy"))

    for name in ("kiosk.log", "central.log", "enrolment.log"):
        assert (logs / name).stat().st_size > 0, name
    kiosk_log = (logs / "kiosk.log").read_text()
    assert "kivy: " in kiosk_log and "journey 1/1 eligible_zh: OK" in kiosk_log
    assert "Enrolled" in (logs / "enrolment.log").read_text()
    assert "POST /v1/kiosks/{kiosk_id}/heartbeat 200" in (logs / "central.log").read_text()
    persona = tomllib.loads((ROOT / "drivers/reader/sim_documents.toml").read_text())["eligible"]
    every_log = "".join(p.read_text(errors="replace") for p in logs.iterdir())
    for field in ("name", "latin_name", "document_number", "household_address"):
        assert persona[field] not in every_log, f"the resident's {field} is in a log"

    summary = json.loads((output / "summary.json").read_text())
    journey = summary["journeys"][0]
    assert journey["ok"] and journey["card_printed"]
    links = Links()
    links.feed((output / "index.html").read_text(encoding="utf-8"))
    pictures = journey["screenshots"] + [f"01-eligible_zh/{p}" for p in journey["printed"]]
    assert len(pictures) > 10 and set(pictures) <= links.hrefs, set(pictures) - links.hrefs
