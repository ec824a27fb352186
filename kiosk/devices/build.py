"""Build the kiosk's devices from config through the driver registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers import base as registry
from drivers.camera.base import Camera
from drivers.options import project_paths
from drivers.printer.base import CardPrinter, ReceiptPrinter
from drivers.reader.base import DocumentReader
from drivers.scanner.base import BarcodeScanner
from kiosk.config import ROOT, DeviceConfig, KioskConfig
from kiosk.devices.unavailable import unavailable

log = logging.getLogger("kiosk.devices")


@dataclass
class Devices:
    reader: DocumentReader
    camera: Camera
    receipt_printer: ReceiptPrinter
    card_printer: CardPrinter
    scanner: BarcodeScanner | None = None

    def all(self) -> dict[str, Any]:
        named = {"reader": self.reader, "camera": self.camera,
                 "receipt_printer": self.receipt_printer, "card_printer": self.card_printer}
        if self.scanner is not None:
            named["scanner"] = self.scanner
        return named

    def close(self) -> None:
        for device in self.all().values():
            try:
                device.close()
            except Exception:  # closing must never stop the others from closing
                log.exception("closing %s failed", device.kind)


def _options(kind: str, cfg: DeviceConfig) -> dict[str, Any]:
    """The options as checked at load; a relative path is relative to the project, like the
    rest of the config (the fields the driver's options model marks as paths)."""
    model = registry.driver(kind, cfg.driver).options
    checked = model.model_validate(cfg.options)
    options = checked.model_dump(exclude_unset=True)
    for key in project_paths(model):
        value = getattr(checked, key)
        if value is not None:
            options[key] = value if Path(value).is_absolute() else str(ROOT / value)
    return options


def build_device(kind: str, cfg: DeviceConfig) -> Any:
    """One device from its config section, opened; raises what the driver raised."""
    device = registry.create(kind, cfg.driver, **_options(kind, cfg))
    try:
        device.open()
    except BaseException:
        try:
            device.close()
        except Exception:  # it failed on the way in; its close may fail too
            log.debug("closing %s after a failed open failed", kind, exc_info=True)
        raise
    return device


def build_or_unavailable(kind: str, cfg: DeviceConfig, retry_s: float) -> Any:
    """The device, or, when it cannot be built now, an unavailable device of its kind that
    says why and builds it again by itself once it can (kiosk.devices.unavailable)."""
    try:
        return build_device(kind, cfg)
    except Exception as exc:
        return unavailable(kind, cfg.driver, exc, lambda: build_device(kind, cfg), retry_s)


def build_devices(config: KioskConfig) -> Devices:
    """Every device; one that cannot be built is unavailable (out of service), never a
    crash at start."""
    d = config.devices

    def make(kind: str, cfg: DeviceConfig) -> Any:
        return build_or_unavailable(kind, cfg, d.retry_unavailable_s)

    return Devices(reader=make("reader", d.reader), camera=make("camera", d.camera),
                   receipt_printer=make("receipt_printer", d.receipt_printer),
                   card_printer=make("card_printer", d.card_printer),
                   scanner=make("scanner", d.scanner))
