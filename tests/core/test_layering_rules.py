"""The architecture's rules (DESIGN.md), checked on the sources and at import time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sources(package: str):
    return [p for p in (ROOT / package).rglob("*.py")]


def test_kiosk_core_imports_without_kivy():
    code = ("import sys; sys.modules['kivy'] = None\n"
            "import kiosk.journey, kiosk.runtime, kiosk.cli, kiosk.headless, kiosk.diagnostics\n"
            "assert not any(m.startswith('kivy') and sys.modules[m] is not None "
            "for m in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_kiosk_never_imports_kivy_or_screens():
    pattern = re.compile(r"^\s*(from|import)\s+(kivy|screens)\b", re.M)
    offenders = [p.name for p in sources("kiosk") if pattern.search(p.read_text("utf-8"))
                 and p.name != "cli.py"]
    assert offenders == []


def test_drivers_never_import_kiosk_or_screens():
    pattern = re.compile(r"^\s*(from|import)\s+(kiosk|screens)\b", re.M)
    assert [p.name for p in sources("drivers") if pattern.search(p.read_text("utf-8"))] == []


def test_central_shares_only_the_wire_module_with_kiosk():
    pattern = re.compile(r"^\s*(from|import)\s+(kiosk|screens|drivers)\b", re.M)
    assert [p.name for p in sources("central") if pattern.search(p.read_text("utf-8"))] == []
