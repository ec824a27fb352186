"""The fleet as one system: a real kiosk runtime heartbeating the real central server,
which keeps its counts and state, hands it a manager's settings, and alerts a real
webhook. No stand-in between them (tests/journey/fleet_desk.py is not used here)."""

from __future__ import annotations

import datetime as dt

import pytest

from central.fleet.service import Fleet
from central.fleet.states import KioskStatus
from central.storage.db import make_engine
from kiosk.journey.steps import Step
from protocol import wire
from tests.central.receivers import WebhookReceiver
from tests.central_server import central_on
from tests.journey.walk import declare, photo, present

S = Step
KIOSK = "test-kiosk"  # the demo seed puts it in hall zz-centre
NOTICE = {"zh_CN": "今晚22点起系统升级", "en": "System upgrade from 22:00"}


@pytest.fixture(scope="module")
def webhook():
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="module")
def central(tmp_path_factory, webhook):
    """Central with its alerts looked at twice a second, told to the test's webhook."""
    server = central_on(tmp_path_factory.mktemp("central"))
    server.extra_args = ("--alerts-interval-s", "0.5", "--alert-webhook", webhook.url)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fleet(central):
    f = Fleet(make_engine(central.database))
    yield f
    f.engine.dispose()


def fleet_kiosk(make_kiosk, central):
    k = make_kiosk(url=central.url)
    k.runtime.heartbeat.stop()  # each heartbeat is sent when the test says
    return k


def beat(k) -> None:
    assert k.runtime.heartbeat.send_once(), "central took the heartbeat"
    k.pump()  # its answer (settings) is handled on the journey's thread


def state_of(fleet: Fleet, kiosk_id: str = KIOSK, now: dt.datetime | None = None):
    [state] = [s for s in fleet.kiosk_states(["zz-centre"], now) if s.kiosk_id == kiosk_id]
    return state


def test_a_finished_journey_is_counted_at_central_for_the_kiosk_and_its_hall(
        make_kiosk, central, fleet):
    k = fleet_kiosk(make_kiosk, central)
    present(k, "eligible")
    declare(k)
    photo(k)
    k.pump(S.DECISION)
    k.journey.decision.continue_application()
    k.pump(S.FULFILMENT)
    k.journey.fulfilment.choose(wire.FulfilmentMethod.COURIER)
    k.pump(S.RECEIPT)
    k.journey.finish()
    beat(k)
    today = dt.date.today()
    stats = fleet.journey_stats(["zz-centre"], today, today)
    mine = stats.kiosks[KIOSK]
    assert mine.started >= 1 and mine.completed >= 1
    assert mine.decisions.get("eligible", 0) >= 1 and mine.cards_queued >= 1
    assert stats.halls["zz-centre"].completed >= mine.completed


def test_a_managers_notice_reaches_the_attract_screen_and_the_audit_says_who(
        make_kiosk, central, fleet):
    k = fleet_kiosk(make_kiosk, central)
    beat(k)
    revision = fleet.set_settings(KIOSK, {"attract_notice": NOTICE}, who="manager-li")
    beat(k)  # the answer carries the new revision
    notice = k.journey.availability.attract_notice()
    assert notice is not None and (notice.zh_CN, notice.en) == (NOTICE["zh_CN"], NOTICE["en"])
    beat(k)  # and the kiosk says it applied it
    assert fleet.settings_for(KIOSK)[0] == revision
    assert not any(r.code.startswith("settings") for r in state_of(fleet).reasons)
    [*_, entry] = fleet.audit(KIOSK)
    assert entry.who == "manager-li" and entry.revision == revision
    assert "attract_notice" in str(entry.changes)
    fleet.set_settings(KIOSK, {}, who="manager-li")  # back to the defaults
    beat(k)


def test_paper_out_turns_the_kiosk_warning_and_alerts_the_webhook_then_it_falls_offline(
        make_kiosk, central, fleet, webhook):
    k = fleet_kiosk(make_kiosk, central)
    k.devices.receipt_printer.faults.set("paper_out", -1)
    k.runtime.monitor.poll_once()  # the device monitor's next look
    beat(k)
    state = state_of(fleet)
    assert state.state is KioskStatus.WARNING, state
    assert any(r.supply == "paper" for r in state.reasons)
    bodies = webhook.wait_for(1)
    paper = [b for b in bodies if b["kiosk_id"] == KIOSK and "paper" in b["kind"]]
    assert paper and paper[0]["status"] == "raised"
    assert paper[0]["title"]["zh_CN"] and paper[0]["title"]["en"]

    later = state.last_heartbeat + dt.timedelta(seconds=76)  # two beats missed, and 1 s
    assert state_of(fleet, now=later).state is KioskStatus.OFFLINE
    k.devices.receipt_printer.faults.clear("paper_out")
