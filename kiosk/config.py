"""Typed, layered kiosk configuration.

Defaults live in these models (one docstring per field); files are layered on
top: the packaged ``config/default.toml`` < the site file < the kiosk's own file
< what the fleet pushes. Every error names the file, the section and the key,
so a technician can fix it without reading code.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from drivers import base as registry
from kiosk.errors import KioskError
from protocol.wire import KIOSK_ID_PATTERN, Service

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "config" / "default.toml"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class CentralConfig(Section):
    url: str = Field("http://127.0.0.1:8700", description="Base URL of the central API.")
    timeout_s: float = Field(5.0, gt=0, le=60, description="Per-request timeout.")
    retries: int = Field(3, ge=0, le=10, description="Retries of idempotent calls.")
    sync_interval_s: float = Field(10.0, gt=0, description="How often the outbox is drained.")
    heartbeat_s: float = Field(30.0, gt=0, description="How often the kiosk reports its health.")


class JourneyConfig(Section):
    services: list[Service] = Field(
        [Service.NEW, Service.RENEWAL, Service.STATUS], min_length=1,
        description="Services offered on the menu, in this order.")
    idle_warning_s: float = Field(60, gt=0, description="Idle time before the countdown shows.")
    idle_reset_s: float = Field(90, gt=0, description="Idle time before the session is wiped.")
    receipt_return_s: float = Field(30, gt=0, description="Receipt screen returns to attract after.")
    recovery_window_s: float = Field(
        300, ge=0, le=3600, description="After a restart, an application cut off this "
        "recently gets a receipt printed (and its QR code on the attract screen): the "
        "resident may still be standing there. 0: never.")
    read_resumes: int = Field(
        3, ge=0, le=10, description="Times a document lifted mid-read may be put back to "
        "continue the read; after that the resident is sent to staff.")
    languages: list[Literal["zh_CN", "en"]] = Field(["zh_CN", "en"], min_length=1)

    @field_validator("idle_reset_s")
    @classmethod
    def _reset_after_warning(cls, value: float, info: Any) -> float:
        warning = info.data.get("idle_warning_s")
        if warning is not None and value <= warning:
            raise ValueError("must be longer than idle_warning_s")
        return value


class DisplayConfig(Section):
    orientation: Literal["portrait", "landscape"] = Field(
        "portrait", description="portrait is 1080x1920, landscape 1920x1080.")
    fullscreen: bool = Field(False, description="True on a real kiosk.")
    window_scale: float = Field(
        1.0, gt=0.1, le=1.0, description="Shrinks the window on a developer's screen.")


class DiagnosticsConfig(Section):
    pin: str = Field("246810", pattern=r"^\d{4,8}$", description="Technician PIN, 4-8 digits.")
    max_attempts: int = Field(5, ge=1, le=20, description="Wrong PINs before a lockout.")
    lockout_s: float = Field(300, gt=0, description="Lockout after too many wrong PINs.")


class StorageConfig(Section):
    data_dir: str = Field("var", description="Outbox, journal and key; relative to the project.")
    keep_days: float = Field(30, gt=0, le=365, description=(
        "Sent outbox entries and finished journal entries (no personal data) are kept this "
        "long for support questions, then deleted."))

    statistics_keep_days: int = Field(
        35, ge=2, le=400, description="Journey counts per day (no personal data) are kept "
        "this many days on the kiosk, then deleted; the heartbeat sends today and yesterday.")
    min_free_mb: float = Field(
        16, ge=0, description="Below this much free space the kiosk takes no new resident: "
        "a journey needs room for its outbox entry, journal and photo.")
    check_s: float = Field(
        10, gt=0, description="How often the storage is checked while it is healthy; a write "
        "that fails has it checked at once.")

    def path(self) -> Path:
        p = Path(self.data_dir)
        return p if p.is_absolute() else ROOT / p


class MetricsConfig(Section):
    """The kiosk's own Prometheus endpoint, GET /metrics: counts and device states only."""

    enabled: bool = Field(False, description="Serve /metrics while the kiosk runs.")
    bind: str = Field("127.0.0.1", min_length=1, description=(
        "Address to listen on; 127.0.0.1 keeps it on the kiosk, 0.0.0.0 lets the hall's "
        "Prometheus scrape it over the network."))
    port: int = Field(9464, ge=0, le=65535, description="TCP port; 0 picks a free one (tests).")


