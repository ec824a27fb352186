"""A moment of connecting-to-device is not an offline card printer; minutes of it are.

CUPS's ipp backend sets connecting-to-device each time it opens the printer's
connection and clears it a moment later, so a health check can land on it while all
is well. The driver counts it as offline only once it has lasted the configured grace.

ippeveprinter keeps only the reasons it knows and drops this one (``STATE:
+connecting-to-device`` leaves printer-state-reasons at none), and on a real CUPS queue
it lasts milliseconds, so the driver is asked over real IPP by a small responder on
loopback that reports the reasons a test sets; the clock is the test's.
"""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from drivers.base import HealthState
from drivers.printer.base import Level
from drivers.printer.cups import CONNECTING_GRACE_S, CupsCardPrinter, TransientReasons
from drivers.printer.ipp import (
    CONTENT_TYPE,
    Group,
    IppMessage,
    PrinterStateCode,
    Tag,
    attr,
    decode_message,
    encode_message,
)
from kiosk.config import load_config
from kiosk.devices.build import build_device

CONNECTING = frozenset({"connecting-to-device"})


class ReasonsPrinter:
    """An IPP printer on loopback that answers Get-Printer-Attributes with ``reasons``."""

    def __init__(self) -> None:
        self.reasons: list[str] = ["none"]
        self.asked = 0
        printer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the http.server name
                request = decode_message(self.rfile.read(int(self.headers["Content-Length"])))
                printer.asked += 1
                body = encode_message(IppMessage(0, request.request_id, [
                    Group(Tag.OPERATION, [attr("attributes-charset", Tag.CHARSET, "utf-8"),
                                          attr("attributes-natural-language", Tag.LANGUAGE,
                                               "en")]),
                    Group(Tag.PRINTER, [
                        attr("printer-state", Tag.ENUM, int(PrinterStateCode.IDLE)),
                        attr("printer-state-reasons", Tag.KEYWORD, *printer.reasons),
                        attr("printer-is-accepting-jobs", Tag.BOOLEAN, True),
                        attr("printer-make-and-model", Tag.TEXT, "Reasons Test Printer")])]))
                self.send_response(200)
                self.send_header("Content-Type", CONTENT_TYPE)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def uri(self) -> str:
        return f"ipp://127.0.0.1:{self.server.server_address[1]}/ipp/print"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def responder():
    printer = ReasonsPrinter()
    yield printer
    printer.stop()


@pytest.fixture
def clock():
    now = [1000.0]
    return now


def card_printer(uri: str, tmp_path: Path, clock: list[float], **options) -> CupsCardPrinter:
    return CupsCardPrinter("card", uri=uri, job_index_dir=str(tmp_path / "jobs"),
                           clock=lambda: clock[0], **options)


# ----------------------------------------------------------------------------- the mapping

def test_connecting_is_held_back_until_it_has_lasted_the_grace(clock):
    reasons = TransientReasons(30.0, clock=lambda: clock[0])
    assert reasons.settle(CONNECTING) == (frozenset(), CONNECTING), "first sight: held"
    clock[0] += 29.9
    assert reasons.settle(CONNECTING) == (frozenset(), CONNECTING)
    clock[0] += 0.1
    assert reasons.settle(CONNECTING) == (CONNECTING, frozenset()), "30 s unbroken: it counts"
    clock[0] += 100
    assert reasons.settle(CONNECTING) == (CONNECTING, frozenset())


def test_one_look_without_connecting_starts_its_clock_afresh(clock):
    reasons = TransientReasons(30.0, clock=lambda: clock[0])
    reasons.settle(CONNECTING)
    clock[0] += 20
    assert reasons.settle(frozenset()) == (frozenset(), frozenset())
    clock[0] += 20  # 40 s after the first sight, but only just seen again
    assert reasons.settle(CONNECTING) == (frozenset(), CONNECTING)


def test_other_reasons_count_at_once_while_connecting_is_held(clock):
    reasons = TransientReasons(30.0, clock=lambda: clock[0])
    jammed = CONNECTING | {"media-jam", "offline"}
    assert reasons.settle(jammed) == (frozenset({"media-jam", "offline"}), CONNECTING)


def test_a_grace_of_zero_holds_nothing(clock):
    assert TransientReasons(0.0, clock=lambda: clock[0]).settle(CONNECTING) == \
        (CONNECTING, frozenset())


# ----------------------------------------------------------------------------- over IPP

def test_a_flicker_of_connecting_leaves_the_printer_ok(responder, tmp_path, clock):
    printer = card_printer(responder.uri, tmp_path, clock)
    responder.reasons = ["connecting-to-device"]

    health = printer.health()
    assert health.state is HealthState.OK, health
    assert "connecting-to-device" in health.detail, "said, for the technician, not believed"
    status = printer.status()
    assert status.offline_reason is None and status.held == CONNECTING
    assert [s.level for s in printer.supplies().items] == [Level.OK, Level.OK]

    responder.reasons = ["none"]
    clock[0] += 5
    health = printer.health()
    assert (health.state, health.detail) == (HealthState.OK, "Reasons Test Printer")


def test_connecting_for_longer_than_the_grace_is_offline(responder, tmp_path, clock):
    printer = card_printer(responder.uri, tmp_path, clock)
    responder.reasons = ["connecting-to-device-report"]  # the suffix is ignored, as ever
    assert printer.health().state is HealthState.OK
    clock[0] += CONNECTING_GRACE_S - 1
    assert printer.health().state is HealthState.OK
    clock[0] += 2

    health = printer.health()
    assert (health.state, health.code) == (HealthState.OFFLINE, "device_offline")
    assert "connecting-to-device" in health.detail

    responder.reasons = ["none"]  # the backend got through
    assert printer.health().state is HealthState.OK


def test_offline_report_is_offline_at_the_first_look(responder, tmp_path, clock):
    printer = card_printer(responder.uri, tmp_path, clock)
    responder.reasons = ["offline-report"]
    assert printer.health().state is HealthState.OFFLINE
    assert responder.asked == 1


def test_the_grace_is_an_option_of_the_card_printers_config_section(responder, tmp_path, clock):
    config = load_config(overrides={"devices": {"card_printer": {"driver": "cups", "options": {
        "uri": responder.uri, "job_index_dir": str(tmp_path / "jobs"),
        "connecting_grace_s": 0}}}})
    printer = build_device("card_printer", config.devices.card_printer)
    try:
        responder.reasons = ["connecting-to-device"]
        assert printer.health().state is HealthState.OFFLINE, "no grace configured: none given"
    finally:
        printer.close()
