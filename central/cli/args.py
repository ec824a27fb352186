"""What the `python -m central` subcommands share: a subcommand with the database option."""

from __future__ import annotations

import argparse


def database_command(sub, name: str, help_: str) -> argparse.ArgumentParser:
    """A subcommand that works on central's database (SQLite file by default)."""
    command = sub.add_parser(name, help=help_)
    command.add_argument("--database", default="sqlite:///central.db", help="SQLAlchemy URL")
    return command
