"""A device that cannot be built stands in for itself until it can, then hands over."""

from __future__ import annotations

import logging
import threading

import pytest

from drivers.base import DeviceHealth, DeviceOffline, DeviceUnavailable, HealthState
from drivers.printer.base import Level
from drivers.reader.base import DocumentReader
from kiosk.config import ROOT, load_config
from kiosk.devices.build import build_devices
from kiosk.devices.unavailable import (
    UnavailableCamera,
    UnavailableCardPrinter,
    UnavailableReader,
    UnavailableReceiptPrinter,
    unavailable,
)

OFFLINE = HealthState.OFFLINE


class FakeReader(DocumentReader):
    """Records what it was asked, in order."""

    def __init__(self) -> None:
        super().__init__("fake")
        self.calls: list[str] = []
        self.armed = False
        self.listener = None
        self.faults = "the real device's"
        self.closed = False

    def start(self, listener) -> None:
        self.calls.append("start")
        self.listener = listener

    def stop(self) -> None:
        self.calls.append("stop")

    def arm(self) -> None:
        self.calls.append("arm")
        self.armed = True

    def disarm(self) -> None:
        self.calls.append("disarm")
        self.armed = False

    def read(self, key=None, progress=None):
        return "document"

    def health(self) -> DeviceHealth:
        return DeviceHealth(HealthState.OK, "", "fake reader")

    def close(self) -> None:
        self.closed = True


class Plug:
    """A build that fails until the device is plugged in; counts the tries."""

    def __init__(self, device_factory=FakeReader) -> None:
        self.plugged = False
        self.tries = 0
        self.factory = device_factory
        self.built: list = []

    def __call__(self):
        self.tries += 1
        if not self.plugged:
            raise DeviceOffline("/dev/ttyUSB3: no such port", code="port_missing")
        device = self.factory()
        self.built.append(device)
        return device


def stand_in(plug: Plug, clock: list[float], retry_s: float = 10.0, cls=UnavailableReader):
    return cls("pcsc", plug_error(), plug, retry_s, clock=lambda: clock[0])


def plug_error() -> Exception:
    return DeviceOffline("/dev/ttyUSB3: no such port", code="port_missing")


def test_it_says_why_in_its_health_and_refuses_everything_else():
    reader = stand_in(Plug(), [0.0])
    health = reader.health()
    assert (health.state, health.code) == (OFFLINE, "device_unavailable")
    assert health.detail == ("reader driver 'pcsc' not built (port_missing): /dev/ttyUSB3: "
                             "no such port")
    with pytest.raises(DeviceUnavailable) as raised:
        reader.read()
    assert isinstance(raised.value, DeviceOffline) and raised.value.code == "device_unavailable"
    with pytest.raises(AttributeError):
        _ = reader.faults  # a simulator's extras are not there either
    reader.forget()  # never raises, never blocks
    camera = UnavailableCamera("opencv", FileNotFoundError("no /dev/video0"), Plug(), 10)
    assert camera.latest_frame() is None
    with pytest.raises(DeviceUnavailable):
        camera.capture_still()
    receipt = UnavailableReceiptPrinter("escpos", plug_error(), Plug(), 10)
    assert [s.level for s in receipt.supplies().items] == [Level.UNKNOWN]
    with pytest.raises(DeviceUnavailable):
        receipt.print_receipt(None, job_key="k")
    card = UnavailableCardPrinter("cups", plug_error(), Plug(), 10)
    assert not card.supplies().ready
    with pytest.raises(DeviceOffline):  # a journaled card is settled at a later start
        card.job_state("k")


def test_it_builds_again_at_most_every_retry_s_and_then_hands_everything_over():
    plug, clock = Plug(), [100.0]
    reader = stand_in(plug, clock)
    reader.health()
    assert plug.tries == 0, "not again at once"
    clock[0] = 110.0
    assert reader.health().code == "device_unavailable" and plug.tries == 1
    plug.plugged = True
    clock[0] = 115.0
    assert reader.health().code == "device_unavailable" and plug.tries == 1
    clock[0] = 120.0
    assert reader.health().state is HealthState.OK and plug.tries == 2
    assert reader.real is plug.built[0]
    assert reader.read() == "document" and reader.faults == "the real device's"
    clock[0] = 200.0
    reader.health()
    assert plug.tries == 2, "built once"


def test_new_words_from_the_driver_are_logged_once(caplog):
    plug, clock = Plug(), [0.0]
    reader = stand_in(plug, clock, retry_s=1)
    caplog.set_level(logging.DEBUG, "kiosk.devices")
    for t in (1, 2, 3):
        clock[0] = t
        reader.health()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "same words"
    plug.factory = lambda: (_ for _ in ()).throw(PermissionError("/dev/ttyUSB3: denied"))
    plug.plugged = True
    clock[0] = 4
    assert "PermissionError: /dev/ttyUSB3: denied" in reader.health().detail
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warned == ["reader still unavailable: driver 'pcsc' (PermissionError): "
                      "PermissionError: /dev/ttyUSB3: denied"]


