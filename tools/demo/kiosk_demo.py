"""Run the real kiosk UI with an autopilot resident through several journeys.

    python -m tools.demo.kiosk_demo --config FILE --output demo-output [--journey NAME ...]

Saves a PNG of every screen visited (<output>/<nn>-<journey>/<mm>-<step>.png), the
idle-warning overlay and the diagnostics screen once, copies each printed receipt and
card, prints one summary line per journey and writes <output>/summary.json. Exits 0
only when every journey ended as expected. The central server must already run at
the config's [central] url.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from screens.window import configure_window

from kiosk.config import ROOT, load_config  # noqa: E402
from kiosk.journey.steps import Step  # noqa: E402

log = logging.getLogger("screens.demo")
S = Step

# What the drawn resident does wrong at the photo step (the camera simulator's
# "resident" switch), and the instruction each must bring.
RESIDENT_GUIDANCE = {"far": "photo.guide.closer", "off_centre": "photo.guide.right",
                     "tilted": "photo.guide.tilt", "hat": "photo.guide.uncover",
                     "dark": "photo.guide.too_dark"}
GUIDANCE_TOUR = tuple(RESIDENT_GUIDANCE)

DEMO_JOURNEY = {"idle_warning_s": 6, "idle_reset_s": 30, "receipt_return_s": 60}

# What a hall manager puts on the attract screen from the fleet dashboard.
FLEET_NOTICE = {"zh_CN": "今晚22:00起系统升级约30分钟，请用2号机",
                "en": "System upgrade tonight from 22:00 for about 30 minutes: "
                      "please use kiosk 2"}


def taps(*ids: str) -> list[tuple]:
    return [("tap", i) for i in ids]


def detail(text: str) -> list[tuple]:
    return [("tap", "detail_dash" if ch == "-" else f"detail_{ch}") for ch in text]


def opening(lang: str, service: str) -> list[tuple]:
    return [("expect", S.ATTRACT), ("expect_text", "attract.touch"), ("tap", "start"),
            ("expect", S.LANGUAGE), ("tap", "lang_zh" if lang == "zh_CN" else "lang_en"),
            ("expect", S.SERVICE_MENU), ("expect_text", "menu.new"),
            ("tap", f"service_{service}")]


def declare(years_back: int, months_back: int, district: str, community: str, room: str,
            condition: str, sponsor: str | None) -> list[tuple]:
    steps = [("expect", S.DECLARE_RESIDENCE), ("expect_text", "residence.confirm")]
    steps += [("tap", "since_year_minus", years_back)] if years_back else []
    steps += [("tap", "since_month_minus", months_back)] if months_back else []
    steps += [("tap", f"district_{district}"), ("tap", f"community_{community}")]
    steps += detail(room) + [("tap", "declare_confirm"), ("expect", S.DECLARE_CONDITION),
                             ("tap", f"condition_{condition}")]
    if sponsor == "listed":
        steps.append(("tap_first", ["sponsor_0", "sponsor_none"]))
    elif sponsor:
        steps.append(("tap", sponsor))
    return steps


def document(persona: str) -> list[tuple]:
    return [("expect", S.PRESENT_DOCUMENT), ("expect_text", "present.title"),
            ("place", persona), ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"),
            ("tap", "confirm_yes")]


def lifted_too_early(persona: str) -> list[tuple]:
    """The resident lifts the card half-way through the read, is asked to put it back, does,
    and the read goes on from where it stopped."""
    return [("expect", S.PRESENT_DOCUMENT), ("fault", "reader", "remove_at_apdu", 30),
            ("place", persona), ("wait_for_paused",), ("expect_text", "reading.paused"),
            ("place", persona), ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"),
            ("tap", "confirm_yes")]


def mrz_key(number: str, birth: str, expiry: str) -> list[tuple]:
    """Type a passport's access key on the keypad: number (letters too), then the two dates."""
    steps: list[tuple] = [("tap", "field_number")]
    for ch in number:
        if ch.isalpha():
            steps += [("tap", "key_letters"), ("tap", f"key_{ch}"), ("tap", "key_digits")]
        else:
            steps.append(("tap", f"key_{ch}"))
    steps.append(("tap", "field_birth"))
    steps += [("tap", f"key_{ch}") for ch in birth]
    steps.append(("tap", "field_expiry"))
    steps += [("tap", f"key_{ch}") for ch in expiry]
    return steps + [("tap", "submit_key")]


