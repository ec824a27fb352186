"""Temporary files a kill mid-write left behind, removed at the next start.

The drivers write a file whole under ``<name>.<random>.tmp`` (``tempfile.mkstemp``) and
rename it into place; a process killed in between leaves the temporary file for good.
Only names of that exact shape are removed, and only when untouched for a minute, so a
writer still at work in another process keeps its file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from pathlib import Path

log = logging.getLogger("drivers.printer")

MIN_AGE_S = 60.0
_RANDOM = r"[a-z0-9_]{6,16}"  # mkstemp's random part: 8 of [a-z0-9_]


def temp_pattern(target: str) -> re.Pattern[str]:
    """The temporary names made for a file whose name matches the regex ``target``."""
    return re.compile(rf"(?:{target})\.{_RANDOM}\.tmp")


def remove_orphan_temps(directory: Path, target: str, *, min_age_s: float = MIN_AGE_S,
                        now: float | None = None) -> int:
    """Remove ``<target>.<random>.tmp`` files in ``directory`` (not below it) older than
    ``min_age_s``; returns how many went. A missing folder has none."""
    pattern = temp_pattern(target)
    now = time.time() if now is None else now
    removed = 0
    try:
        entries = list(os.scandir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return 0
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:  # its writer finished meanwhile
            continue
        if not entry.is_file(follow_symlinks=False) or now - info.st_mtime < min_age_s:
            continue
        with contextlib.suppress(FileNotFoundError):
            os.unlink(entry.path)
            removed += 1
    if removed:
        log.info("removed %d temporary file(s) left by an interrupted write in %s",
                 removed, directory)
    return removed
