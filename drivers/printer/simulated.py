"""Printers without hardware: they render to PNG files and count their supplies.

Like real ones they refuse to print when offline, jammed or empty, and they never
print the same job twice, even after the kiosk restarts: the job index lives in
the output folder next to the images.
"""

from __future__ import annotations

import math
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from drivers.base import DeviceHealth, DeviceOffline, FaultScript, HealthState
from drivers.printer.base import (
    CardDocument,
    CardPrinter,
    JobState,
    Level,
    OutOfCards,
    OutOfPaper,
    OutOfRibbon,
    PrinterJam,
    PrintResult,
    ReceiptDocument,
    ReceiptPrinter,
    Supplies,
    Supply,
)
from drivers.printer.job_index import JobIndex, save_png_atomically
from drivers.printer.orphan_temps import remove_orphan_temps
from drivers.printer.render import render_card, render_receipt

RECEIPT_DPI = 203


def _level(left: int, low_at: int, out: bool = False) -> Level:
    if out or left <= 0:
        return Level.EMPTY
    return Level.LOW if left <= low_at else Level.OK


def _health(supplies: Supplies, faults: FaultScript) -> DeviceHealth:
    """OFFLINE, then jam, then empty supplies, then low ones: the worst thing first."""
    if faults.value("offline"):
        return DeviceHealth(HealthState.OFFLINE, "device_offline", "simulated: not answering")
    if faults.value("jam"):
        return DeviceHealth(HealthState.ERROR, PrinterJam.code, "simulated: jammed")
    for level, state, suffix in ((Level.EMPTY, HealthState.ERROR, "out"),
                                 (Level.LOW, HealthState.WARNING, "low")):
        for supply in supplies.items:
            if supply.level is level:
                return DeviceHealth(state, f"{supply.name}_{suffix}",
                                    f"{supply.name} left: {supply.remaining}")
    return DeviceHealth(HealthState.OK, "", "simulated printer")


class _Spool:
    """What both simulated printers share: output folder, job index, one job at a time.

    Images a kill cut off mid-write (``<job id>.png.<random>.tmp``) are removed at start.
    """

    def __init__(self, output_dir: str, index_name: str, prefix: str) -> None:
        self.dir = Path(output_dir)
        self.index = JobIndex(self.dir / index_name)
        self.prefix = prefix
        self.lock = threading.Lock()
        remove_orphan_temps(self.dir, rf"{re.escape(prefix)}-[0-9a-f]{{12}}\.png")

    def new_job_id(self) -> str:
        return f"{self.prefix}-{uuid.uuid4().hex[:12]}"

    def write(self, image: Any, job_id: str) -> str:
        self.dir.mkdir(parents=True, exist_ok=True)
        path = self.dir / f"{job_id}.png"
        save_png_atomically(image, path)
        return str(path)


