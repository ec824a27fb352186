"""Drives the running kiosk app through the selected journeys, one after the other, and takes
the pictures: a PNG of every screen shown (<output>/<nn>-<journey>/<mm>-<screen>.png) and a
copy of every receipt and card printed during the journey.

It gives the autopilot the demo's own steps (the photo step as a resident lives it, checks of
on-screen text, a hall manager's settings, the technician's QR code) and judges each journey
when it ends. Kivy is imported here; the journey scripts and the reporting do without it.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from kiosk.journey.steps import Step
from tools.demo import central_acts
from tools.demo import journey_calls as jc
from tools.demo.autopilot import Autopilot, AutopilotFailed
from tools.demo.journeys import RESIDENT_GUIDANCE, Journey

log = logging.getLogger("tools.demo")
S = Step


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
    """``on_journey_start(index, journey)`` and ``on_journey_end(index, journey)`` are told
    as each journey starts and ends (the console's progress lines)."""

    def __init__(self, app, selected: list[Journey], output: Path, printed_dirs: list[Path],
                 central_database: str | None = None,
                 on_journey_start: Callable[[int, Journey], None] | None = None,
                 on_journey_end: Callable[[int, Journey], None] | None = None):
        self.app, self.selected, self.output = app, selected, output
        self.printed_dirs = printed_dirs
        self.central_database = central_database  # where the hall manager's settings go
        self.on_journey_start = on_journey_start or (lambda i, j: None)
        self.on_journey_end = on_journey_end or (lambda i, j: None)
        self.pilot = Autopilot(app)
        self.pilot.on_shown = self._shown
        self._add_steps()
        self._hours = ""
        self._room = 0  # the storage threshold the demo raised, to put back
        jc.listen(app, self._observe)
        self.index = -1
        self.current: Journey | None = None
        self.tracking_url: str | None = None

    def _add_steps(self) -> None:
        p, app = self.pilot, self.app
        p._do_photo_if_asked = self._photo_if_asked
        p._do_photo_step = self._photo_step
        p._do_photo_taken_or_tap = self._photo_taken_or_tap
        p._do_expect_text = self._expect_text
        p._do_wait_for_overlay = lambda: p._do_wait_for(
            lambda: app.overlay.parent is not None, 30, "idle warning")
        p._do_wait_for_paused = self._wait_for_paused
        p._do_shot = self._shot
        p._do_wait_for_report = lambda: p._do_wait_for(
            lambda: bool(app.screens["diagnostics"].lines), 30, "diagnostics report")
        p._do_wait_for_test_print = self._wait_for_test_print
        p._do_fleet = self._fleet
        p._do_fleet_hours = self._fleet_hours
        p._do_storage_room = self._storage_room
        p._do_lift_mid_read = self._lift_mid_read
        p._do_expect_literal = self._expect_literal
        p._do_expect_both = self._expect_both
        p._do_show_recovered = self._show_recovered
        p._do_show_enrolment_qr = self._show_enrolment_qr
        p._do_hide_enrolment_qr = self._hide_enrolment_qr
        p._do_wait_for_enrol = self._wait_for_enrol

    # ---- observation and pictures ----------------------------------------------------
    def _observe(self, what: str) -> None:
        if self.current is not None:
            jc.record_outcome(self.app, self.current, what)

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

    # ---- the demo's own autopilot steps ----------------------------------------------
    def _shot(self) -> None:
        """A picture of the screen as it is now (a screen that changed without a new step)."""
        self._shown(self.app.manager.current)
        self.pilot._schedule(0.4)

    def _show_recovered(self, shown: bool = True) -> None:
        """The attract screen after a restart cut an application off (tests/printers/
        test_card_kill9.py makes it for real, with a killed process; the demo shows the
        first journey's application)."""
        first = self.selected[0] if self.selected else None
        jc.show_recovered(self.app, first.application_number if first else None,
                          first.tracking_url if first else None, shown)
        self.pilot._schedule(0.3)

    def _central_database(self, journey: str) -> str:
        if not self.central_database:
            raise AutopilotFailed(f"the {journey} journey needs --central-database")
        return self.central_database

    def _fleet(self, values: dict) -> None:
        """A hall manager sets this kiosk's settings at the reference central server; they
        reach the kiosk in the answer to its next heartbeat (each second in the demo)."""
        central_acts.set_fleet_settings(self._central_database("fleet"),
                                        self.app.runtime.config.kiosk_id, values)
        self.pilot._schedule(0.2)

    def _fleet_hours(self, open_now: bool) -> None:
        """Service hours that have the kiosk open now, or closed (it says when it opens)."""
        hours, self._hours = central_acts.service_hours(open_now)
        self._fleet({"service_hours": hours})

    def _lift_mid_read(self, persona: str) -> None:
        """The resident will lift the document half-way through its read: a chip at its
        30th APDU, a card on the ID-card module right after select; on the reader that
        reads this persona's document only, so no switch is left set for a later one."""
        reader = self.app.runtime.devices.reader
        kind = reader.documents[persona].fields["document_type"]
        for sub in getattr(reader, "readers", [reader]):
            if sub.reads is None or kind in sub.reads:
                fault = "lift_after_select" if sub.reads is not None else "remove_at_apdu"
                sub.faults.set(fault, 1 if fault == "lift_after_select" else 30)
                break
        self.pilot._schedule(0.1)

    def _storage_room(self, need_mb: float | None) -> None:
        """The data folder has less room than the kiosk needs (its threshold raised past the
        disk's free space), then enough again (None): the real look, the real screen."""
        watch = self.app.runtime.storage
        if need_mb is None:
            watch.min_free_bytes = self._room
        else:
            self._room, watch.min_free_bytes = watch.min_free_bytes, int(need_mb * 2**20)
        watch.wake()
        self.pilot._schedule(0.2)

    def _show_enrolment_qr(self) -> None:
        """The technician holds central's enrolment QR code up to the camera."""
        config = self.app.runtime.config
        path = central_acts.enrolment_qr(self._central_database("enrolment"),
                                         config.central.url, config.kiosk_id)
        self.app.runtime.devices.camera.faults.set("shown", str(path))
        self.pilot._schedule(0.2)

    def _hide_enrolment_qr(self) -> None:
        self.app.runtime.devices.camera.faults.clear("shown")
        self.pilot._schedule(0.2)

    def _wait_for_enrol(self, msgid: str) -> None:
        """Until the enrolment screen says this message (its words before any value)."""
        from screens.base import tr
        said = tr(msgid, "zh_CN").split("{")[0]
        screen = self.app.screens["diagnostics_enrol"]
        self.pilot._do_wait_for(lambda: screen.status.startswith(said), 40, msgid)

    def _expect_text(self, msgid: str) -> None:
        from screens.base import tr
        lang = jc.language(self.app)
        wanted = tr(msgid, lang)
        texts = screen_texts(self.app.root)
        if wanted not in texts:
            raise AutopilotFailed(f"'{wanted}' ({msgid}, {lang}) not on screen "
                                  f"{self.app.manager.current}")
        self.current.texts_checked.append(f"{msgid}={wanted}")
        self.pilot._schedule(0)

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
            if not jc.read_paused(self.app):
                return False
            self._shown(S.READING_DOCUMENT.value)
            return True
        self.pilot._do_wait_for(paused, 30, "reading paused")

    # ---- the photo step, as a resident lives it --------------------------------------
    def _photo_if_asked(self, retake: bool = False, tour: tuple[str, ...] = ()) -> None:
        p = self.pilot
        # The drawn resident stands as the tour's first instruction needs before the photo
        # step opens: the kiosk takes a good picture by itself within a second, sooner than
        # a busy machine lets the autopilot act once the step is up.
        first = [("fault", "camera", "resident", tour[0])] if tour else []
        p._script[0:0] = [*first,
                          ("wait_for", lambda: jc.step(self.app) in jc.PHOTO_OR_LATER, 30,
                           "photo or decision"),
                          ("photo_step", retake, tour)]
        p._schedule(0)

    def _photo_step(self, retake: bool = False, tour: tuple[str, ...] = ()) -> None:
        """The resident follows the spoken guidance; the kiosk takes the picture by itself
        (the button stands in if it has not within a few seconds). ``tour``: first the
        drawn resident does each of these wrong (simulator behaviours) and the screen is
        shot with the instruction it gets. With ``retake`` they take a second picture,
        then go back to the first and use it."""
        p, app = self.pilot, self.app
        if jc.step(app) is S.PHOTO:
            told = []
            for behaviour in tour:
                wanted = RESIDENT_GUIDANCE[behaviour]
                told += [("fault", "camera", "resident", behaviour),
                         ("wait_for", lambda w=wanted: self._guidance_shown(w), 20, wanted),
                         ("expect_text", wanted), ("shot",)]
            told += [("fault", "camera", "resident", None)] if tour else []
            live = [("wait_for", lambda: jc.photo_guidance(app) is not None, 20, "guidance"),
                    ("shot",), ("photo_taken_or_tap",), ("shot",)]
            again = [("tap", "retake_photo"), *live, ("expect_text", "photo.hint_choose"),
                     ("tap", "photo_shot_1"), ("shot",)] if retake else []
            p._script[0:0] = [("expect_text", "photo.take"), *told, *live, *again,
                              ("tap", "use_photo")]
        elif tour:  # no photo asked for: the resident stands as usual again
            p._script[0:0] = [("fault", "camera", "resident", None)]
        p._schedule(0.3)

    def _guidance_shown(self, msgid: str) -> bool:
        """The kiosk gives this instruction and the screen shows it (a frame later)."""
        from screens.base import tr
        return jc.photo_guidance(self.app) == msgid and \
            tr(msgid, self.app.journey.session.language) in screen_texts(self.app.root)

    def _photo_taken_or_tap(self) -> None:
        p = self.pilot
        deadline = time.monotonic() + 8

        def poll(dt=None) -> None:
            from kivy.clock import Clock
            if jc.photo_taken(self.app):
                self.current.photo_took_itself = True
                return p._schedule(0.4)
            if time.monotonic() > deadline:
                p._script[0:0] = [("tap", "take_photo"),
                                  ("wait_for", lambda: jc.photo_taken(self.app), 20, "photo")]
                return p._schedule(0)
            Clock.schedule_once(poll, 0.1)
        poll()

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
        log.info("journey %d/%d %s: start", self.index + 1, len(self.selected), j.name)
        self.on_journey_start(self.index, j)
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
        j.wiped = jc.session_dropped(self.app) and not self._personal_data_on_screens(j.persona)
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
        log.log(logging.INFO if j.ok else logging.ERROR, "journey %d/%d %s: %s in %.1f s",
                self.index + 1, len(self.selected), j.name, "OK" if j.ok else "FAILED",
                j.seconds)
        if not j.ok:
            log.error("journey %s failed: %s", j.name, j.error)
        self.on_journey_end(self.index, j)
        if error is not None:  # leave the kiosk at rest for the next journey
            try:
                jc.cancel(self.app)
            except Exception:
                log.exception("cancel after a failed journey")
        from kivy.clock import Clock
        Clock.schedule_once(lambda dt: self._next_journey(), 0.5)
