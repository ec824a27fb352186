"""GET /metrics on the real server: the fleet's figures as Prometheus reads them."""

from __future__ import annotations

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.central.fleet_world import beat, health, supply


def scrape(central) -> dict[tuple[str, tuple], float]:
    resp = requests.get(central.url + "/metrics", timeout=10)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def send(central, kiosk_id: str, heartbeat) -> None:
    resp = requests.post(f"{central.api}/kiosks/{kiosk_id}/heartbeat", timeout=10,
                         data=heartbeat.model_dump_json(),
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 200


def kiosks(m: dict, hall: str, state: str) -> float:
    return m[("onetrip_central_kiosks", (("hall", hall), ("state", state)))]


def test_metrics_count_heartbeats_and_show_the_fleet_by_hall_and_state(central):
    before = scrape(central)
    heard = before.get(("onetrip_central_heartbeats_total", ()), 0.0)
    send(central, "test-kiosk", beat(outbox_depth=3))
    send(central, "test-kiosk-01", beat(supplies=[supply(level="low", remaining=5)],
                                        outbox_depth=2))
    send(central, "test-kiosk-07", beat(health=health(reader="offline")))
    send(central, "stray-metrics-kiosk", beat())
    m = scrape(central)
    assert m[("onetrip_central_heartbeats_total", ())] == heard + 4
    assert m[("onetrip_central_heartbeat_seconds_count", ())] == heard + 4
    assert m[("onetrip_central_heartbeat_seconds_bucket", (("le", "+Inf"),))] == heard + 4
    assert m[("onetrip_central_heartbeat_seconds_sum", ())] > 0
    assert kiosks(m, "zz-hetang", "warning") == 1 and kiosks(m, "zz-hetang", "error") == 1
    assert kiosks(m, "zz-centre", "ok") >= 1
    assert kiosks(m, "zz-centre", "offline") >= 1  # demo-kiosk-02 never heartbeats
    assert kiosks(m, "bj-chaoyang", "warning") == 0  # every hall shows every state
    assert kiosks(m, "none", "ok") >= 1
    assert m[("onetrip_central_outbox_depth_total", ())] >= 5
    assert m[("onetrip_central_alerts_active", (("kind", "paper_low"),))] == 0
    assert set(k for k, _ in m) >= {"onetrip_central_kiosks", "onetrip_central_alerts_active"}


def test_metrics_are_not_part_of_the_api_contract(central):
    doc = requests.get(central.api + "/openapi.json", timeout=10).json()
    assert "/metrics" not in doc["paths"]


def test_open_alerts_by_kind_are_counted(tmp_path):
    from central.api.metrics import CentralMetrics
    from central.fleet.alerts import AlertConfig, AlertRunner
    from tests.central.fleet_world import fleet_on

    fleet = fleet_on(tmp_path)
    fleet.heartbeat("test-kiosk", beat(health=health(receipt_printer=("error", "paper_out"),
                                                     card_printer=("error", "jam"))))
    fleet.heartbeat("test-kiosk-01", beat(health=health(receipt_printer="offline")))
    AlertRunner(fleet, AlertConfig(), []).run_once()
    body, _ = CentralMetrics(fleet).exposition()
    m = {(s.name, tuple(sorted(s.labels.items()))): s.value
         for family in text_string_to_metric_families(body.decode()) for s in family.samples}
    assert m[("onetrip_central_alerts_active", (("kind", "printer_fault"),))] == 2
    assert m[("onetrip_central_alerts_active", (("kind", "paper_low"),))] == 1
    assert m[("onetrip_central_alerts_active", (("kind", "kiosk_offline"),))] == 0


KIOSK_METRICS = {"onetrip_kiosk_device_health", "onetrip_kiosk_supply_remaining",
                 "onetrip_kiosk_outbox_depth", "onetrip_kiosk_journeys_total",
                 "onetrip_kiosk_heartbeat_failures_total"}


def test_the_ops_examples_use_only_metrics_that_exist(tmp_path):
    """A renamed metric must not leave the shipped rules and dashboard silently empty."""
    import json
    import re

    yaml = pytest.importorskip("yaml")
    from central.api.metrics import CentralMetrics
    from tests.central.fleet_world import fleet_on
    from tools.central_process import ROOT

    body, _ = CentralMetrics(fleet_on(tmp_path)).exposition()
    central_names = {s.name for f in text_string_to_metric_families(body.decode())
                     for s in f.samples}
    known = central_names | KIOSK_METRICS
    ops = ROOT / "ops"
    rules = yaml.safe_load((ops / "alert-rules.yml").read_text(encoding="utf-8"))
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    assert all(r["annotations"]["summary"] for g in rules["groups"] for r in g["rules"])
    scrape = yaml.safe_load((ops / "prometheus.yml").read_text(encoding="utf-8"))
    assert {j["job_name"] for j in scrape["scrape_configs"]} == {"onetrip-central",
                                                                "onetrip-kiosk"}
    dashboard = json.loads((ops / "grafana-dashboard.json").read_text(encoding="utf-8"))
    exprs += [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    used = {name for e in exprs for name in re.findall(r"onetrip_[a-z_]+", e)}
    assert used and used <= known, used - known
    assert {"onetrip_central_kiosks", "onetrip_central_heartbeat_seconds_bucket",
            "onetrip_central_alerts_active", "onetrip_central_outbox_depth_total",
            "onetrip_central_heartbeats_total"} | KIOSK_METRICS <= used