def test_what_the_kiosk_asked_before_is_replayed_on_the_real_device():
    plug, clock = Plug(), [0.0]
    reader = stand_in(plug, clock, retry_s=1)
    listener = object()
    reader.start(listener)
    reader.arm()
    reader.disarm()
    reader.arm()
    plug.plugged = True
    clock[0] = 1
    reader.health()
    real = plug.built[0]
    assert real.calls == ["start", "arm"] and real.listener is listener
    reader.disarm()
    reader.stop()
    assert real.calls == ["start", "arm", "disarm", "stop"]
    reader.close()
    assert real.closed


def test_a_camera_streaming_when_it_comes_back_streams():
    class FakeCamera:
        def __init__(self):
            self.started = 0

        def start(self):
            self.started += 1

        def stop(self):
            self.started -= 1

        def latest_frame(self):
            return "frame"

        def health(self):
            return DeviceHealth(HealthState.OK)

    plug, clock = Plug(FakeCamera), [0.0]
    camera = stand_in(plug, clock, retry_s=1, cls=UnavailableCamera)
    camera.start()
    plug.plugged = True
    clock[0] = 1
    assert camera.health().state is HealthState.OK
    assert plug.built[0].started == 1 and camera.latest_frame() == "frame"


def test_wishes_racing_the_hand_over_are_neither_lost_nor_doubled():
    """The journey arms and disarms while the monitor's thread builds and hands over."""
    for _ in range(20):
        release = threading.Event()

        class SlowReader(FakeReader):
            def start(self, listener, release=release) -> None:
                release.wait(1)  # the hand-over is under way while the journey calls in
                super().start(listener)

        plug, clock = Plug(SlowReader), [0.0]
        plug.plugged = True
        reader = stand_in(plug, clock, retry_s=1)
        reader.start(object())
        clock[0] = 1
        monitor = threading.Thread(target=reader.health)
        monitor.start()
        wishes = [reader.arm, reader.disarm] * 25 + [reader.arm]
        journey = threading.Thread(target=lambda wishes=wishes: [w() for w in wishes])
        journey.start()
        release.set()
        monitor.join(5)
        journey.join(5)
        real = plug.built[0]
        assert real.calls.count("start") == 1 and real.armed, real.calls
        assert all(a != b for a, b in zip(real.calls[1:], real.calls[2:])), real.calls


def test_a_device_built_after_close_is_closed_not_used():
    release, building = threading.Event(), threading.Event()

    def slow_build():
        building.set()
        release.wait(5)
        device = FakeReader()
        built.append(device)
        return device

    built: list[FakeReader] = []
    reader = UnavailableReader("pcsc", plug_error(), slow_build, 0)
    monitor = threading.Thread(target=reader.health)
    monitor.start()
    assert building.wait(5)
    reader.close()  # the kiosk stops while the monitor is building
    release.set()
    monitor.join(5)
    assert built[0].closed and reader.real is None
    assert reader.health().code == "device_unavailable", "no building after close"


def test_build_devices_puts_an_unavailable_device_where_one_fails(tmp_path, caplog):
    missing = tmp_path / "personas.toml"
    config = load_config(overrides={
        "storage": {"data_dir": str(tmp_path / "data")},
        "devices": {"retry_unavailable_s": 0,
                    "reader": {"driver": "virtual_chip",
                               "options": {"documents_file": str(missing)}},
                    "receipt_printer": {"options": {"output_dir": str(tmp_path)}},
                    "card_printer": {"options": {"output_dir": str(tmp_path)}}}})
    caplog.set_level(logging.INFO, "kiosk.devices")
    devices = build_devices(config)
    try:
        assert isinstance(devices.reader, UnavailableReader)
        assert not isinstance(devices.camera, UnavailableCamera)
        health = devices.reader.health()
        assert health.code == "device_unavailable" and "FileNotFoundError" in health.detail
        error = next(r for r in caplog.records if r.levelno == logging.ERROR)
        assert error.getMessage().startswith(
            "reader unavailable: driver 'virtual_chip' could not be built (FileNotFoundError): "
            "FileNotFoundError: [Errno 2] No such file or directory")
        assert error.exc_info is None, "a line for the technician, not a traceback"
        missing.write_bytes((ROOT / "drivers/reader/sim_documents.toml").read_bytes())
        assert devices.reader.health().state is HealthState.OK
        assert "reader available again: driver 'virtual_chip'" in caplog.text
    finally:
        devices.close()


def test_every_kind_has_its_unavailable_device():
    for kind in ("reader", "camera", "receipt_printer", "card_printer", "scanner"):
        device = unavailable(kind, "x", plug_error(), Plug(), 10)
        assert device.kind == kind and device.health().code == "device_unavailable"
