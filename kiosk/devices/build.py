"""Build the kiosk's devices from config through the driver registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drivers import base as registry
from drivers.camera.base import Camera
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


def _options(cfg: DeviceConfig) -> dict[str, Any]:
    """Relative output paths are relative to the project, like the rest of the config."""
    options = dict(cfg.options)
    for key in ("output_dir", "documents_file", "job_index_dir", "trust_store"):
        if key in options and not Path(options[key]).is_absolute():
            options[key] = str(ROOT / options[key])
    return options


def build_device(kind: str, cfg: DeviceConfig) -> Any:
    """One device from its config section, opened."""
    device = registry.create(kind, cfg.driver, **_options(cfg))
    device.open()
    return device


def build_devices(config: KioskConfig) -> Devices:
    d = config.devices
    make = build_device

    return Devices(reader=make("reader", d.reader), camera=make("camera", d.camera),
                   receipt_printer=make("receipt_printer", d.receipt_printer),
                   card_printer=make("card_printer", d.card_printer),
                   scanner=make("scanner", d.scanner))
