"""What the demo tells about its journeys: summary.json, the console's progress lines and its
closing table. Reads only the journey records (or summary.json's copy of them); no Kivy here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tools.demo.journeys import Journey

SUMMARY = "summary.json"
CARD_WAYS = {"courier": "posted", "pickup": "pickup"}  # the card goes by courier / to a station


def write_summary(output: Path, selected: list[Journey]) -> bool:
    """<output>/summary.json: every journey's record without its script; True when all ended
    as expected."""
    ok = all(j.ok for j in selected) and len(selected) > 0
    (output / SUMMARY).write_text(json.dumps(
        {"ok": ok, "journeys": [asdict(j) | {"script": None} for j in selected]},
        ensure_ascii=False, indent=1, default=str))
    return ok


def read_summary(output: Path) -> dict[str, Any] | None:
    """summary.json as the kiosk process wrote it; None when it wrote none (it failed)."""
    try:
        return json.loads((output / SUMMARY).read_text())
    except (OSError, ValueError):
        return None


def card_outcome(record: Mapping[str, Any]) -> str:
    """How the resident gets the card: printed here, posted, pickup (at a station), or none
    (no application, or one that starts later)."""
    if record.get("card_printed"):
        return "printed here"
    if not record.get("application_number"):
        return "none"
    way = record.get("fulfilment") or ""
    return CARD_WAYS.get(way, "not printed" if way == "print_here" else "none")


def progress_start(index: int, total: int, j: Journey) -> str:
    return f"[{index + 1:>2}/{total}] {j.name:<19} {j.about_en} ..."


def progress_end(index: int, total: int, j: Journey) -> str:
    if j.ok:
        return f"[{index + 1:>2}/{total}] {j.name:<19} OK in {j.seconds:.1f} s"
    return f"[{index + 1:>2}/{total}] {j.name:<19} FAILED after {j.seconds:.1f} s: {j.error}"


COLUMNS = (("journey", 19), ("decision", 13), ("application", 17), ("card", 12),
           ("seconds", 7), ("result", 0))


def summary_table(records: list[Mapping[str, Any]]) -> list[str]:
    """The console's closing table: one row per journey."""
    def row(cells: tuple[str, ...]) -> str:
        out = []
        for (name, width), cell in zip(COLUMNS, cells):
            out.append(cell.rjust(width) if name == "seconds" else cell.ljust(width))
        return "  ".join(out).rstrip()

    lines = [row(tuple(name for name, _ in COLUMNS))]
    for r in records:
        lines.append(row((r["name"], r.get("decision") or "-",
                          r.get("application_number") or "-", card_outcome(r),
                          f"{r.get('seconds', 0):.1f}", "OK" if r.get("ok") else "FAILED")))
    return lines
