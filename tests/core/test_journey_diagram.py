"""The journey's diagram in docs/ is the one its table draws (through the make target)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.journey import table

ROOT = Path(__file__).resolve().parents[2]


def test_the_diagram_in_docs_is_drawn_from_the_table(tmp_path):
    drawn = tmp_path / "journey.md"
    subprocess.run(["make", "-s", "journey-diagram", f"JOURNEY_DIAGRAM={drawn}",
                    f"PY={sys.executable}"], cwd=ROOT, check=True, capture_output=True)
    assert drawn.read_text("utf-8") == (ROOT / "docs" / "journey.md").read_text("utf-8"), \
        "docs/journey.md is stale: run make journey-diagram"
    text = drawn.read_text("utf-8")
    for r in table.TABLE:  # every row is an arrow
        assert f"--> {r.to.value} : " in text
        if r.guard is not None:
            assert f"[{r.guard.label}]" in text
