"""The server's command line: `python -m central --database URL --public-url URL [--seed demo]`.

Creates the tables at start, optionally loads the demo residents into an empty database (and
the demo halls and kiosks), and serves the API with uvicorn, judging the fleet for alerts
every interval, and serves the fleet dashboard under /fleet. `python -m central fleet ...` is
the technicians' fleet tool (cli/fleet.py), `python -m central accounts ...` makes dashboard
accounts (cli/accounts.py). Logs go to stderr, one line per request, with no personal data.
`--write-openapi` regenerates central/openapi.json and exits; `--start-due [--today DAY]`
starts the deferred applications due by that day and exits (the server also does it itself).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import sys
from pathlib import Path

log = logging.getLogger("central")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from central.api.schedule import DEFERRED_INTERVAL_S
    from central.config import add_arguments

    p = argparse.ArgumentParser(prog="python -m central",
                                description="OneTrip reference central API.",
                                epilog="The fleet from a terminal: python -m central fleet --help; dashboard "
                                       "accounts: python -m central accounts --help")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8700, help="port to listen on (default 8700)")
    p.add_argument("--database", default="sqlite:///central.db",
                   help="SQLAlchemy URL: sqlite:///PATH (default sqlite:///central.db) "
                        "or postgresql+psycopg://USER@HOST:PORT/DB")
    p.add_argument("--public-url", default=None,
                   help="base URL residents' phones reach (tracking links); default "
                        "http://HOST:PORT")
    p.add_argument("--seed", choices=["none", "demo"], default="none",
                   help="'demo' loads the demo residents if the database is empty")
    p.add_argument("--policies", type=Path, default=None,
                   help="directory of per-city policy TOML files (default: the packaged ones)")
    p.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument("--write-openapi", nargs="?", const="", default=None, metavar="PATH",
                   help="write the OpenAPI document (default central/openapi.json) and exit")
    p.add_argument("--deferred-interval-s", type=_positive, default=DEFERRED_INTERVAL_S,
                   metavar="SECONDS", help="how often the server starts due deferred "
                                           f"applications (default {DEFERRED_INTERVAL_S:g})")
    p.add_argument("--start-due", action="store_true",
                   help="start the deferred applications due by today, print how many, exit")
    p.add_argument("--today", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="with --start-due: the day to start applications due by")
    add_arguments(p)
    args = p.parse_args(argv)
    if args.today is not None and not args.start_due:
        p.error("--today needs --start-due")
    return args


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["fleet"]:
        from central.cli.fleet import main as fleet_main
        return fleet_main(argv[1:])
    if argv[:1] == ["accounts"]:
        from central.cli.accounts import main as accounts_main
        return accounts_main(argv[1:])
    args = parse_args(argv)
    if args.write_openapi is not None:
        from central.api.app import OPENAPI_PATH, write_openapi
        path = write_openapi(Path(args.write_openapi) if args.write_openapi else OPENAPI_PATH)
        print(f"wrote {path}")
        return 0
    from central.api.requestlog import configure_logging
    configure_logging(args.log_level)
    if args.start_due:
        return start_due(args)
    try:
        app = build(args)
    except Exception as exc:  # a bad policy file or database URL: say which, no traceback
        log.error("cannot start: %s: %s", type(exc).__name__, exc)
        return 2
    import uvicorn
    settle_heap()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None,
                log_level=args.log_level.lower(), timeout_graceful_shutdown=5)
    return 0


def settle_heap() -> None:
    """Move everything loaded at start-up out of the collector's sight.

    A full collection walks every tracked object; with the libraries' hundred thousand
    objects in the oldest generation each one stopped all requests for 40-80 ms, the slowest
    heartbeats under a city's fleet. Frozen, those objects are kept and never walked, and a
    full collection looks only at what requests made since (a few ms)."""
    gc.collect()
    gc.freeze()


def build(args: argparse.Namespace):
    """Policies, database, seed, application: everything that can fail before serving."""
    from central.api.app import create_app
    from central.demo_seed.residents import seed_demo, seed_fleet
    from central.fleet.alert_process import AlertProcess
    from central.fleet.alerts import notifiers_from

    office = open_office(args)
    if args.seed == "demo":
        count = seed_demo(office.store, office.clock.date_in())
        log.info("demo seed: %s",
                 f"{count} residents loaded" if count else "database not empty, kept")
        log.info("demo fleet: %d hall(s) added", seed_fleet(office.fleet))
        office.face_checker = demo_face_checker(office.config.identity)
    alerts = office.config.alerts
    notifiers = notifiers_from(alerts)
    log.info("alerts every %gs to %s", alerts.interval_s,
             ", ".join(n.name for n in notifiers) or "nowhere (no webhook, no SMTP)")
    if office.config.kiosks.auth == "open":
        log.warning("kiosk auth is OPEN: unsigned kiosk requests are accepted (development only)")
    log.info("serving cities %s on %s (database %s)", ", ".join(sorted(office.policies)),
             office.public_url, office.store.engine.url.get_backend_name())
    runner = AlertProcess(args.database, office.config.fleet, alerts, args.log_level)
    return create_app(office, deferred_interval_s=args.deferred_interval_s, services=(runner,))


def demo_face_checker(settings):
    """The reference registry: the demo residents' drawn faces (central/identity/registry.py;
    a deployment plugs in the province's population registry instead)."""
    from central.demo_seed.residents import all_residents
    from central.identity.face_check import FaceChecker
    from central.identity.registry import DemoRegistry

    return FaceChecker(DemoRegistry.of_residents(all_residents()), settings)


def open_office(args: argparse.Namespace):
    """Settings, policies and the database (tables created): what both serving and
    --start-due need."""
    from central.config import load_config
    from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key
    from central.permits.office import PermitOffice
    from central.permits.policy import POLICY_DIR, load_policies
    from central.storage.db import make_engine
    from central.storage.store import CentralStore

    config = load_config(args.config, args)
    policies = load_policies(args.policies or POLICY_DIR)
    store = CentralStore(make_engine(args.database))
    store.create_tables()
    public_url = args.public_url or f"http://{args.host}:{args.port}"
    key = load_or_create_central_key(config.kiosks.key_path or default_key_path(args.database))
    return PermitOffice(store=store, policies=policies, config=config, public_url=public_url,
                        enrolment=Enrolment(store.engine, key, public_url))


def start_due(args: argparse.Namespace) -> int:
    """Once, on demand (cron, or after an outage): start what is due, say how many."""
    from central.permits.deferred import start_due_applications

    try:
        office = open_office(args)
        started = start_due_applications(office, args.today)
    except Exception as exc:  # noqa: BLE001 - a bad policy file or database: say what kind
        log.error("cannot start due applications: %s", type(exc).__name__)
        return 2
    print(f"{len(started)} deferred application(s) started")
    return 0

