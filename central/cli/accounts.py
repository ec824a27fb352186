"""`python -m central accounts ...`: dashboard accounts from a terminal (the city administrator).

    python -m central accounts add USER --role hall_manager --hall zz-centre [--password-stdin]
    python -m central accounts list
    python -m central accounts set-password USER [--password-stdin]
    python -m central accounts disable USER

Passwords are asked twice at the terminal, or read from the first line of standard input
with --password-stdin (for provisioning scripts); never taken on the command line, where
the shell history and the process list would keep them.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from central.cli.args import database_command
from central.dashboard.accounts import AccountError, Accounts, Role
from central.i18n import side_by_side


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m central accounts",
                                description="Accounts of the fleet dashboard.")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return database_command(sub, name, help_)

    a = command("add", "add an account")
    a.add_argument("username")
    a.add_argument("--role", required=True, choices=[r.value for r in Role])
    a.add_argument("--hall", action="append", default=[], metavar="HALL_ID",
                   help="a hall the account sees (repeatable; not for city_admin)")
    a.add_argument("--password-stdin", action="store_true")
    command("list", "list the accounts, their roles and halls")
    s = command("set-password", "set a new password (ends the account's sessions)")
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")
    d = command("disable", "disable an account (ends its sessions)")
    d.add_argument("username")
    return p.parse_args(argv)


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass(f"{side_by_side('cli.password')}: ")
    if getpass.getpass(f"{side_by_side('cli.again')}: ") != first:
        raise AccountError("the two passwords differ")
    return first


def main(argv: list[str]) -> int:
    from central.storage.db import create_tables, make_engine

    args = parse_args(argv)
    engine = make_engine(args.database)
    create_tables(engine)
    accounts = Accounts(engine)
    try:
        return run(accounts, args)
    except AccountError as exc:
        print(f"{side_by_side('cli.not_done')}: {exc}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()


def run(accounts: Accounts, args: argparse.Namespace) -> int:
    if args.command == "add":
        made = accounts.add(args.username, args.role, args.hall,
                            read_password(args.password_stdin))
        print(f"{made.username}: {made.role.value} {' '.join(made.halls) or '(all halls)'}")
    elif args.command == "list":
        for a in accounts.all():
            state = " disabled" if a.disabled else ""
            print(f"{a.username:<24} {a.role.value:<13} {' '.join(a.halls) or '(all halls)'}"
                  f"{state}")
    elif args.command == "set-password":
        accounts.set_password(args.username, read_password(args.password_stdin))
        print(f"{args.username}: password set")
    else:
        accounts.disable(args.username)
        print(f"{args.username}: disabled")
    return 0
