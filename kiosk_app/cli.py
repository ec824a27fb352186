"""The ``kiosk`` command: the core's subcommands (``kiosk.cli``) and ``run``, the touch UI."""

from __future__ import annotations

import argparse
from pathlib import Path

from kiosk.cli import main as core
from kiosk.config import load_or_explain


def cmd_run(args: argparse.Namespace) -> int:
    from kiosk_app.ui import run  # Kivy is imported only when the UI runs

    config, error = load_or_explain(*[Path(p) for p in args.config])
    run(config, error)
    return 0


def add_run(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub.add_parser("run", help="run the kiosk's touch UI").set_defaults(func=cmd_run)


def main(argv: list[str] | None = None) -> int:
    return core.main(argv, extra=add_run)
