"""Prints one receipt through EscposReceiptPrinter; a test kills this process part way.

Run by test_escpos.py, which pauses its fake printer at a chosen byte and then sends
SIGKILL, the way a power cut or a crash stops a kiosk: no clean-up code runs.
Usage: receipt_writer.py PORT JOB_INDEX_DIR CLEAR_BUFFER
"""

from __future__ import annotations

import sys

from drivers.printer.escpos import EscposReceiptPrinter
from tests.printers.samples import chinese_receipt


def main(port: str, job_index_dir: str, clear_buffer: str) -> None:
    printer = EscposReceiptPrinter("receipt", job_index_dir=job_index_dir, port=port,
                                   status_timeout_s=0.3, clear_buffer=clear_buffer)
    printer.print_receipt(chinese_receipt(), job_key="killed-mid-receipt")


if __name__ == "__main__":
    main(*sys.argv[1:])
