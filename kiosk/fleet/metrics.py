"""The kiosk's own Prometheus endpoint: GET /metrics, counts and device states only.

Every figure is read when Prometheus scrapes (a custom collector over the running
kiosk), so nothing has to be updated as the journey goes. Each runtime has its
own ``CollectorRegistry``: tests run many kiosks in one process. The server is
wsgiref's, one thread (``metrics-http``) started and stopped with the runtime.
The names are fixed; the fleet's Grafana dashboard is built on them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from drivers.base import HealthState
from kiosk.fleet.heartbeat import outbox_figures
from kiosk.fleet.status import OutboxFigures, StatusBoard

log = logging.getLogger("kiosk.metrics")

# 0 ok, 1 warning, 2 error, 3 offline. A device that gives no answer one can trust
# (unknown) is not serving either: it counts as offline.
HEALTH_VALUE = {HealthState.OK: 0, HealthState.WARNING: 1, HealthState.ERROR: 2,
                HealthState.OFFLINE: 3, HealthState.UNKNOWN: 3}


class KioskCollector:
    """Reads the published status at scrape time (a prometheus_client custom collector);
    ``heartbeat_failures`` and ``camera_fps`` are asked then too."""

    def __init__(self, status: StatusBoard, outbox: OutboxFigures,
                 heartbeat_failures: Callable[[], int], camera_fps: Callable[[], float]) -> None:
        self._status, self._outbox = status, outbox
        self._heartbeat_failures, self._camera_fps = heartbeat_failures, camera_fps

    def describe(self) -> list:
        return []  # names are not checked for clashes: this registry holds only us

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
        status = self._status.current
        health = GaugeMetricFamily("onetrip_kiosk_device_health",
                                   "0 ok, 1 warning, 2 error, 3 offline", labels=["device"])
        for name, h in sorted(status.devices.health.items()):
            health.add_metric([name], HEALTH_VALUE.get(h.state, 3))
        yield health
        supply = GaugeMetricFamily("onetrip_kiosk_supply_remaining",
                                   "Paper, cards or ribbon left (sheets, cards, prints)",
                                   labels=["device", "supply"])
        for f in status.supplies:
            if f.remaining is not None:
                supply.add_metric([f.device, f.supply], f.remaining)
        yield supply
        yield GaugeMetricFamily("onetrip_kiosk_outbox_depth",
                                "Applications not yet acknowledged by central",
                                value=outbox_figures(self._outbox)[0])
        stats = status.journeys
        journeys = CounterMetricFamily("onetrip_kiosk_journeys",
                                       "Resident journeys since the kiosk started, by outcome",
                                       labels=["outcome"])
        for outcome, n in (("completed", stats.completed), ("cancelled", stats.cancelled),
                           ("timed_out", stats.timed_out)):
            journeys.add_metric([outcome], n)
        yield journeys
        yield CounterMetricFamily("onetrip_kiosk_heartbeat_failures",
                                  "Heartbeats central did not receive since the kiosk started",
                                  value=self._heartbeat_failures())
        yield GaugeMetricFamily("onetrip_kiosk_camera_fps",
                                "Frames per second the camera delivers now",
                                value=self._camera_fps())
        yield GaugeMetricFamily("onetrip_kiosk_in_service",
                                "1 while residents can be served, 0 out of service",
                                value=1 if status.in_service else 0)


def camera_fps(camera: Any) -> float:
    try:
        return float(camera.stats().get("fps") or 0.0)
    except Exception:  # a scrape must answer whatever one device does
        return 0.0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes every few seconds would drown the kiosk's log."""


class MetricsServer:
    """Serves one collector's registry on ``bind:port`` while started; ``stop`` joins it."""

    THREAD_NAME = "metrics-http"

    def __init__(self, collector: KioskCollector, bind: str, port: int) -> None:
        self._collector, self.bind, self.port = collector, bind, port
        self._httpd: WSGIServer | None = None
        self._thread: threading.Thread | None = None
        self.registry: Any = None  # prometheus_client's, made at start (an optional extra)

    def start(self) -> None:
        if self._thread is not None:
            return
        try:
            from prometheus_client import CollectorRegistry, make_wsgi_app
        except ImportError:
            log.error("metrics enabled but prometheus_client is not installed (extra 'metrics')")
            return
        registry = CollectorRegistry(auto_describe=False)
        registry.register(self._collector)
        self.registry = registry
        app = _only_metrics(make_wsgi_app(registry))
        try:
            self._httpd = make_server(self.bind, self.port, app, handler_class=_QuietHandler)
        except OSError as exc:  # a busy port costs the metrics, never the residents
            log.error("metrics not served on %s:%d: %s", self.bind, self.port, exc.strerror)
            return
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.2,),
                                        name=self.THREAD_NAME)
        self._thread.start()
        log.info("metrics on http://%s:%d/metrics", self.bind, self.port)

    def stop(self) -> None:
        """Safe to call twice, and when start failed."""
        httpd, thread, self._httpd, self._thread = self._httpd, self._thread, None, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(5.0)


def _only_metrics(app: Any) -> Any:
    def metrics_only(environ: dict, start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/metrics":
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"only /metrics here\n"]
        return app(environ, start_response)
    return metrics_only
