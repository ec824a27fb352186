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
        if value is not None and not Path(value).is_absolute():
            options[key] = str(ROOT / value)
    return options


def build_device(kind: str, cfg: DeviceConfig) -> Any:
    """One device from its config section, opened."""
    device = registry.create(kind, cfg.driver, **_options(kind, cfg))
    device.open()
    return device


def build_devices(config: KioskConfig) -> Devices:
    d = config.devices
    make = build_device

    return Devices(reader=make("reader", d.reader), camera=make("camera", d.camera),
                   receipt_printer=make("receipt_printer", d.receipt_printer),
                   card_printer=make("card_printer", d.card_printer),
                   scanner=make("scanner", d.scanner))
