"""A city's fleet against the reference central server: N kiosks heartbeating every 30 s.

Each simulated kiosk sends what a real one sends (five devices, three supplies, today's
journey counts, its settings revision) at its own phase in the interval, as a fleet that
powered up at different times would, signed with its own key: central runs as in production,
requiring signatures, checking each and signing each answer. A pool of senders on keep-alive connections posts
them on schedule; the figures are the round trip of each heartbeat, how late the senders
fell behind the schedule (if they did, the server was the bottleneck and the latencies
understate it), and the errors. The server and the senders share this machine's cores.
"""

from __future__ import annotations

import datetime as dt
import heapq
import queue
import random
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol import signing, wire

DEVICES = ("reader", "camera", "receipt_printer", "card_printer", "scanner")


def heartbeat_body(n: int, rng: random.Random) -> bytes:
    """A realistic heartbeat of kiosk ``n``; counts only, as the kiosk sends."""
    today = dt.date.today()
    started = rng.randint(0, 120)
    completed = rng.randint(0, started)
    buckets = [0] * (len(wire.DURATION_BUCKETS_S) + 1)
    for _ in range(completed):
        buckets[min(len(buckets) - 1, int(rng.expovariate(1 / 3)))] += 1
    beat = wire.Heartbeat(
        software_version="0.9.0", sent_at=dt.datetime.now(dt.timezone.utc),
        health={d: wire.DeviceHealthReport(state="ok") for d in DEVICES},
        outbox_depth=rng.choice((0, 0, 0, 1)), journeys_completed=completed,
        supplies=[wire.SupplyReport(device="receipt_printer", supply="paper", level="ok",
                                    remaining=rng.randint(50, 400), per_hour=30.0,
                                    hours_to_empty=5.0),
                  wire.SupplyReport(device="card_printer", supply="cards", level="ok",
                                    remaining=rng.randint(20, 200)),
                  wire.SupplyReport(device="card_printer", supply="ribbon", level="ok",
                                    remaining=rng.randint(50, 500))],
        journeys=[wire.JourneyDay(day=today, started=started, completed=completed,
                                  abandoned_at={"photo": started - completed},
                                  decisions={"eligible": completed},
                                  cards_printed_here=completed // 2,
                                  cards_queued=completed - completed // 2,
                                  duration_buckets=buckets)],
        settings_applied=wire.SettingsApplied(revision=0, applied_at=dt.datetime.now(
            dt.timezone.utc)))
    return beat.model_dump_json().encode()


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    lateness: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors[what] = self.errors.get(what, 0) + 1


def _sender(url: str, jobs: queue.Queue[tuple[float, str, bytes] | None],
            tally: _Tally, keys: dict[str, Ed25519PrivateKey]) -> None:
    """Signs each heartbeat as the kiosk would (central requires it) and counts an answer
    without central's signature as an error."""
    session = requests.Session()
    while (job := jobs.get()) is not None:
        due, kiosk_id, body = job
        started = time.monotonic()
        path = f"/v1/kiosks/{kiosk_id}/heartbeat"
        headers = {"Content-Type": "application/json"}
        if keys:
            headers.update(signing.sign_request(keys[kiosk_id], kiosk_id, "POST", path, body))
        try:
            resp = session.post(url + path, data=body, headers=headers, timeout=10)
            ok = resp.status_code == 200 and (not keys or signing.CENTRAL_SIGNATURE in resp.headers)
        except requests.RequestException as exc:
            ok, resp = False, type(exc).__name__
        took = time.monotonic() - started
        with tally.lock:
            tally.latencies.append(took)
            tally.lateness.append(max(0.0, started - due))
        if not ok:
            tally.error(str(getattr(resp, "status_code", resp)))
    session.close()


