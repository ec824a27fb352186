"""Puts submissions into an outbox in a tight loop, printing each key once its commit returned.

Run by test_outbox_kill9.py, which kills this process with SIGKILL at some moment.
Usage: outbox_writer.py DB KEYFILE COUNT DISTRICT COMMUNITY
"""

from __future__ import annotations

import sys
from pathlib import Path

from kiosk.effects.outbox import Outbox, load_or_create_kiosk_key
from tests.kiosk_io import residents


def main(db: str, keyfile: str, count: str, district: str, community: str) -> None:
    outbox = Outbox(Path(db), load_or_create_kiosk_key(Path(keyfile)))
    for _ in range(int(count)):
        sub = residents.submission(district, community, kiosk_id="kill9-kiosk")
        outbox.put(sub)
        sys.stdout.write(sub.idempotency_key + "\n")
        sys.stdout.flush()
    outbox.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
