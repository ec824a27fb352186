"""Simulated receipt and card printers: files, supplies, faults, print-once."""

from __future__ import annotations

import pytest
from PIL import Image

from drivers.base import DeviceOffline, HealthState
from drivers.printer.base import Level, OutOfCards, OutOfPaper, OutOfRibbon, PrinterJam
from drivers.printer.simulated import SimulatedCardPrinter, SimulatedReceiptPrinter
from tests.drivers import samples


def pngs(folder) -> list:
    return sorted(folder.glob("*.png"))


def test_receipt_is_written_as_a_png(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path))
    result = printer.print_receipt(samples.receipt(), "job-1")
    assert pngs(tmp_path) == [tmp_path / f"{result.job_id}.png"]
    assert Image.open(result.image_path).width == 576


def test_58mm_printer(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path), paper_mm=58)
    assert Image.open(printer.print_receipt(samples.receipt(), "j").image_path).width == 384


def test_same_job_key_prints_once_even_after_a_restart(tmp_path):
    first = SimulatedReceiptPrinter("r", str(tmp_path))
    result = first.print_receipt(samples.receipt(), "application-42/receipt")
    paper = first.paper_left
    assert first.print_receipt(samples.receipt(), "application-42/receipt") == result
    assert first.paper_left == paper
    restarted = SimulatedReceiptPrinter("r", str(tmp_path))
    assert restarted.print_receipt(samples.receipt(), "application-42/receipt") == result
    assert len(pngs(tmp_path)) == 1
    assert restarted.print_receipt(samples.receipt(), "application-43/receipt") != result
    assert len(pngs(tmp_path)) == 2


def test_job_index_keeps_no_raw_job_key_and_no_temp_files(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path))
    printer.print_receipt(samples.receipt(), "APP-7788")
    assert (tmp_path / "receipt_jobs.sqlite3").stat().st_size > 0
    for path in tmp_path.glob("receipt_jobs*"):  # the file and its write-ahead log
        assert b"APP-7788" not in path.read_bytes()
    assert not list(tmp_path.glob("*.tmp"))


def test_paper_runs_down_to_low_and_empty(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path), paper_left=60, near_end_at=30)
    assert printer.supplies().get("paper").level is Level.OK
    printer.print_receipt(samples.receipt(), "1")
    used = 60 - printer.paper_left
    assert 8 <= used <= 20  # a receipt is a hand's length
    while printer.paper_left > 30:
        printer.print_receipt(samples.receipt(), f"more-{printer.paper_left}")
    assert printer.supplies().get("paper").level is Level.LOW
    assert printer.health().state is HealthState.WARNING
    with pytest.raises(OutOfPaper):
        for n in range(10):
            printer.print_receipt(samples.receipt(), f"last-{n}")
    assert printer.supplies().get("paper").level is Level.EMPTY
    assert printer.health().state is HealthState.ERROR
    assert printer.health().code == "paper_out"


def test_fault_paper_out_and_a_failed_job_is_not_remembered(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path), faults={"paper_out": -1})
    with pytest.raises(OutOfPaper):
        printer.print_receipt(samples.receipt(), "job")
    assert pngs(tmp_path) == []
    printer.faults.clear("paper_out")
    assert printer.print_receipt(samples.receipt(), "job").image_path


def test_fault_paper_out_after_n_receipts(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path), faults={"paper_out_after": 2})
    printer.print_receipt(samples.receipt(), "1")
    printer.print_receipt(samples.receipt(), "2")
    with pytest.raises(OutOfPaper) as error:
        printer.print_receipt(samples.receipt(), "3")
    assert error.value.code == "paper_out"
    assert printer.supplies().get("paper").level is Level.EMPTY
    printer.faults.clear()
    printer.load_paper(100)
    assert printer.print_receipt(samples.receipt(), "3")


def test_faults_jam_and_offline(tmp_path):
    printer = SimulatedReceiptPrinter("r", str(tmp_path), faults={"jam": -1})
    assert printer.health().state is HealthState.ERROR
    with pytest.raises(PrinterJam):
        printer.print_receipt(samples.receipt(), "j")
    printer.faults.clear()
    printer.faults.set("offline", -1)
    assert printer.health().state is HealthState.OFFLINE
    with pytest.raises(DeviceOffline):
        printer.print_receipt(samples.receipt(), "j")
    printer.faults.clear()
    assert printer.health().state is HealthState.OK


def test_card_is_printed_once_and_counts_supplies(tmp_path):
    printer = SimulatedCardPrinter("c", str(tmp_path), cards_left=12, ribbon_left=50,
                                   print_time_s=0)
    result = printer.print_card(samples.card(), "permit-1")
    image = Image.open(result.image_path)
    assert abs(image.width - 1011) <= 1 and abs(image.height - 638) <= 1
    assert (printer.cards_left, printer.ribbon_left) == (11, 49)
    again = SimulatedCardPrinter("c", str(tmp_path), print_time_s=0)
    assert again.print_card(samples.card(), "permit-1") == result
    assert again.cards_left == 100 and len(pngs(tmp_path)) == 1
    printer.print_card(samples.card(), "permit-2")
    assert printer.supplies().get("cards").level is Level.LOW
    assert printer.health().state is HealthState.WARNING


def test_card_printer_runs_out(tmp_path):
    printer = SimulatedCardPrinter("c", str(tmp_path), cards_left=1, print_time_s=0)
    printer.print_card(samples.card(), "a")
    with pytest.raises(OutOfCards):
        printer.print_card(samples.card(), "b")
    assert printer.health().code == "cards_out"
    printer.load(cards_left=5)
    assert printer.print_card(samples.card(), "b")


@pytest.mark.parametrize(("fault", "error", "state"), [
    ("cards_out", OutOfCards, HealthState.ERROR),
    ("ribbon_out", OutOfRibbon, HealthState.ERROR),
    ("jam", PrinterJam, HealthState.ERROR),
    ("offline", DeviceOffline, HealthState.OFFLINE),
])
def test_card_printer_faults(tmp_path, fault, error, state):
    printer = SimulatedCardPrinter("c", str(tmp_path), print_time_s=0, faults={fault: -1})
    assert printer.health().state is state
    with pytest.raises(error):
        printer.print_card(samples.card(), "x")
    assert pngs(tmp_path) == [] and printer.cards_left == 100


def test_receipt_and_card_printers_can_share_a_folder(tmp_path):
    receipt = SimulatedReceiptPrinter("r", str(tmp_path)).print_receipt(samples.receipt(), "k")
    card = SimulatedCardPrinter("c", str(tmp_path), print_time_s=0).print_card(samples.card(), "k")
    assert receipt.image_path != card.image_path and len(pngs(tmp_path)) == 2