def enrol_fleet(database: str, ids: list[str]) -> dict[str, Ed25519PrivateKey]:
    """A key per kiosk, stored at central as enrolment stores it (the codes are not what
    is measured here)."""
    from sqlalchemy import insert

    from central.storage import db
    from central.storage.db import make_engine

    keys = {k: Ed25519PrivateKey.generate() for k in ids}
    now = dt.datetime.now(dt.timezone.utc)
    engine = make_engine(database)
    try:
        with engine.begin() as c:
            c.execute(insert(db.kiosk_keys), [
                {"kiosk_id": k, "public_key": signing.public_key_text(key), "enrolled_at": now}
                for k, key in keys.items()])
    finally:
        engine.dispose()
    return keys


def run_fleet(url: str, database: str, kiosks: int = 4200, interval_s: float = 30.0,
              duration_s: float = 300, senders: int = 24, seed: int = 7,
              signed: bool = True) -> dict[str, Any]:
    """Every kiosk beats every ``interval_s`` for ``duration_s``, signed (or, to see what
    signatures cost, unsigned against a central in open mode); the run's figures."""
    rng = random.Random(seed)
    ids = [f"load-{n:05d}" for n in range(kiosks)]
    keys = enrol_fleet(database, ids) if signed else {}
    bodies = {k: heartbeat_body(n, rng) for n, k in enumerate(ids)}
    start = time.monotonic() + 1.0
    schedule = [(start + rng.uniform(0, interval_s), k) for k in ids]
    heapq.heapify(schedule)
    jobs: queue.Queue = queue.Queue(maxsize=senders * 4)
    tally = _Tally()
    threads = [threading.Thread(target=_sender, args=(url, jobs, tally, keys), daemon=True,
                                name=f"fleet-load-{i}") for i in range(senders)]
    for t in threads:
        t.start()
    end = start + duration_s
    while schedule and schedule[0][0] < end:
        due, kiosk_id = heapq.heappop(schedule)
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        jobs.put((due, kiosk_id, bodies[kiosk_id]))
        heapq.heappush(schedule, (due + interval_s, kiosk_id))
    for _ in threads:
        jobs.put(None)
    for t in threads:
        t.join(timeout=30)
    return _figures(tally, kiosks, interval_s, duration_s)


def _figures(tally: _Tally, kiosks: int, interval_s: float, duration_s: float) -> dict[str, Any]:
    lat = sorted(tally.latencies)

    def pct(values: list[float], p: float) -> float:
        return round(1000 * values[min(len(values) - 1, int(p * len(values)))], 1) if values \
            else 0.0
    late = sorted(tally.lateness)
    return {"kiosks": kiosks, "interval_s": interval_s, "duration_s": duration_s,
            "heartbeats": len(lat), "per_second": round(len(lat) / duration_s, 1),
            "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99), "max_ms": pct(lat, 1.0),
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if lat else 0.0,
            "sender_lateness_p99_ms": pct(late, 0.99),
            "errors": sum(tally.errors.values()), "errors_by_kind": tally.errors,
            "target_p99_under_100ms": bool(lat) and pct(lat, 0.99) < 100,
            "target_no_errors": not tally.errors}


def bench_fleet(tmp, kiosks: int = 4200, duration_s: float = 300) -> dict[str, Any]:
    """The load on a fresh central server with SQLite, then with PostgreSQL."""
    from tests.central.postgres import postgres_binaries, start_postgres
    from tools.central_process import CentralProcess, central_on, free_port

    results: dict[str, Any] = {}
    folder = tmp / "fleet-sqlite"
    folder.mkdir()
    servers: list[tuple[str, CentralProcess]] = [("sqlite", central_on(folder))]
    servers[0][1].kiosk_auth = "required"
    pg = start_postgres() if postgres_binaries() is not None else None
    if pg is not None:
        port = free_port()
        servers.append(("postgresql", CentralProcess(
            url=f"http://127.0.0.1:{port}", port=port, database=pg.new_database("fleet_load"),
            log_path=tmp / "fleet-postgresql.log", kiosk_auth="required",
            extra_args=("--fleet-key", str(tmp / "fleet-postgresql.key")))))
    try:
        for kind, server in servers:
            server.start()
            try:
                results[kind] = run_fleet(server.url, server.database, kiosks,
                                          duration_s=duration_s)
            finally:
                server.stop()
    finally:
        if pg is not None:
            pg.stop()
    return results
