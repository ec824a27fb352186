"""The technician's test receipt through the real Kivy UI: the hidden corner, the PIN, the
button, the status line in both languages, and the receipt that came out."""

from __future__ import annotations

import pytest
from PIL import Image

from tests.printers.escpos_reader import decode_qr
from tests.ui.test_journeys import run_demo

pytestmark = pytest.mark.ui


def test_test_receipt_from_the_diagnostics_screen(tmp_path, display, central):
    summary = run_demo(tmp_path, display, central, ["diagnostics"])
    journey = next(j for j in summary["journeys"] if j["name"] == "diagnostics")
    assert journey["ok"], journey["error"]

    [status] = [t for t in journey["texts_checked"] if t.startswith("diag.status=")]
    assert "测试小票已打印" in status and "Test receipt printed" in status, status
    [receipt] = journey["printed"]  # one tap, one receipt, and no card
    assert receipt.startswith("receipt-") and receipt[:-4].split("-", 1)[1] in status
    folder = summary["output"] / journey["screenshots"][0].split("/")[0]
    with Image.open(folder / receipt) as image:
        assert decode_qr(image) == [central.url.rstrip("/") + "/v1/health"]
    shots = [s for s in journey["screenshots"] if s.endswith("-diagnostics.png")]
    assert len(shots) >= 2, "the report, then the report after the test print"
