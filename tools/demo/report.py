"""What the demo tells about its journeys: summary.json, and lines for the console.

Reads only the journey records (or summary.json's copy of them); no Kivy here.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from tools.demo.journeys import Journey


def write_summary(output: Path, selected: list[Journey]) -> bool:
    """<output>/summary.json: every journey's record without its script; True when all ended
    as expected."""
    ok = all(j.ok for j in selected) and len(selected) > 0
    (output / "summary.json").write_text(json.dumps(
        {"ok": ok, "journeys": [asdict(j) | {"script": None} for j in selected]},
        ensure_ascii=False, indent=1, default=str))
    return ok


def summary_line(j: Journey) -> str:
    printed = ("card+" if j.card_printed else "") + ("receipt" if j.receipt_printed else "-")
    status = "OK" if j.ok else f"FAILED: {j.error}"
    return (f"{j.name:<20} persona={j.persona:<16} lang={j.language:<5} "
            f"decision={j.decision or '-':<13} application={j.application_number or '-':<18} "
            f"printed={printed:<13} {j.seconds:5.1f}s  {status}")
