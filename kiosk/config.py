"""Typed, layered kiosk configuration.

Defaults live in these models (one docstring per field); files are layered on
top: the packaged ``config/default.toml`` < the site file < the kiosk's own file
< what the fleet pushes. Every error names the file, the section and the key,
so a technician can fix it without reading code.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from central.wire import Service
from kiosk.errors import KioskError

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

    def path(self) -> Path:
        p = Path(self.data_dir)
        return p if p.is_absolute() else ROOT / p


class DeviceConfig(Section):
    driver: str = Field("simulated", description="Registered driver name.")
    options: dict[str, Any] = Field({}, description="Passed to the driver's constructor.")


class DevicesConfig(Section):
    health_interval_s: float = Field(10.0, gt=0, le=3600,
                                     description="How often every device is asked how it is.")
    supply_window_h: float = Field(
        6.0, gt=0, le=168, description="Paper, card and ribbon use over this many recent hours "
        "sets the pace behind 'time to empty'.")
    reader: DeviceConfig = DeviceConfig()
    camera: DeviceConfig = DeviceConfig()
    receipt_printer: DeviceConfig = DeviceConfig()
    card_printer: DeviceConfig = DeviceConfig()
    scanner: DeviceConfig = DeviceConfig()


class KioskConfig(Section):
    kiosk_id: str = Field("kiosk", min_length=1, description="Unique per kiosk in the fleet.")
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
    """Deep-merge ``top`` into ``base``, remembering which source set each key."""
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
        raise ConfigError([_describe(err, origin) for err in e.errors()]) from e


def check_file(path: Path) -> list[str]:
    """Problems in one file on its own (for ``kiosk config check``); empty when valid."""
    try:
        load_config(Path(path))
    except ConfigError as e:
        return e.problems
    return []
