"""A device that could not be built is an unavailable device, not a crash at start.

When a driver cannot be built (its library is missing here, its serial port is not
there, its constructor or ``open()`` raised), ``build_devices`` puts a stand-in of the
same kind in its place. Its ``health()`` is OFFLINE with the stable code
``device_unavailable`` and the driver's own words; its other methods raise
:class:`DeviceUnavailable` (a DeviceOffline). The kiosk's out-of-service path then
shows it as it shows any device that went away: the monitor polls ``health()``, a
kiosk without a reader goes out of service with ``reader_offline``, a resident is told
the card printer's fault before choosing to print.

It recovers by itself. Asked for its health (on the device monitor's thread), it builds
the real device again from its config, at most every ``retry_s`` seconds; once that
works it replays on the new device what the kiosk asked of the stand-in (a reader's or
scanner's ``start(listener)`` and ``arm()``, a camera's ``start()``) and from then on
hands every call to it, so no other module knows the device was ever missing.

Threads: the monitor builds; the journey's thread and worker threads call in. ``_lock``
guards the real device and what is to be replayed: a call records its wish and reads
the real device under it, the hand-over replays and publishes under it, so a wish is
either replayed or delivered, never lost or doubled. Building happens outside it (it
may take seconds), one thread at a time; a device built after ``close()`` is closed
again, never published. Calls into the real device are made outside the lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from drivers.base import Device, DeviceError, DeviceHealth, DeviceUnavailable, HealthState
from drivers.camera.base import Camera, Frame
from drivers.printer.base import (
    CardDocument,
    CardPrinter,
    JobState,
    Level,
    PrintResult,
    ReceiptDocument,
    ReceiptPrinter,
    Supplies,
    Supply,
)
from drivers.reader.base import AccessKey, DocumentReader, IdentityDocument, ProgressCallback
from drivers.scanner.base import BarcodeScanner

log = logging.getLogger("kiosk.devices")

Build = Callable[[], Device]
D = TypeVar("D", bound=Device)  # the kind's interface the stand-in fills in for
L = TypeVar("L", DocumentReader, BarcodeScanner)  # the kinds that listen and are armed


def cause(error: BaseException) -> tuple[str, str]:
    """A failure's code and the driver's own words, on one line (no personal data: a
    driver that is being built has seen none)."""
    if isinstance(error, DeviceError):
        code, words = error.code, error.detail or error.code
    else:
        code, words = type(error).__name__, f"{type(error).__name__}: {error}"
    return code, " ".join(str(words).split())[:300]


class StandIn(Generic[D]):
    """What the stand-ins of every kind share: the fault, the rebuild, the hand-over."""

    kind = "device"

    def __init__(self, driver: str, error: BaseException, build: Build, retry_s: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        # Cooperative: the kind's interface (a Device) follows in the concrete class's MRO.
        super().__init__(driver)  # type: ignore[call-arg]  # the device's name
        self.driver = driver
        self._build = build
        self._retry_s = retry_s
        self._clock = clock
        self._lock = threading.Lock()
        self._building = threading.Lock()
        self._real: D | None = None
        self._closed = False
        self._since = self._tried_at = clock()
        self._health = self._offline(error)

    @property
    def real(self) -> D | None:
        """The device once it could be built; None while it is unavailable."""
        return self._real

    def health(self) -> DeviceHealth:
        real = self._real if self._real is not None else self._try_build()
        return real.health() if real is not None else self._health

    def open(self) -> None:
        """Nothing to open: the real device is opened when it is built."""

    def close(self) -> None:
        with self._lock:
            self._closed = True
            real = self._real
        if real is not None:
            real.close()

    def __getattr__(self, name: str) -> Any:
        """What only some drivers have (a simulator's faults, a camera's stats) is the real
        device's; while there is none, it is not there."""
        real = self.__dict__.get("_real")
        if name.startswith("_") or real is None:
            raise AttributeError(f"{type(self).__name__} has no {name!r} while unavailable")
        return getattr(real, name)

    # -- for the kinds

    def _device(self) -> D:
        """The real device, or DeviceUnavailable with the driver's words."""
        real = self._real
        if real is None:
            raise DeviceUnavailable(self._health.detail)
        return real

    def _replay(self, device: D) -> None:
        """Do on the new device what was asked of the stand-in; called under ``_lock``."""

    # -- building again

    def _offline(self, error: BaseException) -> DeviceHealth:
        code, words = cause(error)
        return DeviceHealth(HealthState.OFFLINE, DeviceUnavailable.code,
                            f"{self.kind} driver {self.driver!r} not built ({code}): {words}")

    def _try_build(self) -> D | None:
        if self._closed or self._clock() - self._tried_at < self._retry_s:
            return None
        if not self._building.acquire(blocking=False):
            return None  # another thread is building it right now
        try:
            if self._real is not None or self._closed:
                return self._real
            self._tried_at = self._clock()
            try:
                device = self._build()
            except Exception as exc:
                self._still_unavailable(exc)
                return None
            return self._hand_over(cast(D, device))  # built from this kind's config
        finally:
            self._building.release()

    def _hand_over(self, device: D) -> D | None:
        with self._lock:
            if self._closed:
                _close_quietly(device)
                return None
            try:
                self._replay(device)
            except Exception as exc:
                _close_quietly(device)
                self._still_unavailable(exc)
                return None
            self._real = device
        log.info("%s available again: driver %r built after %.0f s unavailable",
                 self.kind, self.driver, self._clock() - self._since)
        return device

    def _still_unavailable(self, error: BaseException) -> None:
        health = self._offline(error)
        if health.detail != self._health.detail:
            code, words = cause(error)
            log.warning("%s still unavailable: driver %r (%s): %s", self.kind, self.driver,
                        code, words)
        else:
            log.debug("%s still unavailable: %s", self.kind, health.detail)
        self._health = health


