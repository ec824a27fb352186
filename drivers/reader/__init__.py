"""Identity-document readers: "simulated" (personas, no chip), "virtual_chip" (the personas
as ICAO chips, read in-process), "pcsc" (real chips on any PC/SC reader), "idcard" (the
resident ID card through the certified reader module on a serial or USB-CDC port) and
"virtual_idcard" (the personas' ID cards in a virtual module on a pty, read by "idcard") and
"combined" (several of them as one: the ID-card module beside a passport reader).
Registering them imports only their options models."""

from __future__ import annotations

from typing import Any

from drivers.base import Device, register
from drivers.reader.options import (
    CombinedReaderOptions,
    IdCardReaderOptions,
    PcscReaderOptions,
    SimulatedReaderOptions,
    VirtualChipReaderOptions,
    VirtualIdCardReaderOptions,
)


def _virtual_chip_reader(**options: Any) -> Device:
    from drivers.reader.vchip.reader import VirtualChipReader
    return VirtualChipReader(**options)


def _pcsc_reader(name: str, reader: str = "", trust_store: str | None = None,
                 **options: Any) -> Device:
    """A ChipReader on the PC/SC reader whose name contains ``reader``."""
    from drivers.reader.chip import ChipReader
    from drivers.reader.pcsc import PcscSlot
    return ChipReader(name, PcscSlot(reader), trust_store=trust_store, **options)


def _pcsc_usable() -> tuple[bool, str]:
    from drivers.reader.pcsc import is_usable
    return is_usable()


register("reader", "simulated", "drivers.reader.simulated:SimulatedReader",
         options=SimulatedReaderOptions)
register("reader", "virtual_chip", _virtual_chip_reader, options=VirtualChipReaderOptions)
register("reader", "pcsc", _pcsc_reader, _pcsc_usable, options=PcscReaderOptions)
register("reader", "idcard", "drivers.reader.idcard.reader:IdCardReader",
         "drivers.reader.idcard.reader:is_usable", options=IdCardReaderOptions)
register("reader", "combined", "drivers.reader.combined:combined_reader",
         options=CombinedReaderOptions)
register("reader", "virtual_idcard", "drivers.reader.idcard.virtual:VirtualIdCardReader",
         "drivers.reader.idcard.virtual:socat_usable", options=VirtualIdCardReaderOptions)

__all__ = ["SimulatedReader"]


def __getattr__(name: str) -> Any:
    if name == "SimulatedReader":
        from drivers.reader.simulated import SimulatedReader
        return SimulatedReader
    raise AttributeError(name)
