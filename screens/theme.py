"""Every size, colour and font of the touch UI, in one place.

Sizes are designed for a 1080-pixel short side (a 1080x1920 portrait or 1920x1080
landscape kiosk screen) and scaled with the real window, so a developer's half-size
window looks the same, only smaller. ``T.configure(width, height)`` runs once,
before any .kv file is loaded; .kv files read ``T`` through ``#:import T screens.theme.T``.
"""

from __future__ import annotations

from dataclasses import dataclass

Colour = tuple[float, float, float, float]


def _rgb(hex_colour: str, alpha: float = 1.0) -> Colour:
    h = hex_colour.lstrip("#")
    return (int(h[0:2], 16) / 255, int(h[2:4], 16) / 255, int(h[4:6], 16) / 255, alpha)


LANDSCAPE_DESIGN_HEIGHT = 1700.0


@dataclass
class Theme:
    # --- colours: a calm government look, one primary action colour ---------------------
    header_bg: Colour = _rgb("#0B3A75")  # deep blue band with the hall name
    header_text: Colour = _rgb("#FFFFFF")
    header_muted: Colour = _rgb("#BFD0E8")
    page_bg: Colour = _rgb("#FFFFFF")
    panel_bg: Colour = _rgb("#F1F4F8")
    panel_line: Colour = _rgb("#C9D3E0")
    text: Colour = _rgb("#14181F")
    muted: Colour = _rgb("#5B6573")  # the other language, hints
    primary: Colour = _rgb("#0A5BC4")  # the one action colour
    primary_pressed: Colour = _rgb("#07438F")
    primary_text: Colour = _rgb("#FFFFFF")
    secondary_bg: Colour = _rgb("#FFFFFF")
    secondary_text: Colour = _rgb("#0A5BC4")
    selected_bg: Colour = _rgb("#DCE9FB")
    quiet_bg: Colour = _rgb("#E9EDF2")  # cancel / back
    quiet_text: Colour = _rgb("#2B3440")
    error: Colour = _rgb("#B3261E")
    good: Colour = _rgb("#1E7B34")
    warn: Colour = _rgb("#9A5B00")
    overlay: Colour = (0.02, 0.08, 0.18, 0.72)
    reader_body: Colour = _rgb("#3B4350")
    card_face: Colour = _rgb("#9CC3F0")

    # --- fonts ------------------------------------------------------------------------
    font_name: str = "KioskFont"  # registered at start (screens.app.register_fonts)
    mono_font: str = "RobotoMono-Regular"

    # --- sizes at scale 1.0 (1080 px short side) -------------------------------------
    scale: float = 1.0
    width: int = 1080
    height: int = 1920

    def configure(self, width: int, height: int) -> None:
        """Scale everything to a window of this size."""
        self.width, self.height = int(width), int(height)
        # Layouts are designed for a 1080 x 1920 portrait panel. A landscape panel has only
        # 1080 rows for the same stack of widgets, so it scales by its height instead.
        self.scale = min(self.width / 1080.0, self.height / LANDSCAPE_DESIGN_HEIGHT) \
            if self.width > self.height else min(self.width, self.height) / 1080.0

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    def px(self, value: float) -> float:
        """A design-pixel length (at 1080 short side) in window pixels."""
        return value * self.scale

    # Font sizes
    @property
    def title(self) -> float:
        return self.px(70)

    @property
    def subtitle(self) -> float:  # the other language under a title: ~60 %
        return self.px(42)

    @property
    def body(self) -> float:
        return self.px(42)

    @property
    def body_sub(self) -> float:
        return self.px(30)

    @property
    def big(self) -> float:
        return self.px(96)

    @property
    def button_font(self) -> float:
        return self.px(48)

    @property
    def button_sub(self) -> float:
        return self.px(30)

    @property
    def header_font(self) -> float:
        return self.px(36)

    @property
    def header_sub(self) -> float:
        return self.px(24)

    @property
    def small(self) -> float:
        return self.px(28)

    # Lengths
    @property
    def header_h(self) -> float:
        return self.px(130)

    @property
    def button_h(self) -> float:
        return self.px(150)

    @property
    def big_button_h(self) -> float:
        return self.px(200)

    @property
    def key_h(self) -> float:
        return self.px(120)

    @property
    def bar_h(self) -> float:
        return self.px(190)

    @property
    def pad(self) -> float:
        return self.px(48)

    @property
    def gap(self) -> float:
        return self.px(24)

    @property
    def radius(self) -> float:
        return self.px(18)

    @property
    def corner(self) -> float:
        """The hidden technician corner (150x150 design px, top left of attract)."""
        return self.px(150)


T = Theme()