def fleet_settings(pin: str) -> list[tuple]:
    """A hall manager's settings, set at central, as the heartbeat's answer brings them: the
    notice on the attract screen, maintenance (a technician
    still gets into diagnostics), service hours that close the kiosk, then hours that open
    it (shown on the attract screen), then all lifted."""
    return [("expect", S.ATTRACT), ("fleet", {"attract_notice": FLEET_NOTICE}),
            ("expect_literal", FLEET_NOTICE["zh_CN"], FLEET_NOTICE["en"]), ("shot",),
            ("fleet", {"maintenance": True, "attract_notice": FLEET_NOTICE}),
            ("expect", S.OUT_OF_SERVICE), ("expect_both", "out_of_service.maintenance.heading"),
            ("expect_both", "out_of_service.maintenance.explain")] + [
            ("tap_at", 0.02, 0.02)] * 5 + [("expect", "diagnostics_pin")] + [
            ("tap", f"pin_{d}") for d in pin] + [
            ("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",), ("shot",),
            ("tap", "diag_exit"), ("expect", S.OUT_OF_SERVICE),
            ("fleet_hours", False), ("expect", S.OUT_OF_SERVICE),
            ("expect_both", "out_of_service.closed.heading"),
            ("expect_both", "out_of_service.closed.explain"), ("shot",),
            ("fleet_hours", True), ("expect", S.ATTRACT), ("expect_both", "attract.hours_set"),
            ("shot",), ("fleet", {}), ("expect", S.ATTRACT), ("expect_both", "attract.hours")]


def ending() -> list[tuple]:
    return [("expect", S.RECEIPT, 120), ("expect_text", "done.number"), ("tap", "finish"),
            ("expect", S.ATTRACT)]


@dataclass
class Journey:
    name: str
    persona: str
    language: str
    expect_decision: str | None
    script: list[tuple]
    expect_card: bool = False
    # filled in while running
    decision: str | None = None
    application_number: str | None = None
    tracking_url: str | None = None
    card_printed: bool = False
    receipt_printed: bool = False
    steps: list[str] = field(default_factory=list)
    screenshots: list[str] = field(default_factory=list)
    printed: list[str] = field(default_factory=list)
    texts_checked: list[str] = field(default_factory=list)
    photo_took_itself: bool = False  # the coach's auto-capture, not the button
    wiped: bool = False
    seconds: float = 0.0
    ok: bool = False
    error: str = ""


