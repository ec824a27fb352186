"""Receipt and card printers: "simulated" for both kinds, "escpos" (serial, USB or
network ESC/POS receipt printers) and "cups" (card printers through CUPS/IPP), each
importing its library only inside its own module; registering them imports only their
options models."""

from typing import Any

from drivers.base import register
from drivers.printer.options import (
    CupsOptions,
    EscposOptions,
    SimulatedCardPrinterOptions,
    SimulatedReceiptPrinterOptions,
)

register("receipt_printer", "simulated", "drivers.printer.simulated:SimulatedReceiptPrinter",
         options=SimulatedReceiptPrinterOptions)
register("receipt_printer", "escpos", "drivers.printer.escpos:EscposReceiptPrinter",
         "drivers.printer.escpos:is_usable", options=EscposOptions)
register("card_printer", "simulated", "drivers.printer.simulated:SimulatedCardPrinter",
         options=SimulatedCardPrinterOptions)
register("card_printer", "cups", "drivers.printer.cups:CupsCardPrinter", options=CupsOptions)

__all__ = ["SimulatedCardPrinter", "SimulatedReceiptPrinter"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from drivers.printer import simulated
        return getattr(simulated, name)
    raise AttributeError(name)
