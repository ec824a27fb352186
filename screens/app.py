"""The kiosk's Kivy application: the window, the font, the screens, the one dispatch boundary.

The composition root (``kiosk_app.ui``) builds ``KioskApp`` after
``screens.window.configure_window`` (the window's size must be known before Kivy creates
the window) and hands it the way to build the running kiosk; the UI never builds the
kiosk's services itself.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App  # noqa: E402
from kivy.base import ExceptionHandler, ExceptionManager  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.core.text import LabelBase  # noqa: E402
from kivy.lang import Builder  # noqa: E402
from kivy.uix.floatlayout import FloatLayout  # noqa: E402
from kivy.uix.screenmanager import NoTransition, ScreenManager  # noqa: E402

from kiosk.config import KioskConfig  # noqa: E402
from kiosk.crash import describe  # noqa: E402
from kiosk.journey.steps import IDLE_STEPS, Step  # noqa: E402
from screens.theme import T  # noqa: E402

log = logging.getLogger("screens.app")

KV_DIR = Path(__file__).resolve().parent / "kv"
KV_FILES = (["common.kv"] + [f"{step.value}.kv" for step in Step]
            + ["diagnostics.kv", "diagnostics_enrol.kv"])


def register_fonts() -> None:
    """Register the CJK font as T.font_name for every label.

    wqy-microhei's first face is Simplified Chinese; Kivy's SDL2 text provider cannot
    pick a face index inside a .ttc, so with a collection whose first face is not SC
    (Noto CJK: Japanese first) the glyph shapes would be wrong. Prefer wqy.
    """
    try:
        from drivers.fonts import find_cjk_font
        choice = find_cjk_font()
    except ImportError:
        choice = None
    if choice is None:
        log.warning("no CJK font: Chinese text will show as boxes")
        LabelBase.register(name=T.font_name, fn_regular="Roboto-Regular.ttf",
                           fn_bold="Roboto-Bold.ttf")
        return
    if choice.index:
        log.warning("font %s: face %d wanted, Kivy draws face 0", choice.path, choice.index)
    LabelBase.register(name=T.font_name, fn_regular=choice.path, fn_bold=choice.path)


_kv_loaded = False


def load_kv() -> None:
    global _kv_loaded
    if _kv_loaded:
        return
    from kivy.factory import Factory

    import screens.widgets  # noqa: F401  (registers the widget classes the .kv files use)
    from screens.base import IdleOverlay, StepScreen
    from screens.widgets import (
        Body,
        BusyIndicator,
        DetailRow,
        HintLabel,
        KioskButton,
        ProgressBarK,
        StatusCard,
        WrapLabel,
    )
    for cls in (Body, BusyIndicator, DetailRow, HintLabel, KioskButton, ProgressBarK, StatusCard,
                WrapLabel, StepScreen, IdleOverlay):
        Factory.register(cls.__name__, cls=cls)
    for name in KV_FILES:
        Builder.load_file(str(KV_DIR / name))
    _kv_loaded = True


def screen_classes() -> list[type]:
    from screens import decision, declare, document, finish, start
    return [start.AttractScreen, start.LanguageScreen, start.ServiceMenuScreen,
            document.PresentDocumentScreen, document.AccessKeyScreen, document.ReadingScreen,
            document.ConfirmDetailsScreen, declare.DeclareResidenceScreen,
            declare.DeclareConditionScreen, decision.CheckingScreen, decision.PhotoScreen,
            decision.DecisionScreen, decision.FulfilmentScreen, decision.SubmittingScreen,
            decision.PrintingCardScreen, finish.ReceiptScreen, document.StatusLookupScreen,
            finish.StatusResultScreen, start.ProblemScreen, start.OutOfServiceScreen]


class _KeepRunning(ExceptionHandler):
    """An unexpected exception: log it, show 'out of service', recover in 10 s, keep running."""

    def __init__(self, app: KioskApp) -> None:
        super().__init__()
        self.app = app

    def handle_exception(self, inst: BaseException) -> int:
        if isinstance(inst, (KeyboardInterrupt, SystemExit)):
            return ExceptionManager.RAISE
        log.error("unexpected exception in the UI: %s", describe(inst))
        journey = self.app.journey
        if journey is None:
            return ExceptionManager.PASS
        try:
            journey.availability.go_out_of_service("unexpected")
            Clock.schedule_once(lambda dt: journey.availability.recover(), 10)
        except Exception:  # the handler itself must never bring the kiosk down
            log.exception("could not go out of service")
        return ExceptionManager.PASS


def clock_dispatch(fn: Callable[[], None]) -> None:
    """The one boundary: a worker's or a device's result runs on Kivy's thread."""
    Clock.schedule_once(lambda dt: fn(), 0)


RuntimeFactory = Callable[[Callable[[Callable[[], None]], None]], Any]