def journeys(pin: str) -> dict[str, Journey]:
    J = Journey
    photo = [("photo_if_asked",)]
    photo_twice = [("photo_if_asked", True, GUIDANCE_TOUR)]  # told what to fix; a retake
    photo_told = [("photo_if_asked", False, GUIDANCE_TOUR)]
    all_journeys = [
        J("eligible_zh", "eligible", "zh_CN", "eligible", expect_card=True, script=opening(
            "zh_CN", "new") + document("eligible") + declare(
            2, 0, "shifeng", "tianxin", "12-3-401", "employment", "listed") + photo_twice + [
            ("expect", S.DECISION), ("expect_text", "decision.title.eligible"),
            ("tap", "continue"), ("expect", S.FULFILMENT), ("tap", "fulfil_print_here"),
            ] + ending()),
        J("not_yet_en", "not_yet", "en", "not_yet", script=opening("en", "new") + document(
            "not_yet") + declare(0, 3, "tianyuan", "liyu", "8-2-302", "home", None) + photo_told
            + [("expect", S.DECISION), ("expect_text", "decision.title.not_yet"),
               ("tap", "defer")] + photo + ending()),
        J("needs_documents_zh", "needs_documents", "zh_CN", "needs_review", script=opening(
            "zh_CN", "new") + lifted_too_early("needs_documents") + declare(
            2, 6, "lusong", "jianshe", "3-1-101", "employment", "sponsor_none") + photo + [
            ("expect", S.DECISION), ("expect_text", "decision.bring_once"), ("tap", "continue"),
            ("expect", S.FULFILMENT), ("tap", "fulfil_pickup"), ("tap", "station_zz-jianshe"),
            ] + ending()),
        J("paper_out_en", "student", "en", "eligible", script=[
            ("fault", "receipt_printer", "paper_out")] + opening("en", "new") + document(
            "student") + declare(3, 0, "tianyuan", "liyu", "2-1-203", "study", "listed")
            + photo + [("expect", S.DECISION), ("tap", "continue"), ("expect", S.FULFILMENT),
                       ("tap", "fulfil_courier"), ("expect", S.RECEIPT, 120),
                       ("expect_text", "done.photograph_qr"),
                       ("fault", "receipt_printer", "paper_out", None), ("tap", "finish"),
                       ("expect", S.ATTRACT)]),
        J("senior_en", "senior", "en", "not_required", script=opening("en", "new") + document(
            "senior") + [
            ("expect", S.DECISION), ("expect_text", "decision.title.not_required"),
            ("tap", "finish"), ("expect", S.ATTRACT)]),
        J("passport_en", "passport_mrz", "en", None, script=opening("en", "new") + [
            ("expect", S.PRESENT_DOCUMENT), ("place", "passport_mrz"), ("expect", S.ACCESS_KEY),
            ("expect_text", "access.title")] + mrz_key("E12345678", "930601", "310602") + [
            ("wait", 1.5), ("expect", S.ACCESS_KEY), ("expect_text", "error.wrong_access_key"),
            ("tap", "back"), ("expect", S.PRESENT_DOCUMENT), ("lift",), ("place", "passport_mrz"),
            ("expect", S.ACCESS_KEY)] + mrz_key("E12345678", "930601", "310601") + [
            ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"), ("tap", "cancel"),
            ("expect", S.ATTRACT)]),
        J("permit_can_zh", "permit_pace", "zh_CN", None, script=opening("zh_CN", "new") + [
            ("expect", S.PRESENT_DOCUMENT), ("place", "permit_pace"), ("expect", S.ACCESS_KEY),
            ("expect_text", "access.use_can"), ("tap", "switch_key_kind"),
            ("expect_text", "access.explain_can"), ("shot",)] + [
            ("tap", f"key_{d}") for d in "318425"] + [("tap", "submit_key"),
            ("expect", S.CONFIRM_DETAILS), ("expect_text", "confirm.yes"), ("tap", "cancel"),
            ("expect", S.ATTRACT)]),
        J("renewal_zh", "renewal", "zh_CN", None, script=[
            ("fault", "card_printer", "cards_out")] + opening("zh_CN", "renewal") + document(
            "renewal") + [("expect", S.DECISION), ("tap", "continue"), ("expect", S.FULFILMENT),
                          ("tap", "fulfil_courier")] + ending() + [
            ("fault", "card_printer", "cards_out", None)]),
        J("status_en", "receipt QR", "en", None, script=opening("en", "status") + [
            ("expect", S.STATUS_LOOKUP), ("expect_text", "status.lookup_title"),
            ("scan", "TRACKING_URL"), ("expect", S.STATUS_RESULT),
            ("expect_text", "status.result_title"), ("tap", "finish"), ("expect", S.ATTRACT)]),
        J("idle_zh", "-", "zh_CN", None, script=opening("zh_CN", "new")[:-1] + [
            ("wait_for_overlay",), ("expect_text", "idle.title"), ("tap", "idle_continue"),
            ("tap", "cancel"), ("expect", S.ATTRACT)]),
        J("restart_recovery", "-", "zh_CN", None, script=[
            ("expect", S.ATTRACT), ("show_recovered",),
            ("expect_literal", "重启前中断的申请", "was received. Scan or photograph this code"),
            ("shot",), ("show_recovered", False), ("expect", S.ATTRACT)]),
        J("fleet_settings", "-", "zh_CN", None, script=fleet_settings(pin)),
        J("diagnostics", "-", "zh_CN", None, script=[("expect", S.ATTRACT)] + [
            ("tap_at", 0.02, 0.02)] * 5 + [("expect", "diagnostics_pin")] + [
            ("tap", f"pin_{d}") for d in pin] + [
            ("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",),
            ("tap", "diag_test_receipt"), ("wait_for_test_print",), ("wait", 1.0), ("shot",),
            ("tap", "diag_exit"), ("expect", S.ATTRACT)]),
        J("enrolment", "-", "zh_CN", None, script=enrolment(pin)),
    ]
    return {j.name: j for j in all_journeys}