class DeviceConfig(Section):
    """One device: which registered driver, and the options that driver declares.

    The options are checked against the driver's own options model (``drivers/<kind>/
    options.py``) when the config loads, so an unknown driver, an unknown option or a
    wrong value is an error naming the file, the section and the key, never a crash
    when the kiosk starts. Checking imports no hardware library.
    """

    kind: ClassVar[str] = ""
    driver: str = Field("simulated", description="Registered driver name; an unknown one is "
                        "refused with the names of the known ones.")
    options: dict[str, Any] = Field({}, description="The driver's options, as its options "
                                    "model declares them; passed to its constructor.")

    @field_validator("driver")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if cls.kind and value not in registry.available(cls.kind):
            raise PydanticCustomError(
                "unknown_driver", "no {kind} driver named {name}; known: {known}",
                {"kind": cls.kind, "name": repr(value),
                 "known": ", ".join(registry.available(cls.kind))})
        return value

    @field_validator("options")
    @classmethod
    def _driver_options(cls, value: dict[str, Any], info: Any) -> dict[str, Any]:
        """Checked by the driver's options model; its errors name the key inside options."""
        driver = info.data.get("driver")
        if not cls.kind or driver is None:  # an unknown driver was reported already
            return value
        return registry.driver(cls.kind, driver).check(value)


class ReaderConfig(DeviceConfig):
    kind = "reader"


class CameraConfig(DeviceConfig):
    kind = "camera"


class ReceiptPrinterConfig(DeviceConfig):
    kind = "receipt_printer"


class CardPrinterConfig(DeviceConfig):
    kind = "card_printer"


class ScannerConfig(DeviceConfig):
    kind = "scanner"


class DevicesConfig(Section):
    health_interval_s: float = Field(10.0, gt=0, le=3600,
                                     description="How often every device is asked how it is.")
    supply_window_h: float = Field(
        6.0, gt=0, le=168, description="Paper, card and ribbon use over this many recent hours "
        "sets the pace behind 'time to empty'.")
    retry_unavailable_s: float = Field(
        30.0, ge=0, le=3600, description="A device that could not be built at start (a port "
        "not there, a printer unplugged, a driver that cannot run here) is out of service as "
        "'device_unavailable' and is built again, at most this often, when the device "
        "monitor asks how it is; once built, it serves as if it had been there all along.")
    reader: ReaderConfig = ReaderConfig()
    camera: CameraConfig = CameraConfig()
    receipt_printer: ReceiptPrinterConfig = ReceiptPrinterConfig(
        options={"output_dir": "var/printed"})
    card_printer: CardPrinterConfig = CardPrinterConfig(options={"output_dir": "var/printed"})
    scanner: ScannerConfig = ScannerConfig()