class KioskApp(App):
    """Builds the runtime (with Kivy's Clock as its dispatch) through the factory it is given,
    and follows the journey's step."""

    title = "OneTrip Kiosk"

    def __init__(self, config: KioskConfig | None, config_error: str | None = None,
                 runtime_factory: RuntimeFactory | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kiosk_config = config
        self.config_error = config_error
        self._runtime_factory = runtime_factory
        self.runtime = None
        self.journey = None
        self.screens: dict[str, Any] = {}
        self.shown_listeners: list[Callable[[str], None]] = []
        self._shown: str | None = None
        self._diagnostics = False
        self._directory = None
        self._directory_waiters: list[Callable[[Any], None]] = []
        self._directory_loading = False

    def build(self):
        from kivy.core.window import Window
        T.configure(*Window.size)
        register_fonts()
        load_kv()
        from screens.base import IdleOverlay
        self.manager = ScreenManager(transition=NoTransition())
        root = FloatLayout()
        root.add_widget(self.manager)
        if self.kiosk_config is None or self._runtime_factory is None:
            return self._build_config_error(root)
        self.runtime = self._runtime_factory(clock_dispatch)
        self.journey = self.runtime.journey
        for cls in screen_classes():
            screen = cls(self)
            self.screens[screen.name] = screen
            self.manager.add_widget(screen)
        from screens.diagnostics import DiagnosticsPinScreen, DiagnosticsScreen
        from screens.diagnostics_enrol import EnrolScreen
        for screen in (DiagnosticsPinScreen(self), DiagnosticsScreen(self), EnrolScreen(self)):
            self.screens[screen.name] = screen
            self.manager.add_widget(screen)
        self.overlay = IdleOverlay(self)
        self.root_layout = root
        self._refresh_trigger = Clock.create_trigger(lambda dt: self._refresh(), 0)
        self.journey.add_listener(lambda what: self._refresh_trigger())
        Clock.schedule_interval(lambda dt: self.journey.tick(), 0.5)
        Window.bind(on_touch_down=self._any_touch)
        ExceptionManager.add_handler(_KeepRunning(self))
        self.runtime.start()
        self._refresh()
        return root

    def _build_config_error(self, root):
        from screens.start import OutOfServiceScreen
        screen = OutOfServiceScreen(None)
        screen.technician_line = f"config_error: {self.config_error}"
        self.manager.add_widget(screen)
        self.screens[screen.name] = screen
        self._shown = screen.name
        return root

    def on_start(self) -> None:
        if os.environ.get("ONETRIP_EXIT_AFTER_FIRST_FRAME"):
            from kivy.core.window import Window
            Window.bind(on_flip=self._report_first_frame)

    def _report_first_frame(self, window) -> None:
        """For `make bench`: the wall-clock moment the attract screen's first frame is shown."""
        window.unbind(on_flip=self._report_first_frame)
        print(f"first-frame {time.time():.3f}", flush=True)
        Clock.schedule_once(lambda dt: self.stop(), 0)

    def on_stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()

    def _any_touch(self, window, touch) -> None:
        if self.journey is not None:
            self.journey.touch()

    # following the journey ------------------------------------------------------------
    def _refresh(self) -> None:
        journey = self.journey
        name = journey.state.value
        if self._diagnostics:
            if journey.state in IDLE_STEPS:  # nobody is served: the technician keeps the screen
                return
            self._diagnostics = False
        if name != self._shown and journey.state is Step.ATTRACT:
            for screen in self.screens.values():
                if hasattr(screen, "forget"):  # the technician's screens hold nothing personal
                    screen.forget()
        if name != self._shown:
            previous = self.screens.get(self._shown) if self._shown else None
            if previous is not None and hasattr(previous, "leave"):
                previous.leave()
            self._shown = name
            self.manager.current = name
            self.screens[name].enter()
            self.screens[name].refresh()
            for listener in list(self.shown_listeners):
                listener(name)
        else:
            self.screens[name].refresh()
        self._show_idle()

    def _show_idle(self) -> None:
        remaining = self.journey.idle_remaining
        shown = self.overlay.parent is not None
        if remaining is None:
            if shown:
                self.root_layout.remove_widget(self.overlay)
            return
        self.overlay.lang = self.journey.session.language
        self.overlay.seconds = int(remaining + 0.999)
        if not shown:
            self.root_layout.add_widget(self.overlay)
            for listener in list(self.shown_listeners):
                listener("idle_warning")

    # the address directory (blocking HTTP the first time: a worker thread) ---------------
    def prefetch_directory(self, on_ready: Callable[[Any], None] | None = None) -> None:
        if self._directory is not None:
            if on_ready:
                on_ready(self._directory)
            return
        if on_ready:
            self._directory_waiters.append(on_ready)
        if self._directory_loading:
            return
        self._directory_loading = True
        self.runtime.worker.run(self.journey.declaration.directory, self._directory_ready,
                                lambda exc: self._directory_ready(None))

    def _directory_ready(self, directory) -> None:
        self._directory_loading = False
        self._directory = directory
        waiters, self._directory_waiters = self._directory_waiters, []
        for fn in waiters:
            fn(directory)

    # technician diagnostics -----------------------------------------------------------
    def open_diagnostics(self) -> None:
        """From the attract screen, and from out of service (maintenance needs them most)."""
        if self.journey.state not in IDLE_STEPS:
            return
        from screens.diagnostics import PIN_SCREEN
        self._diagnostics = True
        self._shown = PIN_SCREEN
        self.screens[PIN_SCREEN].reset()
        self.manager.current = PIN_SCREEN
        for listener in list(self.shown_listeners):
            listener(PIN_SCREEN)

    def show_diagnostics_report(self) -> None:
        from screens.diagnostics import REPORT_SCREEN
        self._shown = REPORT_SCREEN
        self.manager.current = REPORT_SCREEN
        self.screens[REPORT_SCREEN].refresh_report()
        for listener in list(self.shown_listeners):
            listener(REPORT_SCREEN)

    def show_enrolment(self) -> None:
        """From the report: enrol this kiosk with central's one-time code."""
        from screens.diagnostics_enrol import ENROL_SCREEN
        self._shown = ENROL_SCREEN
        self.screens[ENROL_SCREEN].reset()
        self.manager.current = ENROL_SCREEN
        for listener in list(self.shown_listeners):
            listener(ENROL_SCREEN)

    def close_diagnostics(self) -> None:
        self._diagnostics = False
        self._refresh()
