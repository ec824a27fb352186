"""Each driver declares its options as a model, and the model says what the driver takes."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from drivers import base
from drivers.base import UnknownDriver, available, create
from drivers.options import DriverOptions, project_paths

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("reader", "camera", "receipt_printer", "card_printer", "scanner")

# Constructor parameters no config file can give: a clock is code.
CODE_ONLY = {("card_printer", "cups"): {"clock"}}


def entries():
    return [base.driver(kind, name) for kind in KINDS for name in available(kind)]


def constructor_defaults(entry) -> dict[str, object]:
    """Every option the driver's constructor takes, with its default (empty if required)."""
    factory = base._resolve(entry.factory)
    if (entry.kind, entry.name) == ("reader", "virtual_chip"):
        from drivers.reader.vchip.reader import VirtualChipReader
        callables = [VirtualChipReader.__init__]
    elif (entry.kind, entry.name) == ("reader", "pcsc"):
        from drivers.reader.chip import ChipReader
        callables = [factory, ChipReader.__init__]  # reader, trust_store; the rest
    else:
        callables = [factory.__init__ if inspect.isclass(factory) else factory]
    found: dict[str, object] = {}
    for function in callables:
        for name, p in inspect.signature(function).parameters.items():
            if name in ("self", "name", "slot") or p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                continue
            found.setdefault(name, p.default)
    for name in CODE_ONLY.get((entry.kind, entry.name), ()):
        found.pop(name)
    return found


@pytest.mark.parametrize("entry", entries(), ids=lambda e: f"{e.kind}-{e.name}")
def test_the_options_model_is_the_constructors(entry):
    model = entry.options
    assert issubclass(model, DriverOptions) and model.model_config["extra"] == "forbid"
    wanted = constructor_defaults(entry)
    assert set(model.model_fields) == set(wanted)
    for name, field in model.model_fields.items():
        assert field.description, f"{name} has no description"
        default = wanted[name]
        if default is inspect.Parameter.empty:
            assert field.is_required(), f"{name} is required by the constructor"
        else:
            assert not field.is_required() and field.default == default, name


def test_drivers_and_their_options_are_known_without_importing_any_driver():
    """What `kiosk config check` does, with the hardware libraries made unimportable:
    no driver module, no hardware library, not even PIL, is imported."""
    code = """
import sys
for name in ("smartcard", "picamera2", "serial", "escpos", "cv2", "usb", "PIL", "numpy",
             "requests", "cryptography"):
    sys.modules[name] = None
from drivers import base
for kind in ("reader", "camera", "receipt_printer", "card_printer", "scanner"):
    for name in base.available(kind):
        base.driver(kind, name).options.model_json_schema()
from kiosk.config import load_config
config = load_config(overrides={"devices": {
    "reader": {"driver": "pcsc", "options": {"reader": "ACS", "trust_store": "csca"}},
    "camera": {"driver": "picamera2", "options": {"still_size": "full"}},
    "receipt_printer": {"driver": "escpos", "options": {"job_index_dir": "var/printed"}},
    "card_printer": {"driver": "cups", "options": {"uri": "ipp://localhost/printers/c"}}}})
loaded = sorted(m for m in sys.modules if m.startswith("drivers."))
print(" ".join(loaded))
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr[-3000:]
    loaded = set(result.stdout.split())
    assert loaded <= {"drivers.base", "drivers.options", *(f"drivers.{k}" for k in (
        "camera", "printer", "reader", "scanner")), *(f"drivers.{k}.options" for k in (
            "camera", "printer", "reader", "scanner"))}, loaded


def test_an_unknown_driver_names_the_known_ones():
    with pytest.raises(UnknownDriver) as raised:
        base.driver("receipt_printer", "epson")
    assert str(raised.value) == "no receipt_printer driver named 'epson'; known: escpos, simulated"


def test_create_builds_from_checked_options(tmp_path):
    with pytest.raises(ValidationError) as raised:
        create("reader", "simulated", readr="x")
    assert raised.value.errors()[0]["loc"] == ("readr",)
    with pytest.raises(ValidationError):
        create("camera", "simulated", fps="fast")
    camera = create("camera", "simulated", fps="5", width=32, height=24)  # converted
    assert camera.fps == 5.0


def test_relative_paths_are_the_projects(tmp_path):
    from kiosk.config import CardPrinterConfig, ReaderConfig
    from kiosk.devices.build import _options

    assert project_paths(base.driver("card_printer", "cups").options) == ["job_index_dir"]
    cups = _options("card_printer", CardPrinterConfig(driver="cups"))
    assert cups["job_index_dir"] == str(ROOT / "var" / "printed")  # the default, too
    given = _options("card_printer", CardPrinterConfig(
        driver="cups", options={"job_index_dir": str(tmp_path), "dpi": 600}))
    assert given == {"job_index_dir": str(tmp_path), "dpi": 600}
    reader = _options("reader", ReaderConfig(driver="simulated", options={
        "documents_file": "drivers/reader/sim_documents.toml", "read_time_s": 0}))
    assert reader == {"documents_file": str(ROOT / "drivers/reader/sim_documents.toml"),
                      "read_time_s": 0.0}
