"""kill -9 soak: a kiosk process serving print-here residents is killed at random moments and
started again on the same data, many times; then the books are compared.

Figures: kills done; applications the kiosk accepted (kept in its outbox) that central does
not have after a final drain (lost), applications central holds more than once (doubled);
cards made at the kiosk and posted by central as well (doubled), approved print-here cards
neither made nor posted (owed and never made), cards central counts as printed that the
printer never made; restart-to-attract time (process start to the attract screen, the
start-up reconciliation done), p50 and max. All the counts should be zero.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from drivers.printer.job_index import JobIndex
from tools.central_process import central_on

ROOT = Path(__file__).resolve().parent.parent
CHILD = Path(__file__).with_name("kill_soak_kiosk.py")


class Kiosk:
    def __init__(self, url: str, data: Path, mode: str) -> None:
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, str(CHILD), url, str(data), mode], cwd=ROOT,
            env=dict(os.environ, PYTHONPATH=str(ROOT)), text=True, stdout=subprocess.PIPE,
            stderr=open(data.parent / "kill-soak-kiosk.log", "a"))

    def line(self) -> str:
        text = self.proc.stdout.readline()
        if not text:
            raise RuntimeError(f"kiosk ended (rc {self.proc.poll()})")
        return text.strip()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


def serve_until_killed(url: str, data: Path, rng: random.Random, chosen: set[str]) -> float:
    """One cycle: start, time to the attract screen, serve, kill at a random moment."""
    kiosk = Kiosk(url, data, "serve")
    try:
        assert kiosk.line() == "attract"
        to_attract = time.monotonic() - kiosk.started
        deadline = time.monotonic() + rng.uniform(0.2, 4.0)
        os.set_blocking(kiosk.proc.stdout.fileno(), False)
        while time.monotonic() < deadline:
            for text in kiosk.proc.stdout.readlines():
                if text.startswith("chose "):
                    chosen.add(text.split()[1])
            time.sleep(0.01)
    finally:
        kiosk.kill()
    return to_attract


def books(central_db: Path, data: Path) -> dict:
    with sqlite3.connect(data / "outbox.sqlite3") as db:
        accepted = {k for (k,) in db.execute("SELECT idempotency_key FROM outbox")}
    with sqlite3.connect(central_db) as db:
        rows = db.execute("SELECT idempotency_key, state, fulfilment FROM applications").fetchall()
    at_central: dict[str, list[tuple[str, str]]] = {}
    for key, state, fulfilment in rows:
        if key in accepted:  # central's demo seed has applications of its own
            at_central.setdefault(key, []).append((state, fulfilment))
    index = JobIndex(data / "printed" / "card_jobs.sqlite3")
    made_here = {k for k in at_central if index.get(k) is not None}
    index.close()
    states = {k: v[0][0] for k, v in at_central.items()}
    return {
        "applications_accepted": len(accepted),
        "applications_lost": len(accepted - set(at_central)),
        "applications_doubled": sum(1 for v in at_central.values() if len(v) > 1),
        "cards_made_here": len(made_here),
        "card_images_written": len(list((data / "printed").glob("card-*.png"))),
        "cards_doubled": sum(1 for k in made_here if states[k] == "in_delivery"),
        "cards_owed_never_made": sum(1 for s in states.values() if s == "approved"),
        "cards_counted_printed_not_made": sum(
            1 for k, s in states.items() if s == "card_printed" and k not in made_here),
        "cards_posted": sum(1 for s in states.values() if s == "in_delivery"),
    }


def bench_kill_soak(tmp: Path, kills: int = 30, seed: int = 7) -> dict:
    rng = random.Random(seed)
    (tmp / "soak-central").mkdir(parents=True, exist_ok=True)
    data = tmp / "soak-kiosk"
    central = central_on(tmp / "soak-central").start()
    try:
        chosen: set[str] = set()
        to_attract = [serve_until_killed(central.url, data, rng, chosen) for _ in range(kills)]
        drain = Kiosk(central.url, data, "drain")
        assert drain.line() == "attract"
        to_attract.append(time.monotonic() - drain.started)
        assert drain.line() == "drained"
        drain.proc.wait(timeout=30)
        drain.proc.stdout.close()
        figures = books(Path(central.database.removeprefix("sqlite:///")), data)
    finally:
        central.stop()
    figures.update({
        "kills": kills, "residents_who_chose_print_here": len(chosen),
        "restart_to_attract_s_p50": round(statistics.median(to_attract), 3),
        "restart_to_attract_s_max": round(max(to_attract), 3),
    })
    figures["target_all_zero"] = all(figures[k] == 0 for k in (
        "applications_lost", "applications_doubled", "cards_doubled", "cards_owed_never_made",
        "cards_counted_printed_not_made"))
    return figures


if __name__ == "__main__":
    import json
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        print(json.dumps(bench_kill_soak(Path(d), int(sys.argv[1]) if len(sys.argv) > 1 else 10),
                         indent=1))
