"""The central server's own settings file (TOML): the fleet's thresholds and the alerts.

    [fleet]
    offline_after_s = 75
    [alerts]
    interval_s = 30
    webhook_url = "https://ops.example/hooks/onetrip"
    smtp_host = "mail.example"
    mail_to = ["hall-managers@example"]
    [dashboard]
    idle_s = 1800

Unknown keys and out-of-range values are errors that name the file and the key. Options on
the command line override single keys (``--alert-webhook``, ``--offline-after-s`` ...).
"""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from central.dashboard.accounts import SessionLimits
from central.fleet.alerts import AlertConfig
from central.fleet.states import Thresholds

# command-line option -> (section, key)
OVERRIDES = {"offline_after_s": ("fleet", "offline_after_s"),
             "alerts_interval_s": ("alerts", "interval_s"),
             "alert_offline_after_s": ("alerts", "offline_after_s"),
             "alert_repeat_s": ("alerts", "repeat_after_s"),
             "alert_webhook": ("alerts", "webhook_url"), "smtp_host": ("alerts", "smtp_host"),
             "smtp_port": ("alerts", "smtp_port"), "mail_from": ("alerts", "mail_from"),
             "mail_to": ("alerts", "mail_to"), "kiosk_auth": ("kiosks", "auth"),
             "fleet_key": ("kiosks", "key_path"), "kiosk_key_cache_s": ("kiosks", "key_cache_s")}


class ConfigError(ValueError):
    """The settings file cannot be used; the message names the file and the key."""


class KioskAccess(BaseModel):
    """[kiosks]: how kiosks prove who they are (central/kiosk_auth.py, central/signing.py)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    auth: Literal["required", "open"] = Field(
        "required", description="'open' lets unsigned requests through: development only.")
    key_cache_s: float = Field(
        2.0, ge=0, description="Kiosks' keys are held in memory and refreshed this often: a "
                               "revocation made elsewhere takes effect within this long "
                               "(0: the database is asked on every request).")
    key_path: Path | None = Field(
        None, description="central's Ed25519 key (made if absent); default beside the "
                          "SQLite file, or central-fleet.key for a database server")


class IdentityCheck(BaseModel):
    """[identity]: 人证合一 against the population registry (POST /v1/identity/face-check)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    threshold: float = Field(0.6, gt=0, description="Face-template distance below which two "
                                                    "faces are one person (dlib's 0.6).")
    unsure_band: float = Field(0.06, ge=0, description="Within this of the threshold the "
                                                       "verdict is 'unsure' (staff review).")
    max_jpeg_bytes: int = Field(512 * 1024, gt=0, le=4 * 1024 * 1024,
                                description="The largest live JPEG read.")
    max_pixels: int = Field(4_000_000, gt=0, description="The largest live image decoded "
                                                         "(width x height).")
    checks_per_minute: int = Field(30, gt=0, description="Face checks one kiosk may ask "
                                                         "for in a minute; more are refused.")


class CentralConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    fleet: Thresholds = Field(default_factory=Thresholds)
    alerts: AlertConfig = Field(default_factory=AlertConfig)
    dashboard: SessionLimits = Field(default_factory=SessionLimits)
    kiosks: KioskAccess = Field(default_factory=KioskAccess)
    identity: IdentityCheck = Field(default_factory=IdentityCheck)


def load_config(path: Path | None, args: argparse.Namespace | None = None) -> CentralConfig:
    """The file (defaults without one), then the command line's overrides."""
    data: dict = {}
    where = str(path) if path else "the command line"
    if path is not None:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: {exc}") from None
    for option, (section, key) in OVERRIDES.items():
        value = getattr(args, option, None) if args is not None else None
        if value is not None:
            data.setdefault(section, {})[key] = value
    try:
        return CentralConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"[{'.'.join(str(p) for p in e['loc'][:1])}] "
                             f"{'.'.join(str(p) for p in e['loc'][1:])}: {e['msg']}"
                             for e in exc.errors())
        raise ConfigError(f"{where}: {problems}") from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options that override the file."""
    g = p.add_argument_group("fleet and alerts (override --config)")
    g.add_argument("--config", type=Path, default=None, metavar="PATH",
                   help="central settings file (TOML, [fleet] and [alerts])")
    g.add_argument("--offline-after-s", type=float, metavar="SECONDS",
                   help="a kiosk without heartbeat this long is Offline (default 90)")
    g.add_argument("--alerts-interval-s", type=float, metavar="SECONDS",
                   help="how often alerts are evaluated (default 30)")
    g.add_argument("--alert-offline-after-s", type=float, metavar="SECONDS",
                   help="a kiosk silent this long raises an alert (default 300)")
    g.add_argument("--alert-repeat-s", type=float, metavar="SECONDS",
                   help="tell the same kiosk, kind and device at most once in this long "
                        "(default 3600)")
    g.add_argument("--alert-webhook", metavar="URL", help="POST every alert notice here as JSON")
    g.add_argument("--smtp-host", metavar="HOST", help="send alert e-mail through this server")
    g.add_argument("--smtp-port", type=int, metavar="PORT", help="SMTP port (default 25)")
    g.add_argument("--mail-from", metavar="ADDRESS", help="alert e-mail sender")
    g.add_argument("--mail-to", action="append", metavar="ADDRESS",
                   help="alert e-mail recipient (repeatable)")
    k = p.add_argument_group("kiosk credentials (override --config [kiosks])")
    k.add_argument("--kiosk-auth", choices=["required", "open"],
                   help="'required' (default): kiosks must sign every request; 'open': "
                        "unsigned requests pass too, for development only")
    k.add_argument("--kiosk-key-cache-s", type=float, metavar="SECONDS",
                   help="refresh the kiosks' keys held in memory this often (default 2; 0: "
                        "ask the database on every request)")
    k.add_argument("--fleet-key", type=Path, metavar="PATH",
                   help="central's Ed25519 signing key, made if absent (default: beside the "
                        "SQLite database)")
