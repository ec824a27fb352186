"""Alerts: raised when a kiosk needs someone, cleared by themselves when the cause goes away.

Every ``interval_s`` the runner judges the whole fleet (``Fleet.kiosk_states``), turns the
reasons that need a person into conditions (paper, cards or ribbon low; a printer or other
device fault; a kiosk silent for longer than ``offline_after_s``; an outbox not draining) and
compares them with the alerts open in the database: new conditions raise an alert, vanished
ones clear it. A raise is told (webhook, e-mail) unless the same kiosk, kind and device was
told within ``repeat_after_s``, so a flapping sensor cannot flood a manager's mailbox; a clear
is told as "resolved" when its raise was. While a kiosk is silent, what it said last about its
devices can neither raise nor clear anything.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine, func, insert, select, update

from central.fleet.notify import AlertNotice, Notifier, deliver
from central.fleet.service import Fleet
from central.fleet.states import KioskState
from central.i18n import Joined, Message, both
from central.storage import db
from protocol.wire import Text

log = logging.getLogger("central.alerts")

PRINTERS = {"receipt_printer", "card_printer"}
# Each kind of alert and its title (a message id of the catalogs).
TITLES = {
    "paper_low": "alert.paper_low",
    "cards_low": "alert.cards_low",
    "ribbon_low": "alert.ribbon_low",
    "printer_fault": "alert.printer_fault",
    "device_fault": "alert.device_fault",
    "kiosk_offline": "alert.kiosk_offline",
    "outbox_stuck": "alert.outbox_stuck",
}
KINDS = tuple(TITLES)


PAUSE_EVERY = 20  # kiosks judged between two short pauses (Fleet.kiosk_states)


class AlertConfig(BaseModel):
    """[alerts] in the central config; the command line overrides single keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    interval_s: float = Field(30.0, gt=0, description="How often the fleet is judged.")
    offline_after_s: float = Field(
        300.0, gt=0, description="A kiosk silent this long raises kiosk_offline.")
    repeat_after_s: float = Field(
        3600.0, ge=0, description="The same kiosk, kind and device is told at most once in "
                                  "this long; a raise held back is not followed by 'resolved'.")
    webhook_url: str | None = Field(None, description="JSON POST of every notice.")
    smtp_host: str | None = Field(None, description="E-mail through this SMTP server.")
    smtp_port: int = Field(25, gt=0, lt=65536)
    smtp_starttls: bool = False
    mail_from: str = "onetrip-central@localhost"
    mail_to: list[str] = Field(default_factory=list)
    timeout_s: float = Field(5.0, gt=0, description="Per webhook call or SMTP session.")
    max_notices_per_pass: int = Field(
        20, ge=1, description="More raises than this in one pass (a city-wide outage) are told "
                              "as one summary; those alerts then clear without a 'resolved'.")


@dataclass(frozen=True)
class Condition:
    kiosk_id: str
    hall_id: str | None
    kind: str
    subject: str
    detail: str
    text: Text

    @property
    def key(self) -> tuple[str, str, str]:
        return self.kiosk_id, self.kind, self.subject


def conditions(state: KioskState, offline_after_s: float, now: dt.datetime,
               serving_since: dt.datetime | None = None) -> tuple[list[Condition], bool]:
    """What needs a person at this kiosk, and whether it is silent (its devices then unknown)."""
    found: dict[tuple, Condition] = {}
    heard = state.last_heartbeat
    if heard is not None and serving_since is not None:
        heard = max(heard, serving_since)

    def add(kind: str, subject: str, detail: str, text: Text) -> None:
        c = Condition(state.kiosk_id, state.hall_id, kind, subject, detail, text)
        found.setdefault(c.key, c)

    for r in state.reasons:
        if r.code in ("supply_low", "supply_empty") and f"{r.supply}_low" in TITLES:
            add(f"{r.supply}_low", r.device, r.code, r.text)
        elif r.code in ("device_error", "device_offline"):
            add("printer_fault" if r.device in PRINTERS else "device_fault", r.device, r.code,
                r.text)
        elif r.code == "outbox_stuck":
            add("outbox_stuck", "", r.code, r.text)
        elif r.code == "no_heartbeat" and heard is not None and \
                (now - heard).total_seconds() > offline_after_s:
            add("kiosk_offline", "", r.code, r.text)
    silent = any(r.code in ("no_heartbeat", "never_heard") for r in state.reasons)
    return list(found.values()), silent


