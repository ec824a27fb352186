"""Where the demo's processes write: every log line to a file under <output>/logs/, and on the
console only the progress lines a person reads.

The kiosk process's logs come from the kiosk's own loggers, Kivy's logger, the libraries it
uses, and lines that SDL, GL or a native library write straight to the file descriptors 1
and 2. Kivy is told to leave logging to Python (``KIVY_LOG_MODE=PYTHON``, no log file of its
own), and both descriptors are pointed at the log file, so each of these lands there. No
personal data is logged anywhere in the kiosk; urllib3's DEBUG lines, which carry raw
request paths, are left out all the same.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
QUIETER = {"urllib3": logging.INFO, "PIL": logging.INFO, "selenium": logging.INFO}


def logs_dir(output: Path) -> Path:
    path = output / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def kivy_logs_to_python() -> None:
    """Before Kivy is first imported: Kivy's logger propagates to Python's root logger, and
    Kivy neither adds a console handler, nor writes a log file in the home directory, nor
    captures sys.stderr."""
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")


def log_to(handler: logging.Handler, level: int = logging.DEBUG) -> None:
    """Every logger's records go to this handler only."""
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quieter in QUIETER.items():
        logging.getLogger(name).setLevel(quieter)


def process_output_to(log_path: Path) -> TextIO:
    """From now on everything this process writes goes to the end of ``log_path``: Python
    logging, print(), and what native code writes to stdout or stderr. Returns a stream on
    the console it had, for the progress lines."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    console = open(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, sys.stdout.fileno())
        os.dup2(fd, sys.stderr.fileno())
    finally:
        os.close(fd)
    log_to(logging.StreamHandler(sys.stderr))
    return console
