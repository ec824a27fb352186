"""The card printer over IPP: from "print" to the job accepted by the printer, and to done.

Runs against Debian's ippeveprinter (as the tests do) with the card printer driver the
kiosk uses; the figures are the kiosk's side of the work (rendering the card as PWG
raster, the IPP exchanges), since ippeveprinter prints instantly.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.camera.synthetic import portrait_jpeg
from drivers.printer.base import CardDocument
from drivers.printer.cups import CupsCardPrinter
from tests.printers.ipp_printer import IppEvePrinter, SystemBus


def specimen_card(n: int) -> CardDocument:
    """An invented holder: no one's personal data."""
    return CardDocument(permit_number=f"ZZ-BENCH-{n:04d}", city_name="株洲市", name="样例",
                        sex="F", birth_date=dt.date(1990, 1, 1),
                        document_number="430200199001010000", address="荷塘区新华西路36号",
                        valid_from=dt.date(2026, 11, 22), valid_until=dt.date(2031, 11, 21),
                        qr_payload="https://jzz.zhuzhou.example.cn/t/ZZ-BENCH",
                        photo_jpeg=portrait_jpeg("bench"))


class _TimedClient:
    """The driver's IPP client, noting when Print-Job was answered (the job accepted)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.accepted_at: float | None = None
        self.document_bytes = 0

    def print_job(self, document: bytes, **kwargs: Any) -> Any:
        job = self._client.print_job(document, **kwargs)
        self.accepted_at = time.perf_counter()
        self.document_bytes = len(document)
        return job

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def bench_card_print(rounds: int = 5) -> dict[str, Any]:
    to_accepted, to_done, sizes = [], [], []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        bus = SystemBus(tmp).start()
        printer = IppEvePrinter(tmp / "printer", bus)
        try:
            printer.start()
            for duplex in (False, True):
                driver = CupsCardPrinter("bench", uri=printer.uri, duplex=duplex,
                                         job_index_dir=str(tmp / f"jobs-{duplex}"), poll_s=0.05)
                driver.print_card(specimen_card(0), f"bench-warm-{duplex}")  # fonts, imports
                for n in range(rounds):
                    timed = _TimedClient(driver.client)
                    driver.client = timed
                    started = time.perf_counter()
                    driver.print_card(specimen_card(n + 1), f"bench-{duplex}-{n}")
                    done = time.perf_counter()
                    driver.client = timed._client
                    to_accepted.append((duplex, timed.accepted_at - started))
                    to_done.append((duplex, done - started))
                    sizes.append((duplex, timed.document_bytes))
        finally:
            printer.stop()
            bus.stop()

    def median(pairs: list[tuple[bool, float]], duplex: bool) -> float:
        return round(statistics.median(v for d, v in pairs if d is duplex), 4)

    return {side: {"rounds": rounds,
                   "print_to_accepted_s_median": median(to_accepted, duplex),
                   "print_to_completed_s_median": median(to_done, duplex),
                   "document_bytes": int(median(sizes, duplex))}
            for side, duplex in (("simplex", False), ("duplex", True))}
