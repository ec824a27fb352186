"""The fleet's part of the wire contract: settings a manager may push, and their limits."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from protocol import wire

T = dt.time


@pytest.mark.parametrize("opens,closes,at,open_", [
    (T(0), T(0), T(3, 30), True),  # around the clock
    (T(8), T(20), T(7, 59), False), (T(8), T(20), T(8), True), (T(8), T(20), T(20), False),
    (T(22), T(6), T(23), True), (T(22), T(6), T(5, 59), True), (T(22), T(6), T(12), False),
])
def test_service_hours_including_past_midnight(opens, closes, at, open_):
    assert wire.ServiceHours(opens=opens, closes=closes).open_at(at) is open_


def test_settings_refuse_what_a_kiosk_cannot_show():
    with pytest.raises(ValidationError):
        wire.KioskSettings(enabled_services=[])  # a kiosk offering nothing is maintenance
    with pytest.raises(ValidationError, match="longer than"):
        wire.KioskSettings(attract_notice=wire.Text(zh_CN="通知" * 100, en="notice"))
    with pytest.raises(ValidationError):
        wire.KioskSettings.model_validate({"maintenance": True, "reboot": True})
    ok = wire.KioskSettings.model_validate_json(
        '{"maintenance": false, "service_hours": {"opens": "08:00", "closes": "20:00"},'
        ' "enabled_services": ["status"], "attract_notice": {"zh_CN": "今日仅查询", "en": "Status only"}}')
    assert ok.enabled_services == [wire.Service.STATUS] and ok.service_hours.opens == T(8)