def enrolment(pin: str) -> list[tuple]:
    """A technician re-enrols the kiosk: a mistyped code is refused and says why; central's
    QR code held up to the camera enrols it (a new key, in use at once)."""
    return ([("expect", S.ATTRACT)] + [("tap_at", 0.02, 0.02)] * 5
            + [("expect", "diagnostics_pin")] + [("tap", f"pin_{d}") for d in pin]
            + [("tap", "pin_ok"), ("expect", "diagnostics"), ("wait_for_report",),
               ("tap", "diag_enrol"), ("expect", "diagnostics_enrol")]
            + [("tap", f"enrol_{ch}") for ch in "ABCDEFGHJK"]
            + [("tap", "enrol_ok"), ("wait_for_enrol", "diag.enrol_refused"), ("shot",),
               ("show_enrolment_qr",), ("tap", "enrol_scan"),
               ("wait_for_enrol", "diag.enrol_done"), ("hide_enrolment_qr",), ("shot",),
               ("tap", "enrol_back"), ("expect", "diagnostics"), ("tap", "diag_exit"),
               ("expect", S.ATTRACT)])


def save_screenshot(path: Path) -> None:
    """The window's real pixels (glReadPixels), as the resident would see them."""
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGB, GL_UNSIGNED_BYTE, glReadPixels
    from PIL import Image
    width, height = Window.size
    data = glReadPixels(0, 0, width, height, GL_RGB, GL_UNSIGNED_BYTE)
    image = Image.frombytes("RGB", (width, height), data).transpose(Image.FLIP_TOP_BOTTOM)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def screen_texts(root) -> str:
    """Every label's text on screen, for checks."""
    from kivy.uix.label import Label
    out, stack = [], [root]
    while stack:
        w = stack.pop()
        if isinstance(w, Label) and w.opacity > 0 and w.text:
            out.append(w.text)
        stack.extend(w.children)
    return "\n".join(out)


