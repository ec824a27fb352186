"""Drivers are chosen by name; drivers/ stays independent of the kiosk and the UI."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from drivers import base
from drivers.base import DeviceOffline, UnknownDriver, available, create, register
from drivers.camera.simulated import SimulatedCamera
from drivers.reader.simulated import SimulatedReader
from drivers.scanner.simulated import SimulatedScanner

DRIVERS_DIR = Path(base.__file__).parent


def test_simulators_are_registered_for_every_kind(tmp_path):
    assert isinstance(create("reader", "simulated"), SimulatedReader)
    assert isinstance(create("camera", "simulated", fps=5), SimulatedCamera)
    assert isinstance(create("scanner", "simulated"), SimulatedScanner)
    printer = create("receipt_printer", "simulated", output_dir=str(tmp_path))
    assert printer.kind == "receipt_printer" and printer.name == "simulated"
    assert create("card_printer", "simulated", output_dir=str(tmp_path)).kind == "card_printer"
    for kind in ("reader", "camera", "receipt_printer", "card_printer", "scanner"):
        assert "simulated" in available(kind)


def test_options_reach_the_constructor():
    reader = create("reader", "simulated", document="senior", present_after_s=2.0)
    assert (reader.document, reader.present_after_s) == ("senior", 2.0)


def test_unknown_driver_is_a_config_error():
    with pytest.raises(UnknownDriver, match="simulated"):
        create("reader", "pcsc-that-does-not-exist")


def test_unusable_driver_is_refused():
    register("reader", "test-unusable", SimulatedReader, lambda: (False, "no pcscd"))
    try:
        with pytest.raises(DeviceOffline) as error:
            create("reader", "test-unusable")
        assert error.value.code == "driver_unusable" and "no pcscd" in str(error.value)
    finally:
        base._REGISTRY.pop(("reader", "test-unusable"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_drivers_import_nothing_from_kiosk_or_screens():
    sources = sorted(DRIVERS_DIR.rglob("*.py"))
    assert len(sources) > 10
    for path in sources:
        bad = {m for m in imported_modules(path) if m.split(".")[0] in ("kiosk", "screens")}
        assert not bad, f"{path.relative_to(DRIVERS_DIR)} imports {bad}"
        assert "kivy" not in {m.split(".")[0] for m in imported_modules(path)}
