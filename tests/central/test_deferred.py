"""Deferred applications start by themselves on their start date: the function on a SQLite
file, the command line, the server's own start-up and periodic runs, and status reads."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from sqlalchemy import delete, update

from central.demo_seed.residents import seed_demo
from central.permits.applications import file_application
from central.permits.dates import add_years
from central.permits.deferred import start_due_applications
from central.permits.office import Clock, PermitOffice
from central.permits.policy import POLICY_DIR, load_policies
from central.storage import db
from central.storage.db import make_engine
from central.storage.store import CentralStore
from protocol import wire
from tests.central import people
from tests.central.people import STRANGER, B
from tools.central_process import ROOT, CentralProcess, free_port

S = wire.ApplicationState
TODAY = dt.date.today()
SEEDED = TODAY - dt.timedelta(days=100)  # B registered 190 days ago: due about a week ago
DAY = dt.timedelta(days=1)
POLICIES = load_policies(POLICY_DIR)


def office_on(path: Path, today: dt.date = SEEDED) -> PermitOffice:
    """An office on a SQLite file (demo residents seeded once) whose clock says `today`."""
    store = CentralStore(make_engine(f"sqlite:///{path}"))
    store.create_tables()
    seed_demo(store, SEEDED)
    return PermitOffice(store=store, policies=POLICIES, public_url="http://127.0.0.1:9",
                        clock=Clock(today=lambda: today))


def file_deferred(office: PermitOffice, persona: people.Persona = B) -> wire.ApplicationReceipt:
    sub = people.submission(persona, defer_until_eligible=True)
    receipt, created = file_application(office, sub, sub.idempotency_key)
    assert created and receipt.state is S.DEFERRED and receipt.start_date
    return receipt


def started_note(status: wire.ApplicationStatus) -> wire.Text:
    assert len(status.history) == 2, status.history
    last = status.history[-1]
    assert last.state is status.state and last.note is not None
    return last.note


# -- the function -----------------------------------------------------------------------------

def test_due_application_starts_in_delivery_once_with_its_card_and_permit(tmp_path, caplog):
    office = office_on(tmp_path / "c.db")
    made = file_deferred(office)
    start = made.start_date
    assert start_due_applications(office, start - DAY) == []
    assert office.status(made.application_number).state is S.DEFERRED
    with caplog.at_level(logging.INFO, logger="central"):
        assert start_due_applications(office, start) == [made.application_number]
    status = office.status(made.application_number)
    valid_until = add_years(start, POLICIES["zhuzhou"].validity_years)
    assert status.state is S.IN_DELIVERY and status.card_valid_until == valid_until
    note = started_note(status)
    assert "started by itself" in note.en and "自动办理" in note.zh_CN
    assert office.store.records(B.number, "zhuzhou").permit.valid_until == valid_until
    assert "started 1 deferred application(s): in_delivery 1" in caplog.text
    assert B.number not in caplog.text and B.name not in caplog.text
    assert start_due_applications(office, start + 30 * DAY) == []  # twice: nothing more
    assert office.status(made.application_number) == status


def test_a_late_run_still_dates_the_card_from_the_start_date(tmp_path):
    office = office_on(tmp_path / "c.db")
    made = file_deferred(office)
    start_due_applications(office, made.start_date + 9 * DAY)
    status = office.status(made.application_number)
    assert status.card_valid_until == add_years(made.start_date, 1)


def test_unconfirmed_condition_awaits_the_listed_documents(tmp_path):
    office = office_on(tmp_path / "c.db")
    made = file_deferred(office, STRANGER)  # registers residence now, no shared records
    start_due_applications(office, made.start_date)
    status = office.status(made.application_number)
    assert status.state is S.AWAITING_DOCUMENTS and status.card_valid_until is None
    assert "bring" in started_note(status).en and "labour contract" in status.next_step.en


def test_ineligible_by_the_start_date_goes_to_staff_saying_why(tmp_path):
    office = office_on(tmp_path / "c.db")
    expiring = dataclasses.replace(B, expiry=SEEDED + 30 * DAY)
    made = file_deferred(office, expiring)
    start_due_applications(office, made.start_date)
    status = office.status(made.application_number)
    assert status.state is S.UNDER_REVIEW and status.card_valid_until is None
    note = started_note(status)
    assert "staff" in note.en and "expired" in note.en and "过期" in note.zh_CN
    assert office.store.records(B.number, "zhuzhou").permit is None


def test_without_the_filed_request_staff_check_it(tmp_path):
    office = office_on(tmp_path / "c.db")
    made = file_deferred(office)
    with office.store.engine.begin() as c:
        c.execute(delete(db.deferred_requests))
    start_due_applications(office, made.start_date)
    status = office.status(made.application_number)
    assert status.state is S.UNDER_REVIEW and "not on file" in started_note(status).en


def test_two_runners_at_once_start_it_once(tmp_path):
    first = office_on(tmp_path / "c.db")
    made = file_deferred(first)
    runners = [first, office_on(tmp_path / "c.db")]
    barrier, moved = threading.Barrier(2), []

    def run(office: PermitOffice) -> None:
        barrier.wait()
        moved.extend(start_due_applications(office, made.start_date))

    threads = [threading.Thread(target=run, args=(o,)) for o in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert moved == [made.application_number]
    assert len(first.status(made.application_number).history) == 2


# -- the command line -------------------------------------------------------------------------

def run_cli(database: Path, today: dt.date) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "central", "--database", f"sqlite:///{database}",
                           "--start-due", "--today", today.isoformat()],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=30, check=False)


def test_cli_starts_what_is_due_by_the_given_day(tmp_path):
    office = office_on(tmp_path / "c.db")
    made = file_deferred(office)
    early = run_cli(tmp_path / "c.db", made.start_date - DAY)
    assert early.returncode == 0 and early.stdout.strip() == "0 deferred application(s) started"
    due = run_cli(tmp_path / "c.db", made.start_date)
    assert due.returncode == 0 and due.stdout.strip() == "1 deferred application(s) started"
    assert office.status(made.application_number).state is S.IN_DELIVERY
    assert B.number not in due.stderr + early.stderr


# -- the server -------------------------------------------------------------------------------

def wait_for_state(office: PermitOffice, number: str, state: wire.ApplicationState) -> None:
    deadline = time.monotonic() + 10
    while office.status(number).state is not state and time.monotonic() < deadline:
        time.sleep(0.05)
    assert office.status(number).state is state


def test_server_starts_due_applications_at_start_up_and_then_periodically(tmp_path):
    office = office_on(tmp_path / "c.db")
    due_before = file_deferred(office)
    port = free_port()
    server = CentralProcess(url=f"http://127.0.0.1:{port}", port=port,
                            database=f"sqlite:///{tmp_path / 'c.db'}",
                            log_path=tmp_path / "central.log",
                            extra_args=("--deferred-interval-s", "0.2")).start()
    try:
        wait_for_state(office, due_before.application_number, S.IN_DELIVERY)
        filed_long_ago = office_on(tmp_path / "c.db", TODAY - 200 * DAY)
        due_later = file_deferred(filed_long_ago, STRANGER)
        wait_for_state(office, due_later.application_number, S.AWAITING_DOCUMENTS)
    finally:
        server.stop()
    log = (tmp_path / "central.log").read_text("utf-8")
    assert "started 1 deferred application(s): in_delivery 1" in log
    assert "started 1 deferred application(s): awaiting_documents 1" in log
    assert B.number not in log and STRANGER.number not in log
    assert "Traceback" not in log and " ERROR " not in log
    assert "Application shutdown complete" in log  # the periodic task stopped cleanly


def test_reading_a_due_application_starts_it_first(central):
    numbers = [_submit_deferred(central) for _ in range(3)]
    _make_due(central.database, numbers)
    resp = requests.get(f"{central.api}/applications/{numbers[0]}", timeout=10)
    status = wire.ApplicationStatus.model_validate_json(resp.content)
    assert status.state is S.IN_DELIVERY
    assert status.card_valid_until == add_years(TODAY - DAY, 1)
    assert "started by itself" in started_note(status).en
    page = requests.get(f"{central.url}/track/{numbers[1]}", timeout=10).text
    assert "证件邮寄中" in page and "Card on its way by courier" in page
    found = requests.post(central.api + "/applications/lookup", timeout=10,
                          json=wire.StatusLookup(document_number=B.number).model_dump(mode="json"))
    assert found.status_code == 200, found.text
    states = {a.application_number: a.state for a in
              wire.StatusLookupResult.model_validate_json(found.content).applications}
    assert [states[n] for n in numbers] == [S.IN_DELIVERY] * 3
    log = central.log.wait_for("POST /v1/applications/lookup 200")
    assert log.count("started 1 deferred application(s): in_delivery 1") == 3
    assert B.number not in log and B.name not in log


def _submit_deferred(central) -> str:
    sub = people.submission(B, defer_until_eligible=True)
    resp = requests.post(central.api + "/applications", data=sub.model_dump_json(), timeout=10,
                         headers={"Content-Type": "application/json",
                                  wire.IDEMPOTENCY_HEADER: sub.idempotency_key})
    made = wire.ApplicationReceipt.model_validate_json(resp.content)
    assert resp.status_code == 201 and made.state is S.DEFERRED
    return made.application_number


def _make_due(database: str, numbers: list[str]) -> None:
    """Half a year passes: B registered 200 days ago, and the start date was yesterday."""
    engine = make_engine(database)
    with engine.begin() as c:
        c.execute(update(db.registrations).where(db.registrations.c.document_number == B.number)
                  .values(registered_on=TODAY - 200 * DAY))
        c.execute(update(db.applications).where(db.applications.c.number.in_(numbers))
                  .values(start_date=TODAY - DAY))
    engine.dispose()