class AlertBook:
    """The alerts table: what is open, what was told lately, raising and clearing."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def open_alerts(self) -> list[Any]:
        with self.engine.connect() as c:
            return list(c.execute(select(db.alerts).where(db.alerts.c.cleared_at.is_(None))))

    def told_since(self, since: dt.datetime) -> set[tuple[str, str, str]]:
        a = db.alerts.c
        with self.engine.connect() as c:
            rows = c.execute(select(a.kiosk_id, a.kind, a.subject).distinct()
                             .where(a.notified.is_(True), a.raised_at >= since)).all()
        return {(r.kiosk_id, r.kind, r.subject) for r in rows}

    def record(self, raised: list[dict], cleared_ids: list[int], now: dt.datetime) -> None:
        with self.engine.begin() as c:
            if raised:
                c.execute(insert(db.alerts), raised)
            if cleared_ids:
                c.execute(update(db.alerts).where(db.alerts.c.id.in_(cleared_ids))
                          .values(cleared_at=now))

    def open_by_kind(self) -> dict[str, int]:
        a = db.alerts.c
        with self.engine.connect() as c:
            rows = c.execute(select(a.kind, func.count()).where(a.cleared_at.is_(None))
                             .group_by(a.kind)).all()
        return {kind: n for kind, n in rows}


class AlertRunner:
    """Judges the fleet every interval on its own thread; ``stop`` ends and joins it."""

    THREAD_NAME = "fleet-alerts"

    def __init__(self, fleet: Fleet, config: AlertConfig, notifiers: list[Notifier]) -> None:
        self.fleet, self.config, self.notifiers = fleet, config, notifiers
        self.book = AlertBook(fleet.engine)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.serving_since: dt.datetime | None = None  # set by start()

    def evaluate(self, now: dt.datetime | None = None) -> list[AlertNotice]:
        """One pass: record raises and clears, return the notices to send."""
        now = now or self.fleet.clock()
        states = self.fleet.kiosk_states(None, now, pause_every=PAUSE_EVERY)
        wanted, silent = self._wanted(states, now)
        open_alerts = {(r.kiosk_id, r.kind, r.subject): r for r in self.book.open_alerts()}
        told = self.book.told_since(now - dt.timedelta(seconds=self.config.repeat_after_s))
        new = [c for key, c in wanted.items() if key not in open_alerts]
        to_tell = [c for c in new if c.key not in told]
        digest = len(to_tell) > self.config.max_notices_per_pass
        if digest:  # a city-wide outage: one notice, not thousands
            to_tell = []
        told_keys = {c.key for c in to_tell}
        raised = [{"kiosk_id": c.kiosk_id, "kind": c.kind, "subject": c.subject,
                   "detail": c.detail[:64], "raised_at": now, "notified": c.key in told_keys}
                  for c in new]
        notices = [AlertNotice(status="raised", kind=c.kind, kiosk_id=c.kiosk_id,
                               hall_id=c.hall_id, subject=c.subject, detail=c.detail,
                               title=both(TITLES[c.kind]), text=c.text, raised_at=now)
                   for c in to_tell]
        if digest:
            notices.append(_digest([c for c in new if c.key not in told], now))
        halls = {s.kiosk_id: s.hall_id for s in states}
        cleared = [row for key, row in open_alerts.items() if key not in wanted
                   and not (row.kiosk_id in silent and row.kind != "kiosk_offline")]
        notices += [_resolved(row, halls.get(row.kiosk_id), now) for row in cleared
                    if row.notified]
        self.book.record(raised, [row.id for row in cleared], now)
        return notices

    def _wanted(self, states: list[KioskState],
                now: dt.datetime) -> tuple[dict[tuple, Condition], set[str]]:
        """The conditions found, and the kiosks that are silent. Silence counts from when
        this server started at the earliest: after central's own outage every kiosk's last
        heartbeat is old, and that is no news about the kiosks."""
        wanted: dict[tuple, Condition] = {}
        silent: set[str] = set()
        for state in states:
            found, is_silent = conditions(state, self.config.offline_after_s, now,
                                          self.serving_since)
            wanted.update((c.key, c) for c in found)
            if is_silent:
                silent.add(state.kiosk_id)
        return wanted, silent

    def run_once(self, now: dt.datetime | None = None) -> list[AlertNotice]:
        notices = self.evaluate(now)
        if notices:
            log.info("alerts: %d raised, %d resolved told",
                     sum(n.status == "raised" for n in notices),
                     sum(n.status == "resolved" for n in notices))
            deliver(notices, self.notifiers)
        return notices

    def start(self) -> None:
        if self._thread is None:
            self.serving_since = self.fleet.clock()
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=self.THREAD_NAME, daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 15.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
            log.info("alerts stopped" if not thread.is_alive() else "alerts still sending")

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception as exc:  # noqa: BLE001 - keep judging; the next pass retries
                log.error("alert evaluation failed: %s", type(exc).__name__)
            self._stop.wait(self.config.interval_s)


def _resolved(row, hall_id: str | None, now: dt.datetime) -> AlertNotice:
    title = both(TITLES[row.kind]) if row.kind in TITLES else Text(zh_CN=row.kind, en=row.kind)
    return AlertNotice(status="resolved", kind=row.kind, kiosk_id=row.kiosk_id, hall_id=hall_id,
                       subject=row.subject, detail=row.detail, title=title,
                       text=both("alert.resolved", title=title),
                       raised_at=db.utc(row.raised_at), resolved_at=now)


def _digest(conditions_: list[Condition], now: dt.datetime) -> AlertNotice:
    """One notice for many raises: how many of each kind, and in how many halls."""
    kinds: dict[str, int] = {}
    for c in conditions_:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    halls = len({c.hall_id for c in conditions_ if c.hall_id})
    counted = Joined((Message("alert.kind_count", title=Message(TITLES[k]), count=n)
                      for k, n in sorted(kinds.items())), "punct.comma")
    return AlertNotice(
        status="raised", kind="many", kiosk_id="", hall_id=None, subject="", detail="digest",
        title=both("alert.many", count=len(conditions_)),
        text=both("alert.many_kinds", halls=halls, kinds=counted), raised_at=now)


def notifiers_from(config: AlertConfig) -> list[Notifier]:
    from central.fleet.notify import MailNotifier, WebhookNotifier

    out: list[Notifier] = []
    if config.webhook_url:
        out.append(WebhookNotifier(config.webhook_url, config.timeout_s))
    if config.smtp_host and config.mail_to:
        out.append(MailNotifier(config.smtp_host, config.smtp_port, config.mail_from,
                                config.mail_to, config.timeout_s, config.smtp_starttls))
    return out
