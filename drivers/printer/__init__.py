"""Receipt and card printers. Registers "simulated" for both kinds; "escpos" and
"cups" drivers come later, each importing its library only inside its own module."""

from drivers.base import register
from drivers.printer.simulated import SimulatedCardPrinter, SimulatedReceiptPrinter

register("receipt_printer", "simulated", SimulatedReceiptPrinter)
register("card_printer", "simulated", SimulatedCardPrinter)

__all__ = ["SimulatedCardPrinter", "SimulatedReceiptPrinter"]
