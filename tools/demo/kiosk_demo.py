"""Run the real kiosk UI with an autopilot resident through several journeys.

    python -m tools.demo.kiosk_demo --config FILE --output demo-output [--journey NAME ...]

Saves a PNG of every screen visited (<output>/<nn>-<journey>/<mm>-<step>.png), the
idle-warning overlay and the diagnostics screen once, copies each printed receipt and
card, and writes <output>/summary.json. The console gets one line as each journey starts
and one as it ends; every log line (the kiosk's, Kivy's, the libraries') goes to
<output>/logs/kiosk.log. Exits 0 only when every journey ended as expected. The central
server must already run at the config's [central] url; ``python -m tools.demo.run`` starts
one and does the rest of the demo.

The journeys are in ``journeys.py``, the runner that drives the app and takes the
pictures in ``runner.py``, what is said about them in ``report.py``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import TextIO

from drivers.reader.idcard.virtual import socat_usable
from kiosk.config import ROOT, load_config
from tools.demo.journeys import Journey, journeys
from tools.demo.logs import kivy_logs_to_python, logs_dir, process_output_to
from tools.demo.report import progress_end, progress_start, write_summary

DEMO_JOURNEY = {"idle_warning_s": 6, "idle_reset_s": 30, "receipt_return_s": 60}
LOG_NAME = "kiosk.log"

log = logging.getLogger("tools.demo")


def printed_dirs(config) -> list[Path]:
    """Where the simulated receipt and card printers put what they print."""
    dirs = []
    for dev in (config.devices.receipt_printer, config.devices.card_printer):
        if "output_dir" in dev.options:
            p = Path(dev.options["output_dir"])
            dirs.append(p if p.is_absolute() else ROOT / p)
    return dirs


def run_app(config, selected: list[Journey], output: Path, central_database: str | None,
            console: TextIO) -> None:
    """The kiosk's real Kivy app with the runner driving it, until the last journey ends."""
    from screens.window import configure_window
    configure_window(config)
    from kiosk.runtime import KioskRuntime
    from screens.app import KioskApp
    app = KioskApp(config, runtime_factory=lambda dispatch: KioskRuntime(config, dispatch))
    runners: list = []
    total = len(selected)

    def start(_app) -> None:
        from tools.demo.runner import DemoRunner
        if not runners:
            runners.append(DemoRunner(
                app, selected, output, printed_dirs(config), central_database,
                on_journey_start=lambda i, j: print(progress_start(i, total, j), file=console),
                on_journey_end=lambda i, j: print(progress_end(i, total, j), file=console)))
            runners[0].start()

    app.bind(on_start=start)
    app.run()


def demo_reader(base) -> dict:
    """The configured reader without its simulated hands (the autopilot puts each document
    down itself); the demo's chip reader gets the ID-card module beside it, as a hall's
    kiosk has them, so ID cards are read through the module's protocol over a pty."""
    reader = dict(base.devices.reader.options)
    reader.pop("present_after_s", None)
    driver = base.devices.reader.driver
    if driver != "virtual_chip" or not socat_usable()[0]:
        return {"driver": driver, "options": reader}
    return {"driver": "combined", "options": {"readers": [
        {"driver": "virtual_idcard", "options": {}},
        {"driver": driver, "options": reader}]}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OneTrip kiosk demo with an autopilot resident")
    parser.add_argument("--config", type=Path, action="append", default=[], required=True)
    parser.add_argument("--output", type=Path, default=Path("demo-output"))
    parser.add_argument("--journey", action="append", default=[],
                        help="run only these journeys (repeatable); default: all")
    parser.add_argument("--central-database", default=None, metavar="URL",
                        help="the reference central's database: the fleet journey's hall "
                             "manager sets the kiosk's settings there")
    args = parser.parse_args(argv)

    base = load_config(*args.config)
    config = load_config(*args.config, overrides={
        "journey": DEMO_JOURNEY, "devices": {"reader": demo_reader(base)}})
    all_journeys = journeys(config.diagnostics.pin)
    unknown = [n for n in args.journey if n not in all_journeys]
    if unknown:
        parser.error(f"unknown journey(s) {unknown}; known: {', '.join(all_journeys)}")
    selected = [all_journeys[n] for n in (args.journey or all_journeys)]
    output = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)

    kivy_logs_to_python()
    log_path = logs_dir(output) / LOG_NAME
    console = process_output_to(log_path)
    try:
        run_app(config, selected, output, args.central_database, console)
    except Exception:
        log.exception("the kiosk demo stopped")
        print(f"the kiosk process stopped with an error: read {log_path}", file=console)
        raise
    return 0 if write_summary(output, selected) else 1


if __name__ == "__main__":
    sys.exit(main())
