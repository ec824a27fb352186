"""`kiosk printer status|test`: the technician's look at both printers from a shell.

``status`` asks each printer how it is and what supplies it has left (JSON with
--json). ``test --receipt`` / ``test --card`` prints a specimen that holds no
personal data (kiosk/specimens.py, shared with the diagnostics screen), with a
fresh job key each time so the printers' at-most-once memory never swallows a test.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from drivers.base import DeviceError
from kiosk.config import KioskConfig, load_config
from kiosk.devices.build import build_device
from kiosk.effects.specimens import PRINTERS, print_specimen

EXIT_OK, EXIT_FAILED, EXIT_UNHEALTHY = 0, 1, 3


def printer_status(config: KioskConfig) -> dict[str, Any]:
    """Health and supplies of both printers; a printer that cannot be built says why."""
    report: dict[str, Any] = {}
    for kind in PRINTERS:
        section = getattr(config.devices, kind)
        try:
            device = build_device(kind, section)
        except DeviceError as exc:
            report[kind] = {"driver": section.driver, "state": "offline", "code": exc.code,
                            "detail": str(exc)}
            continue
        try:
            report[kind] = _describe(section.driver, device)
        finally:
            device.close()
    return report


def _describe(driver: str, device: Any) -> dict[str, Any]:
    health = device.health()
    supplies = device.supplies()
    return {"driver": driver, "state": health.state.value, "code": health.code,
            "detail": health.detail,
            "supplies": [{"name": s.name, "level": s.level.value, "remaining": s.remaining}
                         for s in supplies.items]}


def print_test(config: KioskConfig, kind: str) -> dict[str, Any]:
    """Build the printer from config, print its specimen, close it."""
    section = getattr(config.devices, kind)
    device = build_device(kind, section)
    try:
        result = print_specimen(device, kind, config)
    finally:
        device.close()
    return {"printer": kind, "driver": section.driver, "job_id": result.job_id,
            "pages": result.pages}


def cmd_printer(args: argparse.Namespace) -> int:
    config = load_config(*[Path(p) for p in args.config])
    if args.printer_command == "status":
        report = printer_status(config)
        _print(report, args.json)
        healthy = all(r.get("state") in ("ok", "warning") for r in report.values())
        return EXIT_OK if healthy else EXIT_UNHEALTHY
    kind = "receipt_printer" if args.receipt else "card_printer"
    try:
        outcome = print_test(config, kind)
    except DeviceError as exc:
        _print({"printer": kind, "error": exc.code, "detail": str(exc)}, args.json)
        return EXIT_FAILED
    _print(outcome, args.json)
    return EXIT_OK


def _print(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return
    for name, value in report.items():
        if isinstance(value, dict):
            supplies = ", ".join(f"{s['name']} {s['level']}"
                                 + (f" ({s['remaining']})" if s["remaining"] is not None else "")
                                 for s in value.get("supplies", []))
            print(f"{name:<16} {value.get('driver', ''):<10} {value.get('state', '')}"
                  f"{' [' + value['code'] + ']' if value.get('code') else ''}  {supplies}".rstrip())
        else:
            print(f"{name}: {value}")


def add_parser(sub: Any) -> None:
    printer = sub.add_parser("printer", help="receipt and card printer tools")
    printer_sub = printer.add_subparsers(dest="printer_command", required=True)
    status = printer_sub.add_parser("status", help="health and supplies of both printers")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_printer)
    test = printer_sub.add_parser("test", help="print a test receipt or card (no personal data)")
    which = test.add_mutually_exclusive_group(required=True)
    which.add_argument("--receipt", action="store_true")
    which.add_argument("--card", action="store_true")
    test.add_argument("--json", action="store_true")
    test.set_defaults(func=cmd_printer)
