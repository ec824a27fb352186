"""The ID-card read at 115200 baud: total time against the line time of the bytes exchanged.

A read is find + select + read (30 01) through the real ``idcard`` driver and pyserial,
against the virtual module on a socat pty that paces its answers at the baud rate. The
line time is what the bytes on the wire take at 10 bits a byte (requests and answers);
the module's share is the time it spent answering (its own pacing included); the rest is
the kiosk's own: the driver, pyserial, the pty and parsing the card text. The pty does not
pace the kiosk's requests (30 bytes a read, 2.6 ms at 115200), so a read can come in just
under the line time. Figures only.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from drivers.reader.idcard.virtual import VirtualIdCardReader, socat_usable  # noqa: E402


def bench_idcard_read(reads: int = 20, baud: int = 115200) -> dict:
    usable, why = socat_usable()
    if not usable:
        return {"skipped": why}
    reader = VirtualIdCardReader("bench", baud=baud, photo_decoder=None)
    totals, lines, module, kiosk = [], [], [], []
    try:
        reader.plug()
        reader.connect()
        for _ in range(reads):
            reader.lift()
            reader.place("eligible")
            reader.trace.clear()
            busy_before = reader.module.busy_s
            started = time.perf_counter()
            reader.read()
            total = time.perf_counter() - started
            entries = reader.trace.entries()
            wire_bytes = sum(e.bytes_sent + e.bytes_received for e in entries)
            line = wire_bytes * 10 / baud
            in_module = reader.module.busy_s - busy_before
            totals.append(total)
            lines.append(line)
            module.append(in_module)
            kiosk.append(max(0.0, total - in_module))
    finally:
        reader.close()
    median_total = statistics.median(totals)
    return {
        "baud": baud, "reads": reads, "commands_per_read": 3,
        "read_s_median": round(median_total, 4), "read_s_max": round(max(totals), 4),
        "line_time_s": round(statistics.median(lines), 4),
        "module_s_median": round(statistics.median(module), 4),
        "kiosk_own_s_median": round(statistics.median(kiosk), 4),
        "kiosk_share": round(statistics.median(kiosk) / median_total, 3),
        "over_line_time": round(median_total / statistics.median(lines), 2),
    }


if __name__ == "__main__":
    import json
    print(json.dumps({"idcard_read": bench_idcard_read(),
                      "idcard_read_9600": bench_idcard_read(5, 9600)}, indent=2))
