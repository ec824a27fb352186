"""An autopilot resident: taps the screen through real touch events, like a person would.

It never calls the journey's intents. It finds a widget by id on what is on screen,
touches its centre through the window (``UnitTestTouch``), and waits, driven by Kivy's
Clock, for the journey to move on. Its only direct acts are physical: putting a
document on the reader and holding a code under the scanner.

A script is data: a list of steps such as ``("tap", "start")``, ``("place", "eligible")``,
``("scan", url)``, ``("expect", Step.DECISION)``; see ``Autopilot.run``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from kivy.clock import Clock
from kivy.tests.common import UnitTestTouch
from kivy.uix.widget import Widget

from kiosk.journey.steps import Step

log = logging.getLogger("screens.autopilot")

TAP_PAUSE_S = 0.25  # a person's pace between taps; also lets the screen settle
FIND_TIMEOUT_S = 8.0
EXPECT_TIMEOUT_S = 30.0


class AutopilotFailed(AssertionError):
    pass


def widget_ids(widget: Widget) -> Iterable[str]:
    own = getattr(widget, "widget_id", "")
    if own:
        yield own


def find_widget(root: Widget, wanted: str) -> Widget | None:
    """The visible, enabled widget with this id (a kv id, or a KioskButton's widget_id)."""
    stack = [root]
    while stack:
        w = stack.pop()
        if w.opacity > 0 and not w.disabled:
            if wanted in widget_ids(w):
                return w
            for kv_id, target in getattr(w, "ids", {}).items():
                if kv_id == wanted and target.opacity > 0 and not target.disabled \
                        and target.get_root_window() is not None:
                    return target
        stack.extend(w.children)
    return None


def tap_at(x: float, y: float) -> None:
    touch = UnitTestTouch(x, y)
    touch.touch_down()
    Clock.schedule_once(lambda dt: touch.touch_up(), 0.05)


class Autopilot:
    """Runs scripts of steps against a running KioskApp, one Clock callback at a time."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.journey = app.journey
        self.devices = app.runtime.devices
        self.visited: list[str] = []
        self.on_shown: Callable[[str], None] | None = None
        app.shown_listeners.append(self._shown)
        self._script: list[tuple] = []
        self._done: Callable[[BaseException | None], None] | None = None
        self._waiting: tuple | None = None
        self._deadline = 0.0
        self._poll = None

    def _shown(self, name: str) -> None:
        self.visited.append(name)
        if self.on_shown is not None:
            self.on_shown(name)

    # ---------------------------------------------------------------------------------
    def run(self, script: list[tuple], done: Callable[[BaseException | None], None]) -> None:
        """Steps:
        ("tap", id[, times])   touch the widget's centre (times in a row)
        ("tap_at", fx, fy)     touch a point given as fractions of the window (top-left 0,0)
        ("expect", Step|name[, timeout_s])   wait until the journey/screen is there
        ("place", persona) / ("lift",)       the document on the reader
        ("scan", text or callable)           a code held under the scanner
        ("wait", seconds) / ("call", fn)     pause; run fn (for screenshots, checks)
        ("wait_for", predicate[, timeout_s]) wait until predicate() is true
        """
        self._script = list(script)
        self._done = done
        self._schedule(0)

    def _schedule(self, delay: float) -> None:
        Clock.schedule_once(lambda dt: self._next(), delay)

    def _finish(self, error: BaseException | None) -> None:
        done, self._done = self._done, None
        if done is not None:
            done(error)

    def _next(self) -> None:
        if not self._script:
            return self._finish(None)
        step = self._script.pop(0)
        try:
            getattr(self, "_do_" + step[0])(*step[1:])
        except AutopilotFailed as exc:
            self._finish(exc)

    def _current_is(self, target: Any) -> bool:
        name = target.value if isinstance(target, Step) else str(target)
        if isinstance(target, Step) and self.journey.state is not target:
            return False
        return self.app.manager.current == name

    # ---- the steps -------------------------------------------------------------------
    def _do_tap(self, widget_id: str, times: int = 1) -> None:
        """Touch the widget where the resident sees it: only once it has stood still for a
        frame, since a screen just shown is laid out over the next frames and a touch at
        a widget's first position lands on whatever is there (the back button, say)."""
        deadline = time.monotonic() + FIND_TIMEOUT_S
        seen: list[tuple[float, float]] = []

        def attempt(dt=None) -> None:
            widget = find_widget(self.app.root, widget_id)
            if widget is None:
                if time.monotonic() > deadline:
                    return self._finish(AutopilotFailed(
                        f"no widget '{widget_id}' on {self.app.manager.current}"))
                return Clock.schedule_once(attempt, 0.1)
            x, y = widget.to_window(*widget.center)
            if not seen or seen[-1] != (x, y):
                seen.append((x, y))
                return Clock.schedule_once(attempt, 0)  # look again next frame
            tap_at(x, y)
            if times > 1:
                self._script.insert(0, ("tap", widget_id, times - 1))
            self._schedule(TAP_PAUSE_S)
        attempt()

    def _do_tap_first(self, widget_ids: list[str], timeout_s: float = 3.0) -> None:
        """Tap the first of these ids that appears (e.g. a listed sponsor, else 'not listed')."""
        deadline = time.monotonic() + timeout_s

        def attempt(dt=None) -> None:
            for widget_id in widget_ids:
                if find_widget(self.app.root, widget_id) is not None:
                    self._script.insert(0, ("tap", widget_id))
                    return self._schedule(0)
            if time.monotonic() > deadline:
                return self._finish(AutopilotFailed(f"none of {widget_ids} on screen"))
            Clock.schedule_once(attempt, 0.1)
        attempt()

    def _do_tap_at(self, fx: float, fy: float) -> None:
        from kivy.core.window import Window
        tap_at(fx * (Window.width - 1), (1 - fy) * (Window.height - 1))
        self._schedule(0.1)

    def _do_expect(self, target: Any, timeout_s: float = EXPECT_TIMEOUT_S) -> None:
        self._do_wait_for(lambda: self._current_is(target), timeout_s,
                          f"expected {getattr(target, 'value', target)}")

    def _do_wait_for(self, predicate: Callable[[], bool], timeout_s: float = EXPECT_TIMEOUT_S,
                     what: str = "condition") -> None:
        deadline = time.monotonic() + timeout_s

        def poll(dt=None) -> None:
            if predicate():
                return self._schedule(0.35)  # let the new screen draw before going on
            if time.monotonic() > deadline:
                return self._finish(AutopilotFailed(
                    f"{what}; at {self.journey.state.value} (screen {self.app.manager.current})"))
            Clock.schedule_once(poll, 0.05)
        poll()

    def _do_place(self, persona: str) -> None:
        self.devices.reader.place(persona)
        self._schedule(0.1)

    def _do_lift(self) -> None:
        self.devices.reader.lift()
        self._schedule(0.1)

    def _do_scan(self, text: Any) -> None:
        self.devices.scanner.scan(text() if callable(text) else text)
        self._schedule(0.1)

    def _do_fault(self, device: str, name: str, value: Any = -1) -> None:
        """A technician's switch on a simulator (paper out, jam): hardware, not the journey."""
        faults = self.devices.all()[device].faults
        faults.set(name, value) if value is not None else faults.clear(name)
        self._schedule(0.1)

    def _do_wait(self, seconds: float) -> None:
        self._schedule(seconds)

    def _do_call(self, fn: Callable[[], Any]) -> None:
        try:
            fn()
        except AutopilotFailed:
            raise
        except Exception as exc:
            raise AutopilotFailed(f"check failed: {exc!r}") from exc
        self._schedule(0)