class PhotoConfig(Section):
    """The ID photo: the live checks and their guidance, the crop, the face comparison.

    Shares (0..1) are of the frame's or crop's height unless said otherwise; brightness
    is luma 0 (black) .. 1 (white). Checks run on unmirrored camera frames.
    """

    min_face_confidence: float = Field(
        0.5, ge=0.1, le=0.99, description="Face detector score below which nothing is a face.")
    bystander_ratio: float = Field(
        0.35, gt=0, le=1, description="Faces smaller than this share of the largest face's "
        "height are people far behind and are not counted as a second person.")
    min_head_height: float = Field(
        0.30, gt=0, lt=1, description="Chin-to-crown as a share of the frame height, at "
        "least; smaller asks the resident to come closer.")
    max_head_height: float = Field(
        0.80, gt=0, le=1, description="Chin-to-crown as a share of the frame height, at "
        "most; larger asks the resident to step back.")
    min_crop_inside: float = Field(
        0.97, ge=0.5, le=1, description="Share of the permit crop (at the largest allowed "
        "head) that must lie inside the frame; a face cut by the edge fails.")
    max_offset: float = Field(
        0.15, gt=0, le=0.5, description="How far the head's centre may stray from where "
        "the crop puts it, as a share of the frame's width (across) or height (up-down).")
    max_yaw_deg: float = Field(8.0, gt=0, le=45, description="Head turned left or right, degrees.")
    max_pitch_deg: float = Field(10.0, gt=0, le=45, description="Chin up or down, degrees.")
    max_roll_deg: float = Field(8.0, gt=0, le=45, description="Head tilted sideways, degrees.")
    min_eye_openness: float = Field(
        0.12, ge=0, le=1, description="Eyelid gap over eye width, the less open eye; below "
        "this the eyes count as closed (open eyes measure 0.2-0.35).")
    max_mouth_openness: float = Field(
        0.10, ge=0, le=1, description="Inner-lip gap over mouth width; above this the mouth "
        "counts as open (a closed mouth measures under 0.05, a smile showing teeth 0.15-0.25).")
    min_forehead_visible: float = Field(
        0.45, ge=0, le=1, description="Share of the band above the eyebrows that must look "
        "like the face's own skin: a hat or headband pulled down, or hair over the brows, "
        "lowers it.")
    min_sharpness: float = Field(
        0.25, ge=0, description="Variance of the Laplacian over the variance of the face, "
        "at the face's size in the permit photo; blur and movement lower it (sharp "
        "portraits measure 1-3, a 1.5-pixel blur about 0.1).")
    min_brightness: float = Field(
        0.40, ge=0, le=1, description="Brightness of the face's highlights (90th percentile), "
        "at least: measured on highlights so that dark skin in good light passes.")
    max_brightness: float = Field(
        0.97, ge=0, le=1, description="Brightness of the face's middle (median), at most.")
    min_contrast: float = Field(
        0.12, ge=0, le=1, description="Spread of the face's brightness (5th to 95th percentile), "
        "at least; a washed-out or murky face is below it.")
    min_light_balance: float = Field(
        0.60, ge=0, le=1, description="Median brightness of the darker half of the face over "
        "the brighter half (left against right); side light lowers it.")
    min_background_brightness: float = Field(
        0.55, ge=0, le=1, description="Median brightness around the head, at least.")
    max_background_texture: float = Field(
        0.08, ge=0, le=1, description="Brightness spread (standard deviation) around the "
        "head, at most: a plain backdrop measures under 0.03.")
    guidance_frames: int = Field(
        4, ge=1, le=60, description="Frames in a row a new instruction must win before it "
        "replaces the one on screen (or guidance_s, whichever comes first).")
    guidance_s: float = Field(
        0.6, gt=0, le=10, description="Seconds a new instruction must keep winning before it "
        "replaces the one on screen.")
    capture_hold_s: float = Field(
        0.8, ge=0, le=10, description="Every check must pass this long, without a break, "
        "before the photo is taken.")
    auto_capture: bool = Field(
        True, description="Take the photo by itself once every check has passed for "
        "capture_hold_s; the button works either way.")
    speak: bool = Field(True, description="Say each new instruction aloud (espeak-ng).")
    max_shots: int = Field(
        3, ge=1, le=6, description="Pictures a resident may take in one visit (the first and "
        "the retakes); they choose which one is submitted.")
    coach_interval_s: float = Field(
        0.12, ge=0.03, le=2, description="How often the live picture is analysed.")
    crop_width: int = Field(358, ge=100, le=4000, description="Permit photo width, pixels.")
    crop_height: int = Field(441, ge=100, le=4000, description="Permit photo height, pixels.")
    head_height: float = Field(
        0.75, gt=0.3, lt=1, description="Chin-to-crown as a share of the photo's height.")
    head_height_min: float = Field(
        0.70, gt=0.3, lt=1, description="Smallest chin-to-crown share the permit accepts.")
    head_height_max: float = Field(
        0.80, gt=0.3, lt=1, description="Largest chin-to-crown share the permit accepts.")
    eye_line: float = Field(
        0.45, ge=0.25, le=0.7, description="Eye line's distance from the photo's top edge, as "
        "a share of its height (the crown lands at eye_line - head_height / 2).")
    background_colour: str = Field(
        "#FFFFFF", pattern=r"^#[0-9A-Fa-f]{6}$", description="Permit photo background; also "
        "fills any sliver of the crop outside the camera's frame.")
    background: Literal["check", "replace"] = Field(
        "check", description="check: the booth's own plain backdrop is kept and checked; "
        "replace: the person is cut out and put on background_colour.")
    jpeg_quality: int = Field(92, ge=30, le=100, description="JPEG quality tried first.")
    min_jpeg_quality: int = Field(
        50, ge=10, le=100, description="Lowest JPEG quality allowed while shrinking to max_bytes.")
    max_bytes: int = Field(
        60000, ge=5000, le=10_000_000, description="Largest permit photo file, bytes; the "
        "quality is lowered step by step until it fits.")
    match_threshold: float = Field(
        0.6, gt=0, le=2, description="Face descriptor distance separating the same person "
        "from another (dlib ResNet: 0.6).")
    unsure_band: float = Field(
        0.06, ge=0, le=0.5, description="Distances within this of match_threshold are "
        "'unsure' and go to staff review; the kiosk never accuses anyone.")
    liveness: bool = Field(
        False, description="Ask for a short random challenge (blink, turn the head a little) "
        "before the picture, so a photo or a video held up to the camera does not pass; "
        "not met after liveness_attempts tries, the face check becomes 'unsure' and staff "
        "review the application (kiosk/photo/liveness.py).")
    liveness_steps: int = Field(
        2, ge=1, le=4, description="Actions asked per attempt, drawn at random.")
    liveness_step_s: float = Field(
        6.0, ge=1, le=30, description="Seconds the resident has for each action.")
    liveness_attempts: int = Field(
        3, ge=1, le=10, description="Attempts before the application goes to staff review.")
    liveness_turn_deg: float = Field(
        10.0, ge=3, le=40, description="Head turn, degrees from looking ahead, that counts "
        "as turning when asked.")
    liveness_blink_ratio: float = Field(
        0.55, gt=0, lt=1, description="Eye openness below this share of the resident's own "
        "open eyes counts as shut (a blink).")
    liveness_min_parallax: float = Field(
        0.04, ge=0, le=1, description="Depth a turn must show: what a flat-picture "
        "(homography) fit of the face mesh leaves, over the eye distance (drawn faces: "
        "0.09-0.13 turning, under 0.04 held still; 0 switches this check off).")
    liveness_interval_s: float = Field(
        0.05, ge=0.02, le=1, description="How often the live picture is analysed while an "
        "action is asked (a blink lasts a third of a second).")

    @field_validator("max_head_height")
    @classmethod
    def _head_range(cls, value: float, info: Any) -> float:
        low = info.data.get("min_head_height")
        if low is not None and value <= low:
            raise ValueError("must be larger than min_head_height")
        return value

    @field_validator("max_brightness")
    @classmethod
    def _brightness_range(cls, value: float, info: Any) -> float:
        low = info.data.get("min_brightness")
        if low is not None and value <= low:
            raise ValueError("must be larger than min_brightness")
        return value

    @field_validator("head_height_min", "head_height_max")
    @classmethod
    def _around_head_height(cls, value: float, info: Any) -> float:
        target = info.data.get("head_height")
        if target is not None and info.field_name == "head_height_min" and value > target:
            raise ValueError("must not be larger than head_height")
        if target is not None and info.field_name == "head_height_max" and value < target:
            raise ValueError("must not be smaller than head_height")
        return value

    @field_validator("min_jpeg_quality")
    @classmethod
    def _quality_range(cls, value: int, info: Any) -> int:
        top = info.data.get("jpeg_quality")
        if top is not None and value > top:
            raise ValueError("must not be larger than jpeg_quality")
        return value

    def background_rgb(self) -> tuple[int, int, int]:
        h = self.background_colour.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class KioskConfig(Section):
    kiosk_id: str = Field("kiosk", pattern=KIOSK_ID_PATTERN,
                          description="Unique per kiosk in the fleet: letters, digits, dots, "
                                      "dashes or underscores, up to 64.")
    city: str = Field("zhuzhou", description="City policy the central system applies.")
    hall_name_zh: str = ""
    hall_name_en: str = ""
    notice_zh: str = Field("", description="Notice shown on the attract screen (fleet-settable).")
    notice_en: str = ""
    central: CentralConfig = CentralConfig()
    journey: JourneyConfig = JourneyConfig()
    display: DisplayConfig = DisplayConfig()
    diagnostics: DiagnosticsConfig = DiagnosticsConfig()
    storage: StorageConfig = StorageConfig()
    devices: DevicesConfig = DevicesConfig()
    photo: PhotoConfig = PhotoConfig()
    metrics: MetricsConfig = MetricsConfig()


