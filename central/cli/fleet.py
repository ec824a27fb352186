"""`python -m central fleet ...`: the fleet from a terminal, for technicians, tests and the demo.

    python -m central fleet set-settings --database URL KIOSK_ID JSON --who NAME
    python -m central fleet states --database URL [--hall HALL_ID ...] [--json]
    python -m central fleet assign --database URL KIOSK_ID HALL_ID
    python -m central fleet audit --database URL KIOSK_ID [--json]
    python -m central fleet enrolment-code --database URL KIOSK_ID --hall HALL_ID --who NAME
                                           --public-url URL [--valid-minutes 60] [--qr PNG]
    python -m central fleet revoke --database URL KIOSK_ID --who NAME --reason TEXT

Settings are checked by wire.KioskSettings, the model the kiosk checks them with; what is
wrong is printed field by field and the exit status is 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from central.cli.args import database_command
from central.i18n import side_by_side
from protocol import wire

STATE_WORDS = {"ok": "fleet.state.ok", "warning": "fleet.state.warning",
               "error": "fleet.state.error", "offline": "fleet.state.offline"}


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m central fleet",
                                description="The kiosk fleet from a terminal.")
    sub = p.add_subparsers(dest="command", required=True)

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return database_command(sub, name, help_)

    s = command("set-settings", "set a kiosk's desired settings (JSON of wire.KioskSettings)")
    s.add_argument("kiosk_id")
    s.add_argument("settings", metavar="JSON")
    s.add_argument("--who", required=True, help="who makes the change (kept in the audit)")
    st = command("states", "every kiosk as OK / Warning / Error / Offline, and why")
    st.add_argument("--hall", action="append", default=None, metavar="HALL_ID",
                    help="only this hall's kiosks (repeatable)")
    st.add_argument("--offline-after-s", type=float, default=None, metavar="SECONDS")
    st.add_argument("--json", action="store_true")
    a = command("assign", "put a kiosk in a hall")
    a.add_argument("kiosk_id")
    a.add_argument("hall_id")
    au = command("audit", "who changed a kiosk's settings, when, and what")
    au.add_argument("kiosk_id")
    au.add_argument("--json", action="store_true")
    e = command("enrolment-code", "a one-time code that enrols a kiosk (typed or as a QR code)")
    e.add_argument("kiosk_id")
    e.add_argument("--hall", required=True, metavar="HALL_ID")
    e.add_argument("--who", required=True, help="who asks for it (kept in the audit)")
    e.add_argument("--public-url", required=True, help="the address kiosks reach central at")
    e.add_argument("--valid-minutes", type=float, default=60.0)
    e.add_argument("--fleet-key", type=Path, default=None, metavar="PATH",
                   help="central's key (default: beside the SQLite database)")
    e.add_argument("--qr", type=Path, default=None, metavar="PNG", help="also write the QR code")
    r = command("revoke", "refuse a kiosk from now on (its outbox waits on the kiosk)")
    r.add_argument("kiosk_id")
    r.add_argument("--who", required=True)
    r.add_argument("--reason", required=True)
    r.add_argument("--fleet-key", type=Path, default=None, metavar="PATH")
    return p.parse_args(argv)


def open_fleet(args: argparse.Namespace):
    from central.fleet.service import Fleet
    from central.fleet.states import Thresholds
    from central.storage.db import create_tables, make_engine

    engine = make_engine(args.database)
    create_tables(engine)
    limits = Thresholds()
    if getattr(args, "offline_after_s", None):
        limits = Thresholds(offline_after_s=args.offline_after_s)
    return Fleet(engine, limits)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    fleet = open_fleet(args)
    try:
        return COMMANDS[args.command](fleet, args)
    finally:
        fleet.engine.dispose()


def set_settings(fleet, args: argparse.Namespace) -> int:
    try:
        settings = wire.KioskSettings.model_validate_json(args.settings)
    except ValidationError as exc:
        print(f"{side_by_side('cli.settings_refused')}:", file=sys.stderr)
        for e in exc.errors():
            print(f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}",
                  file=sys.stderr)
        return 2
    revision = fleet.set_settings(args.kiosk_id, settings, args.who)
    print(f"{args.kiosk_id}: revision {revision}")
    return 0


def states(fleet, args: argparse.Namespace) -> int:
    found = fleet.kiosk_states(args.hall)
    if args.json:
        print(json.dumps([s.model_dump(mode="json") for s in found], ensure_ascii=False,
                         indent=1))
        return 0
    for s in found:
        seen = f"{s.last_heartbeat:%Y-%m-%d %H:%M:%S}" if s.last_heartbeat else "-"
        state = side_by_side(STATE_WORDS[s.state.value])
        print(f"{s.kiosk_id:<20} {s.hall_id or '-':<14} {state:<12} "
              f"{s.software_version or '-':<10} {seen}")
        for r in s.reasons:
            print(f"    {r.code}: {r.text.zh_CN} / {r.text.en}")
    return 0


def assign(fleet, args: argparse.Namespace) -> int:
    from central.fleet.service import UnknownHall

    try:
        fleet.assign(args.kiosk_id, args.hall_id)
    except UnknownHall:
        known = ", ".join(h.hall_id for h in fleet.halls()) or "none"
        print(f"{side_by_side('cli.no_such_hall')}: {args.hall_id} (known: {known})",
              file=sys.stderr)
        return 2
    print(f"{args.kiosk_id} -> {args.hall_id}")
    return 0


def audit(fleet, args: argparse.Namespace) -> int:
    entries = fleet.audit(args.kiosk_id)
    if args.json:
        print(json.dumps([e.model_dump(mode="json") for e in entries], ensure_ascii=False,
                         indent=1))
        return 0
    for e in entries:
        print(f"revision {e.revision}  {e.at:%Y-%m-%d %H:%M:%S} UTC  {e.who}")
        for field, (old, new) in e.changes.items():
            print(f"    {field}: {json.dumps(old, ensure_ascii=False)} -> "
                  f"{json.dumps(new, ensure_ascii=False)}")
    return 0


def _enrolment(fleet, args: argparse.Namespace, public_url: str = ""):
    from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key

    key = load_or_create_central_key(args.fleet_key or default_key_path(args.database))
    return Enrolment(fleet.engine, key, public_url)


def enrolment_code(fleet, args: argparse.Namespace) -> int:
    from central.fleet.service import BadKioskId, UnknownHall

    try:
        issued = _enrolment(fleet, args, args.public_url.rstrip("/")).issue_code(
            args.kiosk_id, args.hall, args.who, dt.timedelta(minutes=args.valid_minutes))
    except BadKioskId:
        print(f"{side_by_side('cli.bad_kiosk_id')}: {args.kiosk_id!r}", file=sys.stderr)
        return 2
    except UnknownHall:
        print(f"{side_by_side('cli.no_such_hall')}: {args.hall}", file=sys.stderr)
        return 2
    print(f"{side_by_side('cli.enrolment_code')}: {issued.code}")
    print(f"{side_by_side('cli.kiosk')} {issued.kiosk_id} -> {issued.hall_id}; "
          f"{side_by_side('cli.valid_until')} {issued.expires_at:%Y-%m-%d %H:%M} UTC")
    print(f"{side_by_side('cli.qr_payload')}: {issued.qr_payload}")
    if args.qr is not None:
        import qrcode
        qrcode.make(issued.qr_payload, border=4).save(args.qr)
        print(f"{side_by_side('cli.qr_code')}: {args.qr}")
    return 0


def revoke(fleet, args: argparse.Namespace) -> int:
    if not _enrolment(fleet, args).revoke(args.kiosk_id, args.who, args.reason):
        print(f"{args.kiosk_id}: {side_by_side('cli.not_enrolled')}", file=sys.stderr)
        return 2
    print(f"{args.kiosk_id}: {side_by_side('cli.revoked')}")
    return 0


COMMANDS = {"set-settings": set_settings, "states": states, "assign": assign, "audit": audit,
            "enrolment-code": enrolment_code, "revoke": revoke}
