"""A device that cannot be built at start is out of service, not a crash, and comes back alone."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest

from drivers import base as registry
from drivers.base import DeviceOffline, HealthState
from drivers.options import project_path
from drivers.printer import escpos
from drivers.printer.options import SimulatedCardPrinterOptions
from kiosk.config import ROOT
from kiosk.devices.unavailable import (
    UnavailableCardPrinter,
    UnavailableReader,
    UnavailableReceiptPrinter,
)
from kiosk.journey.steps import Step
from protocol import wire
from tests.journey.walk import present, to_decision
from tests.printers.escpos_reader import decode
from tests.printers.fake_printer import FakeEscposPrinter, SocatPair
from tests.printers.samples import chinese_receipt

S = Step
M = wire.FulfilmentMethod
PERSONAS = ROOT / "drivers" / "reader" / "sim_documents.toml"


def health(k, name: str):
    return k.runtime.monitor.latest.health[name]


def no_traceback(caplog) -> None:
    assert [r for r in caplog.records if r.exc_info] == [], "a traceback was logged"


def test_a_reader_that_cannot_be_built_is_out_of_service_and_comes_back(
        make_kiosk, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    personas = tmp_path / "usb-stick" / "personas.toml"  # not there yet
    k = make_kiosk(devices__retry_unavailable_s=0, devices__reader={
        "driver": "virtual_chip", "options": {"documents_file": str(personas)}})
    assert isinstance(k.devices.reader, UnavailableReader)
    k.runtime.monitor.poll_once()
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "reader_offline"
    reader = health(k, "reader")
    assert (reader.state, reader.code) == (HealthState.OFFLINE, "device_unavailable")
    assert "FileNotFoundError" in reader.detail and "personas.toml" in reader.detail
    assert "reader unavailable: driver 'virtual_chip' could not be built" in caplog.text
    no_traceback(caplog)

    personas.parent.mkdir()
    shutil.copy(PERSONAS, personas)  # the file is there now: no one touches the kiosk
    k.runtime.monitor.poll_once()
    k.pump(S.ATTRACT)
    assert health(k, "reader").state is HealthState.OK
    # The journey's start(listener) and arm() reached the reader built late.
    present(k, "eligible")
    assert k.journey.state is S.CONFIRM_DETAILS
    k.journey.cancel()


def test_a_reader_is_built_again_only_every_retry_s(make_kiosk, tmp_path):
    personas = tmp_path / "personas.toml"
    k = make_kiosk(devices__retry_unavailable_s=3600, devices__reader={
        "driver": "virtual_chip", "options": {"documents_file": str(personas)}})
    shutil.copy(PERSONAS, personas)
    k.runtime.monitor.poll_once()
    k.pump(S.OUT_OF_SERVICE)
    assert health(k, "reader").code == "device_unavailable", "not tried again yet"


def test_a_pcsc_reader_that_cannot_be_built_starts_out_of_service(make_kiosk, tmp_path, caplog):
    """A reader name that matches nothing and a trust store not (yet) mounted: the kiosk
    starts, says why, and does not crash."""
    caplog.set_level(logging.INFO)
    k = make_kiosk(devices__reader={"driver": "pcsc", "options": {
        "reader": "No Such Reader 00 00", "trust_store": str(tmp_path / "csca")}})
    k.runtime.monitor.poll_once()
    k.pump(S.OUT_OF_SERVICE)
    assert k.journey.session.problem.code == "reader_offline"
    reader = health(k, "reader")
    assert reader.state is HealthState.OFFLINE and reader.code == "device_unavailable"
    assert "reader driver 'pcsc' not built" in reader.detail
    no_traceback(caplog)


@pytest.fixture
def card_printer_socket(tmp_path):
    """A card printer driver that cannot be built until its USB cable (a file) is there."""
    usb = tmp_path / "usb-cable"

    class PluggedOptions(SimulatedCardPrinterOptions):
        cable: str = project_path(str(usb), "Where the cable is.")

    def build(name: str, cable: str = str(usb), **options):
        if not Path(cable).exists():
            raise DeviceOffline("no card printer on USB (vendor 0x0c55)", code="usb_missing")
        from drivers.printer.simulated import SimulatedCardPrinter
        return SimulatedCardPrinter(name, **options)

    registry.register("card_printer", "test_plugged", build, options=PluggedOptions)
    yield usb
    registry._REGISTRY.pop(("card_printer", "test_plugged"))


def test_an_unavailable_card_printer_is_told_before_choosing_and_comes_back(
        make_kiosk, tmp_path, card_printer_socket):
    k = make_kiosk(devices__retry_unavailable_s=0, devices__card_printer={
        "driver": "test_plugged", "options": {"output_dir": str(tmp_path / "printed"),
                                              "print_time_s": 0.05}})
    assert isinstance(k.devices.card_printer, UnavailableCardPrinter)
    k.runtime.monitor.poll_once()
    to_decision(k, "eligible")
    k.journey.decision.continue_application()
    assert M.PRINT_HERE not in k.journey.fulfilment.options()
    assert k.journey.fulfilment.print_here_blocked() == "device_unavailable", "told before choosing"
    card = health(k, "card_printer")
    assert card.detail == ("card_printer driver 'test_plugged' not built (usb_missing): no "
                           "card printer on USB (vendor 0x0c55)")

    card_printer_socket.touch()  # plugged in
    k.runtime.monitor.poll_once()
    k.pump()
    assert M.PRINT_HERE in k.journey.fulfilment.options()
    assert k.journey.fulfilment.print_here_blocked() is None
    k.journey.fulfilment.choose(M.PRINT_HERE)
    k.pump(S.RECEIPT, timeout_s=20)
    assert k.journey.session.outcome.card_printed


@pytest.mark.slow
def test_an_escpos_printer_unusable_at_start_prints_once_its_port_appears(
        make_kiosk, tmp_path, monkeypatch, caplog):
    """python-escpos unusable at start, then usable, with the printer's port not there; then
    the printer is plugged in (its pty appears) and prints, with nobody at the kiosk."""
    caplog.set_level(logging.INFO)
    port = tmp_path / "ttyRECEIPT"
    usable = escpos.is_usable
    monkeypatch.setattr(escpos, "is_usable", lambda: (False, "python-escpos is not installed"))
    k = make_kiosk(devices__retry_unavailable_s=0, devices__receipt_printer={
        "driver": "escpos", "options": {"port": str(port), "status_timeout_s": 0.3,
                                        "job_index_dir": str(tmp_path / "jobs")}})
    printer = k.devices.receipt_printer
    assert isinstance(printer, UnavailableReceiptPrinter)
    k.runtime.monitor.poll_once()
    receipt = health(k, "receipt_printer")
    assert (receipt.state, receipt.code) == (HealthState.OFFLINE, "device_unavailable")
    assert receipt.detail == ("receipt_printer driver 'escpos' not built (driver_unusable): "
                              "receipt_printer driver 'escpos' cannot run here: python-escpos "
                              "is not installed")
    no_traceback(caplog)

    monkeypatch.setattr(escpos, "is_usable", usable)
    k.runtime.monitor.poll_once()
    assert printer.real is not None, "built: the driver waits for its port itself"
    assert health(k, "receipt_printer").code == "device_offline"
    with SocatPair(tmp_path / "socat.log") as pair:
        fake = FakeEscposPrinter(pair.printer).start()
        try:
            os.symlink(pair.host, port)  # plugged in
            k.runtime.monitor.poll_once()
            assert health(k, "receipt_printer").state is HealthState.OK
            printer.print_receipt(chinese_receipt(), job_key="late-printer")
            fake.wait_idle()
            with fake.lock:
                paper = decode(bytes(fake.received))
            assert paper.cuts == 1 and "居住证" in paper.text
        finally:
            k.runtime.stop()  # the printer lets go of the pty before socat goes
            fake.stop()