class SimulatedReceiptPrinter(ReceiptPrinter):
    """A thermal printer. ``paper_left`` and ``near_end_at`` are centimetres of roll.

    Faults: ``offline``, ``jam``, ``paper_out`` (while set); ``paper_out_after`` = n
    runs the roll out on the receipt after the n-th this printer printed.
    """

    def __init__(self, name: str, output_dir: str, paper_mm: int = 80, paper_left: int = 200,
                 near_end_at: int = 20, faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        self.paper_mm, self.paper_left, self.near_end_at = paper_mm, paper_left, near_end_at
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self.printed = 0
        self._spool = _Spool(output_dir, "receipt_jobs.sqlite3", "receipt")

    def supplies(self) -> Supplies:
        out = bool(self.faults.value("paper_out"))
        return Supplies((Supply("paper", _level(self.paper_left, self.near_end_at, out),
                                max(0, self.paper_left)),))

    def health(self) -> DeviceHealth:
        return _health(self.supplies(), self.faults)

    def close(self) -> None:
        self._spool.index.close()

    def load_paper(self, paper_left: int = 200) -> None:
        """A technician puts in a new roll."""
        self.paper_left = paper_left

    def print_receipt(self, receipt: ReceiptDocument, job_key: str) -> PrintResult:
        with self._spool.lock:
            done = self._spool.index.get(job_key)
            if done is not None:
                return done
            self._check_ready()
            image = render_receipt(receipt, self.paper_mm, RECEIPT_DPI)
            length_cm = math.ceil(image.height / RECEIPT_DPI * 2.54)
            after = self.faults.value("paper_out_after")
            if length_cm > self.paper_left or (after is not None and self.printed >= after):
                self.paper_left = 0  # ran out part way; the torn stub does not count
                raise OutOfPaper("paper ran out while printing")
            job_id = self._spool.new_job_id()
            result = PrintResult(job_id, 1, self._spool.write(image, job_id))
            self.paper_left -= length_cm
            self.printed += 1
            self._spool.index.put(job_key, result)
            return result

    def _check_ready(self) -> None:
        if self.faults.value("offline"):
            raise DeviceOffline("receipt printer does not answer")
        if self.faults.value("jam"):
            raise PrinterJam("paper jam at the cutter")
        if self.supplies().items[0].level is Level.EMPTY:
            raise OutOfPaper("no paper")


class SimulatedCardPrinter(CardPrinter):
    """A card printer with a card hopper and a ribbon counted in prints.

    Faults (while set): ``offline``, ``jam``, ``cards_out``, ``ribbon_out``.
    """

    cards_low_at = 10
    ribbon_low_at = 20

    def __init__(self, name: str, output_dir: str, cards_left: int = 100, ribbon_left: int = 200,
                 print_time_s: float = 0.5,
                 faults: dict[str, Any] | FaultScript | None = None) -> None:
        super().__init__(name)
        self.cards_left, self.ribbon_left, self.print_time_s = cards_left, ribbon_left, print_time_s
        self.faults = faults if isinstance(faults, FaultScript) else FaultScript(faults)
        self._spool = _Spool(output_dir, "card_jobs.sqlite3", "card")

    def supplies(self) -> Supplies:
        return Supplies((
            Supply("cards", _level(self.cards_left, self.cards_low_at,
                                   bool(self.faults.value("cards_out"))), max(0, self.cards_left)),
            Supply("ribbon", _level(self.ribbon_left, self.ribbon_low_at,
                                    bool(self.faults.value("ribbon_out"))), max(0, self.ribbon_left)),
        ))

    def health(self) -> DeviceHealth:
        return _health(self.supplies(), self.faults)

    def close(self) -> None:
        self._spool.index.close()

    def load(self, cards_left: int | None = None, ribbon_left: int | None = None) -> None:
        """A technician refills the hopper or changes the ribbon."""
        if cards_left is not None:
            self.cards_left = cards_left
        if ribbon_left is not None:
            self.ribbon_left = ribbon_left

    def print_card(self, card: CardDocument, job_key: str) -> PrintResult:
        with self._spool.lock:
            done = self._spool.index.get(job_key)
            if done is not None:
                return done
            self._check_ready()
            image = render_card(card)
            time.sleep(self.print_time_s)
            job_id = self._spool.new_job_id()
            result = PrintResult(job_id, 1, self._spool.write(image, job_id))
            self.cards_left -= 1
            self.ribbon_left -= 1
            self._spool.index.put(job_key, result)
            return result

    def job_state(self, job_key: str) -> JobState | None:
        """The simulator prints synchronously: a job is completed or never arrived."""
        return JobState.COMPLETED if self._spool.index.get(job_key) is not None else None

    def _check_ready(self) -> None:
        if self.faults.value("offline"):
            raise DeviceOffline("card printer does not answer")
        if self.faults.value("jam"):
            raise PrinterJam("card jammed in the transport")
        cards, ribbon = self.supplies().items
        if cards.level is Level.EMPTY:
            raise OutOfCards("card hopper empty")
        if ribbon.level is Level.EMPTY:
            raise OutOfRibbon("ribbon used up")