def _close_quietly(device: Device) -> None:
    try:
        device.close()
    except Exception:  # a device that failed on its way in may fail on its way out
        log.debug("closing a device that could not be used failed", exc_info=True)


class _ListeningStandIn(StandIn[L]):
    """Readers and scanners: a listener from start(), and armed or not."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listener: Callable[[Any], None] | None = None
        self._started = False
        self._armed = False

    def _wish(self, **state: Any) -> L | None:
        """Record what the kiosk wants; the real device, if there is one, to tell it."""
        with self._lock:
            for key, value in state.items():
                setattr(self, key, value)
            return self._real

    def start(self, listener: Callable[[Any], None]) -> None:
        real = self._wish(_listener=listener, _started=True)
        if real is not None:
            real.start(listener)

    def stop(self) -> None:
        real = self._wish(_started=False)
        if real is not None:
            real.stop()

    def arm(self) -> None:
        real = self._wish(_armed=True)
        if real is not None:
            real.arm()

    def disarm(self) -> None:
        real = self._wish(_armed=False)
        if real is not None:
            real.disarm()

    def _replay(self, device: L) -> None:
        if self._started and self._listener is not None:
            device.start(self._listener)
        if self._armed:
            device.arm()


class UnavailableReader(_ListeningStandIn[DocumentReader], DocumentReader):
    kind = "reader"

    def forget(self) -> None:
        real = self._real
        if real is not None:
            real.forget()

    def read(self, key: AccessKey | None = None,
             progress: ProgressCallback | None = None) -> IdentityDocument:
        return self._device().read(key, progress)


class UnavailableScanner(_ListeningStandIn[BarcodeScanner], BarcodeScanner):
    kind = "scanner"


class UnavailableCamera(StandIn[Camera], Camera):
    kind = "camera"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._streaming = False

    def start(self) -> None:
        with self._lock:
            self._streaming, real = True, self._real
        if real is not None:
            real.start()

    def stop(self) -> None:
        with self._lock:
            self._streaming, real = False, self._real
        if real is not None:
            real.stop()

    def latest_frame(self) -> Frame | None:
        real = self._real
        return real.latest_frame() if real is not None else None  # never blocks, never raises

    def capture_still(self, timeout_s: float = 2.0) -> Frame:
        return self._device().capture_still(timeout_s)

    def instruct(self, instruction: str | None) -> None:
        real = self._real
        if real is not None:
            real.instruct(instruction)

    def _replay(self, device: Camera) -> None:
        if self._streaming:
            device.start()


class UnavailableReceiptPrinter(StandIn[ReceiptPrinter], ReceiptPrinter):
    kind = "receipt_printer"

    def supplies(self) -> Supplies:
        real = self._real
        if real is not None:
            return real.supplies()
        return Supplies((Supply("paper", Level.UNKNOWN),))

    def print_receipt(self, receipt: ReceiptDocument, job_key: str) -> PrintResult:
        return self._device().print_receipt(receipt, job_key)


class UnavailableCardPrinter(StandIn[CardPrinter], CardPrinter):
    kind = "card_printer"

    def supplies(self) -> Supplies:
        real = self._real
        if real is not None:
            return real.supplies()
        return Supplies((Supply("cards", Level.UNKNOWN), Supply("ribbon", Level.UNKNOWN)))

    def print_card(self, card: CardDocument, job_key: str) -> PrintResult:
        return self._device().print_card(card, job_key)

    def job_state(self, job_key: str) -> JobState | None:
        return self._device().job_state(job_key)  # DeviceOffline: settled at a later start

    def cancel_job(self, job_key: str) -> bool:
        return self._device().cancel_job(job_key)


STAND_INS: dict[str, type[StandIn[Any]]] = {
    "reader": UnavailableReader, "camera": UnavailableCamera,
    "receipt_printer": UnavailableReceiptPrinter, "card_printer": UnavailableCardPrinter,
    "scanner": UnavailableScanner}


def unavailable(kind: str, driver: str, error: BaseException, build: Build,
                retry_s: float) -> Any:
    """The stand-in for a ``kind`` device whose ``driver`` failed with ``error``; it calls
    ``build`` again, at most every ``retry_s``, until that gives the real device."""
    code, words = cause(error)
    log.error("%s unavailable: driver %r could not be built (%s): %s; trying again every "
              "%g s", kind, driver, code, words, retry_s)
    return STAND_INS[kind](driver, error, build, retry_s)
