"""The kiosk's /metrics, scraped over HTTP as Prometheus would, shows the running kiosk."""

from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

from kiosk.journey.steps import Step
from tests.central_server import free_port
from tests.journey.walk import drive_to, menu

S = Step


def scrape(k) -> dict[tuple[str, tuple], float]:
    resp = requests.get(f"http://127.0.0.1:{k.runtime.metrics.port}/metrics", timeout=5)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def test_metrics_show_devices_supplies_journeys_and_service(make_kiosk, desk):
    k = make_kiosk(url=desk.url, metrics__enabled=True, metrics__port=0)
    k.runtime.heartbeat.stop()
    k.devices.receipt_printer.faults.set("paper_out", -1)
    k.runtime.monitor.poll_once()
    drive_to(k, S.RECEIPT)
    k.journey.finish()
    k.devices.reader.lift()
    menu(k)
    k.journey.cancel()
    desk.push(1, {"maintenance": True})
    k.runtime.heartbeat.send_once()
    k.pump(S.OUT_OF_SERVICE)

    m = scrape(k)
    assert m[("onetrip_kiosk_device_health", (("device", "receipt_printer"),))] == 2
    assert m[("onetrip_kiosk_device_health", (("device", "reader"),))] == 0
    assert m[("onetrip_kiosk_supply_remaining", (("device", "receipt_printer"),
                                                ("supply", "paper")))] >= 0
    assert m[("onetrip_kiosk_supply_remaining", (("device", "card_printer"),
                                                ("supply", "cards")))] > 0
    assert m[("onetrip_kiosk_journeys_total", (("outcome", "completed"),))] == 1
    assert m[("onetrip_kiosk_journeys_total", (("outcome", "cancelled"),))] == 1
    assert m[("onetrip_kiosk_journeys_total", (("outcome", "timed_out"),))] == 0
    assert m[("onetrip_kiosk_outbox_depth", ())] == 0
    assert m[("onetrip_kiosk_heartbeat_failures_total", ())] == 0
    assert m[("onetrip_kiosk_in_service", ())] == 0
    assert ("onetrip_kiosk_camera_fps", ()) in m
    assert requests.get(f"http://127.0.0.1:{k.runtime.metrics.port}/", timeout=5
                        ).status_code == 404


def test_each_kiosk_has_its_own_registry_and_counts_heartbeat_failures(make_kiosk, central,
                                                                         tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    a = make_kiosk(url=dead, metrics__enabled=True, metrics__port=0,
                   storage__data_dir=str(tmp_path / "a"))
    b = make_kiosk(url=central.url, metrics__enabled=True, metrics__port=0,
                   storage__data_dir=str(tmp_path / "b"))
    for k in (a, b):
        k.runtime.heartbeat.stop()
    assert not a.runtime.heartbeat.send_once() and not a.runtime.heartbeat.send_once()
    assert b.runtime.heartbeat.send_once()
    assert scrape(a)[("onetrip_kiosk_heartbeat_failures_total", ())] == 2
    assert scrape(b)[("onetrip_kiosk_heartbeat_failures_total", ())] == 0
    assert scrape(b)[("onetrip_kiosk_in_service", ())] == 1


def test_metrics_are_off_unless_enabled_and_a_busy_port_costs_only_the_metrics(make_kiosk,
                                                                                 tmp_path):
    k = make_kiosk(storage__data_dir=str(tmp_path / "off"))
    assert k.runtime.metrics.registry is None
    busy = make_kiosk(metrics__enabled=True, metrics__port=0,
                      storage__data_dir=str(tmp_path / "busy"))
    taken = busy.runtime.metrics.port
    other = make_kiosk(metrics__enabled=True, metrics__port=taken,
                       storage__data_dir=str(tmp_path / "other"))
    assert other.runtime.metrics._thread is None  # logged; the kiosk runs on
    menu(other)
    assert other.journey.state is S.SERVICE_MENU
