"""Receipt and card printers: "simulated" for both kinds, "escpos" (serial, USB or
network ESC/POS receipt printers) and "cups" (card printers through CUPS/IPP), each
importing its library only inside its own module."""

from drivers.base import register
from drivers.printer import cups, escpos
from drivers.printer.simulated import SimulatedCardPrinter, SimulatedReceiptPrinter

register("receipt_printer", "simulated", SimulatedReceiptPrinter)
register("receipt_printer", "escpos", escpos.EscposReceiptPrinter, escpos.is_usable)
register("card_printer", "simulated", SimulatedCardPrinter)
register("card_printer", "cups", cups.CupsCardPrinter)

__all__ = ["SimulatedCardPrinter", "SimulatedReceiptPrinter"]
