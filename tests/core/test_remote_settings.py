"""Fleet settings on the kiosk: one decision per revision, kept atomically, reported."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pydantic import ValidationError

from kiosk.fleet.remote_settings import RemoteSettings, SettingsOffer, check_limits
from protocol import wire

ALL = [wire.Service.NEW, wire.Service.RENEWAL, wire.Service.STATUS]
AT = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.timezone.utc)


def settings(**values) -> wire.KioskSettings:
    return wire.KioskSettings.model_validate(values)


def test_a_newer_revision_is_applied_kept_and_reported(tmp_path):
    applied = []
    rs = RemoteSettings(tmp_path / "f.json", ALL, on_applied=applied.append, now=lambda: AT)
    assert rs.report is None and rs.revision == 0
    assert rs.offer(SettingsOffer(5, settings(maintenance=True)))
    assert not rs.offer(SettingsOffer(5, settings(maintenance=False))), "handled once"
    assert not rs.offer(SettingsOffer(4, settings())), "an older one never"
    assert [s.maintenance for s in applied] == [True]
    assert rs.report == wire.SettingsApplied(revision=5, applied_at=AT, errors=[])
    again = RemoteSettings(tmp_path / "f.json", ALL)
    assert (again.revision, again.in_force.maintenance, again.report) == (5, True, rs.report)
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"], "no temporary file left"


def test_a_refused_revision_keeps_the_settings_before_it(tmp_path):
    applied = []
    rs = RemoteSettings(tmp_path / "f.json", [wire.Service.STATUS], on_applied=applied.append)
    rs.offer(SettingsOffer(1, settings(enabled_services=["status"])))
    rs.offer(SettingsOffer(2, None, ("enabled_services: List should have at least 1 item",)))
    rs.offer(SettingsOffer(3, settings(enabled_services=["new"])))
    assert len(applied) == 1 and rs.in_force.enabled_services == [wire.Service.STATUS]
    assert rs.revision == 3 and "none of new" in rs.report.errors[0]
    assert json.loads((tmp_path / "f.json").read_text())["report"]["revision"] == 3


def test_an_unreadable_file_starts_from_revision_zero(tmp_path):
    (tmp_path / "f.json").write_text("{not json")
    rs = RemoteSettings(tmp_path / "f.json", ALL)
    assert rs.revision == 0 and rs.in_force == wire.KioskSettings()


def test_the_kiosks_own_limits():
    assert check_limits(settings(), ALL) == []
    assert check_limits(settings(enabled_services=["renewal"]), [wire.Service.NEW]) == [
        "enabled_services: none of renewal is offered by this kiosk (its config offers new)"]
    two_lines = settings(attract_notice={"zh_CN": "通知\n第二行", "en": "Notice\nline two"})
    assert check_limits(two_lines, ALL) == []


@pytest.mark.parametrize("notice,why", [
    ({"zh_CN": "通知\x07", "en": "Notice"}, "control characters"),  # any wire text refuses them
    ({"zh_CN": "只有中文", "en": "  "}, "both zh_CN and en are needed"),
    ({"zh_CN": "长" * 161, "en": "long"}, "longer than 160"),
])
def test_a_notice_a_screen_cannot_show_breaks_the_contract_itself(notice, why):
    """Checked by the model both sides share, so central refuses it before any kiosk sees it."""
    with pytest.raises(ValidationError, match=why):
        settings(attract_notice=notice)