class ConfigError(KioskError):
    """A configuration problem, with every error located by file, section and key."""

    code = "config_error"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except OSError as e:
        raise ConfigError([f"{path.name}: cannot read: {e.strerror}"]) from e
    except tomllib.TOMLDecodeError as e:
        raise ConfigError([f"{path.name}: not valid TOML: {e}"]) from e


def _merge(base: dict[str, Any], top: dict[str, Any], origin: dict[str, str],
           source: str, prefix: str = "") -> None:
    """Deep-merge ``top`` into ``base``, remembering which source set each key.

    A device's ``options`` table is replaced whole, never merged; and a layer that
    names another driver for a device drops the options lower layers gave the old one
    (the packaged simulator's output_dir means nothing to an ESC/POS printer).
    """
    if (prefix.startswith("devices.") and "driver" in top and "options" not in top
            and top["driver"] != base.get("driver") and base.get("options")):
        base["options"] = {}
        origin[f"{prefix}options"] = source
    for key, value in top.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key != "options":
            _merge(base[key], value, origin, source, dotted + ".")
        else:
            base[key] = value
            origin[dotted] = source


def _describe(error: dict[str, Any], origin: dict[str, str]) -> str:
    loc = [str(p) for p in error["loc"]]
    section, key = (".".join(loc[:-1]) or "top level"), loc[-1] if loc else "?"
    dotted = ".".join(loc)
    source = next((origin[k] for k in (dotted, *_parents(dotted)) if k in origin), "defaults")
    if error["type"] == "extra_forbidden":
        return f"{source}: option '{key}' is not valid in section '{section}'"
    return f"{source}: section '{section}', key '{key}': {error['msg']}"


