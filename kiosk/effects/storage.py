"""The kiosk's own files as a state: checked before each resident, a fault shown calmly, healed
by itself.

A read-only, full or corrupt ``var/`` used to crash the kiosk at start (every restart, a crash
loop under systemd) or fail a resident at the very end. Now the outbox, the journal and the
daily counts are opened through ``OnDemand`` stores: a store that cannot open raises
``StorageUnavailable`` when used, and ``StorageWatch`` looks at the folder every few seconds
(at once after a failed write), opens what it can once the folder is writable again, writes
the journal outcomes kept in memory meanwhile, and tells the journey the fault's code
(``storage_read_only``, ``storage_full``, ``storage_corrupt``, ``storage_unwritable``) or None.
The journey takes the kiosk out of service at the next rest, and back when it clears.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from drivers.printer.orphan_temps import remove_orphan_temps
from kiosk.errors import KioskError, StorageUnavailable
from kiosk.periodic import PeriodicThread

log = logging.getLogger("kiosk.storage")

READ_ONLY, FULL, CORRUPT, UNWRITABLE = (
    "storage_read_only", "storage_full", "storage_corrupt", "storage_unwritable")
CODES = frozenset({READ_ONLY, FULL, CORRUPT, UNWRITABLE})
# Codes a store's own errors carry when the disk refused a write.
WRITE_FAILURES = frozenset({"outbox_write_failed", "journal_write_failed", "outbox_open_failed",
                            "journal_open_failed", "statistics_write_failed"})
PROBE_BYTES = 4096

T = TypeVar("T")


def code_of(exc: BaseException) -> str:
    """The storage code an error means (the errno of a failed write or open, or SQLite's)."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno is not None:
            if exc.errno == errno.EROFS:
                return READ_ONLY
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                return FULL
            return UNWRITABLE
        if isinstance(exc, sqlite3.DatabaseError):
            text = str(exc).lower()
            if "readonly" in text or "read-only" in text:
                return READ_ONLY
            if "full" in text:
                return FULL
            if "malformed" in text or "not a database" in text:
                return CORRUPT
            return UNWRITABLE
        if isinstance(exc, StorageUnavailable):
            return exc.code
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return UNWRITABLE


# What the kiosk writes whole under a temporary name in its data folder (the kiosk key, the
# fleet's settings, the credentials): a kill mid-write leaves the temporary file for good.
_TEMPORARY_NAMES = (r"\.kiosk\.key\.\d+", r"\.fleet_settings\.json", r"kiosk-signing\.pem",
                    r"central\.json")


def remove_temporaries(directory: Path) -> int:
    """Temporary files a kill left in the data folder (and its credentials folder)."""
    return sum(remove_orphan_temps(folder, name) for folder in (directory,
               directory / "credentials") for name in _TEMPORARY_NAMES)


def glance(directory: Path, min_free_bytes: int) -> str | None:
    """Read-only or short of room, from the file system's own figures: no write, no fsync,
    so it may run on the UI thread as a resident begins (the probe below runs on the watch)."""
    try:
        stat = os.statvfs(directory)
    except OSError as exc:
        return code_of(exc)
    if stat.f_flag & os.ST_RDONLY:
        return READ_ONLY
    if stat.f_bavail * stat.f_frsize < min_free_bytes:
        return FULL
    return None


def probe(directory: Path, min_free_bytes: int) -> str | None:
    """Can the kiosk write here now? A small file written, flushed to disk and removed, and
    room left for a journey; None when it can, else the code."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        seen = glance(directory, min_free_bytes)
        if seen is not None:
            return seen
        path = directory / f".probe-{os.getpid()}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"\0" * PROBE_BYTES)
            os.fsync(fd)
        finally:
            os.close(fd)
            path.unlink(missing_ok=True)
    except OSError as exc:
        return code_of(exc)
    return None


class OnDemand(Generic[T]):
    """A store opened when the disk allows: every attribute is the open store's; until it
    is open, using it raises ``StorageUnavailable``. A store error that says the disk
    refused a write is passed on to ``on_write_failure`` (the watch looks at once)."""

    def __init__(self, name: str, opener: Callable[[], T],
                 on_write_failure: Callable[[], None] = lambda: None) -> None:
        self._name, self._opener = name, opener
        self._on_write_failure = on_write_failure
        self._store: T | None = None
        self._fault: str | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> T | None:
        return self._store

    def open(self) -> str | None:
        """Open the store if it is not yet; None when it is open, else the fault's code."""
        with self._lock:
            if self._store is not None:
                return None
            try:
                self._store = self._opener()
            except (KioskError, OSError, sqlite3.Error) as exc:
                self._fault = code_of(exc)
                log.error("%s not opened code=%s", self._name, self._fault)
                return self._fault
            self._fault = None
            log.info("%s opened", self._name)
            return None

    def close(self) -> None:
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> Any:
        store = self._store
        if store is None:
            raise StorageUnavailable(f"{self._name} is not open", code=self._fault or UNWRITABLE)
        attr = getattr(store, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            except KioskError as exc:
                if exc.code in WRITE_FAILURES:
                    self._on_write_failure()
                raise
        return call


class StorageWatch(PeriodicThread):
    """Looks at the data folder and opens the stores; tells ``on_change`` the fault's code
    (or None) whenever it changes. ``check()`` runs one look on the caller's thread."""

    THREAD_NAME = "storage-watch"

    def __init__(self, directory: Path, stores: list[OnDemand[Any]], min_free_bytes: int,
                 on_change: Callable[[str | None], None], interval_s: float,
                 after_heal: Callable[[], None] = lambda: None) -> None:
        self._directory, self._stores = directory, stores
        self.min_free_bytes, self._on_change = min_free_bytes, on_change
        self._after_heal = after_heal
        self._lock = threading.Lock()
        self.fault: str | None = None
        self._swept = False  # temporary files left by a kill, removed at the first good look
        super().__init__(self.THREAD_NAME, self.check, interval=lambda: interval_s)

    def check(self) -> str | None:
        with self._lock:
            fault = probe(self._directory, self.min_free_bytes)
            if fault is None and not self._swept:
                self._swept = remove_temporaries(self._directory) >= 0
            if fault is None:
                for store in self._stores:
                    fault = store.open() or fault
            changed, was = fault != self.fault, self.fault
            self.fault = fault
        if changed:
            log.log(logging.ERROR if fault else logging.INFO, "storage code=%s (was %s)",
                    fault, was)
            if fault is None:
                self._after_heal()
            self._on_change(fault)
        return fault

    def glance(self) -> str | None:
        """As a resident begins, on the UI thread: the last look's fault, else the file
        system's figures now; a fault seen has the watch look properly at once."""
        seen = self.fault or glance(self._directory, self.min_free_bytes)
        if seen is not None and self.fault is None:
            self.wake()
        return seen

    def write_failed(self) -> None:
        """A store's write just failed: look now rather than at the next interval."""
        self.wake()
