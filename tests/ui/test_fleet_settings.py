"""The fleet's settings on the real Kivy UI: the notice on the attract screen, maintenance
and closing hours on the out-of-service screen, each in Chinese and in English, and the
technician still let into diagnostics while the kiosk is in maintenance."""

from __future__ import annotations

import pytest

from tests.ui.test_journeys import check_journey, run_demo
from tools.demo.journeys import FLEET_NOTICE  # the journeys' module does without Kivy

pytestmark = pytest.mark.ui


def test_notice_maintenance_and_hours_in_both_languages(tmp_path, display, central):
    summary = run_demo(tmp_path, display, central, ["fleet_settings"])
    journey = check_journey(summary, "fleet_settings", ["out_of_service", "attract"])
    seen = journey["texts_checked"]
    assert FLEET_NOTICE["zh_CN"] in seen and FLEET_NOTICE["en"] in seen
    assert {"正在维护", "Under maintenance", "现在不在服务时间", "Closed now"} <= set(seen)
    assert any(t.startswith("本机服务时间为") for t in seen)
    assert any(t.startswith("This kiosk serves residents ") for t in seen)
    assert any(t.startswith("服务时间 ") for t in seen) and "Open 24 hours" in seen
    shots = [s.rsplit("-", 1)[-1] for s in journey["screenshots"]]
    assert "out_of_service.png" in shots and "attract.png" in shots
    assert "diagnostics.png" in shots, "maintenance keeps diagnostics open"