def _by_key(errors: list[Any], given: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors located by the keys given: the member names pydantic adds to a location
    when no member of a union fits ("frames.str", "frames.list[str]") are dropped, and
    the members' messages joined, so a technician reads one line for one key."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for error in errors:
        loc: list[Any] = []
        here: Any = given
        for part in error["loc"]:
            if isinstance(here, dict) and part in here:
                here = here[part]
            elif isinstance(here, (list, tuple)) and isinstance(part, int) \
                    and 0 <= part < len(here):
                here = here[part]
            elif not isinstance(here, (dict, list, tuple)) or _union_member(part):
                continue
            else:
                here = None  # a key not given (missing, or its default was refused)
            loc.append(part)
        key = tuple(loc)
        if key in merged:
            merged[key]["msg"] += f"; {error['msg']}"
        else:
            merged[key] = {**error, "loc": key}
    return list(merged.values())


def _union_member(part: Any) -> bool:
    return isinstance(part, str) and ("[" in part or part in ("str", "int", "float", "bool"))


def _parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[:i]) for i in range(len(parts) - 1, 0, -1)]


def load_config(*paths: Path, overrides: dict[str, Any] | None = None,
                include_defaults: bool = True) -> KioskConfig:
    """Load the layers in order; later ones win. Raises ConfigError naming file/section/key."""
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    layers = [DEFAULT_FILE, *paths] if include_defaults else list(paths)
    for path in layers:
        _merge(merged, _read_toml(Path(path)), origin, Path(path).name)
    if overrides:
        _merge(merged, overrides, origin, "fleet settings")
    try:
        return KioskConfig.model_validate(merged)
    except ValidationError as e:
        problems = [_describe(err, origin) for err in _by_key(e.errors(), merged)]
        raise ConfigError(list(dict.fromkeys(problems))) from e


def check_file(path: Path) -> list[str]:
    """Problems in one file on its own (for ``kiosk config check``); empty when valid."""
    try:
        load_config(Path(path))
    except ConfigError as e:
        return e.problems
    return []


def load_or_explain(*paths: Path) -> tuple[KioskConfig | None, str | None]:
    """The config, or None and the technician's line: a kiosk whose config is wrong still
    starts, on an out-of-service screen, never a traceback."""
    try:
        return load_config(*paths), None
    except ConfigError as exc:
        logging.getLogger("kiosk.config").error("configuration error: %s", exc)
        return None, str(exc)