class DemoRunner:
    def __init__(self, app, selected: list[Journey], output: Path, printed_dirs: list[Path],
                 central_database: str | None = None):
        from tools.demo.autopilot import Autopilot
        self.app, self.selected, self.output = app, selected, output
        self.printed_dirs = printed_dirs
        self.pilot = Autopilot(app)
        self.pilot.on_shown = self._shown
        self.pilot._do_photo_if_asked = self._photo_if_asked
        self.pilot._do_expect_text = self._expect_text
        self.pilot._do_wait_for_overlay = lambda: self.pilot._do_wait_for(
            lambda: app.overlay.parent is not None, 30, "idle warning")
        self.pilot._do_wait_for_paused = self._wait_for_paused
        self.pilot._do_shot = self._shot
        self.pilot._do_wait_for_report = lambda: self.pilot._do_wait_for(
            lambda: bool(app.screens["diagnostics"].lines), 30, "diagnostics report")
        self.pilot._do_wait_for_test_print = self._wait_for_test_print
        self.pilot._do_fleet = self._fleet
        self.pilot._do_fleet_hours = self._fleet_hours
        self.pilot._do_expect_literal = self._expect_literal
        self.pilot._do_expect_both = self._expect_both
        self.pilot._do_show_recovered = self._show_recovered
        self.pilot._do_show_enrolment_qr = self._show_enrolment_qr
        self.pilot._do_hide_enrolment_qr = self._hide_enrolment_qr
        self.pilot._do_wait_for_enrol = self._wait_for_enrol
        self.central_database = central_database  # where the hall manager's settings go
        self._hours = ""
        app.journey.add_listener(self._observe)
        self.index = -1
        self.current: Journey | None = None
        self.shot_names: set[str] = set()
        self.tracking_url: str | None = None

    def _show_recovered(self, shown: bool = True) -> None:
        """What the attract screen shows after a restart cut an application off and no
        receipt could be printed (tests/printers/test_card_kill9.py makes it for real, with
        a killed process; the demo shows the first journey's application)."""
        import datetime as dt
        from kiosk.effects.recovery import Recovered
        first = self.selected[0] if self.selected else None
        until = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)
        recovered = [Recovered(first.application_number if first else None,
                               (first.tracking_url if first else None) or "-", False, until)]
        self.app.journey.welcome.show_recovered(recovered if shown else [])
        self.pilot._schedule(0.3)

    # ---- observation ---------------------------------------------------------------
    def _observe(self, what: str) -> None:
        j, s = self.current, self.app.journey.session
        if j is None:
            return
        if what == "step":
            j.steps.append(self.app.journey.state.value)
        if s.decision is not None:
            j.decision = s.decision.decision.value
        o = s.outcome
        if o.application_number:
            j.application_number = o.application_number
        if o.receipt is not None:
            j.tracking_url = o.receipt.tracking_url
        j.card_printed |= o.card_printed
        j.receipt_printed |= o.receipt_printed

    def _shown(self, name: str) -> None:
        from kivy.clock import Clock
        Clock.schedule_once(lambda dt: self._capture(name), 0.2)

    def _capture(self, name: str) -> None:
        j = self.current
        if j is None:
            return
        shown = "idle_warning" if name == "idle_warning" else self.app.manager.current
        if name != "idle_warning" and shown != name:
            return  # already moved on; the next screen takes its own picture
        folder = self.output / f"{self.index + 1:02d}-{j.name}"
        path = folder / f"{len(j.screenshots) + 1:02d}-{shown}.png"
        save_screenshot(path)
        j.screenshots.append(str(path.relative_to(self.output)))

    # ---- extra autopilot steps -------------------------------------------------------
    def _shot(self) -> None:
        """A picture of the screen as it is now (a screen that changed without a new step)."""
        self._shown(self.app.manager.current)
        self.pilot._schedule(0.4)

    def _fleet(self, values: dict) -> None:
        """A hall manager sets this kiosk's settings at the reference central server; they
        reach the kiosk in the answer to its next heartbeat (each second in the demo)."""
        from central.storage.db import make_engine
        from central.fleet.service import Fleet
        from tools.demo.autopilot import AutopilotFailed
        if not self.central_database:
            raise AutopilotFailed("the fleet journey needs --central-database")
        fleet = Fleet(make_engine(self.central_database))
        try:
            fleet.set_settings(self.app.runtime.config.kiosk_id, values, who="demo-manager")
        finally:
            fleet.engine.dispose()
        self.pilot._schedule(0.2)

    def _show_enrolment_qr(self) -> None:
        """Central issues a one-time code for this kiosk (as `python -m central fleet
        enrolment-code --qr` does) and the technician holds its QR code up to the camera."""
        import tempfile

        import qrcode

        from central.storage.db import make_engine
        from central.fleet.enrolment import Enrolment, default_key_path, load_or_create_central_key
        from tools.demo.autopilot import AutopilotFailed
        if not self.central_database:
            raise AutopilotFailed("the enrolment journey needs --central-database")
        engine = make_engine(self.central_database)
        try:
            key = load_or_create_central_key(default_key_path(self.central_database))
            issued = Enrolment(engine, key, self.app.runtime.config.central.url).issue_code(
                self.app.runtime.config.kiosk_id, "zz-centre", "demo-technician")
        finally:
            engine.dispose()
        path = Path(tempfile.mkdtemp(prefix="onetrip-qr-")) / "enrol.png"
        qrcode.make(issued.qr_payload, border=4).save(path)
        self.app.runtime.devices.camera.faults.set("shown", str(path))
        self.pilot._schedule(0.2)

    def _wait_for_enrol(self, msgid: str) -> None:
        """Until the enrolment screen says this message (its words before any value)."""
        from screens.base import tr
        said = tr(msgid, "zh_CN").split("{")[0]
        screen = self.app.screens["diagnostics_enrol"]
        self.pilot._do_wait_for(lambda: screen.status.startswith(said), 40, msgid)

    def _hide_enrolment_qr(self) -> None:
        self.app.runtime.devices.camera.faults.clear("shown")
        self.pilot._schedule(0.2)

    def _fleet_hours(self, open_now: bool) -> None:
        """Ten service hours that began an hour ago (open) or begin in an hour (closed: the
        kiosk says when it opens)."""
        import datetime as dt
        shift = dt.timedelta(hours=-1 if open_now else 1)
        opens = (dt.datetime.now() + shift).replace(minute=0, second=0, microsecond=0)
        closes = opens + dt.timedelta(hours=10)
        hours = {"opens": opens.time().isoformat(), "closes": closes.time().isoformat()}
        self._hours = f"{opens:%H:%M}–{closes:%H:%M}"
        self._fleet({"service_hours": hours})

    def _expect_both(self, msgid: str) -> None:
        """The message in Chinese and in English, both on screen."""
        from screens.base import tr
        self._expect_literal(*(tr(msgid, lang, hours=self._hours) for lang in ("zh_CN", "en")))

    def _expect_literal(self, *wanted: str) -> None:
        """Until every one of these texts is on screen (a screen that changes in place)."""
        def shown() -> bool:
            texts = screen_texts(self.app.root)
            if all(w in texts for w in wanted):
                self.current.texts_checked.extend(wanted)
                return True
            return False
        self.pilot._do_wait_for(shown, 10, "on screen: " + " | ".join(wanted))

    def _wait_for_test_print(self) -> None:
        """Until the test print's outcome is on the diagnostics screen (summary.json keeps it)."""
        screen = self.app.screens["diagnostics"]
        printing = {screen.tr(f"diag.test_{kind}_printing") for kind in ("receipt", "card")}

        def done() -> bool:
            if screen.printing or not screen.status or screen.status in printing:
                return False
            self.current.texts_checked.append(f"diag.status={screen.status}")
            return True

        self.pilot._do_wait_for(done, 60, "test print")

    def _wait_for_paused(self) -> None:
        """Until the reading screen says 'put it back'; then a picture of it."""
        def paused() -> bool:
            if not self.app.journey.session.read_paused:
                return False
            self._shown(S.READING_DOCUMENT.value)
            return True
        self.pilot._do_wait_for(paused, 30, "reading paused")

    def _photo_if_asked(self, retake: bool = False, tour: tuple[str, ...] = ()) -> None:
        p = self.pilot

        def decided() -> bool:
            return self.app.journey.state in (S.PHOTO, S.DECISION, S.PROBLEM, S.RECEIPT,
                                              S.SUBMITTING, S.PRINTING_CARD)
        p._script[0:0] = [("wait_for", decided, 30, "photo or decision"),
                          ("photo_step", retake, tour)]
        p._do_photo_step = self._photo_step
        p._schedule(0)

    def _photo_step(self, retake: bool = False, tour: tuple[str, ...] = ()) -> None:
        """The resident follows the spoken guidance; the kiosk takes the picture by itself
        (the button stands in if it has not within a few seconds). ``tour``: first the
        drawn resident does each of these wrong (simulator behaviours) and the screen is
        shot with the instruction it gets. With ``retake`` they take a second picture,
        then go back to the first and use it."""
        p = self.pilot
        journey = self.app.journey
        if journey.state is S.PHOTO:
            told = []
            for behaviour in tour:
                wanted = RESIDENT_GUIDANCE[behaviour]
                told += [("fault", "camera", "resident", behaviour),
                         ("wait_for", lambda w=wanted: journey.photo.guidance == w, 20, wanted),
                         ("expect_text", wanted), ("shot",)]
            told += [("fault", "camera", "resident", None)] if tour else []
            live = [("wait_for", lambda: journey.photo.guidance is not None, 20, "guidance"),
                    ("shot",), ("photo_taken_or_tap",), ("shot",)]
            again = [("tap", "retake_photo"), *live, ("expect_text", "photo.hint_choose"),
                     ("tap", "photo_shot_1"), ("shot",)] if retake else []
            p._script[0:0] = [("expect_text", "photo.take"), *told, *live, *again,
                              ("tap", "use_photo")]
            p._do_photo_taken_or_tap = self._photo_taken_or_tap
        p._schedule(0.3)

    def _photo_taken_or_tap(self) -> None:
        p = self.pilot
        deadline = time.monotonic() + 8

        def poll(dt=None) -> None:
            from kivy.clock import Clock
            if self.app.journey.session.photo_jpeg is not None:
                self.current.photo_took_itself = True
                return p._schedule(0.4)
            if time.monotonic() > deadline:
                p._script[0:0] = [("tap", "take_photo"),
                                  ("wait_for", lambda: self.app.journey.session.photo_jpeg
                                   is not None, 20, "photo")]
                return p._schedule(0)
            Clock.schedule_once(poll, 0.1)
        poll()

    def _expect_text(self, msgid: str) -> None:
        from screens.base import tr
        from tools.demo.autopilot import AutopilotFailed
        lang = self.app.journey.session.language
        wanted = tr(msgid, lang)
        texts = screen_texts(self.app.root)
        if wanted not in texts:
            raise AutopilotFailed(f"'{wanted}' ({msgid}, {lang}) not on screen "
                                  f"{self.app.manager.current}")
        self.current.texts_checked.append(f"{msgid}={wanted}")
        self.pilot._schedule(0)

    # ---- running ---------------------------------------------------------------------
    def start(self) -> None:
        from kivy.clock import Clock
        Clock.schedule_once(lambda dt: self._next_journey(), 1.0)

    def _printed_now(self) -> set[Path]:
        return {p for d in self.printed_dirs if d.is_dir() for p in d.glob("*.png")}

    def _next_journey(self) -> None:
        self.index += 1
        if self.index >= len(self.selected):
            return self.app.stop()
        j = self.current = self.selected[self.index]
        script = [("scan", self.tracking_url or "") if step == ("scan", "TRACKING_URL") else step
                  for step in j.script]
        self._before = self._printed_now()
        self._t0 = time.monotonic()
        self._capture_once = None
        self.pilot.run(script, self._journey_done)
        if j.name != "diagnostics":
            self._shown(self.app.manager.current)

    def _personal_data_on_screens(self, persona: str) -> bool:
        """Whether any screen, shown or not, still holds this resident's name or number."""
        document = self.app.runtime.devices.reader.documents.get(persona)
        if document is None:
            return False
        secrets = [document.fields["name"], document.fields["document_number"]]
        texts = "\n".join(screen_texts(screen) for screen in self.app.screens.values())
        return any(secret and secret in texts for secret in secrets)

    def _journey_done(self, error: BaseException | None) -> None:
        j = self.current
        j.seconds = time.monotonic() - self._t0
        s = self.app.journey.session
        j.wiped = s.document is None and s.photo_jpeg is None and s.decision is None \
            and s.address is None and s.outcome.application_number is None \
            and not self._personal_data_on_screens(j.persona)
        folder = self.output / f"{self.index + 1:02d}-{j.name}"
        for path in sorted(self._printed_now() - self._before):
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, folder / path.name)
            j.printed.append(path.name)
        problems = []
        if error is not None:
            problems.append(str(error))
        if j.expect_decision and j.decision != j.expect_decision:
            problems.append(f"decision {j.decision}, expected {j.expect_decision}")
        if j.expect_card and not j.card_printed:
            problems.append("no card printed")
        if not j.wiped:
            problems.append("session not wiped")
        if j.name == "eligible_zh" and j.tracking_url:
            self.tracking_url = j.tracking_url
        j.ok, j.error = not problems, "; ".join(problems)
        print(summary_line(j), flush=True)
        if error is not None:  # leave the kiosk at rest for the next journey
            try:
                self.app.journey.cancel()
            except Exception:
                log.exception("cancel after a failed journey")
        from kivy.clock import Clock
        Clock.schedule_once(lambda dt: self._next_journey(), 0.5)


