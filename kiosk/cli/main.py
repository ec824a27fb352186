"""The ``kiosk`` command's headless part: diagnostics, config check, enrolment, and the
document, printer and photo tools. The composition root (``kiosk_app.cli``) adds ``run``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.cli import document as document_cli
from kiosk.cli import photo as photo_cli
from kiosk.cli import printer as printer_cli
from kiosk.config import ConfigError, check_file, load_config


def _config(args: argparse.Namespace):
    return load_config(*[Path(p) for p in args.config])


def cmd_diag(args: argparse.Namespace) -> int:
    from kiosk.diagnostics.report import collect
    from kiosk.diagnostics.technician import install_recent_errors
    from kiosk.runtime import KioskRuntime
    from kiosk.worker import QueueDispatch

    install_recent_errors()
    runtime = KioskRuntime(_config(args), QueueDispatch())
    try:
        report = collect(runtime)
    finally:
        runtime.stop()
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print("\n".join(report.lines()))
    return 0 if report.healthy else 3


def cmd_enrol(args: argparse.Namespace) -> int:
    """Enrol with a code a technician was given; exit 0 enrolled, 2 refused, 3 try again."""
    from kiosk.errors import CentralRejected, CentralUnavailable, InvalidInput
    from kiosk.fleet.enrolment import enrol, read_qr_payload, typed_code

    try:
        ticket = read_qr_payload(args.qr_payload) if args.qr_payload else typed_code(args.code)
        done = enrol(_config(args), ticket)
    except (InvalidInput, CentralRejected) as exc:
        print(f"未登记 Not enrolled: {exc.code}: {exc.detail}", file=sys.stderr)
        return 2
    except CentralUnavailable as exc:
        print(f"中心暂不可达，请稍后重试 Central not reachable, try again: {exc.code}",
              file=sys.stderr)
        return 3
    print(f"已登记 Enrolled: {done.kiosk_id} -> {done.hall_id}; "
          f"central key {done.central_fingerprint}")
    return 0


def cmd_config_check(args: argparse.Namespace) -> int:
    failed = 0
    for name in args.files:
        problems = check_file(Path(name))
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{Path(name).name}: ok")
        failed += bool(problems)
    return 1 if failed else 0


def parser(extra: Callable[[Any], None] | None = None) -> argparse.ArgumentParser:
    """The command line; ``extra`` adds subcommands that live above the core (``run``)."""
    p = argparse.ArgumentParser(prog="kiosk", description="OneTrip residence-permit kiosk")
    p.add_argument("--config", action="append", default=[], metavar="FILE",
                   help="site or kiosk config file, layered over the defaults (repeatable)")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    if extra is not None:
        extra(sub)
    diag = sub.add_parser("diag", help="print device, network and outbox health")
    diag.add_argument("--json", action="store_true")
    diag.set_defaults(func=cmd_diag)
    config = sub.add_parser("config", help="configuration tools")
    config_sub = config.add_subparsers(dest="config_command", required=True)
    check = config_sub.add_parser("check", help="validate config files")
    check.add_argument("files", nargs="+")
    check.set_defaults(func=cmd_config_check)
    enrol = sub.add_parser("enrol", help="enrol this kiosk with central's one-time code")
    how = enrol.add_mutually_exclusive_group(required=True)
    how.add_argument("code", nargs="?", help="the code as printed (ABCDE-FGHJK)")
    how.add_argument("--qr-payload", metavar="TEXT", help="the text of the enrolment QR code")
    enrol.set_defaults(func=cmd_enrol)
    document_cli.add_parser(sub)
    printer_cli.add_parser(sub)
    photo_cli.add_parser(sub)
    return p


def main(argv: list[str] | None = None,
         extra: Callable[[Any], None] | None = None) -> int:
    args = parser(extra).parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ConfigError as e:
        for problem in e.problems:
            print(problem, file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
