"""Everything a running kiosk is made of, built from config and torn down cleanly.

The UI and the headless autopilot both use this; neither builds services itself.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from kiosk.config import KioskConfig
from kiosk.devices.build import Devices, build_devices
from kiosk.devices.monitor import DeviceMonitor, DeviceSnapshot
from kiosk.devices.supplies import SupplyForecast, SupplyTracker
from kiosk.effects.housekeeping import Housekeeping
from kiosk.effects.journal import Journal
from kiosk.effects.outbox import Outbox, load_or_create_kiosk_key
from kiosk.effects.outbox_sync import OutboxSync
from kiosk.effects.reconcile import Reconciliation, reconcile
from kiosk.effects.recovery import Recovered, recover
from kiosk.effects.storage import OnDemand, StorageWatch
from kiosk.fleet.central_client import CentralClient
from kiosk.fleet.credentials import Credentials
from kiosk.fleet.credentials import load as load_credentials
from kiosk.fleet.daily_counts import JourneyDays
from kiosk.fleet.heartbeat import HeartbeatSender
from kiosk.fleet.metrics import KioskCollector, MetricsServer, camera_fps
from kiosk.fleet.remote_settings import SETTINGS_FILE, RemoteSettings
from kiosk.fleet.statistics import JourneyStatistics
from kiosk.fleet.status import StatusBoard
from kiosk.journey.machine import Journey
from kiosk.worker import Dispatch, Worker

log = logging.getLogger("kiosk.runtime")


class KioskRuntime:
    """Owns the devices, the client, the outbox, the journal, the worker and the journey,
    and the status board the reports read (``kiosk.fleet.status``)."""

    def __init__(self, config: KioskConfig, dispatch: Dispatch, *,
                 devices: Devices | None = None, clock: Callable[[], float] = time.monotonic,
                 today: Callable[[], dt.date] = dt.date.today,
                 now: Callable[[], dt.datetime] = dt.datetime.now) -> None:
        self.config = config
        self.last_reconciliation: Reconciliation | None = None
        self._started = False
        data = config.storage.path()
        self.devices = devices or build_devices(config)
        # One client for every thread: each thread gets its own HTTP session inside it.
        self.client = _client(config)
        self.worker = Worker(dispatch)
        # The kiosk's files open when the disk allows (kiosk.effects.storage): a read-only,
        # full or corrupt folder is an out-of-service state, never a crash at start.
        failed = self._storage_write_failed
        self._stores: list[OnDemand[Any]] = [
            OnDemand("outbox", lambda: _open_outbox(data), failed),
            OnDemand("journal", lambda: Journal(data / "journal.sqlite3", failed), failed),
            OnDemand("statistics", lambda: JourneyDays(data / "statistics.sqlite3"), failed)]
        self.outbox = cast(Outbox, self._stores[0])
        self.journal = cast(Journal, self._stores[1])
        self.journey_days = cast(JourneyDays, self._stores[2])
        self.storage = StorageWatch(
            data, self._stores, int(config.storage.min_free_mb * 2**20),
            on_change=lambda code: self.worker.dispatch_event(self._storage_changed, code),
            interval_s=config.storage.check_s, after_heal=self._healed)
        self.storage.check()
        self.status = StatusBoard()
        self.sync = OutboxSync(self.outbox, self.client,
                               interval_s=config.central.sync_interval_s)
        self.client.when_back(self.sync.central_answers_again)
        # Settings the fleet pushed are in force before the first resident is served.
        self.remote_settings = RemoteSettings(
            data / SETTINGS_FILE, config.journey.services,
            on_applied=lambda settings: self.journey.availability.apply_fleet_settings(settings),
            dispatch_event=self.worker.dispatch_event)
        self.journey = Journey(config=config, devices=self.devices, client=self.client,
                               outbox=self.outbox, journal=self.journal, worker=self.worker,
                               clock=clock, today=today, now=now,
                               statistics=JourneyStatistics(days=self.journey_days,
                                                            today=lambda: now().date()),
                               fleet_settings=self.remote_settings.in_force)
        self.journey.availability.storage_fault = self.storage.fault
        self.journey.availability.check_storage = self.storage.glance
        self.journey.add_listener(self._publish_journey)
        self._publish_journey("step")
        availability = self.journey.availability
        self.heartbeat = HeartbeatSender(
            self.client, self.status, self.outbox, self.journey_days, self.remote_settings,
            on_trust=lambda code: self.worker.dispatch_event(availability.on_trust, code),
            interval_s=config.central.heartbeat_s, today=lambda: now().date())
        self.housekeeping = Housekeeping(
            self.outbox, self.journal, config.storage.keep_days, days=self.journey_days,
            days_kept=config.storage.statistics_keep_days, today=lambda: now().date())
        self.monitor = DeviceMonitor(
            self.devices,
            lambda snapshot: self.worker.dispatch_event(availability.on_devices, snapshot),
            interval_s=config.devices.health_interval_s,
            supplies=SupplyTracker(window_s=config.devices.supply_window_h * 3600),
            publish=self._publish_devices)
        self.metrics = MetricsServer(
            KioskCollector(self.status, self.outbox, lambda: self.heartbeat.failures,
                           lambda: camera_fps(self.devices.camera)),
            config.metrics.bind, config.metrics.port)
        # The monitor first: its first look arrives before any resident can choose.
        self._background = (self.monitor, self.storage, self.sync, self.heartbeat,
                            self.housekeeping) + (
            (self.metrics,) if config.metrics.enabled else ())

    def _publish_journey(self, _what: str) -> None:
        """On the journey's thread, whenever it notifies: its part of the status."""
        self.status.publish(**self.journey.status_fields())

    def _publish_devices(self, snapshot: DeviceSnapshot, forecast: list[SupplyForecast]) -> None:
        """On the device monitor's thread, after every look."""
        self.status.publish(devices=snapshot, supplies=tuple(forecast))

    def start(self) -> None:
        self._started = True
        for part in self._background:
            part.start()
        self.journey.start()
        # Kept fleet settings (maintenance, hours) act at once, on the journey's thread.
        self.worker.dispatch_event(self.journey.availability.apply_fleet_settings,
                                   self.remote_settings.in_force)
        self.worker.run(self.reconcile_journal, self._reconciled, self._reconcile_failed)
        log.info("kiosk %s started", self.config.kiosk_id)

    def reconcile_journal(self) -> tuple[Reconciliation, list[Recovered]]:
        """Settle what a power cut left half-done, then give a resident who may still be
        there their receipt (off the UI thread: printers and network)."""
        result = reconcile(self.journal, self.outbox, self.devices.card_printer, self.client)
        recovered = recover(result.interrupted, self.journal, self.outbox, self.client,
                            self.devices.receipt_printer, self.config.central.url,
                            self.config.journey.recovery_window_s)
        return result, recovered

    def _reconciled(self, settled: tuple[Reconciliation, list[Recovered]]) -> None:
        self.last_reconciliation, recovered = settled
        self.journey.welcome.show_recovered(recovered)

    def _storage_changed(self, code: str | None) -> None:
        """On the journey's thread, which exists by the time any event runs."""
        self.journey.availability.on_storage(code)

    def _storage_write_failed(self) -> None:
        self.storage.write_failed()

    def _healed(self) -> None:
        """The disk takes writes again (on the watch's thread): the journal's outcomes kept
        in memory go to it, and a start-up reconciliation the fault stopped runs now."""
        journal = self._stores[1].store
        if journal is not None:
            journal.write_kept()
        if self._started and self.last_reconciliation is None:
            self.worker.run(self.reconcile_journal, self._reconciled, self._reconcile_failed)

    def _reconcile_failed(self, exc: BaseException) -> None:
        log.error("journal reconciliation failed: %s", type(exc).__name__)

    def use_credentials(self, credentials: Credentials) -> None:
        """After enrolment: sign from the next request on, on every thread."""
        self.client.credentials = credentials
        self.heartbeat.wake()  # tell central at once; its answer brings the kiosk back

    def stop(self) -> None:
        """Stop every thread we started and close every file; safe to call twice."""
        self.journey.stop()
        self.journey.session.wipe()
        for part in self._background:
            part.stop()
        self.worker.shutdown()
        self.devices.close()
        for store in self._stores:
            store.close()
        self.client.close()
        log.info("kiosk %s stopped", self.config.kiosk_id)


def _open_outbox(data: Path) -> Outbox:
    outbox = Outbox(data / "outbox.sqlite3", load_or_create_kiosk_key(data / "kiosk.key"))
    outbox.release_claims()  # a claim held when this process started was a killed one's
    return outbox


def _client(config: KioskConfig) -> CentralClient:
    return CentralClient(base_url=config.central.url, kiosk_id=config.kiosk_id,
                         timeout_s=config.central.timeout_s, retries=config.central.retries,
                         credentials=own_credentials(config))


def own_credentials(config: KioskConfig) -> Credentials | None:
    """The credentials enrolment left, if they are this kiosk id's."""
    found = load_credentials(config.storage.path())
    if found is not None and found.kiosk_id != config.kiosk_id:
        log.error("credentials are for another kiosk id; not used until enrolled again")
        return None
    return found
