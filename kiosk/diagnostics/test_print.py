"""Test prints from the diagnostics screen: a specimen receipt or card on the kiosk's own
printers (no personal data), one at a time, never while a resident is being served."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from drivers.base import DeviceError
from kiosk.diagnostics.report import RunningKiosk
from kiosk.effects.specimens import print_specimen

log = logging.getLogger("kiosk.diagnostics")


TEST_PRINTERS = {"receipt": "receipt_printer", "card": "card_printer"}
BUSY, RESIDENT_PRESENT = "test_print_busy", "resident_present"
_TEST_PRINT = threading.Lock()  # one test print at a time, whoever asks


@dataclass(frozen=True)
class PrintTestResult:
    """What became of one test print: printed, or the printer's reason code why not."""

    kind: str  # "receipt" or "card"
    printed: bool
    code: str = ""  # paper_out, cards_out, device_offline, test_print_busy, ...
    job_id: str = ""
    detail: str = ""  # the driver's words, for the log and the CLI; no personal data


def print_test(runtime: RunningKiosk, kind: str) -> PrintTestResult:
    """Print the specimen receipt or card on the running kiosk's own printer.

    Blocking (a card takes about 40 s on a real printer): call it off the UI thread.
    Refused while a resident is in a journey, and while another test print runs, so
    a second tap never prints twice. Afterwards the devices are asked again at once,
    so the report and the journey see the supplies the print used up.
    """
    device_name = TEST_PRINTERS[kind]
    if runtime.status.current.step != "attract":  # as the journey last published it
        return PrintTestResult(kind, False, RESIDENT_PRESENT)
    if not _TEST_PRINT.acquire(blocking=False):
        return PrintTestResult(kind, False, BUSY)
    try:
        result = _print_specimen(runtime, device_name, kind)
    finally:
        _TEST_PRINT.release()
    _look_again(runtime)
    return result


def _print_specimen(runtime: RunningKiosk, device_name: str, kind: str) -> PrintTestResult:
    device = getattr(runtime.devices, device_name)
    try:
        done = print_specimen(device, device_name, runtime.config)
    except DeviceError as exc:
        log.warning("test %s not printed: %s", kind, exc.code)
        return PrintTestResult(kind, False, exc.code, detail=str(exc)[:200])
    log.info("test %s printed, job %s", kind, done.job_id)
    return PrintTestResult(kind, True, job_id=done.job_id)


def _look_again(runtime: RunningKiosk) -> None:
    try:
        runtime.monitor.poll_once()
    except Exception as exc:  # the print's own outcome stands whatever this does
        log.warning("devices not asked again after a test print: %s", type(exc).__name__)
