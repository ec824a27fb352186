"""What every device driver shares: health, typed errors, scripted faults, the registry.

``drivers/`` never imports ``kiosk/`` or ``screens/``: it knows devices, not journeys.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from drivers.options import DriverOptions, NoOptions

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


class DeviceUnavailable(DeviceOffline):
    """The device could not be built (its driver cannot run here, its port is not there);
    it is tried again by itself."""

    code = "device_unavailable"


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
    """A registered driver: how to build it, whether it can run here, what options it takes.

    ``factory`` and ``is_usable`` may be "package.module:attribute" strings, imported only
    when the driver is built: listing a kind's drivers and checking their options imports
    no driver module and no hardware library.
    """

    kind: str
    name: str
    factory: Callable[..., Device] | str
    is_usable: Callable[[], tuple[bool, str]] | str
    options: type[DriverOptions]

    def check(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """The options given, validated and converted; raises pydantic's ValidationError,
        whose errors name the key."""
        return self.options.model_validate(dict(options)).model_dump(exclude_unset=True)

    def usable(self) -> tuple[bool, str]:
        return _resolve(self.is_usable)()

    def build(self, **options: Any) -> Device:
        return _resolve(self.factory)(name=self.name, **options)


class UnknownDriver(KeyError):
    """Config named a driver that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown driver"


_REGISTRY: dict[tuple[str, str], DriverEntry] = {}


def always_usable() -> tuple[bool, str]:
    return True, "built in"


def register(kind: str, name: str, factory: Callable[..., Device] | str,
             is_usable: Callable[[], tuple[bool, str]] | str = always_usable, *,
             options: type[DriverOptions] = NoOptions) -> None:
    """Register a driver of ``kind`` under ``name`` with the options model it takes."""
    _REGISTRY[(kind, name)] = DriverEntry(kind, name, factory, is_usable, options)


def available(kind: str) -> list[str]:
    """The names of the drivers registered for ``kind``."""
    _load_builtin_drivers()
    return sorted(name for (k, name) in _REGISTRY if k == kind)


def driver(kind: str, name: str) -> DriverEntry:
    """The registered driver, without building it; UnknownDriver names the known ones."""
    _load_builtin_drivers()
    entry = _REGISTRY.get((kind, name))
    if entry is None:
        raise UnknownDriver(f"no {kind} driver named {name!r}; known: "
                            f"{', '.join(available(kind)) or 'none'}")
    return entry


def create(kind: str, name: str, **options: Any) -> Device:
    """Build the driver config asked for; say in the log why it was chosen or not."""
    entry = driver(kind, name)
    checked = entry.check(options)
    usable, why = entry.usable()
    for other in available(kind):
        if other != name:
            log.info("%s driver %r not chosen (config asks for %r)", kind, other, name)
    if not usable:
        raise DeviceOffline(f"{kind} driver {name!r} cannot run here: {why}", code="driver_unusable")
    log.info("%s driver %r chosen: %s", kind, name, why)
    return entry.build(**checked)


def _resolve(target: Any) -> Any:
    """A callable, or the attribute a "package.module:attribute" string names."""
    if not isinstance(target, str):
        return target
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


def _load_builtin_drivers() -> None:
    # Importing the packages registers their drivers; they import only options models.
    from drivers import camera, printer, reader, scanner  # noqa: F401
