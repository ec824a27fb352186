"""The central server's Prometheus metrics: GET /metrics (prometheus_client).

Two kinds of figures. Counted as they happen: heartbeats received and how long handling one
took (a histogram, so p99 can be read in Prometheus). Read from the database when Prometheus
scrapes: kiosks by hall and state, open alerts by kind, the fleet's outbox depth. Each app has
its own registry, so nothing is shared between servers in one process (tests). The names are
fixed: ops/grafana-dashboard.json and ops/alert-rules.yml are built on them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric

from central.fleet.alerts import KINDS, AlertBook
from central.fleet.service import Fleet
from central.fleet.states import KioskStatus

log = logging.getLogger("central.metrics")

LATENCY_BUCKETS_S = (0.002, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5)
NO_HALL = "none"  # the hall label of kiosks not assigned to one


class FleetCollector:
    """Reads the fleet at scrape time; a database that does not answer costs only these."""

    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet
        self.book = AlertBook(fleet.engine)

    def describe(self) -> list:
        return []

    def collect(self) -> Iterator[Metric]:
        kiosks = GaugeMetricFamily("onetrip_central_kiosks", "Kiosks by hall and state",
                                   labels=["hall", "state"])
        alerts = GaugeMetricFamily("onetrip_central_alerts_active", "Open alerts by kind",
                                   labels=["kind"])
        depth = GaugeMetricFamily("onetrip_central_outbox_depth_total",
                                  "Applications waiting in kiosks' outboxes, as last reported")
        try:
            states = self.fleet.kiosk_states()
            halls = {h.hall_id: 0 for h in self.fleet.halls()}
            open_by_kind = self.book.open_by_kind()
        except Exception as exc:  # noqa: BLE001 - answer the scrape with what we have
            log.error("fleet metrics not read: %s", type(exc).__name__)
            return
        counts = {(hall, s): 0 for hall in halls for s in KioskStatus}
        for state in states:
            key = (state.hall_id or NO_HALL, state.state)
            counts[key] = counts.get(key, 0) + 1
        for (hall, status), n in sorted(counts.items()):
            kiosks.add_metric([hall, status.value], n)
        for kind in KINDS:
            alerts.add_metric([kind], open_by_kind.get(kind, 0))
        depth.add_metric([], sum(s.outbox_depth or 0 for s in states))
        yield from (kiosks, alerts, depth)


class CentralMetrics:
    def __init__(self, fleet: Fleet | None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.heartbeats = Counter("onetrip_central_heartbeats", "Heartbeats received",
                                  registry=self.registry)
        self.heartbeat_seconds = Histogram(
            "onetrip_central_heartbeat_seconds", "Time to handle one heartbeat in the server",
            buckets=LATENCY_BUCKETS_S, registry=self.registry)
        if fleet is not None:
            self.registry.register(FleetCollector(fleet))

    def heartbeat_handled(self, seconds: float) -> None:
        self.heartbeats.inc()
        self.heartbeat_seconds.observe(seconds)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
