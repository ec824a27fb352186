"""What every device driver shares: health, typed errors, scripted faults, the registry.

``drivers/`` never imports ``kiosk/`` or ``screens/``: it knows devices, not journeys.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Callable

log = logging.getLogger("drivers")


class HealthState(str, Enum):
    OK = "ok"
    WARNING = "warning"  # works, but needs attention soon (paper near end)
    ERROR = "error"  # cannot do its job (paper out, jam)
    OFFLINE = "offline"  # not connected / not answering
    UNKNOWN = "unknown"  # never asked, or the device gave no answer we can trust


@dataclass(frozen=True)
class DeviceHealth:
    """What diagnostics and the heartbeat show for one device."""

    state: HealthState
    code: str = ""  # stable code for technicians, e.g. "paper_out"
    detail: str = ""  # the device's own words, never personal data
    checked_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def usable(self) -> bool:
        return self.state in (HealthState.OK, HealthState.WARNING)


class DeviceError(Exception):
    """A device failed. ``code`` is stable for technicians and for the translated message."""

    code = "device_error"

    def __init__(self, detail: str = "", *, code: str | None = None) -> None:
        super().__init__(detail or self.code)
        if code:
            self.code = code
        self.detail = detail


class DeviceOffline(DeviceError):
    code = "device_offline"


class FaultScript:
    """Scripted faults for simulators (and self-tests): name -> remaining count or parameter.

    ``trigger("paper_out")`` consumes one occurrence and returns True while any are left;
    a value of -1 means "always". Thread-safe, because device calls run on worker threads.
    """

    def __init__(self, faults: dict[str, Any] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, Any] = dict(faults or {})

    def set(self, name: str, value: Any = 1) -> None:
        with self._lock:
            self._faults[name] = value

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            if name is None:
                self._faults.clear()
            else:
                self._faults.pop(name, None)

    def value(self, name: str, default: Any = None) -> Any:
        with self._lock:
            return self._faults.get(name, default)

    def trigger(self, name: str) -> bool:
        with self._lock:
            left = self._faults.get(name)
            if left is None or left is False or left == 0:
                return False
            if isinstance(left, bool) or left == -1:
                return True
            if isinstance(left, int):
                self._faults[name] = left - 1
            return True


class Device(ABC):
    """The fewest methods every device has."""

    kind: str = "device"

    def __init__(self, name: str) -> None:
        self.name = name

    def open(self) -> None:
        """Connect to the device. Simulators and lazy drivers may do nothing."""

    def close(self) -> None:
        """Release the device; must be safe to call twice."""

    @abstractmethod
    def health(self) -> DeviceHealth:
        """Ask the device how it is. Must not raise; a silent device is UNKNOWN or OFFLINE."""


@dataclass(frozen=True)
class DriverEntry:
    kind: str
    name: str
    factory: Callable[..., Device]
    is_usable: Callable[[], tuple[bool, str]]


class UnknownDriver(KeyError):
    """Config named a driver that is not registered."""


_REGISTRY: dict[tuple[str, str], DriverEntry] = {}


def always_usable() -> tuple[bool, str]:
    return True, "built in"


def register(kind: str, name: str, factory: Callable[..., Device],
             is_usable: Callable[[], tuple[bool, str]] = always_usable) -> None:
    _REGISTRY[(kind, name)] = DriverEntry(kind, name, factory, is_usable)


def available(kind: str) -> list[str]:
    return sorted(name for (k, name) in _REGISTRY if k == kind)


def create(kind: str, name: str, **options: Any) -> Device:
    """Build the driver config asked for; say in the log why it was chosen or not."""
    _load_builtin_drivers()
    entry = _REGISTRY.get((kind, name))
    if entry is None:
        raise UnknownDriver(f"no {kind} driver named {name!r}; known: {', '.join(available(kind))}")
    usable, why = entry.is_usable()
    for other in available(kind):
        if other != name:
            log.info("%s driver %r not chosen (config asks for %r)", kind, other, name)
    if not usable:
        raise DeviceOffline(f"{kind} driver {name!r} cannot run here: {why}", code="driver_unusable")
    log.info("%s driver %r chosen: %s", kind, name, why)
    return entry.factory(name=name, **options)


def _load_builtin_drivers() -> None:
    # Importing the packages registers their drivers; hardware libraries stay inside them.
    from drivers import camera, printer, reader, scanner  # noqa: F401
