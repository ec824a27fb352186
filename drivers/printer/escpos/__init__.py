"""ESC/POS thermal receipt printers, through python-escpos, over serial, USB or TCP 9100.

Text or raster. A receipt goes to the printer either as text in the printer's own
Chinese font (``mode="text"``: FS & selects Chinese mode, text is GB18030, the QR
code is the printer's own GS ( k symbol) or as one picture of ``render_receipt``
(``mode="raster"``: GS v 0 bands, the QR code inside the picture). Measured for a
typical Chinese receipt of 15 lines (benchmarks/receipt_escpos.py; 8N1 line, 10 bits
a byte):

                 bytes    19200 baud   115200 baud
    80 mm text   0.74 kB     0.39 s       0.06 s
    80 mm raster  74 kB     38.6 s        6.4 s
    58 mm text   0.75 kB     0.39 s       0.06 s
    58 mm raster  52 kB     26.9 s        4.5 s

The default is **text**: a raster receipt is 70 to 100 times the bytes, and at
the 19200 baud most serial printers ship with, a resident would wait half a minute
for it (six seconds even at 115200), while the printer prints the text one in
about a second. Encoding either takes under 0.1 s. Text mode needs a
printer with a Chinese (GB18030/GBK) font in ROM, as printers sold in China have;
choose ``mode="raster"`` (and raise the printer's baud rate, or use USB or the
network) for a printer without one. A line with a character outside the
double-byte part of GB18030 (rare characters in an address) has no glyph in such
fonts, so text mode sends just that line as a small raster strip. Text mode lays
out in the printer's 12 x 24 / 24 x 24 dot cells (48 or 32 half-width columns on
80 or 58 mm): titles double width and height (double height only if that would
wrap), headings bold and double height, body and small lines at the one size
printers have for Chinese.

Status. Before a receipt the driver asks DLE EOT 1-4 (printer, offline cause,
error cause, paper roll sensor) itself, over its own connection: python-escpos's
``paper_status()`` says "adequate" when the printer does not answer. A printer that
does not answer within ``status_timeout_s`` is UNKNOWN ("printer_silent"), never
fine. Health codes: printer_silent, printer_garbled (answers that are no status
byte: a wrong baud rate), device_offline (port or host unreachable),
printer_offline, cover_open, paper_out, paper_low, printer_jam (autocutter error),
printer_fault, printer_recovering. Status queries go only between whole commands,
never inside another one. After the receipt's body it sends GS r 1: unlike DLE EOT,
that command waits its turn behind the body, so its answer means all of it was
printed. While waiting it asks DLE EOT 2 every 0.2 s, so a roll that runs out, or
a cover that opens, part way through fails the job at once (OutOfPaper, not
recorded as printed). A printer that never answers GS r but whose status stays
fine is taken to have printed once the receipt's printing time has passed.
The feed and cut go out only after GS r says the body is on paper, and are
confirmed by a second GS r: a receipt cut off part way holds no cut. Paper that
runs out during that feed leaves the whole content printed: the receipt counts.
A jam or an open cover there fails the call (the resident may not get the paper)
but the receipt is recorded as printed, so it is never printed twice; the printer
holds only the feed and cut, which finish the receipt when it goes on.

The rest of a receipt cut off part way. A stopped printer (paper out, cover open,
cutter jam) keeps the unprinted rest in its receive buffer and prints it as soon
as it can go on, e.g. when a technician loads paper: a headless half receipt in
the tray, carrying a masked ID number, an address and a tracking QR code, and that
part twice if the receipt is printed again. ESC @ cannot remove it: it is an
ordinary command, carried out in turn after the rest has printed, and clears only
the print buffer, never the receive buffer. DLE ENQ 2 clears both, but only when
recovering from a recoverable error (a cutter jam), not after a paper end. Epson's
real-time DLE DC4 fn=8 (10 14 08 01 03 14 01 06 02 08; Citizen's printers have
it too) is acted on at once in any state, empties both buffers and answers
37 25 00. ``clear_buffer`` chooses:

- "dle_dc4" (default): DLE DC4 fn=8, believed only when its answer comes; a
  printer that does not answer is treated as "void". Its cost when unsupported is
  one wait of ``status_timeout_s`` on a path that is failing anyway.
- "void", for printers without that command (or where DLE DC4 means something
  else): nothing is cleared, and a note "作废 VOID" and a cut are queued behind
  the rest. When the printer goes on, the rest comes out with the note under its
  last line, on the same piece of paper, cut off from what follows.

The note goes under the rest, not over a reprint: the rest prints when paper is
loaded whether or not anyone reprints (the resident has been shown the receipt's
QR code on screen), so a separator tied to a reprint would leave a half receipt
unmarked in the tray. Staff find a half receipt that says it is void and asks to
be handed in (it carries a resident's data), and the next receipt starts on its
own piece. The same note and cut follow a cleared receipt whose printed part is
still on the roll (cover opened, cutter jam, kiosk restarted mid-receipt), so
that part is not glued to the top of the next resident's receipt; after a paper
end it is on the spent roll's loose end and nothing is added to the new roll.

When a rest is settled: when a job fails between its first byte and the body's
GS r answer, and when a connection is opened while the driver's own marker
(``receipt_in_flight`` in ``job_index_dir``, flushed to disk before a receipt's
first byte, removed once its body is confirmed on paper or its rest settled) says
a receipt was cut off: a kiosk killed or powered off mid-receipt and restarted,
whose journal closes that receipt as interrupted. The printer's status cannot say this
(no DLE EOT answer tells whether data waits in the buffer; n=2 bit 5 says printing stopped at a paper
end), so the driver never clears blindly on open, which would also cut short a
receipt another process (``kiosk printer test``) is printing; the marker costs
one small file write per receipt.

DLE EOT is a real-time command: a printer acts on it wherever the three bytes
appear, even inside picture data. Raster data is therefore "defused": a dot byte
0x10 followed by 0x04, 0x05 or 0x14 (DLE EOT, DLE ENQ, DLE DC4, the last two can
clear the buffer or power the printer off) loses that single dot. Text has every
control character removed before it is sent, so no receipt text can smuggle in a
command.

Idempotency is the simulator's: ``JobIndex`` in ``job_index_dir``, a key printed
before returns its first PrintResult and nothing is sent. Nothing printed is kept
on disk (receipts carry personal data).

The package: ``status`` (DLE EOT answers), ``links`` (serial, network and USB
connections), ``encoding`` (text and raster receipts, the void note), ``marker`` (the
in-flight marker file) and ``printer`` (the driver).
"""

from drivers.printer.escpos.encoding import clean_text, defuse
from drivers.printer.escpos.marker import InFlightMarker
from drivers.printer.escpos.printer import CLEAR_BUFFER_CHOICES, EscposReceiptPrinter, is_usable
from drivers.printer.escpos.status import PrinterStatus, health_of, is_status_byte

__all__ = ["CLEAR_BUFFER_CHOICES", "EscposReceiptPrinter", "InFlightMarker", "PrinterStatus",
           "clean_text", "defuse", "health_of", "is_status_byte", "is_usable"]