def summary_line(j: Journey) -> str:
    printed = ("card+" if j.card_printed else "") + ("receipt" if j.receipt_printed else "-")
    status = "OK" if j.ok else f"FAILED: {j.error}"
    return (f"{j.name:<20} persona={j.persona:<16} lang={j.language:<5} "
            f"decision={j.decision or '-':<13} application={j.application_number or '-':<18} "
            f"printed={printed:<13} {j.seconds:5.1f}s  {status}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="OneTrip kiosk demo with an autopilot resident")
    parser.add_argument("--config", type=Path, action="append", default=[], required=True)
    parser.add_argument("--output", type=Path, default=Path("demo-output"))
    parser.add_argument("--journey", action="append", default=[],
                        help="run only these journeys (repeatable); default: all")
    parser.add_argument("--central-database", default=None, metavar="URL",
                        help="the reference central's database: the fleet journey's hall "
                             "manager sets the kiosk's settings there")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    base = load_config(*args.config)
    reader = dict(base.devices.reader.options)
    reader.pop("present_after_s", None)  # the autopilot puts each document down itself
    config = load_config(*args.config, overrides={
        "journey": DEMO_JOURNEY, "devices": {"reader": {"options": reader}}})
    all_journeys = journeys(config.diagnostics.pin)
    unknown = [n for n in args.journey if n not in all_journeys]
    if unknown:
        parser.error(f"unknown journey(s) {unknown}; known: {', '.join(all_journeys)}")
    selected = [all_journeys[n] for n in (args.journey or all_journeys)]
    output = args.output.resolve()
    output.mkdir(parents=True, exist_ok=True)
    printed_dirs = []
    for dev in (config.devices.receipt_printer, config.devices.card_printer):
        if "output_dir" in dev.options:
            p = Path(dev.options["output_dir"])
            printed_dirs.append(p if p.is_absolute() else ROOT / p)

    configure_window(config)
    from screens.app import KioskApp

    from kiosk.runtime import KioskRuntime
    app = KioskApp(config, runtime_factory=lambda dispatch: KioskRuntime(config, dispatch))
    runner: dict[str, DemoRunner] = {}
    app.bind(on_start=lambda a: runner.setdefault(
        "r", DemoRunner(app, selected, output, printed_dirs, args.central_database)).start())
    app.run()
    ok = all(j.ok for j in selected) and len(selected) > 0
    (output / "summary.json").write_text(json.dumps(
        {"ok": ok, "journeys": [asdict(j) | {"script": None} for j in selected]},
        ensure_ascii=False, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
