"""A whole kiosk on a data folder of its own filesystem, which the test makes read-only or full.

Run by test_storage_faults.py inside a user and mount namespace of its own (``unshare -rm``),
so it may mount a small tmpfs and remount it without touching the machine's mounts:
``storage_kiosk.py CENTRAL_URL MOUNT_DIR [ro]``. It answers one line per command on stdin:
``state`` (the step and the problem's code), ``ro`` / ``rw`` (remount), ``fill`` / ``free``
(take or give back the space), ``begin`` (a resident touches the attract screen), ``cancel`` (they leave),
``reconciled``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kiosk.config import load_config
from kiosk.headless import HeadlessKiosk


def config(central_url: str, root: Path):
    return load_config(overrides={
        "kiosk_id": "storage-kiosk",
        "central": {"url": central_url, "timeout_s": 2.0, "retries": 0, "sync_interval_s": 3600},
        "storage": {"data_dir": str(root / "data"), "min_free_mb": 0.25, "check_s": 0.3},
        "photo": {"speak": False},
        "devices": {
            "health_interval_s": 0.5,
            "reader": {"driver": "virtual_chip", "options": {}},
            "camera": {"driver": "simulated", "options": {"fps": 5}},
            "receipt_printer": {"driver": "simulated", "options": {"output_dir": "/tmp/printed"}},
            "card_printer": {"driver": "simulated", "options": {"output_dir": "/tmp/printed"}},
            "scanner": {"driver": "simulated"},
        },
    })


def mount(root: Path, *options: str) -> None:
    subprocess.run(["mount", *options, root], check=True)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(central_url: str, mount_dir: str, *flags: str) -> None:
    root = Path(mount_dir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(root)], check=True)
    (root / "data").mkdir()
    if "ro" in flags:
        mount(root, "-o", "remount,ro")
    with HeadlessKiosk(config(central_url, root)) as k:
        say("started")
        for line in sys.stdin:
            command = line.strip()
            if command == "state":
                k.settle(0.05)
                problem = k.journey.session.problem
                say(f"{k.journey.state.value} {problem.code if problem else '-'}")
            elif command in ("ro", "rw"):
                mount(root, "-o", f"remount,{command}")
                say("ok")
            elif command == "fill":
                subprocess.run(["dd", "if=/dev/zero", f"of={root}/fill", "bs=16k"],
                               stderr=subprocess.DEVNULL)
                say("ok")
            elif command == "free":
                (root / "fill").unlink()
                say("ok")
            elif command == "begin":
                k.journey.welcome.begin()
                say(k.journey.state.value)
            elif command == "cancel":
                k.journey.cancel()
                say(k.journey.state.value)
            elif command == "reconciled":
                reached = k.wait_for(lambda: k.runtime.last_reconciliation is not None, 10)
                say("ok" if reached else "timeout")
            else:
                say("unknown")


if __name__ == "__main__":
    main(*sys.argv[1:])
