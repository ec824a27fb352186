"""A typical Chinese receipt to an ESC/POS printer as text and as a raster picture.

The printer is the tests' fake on a socat pty pair, driven by EscposReceiptPrinter
exactly as a real serial printer would be. A pty carries bytes as fast as the two
processes move them, whatever baud rate is set, so beside the measured time this
reports the time the same bytes take on a real 8N1 line (10 bits a byte): that
line time is what decides between the modes.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from drivers.printer.escpos import EscposReceiptPrinter
from tests.printers.escpos_reader import decode
from tests.printers.fake_printer import FakeEscposPrinter, SocatPair
from tests.printers.samples import chinese_receipt

BAUD_RATES = (19200, 115200)
MODES = ("text", "raster")
BITS_PER_BYTE = 10  # start bit, 8 data bits, stop bit


def bench_receipt_modes(paper_mm: int = 80) -> dict[str, Any]:
    """Bytes, encoding time, pty send time and line time per mode and baud rate."""
    receipt = chinese_receipt()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, SocatPair(Path(tmp) / "socat.log") as pair:
        fake = FakeEscposPrinter(pair.printer).start()
        try:
            for baud in BAUD_RATES:
                for mode in MODES:
                    runs.append(_one(receipt, mode, baud, paper_mm, pair.host, fake, tmp))
        finally:
            fake.stop()
    by = {(r["mode"], r["baud"]): r for r in runs}
    ratio = by[("raster", 19200)]["bytes"] / by[("text", 19200)]["bytes"]
    return {"paper_mm": paper_mm, "runs": runs, "raster_to_text_bytes": round(ratio, 1),
            "default": "text",
            "why": f"raster is {ratio:.0f}x the bytes: "
                   f"{by[('raster', 19200)]['line_s']:.1f} s on a 19200 baud line "
                   f"against {by[('text', 19200)]['line_s']:.2f} s as text"}


def _one(receipt, mode: str, baud: int, paper_mm: int, port: str, fake: FakeEscposPrinter,
         tmp: str) -> dict[str, Any]:
    printer = EscposReceiptPrinter("bench", job_index_dir=tmp, port=port, baudrate=baud,
                                   paper_mm=paper_mm, mode=mode, status_timeout_s=0.5)
    try:
        printer.encode_receipt(receipt)  # warm: imports, fonts
        started = time.perf_counter()
        job = printer.encode_receipt(receipt)
        encode_s = time.perf_counter() - started
        with fake.lock:
            fake.received.clear()
        started = time.perf_counter()
        printer.print_receipt(receipt, job_key=f"bench-{mode}-{baud}-{time.time_ns()}")
        print_s = time.perf_counter() - started
        fake.wait_idle()
        with fake.lock:
            received = bytes(fake.received)
        if decode(received).cuts != 1:
            raise RuntimeError(f"{mode} at {baud}: the fake printer did not get one whole receipt")
    finally:
        printer.close()
    return {"mode": mode, "baud": baud, "bytes": len(job), "bytes_on_wire": len(received),
            "encode_s": round(encode_s, 4), "print_over_pty_s": round(print_s, 4),
            "line_s": round(len(job) * BITS_PER_BYTE / baud, 3)}


if __name__ == "__main__":
    import json
    print(json.dumps(bench_receipt_modes(), indent=2))
