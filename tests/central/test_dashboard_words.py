"""Words a hall manager reads on the dashboard: the settings audit in the settings form's own
words and their language (times without seconds, services by name, nothing recorded hidden),
and journey counts that keep each number beside its name."""

from __future__ import annotations

import datetime as dt

from central.dashboard.views import changes_text, stats_table
from central.fleet.service import changes
from central.fleet.stats import JourneyTotals
from protocol import wire


def test_a_recorded_change_reads_in_the_forms_words_in_chinese_and_english():
    before = wire.KioskSettings()
    after = wire.KioskSettings(
        maintenance=True, service_hours=wire.ServiceHours(opens=dt.time(8), closes=dt.time(20)),
        enabled_services=[wire.Service.NEW, wire.Service.STATUS],
        attract_notice=wire.Text(zh_CN="今晚22点升级", en="Upgrade tonight at 22:00"))
    recorded = changes(before, after)

    zh = changes_text(recorded, "zh_CN")
    assert "维护模式（暂停服务）：关 → 开" in zh
    assert "服务时间·开始：00:00 → 08:00" in zh and "服务时间·结束：00:00 → 20:00" in zh
    assert "开放的业务：申领居住证、续签、进度查询 → 申领居住证、进度查询" in zh
    assert "待机屏通知·中文：– → 今晚22点升级" in zh
    assert "service_hours" not in zh and "attract_notice" not in zh

    en = changes_text(recorded, "en")
    assert "Maintenance (out of service): off → on" in en
    assert "Service hours · Opens: 00:00 → 08:00" in en
    assert "Services offered: New permit, Renewal, Status → New permit, Status" in en
    assert "Attract-screen notice · English: – → Upgrade tonight at 22:00" in en


def test_a_field_the_page_has_no_words_for_is_shown_as_recorded():
    assert changes_text({"screen_brightness": [70, 40]}, "zh_CN") == "screen_brightness：70 → 40"


def test_journey_counts_keep_each_number_beside_its_name():
    totals = JourneyTotals(started=5, completed=3, decisions={"eligible": 2, "not_yet": 1},
                           abandoned_at={"confirm_details": 2})
    zh = stats_table("zh_CN", [("今天", totals)])
    item = '<span class="item">{}</span>'.format
    assert item("符合条件 2") + "、" + item("暂未满足 1") in zh and item("核对信息 2") in zh
    en = stats_table("en", [("Today", totals)])
    assert item("eligible 2") + ", " + item("not yet 1") in en
    assert "<td>–</td><td>–</td>" in stats_table("en", [("Today", JourneyTotals())])
